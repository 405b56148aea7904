package testenv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// peerScriptTimeout bounds one run of a peer script; the first run on a fresh
// machine installs Debian packages.
const peerScriptTimeout = 15 * time.Minute

// WordPressPeer describes the local WordPress started by scripts/wordpress.sh.
type WordPressPeer struct {
	// URL is the site URL, such as http://127.0.0.1:8089; the REST API is
	// under URL + "/wp-json/".
	URL string
	// Username is the administrator the application password belongs to.
	Username string
	// AppPassword is an application password of Username, for HTTP Basic auth.
	AppPassword string
}

// peer runs one peer script at most once per test binary and keeps what it
// wrote to its .env file.
type peer struct {
	script  string // relative to the repository root
	envFile string // relative to the repository root
	once    sync.Once
	env     map[string]string
	err     error
}

var (
	wordpressPeer = &peer{script: "scripts/wordpress.sh", envFile: ".data/peers/wordpress.env"}
	stripePeer    = &peer{script: "scripts/stripe-mock.sh", envFile: ".data/peers/stripe.env"}
)

// WordPress returns the local WordPress peer, running scripts/wordpress.sh
// once per test binary (sync.Once) to install/start it; it fails the test
// with the script's output if that fails.
func WordPress(t testing.TB) WordPressPeer {
	t.Helper()
	env := wordpressPeer.get(t, "BIZOS_WP_URL", "BIZOS_WP_USER", "BIZOS_WP_APP_PASSWORD")
	return WordPressPeer{
		URL:         strings.TrimRight(env["BIZOS_WP_URL"], "/"),
		Username:    env["BIZOS_WP_USER"],
		AppPassword: env["BIZOS_WP_APP_PASSWORD"],
	}
}

// StripeMock returns the base URL of the local stripe-mock, such as
// http://127.0.0.1:12111, running scripts/stripe-mock.sh once per test
// binary. Any sk_test_... key authenticates against it.
func StripeMock(t testing.TB) string {
	t.Helper()
	env := stripePeer.get(t, "BIZOS_STRIPE_URL")
	return strings.TrimRight(env["BIZOS_STRIPE_URL"], "/")
}

// get runs the script on first use and returns the .env values, failing t
// when the script failed or a required key is missing.
func (p *peer) get(t testing.TB, required ...string) map[string]string {
	t.Helper()
	p.once.Do(func() { p.env, p.err = p.start() })
	if p.err != nil {
		t.Fatalf("testenv: %v", p.err)
	}
	for _, key := range required {
		if p.env[key] == "" {
			t.Fatalf("testenv: %s did not set %s in %s", p.script, key, p.envFile)
		}
	}
	return p.env
}

func (p *peer) start() (map[string]string, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	if err := runScript(root, p.script); err != nil {
		return nil, err
	}
	env, err := readEnvFile(filepath.Join(root, p.envFile))
	if err != nil {
		return nil, fmt.Errorf("%s succeeded but its peer file is unusable: %w", p.script, err)
	}
	return env, nil
}

// runScript runs a script of the repository with bash and returns an error
// that carries its combined output when it fails.
func runScript(root, script string) error {
	// The output goes to a file rather than a pipe: daemons the script starts
	// must never keep the test waiting for a pipe to close.
	out, err := os.CreateTemp("", "bizos-peer-*.log")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	defer out.Close()

	ctx, cancel := context.WithTimeout(context.Background(), peerScriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, script))
	cmd.Dir = root
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.WaitDelay = 10 * time.Second
	runErr := cmd.Run()
	if runErr == nil {
		return nil
	}
	output, _ := os.ReadFile(out.Name())
	return fmt.Errorf("%s failed: %v\n%s", script, runErr, strings.TrimSpace(string(output)))
}

// repoRoot walks up from the working directory to the directory holding
// go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// readEnvFile parses KEY=VALUE lines, skipping blank lines and # comments and
// removing one pair of matching quotes around a value.
func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: want KEY=VALUE, got %q", path, n, line)
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		}
		env[strings.TrimSpace(key)] = value
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return env, nil
}

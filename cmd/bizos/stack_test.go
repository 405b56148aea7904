package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bizoshub/bizos/internal/testenv"
)

// syncBuffer collects the stack's logs for inspection.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testStack is a whole `bizos dev` stack running in the test process on a
// fresh database, an isolated Redis key space and an embedded Temporal server.
type testStack struct {
	devStack
	cfg  *Config
	logs *syncBuffer
}

const (
	adminEmail    = "root@bizos.test"
	adminPassword = "root-password-123"
)

// startStack starts a stack whose logs are kept for inspection; extra flags
// override the test defaults.
func startStack(t *testing.T, extra ...string) *testStack {
	t.Helper()
	return startStackLogging(t, &syncBuffer{}, extra...)
}

// startStackLogging starts a stack that writes its logs to sink.
func startStackLogging(t *testing.T, sink io.Writer, extra ...string) *testStack {
	t.Helper()
	_, prefix := testenv.NewRedis(t)
	t.Setenv("BIZOS_DEV_TEMPORAL_PORT", "0")
	cfg, err := parseConfig("dev", append([]string{
		"-database-url", testenv.NewDatabaseURL(t),
		"-redis-url", testenv.RedisURL(),
		"-redis-prefix", prefix,
		"-data-dir", filepath.Join(t.TempDir(), "data"),
		"-auth-addr", "127.0.0.1:0", "-brain-addr", "127.0.0.1:0", "-portal-addr", "127.0.0.1:0",
		"-admin-email", adminEmail, "-admin-password", adminPassword,
		"-argon2-memory-kib", "1024", "-argon2-time", "1", "-argon2-threads", "1",
		"-temporal-address", "",
	}, extra...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	log := newLogger(cfg, sink)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan devStack, 1)
	done := make(chan error, 1)
	go func() { done <- runDev(ctx, cfg, log, io.Discard, started) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("dev stack: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Error("dev stack did not stop")
		}
	})
	select {
	case s := <-started:
		logs, _ := sink.(*syncBuffer)
		return &testStack{devStack: s, cfg: cfg, logs: logs}
	case err := <-done:
		t.Fatalf("dev stack: %v", err)
	case <-time.After(3 * time.Minute):
		t.Fatalf("dev stack did not start")
	}
	return nil
}

// response is a decoded HTTP answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// field returns a top-level string field of a JSON object body.
func (r response) field(t *testing.T, name string) string {
	t.Helper()
	var m map[string]any
	r.json(t, &m)
	s, _ := m[name].(string)
	return s
}

// call sends a request with a JSON body (when body is not nil) and headers
// given as "Name: value" strings.
func call(t *testing.T, method, url string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func bearer(token string) string { return "Authorization: Bearer " + token }

// login returns the access and refresh tokens of a successful login.
func (s *testStack) login(t *testing.T, email, password string) (string, string) {
	t.Helper()
	r := call(t, http.MethodPost, s.AuthURL+"/auth/login", map[string]string{"email": email, "password": password})
	if r.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", email, r.Status, r.Body)
	}
	return r.field(t, "access_token"), r.field(t, "refresh_token")
}

// wantProblem checks that r is a problem+json answer with the status and code.
func wantProblem(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status = %d, want %d (body %s)", r.Status, status, r.Body)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("content type = %q, want application/problem+json", ct)
	}
	if got := r.field(t, "code"); got != code {
		t.Errorf("code = %q, want %q (body %s)", got, code, r.Body)
	}
}

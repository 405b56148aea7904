package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bizoshub/bizos/internal/fakes"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/portal"
)

// portalStack is a `bizos dev` stack whose portal listens on a known port, so
// that OAuth redirects and webhook URLs point at it, with the platform fakes
// the browser tests connect to.
type portalStack struct {
	*testStack
	PortalURL string
	Tenant    *tenantFixture
	Other     *tenantFixture
	Receiver  *deliveryReceiver
	Root      string
	StripeID  string
}

// deliveryReceiver is an outbound-webhook endpoint that accepts everything.
type deliveryReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	types []string
}

func (d *deliveryReceiver) eventTypes() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.types...)
}

// requireBrowserTools fails the test, saying what to do, when the portal
// build, Node.js or Chromium is missing (`make test` provides all three).
func requireBrowserTools(t testing.TB) string {
	t.Helper()
	if !portal.Built() {
		t.Fatal("the portal is not built into this test binary: run `make portal` (make test does) and test again")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node is needed for the browser tests: install Node.js 20.19 or newer")
	}
	browser := os.Getenv("CHROMIUM_PATH")
	if browser == "" {
		browser = "/usr/bin/chromium"
	}
	if _, err := os.Stat(browser); err != nil {
		t.Fatalf("Chromium is needed for the browser tests (%v): run `make browser`", err)
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "portal"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		t.Fatal("portal/node_modules lacks playwright-core: run `make portal`")
	}
	return dir
}

func startPortalStack(t *testing.T, extra ...string) *portalStack {
	t.Helper()
	stripeURL := testenv.StripeMock(t)
	o := fakes.NewOAuth(t, fakes.OAuthOptions{ClientID: "hs-client", ClientSecret: "hs-secret"})
	hs := fakes.NewHubSpot(t, fakes.Options{Authorize: o.Authorizer("Authorization", "Bearer ")})
	mc := fakes.NewMailchimp(t, fakes.Options{})
	model := fakes.NewLLM(t)
	model.Respond(scriptedStripeAgent)
	overrides := writeOverrides(t, map[string]map[string]string{
		"stripe":    {"api_base_url": stripeURL},
		"mailchimp": {"api_base_url": mc.URL},
		"hubspot": {"api_base_url": hs.URL, "authorization_url": o.AuthorizeURL(), "token_url": o.TokenURL(),
			"client_id": "hs-client", "client_secret": "hs-secret"},
	})
	addr := freeAddr(t)
	portalURL := "http://" + addr
	s := startStack(t, append([]string{"-provider-overrides", overrides, "-egress-allow", "127.0.0.0/8",
		"-portal-addr", addr, "-public-url", portalURL, "-portal-url", portalURL, "-ollama-host", model.URL}, extra...)...)
	root, _ := s.login(t, adminEmail, adminPassword)
	p := &portalStack{testStack: s, PortalURL: portalURL, Root: root}
	p.Tenant = s.makeTenant(t, root, "acme")
	p.Other = s.makeTenant(t, root, "beta")
	// The acme admin also belongs to beta, so the tenant switcher shows.
	if r := call(t, http.MethodPost, s.AuthURL+"/tenants/"+p.Other.ID+"/users",
		map[string]string{"email": p.Tenant.AdminEmail, "role": "member"}, bearer(root)); r.Status != http.StatusCreated {
		t.Fatalf("add membership: %d %s", r.Status, r.Body)
	}
	// One Stripe account for the agent and rule flows (the connector flow
	// connects another through the form).
	if r := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "stripe", "name": "Payments",
		"credentials": map[string]string{"api_key": "sk_test_payments"}}, bearer(p.Tenant.AdminToken)); r.Status != http.StatusCreated {
		t.Fatalf("connect stripe: %d %s", r.Status, r.Body)
	} else {
		p.StripeID = r.field(t, "id")
	}
	p.Receiver = &deliveryReceiver{}
	p.Receiver.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p.Receiver.mu.Lock()
		if i := bytes.Index(body, []byte(`"type":"`)); i >= 0 {
			rest := body[i+8:]
			if j := bytes.IndexByte(rest, '"'); j >= 0 {
				p.Receiver.types = append(p.Receiver.types, string(rest[:j]))
			}
		}
		p.Receiver.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(p.Receiver.Close)
	return p
}

// env is what the browser tests read (portal/e2e/lib.mjs).
func (p *portalStack) env(shots string) []string {
	return append(os.Environ(),
		"E2E_PORTAL_URL="+p.PortalURL,
		"E2E_ROOT_EMAIL="+adminEmail, "E2E_ROOT_PASSWORD="+adminPassword,
		"E2E_ADMIN_EMAIL="+p.Tenant.AdminEmail, "E2E_ADMIN_PASSWORD="+p.Tenant.AdminPassword,
		"E2E_TENANT_NAME=ACME", "E2E_TENANT_SLUG=acme", "E2E_OTHER_TENANT_NAME=BETA",
		"E2E_RECEIVER_URL="+p.Receiver.URL, "E2E_STRIPE_CONNECTION="+p.StripeID,
		"E2E_SHOTS="+shots,
	)
}

// runNode runs a node command in the portal directory, streaming its output
// into the test log, and fails the test if it fails.
func runNode(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command("node", args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = io.MultiWriter(&out, testWriter{t})
	cmd.Stderr = cmd.Stdout
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v", strings.Join(args, " "), err)
	}
	return out.String()
}

// testWriter sends a child's output to the test log line by line.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.t.Log(line)
	}
	return len(p), nil
}

// TestPortalEndToEnd drives the portal in headless Chromium (Debian's
// package, through playwright-core) against a whole stack on real
// PostgreSQL, Redis and Temporal: sign-in, connecting platforms by API key
// and by OAuth, agents with tools and knowledge run to an approval, rules
// with a bad then a good CEL condition, the delivery log, and the super
// admin's pages. Screenshots go to portal/build/e2e.
func TestPortalEndToEnd(t *testing.T) {
	dir := requireBrowserTools(t)
	p := startPortalStack(t)
	shots := filepath.Join(dir, "build", "e2e")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	runNode(t, dir, p.env(shots), "--test", "--test-concurrency=1", "--test-reporter=spec", "e2e/")
	entries, err := os.ReadDir(shots)
	if err != nil || len(entries) == 0 {
		t.Fatalf("no screenshots saved in %s (%v)", shots, err)
	}
	t.Logf("%d screenshots in %s", len(entries), shots)
}

// TestPortalSession checks the browser session the portal keeps: the refresh
// token lives only in an HttpOnly, SameSite=Strict cookie, is rotated on every
// renewal, and a replayed one ends the session.
func TestPortalSession(t *testing.T) {
	s := startStack(t)
	post := func(path string, cookie *http.Cookie, body string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, s.PortalURL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if cookie != nil {
			req.AddCookie(cookie)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	sessionCookie := func(res *http.Response) *http.Cookie {
		for _, c := range res.Cookies() {
			if c.Name == "bizos_session" {
				return c
			}
		}
		t.Fatalf("no session cookie in %v", res.Header["Set-Cookie"])
		return nil
	}

	res, body := post("/session/login", nil, `{"email":"`+adminEmail+`","password":"wrong-password-123"}`)
	if res.StatusCode != http.StatusUnauthorized || len(res.Cookies()) != 0 {
		t.Fatalf("bad login: %d %s %v", res.StatusCode, body, res.Cookies())
	}
	res, body = post("/session/login", nil, `{"email":"`+adminEmail+`","password":"`+adminPassword+`"}`)
	if res.StatusCode != http.StatusOK || strings.Contains(body, "refresh_token") || strings.Contains(body, "bzr_") || !strings.Contains(body, "access_token") {
		t.Fatalf("login: %d %s", res.StatusCode, body)
	}
	first := sessionCookie(res)
	if !first.HttpOnly || first.SameSite != http.SameSiteStrictMode || first.Path != "/session" || !strings.HasPrefix(first.Value, "bzr_") {
		t.Fatalf("cookie = %+v", first)
	}

	res, body = post("/session/refresh", first, `{}`)
	if res.StatusCode != http.StatusOK || strings.Contains(body, "bzr_") {
		t.Fatalf("refresh: %d %s", res.StatusCode, body)
	}
	second := sessionCookie(res)
	if second.Value == first.Value {
		t.Fatal("the refresh token was not rotated")
	}
	// The spent token again: refused, the cookie cleared, and the whole
	// session family revoked, so the newer token fails too.
	res, _ = post("/session/refresh", first, `{}`)
	if res.StatusCode != http.StatusUnauthorized || sessionCookie(res).MaxAge >= 0 {
		t.Fatalf("replayed refresh: %d", res.StatusCode)
	}
	if res, _ = post("/session/refresh", second, `{}`); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("refresh after replay: %d", res.StatusCode)
	}

	// Logout ends the session at authsvc.
	res, body = post("/session/login", nil, `{"email":"`+adminEmail+`","password":"`+adminPassword+`"}`)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(body), &tok); err != nil {
		t.Fatal(err)
	}
	live := sessionCookie(res)
	req, _ := http.NewRequest(http.MethodPost, s.PortalURL+"/session/logout", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.AddCookie(live)
	out, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	if out.StatusCode != http.StatusNoContent || sessionCookie(out).MaxAge >= 0 {
		t.Fatalf("logout: %d", out.StatusCode)
	}
	if res, _ = post("/session/refresh", live, `{}`); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("refresh after logout: %d", res.StatusCode)
	}
}

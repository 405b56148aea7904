package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/internal/fakes"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/workflows"
)

// writeOverrides writes a BIZOS_PROVIDER_OVERRIDES file.
func writeOverrides(t *testing.T, entries map[string]map[string]string) string {
	t.Helper()
	var b strings.Builder
	for provider, fields := range entries {
		fmt.Fprintf(&b, "%s:\n", provider)
		for k, v := range fields {
			fmt.Fprintf(&b, "  %s: %q\n", k, v)
		}
	}
	path := filepath.Join(t.TempDir(), "providers.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConnectorsEndToEnd(t *testing.T) {
	o := fakes.NewOAuth(t, fakes.OAuthOptions{ClientID: "hs-client", ClientSecret: "hs-secret"})
	hs := fakes.NewHubSpot(t, fakes.Options{Authorize: o.Authorizer("Authorization", "Bearer ")})
	overrides := writeOverrides(t, map[string]map[string]string{
		"hubspot": {"api_base_url": hs.URL, "authorization_url": o.AuthorizeURL(), "token_url": o.TokenURL(),
			"client_id": "hs-client", "client_secret": "hs-secret"},
	})
	s := startStack(t, "-provider-overrides", overrides, "-egress-allow", "127.0.0.0/8", "-public-url", "http://hub.test",
		"-portal-url", "http://portal.test")
	root, _ := s.login(t, adminEmail, adminPassword)
	a := s.makeTenant(t, root, "alpha")
	b := s.makeTenant(t, root, "beta")

	t.Run("catalogue lists 13 connectors with status", func(t *testing.T) {
		var list struct {
			Items []struct {
				ID, Status string
				AuthModes  []map[string]any `json:"auth_modes"`
			}
		}
		call(t, http.MethodGet, s.BrainURL+"/api/v1/connectors", nil, bearer(a.MemberToken)).json(t, &list)
		if len(list.Items) != 13 {
			t.Fatalf("connectors = %d, want 13", len(list.Items))
		}
		for _, c := range list.Items {
			if c.Status != "not_connected" || len(c.AuthModes) == 0 {
				t.Errorf("%s: status %q, %d auth modes", c.ID, c.Status, len(c.AuthModes))
			}
		}
		wantProblem(t, call(t, http.MethodGet, s.BrainURL+"/api/v1/connectors/myspace", nil, bearer(a.MemberToken)), 404, hub.ENOTFOUND)
	})

	var connID string
	t.Run("oauth connect through the gateway", func(t *testing.T) {
		r := call(t, http.MethodGet, s.BrainURL+"/api/v1/oauth/hubspot/authorize?name=Sales+HubSpot&return_to=/dashboard/connectors", nil, bearer(a.AdminToken))
		if r.Status != 200 {
			t.Fatalf("authorize: %d %s", r.Status, r.Body)
		}
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noRedirect.Get(r.field(t, "authorize_url"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if loc.Host != "hub.test" {
			t.Fatalf("platform redirected to %s", loc)
		}
		// The browser comes back to brain (public URL hub.test) with code and state.
		cb, err := noRedirect.Get(s.BrainURL + loc.Path + "?" + loc.RawQuery)
		if err != nil {
			t.Fatal(err)
		}
		cb.Body.Close()
		// ... and is sent on to the portal, whichever host it reached brain on.
		back, _ := url.Parse(cb.Header.Get("Location"))
		if cb.StatusCode != http.StatusFound || back.Scheme+"://"+back.Host != "http://portal.test" || back.Path != "/dashboard/connectors" ||
			back.Query().Get("connection_id") == "" {
			t.Fatalf("callback = %d to %s", cb.StatusCode, cb.Header.Get("Location"))
		}
		connID = back.Query().Get("connection_id")
		// The same state again is refused: it was spent, and nothing says
		// where to send the browser, so the answer is a problem.
		wantProblem(t, call(t, http.MethodGet, s.BrainURL+loc.Path+"?"+loc.RawQuery, nil), 400, hub.EINVALID)
		wantProblem(t, call(t, http.MethodGet, s.BrainURL+loc.Path+"?code=x&state=forged", nil), 400, hub.EINVALID)
	})

	t.Run("connection answers never carry credentials", func(t *testing.T) {
		r := call(t, http.MethodGet, s.BrainURL+"/api/v1/connections/"+connID, nil, bearer(a.ViewerToken))
		if r.Status != 200 || r.field(t, "status") != "connected" || r.field(t, "name") != "Sales HubSpot" {
			t.Fatalf("connection: %d %s", r.Status, r.Body)
		}
		for _, bad := range []string{"access_token", "refresh_token", "credentials"} {
			if strings.Contains(string(r.Body), bad) {
				t.Errorf("connection JSON contains %q", bad)
			}
		}
		var list struct{ Items []struct{ ID, Status string } }
		call(t, http.MethodGet, s.BrainURL+"/api/v1/connectors", nil, bearer(a.ViewerToken)).json(t, &list)
		for _, c := range list.Items {
			if c.ID == "hubspot" && c.Status != "connected" {
				t.Errorf("hubspot card status %q", c.Status)
			}
		}
	})

	t.Run("proxy", func(t *testing.T) {
		r := call(t, http.MethodGet, s.BrainURL+"/api/v1/connections/"+connID+"/proxy/crm/v3/objects/contacts?limit=3", nil, bearer(a.ViewerToken))
		if r.Status != 200 || !strings.Contains(string(r.Body), `"results"`) {
			t.Fatalf("proxy: %d %s", r.Status, r.Body)
		}
		if r.Header.Get("X-Hubspot-Ratelimit-Secondly") == "" {
			t.Error("rate-limit headers of the platform were not passed on")
		}
		// The platform's own errors come back as problem+json with its status.
		r = call(t, http.MethodGet, s.BrainURL+"/api/v1/connections/"+connID+"/proxy/crm/v3/objects/unicorns", nil, bearer(a.ViewerToken))
		wantProblem(t, r, r.Status, hub.EUPSTREAM)
		if r.Status < 400 || r.Status >= 500 || r.field(t, "upstream_status") == "" && !strings.Contains(string(r.Body), "upstream_status") {
			t.Errorf("upstream error = %d %s", r.Status, r.Body)
		}
		// Viewers may read but not write through the proxy.
		wantProblem(t, call(t, http.MethodPost, s.BrainURL+"/api/v1/connections/"+connID+"/proxy/crm/v3/objects/contacts",
			map[string]any{"properties": map[string]string{"email": "x@y.test"}}, bearer(a.ViewerToken)), 403, hub.EFORBIDDEN)
		r = call(t, http.MethodPost, s.BrainURL+"/api/v1/connections/"+connID+"/proxy/crm/v3/objects/contacts",
			map[string]any{"properties": map[string]string{"email": "new@alpha.test", "firstname": "New"}}, bearer(a.MemberToken))
		if r.Status != 201 && r.Status != 200 {
			t.Errorf("create through proxy: %d %s", r.Status, r.Body)
		}
	})

	t.Run("actions and the unified crm view", func(t *testing.T) {
		r := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections/"+connID+"/actions/hubspot.list_contacts",
			map[string]any{"input": map[string]any{"limit": 2}}, bearer(a.ViewerToken))
		if r.Status != 200 || !strings.Contains(string(r.Body), `"items"`) {
			t.Fatalf("read action: %d %s", r.Status, r.Body)
		}
		write := map[string]any{"input": map[string]any{"email": "act@alpha.test", "firstname": "Act"}}
		wantProblem(t, call(t, http.MethodPost, s.BrainURL+"/api/v1/connections/"+connID+"/actions/hubspot.create_contact", write, bearer(a.ViewerToken)), 403, hub.EFORBIDDEN)
		if r := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections/"+connID+"/actions/hubspot.create_contact", write, bearer(a.MemberToken)); r.Status != 200 {
			t.Errorf("write action: %d %s", r.Status, r.Body)
		}
		wantProblem(t, call(t, http.MethodPost, s.BrainURL+"/api/v1/connections/"+connID+"/actions/hubspot.list_contacts",
			map[string]any{"input": map[string]any{"limit": "many"}}, bearer(a.ViewerToken)), 400, hub.EINVALID)
		wantProblem(t, call(t, http.MethodPost, s.BrainURL+"/api/v1/connections/"+connID+"/actions/slack.post_message",
			map[string]any{"input": map[string]any{"channel": "C1", "text": "hi"}}, bearer(a.MemberToken)), 400, hub.EINVALID)
		var page struct {
			Items []struct{ Provider, Email, Kind string }
		}
		crm := call(t, http.MethodGet, s.BrainURL+"/api/v1/crm/contacts?limit=5", nil, bearer(a.ViewerToken))
		crm.json(t, &page)
		if crm.Status != 200 || len(page.Items) == 0 || page.Items[0].Provider != "hubspot" || page.Items[0].Kind != "contacts" {
			t.Errorf("crm contacts: %d %s", crm.Status, crm.Body)
		}
		wantProblem(t, call(t, http.MethodGet, s.BrainURL+"/api/v1/crm/unicorns", nil, bearer(a.ViewerToken)), 400, hub.EINVALID)
		var none struct{ Items []any }
		call(t, http.MethodGet, s.BrainURL+"/api/v1/crm/contacts", nil, bearer(b.AdminToken)).json(t, &none)
		if len(none.Items) != 0 {
			t.Errorf("tenant B sees %d of A's CRM contacts", len(none.Items))
		}
	})

	t.Run("refresh through the gateway", func(t *testing.T) {
		o.ExpireAll()
		before := o.RefreshCount()
		if r := call(t, http.MethodGet, s.BrainURL+"/api/v1/connections/"+connID+"/proxy/crm/v3/objects/contacts?limit=1", nil, bearer(a.ViewerToken)); r.Status != 200 {
			t.Fatalf("after expiry: %d %s", r.Status, r.Body)
		}
		if got := o.RefreshCount() - before; got != 1 {
			t.Errorf("refreshes = %d, want 1", got)
		}
	})

	t.Run("connect with an api key is checked live", func(t *testing.T) {
		r := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "hubspot", "name": "Private app",
			"credentials": map[string]string{"access_token": "pat-wrong"}}, bearer(a.AdminToken))
		wantProblem(t, r, 400, hub.EINVALID)
		if !strings.Contains(r.field(t, "detail"), "HubSpot refused") {
			t.Errorf("detail %q does not give the platform's reason", r.field(t, "detail"))
		}
		access, _ := o.IssueToken()
		r = call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "hubspot", "name": "Private app",
			"credentials": map[string]string{"access_token": access}}, bearer(a.AdminToken))
		if r.Status != 201 || r.field(t, "auth_mode") != "api_key" {
			t.Fatalf("connect: %d %s", r.Status, r.Body)
		}
		if strings.Contains(string(r.Body), access) {
			t.Error("the answer echoes the credential")
		}
		wantProblem(t, call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "wordpress",
			"config": map[string]string{"site_url": "http://169.254.169.254"}, "credentials": map[string]string{"username": "u", "application_password": "p"}},
			bearer(a.AdminToken)), 400, hub.EINVALID)
	})

	t.Run("test and cross-tenant isolation", func(t *testing.T) {
		if r := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections/"+connID+"/test", nil, bearer(a.MemberToken)); r.Status != 200 || r.field(t, "status") != "connected" {
			t.Errorf("test: %d %s", r.Status, r.Body)
		}
		paths := []struct{ method, path string }{
			{"GET", "/api/v1/connections/" + connID},
			{"DELETE", "/api/v1/connections/" + connID},
			{"POST", "/api/v1/connections/" + connID + "/test"},
			{"GET", "/api/v1/connections/" + connID + "/checks"},
			{"GET", "/api/v1/connections/" + connID + "/proxy/crm/v3/objects/contacts"},
			{"POST", "/api/v1/connections/" + connID + "/actions/hubspot.list_contacts"},
			{"GET", "/api/v1/oauth/hubspot/authorize?connection_id=" + connID},
		}
		for _, p := range paths {
			var body any
			if p.method == "POST" {
				body = map[string]any{}
			}
			wantProblem(t, call(t, p.method, s.BrainURL+p.path, body, bearer(b.AdminToken)), 404, hub.ENOTFOUND)
		}
		var list struct{ Items []hub.Connection }
		call(t, http.MethodGet, s.BrainURL+"/api/v1/connections", nil, bearer(b.AdminToken)).json(t, &list)
		if len(list.Items) != 0 {
			t.Errorf("tenant B lists %d connections of A", len(list.Items))
		}
		if r := call(t, http.MethodGet, s.BrainURL+"/api/v1/connections/"+connID, nil, bearer(a.ViewerToken)); r.Status != 200 {
			t.Errorf("A's connection after B's attempts: %d", r.Status)
		}
	})

	t.Run("check history", func(t *testing.T) {
		for i := 0; i < 2; i++ {
			if r := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections/"+connID+"/test", nil, bearer(a.MemberToken)); r.Status != 200 {
				t.Fatalf("test: %d %s", r.Status, r.Body)
			}
		}
		checks := readChecks(t, s, a.ViewerToken, connID, "")
		// connect (OAuth callback), the test of the isolation step, then these two.
		if len(checks.Items) != 4 {
			t.Fatalf("checks = %d, want 4: %+v", len(checks.Items), checks.Items)
		}
		for i, c := range checks.Items {
			wantSource := hub.CheckSourceTest
			if i == 3 {
				wantSource = hub.CheckSourceConnect
			}
			if c.Source != wantSource || c.Status != hub.ConnectionConnected || !c.OK || c.Error != "" || c.LatencyMS < 0 ||
				c.ConnectionID != connID || c.ID == "" || c.CheckedAt.IsZero() {
				t.Errorf("check %d = %+v, want a successful %s check", i, c, wantSource)
			}
			if i > 0 && c.CheckedAt.After(checks.Items[i-1].CheckedAt) {
				t.Errorf("check %d is newer than check %d: not newest first", i, i-1)
			}
		}
		first := readChecks(t, s, a.ViewerToken, connID, "?limit=1")
		if len(first.Items) != 1 || first.NextCursor == "" || first.Items[0].ID != checks.Items[0].ID {
			t.Fatalf("first page = %+v", first)
		}
		second := readChecks(t, s, a.ViewerToken, connID, "?limit=1&cursor="+url.QueryEscape(first.NextCursor))
		if len(second.Items) != 1 || second.Items[0].ID != checks.Items[1].ID {
			t.Errorf("second page = %+v, want the second newest check", second)
		}
		wantProblem(t, call(t, http.MethodGet, s.BrainURL+"/api/v1/connections/"+connID+"/checks?limit=0", nil, bearer(a.ViewerToken)), 400, hub.EINVALID)
	})

	t.Run("scheduled health check workflow checks the connection", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c, err := client.Dial(client.Options{HostPort: s.TemporalAddress, Namespace: s.cfg.TemporalNamespace})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "check-connections-test", TaskQueue: workflows.TaskQueue},
			workflows.CheckConnections, workflows.HealthCheckInput{MaxAge: time.Nanosecond, Batch: 50})
		if err != nil {
			t.Fatal(err)
		}
		var res workflows.HealthCheckResult
		if err := run.Get(ctx, &res); err != nil {
			t.Fatal(err)
		}
		if res.Checked < 1 || res.Statuses["connected"] < 1 || res.Failed != 0 {
			t.Errorf("health check = %+v", res)
		}
		if got := readChecks(t, s, a.ViewerToken, connID, "?limit=1"); len(got.Items) != 1 || got.Items[0].Source != hub.CheckSourceScheduled {
			t.Errorf("newest check after the sweep = %+v, want a scheduled one", got.Items)
		}
		if os.Getenv("BIZOS_RECORD_HISTORY") == "1" {
			testenv.RecordHistory(t, ctx, c, run.GetID(), run.GetRunID(), "../../workflows/testdata/check_connections.json")
		}
	})

	t.Run("disconnect", func(t *testing.T) {
		wantProblem(t, call(t, http.MethodDelete, s.BrainURL+"/api/v1/connections/"+connID, nil, bearer(a.ViewerToken)), 403, hub.EFORBIDDEN)
		if r := call(t, http.MethodDelete, s.BrainURL+"/api/v1/connections/"+connID, nil, bearer(a.AdminToken)); r.Status != 204 {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		wantProblem(t, call(t, http.MethodGet, s.BrainURL+"/api/v1/connections/"+connID, nil, bearer(a.AdminToken)), 404, hub.ENOTFOUND)
	})

	t.Run("tenant brings its own oauth app", func(t *testing.T) {
		wantProblem(t, call(t, http.MethodPut, s.BrainURL+"/api/v1/oauth-apps/hubspot",
			map[string]string{"client_id": "b-client", "client_secret": "b-secret-value"}, bearer(b.MemberToken)), 403, hub.EFORBIDDEN)
		wantProblem(t, call(t, http.MethodPut, s.BrainURL+"/api/v1/oauth-apps/stripe",
			map[string]string{"client_id": "x", "client_secret": "y"}, bearer(b.AdminToken)), 400, hub.EINVALID)
		r := call(t, http.MethodPut, s.BrainURL+"/api/v1/oauth-apps/hubspot",
			map[string]string{"client_id": "b-client", "client_secret": "b-secret-value"}, bearer(b.AdminToken))
		if r.Status != 200 || strings.Contains(string(r.Body), "b-secret-value") {
			t.Fatalf("put app: %d %s", r.Status, r.Body)
		}
		auth := call(t, http.MethodGet, s.BrainURL+"/api/v1/oauth/hubspot/authorize", nil, bearer(b.AdminToken))
		u, _ := url.Parse(auth.field(t, "authorize_url"))
		if got := u.Query().Get("client_id"); got != "b-client" {
			t.Errorf("tenant B's authorize URL uses client %q, want its own", got)
		}
		// Tenant A still uses the operator's app.
		auth = call(t, http.MethodGet, s.BrainURL+"/api/v1/oauth/hubspot/authorize", nil, bearer(a.AdminToken))
		u, _ = url.Parse(auth.field(t, "authorize_url"))
		if got := u.Query().Get("client_id"); got != "hs-client" {
			t.Errorf("tenant A's authorize URL uses client %q, want the operator's", got)
		}
		list := call(t, http.MethodGet, s.BrainURL+"/api/v1/oauth-apps", nil, bearer(b.MemberToken))
		if !strings.Contains(string(list.Body), "b-client") || strings.Contains(string(list.Body), "b-secret-value") {
			t.Errorf("apps list: %s", list.Body)
		}
		if r := call(t, http.MethodDelete, s.BrainURL+"/api/v1/oauth-apps/hubspot", nil, bearer(b.AdminToken)); r.Status != 204 {
			t.Errorf("delete app: %d", r.Status)
		}
	})

	t.Run("secrets stay out of logs", func(t *testing.T) {
		logs := s.logs.String()
		for _, secret := range []string{"hs-secret", "refresh_token=", "b-secret-value"} {
			if strings.Contains(logs, secret) {
				t.Errorf("logs contain %q", secret)
			}
		}
	})
}

// checkPage is one page of GET /api/v1/connections/{id}/checks.
type checkPage struct {
	Items      []hub.ConnectionCheck `json:"items"`
	NextCursor string                `json:"next_cursor"`
}

// readChecks reads a page of a connection's check history; query starts with "?".
func readChecks(t *testing.T, s *testStack, token, connID, query string) checkPage {
	t.Helper()
	r := call(t, http.MethodGet, s.BrainURL+"/api/v1/connections/"+connID+"/checks"+query, nil, bearer(token))
	if r.Status != 200 {
		t.Fatalf("checks: %d %s", r.Status, r.Body)
	}
	var page checkPage
	r.json(t, &page)
	return page
}

// oauthConnect connects provider for the token's tenant through the gateway,
// playing the browser against the platform's fake, and returns the connection id.
func (s *testStack) oauthConnect(t *testing.T, token, provider string) string {
	t.Helper()
	r := call(t, http.MethodGet, s.BrainURL+"/api/v1/oauth/"+provider+"/authorize", nil, bearer(token))
	if r.Status != 200 {
		t.Fatalf("authorize: %d %s", r.Status, r.Body)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(r.field(t, "authorize_url"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	cb := call(t, http.MethodGet, s.BrainURL+loc.Path+"?"+loc.RawQuery, nil)
	if cb.Status != 201 {
		t.Fatalf("callback: %d %s", cb.Status, cb.Body)
	}
	return cb.field(t, "id")
}

package automation_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/automation"
	"github.com/bizoshub/bizos/httpapi"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/secrets"
)

type headerAuth struct{}

func (headerAuth) Authenticate(r *http.Request) (hub.Principal, error) {
	t := r.Header.Get("X-Tenant")
	if t == "" {
		return hub.Principal{}, hub.Errorf(hub.EUNAUTHORIZED, "no credentials")
	}
	return hub.Principal{Kind: hub.PrincipalUser, ID: "u-" + t, TenantID: t}, nil
}

type allowAll struct{}

func (allowAll) Authorize(_ context.Context, p hub.Principal, tenantID, _, _ string) error {
	if p.TenantID != tenantID {
		return hub.Errorf(hub.ENOTFOUND, "Tenant not found.")
	}
	return nil
}
func (allowAll) AssignRole(context.Context, string, string, hub.Role) error  { return nil }
func (allowAll) GrantScopes(context.Context, string, string, []string) error { return nil }
func (allowAll) RevokePrincipal(context.Context, string) error               { return nil }

// catalog knows two fake actions.
func catalog(name string) (string, bool, bool) {
	switch name {
	case "hubspot.update_contact":
		return "hubspot", true, true
	case "stripe.list_invoices":
		return "stripe", false, true
	}
	return "", false, false
}

type fixture struct {
	db       *postgres.DB
	rules    *postgres.RuleStore
	webhooks *postgres.WebhookStore
	events   *postgres.EventStore
	conns    *postgres.ConnectionStore
	tenantA  string
	tenantB  string
	connA    *hub.Connection // hubspot, tenant A
	connB    *hub.Connection // hubspot, tenant B
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db := testenv.NewDB(t)
	spec, _ := secrets.NewKeySpec(1)
	ring, err := secrets.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, rules: postgres.NewRuleStore(db), webhooks: postgres.NewWebhookStore(db, ring),
		events: postgres.NewEventStore(db), conns: postgres.NewConnectionStore(db, ring)}
	tenants := postgres.NewTenantStore(db)
	for i, slug := range []string{"alpha", "beta"} {
		tn := &hub.Tenant{Name: slug, Slug: testenv.UniqueName(slug)}
		if err := tenants.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
		c := &hub.Connection{TenantID: tn.ID, Provider: "hubspot", Name: "crm", AuthMode: "api_key", Status: hub.ConnectionConnected,
			CreatedBy: "user:u"}
		if err := f.conns.CreateConnection(ctx, c, &hub.Credentials{Fields: map[string]string{"access_token": "x"}}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			f.tenantA, f.connA = tn.ID, c
		} else {
			f.tenantB, f.connB = tn.ID, c
		}
	}
	return f
}

func (f *fixture) service(c automation.Config) *automation.Service {
	c.Rules, c.Connections, c.Webhooks, c.Actions = f.rules, f.conns, f.webhooks, catalog
	c.Agents, c.Playbooks = postgres.NewAgentStore(f.db, nil), postgres.NewPlaybookStore(f.db)
	return automation.NewService(c)
}

func (f *fixture) server(t *testing.T, svc *automation.Service) *httptest.Server {
	t.Helper()
	e, err := httpapi.NewEcho(httpapi.ServerConfig{Service: "test", Log: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	httpapi.Mount(e, automation.NewHandler(svc).Routes(), headerAuth{}, allowAll{})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, srv *httptest.Server, tenant, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	req.Header.Set("X-Tenant", tenant)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// fakeRunner records connector calls and fails while failWith is set.
type fakeRunner struct {
	mu       sync.Mutex
	calls    []fakeCall
	failWith error
}

type fakeCall struct {
	TenantID, ConnectionID, Action string
	Input                          map[string]any
}

func (r *fakeRunner) RunAction(_ context.Context, tenantID, connectionID, action string, input json.RawMessage) (any, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var in map[string]any
	_ = json.Unmarshal(input, &in)
	r.calls = append(r.calls, fakeCall{tenantID, connectionID, action, in})
	if r.failWith != nil {
		return nil, r.failWith
	}
	return map[string]any{"ok": true, "id": "c-1"}, nil
}

func (r *fakeRunner) snapshot() []fakeCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]fakeCall(nil), r.calls...)
}

func (r *fakeRunner) setFail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failWith = err
}

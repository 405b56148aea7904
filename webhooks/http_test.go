package webhooks_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/egress"
	"github.com/bizoshub/bizos/httpapi"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/secrets"
	"github.com/bizoshub/bizos/webhooks"
)

// headerAuth authenticates "X-Tenant: <tenant id>" as a user of that tenant.
type headerAuth struct{}

func (headerAuth) Authenticate(r *http.Request) (hub.Principal, error) {
	t := r.Header.Get("X-Tenant")
	if t == "" {
		return hub.Principal{}, hub.Errorf(hub.EUNAUTHORIZED, "no credentials")
	}
	return hub.Principal{Kind: hub.PrincipalUser, ID: "u-" + t, TenantID: t}, nil
}

// allowAll lets every principal do everything inside its own tenant.
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

type fixture struct {
	db      *postgres.DB
	store   *postgres.WebhookStore
	events  *postgres.EventStore
	tenantA string
	tenantB string
	policy  *egress.Policy
	ring    hub.Cipher
	tenants *postgres.TenantStore
}

func newFixture(t *testing.T, allow string) *fixture {
	t.Helper()
	db := testenv.NewDB(t)
	spec, _ := secrets.NewKeySpec(1)
	ring, err := secrets.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	policy, err := egress.ParsePolicy(allow)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, store: postgres.NewWebhookStore(db, ring), events: postgres.NewEventStore(db), policy: policy, ring: ring,
		tenants: postgres.NewTenantStore(db)}
	for i, slug := range []string{"alpha", "beta"} {
		tn := &hub.Tenant{Name: slug, Slug: testenv.UniqueName(slug)}
		if err := f.tenants.CreateTenant(context.Background(), tn); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			f.tenantA = tn.ID
		} else {
			f.tenantB = tn.ID
		}
	}
	return f
}

func (f *fixture) server(t *testing.T, svc *webhooks.Service) *httptest.Server {
	t.Helper()
	e, err := httpapi.NewEcho(httpapi.ServerConfig{Service: "test", Log: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	httpapi.Mount(e, webhooks.NewHandler(svc).Routes(), headerAuth{}, allowAll{})
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

func TestEndpointAPI(t *testing.T) {
	f := newFixture(t, "")
	srv := f.server(t, webhooks.NewService(webhooks.Config{Store: f.store, Egress: f.policy}))
	A, B := f.tenantA, f.tenantB

	// Validation.
	for name, tc := range map[string]struct {
		body, field string
	}{
		"bad url":          {`{"url":"ftp://x.example/h","event_types":["*"]}`, "url"},
		"no url":           {`{"event_types":["*"]}`, "url"},
		"private address":  {`{"url":"http://127.0.0.1:9/h","event_types":["*"]}`, "url"},
		"metadata address": {`{"url":"http://169.254.169.254/latest","event_types":["*"]}`, "url"},
		"empty list":       {`{"url":"https://203.0.113.10/h","event_types":[]}`, "event_types"},
		"bad pattern":      {`{"url":"https://203.0.113.10/h","event_types":["stripe.*.paid"]}`, "event_types"},
		"upper case":       {`{"url":"https://203.0.113.10/h","event_types":["Stripe"]}`, "event_types"},
	} {
		status, body := call(t, srv, A, http.MethodPost, "/api/v1/webhooks", tc.body)
		fields, _ := body["errors"].(map[string]any)
		if status != http.StatusBadRequest || fields[tc.field] == nil {
			t.Errorf("%s: %d %v", name, status, body)
		}
	}

	// Create shows the secret once.
	status, ep := call(t, srv, A, http.MethodPost, "/api/v1/webhooks",
		`{"url":"https://203.0.113.10/h","event_types":["stripe.*","*"],"description":"billing"}`)
	if status != http.StatusCreated {
		t.Fatalf("create = %d %v", status, ep)
	}
	id, _ := ep["id"].(string)
	if s, _ := ep["secret"].(string); !strings.HasPrefix(s, "whsec_") || id == "" || ep["enabled"] != true {
		t.Fatalf("created = %v", ep)
	}
	status, got := call(t, srv, A, http.MethodGet, "/api/v1/webhooks/"+id, "")
	if status != http.StatusOK || got["secret"] != nil || got["description"] != "billing" {
		t.Errorf("get = %d %v", status, got)
	}
	status, list := call(t, srv, A, http.MethodGet, "/api/v1/webhooks", "")
	items, _ := list["items"].([]any)
	if status != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["secret"] != nil {
		t.Errorf("list = %d %v", status, list)
	}

	// Tenant isolation: B sees nothing of A's endpoint.
	for _, r := range []struct{ method, path, body string }{
		{http.MethodGet, "/api/v1/webhooks/" + id, ""},
		{http.MethodPatch, "/api/v1/webhooks/" + id, `{"enabled":false}`},
		{http.MethodDelete, "/api/v1/webhooks/" + id, ""},
		{http.MethodPost, "/api/v1/webhooks/" + id + "/rotate-secret", ""},
		{http.MethodGet, "/api/v1/webhooks/" + id + "/deliveries", ""},
		{http.MethodPost, "/api/v1/webhooks/" + id + "/deliveries/" + id + "/replay", ""},
		{http.MethodGet, "/api/v1/webhooks/not-a-uuid", ""},
	} {
		if status, body := call(t, srv, B, r.method, r.path, r.body); status != http.StatusNotFound {
			t.Errorf("B %s %s = %d %v", r.method, r.path, status, body)
		}
	}
	if _, list := call(t, srv, B, http.MethodGet, "/api/v1/webhooks", ""); len(list["items"].([]any)) != 0 {
		t.Error("B lists A's endpoints")
	}

	// Patch, rotate, deliveries, delete.
	status, got = call(t, srv, A, http.MethodPatch, "/api/v1/webhooks/"+id, `{"event_types":["shopify.orders.create"],"enabled":false}`)
	if status != http.StatusOK || got["enabled"] != false || got["event_types"].([]any)[0] != "shopify.orders.create" {
		t.Errorf("patch = %d %v", status, got)
	}
	if status, _ := call(t, srv, A, http.MethodPatch, "/api/v1/webhooks/"+id, `{"url":"http://10.0.0.1/"}`); status != http.StatusBadRequest {
		t.Errorf("patch to a private URL = %d", status)
	}
	status, rot := call(t, srv, A, http.MethodPost, "/api/v1/webhooks/"+id+"/rotate-secret", "")
	if status != http.StatusOK || rot["secret"] == ep["secret"] || !strings.HasPrefix(rot["secret"].(string), "whsec_") {
		t.Errorf("rotate = %d %v", status, rot)
	}
	sec, err := f.store.WebhookSecrets(context.Background(), A, id)
	if err != nil || sec.Current != rot["secret"] || sec.Previous != ep["secret"] {
		t.Errorf("stored secrets after rotation do not match (err %v)", err)
	}
	status, dl := call(t, srv, A, http.MethodGet, "/api/v1/webhooks/"+id+"/deliveries", "")
	if status != http.StatusOK || len(dl["items"].([]any)) != 0 {
		t.Errorf("deliveries = %d %v", status, dl)
	}
	if status, _ := call(t, srv, A, http.MethodDelete, "/api/v1/webhooks/"+id, ""); status != http.StatusNoContent {
		t.Errorf("delete = %d", status)
	}
	if status, _ := call(t, srv, A, http.MethodGet, "/api/v1/webhooks/"+id, ""); status != http.StatusNotFound {
		t.Errorf("get after delete = %d", status)
	}
}

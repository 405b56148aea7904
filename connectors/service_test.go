package connectors_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/connectors"
	"github.com/bizoshub/bizos/egress"
	"github.com/bizoshub/bizos/internal/fakes"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/redisstore"
	"github.com/bizoshub/bizos/secrets"
)

// harness is a connector service on the real PostgreSQL and Redis, with the
// catalogue pointed at local fakes.
type harness struct {
	t       *testing.T
	db      *postgres.DB
	store   *postgres.ConnectionStore
	user    hub.Principal
	catalog *connectors.Catalog
	apps    map[string]connectors.Override
	newSvc  func(mod func(*connectors.Config)) *connectors.Service
	svc     *connectors.Service
}

func newHarness(t *testing.T, overrides map[string]connectors.Override, mod func(*connectors.Config)) *harness {
	t.Helper()
	ctx := context.Background()
	db := testenv.NewDB(t)
	rdb, prefix := testenv.NewRedis(t)
	spec, _ := secrets.NewKeySpec(1)
	ring, _ := secrets.ParseKeyring(spec)
	tenant := &hub.Tenant{Name: "Acme", Slug: "acme"}
	if err := postgres.NewTenantStore(db).CreateTenant(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	catalog, err := connectors.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if err := catalog.ApplyOverrides(overrides); err != nil {
		t.Fatal(err)
	}
	policy, err := egress.ParsePolicy("127.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, db: db, store: postgres.NewConnectionStore(db, ring), catalog: catalog, apps: overrides,
		user: hub.Principal{Kind: hub.PrincipalUser, ID: "u1", TenantID: tenant.ID}}
	h.newSvc = func(extra func(*connectors.Config)) *connectors.Service {
		cfg := connectors.Config{
			Catalog: catalog, Store: h.store,
			States: redisstore.NewStates(rdb, prefix+"state:"), Locks: redisstore.NewLocker(rdb, prefix+"lock:"),
			Egress: policy, Apps: overrides, PublicURL: "http://hub.test",
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxRetryWait: 2 * time.Second,
		}
		if mod != nil {
			mod(&cfg)
		}
		if extra != nil {
			extra(&cfg)
		}
		return connectors.New(cfg)
	}
	h.svc = h.newSvc(nil)
	return h
}

// oauthConnect runs the browser part of the flow against the fake and
// returns the new connection.
func (h *harness) oauthConnect(provider string, config map[string]string) *hub.Connection {
	h.t.Helper()
	ctx := context.Background()
	auth, err := h.svc.Authorize(ctx, h.user, connectors.AuthorizeRequest{Provider: provider, Config: config})
	if err != nil {
		h.t.Fatal(err)
	}
	cb := h.followAuthorize(auth.AuthorizeURL)
	res, err := h.svc.Callback(ctx, cb)
	if err != nil {
		h.t.Fatalf("callback: %v", err)
	}
	return res.Connection
}

// followAuthorize opens the authorize URL like a browser and returns the
// query the platform sends back to the hub's callback.
func (h *harness) followAuthorize(authorizeURL string) url.Values {
	h.t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(authorizeURL)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		h.t.Fatalf("authorize answered %d, location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != "http://hub.test/api/v1/oauth/callback" {
		h.t.Fatalf("redirect to %s", got)
	}
	return loc.Query()
}

func get(t *testing.T, svc *connectors.Service, conn *hub.Connection, path string) (int, string) {
	t.Helper()
	resp, err := svc.Do(context.Background(), conn, http.MethodGet, path, nil, nil, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func hubspotFakes(t *testing.T, rotate bool) (*fakes.OAuth, *fakes.HubSpot, map[string]connectors.Override) {
	o := fakes.NewOAuth(t, fakes.OAuthOptions{ClientID: "hs-client", ClientSecret: "hs-secret", TokenAuth: "params", RotateRefresh: rotate})
	hs := fakes.NewHubSpot(t, fakes.Options{Authorize: o.Authorizer("Authorization", "Bearer ")})
	return o, hs, map[string]connectors.Override{"hubspot": {APIBaseURL: hs.URL, AuthorizationURL: o.AuthorizeURL(),
		TokenURL: o.TokenURL(), ClientID: "hs-client", ClientSecret: "hs-secret"}}
}

func TestOAuthConnectProxyAndRefresh(t *testing.T) {
	o, _, overrides := hubspotFakes(t, true)
	h := newHarness(t, overrides, nil)
	conn := h.oauthConnect("hubspot", nil)
	if conn.Status != hub.ConnectionConnected || conn.AuthMode != connectors.ModeOAuth2 {
		t.Fatalf("connection = %+v", conn)
	}
	q := o.LastAuthorizeQuery()
	if q.Get("client_id") != "hs-client" || !strings.Contains(q.Get("scope"), "crm.objects.contacts.read") {
		t.Errorf("authorize query = %v", q)
	}
	status, body := get(t, h.svc, conn, "/crm/v3/objects/contacts?limit=2")
	if status != 200 || !strings.Contains(body, `"results"`) || !strings.Contains(body, `"after"`) {
		t.Fatalf("contacts = %d %s", status, body)
	}
	before, _, _ := h.store.ConnectionCredentials(context.Background(), h.user.TenantID, conn.ID)
	o.ExpireAll() // the platform now refuses the access token: the hub refreshes on 401
	if status, body := get(t, h.svc, conn, "/crm/v3/objects/contacts?limit=1"); status != 200 {
		t.Fatalf("after expiry = %d %s", status, body)
	}
	if got := o.RefreshCount(); got != 1 {
		t.Errorf("refreshes = %d, want 1", got)
	}
	after, _, _ := h.store.ConnectionCredentials(context.Background(), h.user.TenantID, conn.ID)
	if after.AccessToken == before.AccessToken || after.RefreshToken == before.RefreshToken {
		t.Error("the rotated tokens were not stored")
	}
}

func TestStateIsSingleUseAndUnforgeable(t *testing.T) {
	_, _, overrides := hubspotFakes(t, false)
	h := newHarness(t, overrides, nil)
	ctx := context.Background()
	auth, err := h.svc.Authorize(ctx, h.user, connectors.AuthorizeRequest{Provider: "hubspot"})
	if err != nil {
		t.Fatal(err)
	}
	cb := h.followAuthorize(auth.AuthorizeURL)
	forged := url.Values{"code": cb["code"], "state": {"forged-state"}}
	if _, err := h.svc.Callback(ctx, forged); hub.ErrorCode(err) != hub.EINVALID {
		t.Errorf("forged state: %v", err)
	}
	if _, err := h.svc.Callback(ctx, cb); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Callback(ctx, cb); hub.ErrorCode(err) != hub.EINVALID {
		t.Errorf("replayed state: %v", err)
	}
	conns, _, _ := h.store.ListConnections(ctx, h.user.TenantID, hub.Page{})
	if len(conns) != 1 {
		t.Errorf("connections = %d, want 1", len(conns))
	}
}

func TestInvalidGrantMarksExpiredAndKeepsCredentials(t *testing.T) {
	o, _, overrides := hubspotFakes(t, false)
	h := newHarness(t, overrides, nil)
	ctx := context.Background()
	conn := h.oauthConnect("hubspot", nil)
	before, _, _ := h.store.ConnectionCredentials(ctx, h.user.TenantID, conn.ID)
	o.RevokeRefreshTokens()
	o.ExpireAll()
	_, err := h.svc.Do(ctx, conn, http.MethodGet, "/crm/v3/objects/contacts", nil, nil, nil)
	if hub.ErrorCode(err) != hub.EUNAUTHORIZED || !strings.Contains(hub.ErrorMessage(err), "invalid_grant") {
		t.Fatalf("err = %v, want unauthorized naming invalid_grant", err)
	}
	got, _ := h.store.Connection(ctx, h.user.TenantID, conn.ID)
	if got.Status != hub.ConnectionExpired || !strings.Contains(got.LastError, "invalid_grant") {
		t.Errorf("connection = %s %q", got.Status, got.LastError)
	}
	after, _, _ := h.store.ConnectionCredentials(ctx, h.user.TenantID, conn.ID)
	if after.RefreshToken != before.RefreshToken || after.AccessToken != before.AccessToken {
		t.Error("a failed refresh changed the stored credentials")
	}
	if _, err := h.svc.Do(ctx, got, http.MethodGet, "/crm/v3/objects/contacts", nil, nil, nil); hub.ErrorCode(err) != hub.EUNAUTHORIZED {
		t.Errorf("call on an expired connection: %v", err)
	}
}

// TestRefreshStorm sends 500 concurrent calls on an expired token through
// two service instances (two brain replicas sharing PostgreSQL and Redis):
// the platform sees exactly one refresh.
func TestRefreshStorm(t *testing.T) {
	o, _, overrides := hubspotFakes(t, true)
	h := newHarness(t, overrides, func(c *connectors.Config) { c.MaxConcurrency = 64; c.MaxRetries = 5 })
	conn := h.oauthConnect("hubspot", nil)
	replicas := []*connectors.Service{h.svc, h.newSvc(nil)}
	o.ExpireAll()
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	var failures []error
	for i := 0; i < 500; i++ {
		wg.Add(1)
		go func(svc *connectors.Service) {
			defer wg.Done()
			resp, err := svc.Do(context.Background(), conn, http.MethodGet, "/crm/v3/objects/contacts?limit=1", nil, nil, nil)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, err)
				return
			}
			statuses[resp.StatusCode]++
			resp.Body.Close()
		}(replicas[i%2])
	}
	wg.Wait()
	if got := o.RefreshCount(); got != 1 {
		t.Errorf("refreshes at the platform = %d, want 1", got)
	}
	if statuses[http.StatusUnauthorized] > 0 || len(failures) > 0 {
		t.Errorf("statuses %v, failures %v", statuses, failures)
	}
}

func TestConnectRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	_, hs, overrides := hubspotFakes(t, false)
	h := newHarness(t, overrides, nil)
	tests := []struct {
		name  string
		req   connectors.ConnectRequest
		field string
	}{
		{"unknown provider", connectors.ConnectRequest{Provider: "myspace"}, "provider"},
		{"oauth-only provider", connectors.ConnectRequest{Provider: "slack"}, "provider"},
		{"missing credential", connectors.ConnectRequest{Provider: "hubspot"}, "credentials.access_token"},
		{"unknown field", connectors.ConnectRequest{Provider: "hubspot", Credentials: map[string]string{"access_token": "x", "bogus": "1"}}, "credentials.bogus"},
		{"missing config", connectors.ConnectRequest{Provider: "wordpress", Credentials: map[string]string{"username": "a", "application_password": "b"}}, "config.site_url"},
		{"malformed config", connectors.ConnectRequest{Provider: "shopify", Config: map[string]string{"shop": "Not A Shop!"}, Credentials: map[string]string{"access_token": "x"}}, "config.shop"},
		{"metadata address", connectors.ConnectRequest{Provider: "wordpress", Config: map[string]string{"site_url": "http://169.254.169.254"},
			Credentials: map[string]string{"username": "a", "application_password": "b"}}, "config.site_url"},
		{"private address", connectors.ConnectRequest{Provider: "wordpress", Config: map[string]string{"site_url": "http://10.0.0.1"},
			Credentials: map[string]string{"username": "a", "application_password": "b"}}, "config.site_url"},
		{"refused credentials", connectors.ConnectRequest{Provider: "hubspot", Credentials: map[string]string{"access_token": "pat-na1-wrong"}}, "credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.svc.Connect(ctx, h.user, tt.req)
			var he *hub.Error
			if hub.ErrorCode(err) != hub.EINVALID || !asErr(err, &he) || he.Fields[tt.field] == "" {
				t.Fatalf("err = %v (fields %v), want invalid naming %s", err, fieldsOf(err), tt.field)
			}
		})
	}
	if n := hs.Requests(); n != 1 {
		t.Errorf("platform calls = %d, want only the refused credential check", n)
	}
	conns, _, _ := h.store.ListConnections(ctx, h.user.TenantID, hub.Page{})
	if len(conns) != 0 {
		t.Errorf("%d connections saved by refused requests", len(conns))
	}
}

func asErr(err error, target **hub.Error) bool {
	e, ok := err.(*hub.Error)
	if ok {
		*target = e
	}
	return ok
}

func fieldsOf(err error) map[string]string {
	if e, ok := err.(*hub.Error); ok {
		return e.Fields
	}
	return nil
}

package mcpserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/prometheus/client_golang/prometheus"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/authn"
	"github.com/bizoshub/bizos/httpapi"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/mcpserver"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/rbac"
	"github.com/bizoshub/bizos/secrets"
)

func TestMain(m *testing.M) {
	// API keys can be granted knowledge:read once knowledge bases join
	// hub.Resources; until then the test adds the resource itself.
	if !slices.Contains(hub.Resources, mcpserver.ResourceKnowledge) {
		hub.Resources = append(hub.Resources, mcpserver.ResourceKnowledge)
	}
	os.Exit(m.Run())
}

// The fake catalogue: two HubSpot actions (a read and a write) and a Stripe read.
var catalog = map[string][]mcpserver.Action{
	"hubspot": {
		{Name: "hubspot.create_contact", Provider: "hubspot", Title: "Create a HubSpot contact", Write: true,
			Description: "Creates a contact.",
			Input:       json.RawMessage(`{"type":"object","properties":{"email":{"type":"string"}},"required":["email"]}`),
			Output:      json.RawMessage(`{"type":"object","properties":{"id":{"type":"string"}}}`)},
		{Name: "hubspot.search_contacts", Provider: "hubspot", Title: "Search HubSpot contacts",
			Description: "Finds contacts.",
			Input:       json.RawMessage(`{"type":"object","properties":{"email":{"type":"string"}}}`),
			Output:      json.RawMessage(`{"type":"object","properties":{"items":{"type":"array"}}}`)},
	},
	"stripe": {
		{Name: "stripe.list_invoices", Provider: "stripe", Title: "List Stripe invoices",
			Description: "Lists invoices.",
			Input:       json.RawMessage(`{"type":"object","properties":{"limit":{"type":"integer"}}}`),
			Output:      json.RawMessage(`{"type":"object","properties":{"items":{"type":"array"}}}`)},
	},
}

func fakeActions(provider string) []mcpserver.Action { return catalog[provider] }

// runner records action calls; actions named in fail answer that error.
type runner struct {
	mu    sync.Mutex
	calls []runCall
	fail  map[string]error
}

type runCall struct {
	TenantID, ConnectionID, Action string
	Input                          map[string]any
}

func (r *runner) RunAction(_ context.Context, tenantID, connectionID, action string, input json.RawMessage) (any, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var in map[string]any
	_ = json.Unmarshal(input, &in)
	r.calls = append(r.calls, runCall{tenantID, connectionID, action, in})
	if err := r.fail[action]; err != nil {
		return nil, err
	}
	return map[string]any{"items": []any{map[string]any{"id": "in_1"}}, "action": action}, nil
}

func (r *runner) take() []runCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

// searcher records knowledge searches.
type searcher struct {
	mu    sync.Mutex
	calls []searchCall
}

type searchCall struct {
	TenantID string
	KBIDs    []string
	Query    string
	Limit    int
}

func (s *searcher) SearchKnowledge(_ context.Context, tenantID string, kbIDs []string, query string, limit int) ([]*hub.SearchResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, searchCall{tenantID, kbIDs, query, limit})
	return []*hub.SearchResult{{ChunkID: "ch1", KnowledgeBaseID: kbIDs[0], DocumentID: "d1", DocumentName: "Refunds.md",
		Text: "Refunds are issued within 14 days.", Score: 0.9}}, nil
}

func (s *searcher) take() []searchCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls
	s.calls = nil
	return c
}

// kbLister knows one knowledge base of one tenant.
type kbLister struct{ tenantID string }

func (l kbLister) ListKnowledgeBases(_ context.Context, tenantID string, _ hub.Page) ([]*hub.KnowledgeBase, string, error) {
	if tenantID != l.tenantID {
		return nil, "", nil
	}
	return []*hub.KnowledgeBase{{ID: "kb-help", TenantID: tenantID, Name: "Help centre", Description: "Support articles"}}, "", nil
}

type fixture struct {
	db       *postgres.DB
	conns    *postgres.ConnectionStore
	apiKeys  *postgres.APIKeyStore
	authz    *rbac.Authorizer
	audit    *postgres.AuditLog
	tenantA  string
	tenantB  string
	stripeA  *hub.Connection
	hubspotA []*hub.Connection // two, so their tools carry suffixes
	hubspotB *hub.Connection
	runner   *runner
	search   *searcher
	srv      *httptest.Server
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, fakeActions)
}

// newFixtureWith builds the fixture on an action catalogue.
func newFixtureWith(t *testing.T, actions mcpserver.ActionCatalog) *fixture {
	t.Helper()
	ctx := context.Background()
	db := testenv.NewDB(t)
	spec, _ := secrets.NewKeySpec(1)
	ring, err := secrets.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	authz, err := rbac.New(postgres.NewCasbinAdapter(db), nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, conns: postgres.NewConnectionStore(db, ring), apiKeys: postgres.NewAPIKeyStore(db), authz: authz,
		audit: postgres.NewAuditLog(db), runner: &runner{fail: map[string]error{}}, search: &searcher{}}
	tenants := postgres.NewTenantStore(db)
	newTenant := func(slug string) string {
		tn := &hub.Tenant{Name: slug, Slug: testenv.UniqueName(slug)}
		if err := tenants.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
		return tn.ID
	}
	f.tenantA, f.tenantB = newTenant("alpha"), newTenant("beta")
	f.stripeA = f.connect(t, f.tenantA, "stripe", "Payments")
	f.hubspotA = []*hub.Connection{f.connect(t, f.tenantA, "hubspot", "Sales CRM"), f.connect(t, f.tenantA, "hubspot", "Support CRM")}
	f.hubspotB = f.connect(t, f.tenantB, "hubspot", "Beta CRM")

	h, err := mcpserver.New(mcpserver.Config{
		Authenticator:  authn.NewAuthenticator(nil, f.apiKeys),
		Authorizer:     authz,
		Connections:    f.conns,
		Actions:        actions,
		Runner:         f.runner,
		Knowledge:      f.search,
		KnowledgeBases: kbLister{tenantID: f.tenantA},
		Audit:          f.audit,
		Log:            slog.New(slog.DiscardHandler),
		CacheTTL:       -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = serve(t, h)
	return f
}

func serve(t *testing.T, h *mcpserver.Handler) *httptest.Server {
	t.Helper()
	e, err := httpapi.NewEcho(httpapi.ServerConfig{Service: "test", Log: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	httpapi.Mount(e, h.Routes(), nil, nil)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

func (f *fixture) connect(t *testing.T, tenantID, provider, name string) *hub.Connection {
	t.Helper()
	c := &hub.Connection{TenantID: tenantID, Provider: provider, Name: name, AuthMode: "api_key", Status: hub.ConnectionConnected, CreatedBy: "user:u"}
	if err := f.conns.CreateConnection(context.Background(), c, &hub.Credentials{Fields: map[string]string{"api_key": "x"}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond) // distinct creation times keep the order stable
	return c
}

// key creates an API key of the tenant with scopes, as authsvc does.
func (f *fixture) key(t *testing.T, tenantID string, scopes ...string) string {
	t.Helper()
	ctx := context.Background()
	secret, prefix, hash, err := hub.NewAPIKeySecret()
	if err != nil {
		t.Fatal(err)
	}
	k := &hub.APIKey{TenantID: tenantID, Name: "mcp test", Prefix: prefix, Scopes: scopes, CreatedBy: uuid.NewString()}
	if err := f.apiKeys.CreateAPIKey(ctx, k, hash); err != nil {
		t.Fatal(err)
	}
	if len(scopes) > 0 {
		if err := f.authz.GrantScopes(ctx, k.ID, tenantID, scopes); err != nil {
			t.Fatal(err)
		}
	}
	return secret
}

// suffix is the tool-name suffix of a connection that shares its platform.
func suffix(c *hub.Connection) string {
	id := strings.ReplaceAll(c.ID, "-", "")
	return "__" + id[len(id)-8:]
}

type headerTransport struct {
	header http.Header
	base   http.RoundTripper
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range t.header {
		r.Header[k] = v
	}
	return t.base.RoundTrip(r)
}

// Protocol versions the tests speak: the SDK client's default (the sessionless
// 2026-07-28 draft, server/discover) and the initialize handshake that
// today's clients use.
var protocols = []string{"", "2025-06-18"}

// session connects the SDK's own client to the server with the given headers.
func session(t *testing.T, srv *httptest.Server, header http.Header) (*mcp.ClientSession, error) {
	t.Helper()
	return sessionAt(t, srv, header, "")
}

// sessionAt is session speaking one protocol version ("" for the client's default).
func sessionAt(t *testing.T, srv *httptest.Server, header http.Header, version string) (*mcp.ClientSession, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	client := mcp.NewClient(&mcp.Implementation{Name: "mcpserver-test", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint:   srv.URL + mcpserver.Path,
		HTTPClient: &http.Client{Transport: headerTransport{header: header, base: http.DefaultTransport}, Timeout: 30 * time.Second},
		MaxRetries: -1,
	}, &mcp.ClientSessionOptions{ProtocolVersion: version})
	if err == nil {
		t.Cleanup(func() { _ = cs.Close() })
	}
	return cs, err
}

func toolNames(t *testing.T, cs *mcp.ClientSession) []string {
	t.Helper()
	names := []string{}
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatalf("list tools: %v", err)
		}
		names = append(names, tool.Name)
	}
	sort.Strings(names)
	return names
}

func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func TestScopedKeys(t *testing.T) {
	f := newFixture(t)
	a1, a2 := f.hubspotA[0], f.hubspotA[1]
	reads := []string{"hubspot_search_contacts" + suffix(a1), "hubspot_search_contacts" + suffix(a2), "stripe_list_invoices"}
	writes := []string{"hubspot_create_contact" + suffix(a1), "hubspot_create_contact" + suffix(a2)}
	sorted := func(lists ...[]string) []string {
		out := []string{}
		for _, l := range lists {
			out = append(out, l...)
		}
		sort.Strings(out)
		return out
	}
	type call struct {
		tool      string
		args      map[string]any
		refused   string // protocol error containing this
		wantRun   []runCall
		wantText  string // exact text of a tool result
		wantError bool   // isError
	}
	tests := []struct {
		name   string
		scopes []string
		bearer bool // send the key as Authorization: Bearer instead of X-API-Key
		want   []string
		calls  []call
	}{
		{
			name: "connections:read lists reads and runs one", scopes: []string{"connections:read"},
			want: sorted(reads),
			calls: []call{
				{tool: "stripe_list_invoices", args: map[string]any{"limit": 3},
					wantRun:  []runCall{{f.tenantA, f.stripeA.ID, "stripe.list_invoices", map[string]any{"limit": float64(3)}}},
					wantText: `{"action":"stripe.list_invoices","items":[{"id":"in_1"}]}`},
				{tool: "hubspot_search_contacts" + suffix(a2),
					wantRun:  []runCall{{f.tenantA, a2.ID, "hubspot.search_contacts", map[string]any{}}},
					wantText: `{"action":"hubspot.search_contacts","items":[{"id":"in_1"}]}`},
				{tool: "hubspot_create_contact" + suffix(a1), args: map[string]any{"email": "jo@example.com"},
					refused: "needs the connections:write scope"},
				{tool: "search_knowledge", args: map[string]any{"query": "refunds"}, refused: "needs the knowledge:read scope"},
			},
		},
		{
			name: "connections:read and write lists writes too, as a bearer token", scopes: []string{"connections:read", "connections:write"}, bearer: true,
			want: sorted(reads, writes),
			calls: []call{
				{tool: "hubspot_create_contact" + suffix(a1), args: map[string]any{"email": "jo@example.com"},
					wantRun:  []runCall{{f.tenantA, a1.ID, "hubspot.create_contact", map[string]any{"email": "jo@example.com"}}},
					wantText: `{"action":"hubspot.create_contact","items":[{"id":"in_1"}]}`},
			},
		},
		{
			name: "connections:write alone runs nothing, like the HTTP action route", scopes: []string{"connections:write"},
			want: []string{},
			calls: []call{
				{tool: "hubspot_create_contact" + suffix(a1), args: map[string]any{"email": "jo@example.com"},
					refused: "needs the connections:read scope"},
			},
		},
		{
			name: "knowledge:read lists only search_knowledge", scopes: []string{"knowledge:read"},
			want: []string{"search_knowledge"},
			calls: []call{
				{tool: "search_knowledge", args: map[string]any{"query": "refunds", "limit": 2},
					wantText: `{"results":[{"chunk_id":"ch1","knowledge_base_id":"kb-help","document_id":"d1","document_name":"Refunds.md","position":0,"start_offset":0,"end_offset":0,"text":"Refunds are issued within 14 days.","score":0.9}]}`},
				{tool: "search_knowledge", args: map[string]any{"query": "refunds", "knowledge_base_id": "kb-other"}, wantError: true,
					wantText: `knowledge_base_id: "kb-other" is not one of this tenant's knowledge bases`},
				{tool: "search_knowledge", args: map[string]any{}, wantError: true, wantText: "query: is required"},
				{tool: "stripe_list_invoices", refused: "needs the connections:read scope"},
			},
		},
		{
			name: "*:read lists reads and knowledge search", scopes: []string{"*:read"},
			want: sorted(reads, []string{"search_knowledge"}),
		},
		{
			name: "another tenant's tools are unknown", scopes: []string{"*:read", "connections:write"},
			want: sorted(reads, writes, []string{"search_knowledge"}),
			calls: []call{
				{tool: "hubspot_search_contacts", refused: `unknown tool "hubspot_search_contacts"`},
			},
		},
	}
	for _, tt := range tests {
		for _, version := range protocols {
			label := version
			if label == "" {
				label = "default"
			}
			t.Run(tt.name+"/protocol "+label, func(t *testing.T) {
				key := f.key(t, f.tenantA, tt.scopes...)
				header := http.Header{"X-Api-Key": {key}}
				if tt.bearer {
					header = http.Header{"Authorization": {"Bearer " + key}}
				}
				cs, err := sessionAt(t, f.srv, header, version)
				if err != nil {
					t.Fatalf("connect: %v", err)
				}
				if got := cs.InitializeResult().ProtocolVersion; version != "" && got != version {
					t.Errorf("protocol version = %q, want %q", got, version)
				}
				if diff := cmp.Diff(tt.want, toolNames(t, cs)); diff != "" {
					t.Errorf("tools (-want +got):\n%s", diff)
				}
				for _, c := range tt.calls {
					res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: c.tool, Arguments: c.args})
					gotRun := f.runner.take()
					if c.refused != "" {
						if err == nil || !strings.Contains(err.Error(), c.refused) {
							t.Errorf("call %s: err = %v, result = %+v; want a refusal containing %q", c.tool, err, res, c.refused)
						}
						if len(gotRun) != 0 {
							t.Errorf("call %s was refused but ran: %+v", c.tool, gotRun)
						}
						continue
					}
					if err != nil {
						t.Fatalf("call %s: %v", c.tool, err)
					}
					if res.IsError != c.wantError {
						t.Errorf("call %s: isError = %v, want %v (%s)", c.tool, res.IsError, c.wantError, text(res))
					}
					if diff := cmp.Diff(c.wantText, text(res)); diff != "" {
						t.Errorf("call %s text (-want +got):\n%s", c.tool, diff)
					}
					if diff := cmp.Diff(c.wantRun, gotRun); diff != "" {
						t.Errorf("call %s runs (-want +got):\n%s", c.tool, diff)
					}
					if !c.wantError {
						var structured any
						if err := json.Unmarshal([]byte(c.wantText), &structured); err != nil {
							t.Fatal(err)
						}
						if diff := cmp.Diff(structured, res.StructuredContent); diff != "" {
							t.Errorf("call %s structured content (-want +got):\n%s", c.tool, diff)
						}
					}
				}
			})
		}
	}
	search := searchCall{f.tenantA, []string{"kb-help"}, "refunds", 2}
	if diff := cmp.Diff([]searchCall{search, search}, f.search.take()); diff != "" {
		t.Errorf("knowledge searches (-want +got):\n%s", diff)
	}
}

func TestToolDescriptions(t *testing.T) {
	f := newFixture(t)
	cs, err := session(t, f.srv, http.Header{"X-Api-Key": {f.key(t, f.tenantA, "*:read", "connections:write")}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.CacheScope != "private" {
		t.Errorf("cacheScope = %q: a list that depends on the key must not be cached publicly", res.CacheScope)
	}
	type view struct {
		Title, Connection, Action string
		ReadOnly                  bool
		InputType, OutputType     any
		MentionsConnection        bool
	}
	got := map[string]view{}
	for _, tool := range res.Tools {
		v := view{Title: tool.Title, InputType: tool.InputSchema.(map[string]any)["type"]}
		if tool.OutputSchema != nil {
			v.OutputType = tool.OutputSchema.(map[string]any)["type"]
		}
		if tool.Annotations != nil {
			v.ReadOnly = tool.Annotations.ReadOnlyHint
		}
		v.Connection, _ = tool.Meta["bizos/connection_id"].(string)
		v.Action, _ = tool.Meta["bizos/action"].(string)
		v.MentionsConnection = v.Connection != "" && strings.Contains(tool.Description, v.Connection)
		if tool.Name == "search_knowledge" && !strings.Contains(tool.Description, `"Help centre" (id kb-help)`) {
			t.Errorf("search_knowledge does not name the knowledge bases: %s", tool.Description)
		}
		got[tool.Name] = v
	}
	a1 := f.hubspotA[0]
	want := map[string]view{
		"hubspot_create_contact" + suffix(a1): {Title: "Create a HubSpot contact (Sales CRM)", Connection: a1.ID, Action: "hubspot.create_contact",
			InputType: "object", OutputType: "object", MentionsConnection: true},
		"stripe_list_invoices": {Title: "List Stripe invoices (Payments)", Connection: f.stripeA.ID, Action: "stripe.list_invoices",
			ReadOnly: true, InputType: "object", OutputType: "object", MentionsConnection: true},
		"search_knowledge": {Title: "Search knowledge bases", ReadOnly: true, InputType: "object"},
	}
	for name, w := range want {
		if diff := cmp.Diff(w, got[name]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	for name, v := range got {
		if v.Connection == f.hubspotB.ID {
			t.Errorf("tool %s belongs to the other tenant", name)
		}
	}
}

func TestOtherTenant(t *testing.T) {
	f := newFixture(t)
	cs, err := session(t, f.srv, http.Header{"X-Api-Key": {f.key(t, f.tenantB, "*:read", "connections:write")}})
	if err != nil {
		t.Fatal(err)
	}
	// One HubSpot connection: no suffix; no knowledge bases: no search tool.
	if diff := cmp.Diff([]string{"hubspot_create_contact", "hubspot_search_contacts"}, toolNames(t, cs)); diff != "" {
		t.Errorf("tools (-want +got):\n%s", diff)
	}
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(res)
	for _, c := range append([]*hub.Connection{f.stripeA}, f.hubspotA...) {
		if strings.Contains(string(raw), c.ID) || strings.Contains(string(raw), suffix(c)) {
			t.Errorf("tenant B's tool list mentions tenant A's connection %s", c.ID)
		}
	}
	for _, name := range []string{"stripe_list_invoices", "hubspot_search_contacts" + suffix(f.hubspotA[0])} {
		if _, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name}); err == nil || !strings.Contains(err.Error(), "unknown tool") {
			t.Errorf("call %s of tenant A from tenant B: err = %v, want unknown tool", name, err)
		}
	}
	res2, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "hubspot_search_contacts"})
	if err != nil || res2.IsError {
		t.Fatalf("call own tool: %v %+v", err, res2)
	}
	if diff := cmp.Diff([]runCall{{f.tenantB, f.hubspotB.ID, "hubspot.search_contacts", map[string]any{}}}, f.runner.take()); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
}

func TestToolErrors(t *testing.T) {
	f := newFixture(t)
	f.runner.fail["hubspot.create_contact"] = &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: 409,
		Message: "HubSpot answered HTTP 409: Contact already exists. Existing ID: 501"}
	f.runner.fail["stripe.list_invoices"] = errors.New("pgx: connection password=hunter2 refused")
	f.runner.fail["hubspot.search_contacts"] = hub.InvalidField("input", "email: 'jo' is not valid email")
	cs, err := session(t, f.srv, http.Header{"X-Api-Key": {f.key(t, f.tenantA, "connections:read", "connections:write")}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		tool, want string
	}{
		{"hubspot_create_contact" + suffix(f.hubspotA[0]), "HubSpot answered HTTP 409: Contact already exists. Existing ID: 501"},
		{"hubspot_search_contacts" + suffix(f.hubspotA[1]), "input: email: 'jo' is not valid email"},
		{"stripe_list_invoices", "An internal error has occurred."},
	}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tt.tool, Arguments: map[string]any{"email": "jo"}})
			if err != nil {
				t.Fatalf("protocol error: %v", err)
			}
			if !res.IsError {
				t.Errorf("isError = false")
			}
			if diff := cmp.Diff(tt.want, text(res)); diff != "" {
				t.Errorf("text (-want +got):\n%s", diff)
			}
		})
	}
	// A failed write is not audited; a successful one is.
	delete(f.runner.fail, "hubspot.create_contact")
	if res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "hubspot_create_contact" + suffix(f.hubspotA[0]),
		Arguments: map[string]any{"email": "jo@example.com"}}); err != nil || res.IsError {
		t.Fatalf("write: %v %+v", err, res)
	}
	entries, _, err := f.audit.ListAudit(context.Background(), f.tenantA, hub.Page{})
	if err != nil {
		t.Fatal(err)
	}
	type audited struct{ Action, ActorType, TargetID, Via, RunAction string }
	var got []audited
	for _, e := range entries {
		via, _ := e.Details["via"].(string)
		act, _ := e.Details["action"].(string)
		got = append(got, audited{e.Action, e.ActorType, e.TargetID, via, act})
	}
	want := []audited{{"connection.action", "api_key", f.hubspotA[0].ID, "mcp", "hubspot.create_contact"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
}

// userAuth turns any X-API-Key into a user principal, as a JWT would.
type userAuth struct{}

func (userAuth) Authenticate(*http.Request) (hub.Principal, error) {
	return hub.Principal{Kind: hub.PrincipalUser, ID: "u1", TenantID: "t1"}, nil
}

func TestUnauthenticated(t *testing.T) {
	f := newFixture(t)
	revoked := f.key(t, f.tenantA, "connections:read")
	prefix, _, _ := hub.ParseAPIKey(revoked)
	k, _, err := f.apiKeys.APIKeyByPrefix(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.apiKeys.RevokeAPIKey(context.Background(), f.tenantA, k.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	userOnly, err := mcpserver.New(mcpserver.Config{Authenticator: userAuth{}, Authorizer: f.authz, Connections: f.conns,
		Actions: fakeActions, Runner: f.runner})
	if err != nil {
		t.Fatal(err)
	}
	userSrv := serve(t, userOnly)
	const forged = "bzk_aaaaaaaa_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	tests := []struct {
		name   string
		srv    *httptest.Server
		header http.Header
		detail string
	}{
		{"no credentials", f.srv, http.Header{}, "needs an API key"},
		{"malformed key", f.srv, http.Header{"X-Api-Key": {"not-a-key"}}, "invalid, revoked or expired"},
		{"unknown key", f.srv, http.Header{"X-Api-Key": {forged}}, "invalid, revoked or expired"},
		{"unknown bearer key", f.srv, http.Header{"Authorization": {"Bearer " + forged}}, "invalid, revoked or expired"},
		{"revoked key", f.srv, http.Header{"X-Api-Key": {revoked}}, "invalid, revoked or expired"},
		{"access token", f.srv, http.Header{"Authorization": {"Bearer eyJhbGciOiJFZERTQSJ9.e30.sig"}}, "accepts API keys only"},
		{"basic auth", f.srv, http.Header{"Authorization": {"Basic dTpw"}}, "accepts API keys only"},
		{"user principal", userSrv, http.Header{"X-Api-Key": {"anything"}}, "accepts API keys only"},
	}
	initialize := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, tt.srv.URL+mcpserver.Path, strings.NewReader(initialize))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			for k, v := range tt.header {
				req.Header[k] = v
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401 (%s)", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, httpapi.ContentTypeProblem) {
				t.Errorf("content type = %q", ct)
			}
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate header")
			}
			var p httpapi.Problem
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			if p.Code != hub.EUNAUTHORIZED || !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("problem = %+v, want code %s and detail containing %q", p, hub.EUNAUTHORIZED, tt.detail)
			}
			// The SDK's client fails to connect too.
			if _, err := session(t, tt.srv, tt.header); err == nil {
				t.Error("the MCP client connected")
			}
		})
	}
	if runs := f.runner.take(); len(runs) != 0 {
		t.Errorf("unauthenticated requests ran actions: %+v", runs)
	}
}

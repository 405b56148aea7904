package connectors_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/connectors"
	"github.com/bizoshub/bizos/internal/fakes"
	"github.com/bizoshub/bizos/internal/testenv"
)

// ---- test machinery ----

// actFront stands in front of a platform (a fake or a real peer): it counts
// every request, answers the routes added with route (calls the fake lacks),
// and passes everything else on unchanged.
type actFront struct {
	URL   string
	proxy *httputil.ReverseProxy

	mu     sync.Mutex
	n      int
	last   *http.Request // the last request, without its body
	routes []actRoute
}

type actRoute struct {
	method string
	path   *regexp.Regexp // matched against the escaped path
	h      func(w http.ResponseWriter, r *http.Request, m []string)
}

func newActFront(t *testing.T, target string) *actFront {
	t.Helper()
	f := &actFront{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	if target != "" {
		f.setTarget(t, target)
	}
	return f
}

// setTarget says where requests that no route answers go.
func (f *actFront) setTarget(t *testing.T, target string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	f.proxy = &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u) }}
}

// route answers method and path (a regular expression on the escaped path,
// anchored) itself; m holds the path-unescaped submatches.
func (f *actFront) route(method, pattern string, h func(w http.ResponseWriter, r *http.Request, m []string)) {
	f.routes = append(f.routes, actRoute{method, regexp.MustCompile("^" + pattern + "$"), h})
}

// lastRequest is the last request that reached the front, without its body.
func (f *actFront) lastRequest() *http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// Requests is the number of requests that reached the front.
func (f *actFront) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func (f *actFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.n++
	f.last = r.Clone(context.Background())
	f.last.Body = nil
	f.mu.Unlock()
	for _, rt := range f.routes {
		m := rt.path.FindStringSubmatch(r.URL.EscapedPath())
		if m == nil || r.Method != rt.method {
			continue
		}
		for i := range m {
			if s, err := url.PathUnescape(m[i]); err == nil {
				m[i] = s
			}
		}
		rt.h(w, r, m)
		return
	}
	f.proxy.ServeHTTP(w, r)
}

func actJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func actReadJSON(t *testing.T, r *http.Request, v any) bool {
	b, _ := io.ReadAll(r.Body)
	return json.Unmarshal(b, v) == nil
}

// actEnv is one connection of a tenant, with the front its calls go through.
type actEnv struct {
	h     *harness
	conn  *hub.Connection
	front *actFront
}

// run runs an action and checks its output against the output schema; it
// returns the output as generic JSON.
func (e *actEnv) run(t *testing.T, name, input string) (map[string]any, error) {
	t.Helper()
	out, err := e.h.svc.RunAction(context.Background(), e.h.user.TenantID, e.conn.ID, name, json.RawMessage(input))
	if err != nil {
		return nil, err
	}
	a, _ := connectors.LookupAction(name)
	return actCheckOutput(t, a, out), nil
}

func (e *actEnv) mustRun(t *testing.T, name, input string) map[string]any {
	t.Helper()
	out, err := e.run(t, name, input)
	if err != nil {
		t.Fatalf("%s %s: %v", name, input, err)
	}
	return out
}

// actCheckOutput validates out against the action's output schema.
func actCheckOutput(t *testing.T, a *connectors.Action, out any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(out)
	if err != nil {
		t.Fatalf("%s: output does not encode: %v", a.Name, err)
	}
	c := jsonschema.NewCompiler()
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(a.Output))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource("mem://out.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("mem://out.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(doc); err != nil {
		t.Fatalf("%s: output does not follow its schema: %v\noutput: %s", a.Name, err, raw)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// refuse runs actions whose input the schema refuses and checks the platform
// saw no request.
func (e *actEnv) refuse(t *testing.T, cases []actBad) {
	t.Helper()
	for _, c := range cases {
		t.Run("refuses "+c.name+" "+c.input, func(t *testing.T) {
			before := e.front.Requests()
			_, err := e.h.svc.RunAction(context.Background(), e.h.user.TenantID, e.conn.ID, c.name, json.RawMessage(c.input))
			if hub.ErrorCode(err) != hub.EINVALID {
				t.Fatalf("err = %v, want %s", err, hub.EINVALID)
			}
			if got := e.front.Requests(); got != before {
				t.Errorf("the platform got %d requests for refused input", got-before)
			}
		})
	}
}

type actBad struct{ name, input string }

// actItems returns the items of a list output.
func actItems(t *testing.T, out map[string]any) []map[string]any {
	t.Helper()
	raw, ok := out["items"].([]any)
	if !ok {
		t.Fatalf("output has no items: %v", out)
	}
	items := make([]map[string]any, 0, len(raw))
	for _, it := range raw {
		items = append(items, it.(map[string]any))
	}
	return items
}

// actPluck returns one field of every item, formatted as strings.
func actPluck(items []map[string]any, key string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, actStr(it[key]))
	}
	return out
}

func actStr(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strings.TrimSuffix(fmt.Sprintf("%f", x), ".000000")
	}
	return fmt.Sprint(v)
}

// actNext is the next_cursor of a list output ("" when null).
func actNext(out map[string]any) string {
	s, _ := out["next_cursor"].(string)
	return s
}

// actPaging lists two pages and checks that they differ and the second
// continues where the first ended.
func (e *actEnv) actPaging(t *testing.T, name, input, key string) {
	t.Helper()
	first := e.mustRun(t, name, input)
	next := actNext(first)
	if next == "" {
		t.Fatalf("%s: no next_cursor on a first page: %v", name, first)
	}
	var in map[string]any
	_ = json.Unmarshal([]byte(input), &in)
	in["cursor"] = next
	raw, _ := json.Marshal(in)
	second := e.mustRun(t, name, string(raw))
	a, b := actPluck(actItems(t, first), key), actPluck(actItems(t, second), key)
	if len(b) == 0 {
		t.Fatalf("%s: empty second page", name)
	}
	for _, x := range b {
		for _, y := range a {
			if x == y {
				t.Fatalf("%s: %s %s is on both pages (%v, %v)", name, key, x, a, b)
			}
		}
	}
}

// actOAuth starts an OAuth fake for provider.
func actOAuth(t *testing.T, provider string, extra map[string]any) *fakes.OAuth {
	return fakes.NewOAuth(t, fakes.OAuthOptions{ClientID: provider + "-client", ClientSecret: provider + "-secret", TokenAuth: "params", Extra: extra})
}

// actOverride points provider's API at apiBase and its OAuth at o.
func actOverride(o *fakes.OAuth, provider, apiBase string) connectors.Override {
	return connectors.Override{APIBaseURL: apiBase, AuthorizationURL: o.AuthorizeURL(), TokenURL: o.TokenURL(),
		ClientID: provider + "-client", ClientSecret: provider + "-secret"}
}

// actOAuthEnv makes a harness with the overrides and connects provider through OAuth.
func actOAuthEnv(t *testing.T, overrides map[string]connectors.Override, front *actFront, provider string, config map[string]string) *actEnv {
	t.Helper()
	h := newHarness(t, overrides, nil)
	return &actEnv{h: h, conn: h.oauthConnect(provider, config), front: front}
}

// actKeyEnv makes a harness with the overrides and connects provider with credentials.
func actKeyEnv(t *testing.T, overrides map[string]connectors.Override, front *actFront, req connectors.ConnectRequest) *actEnv {
	t.Helper()
	h := newHarness(t, overrides, nil)
	conn, err := h.svc.Connect(context.Background(), h.user, req)
	if err != nil {
		t.Fatalf("connect %s: %v", req.Provider, err)
	}
	return &actEnv{h: h, conn: conn, front: front}
}

func actDiff(t *testing.T, what string, got, want any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}

// actCase is one successful run and the checks on its output.
type actCase struct {
	name, input string
	check       func(t *testing.T, out map[string]any)
}

func (e *actEnv) cases(t *testing.T, cases []actCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name+" "+c.input, func(t *testing.T) {
			out := e.mustRun(t, c.name, c.input)
			if c.check != nil {
				c.check(t, out)
			}
		})
	}
}

// wantItems checks the values of one field over the items of a list output,
// and whether a next page is announced.
func wantItems(key string, want []string, more bool) func(t *testing.T, out map[string]any) {
	return func(t *testing.T, out map[string]any) {
		t.Helper()
		actDiff(t, key+" of the items", actPluck(actItems(t, out), key), want)
		if got := actNext(out) != ""; got != more {
			t.Errorf("next_cursor = %v, want a next page: %v", out["next_cursor"], more)
		}
	}
}

// wantCount checks the number of items of a list output.
func wantCount(n int) func(t *testing.T, out map[string]any) {
	return func(t *testing.T, out map[string]any) {
		t.Helper()
		if got := len(actItems(t, out)); got != n {
			t.Errorf("items = %d, want %d: %v", got, n, out)
		}
	}
}

func actRecord(recs []map[string]any, key, value string) map[string]any {
	for _, r := range recs {
		if actStr(r[key]) == value {
			return r
		}
	}
	return nil
}

// ---- catalogue of actions ----

// TestActionCatalogue checks the required actions exist with the right
// write flag, and that every action is described well enough for an agent.
func TestActionCatalogue(t *testing.T) {
	want := map[string]bool{
		"wordpress.list_posts": false, "wordpress.get_post": false, "wordpress.create_post": true, "wordpress.list_pages": false,
		"fluentcrm.list_contacts": false, "fluentcrm.get_contact": false, "fluentcrm.create_contact": true, "fluentcrm.list_lists": false,
		"woocommerce.list_orders": false, "woocommerce.list_products": false, "woocommerce.create_product": true,
		"hubspot.list_contacts": false, "hubspot.search_contacts": false, "hubspot.create_contact": true, "hubspot.list_deals": false,
		"zoho-crm.list_contacts": false, "zoho-crm.search_contacts": false, "zoho-crm.create_contact": true,
		"shopify.list_orders": false, "shopify.list_products": false, "shopify.create_product": true,
		"google-ads.list_campaigns": false, "google-ads.campaign_report": false, "google-ads.set_campaign_status": true,
		"google-analytics.run_report": false, "google-analytics.get_metadata": false, "google-analytics.realtime_report": false,
		"google-search-console.list_sites": false, "google-search-console.search_analytics": false, "google-search-console.submit_sitemap": true,
		"meta-ads.list_campaigns": false, "meta-ads.campaign_insights": false, "meta-ads.update_campaign_status": true,
		"mailchimp.list_audiences": false, "mailchimp.list_members": false, "mailchimp.add_member": true,
		"slack.list_channels": false, "slack.list_users": false, "slack.post_message": true,
		"stripe.list_customers": false, "stripe.list_invoices": false, "stripe.create_customer": true, "stripe.list_payment_intents": false,
	}
	for name, write := range want {
		a, ok := connectors.LookupAction(name)
		if !ok {
			t.Errorf("missing action %s", name)
			continue
		}
		if a.Write != write {
			t.Errorf("%s: write = %v, want %v", name, a.Write, write)
		}
	}
	catalog, err := connectors.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	reads, writes := map[string]int{}, map[string]int{}
	for _, a := range connectors.Actions("") {
		if _, ok := catalog.Provider(a.Provider); !ok {
			t.Errorf("%s: unknown provider %s", a.Name, a.Provider)
		}
		if !regexp.MustCompile(`^[a-z0-9-]+\.[a-z]+(_[a-z]+)*$`).MatchString(a.Name) {
			t.Errorf("%s: name is not <provider>.<verb_noun>", a.Name)
		}
		if a.Write {
			writes[a.Provider]++
		} else {
			reads[a.Provider]++
		}
		if len(a.Title) < 10 || len(a.Description) < 60 {
			t.Errorf("%s: title or description too short for an agent", a.Name)
		}
		var in struct {
			Type                 string                     `json:"type"`
			AdditionalProperties *bool                      `json:"additionalProperties"`
			Properties           map[string]json.RawMessage `json:"properties"`
		}
		if err := json.Unmarshal(a.Input, &in); err != nil {
			t.Errorf("%s: input schema: %v", a.Name, err)
			continue
		}
		if in.Type != "object" || in.AdditionalProperties == nil || *in.AdditionalProperties {
			t.Errorf("%s: input schema must be a closed object", a.Name)
		}
		for name, raw := range in.Properties {
			var p struct {
				Description string `json:"description"`
			}
			_ = json.Unmarshal(raw, &p)
			if p.Description == "" {
				t.Errorf("%s: input %s has no description", a.Name, name)
			}
		}
	}
	for _, p := range catalog.Providers {
		minWrites := 1
		if p.ID == "google-analytics" {
			minWrites = 0 // the Data API is read-only and the catalogue asks for analytics.readonly
		}
		if reads[p.ID] < 2 || writes[p.ID] < minWrites {
			t.Errorf("%s has %d reads and %d writes, want at least 2 and 1", p.ID, reads[p.ID], writes[p.ID])
		}
	}
}

// TestActionRefusesOtherProvidersConnection runs every action on a
// connection of another provider: each is refused before any call.
func TestActionRefusesOtherProvidersConnection(t *testing.T) {
	o := actOAuth(t, "hubspot", nil)
	hs := fakes.NewHubSpot(t, fakes.Options{Authorize: o.Authorizer("Authorization", "Bearer ")})
	hsFront := newActFront(t, hs.URL)
	mc := fakes.NewMailchimp(t, fakes.Options{})
	mcFront := newActFront(t, mc.URL)
	overrides := map[string]connectors.Override{"hubspot": actOverride(o, "hubspot", hsFront.URL),
		"mailchimp": {APIBaseURL: mcFront.URL + "/3.0"}}
	env := actOAuthEnv(t, overrides, hsFront, "hubspot", nil)
	mcConn, err := env.h.svc.Connect(context.Background(), env.h.user, connectors.ConnectRequest{Provider: "mailchimp",
		Credentials: map[string]string{"api_key": "0123456789abcdef-us6"}})
	if err != nil {
		t.Fatal(err)
	}
	before := hsFront.Requests() + mcFront.Requests()
	for _, a := range connectors.Actions("") {
		conn := env.conn
		if a.Provider == "hubspot" {
			conn = mcConn
		}
		_, err := env.h.svc.RunAction(context.Background(), env.h.user.TenantID, conn.ID, a.Name, json.RawMessage(`{}`))
		if hub.ErrorCode(err) != hub.EINVALID || !strings.Contains(hub.ErrorMessage(err), "needs a") {
			t.Errorf("%s on a %s connection: %v, want %s", a.Name, conn.Provider, err, hub.EINVALID)
		}
	}
	if got := hsFront.Requests() + mcFront.Requests(); got != before {
		t.Errorf("%d platform calls for refused actions", got-before)
	}
	if _, err := env.h.svc.RunAction(context.Background(), env.h.user.TenantID, env.conn.ID, "hubspot.fly_to_moon", nil); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("unknown action: %v", err)
	}
}

// ---- HubSpot ----

func TestActionsHubSpot(t *testing.T) {
	o := actOAuth(t, "hubspot", nil)
	hs := fakes.NewHubSpot(t, fakes.Options{Authorize: o.Authorizer("Authorization", "Bearer ")})
	front := newActFront(t, hs.URL)
	env := actOAuthEnv(t, map[string]connectors.Override{"hubspot": actOverride(o, "hubspot", front.URL)}, front, "hubspot", nil)

	env.cases(t, []actCase{
		{"hubspot.list_contacts", `{"limit":3}`, wantItems("id", []string{"1001", "1002", "1003"}, true)},
		{"hubspot.list_contacts", `{"limit":2,"properties":["email","phone"]}`, func(t *testing.T, out map[string]any) {
			props := actItems(t, out)[0]["properties"].(map[string]any)
			actDiff(t, "properties", []any{props["email"], props["phone"]}, []any{"ada.lovelace@example.com", "+1 555 0100"})
		}},
		{"hubspot.search_contacts", `{"email":"grace.hopper@example.com"}`, func(t *testing.T, out map[string]any) {
			wantItems("id", []string{"1003"}, false)(t, out)
			actDiff(t, "total", out["total"], 1.0)
		}},
		// Contacts 19 to 25 changed on or after 20 January 2024 (seed i: updated = 2024-01-01T09:00 + i days + (i+1) h).
		{"hubspot.search_contacts", `{"updated_since":"2024-01-20T00:00:00Z","limit":100}`,
			wantItems("id", []string{"1019", "1020", "1021", "1022", "1023", "1024", "1025"}, false)},
		{"hubspot.search_contacts", `{"updated_since":"2024-01-20T00:00:00Z","email":"lynn.conway@example.com"}`,
			wantItems("id", []string{"1025"}, false)},
		{"hubspot.search_contacts", `{"query":"Dijkstra"}`, wantItems("id", []string{"1004"}, false)},
		{"hubspot.get_contact", `{"id":"1002"}`, func(t *testing.T, out map[string]any) {
			actDiff(t, "email", out["properties"].(map[string]any)["email"], "alan.turing@example.com")
		}},
		{"hubspot.list_deals", `{"limit":2}`, func(t *testing.T, out map[string]any) {
			items := actItems(t, out)
			actDiff(t, "ids", actPluck(items, "id"), []string{"3001", "3002"})
			actDiff(t, "dealname", items[0]["properties"].(map[string]any)["dealname"], "Lovelace renewal")
		}},
		{"hubspot.list_companies", `{}`, wantCount(20)},
	})
	t.Run("paging", func(t *testing.T) {
		env.actPaging(t, "hubspot.list_contacts", `{"limit":10}`, "id")
		env.actPaging(t, "hubspot.search_contacts", `{"query":"example.com","limit":5}`, "id")
	})
	t.Run("create", func(t *testing.T) {
		out := env.mustRun(t, "hubspot.create_contact",
			`{"email":"new.person@example.com","firstname":"New","lastname":"Person","lifecyclestage":"lead","properties":{"city":"Lyon"}}`)
		rec := actRecord(hs.Records("contacts"), "id", actStr(out["id"]))
		if rec == nil {
			t.Fatalf("the contact %v is not in HubSpot", out["id"])
		}
		props := rec["properties"].(map[string]any)
		actDiff(t, "stored properties", map[string]any{"email": props["email"], "firstname": props["firstname"], "city": props["city"], "lifecyclestage": props["lifecyclestage"]},
			map[string]any{"email": "new.person@example.com", "firstname": "New", "city": "Lyon", "lifecyclestage": "lead"})
		_, err := env.run(t, "hubspot.create_contact", `{"email":"new.person@example.com"}`)
		var he *hub.Error
		if !asErr(err, &he) || he.Code != hub.EUPSTREAM || he.UpstreamStatus != http.StatusConflict || !strings.Contains(he.Message, "already exists") {
			t.Errorf("duplicate contact: %v", err)
		}
	})
	env.refuse(t, []actBad{
		{"hubspot.list_contacts", `{"limit":0}`},
		{"hubspot.list_contacts", `{"limit":101}`},
		{"hubspot.list_contacts", `{"properties":["email","Bad Name"]}`},
		{"hubspot.list_contacts", `{"bogus":1}`},
		{"hubspot.search_contacts", `{}`},
		{"hubspot.search_contacts", `{"email":"not-an-email"}`},
		{"hubspot.search_contacts", `{"updated_since":"yesterday"}`},
		{"hubspot.get_contact", `{"id":"../deals/3001"}`},
		{"hubspot.create_contact", `{"firstname":"No email"}`},
		{"hubspot.create_contact", `{"email":"a@example.com","properties":{"city":3}}`},
		{"hubspot.list_deals", `{"cursor":""}`},
		{"hubspot.list_contacts", `[1,2]`},
	})
}

// ---- Zoho CRM ----

func TestActionsZohoCRM(t *testing.T) {
	// The token answer names the API domain: the front of the Zoho fake.
	front := newActFront(t, "")
	o := actOAuth(t, "zoho-crm", map[string]any{"api_domain": front.URL})
	auth := o.Authorizer("Authorization", "Zoho-oauthtoken ")
	z := fakes.NewZoho(t, fakes.Options{Authorize: auth})
	front.setTarget(t, z.Root)
	front.route(http.MethodGet, `/crm/v6/Contacts/search`, actZohoSearch(z, auth))
	ov := actOverride(o, "zoho-crm", "")
	env := actOAuthEnv(t, map[string]connectors.Override{"zoho-crm": ov}, front, "zoho-crm", map[string]string{"data_center": "zoho.eu"})

	env.cases(t, []actCase{
		{"zoho-crm.list_contacts", `{"limit":10}`, func(t *testing.T, out map[string]any) {
			items := actItems(t, out)
			actDiff(t, "first", []any{len(items), items[0]["Email"], items[0]["First_Name"], actNext(out)}, []any{10, "ada.lovelace@example.com", "Ada", "2"})
		}},
		{"zoho-crm.list_contacts", `{"limit":10,"cursor":"3"}`, func(t *testing.T, out map[string]any) {
			wantCount(5)(t, out)
			actDiff(t, "next", out["next_cursor"], nil)
		}},
		{"zoho-crm.list_contacts", `{"limit":1,"fields":["Email"]}`, func(t *testing.T, out map[string]any) {
			item := actItems(t, out)[0]
			keys := make([]string, 0, len(item))
			for k := range item {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			actDiff(t, "fields", keys, []string{"Email", "id"})
		}},
		{"zoho-crm.search_contacts", `{"email":"alan.turing@example.com"}`, func(t *testing.T, out map[string]any) {
			items := actItems(t, out)
			actDiff(t, "found", actPluck(items, "Last_Name"), []string{"Turing"})
		}},
		{"zoho-crm.search_contacts", `{"email":"nobody@example.com"}`, wantItems("id", []string{}, false)},
	})
	t.Run("paging", func(t *testing.T) { env.actPaging(t, "zoho-crm.list_contacts", `{"limit":7}`, "id") })
	t.Run("create", func(t *testing.T) {
		out := env.mustRun(t, "zoho-crm.create_contact",
			`{"last_name":"Hopper","first_name":"Grace","email":"grace@navy.example.com","fields":{"Mailing_City":"Arlington"}}`)
		rec := actRecord(z.Records("Contacts"), "id", actStr(out["id"]))
		if rec == nil {
			t.Fatalf("the contact %v is not in Zoho", out["id"])
		}
		actDiff(t, "stored", []any{rec["Last_Name"], rec["First_Name"], rec["Email"], rec["Mailing_City"]},
			[]any{"Hopper", "Grace", "grace@navy.example.com", "Arlington"})
		found := env.mustRun(t, "zoho-crm.search_contacts", `{"email":"grace@navy.example.com"}`)
		actDiff(t, "found after create", actPluck(actItems(t, found), "id"), []string{actStr(out["id"])})
	})
	env.refuse(t, []actBad{
		{"zoho-crm.list_contacts", `{"limit":201}`},
		{"zoho-crm.list_contacts", `{"fields":["Email,Phone"]}`},
		{"zoho-crm.list_contacts", `{"sort_order":"sideways"}`},
		{"zoho-crm.search_contacts", `{}`},
		{"zoho-crm.search_contacts", `{"email":"x)or(Email:starts_with:a"}`},
		{"zoho-crm.create_contact", `{"first_name":"No last name"}`},
		{"zoho-crm.create_contact", `{"last_name":"X","fields":{"bad field":"1"}}`},
	})
}

// actZohoSearch answers GET /crm/v6/Contacts/search?email= as Zoho
// documents it; the fake has no search route.
func actZohoSearch(z *fakes.Zoho, auth func(*http.Request) bool) func(w http.ResponseWriter, r *http.Request, m []string) {
	return func(w http.ResponseWriter, r *http.Request, m []string) {
		if !auth(r) {
			actJSON(w, http.StatusUnauthorized, map[string]any{"code": "INVALID_TOKEN", "details": map[string]any{}, "message": "invalid oauth token", "status": "error"})
			return
		}
		email := r.URL.Query().Get("email")
		var hits []map[string]any
		for _, rec := range z.Records("Contacts") {
			if strings.EqualFold(actStr(rec["Email"]), email) {
				hits = append(hits, rec)
			}
		}
		if len(hits) == 0 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		actJSON(w, http.StatusOK, map[string]any{"data": hits, "info": map[string]any{"per_page": 200, "count": len(hits), "page": 1, "more_records": false}})
	}
}

// ---- Shopify ----

func TestActionsShopify(t *testing.T) {
	sh := fakes.NewShopify(t, fakes.Options{})
	front := newActFront(t, sh.URL)
	env := actKeyEnv(t, map[string]connectors.Override{"shopify": {APIBaseURL: front.URL + "/admin/api/2025-01"}}, front,
		connectors.ConnectRequest{Provider: "shopify", Config: map[string]string{"shop": "fake-shop"},
			Credentials: map[string]string{"access_token": "shpat_0123456789"}})

	env.cases(t, []actCase{
		{"shopify.list_orders", `{"limit":3}`, func(t *testing.T, out map[string]any) {
			items := actItems(t, out)
			actDiff(t, "names", actPluck(items, "name"), []string{"#1025", "#1024", "#1023"})
			actDiff(t, "first", []any{items[0]["total"], items[0]["currency"], items[0]["customer"].(map[string]any)["last_name"]},
				[]any{"188.35", "USD", "Conway"})
			if actNext(out) == "" {
				t.Error("no next_cursor")
			}
		}},
		{"shopify.list_orders", `{"limit":50,"oldest_first":true,"created_after":"2024-01-23T00:00:00Z"}`,
			wantItems("name", []string{"#1023", "#1024", "#1025"}, false)},
		{"shopify.list_products", `{"limit":2}`, func(t *testing.T, out map[string]any) {
			items := actItems(t, out)
			actDiff(t, "titles", actPluck(items, "title"), []string{"Widget 01", "Widget 02"})
			actDiff(t, "first", []any{items[0]["status"], items[0]["total_inventory"], items[0]["tags"]}, []any{"ACTIVE", 10.0, []any{"fake"}})
		}},
		{"shopify.list_products", `{"updated_after":"2024-01-25T00:00:00Z"}`, wantItems("title", []string{"Widget 24", "Widget 25"}, false)},
	})
	t.Run("paging", func(t *testing.T) {
		env.actPaging(t, "shopify.list_orders", `{"limit":10}`, "id")
		env.actPaging(t, "shopify.list_products", `{"limit":10}`, "id")
	})
	t.Run("create", func(t *testing.T) {
		out := env.mustRun(t, "shopify.create_product", `{"title":"Blue Mug","vendor":"Acme","tags":["mug","blue"],"description_html":"<p>Mug.</p>"}`)
		rec := actRecord(sh.Records("products"), "id", actStr(out["id"]))
		if rec == nil {
			t.Fatalf("product %v not in Shopify", out["id"])
		}
		actDiff(t, "stored", []any{rec["title"], rec["status"], rec["vendor"], rec["descriptionHtml"], rec["handle"]},
			[]any{"Blue Mug", "DRAFT", "Acme", "<p>Mug.</p>", "blue-mug"})
		actDiff(t, "answer", []any{out["title"], out["status"], out["legacy_id"]}, []any{"Blue Mug", "DRAFT", rec["legacyResourceId"]})
	})
	env.refuse(t, []actBad{
		{"shopify.list_orders", `{"limit":251}`},
		{"shopify.list_orders", `{"created_after":"last week"}`},
		{"shopify.create_product", `{"title":""}`},
		{"shopify.create_product", `{"title":"X","status":"LIVE"}`},
		{"shopify.create_product", `{"title":"X","handle":"Not A Handle"}`},
	})
}

// ---- Google Ads ----

func TestActionsGoogleAds(t *testing.T) {
	o := actOAuth(t, "google-ads", nil)
	auth := o.Authorizer("Authorization", "Bearer ")
	g := fakes.NewGoogleAds(t, fakes.Options{Authorize: auth})
	g.RequireDeveloperToken("dev-token-1")
	front := newActFront(t, g.URL)
	front.route(http.MethodPost, `/v25/customers/([0-9]+)/campaigns:mutate`, actAdsMutate(t, g, auth))
	env := actOAuthEnv(t, map[string]connectors.Override{"google-ads": actOverride(o, "google-ads", front.URL+"/v25")}, front, "google-ads",
		map[string]string{"customer_id": "1234567890", "developer_token": "dev-token-1"})

	env.cases(t, []actCase{
		{"google-ads.list_campaigns", `{}`, func(t *testing.T, out map[string]any) {
			items := actItems(t, out)
			actDiff(t, "page", []any{len(items), items[0]["id"], items[0]["name"], items[0]["status"], items[0]["channel_type"], actNext(out) != ""},
				[]any{fakes.GoogleAdsPageSize, "20000000001", "Campaign 01", "ENABLED", "SEARCH", true})
		}},
		{"google-ads.list_campaigns", `{"status":"PAUSED"}`,
			wantItems("name", []string{"Campaign 04", "Campaign 08", "Campaign 12", "Campaign 16", "Campaign 20", "Campaign 24"}, false)},
		{"google-ads.list_campaigns", `{"limit":3}`, wantItems("id", []string{"20000000001", "20000000002", "20000000003"}, false)},
		{"google-ads.list_accessible_customers", `{}`, wantItems("customer_id", []string{"1234567890", "9876543210"}, false)},
		{"google-ads.campaign_report", `{"campaign_id":"20000000002","days":7}`, func(t *testing.T, out map[string]any) {
			items := actItems(t, out)
			if len(items) != 1 {
				t.Fatalf("rows = %v", items)
			}
			r := items[0]
			if r["campaign_id"] != "20000000002" || r["impressions"].(float64) < 7*200 || r["clicks"].(float64) < 7*5 {
				t.Errorf("row = %v", r)
			}
			if got, want := r["cost"].(float64), r["cost_micros"].(float64)/1e6; got != want {
				t.Errorf("cost = %v, want cost_micros/1e6 = %v", got, want)
			}
		}},
		{"google-ads.campaign_report", `{"campaign_id":"20000000003","start_date":"2024-03-01","end_date":"2024-03-05","daily":true}`,
			wantItems("date", []string{"2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04", "2024-03-05"}, false)},
		{"google-ads.campaign_report", `{"include_paused":false,"days":1}`, func(t *testing.T, out map[string]any) {
			for _, it := range actItems(t, out) {
				if it["status"] != "ENABLED" {
					t.Errorf("paused campaign in the report: %v", it)
				}
			}
		}},
	})
	t.Run("paging", func(t *testing.T) {
		env.actPaging(t, "google-ads.list_campaigns", `{}`, "id")
		env.actPaging(t, "google-ads.campaign_report", `{"days":3}`, "campaign_id")
	})
	t.Run("set status", func(t *testing.T) {
		out := env.mustRun(t, "google-ads.set_campaign_status", `{"campaign_id":"20000000001","status":"PAUSED"}`)
		actDiff(t, "answer", out, map[string]any{"resource_name": "customers/1234567890/campaigns/20000000001", "campaign_id": "20000000001", "status": "PAUSED"})
		actDiff(t, "stored status", actRecord(g.Records("campaigns"), "id", "20000000001")["status"], "PAUSED")
		env.mustRun(t, "google-ads.set_campaign_status", `{"campaign_id":"20000000001","status":"ENABLED"}`)
		actDiff(t, "stored status", actRecord(g.Records("campaigns"), "id", "20000000001")["status"], "ENABLED")
		_, err := env.run(t, "google-ads.set_campaign_status", `{"campaign_id":"999","status":"PAUSED"}`)
		if hub.ErrorCode(err) != hub.EUPSTREAM {
			t.Errorf("unknown campaign: %v", err)
		}
	})
	env.refuse(t, []actBad{
		{"google-ads.list_campaigns", `{"status":"ENABLED' OR campaign.id > '0"}`},
		{"google-ads.campaign_report", `{"days":0}`},
		{"google-ads.campaign_report", `{"days":7,"start_date":"2024-01-01","end_date":"2024-01-02"}`},
		{"google-ads.campaign_report", `{"start_date":"2024-01-01"}`},
		{"google-ads.campaign_report", `{"start_date":"2024-01-05","end_date":"2024-01-01"}`},
		{"google-ads.campaign_report", `{"start_date":"2024-02-30","end_date":"2024-03-01"}`},
		{"google-ads.campaign_report", `{"campaign_id":"1 OR 1=1"}`},
		{"google-ads.set_campaign_status", `{"campaign_id":"20000000001","status":"REMOVED"}`},
		{"google-ads.set_campaign_status", `{"campaign_id":"20000000001"}`},
	})
}

// actAdsMutate answers campaigns:mutate (status updates) on the fake's
// campaigns; the fake has no mutate route.
func actAdsMutate(t *testing.T, g *fakes.GoogleAds, auth func(*http.Request) bool) func(w http.ResponseWriter, r *http.Request, m []string) {
	return func(w http.ResponseWriter, r *http.Request, m []string) {
		adsErr := func(status int, msg string) {
			actJSON(w, status, map[string]any{"error": map[string]any{"code": status, "message": msg, "status": "INVALID_ARGUMENT"}})
		}
		if !auth(r) || r.Header.Get("developer-token") == "" {
			adsErr(http.StatusUnauthorized, "Request had invalid authentication credentials.")
			return
		}
		var body struct {
			Operations []struct {
				Update struct {
					ResourceName string `json:"resourceName"`
					Status       string `json:"status"`
				} `json:"update"`
				UpdateMask string `json:"updateMask"`
			} `json:"operations"`
		}
		if !actReadJSON(t, r, &body) || len(body.Operations) != 1 || body.Operations[0].UpdateMask != "status" {
			adsErr(http.StatusBadRequest, "Request contains an invalid argument.")
			return
		}
		op := body.Operations[0].Update
		prefix := "customers/" + m[1] + "/campaigns/"
		id, ok := strings.CutPrefix(op.ResourceName, prefix)
		recs := g.Records("campaigns")
		rec := actRecord(recs, "id", id)
		if !ok || rec == nil || (op.Status != "ENABLED" && op.Status != "PAUSED") {
			adsErr(http.StatusBadRequest, "Resource was not found.")
			return
		}
		rec["status"] = op.Status
		g.Clear("campaigns")
		for _, r := range recs {
			if actStr(r["id"]) == id {
				r = rec
			}
			g.Seed("campaigns", r)
		}
		actJSON(w, http.StatusOK, map[string]any{"results": []any{map[string]any{"resourceName": op.ResourceName}}})
	}
}

// ---- Google Analytics 4 ----

func TestActionsGoogleAnalytics(t *testing.T) {
	o := actOAuth(t, "google-analytics", nil)
	auth := o.Authorizer("Authorization", "Bearer ")
	g := fakes.NewGA4(t, fakes.Options{Authorize: auth})
	front := newActFront(t, g.URL)
	front.route(http.MethodPost, `/v1beta/properties/([0-9]+):runRealtimeReport`, actGA4Realtime(t, auth))
	env := actOAuthEnv(t, map[string]connectors.Override{"google-analytics": actOverride(o, "google-analytics", front.URL+"/v1beta")}, front,
		"google-analytics", map[string]string{"property_id": "123456789"})

	env.cases(t, []actCase{
		{"google-analytics.run_report", `{"metrics":["activeUsers","sessions"],"dimensions":["country"]}`, func(t *testing.T, out map[string]any) {
			rows := out["rows"].([]any)
			actDiff(t, "countries", actPluck(toMaps(rows), "country"), []string{"United States", "Germany", "France"})
			actDiff(t, "header", []any{out["dimensions"], out["row_count"], out["next_cursor"]}, []any{[]any{"country"}, 3.0, nil})
			if _, ok := rows[0].(map[string]any)["sessions"].(float64); !ok {
				t.Errorf("metric values are not numbers: %v", rows[0])
			}
		}},
		{"google-analytics.run_report", `{"metrics":["screenPageViews"],"dimensions":["date"],"start_date":"2024-03-01","end_date":"2024-03-10","limit":4}`,
			func(t *testing.T, out map[string]any) {
				actDiff(t, "dates", actPluck(toMaps(out["rows"].([]any)), "date"), []string{"20240301", "20240302", "20240303", "20240304"})
				actDiff(t, "paging", []any{out["row_count"], out["next_cursor"]}, []any{10.0, "4"})
			}},
		{"google-analytics.run_report", `{"metrics":["screenPageViews"],"dimensions":["date"],"start_date":"2024-03-01","end_date":"2024-03-10","limit":4,"cursor":"8"}`,
			func(t *testing.T, out map[string]any) {
				actDiff(t, "dates", actPluck(toMaps(out["rows"].([]any)), "date"), []string{"20240309", "20240310"})
				actDiff(t, "next", out["next_cursor"], nil)
			}},
		{"google-analytics.run_report", `{"metrics":["totalRevenue"],"start_date":"7daysAgo","end_date":"today","order_by":"-totalRevenue"}`, func(t *testing.T, out map[string]any) {
			if n := len(out["rows"].([]any)); n != 1 {
				t.Errorf("rows = %d, want one total row", n)
			}
		}},
		{"google-analytics.get_metadata", `{}`, func(t *testing.T, out map[string]any) {
			dims, mets := toMaps(out["dimensions"].([]any)), toMaps(out["metrics"].([]any))
			if len(dims) < 10 || len(mets) < 10 || actRecord(mets, "api_name", "activeUsers")["type"] != "TYPE_INTEGER" {
				t.Errorf("metadata = %v", out)
			}
		}},
		{"google-analytics.get_metadata", `{"search":"session"}`, func(t *testing.T, out map[string]any) {
			actDiff(t, "metrics", actPluck(toMaps(out["metrics"].([]any)), "api_name"),
				[]string{"averageSessionDuration", "engagedSessions", "sessions", "sessionsPerUser"})
		}},
		{"google-analytics.realtime_report", `{"metrics":["activeUsers"],"dimensions":["country"],"minutes_ago":5}`, func(t *testing.T, out map[string]any) {
			actDiff(t, "rows", out["rows"], []any{map[string]any{"country": "United States", "activeUsers": 5.0}})
		}},
	})
	env.refuse(t, []actBad{
		{"google-analytics.run_report", `{}`},
		{"google-analytics.run_report", `{"metrics":[]}`},
		{"google-analytics.run_report", `{"metrics":["active users"]}`},
		{"google-analytics.run_report", `{"metrics":["sessions"],"start_date":"last month"}`},
		{"google-analytics.run_report", `{"metrics":["sessions"],"limit":10001}`},
		{"google-analytics.realtime_report", `{"metrics":["activeUsers"],"minutes_ago":31}`},
		{"google-analytics.get_metadata", `{"search":""}`},
	})
}

func toMaps(v []any) []map[string]any {
	out := make([]map[string]any, 0, len(v))
	for _, x := range v {
		out = append(out, x.(map[string]any))
	}
	return out
}

// actGA4Realtime answers runRealtimeReport with one row per request, and
// checks the request's minute range; the fake has no realtime route.
func actGA4Realtime(t *testing.T, auth func(*http.Request) bool) func(w http.ResponseWriter, r *http.Request, m []string) {
	return func(w http.ResponseWriter, r *http.Request, m []string) {
		if !auth(r) {
			actJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{"code": 401, "status": "UNAUTHENTICATED", "message": "Request had invalid authentication credentials."}})
			return
		}
		type named struct {
			Name string `json:"name"`
		}
		var body struct {
			Dimensions   []named `json:"dimensions"`
			Metrics      []named `json:"metrics"`
			MinuteRanges []struct {
				StartMinutesAgo int `json:"startMinutesAgo"`
			} `json:"minuteRanges"`
		}
		if !actReadJSON(t, r, &body) || len(body.Metrics) == 0 || len(body.MinuteRanges) != 1 || body.MinuteRanges[0].StartMinutesAgo > 29 {
			actJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": 400, "status": "INVALID_ARGUMENT", "message": "bad realtime request"}})
			return
		}
		var dh, mh, dv, mv []any
		for _, d := range body.Dimensions {
			dh = append(dh, map[string]any{"name": d.Name})
			dv = append(dv, map[string]any{"value": "United States"})
		}
		for _, x := range body.Metrics {
			mh = append(mh, map[string]any{"name": x.Name, "type": "TYPE_INTEGER"})
			mv = append(mv, map[string]any{"value": "5"})
		}
		actJSON(w, http.StatusOK, map[string]any{"dimensionHeaders": dh, "metricHeaders": mh, "rowCount": 1,
			"rows": []any{map[string]any{"dimensionValues": dv, "metricValues": mv}}, "kind": "analyticsData#runRealtimeReport"})
	}
}

// ---- Google Search Console ----

func TestActionsSearchConsole(t *testing.T) {
	o := actOAuth(t, "google-search-console", nil)
	auth := o.Authorizer("Authorization", "Bearer ")
	sc := fakes.NewSearchConsole(t, fakes.Options{Authorize: auth})
	front := newActFront(t, sc.URL)
	actSitemapRoutes(front, sc, auth)
	env := actOAuthEnv(t, map[string]connectors.Override{"google-search-console": actOverride(o, "google-search-console", front.URL+"/webmasters/v3")},
		front, "google-search-console", map[string]string{"site_url": "https://www.example.com/"})

	env.cases(t, []actCase{
		{"google-search-console.list_sites", `{}`, wantItems("site_url", []string{"https://www.example.com/", "sc-domain:example.com"}, false)},
		{"google-search-console.search_analytics", `{"start_date":"2024-03-01","end_date":"2024-03-07","dimensions":["query"],"limit":10}`,
			func(t *testing.T, out map[string]any) {
				items := actItems(t, out)
				if len(items) != 10 || actNext(out) != "10" || !strings.HasPrefix(actStr(items[0]["query"]), "example ") {
					t.Fatalf("out = %v", out)
				}
				for i := 1; i < len(items); i++ {
					if items[i]["clicks"].(float64) > items[i-1]["clicks"].(float64) {
						t.Errorf("rows not by clicks, most first: %v", actPluck(items, "clicks"))
					}
				}
			}},
		{"google-search-console.search_analytics", `{"start_date":"2024-03-01","end_date":"2024-03-07","dimensions":["query"],"limit":10,"cursor":"20"}`,
			wantCount(5)},
		{"google-search-console.search_analytics", `{"start_date":"2024-03-01","end_date":"2024-03-03","dimensions":["date","device"]}`,
			func(t *testing.T, out map[string]any) {
				items := actItems(t, out)
				if len(items) != 9 || items[0]["date"] == nil || items[0]["device"] == nil {
					t.Errorf("out = %v", out)
				}
			}},
		{"google-search-console.search_analytics", `{"site_url":"sc-domain:example.com","days":7}`, wantCount(1)},
		{"google-search-console.search_analytics", `{"days":7,"dimensions":["page"],"filters":[{"dimension":"query","expression":"pricing"}]}`, wantCount(3)},
	})
	t.Run("sitemaps", func(t *testing.T) {
		out := env.mustRun(t, "google-search-console.submit_sitemap", `{"sitemap_url":"https://www.example.com/sitemap.xml?page=1"}`)
		actDiff(t, "answer", out, map[string]any{"site_url": "https://www.example.com/", "sitemap_url": "https://www.example.com/sitemap.xml?page=1", "submitted": true})
		recs := sc.Records("sitemaps")
		actDiff(t, "stored", actPluck(recs, "path"), []string{"https://www.example.com/sitemap.xml?page=1"})
		actDiff(t, "stored for", actPluck(recs, "siteUrl"), []string{"https://www.example.com/"})
		list := env.mustRun(t, "google-search-console.list_sitemaps", `{}`)
		actDiff(t, "listed", actPluck(actItems(t, list), "path"), []string{"https://www.example.com/sitemap.xml?page=1"})
		_, err := env.run(t, "google-search-console.submit_sitemap", `{"site_url":"https://other.example/","sitemap_url":"https://other.example/s.xml"}`)
		if hub.ErrorCode(err) != hub.EUPSTREAM {
			t.Errorf("sitemap of a site without permission: %v", err)
		}
	})
	env.refuse(t, []actBad{
		{"google-search-console.search_analytics", `{"start_date":"2024-03-01"}`},
		{"google-search-console.search_analytics", `{"days":7,"start_date":"2024-03-01","end_date":"2024-03-02"}`},
		{"google-search-console.search_analytics", `{"dimensions":["keyword"]}`},
		{"google-search-console.search_analytics", `{"limit":25001}`},
		{"google-search-console.search_analytics", `{"site_url":"ftp://example.com"}`},
		{"google-search-console.search_analytics", `{"filters":[{"dimension":"query"}]}`},
		{"google-search-console.submit_sitemap", `{}`},
		{"google-search-console.submit_sitemap", `{"sitemap_url":"sitemap.xml"}`},
		{"google-search-console.list_sitemaps", `{"site_url":"example.com"}`},
	})
}

// actSitemapRoutes answers the sitemaps routes on the fake's "sitemaps"
// collection; the fake has none.
func actSitemapRoutes(front *actFront, sc *fakes.SearchConsole, auth func(*http.Request) bool) {
	check := func(w http.ResponseWriter, r *http.Request, site string) bool {
		if !auth(r) {
			actJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{"code": 401, "message": "Invalid Credentials", "status": "UNAUTHENTICATED"}})
			return false
		}
		if actRecord(sc.Records("sites"), "siteUrl", site) == nil {
			actJSON(w, http.StatusForbidden, map[string]any{"error": map[string]any{"code": 403, "status": "PERMISSION_DENIED",
				"message": "User does not have sufficient permission for site '" + site + "'."}})
			return false
		}
		return true
	}
	front.route(http.MethodGet, `/webmasters/v3/sites/([^/]+)/sitemaps`, func(w http.ResponseWriter, r *http.Request, m []string) {
		if !check(w, r, m[1]) {
			return
		}
		var out []any
		for _, s := range sc.Records("sitemaps") {
			if s["siteUrl"] == m[1] {
				out = append(out, s)
			}
		}
		actJSON(w, http.StatusOK, map[string]any{"sitemap": out})
	})
	front.route(http.MethodPut, `/webmasters/v3/sites/([^/]+)/sitemaps/([^/]+)`, func(w http.ResponseWriter, r *http.Request, m []string) {
		if !check(w, r, m[1]) {
			return
		}
		sc.Seed("sitemaps", map[string]any{"siteUrl": m[1], "path": m[2], "lastSubmitted": time.Now().UTC().Format(time.RFC3339),
			"isPending": true, "isSitemapsIndex": false, "type": "sitemap", "warnings": "0", "errors": "0"})
		w.WriteHeader(http.StatusNoContent)
	})
}

// ---- Meta Ads ----

func TestActionsMetaAds(t *testing.T) {
	o := actOAuth(t, "meta-ads", nil)
	meta := fakes.NewMeta(t, fakes.Options{Authorize: o.Authorizer("Authorization", "Bearer ")})
	front := newActFront(t, meta.URL)
	front.route(http.MethodPost, `/v25.0/([0-9]+)`, actMetaUpdate(meta))
	// The long-lived token exchange goes to the Graph API, through the front.
	ov := actOverride(o, "meta-ads", front.URL+"/v25.0")
	env := actOAuthEnv(t, map[string]connectors.Override{"meta-ads": ov}, front, "meta-ads", map[string]string{"ad_account_id": "act_" + meta.AdAccountID})
	if meta.ExchangeCount() != 1 {
		t.Fatalf("long-lived token exchanges = %d, want 1", meta.ExchangeCount())
	}

	env.cases(t, []actCase{
		{"meta-ads.list_campaigns", `{"limit":4}`, func(t *testing.T, out map[string]any) {
			items := actItems(t, out)
			actDiff(t, "names", actPluck(items, "name"), []string{"Campaign 01", "Campaign 02", "Campaign 03", "Campaign 04"})
			actDiff(t, "fourth", []any{items[3]["status"], items[3]["objective"], items[3]["daily_budget"]}, []any{"PAUSED", "OUTCOME_AWARENESS", "2300"})
			if actNext(out) == "" {
				t.Error("no next_cursor")
			}
		}},
		{"meta-ads.list_campaigns", `{"limit":100}`, func(t *testing.T, out map[string]any) {
			wantCount(25)(t, out)
			actDiff(t, "next", out["next_cursor"], nil)
		}},
		{"meta-ads.campaign_insights", `{"date_preset":"last_7d","limit":5}`, func(t *testing.T, out map[string]any) {
			items := actItems(t, out)
			if len(items) != 5 || actNext(out) == "" {
				t.Fatalf("out = %v", out)
			}
			r := items[0]
			if r["campaign_name"] != "Campaign 01" || r["impressions"].(float64) < 7*300 || r["spend"].(float64) <= 0 {
				t.Errorf("row = %v", r)
			}
		}},
		{"meta-ads.campaign_insights", `{"start_date":"2024-02-01","end_date":"2024-02-03","daily":true,"limit":500}`, func(t *testing.T, out map[string]any) {
			items := actItems(t, out)
			if len(items) != 75 || items[0]["date_start"] != "2024-02-01" || items[0]["date_stop"] != "2024-02-01" {
				t.Errorf("rows = %d, first %v", len(items), items[0])
			}
		}},
	})
	first := actItems(t, env.mustRun(t, "meta-ads.list_campaigns", `{"limit":1}`))[0]
	id := actStr(first["id"])
	t.Run("insights of one campaign", func(t *testing.T) {
		out := env.mustRun(t, "meta-ads.campaign_insights", fmt.Sprintf(`{"campaign_id":%q,"date_preset":"yesterday"}`, id))
		actDiff(t, "campaigns", actPluck(actItems(t, out), "campaign_id"), []string{id})
	})
	t.Run("paging", func(t *testing.T) {
		env.actPaging(t, "meta-ads.list_campaigns", `{"limit":10}`, "id")
		env.actPaging(t, "meta-ads.campaign_insights", `{"limit":10}`, "campaign_id")
	})
	t.Run("update status", func(t *testing.T) {
		out := env.mustRun(t, "meta-ads.update_campaign_status", fmt.Sprintf(`{"campaign_id":%q,"status":"PAUSED"}`, id))
		actDiff(t, "answer", out, map[string]any{"campaign_id": id, "status": "PAUSED", "success": true})
		actDiff(t, "stored", actRecord(meta.Records("campaigns"), "id", id)["status"], "PAUSED")
		_, err := env.run(t, "meta-ads.update_campaign_status", `{"campaign_id":"42","status":"ACTIVE"}`)
		if hub.ErrorCode(err) != hub.EUPSTREAM {
			t.Errorf("unknown campaign: %v", err)
		}
	})
	env.refuse(t, []actBad{
		{"meta-ads.list_campaigns", `{"limit":101}`},
		{"meta-ads.list_campaigns", `{"effective_status":["RUNNING"]}`},
		{"meta-ads.campaign_insights", `{"date_preset":"last_1000d"}`},
		{"meta-ads.campaign_insights", `{"date_preset":"last_7d","start_date":"2024-01-01","end_date":"2024-01-02"}`},
		{"meta-ads.campaign_insights", `{"end_date":"2024-01-02"}`},
		{"meta-ads.update_campaign_status", `{"campaign_id":"act_1/campaigns","status":"PAUSED"}`},
		{"meta-ads.update_campaign_status", `{"campaign_id":"1","status":"DELETED"}`},
	})
}

// actMetaUpdate answers POST /{campaign-id} status updates on the fake's
// campaigns; the fake has no such route.
func actMetaUpdate(meta *fakes.Meta) func(w http.ResponseWriter, r *http.Request, m []string) {
	return func(w http.ResponseWriter, r *http.Request, m []string) {
		graphErr := func(code int, msg string) {
			actJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"message": msg, "type": "OAuthException", "code": code}})
		}
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); !ok || tok == "" {
			graphErr(2500, "An active access token must be used.")
			return
		}
		_ = r.ParseForm()
		status := r.PostForm.Get("status")
		recs := meta.Records("campaigns")
		rec := actRecord(recs, "id", m[1])
		if rec == nil || (status != "ACTIVE" && status != "PAUSED") {
			graphErr(100, "(#100) Unsupported post request. Object with ID '"+m[1]+"' does not exist.")
			return
		}
		meta.Clear("campaigns")
		for _, r := range recs {
			if actStr(r["id"]) == m[1] {
				r["status"], r["effective_status"] = status, status
			}
			meta.Seed("campaigns", r)
		}
		actJSON(w, http.StatusOK, map[string]any{"success": true})
	}
}

// ---- Mailchimp ----

func TestActionsMailchimp(t *testing.T) {
	mc := fakes.NewMailchimp(t, fakes.Options{})
	front := newActFront(t, mc.URL)
	front.route(http.MethodPut, `/3.0/lists/([^/]+)/members/([0-9a-f]{32})`, actMailchimpUpsert(t, mc))
	env := actKeyEnv(t, map[string]connectors.Override{"mailchimp": {APIBaseURL: front.URL + "/3.0"}}, front,
		connectors.ConnectRequest{Provider: "mailchimp", Credentials: map[string]string{"api_key": "0123456789abcdef-us6"}})

	env.cases(t, []actCase{
		{"mailchimp.list_audiences", `{}`, func(t *testing.T, out map[string]any) {
			wantItems("name", []string{"Newsletter", "Customers", "Beta testers"}, false)(t, out)
			actDiff(t, "first", []any{actItems(t, out)[0]["id"], actItems(t, out)[0]["member_count"], out["total"]}, []any{mc.ListID, 25.0, 3.0})
		}},
		{"mailchimp.list_audiences", `{"limit":2}`, wantItems("name", []string{"Newsletter", "Customers"}, true)},
		{"mailchimp.list_members", `{"list_id":"` + mc.ListID + `","limit":2}`, func(t *testing.T, out map[string]any) {
			items := actItems(t, out)
			actDiff(t, "members", []any{actPluck(items, "email"), items[0]["merge_fields"].(map[string]any)["FNAME"], items[0]["id"], out["total"], actNext(out)},
				[]any{[]string{"ada.lovelace@example.com", "alan.turing@example.com"}, "Ada", actMD5("ada.lovelace@example.com"), 25.0, "2"})
		}},
		{"mailchimp.list_members", `{"list_id":"` + mc.ListID + `","changed_since":"2024-01-24T00:00:00Z","limit":100}`,
			wantItems("email", []string{"jean.sammet@example.com", "rob.pike@example.com", "lynn.conway@example.com"}, false)},
		{"mailchimp.list_members", `{"list_id":"` + mc.ListID + `","status":"unsubscribed"}`, wantCount(0)},
	})
	t.Run("paging", func(t *testing.T) {
		env.actPaging(t, "mailchimp.list_members", `{"list_id":"`+mc.ListID+`","limit":10}`, "id")
	})
	t.Run("upsert member", func(t *testing.T) {
		out := env.mustRun(t, "mailchimp.add_member", `{"list_id":"`+mc.ListID+`","email":"New.Member@Example.com","first_name":"New","merge_fields":{"PHONE":"+1 555 0199"}}`)
		actDiff(t, "answer", []any{out["id"], out["status"], out["email"]}, []any{actMD5("new.member@example.com"), "subscribed", "New.Member@Example.com"})
		rec := actRecord(mc.Records("members"), "id", actMD5("new.member@example.com"))
		if rec == nil {
			t.Fatal("the member is not in the audience")
		}
		actDiff(t, "stored", []any{rec["status"], rec["merge_fields"]}, []any{"subscribed", map[string]any{"FNAME": "New", "PHONE": "+1 555 0199"}})
		// Again with another status: an update keeps the member's status.
		env.mustRun(t, "mailchimp.add_member", `{"list_id":"`+mc.ListID+`","email":"new.member@example.com","last_name":"Member","status":"pending"}`)
		rec = actRecord(mc.Records("members"), "id", actMD5("new.member@example.com"))
		actDiff(t, "updated", []any{rec["status"], rec["merge_fields"]}, []any{"subscribed", map[string]any{"FNAME": "New", "LNAME": "Member", "PHONE": "+1 555 0199"}})
		if n := len(mc.Records("members")); n != 26 {
			t.Errorf("members = %d, want 26", n)
		}
		_, err := env.run(t, "mailchimp.add_member", `{"list_id":"nosuchlist","email":"x@example.com"}`)
		if hub.ErrorCode(err) != hub.EUPSTREAM {
			t.Errorf("unknown list: %v", err)
		}
	})
	env.refuse(t, []actBad{
		{"mailchimp.list_audiences", `{"limit":1001}`},
		{"mailchimp.list_members", `{}`},
		{"mailchimp.list_members", `{"list_id":"../campaigns"}`},
		{"mailchimp.list_members", `{"list_id":"abc","status":"happy"}`},
		{"mailchimp.add_member", `{"list_id":"abc"}`},
		{"mailchimp.add_member", `{"list_id":"abc","email":"nope"}`},
		{"mailchimp.add_member", `{"list_id":"abc","email":"a@example.com","status":"cleaned"}`},
		{"mailchimp.add_member", `{"list_id":"abc","email":"a@example.com","merge_fields":{"lower":"x"}}`},
	})
}

func actMD5(s string) string {
	sum := md5.Sum([]byte(strings.ToLower(s)))
	return hex.EncodeToString(sum[:])
}

// actMailchimpUpsert answers PUT /lists/{id}/members/{hash} (add or update)
// on the fake's members; the fake has only POST.
func actMailchimpUpsert(t *testing.T, mc *fakes.Mailchimp) func(w http.ResponseWriter, r *http.Request, m []string) {
	return func(w http.ResponseWriter, r *http.Request, m []string) {
		problem := func(status int, title, detail string) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]any{"type": "https://mailchimp.com/developer/marketing/docs/errors/", "title": title, "status": status, "detail": detail})
		}
		if _, pass, ok := r.BasicAuth(); !ok || pass == "" {
			problem(http.StatusUnauthorized, "API Key Missing", "Your request did not include an API key.")
			return
		}
		if actRecord(mc.Records("lists"), "id", m[1]) == nil {
			problem(http.StatusNotFound, "Resource Not Found", "The requested resource could not be found.")
			return
		}
		var body struct {
			Email       string         `json:"email_address"`
			StatusIfNew string         `json:"status_if_new"`
			Status      string         `json:"status"`
			MergeFields map[string]any `json:"merge_fields"`
		}
		if !actReadJSON(t, r, &body) || actMD5(body.Email) != m[2] || body.StatusIfNew == "" {
			problem(http.StatusBadRequest, "Invalid Resource", "The resource submitted could not be validated.")
			return
		}
		recs := mc.Records("members")
		var rec map[string]any
		for _, x := range recs {
			if x["id"] == m[2] && x["list_id"] == m[1] {
				rec = x
			}
		}
		if rec == nil {
			now := time.Now().UTC().Format(time.RFC3339)
			rec = map[string]any{"id": m[2], "email_address": body.Email, "status": body.StatusIfNew, "merge_fields": map[string]any{},
				"list_id": m[1], "last_changed": now, "timestamp_opt": now, "tags": []any{}}
			recs = append(recs, rec)
		} else if body.Status != "" {
			rec["status"] = body.Status
		}
		merge, _ := rec["merge_fields"].(map[string]any)
		for k, v := range body.MergeFields {
			merge[k] = v
		}
		rec["merge_fields"] = merge
		mc.Clear("members")
		for _, x := range recs {
			if x["id"] == rec["id"] && x["list_id"] == rec["list_id"] {
				x = rec
			}
			mc.Seed("members", x)
		}
		actJSON(w, http.StatusOK, rec)
	}
}

// ---- Slack ----

func TestActionsSlack(t *testing.T) {
	o := actOAuth(t, "slack", nil)
	sl := fakes.NewSlack(t, fakes.Options{Authorize: o.Authorizer("Authorization", "Bearer ")})
	front := newActFront(t, sl.URL)
	env := actOAuthEnv(t, map[string]connectors.Override{"slack": actOverride(o, "slack", front.URL+"/api")}, front, "slack", nil)

	env.cases(t, []actCase{
		{"slack.list_channels", `{"limit":3}`, func(t *testing.T, out map[string]any) {
			items := actItems(t, out)
			actDiff(t, "channels", []any{actPluck(items, "name"), items[0]["is_private"], items[0]["purpose"], items[2]["num_members"]},
				[]any{[]string{"general", "random", "channel-03"}, false, "Channel general", 7.0})
			if actNext(out) == "" {
				t.Error("no next_cursor")
			}
		}},
		{"slack.list_channels", `{"limit":1000}`, wantCount(20)},
		{"slack.list_channels", `{"limit":1000,"types":["private_channel"]}`,
			wantItems("name", []string{"channel-05", "channel-10", "channel-15", "channel-20", "channel-25"}, false)},
		{"slack.list_users", `{"limit":2}`, func(t *testing.T, out map[string]any) {
			items := actItems(t, out)
			actDiff(t, "users", []any{actPluck(items, "real_name"), items[0]["email"], items[0]["display_name"], items[0]["is_admin"]},
				[]any{[]string{"Ada Lovelace", "Alan Turing"}, "ada.lovelace@example.com", "ada.lovelace", true})
		}},
	})
	t.Run("paging", func(t *testing.T) {
		env.actPaging(t, "slack.list_channels", `{"limit":10}`, "id")
		env.actPaging(t, "slack.list_users", `{"limit":10}`, "id")
	})
	t.Run("post", func(t *testing.T) {
		out := env.mustRun(t, "slack.post_message", `{"channel":"#general","text":"Deal *won* :tada:"}`)
		general := actRecord(sl.Records("channels"), "name", "general")["id"]
		actDiff(t, "answer", []any{out["channel"], out["text"]}, []any{general, "Deal *won* :tada:"})
		msgs := sl.Records("messages")
		if len(msgs) != 1 || msgs[0]["channel"] != general || msgs[0]["text"] != "Deal *won* :tada:" || msgs[0]["ts"] != out["ts"] {
			t.Fatalf("messages = %v", msgs)
		}
		reply := env.mustRun(t, "slack.post_message", fmt.Sprintf(`{"channel":%q,"text":"details","thread_ts":%q}`, general, out["ts"]))
		actDiff(t, "reply thread", reply["thread_ts"], out["ts"])
		if n := len(sl.Records("messages")); n != 2 {
			t.Errorf("messages = %d, want 2", n)
		}
	})
	t.Run("ok false", func(t *testing.T) {
		_, err := env.run(t, "slack.post_message", `{"channel":"no-such-channel","text":"hi"}`)
		var he *hub.Error
		if !asErr(err, &he) || he.Code != hub.EINVALID || !strings.Contains(he.Message, "channel_not_found") {
			t.Errorf("unknown channel: %v", err)
		}
		_, err = env.run(t, "slack.list_users", `{"cursor":"not-a-cursor"}`)
		if !asErr(err, &he) || he.Code != hub.EINVALID || !strings.Contains(he.Message, "invalid_cursor") {
			t.Errorf("bad cursor: %v", err)
		}
		o.ExpireAll()
		o.RevokeRefreshTokens()
		_, err = env.run(t, "slack.list_channels", `{}`)
		if code := hub.ErrorCode(err); code != hub.EUPSTREAM && code != hub.EUNAUTHORIZED {
			t.Errorf("revoked token: %v", err)
		}
	})
	env.refuse(t, []actBad{
		{"slack.list_channels", `{"types":["im"]}`},
		{"slack.list_channels", `{"limit":1001}`},
		{"slack.post_message", `{"channel":"general"}`},
		{"slack.post_message", `{"text":"no channel"}`},
		{"slack.post_message", `{"channel":"general&token=x","text":"hi"}`},
		{"slack.post_message", `{"channel":"general","text":"hi","thread_ts":"yesterday"}`},
		{"slack.list_users", `{"limit":0}`},
	})
}

// ---- WooCommerce ----

func TestActionsWooCommerce(t *testing.T) {
	wc := fakes.NewWooCommerce(t, fakes.Options{})
	front := newActFront(t, wc.Root)
	// No override: the catalogue's base URL is built from the site URL, through the egress guard.
	env := actKeyEnv(t, nil, front,
		connectors.ConnectRequest{Provider: "woocommerce", Config: map[string]string{"site_url": front.URL},
			Credentials: map[string]string{"consumer_key": "ck_0123456789", "consumer_secret": "cs_0123456789"}})

	env.cases(t, []actCase{
		{"woocommerce.list_orders", `{"limit":2}`, func(t *testing.T, out map[string]any) {
			items := actItems(t, out)
			actDiff(t, "orders", []any{actPluck(items, "number"), items[0]["total"], items[0]["billing_email"], items[0]["billing_name"],
				items[0]["line_items"].([]any)[0].(map[string]any)["sku"], out["total"], actNext(out)},
				[]any{[]string{"724", "723"}, "188.35", "lynn.conway@example.com", "Lynn Conway", "WID-25", 25.0, "2"})
		}},
		{"woocommerce.list_orders", `{"status":"refunded","limit":100}`, wantItems("number", []string{"724", "719", "714", "709", "704"}, false)},
		{"woocommerce.list_orders", `{"created_after":"2024-01-24T00:00:00"}`, wantItems("number", []string{"724", "723"}, false)},
		{"woocommerce.list_orders", `{"search":"719"}`, wantItems("number", []string{"719"}, false)},
		{"woocommerce.list_products", `{"limit":3}`, func(t *testing.T, out map[string]any) {
			items := actItems(t, out)
			actDiff(t, "products", []any{actPluck(items, "name"), items[0]["sku"], items[0]["price"], items[0]["stock_quantity"]},
				[]any{[]string{"Widget 25", "Widget 24", "Widget 23"}, "WID-25", "130", 34.0})
		}},
		{"woocommerce.list_products", `{"search":"WID-07"}`, wantItems("name", []string{"Widget 07"}, false)},
	})
	t.Run("paging", func(t *testing.T) {
		env.actPaging(t, "woocommerce.list_orders", `{"limit":10}`, "id")
		env.actPaging(t, "woocommerce.list_products", `{"limit":10}`, "id")
	})
	t.Run("create", func(t *testing.T) {
		out := env.mustRun(t, "woocommerce.create_product", `{"name":"Blue Mug","regular_price":"12.50","sku":"MUG-1","stock_quantity":7,"categories":[9]}`)
		rec := actRecord(wc.Records("products"), "id", actStr(out["id"]))
		if rec == nil {
			t.Fatalf("product %v not in the store", out["id"])
		}
		actDiff(t, "stored", []any{rec["name"], rec["status"], rec["regular_price"], rec["sku"], rec["manage_stock"], actStr(rec["stock_quantity"])},
			[]any{"Blue Mug", "draft", "12.50", "MUG-1", true, "7"})
		actDiff(t, "answer", []any{out["name"], out["status"], out["price"], out["stock_quantity"]}, []any{"Blue Mug", "draft", "12.50", 7.0})
	})
	env.refuse(t, []actBad{
		{"woocommerce.list_orders", `{"status":"shipped"}`},
		{"woocommerce.list_orders", `{"created_after":"2024-13-45"}`},
		{"woocommerce.list_orders", `{"cursor":"page-two"}`},
		{"woocommerce.list_products", `{"limit":101}`},
		{"woocommerce.create_product", `{"regular_price":"1"}`},
		{"woocommerce.create_product", `{"name":"X","regular_price":"12,50"}`},
		{"woocommerce.create_product", `{"name":"X","status":"live"}`},
	})
}

// ---- FluentCRM ----

func TestActionsFluentCRM(t *testing.T) {
	fc := fakes.NewFluentCRM(t, fakes.Options{})
	front := newActFront(t, fc.Root)
	env := actKeyEnv(t, nil, front,
		connectors.ConnectRequest{Provider: "fluentcrm", Config: map[string]string{"site_url": front.URL},
			Credentials: map[string]string{"username": "admin", "application_password": "abcd EFGH ijkl MNOP qrst UVWX"}})

	env.cases(t, []actCase{
		{"fluentcrm.list_contacts", `{"limit":2}`, func(t *testing.T, out map[string]any) {
			items := actItems(t, out)
			actDiff(t, "contacts", []any{actPluck(items, "id"), items[0]["email"], items[0]["full_name"], items[0]["lists"], out["total"], actNext(out)},
				[]any{[]string{"25", "24"}, "lynn.conway@example.com", "Lynn Conway", []any{}, 25.0, "2"})
		}},
		{"fluentcrm.list_contacts", `{"search":"hopper"}`, wantItems("email", []string{"grace.hopper@example.com"}, false)},
		{"fluentcrm.get_contact", `{"id":4}`, func(t *testing.T, out map[string]any) {
			actDiff(t, "contact", []any{out["id"], out["email"], out["status"]}, []any{4.0, "edsger.dijkstra@example.com", "subscribed"})
		}},
		{"fluentcrm.get_contact", `{"email":"Barbara.Liskov@example.com"}`, func(t *testing.T, out map[string]any) {
			actDiff(t, "contact", []any{out["id"], out["first_name"]}, []any{5.0, "Barbara"})
		}},
		{"fluentcrm.list_lists", `{}`, func(t *testing.T, out map[string]any) {
			wantItems("title", []string{"Newsletter", "Customers", "Beta testers"}, false)(t, out)
			actDiff(t, "first", []any{actItems(t, out)[0]["id"], actItems(t, out)[0]["slug"]}, []any{1.0, "newsletter"})
		}},
	})
	t.Run("paging", func(t *testing.T) { env.actPaging(t, "fluentcrm.list_contacts", `{"limit":10}`, "id") })
	t.Run("not found", func(t *testing.T) {
		if _, err := env.run(t, "fluentcrm.get_contact", `{"email":"nobody@example.com"}`); hub.ErrorCode(err) != hub.ENOTFOUND {
			t.Errorf("unknown email: %v", err)
		}
		if _, err := env.run(t, "fluentcrm.get_contact", `{"id":999}`); hub.ErrorCode(err) != hub.EUPSTREAM {
			t.Errorf("unknown id: %v", err)
		}
	})
	t.Run("create", func(t *testing.T) {
		out := env.mustRun(t, "fluentcrm.create_contact", `{"email":"new@example.com","first_name":"New","last_name":"Contact","phone":"+33 1 23","lists":[2],"status":"pending"}`)
		rec := actRecord(fc.Records("subscribers"), "id", actStr(out["id"]))
		if rec == nil {
			t.Fatalf("contact %v not in FluentCRM", out["id"])
		}
		actDiff(t, "stored", []any{rec["email"], rec["full_name"], rec["status"], rec["phone"], actPluck(toMaps(rec["lists"].([]any)), "title")},
			[]any{"new@example.com", "New Contact", "pending", "+33 1 23", []string{"Customers"}})
		actDiff(t, "answer lists", out["lists"], []any{map[string]any{"id": 2.0, "title": "Customers"}})
		_, err := env.run(t, "fluentcrm.create_contact", `{"email":"new@example.com"}`)
		var he *hub.Error
		if !asErr(err, &he) || he.Code != hub.EUPSTREAM || he.UpstreamStatus != http.StatusUnprocessableEntity {
			t.Errorf("duplicate: %v", err)
		}
	})
	env.refuse(t, []actBad{
		{"fluentcrm.list_contacts", `{"status":"vip"}`},
		{"fluentcrm.list_contacts", `{"list_id":0}`},
		{"fluentcrm.get_contact", `{}`},
		{"fluentcrm.get_contact", `{"id":1,"email":"a@example.com"}`},
		{"fluentcrm.get_contact", `{"id":"1/../2"}`},
		{"fluentcrm.create_contact", `{"first_name":"x"}`},
		{"fluentcrm.create_contact", `{"email":"a@example.com","lists":["Newsletter"]}`},
		{"fluentcrm.list_lists", `{"limit":5}`},
	})
}

// ---- WordPress (a real WordPress) ----

func TestActionsWordPress(t *testing.T) {
	wp := testenv.WordPress(t)
	front := newActFront(t, wp.URL)
	env := actKeyEnv(t, nil, front, connectors.ConnectRequest{Provider: "wordpress", Config: map[string]string{"site_url": front.URL},
		Credentials: map[string]string{"username": wp.Username, "application_password": wp.AppPassword}})
	ctx := context.Background()
	title := fmt.Sprintf("Hub action test %d & friends", time.Now().UnixNano())

	created := env.mustRun(t, "wordpress.create_post", fmt.Sprintf(`{"title":%q,"content":"<p>Hello from the hub.</p>","excerpt":"Short."}`, title))
	id := int64(created["id"].(float64))
	t.Cleanup(func() {
		resp, err := env.h.svc.Do(ctx, env.conn, http.MethodDelete, fmt.Sprintf("/wp/v2/posts/%d", id), url.Values{"force": {"true"}}, nil, nil)
		if err != nil {
			t.Errorf("delete post %d: %v", id, err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("delete post %d: HTTP %d", id, resp.StatusCode)
		}
	})
	actDiff(t, "created", []any{created["title"], created["status"], created["type"], strings.Contains(actStr(created["content"]), "Hello from the hub.")},
		[]any{title, "draft", "post", true})

	env.cases(t, []actCase{
		{"wordpress.get_post", fmt.Sprintf(`{"id":%d}`, id), func(t *testing.T, out map[string]any) {
			actDiff(t, "post", []any{out["id"], out["title"], out["status"], strings.TrimSpace(actStr(out["content"]))},
				[]any{float64(id), title, "draft", "<p>Hello from the hub.</p>"})
		}},
		{"wordpress.list_posts", `{"status":"draft","search":"Hub action test","limit":100}`, func(t *testing.T, out map[string]any) {
			var found bool
			for _, it := range actItems(t, out) {
				found = found || int64(it["id"].(float64)) == id
				if it["status"] != "draft" {
					t.Errorf("not a draft: %v", it)
				}
			}
			if !found {
				t.Errorf("post %d not listed: %v", id, out)
			}
		}},
		{"wordpress.list_posts", `{"limit":1,"status":"any"}`, func(t *testing.T, out map[string]any) {
			if n := len(actItems(t, out)); n != 1 || out["total"].(float64) < 1 {
				t.Errorf("out = %v", out)
			}
		}},
		{"wordpress.list_pages", `{"limit":100}`, func(t *testing.T, out map[string]any) {
			for _, it := range actItems(t, out) {
				if it["type"] != "page" || it["status"] != "publish" {
					t.Errorf("item = %v", it)
				}
			}
		}},
	})
	t.Run("paging", func(t *testing.T) {
		for i := 0; i < 2; i++ { // make sure there are at least three drafts to page through
			more := env.mustRun(t, "wordpress.create_post", fmt.Sprintf(`{"title":"Hub paging test %d"}`, i))
			mid := int64(more["id"].(float64))
			t.Cleanup(func() {
				if resp, err := env.h.svc.Do(ctx, env.conn, http.MethodDelete, fmt.Sprintf("/wp/v2/posts/%d", mid), url.Values{"force": {"true"}}, nil, nil); err == nil {
					resp.Body.Close()
				}
			})
		}
		env.actPaging(t, "wordpress.list_posts", `{"status":"draft","limit":1}`, "id")
	})
	t.Run("errors", func(t *testing.T) {
		_, err := env.run(t, "wordpress.get_post", `{"id":999999999}`)
		var he *hub.Error
		if !asErr(err, &he) || he.Code != hub.EUPSTREAM || he.UpstreamStatus != http.StatusNotFound {
			t.Errorf("missing post: %v", err)
		}
	})
	env.refuse(t, []actBad{
		{"wordpress.create_post", `{}`},
		{"wordpress.create_post", `{"title":"x","status":"future"}`},
		{"wordpress.create_post", `{"title":"x","status":"trash"}`},
		{"wordpress.create_post", `{"title":"x","slug":"Not/A/Slug"}`},
		{"wordpress.get_post", `{"id":"1?context=edit"}`},
		{"wordpress.get_post", `{"id":0}`},
		{"wordpress.list_posts", `{"limit":101}`},
		{"wordpress.list_pages", `{"orderby":"random"}`},
	})
}

// ---- Stripe (stripe-mock) ----

func TestActionsStripe(t *testing.T) {
	mock := testenv.StripeMock(t)
	front := newActFront(t, mock)
	env := actKeyEnv(t, map[string]connectors.Override{"stripe": {APIBaseURL: front.URL}}, front,
		connectors.ConnectRequest{Provider: "stripe", Credentials: map[string]string{"api_key": "sk_test_123"}})

	env.cases(t, []actCase{
		{"stripe.list_customers", `{"limit":3}`, func(t *testing.T, out map[string]any) {
			if len(actItems(t, out)) == 0 {
				t.Fatal("no customers")
			}
			for _, it := range actItems(t, out) {
				if !strings.HasPrefix(actStr(it["id"]), "cus_") {
					t.Errorf("customer = %v", it)
				}
			}
		}},
		{"stripe.list_customers", `{"email":"jenny.rosen@example.com","cursor":"cus_123"}`, nil},
		{"stripe.list_invoices", `{"limit":5,"status":"paid","customer":"cus_123"}`, func(t *testing.T, out map[string]any) {
			if len(actItems(t, out)) == 0 {
				t.Fatal("no invoices")
			}
			for _, it := range actItems(t, out) {
				if !strings.HasPrefix(actStr(it["id"]), "in_") {
					t.Errorf("invoice = %v", it)
				}
			}
		}},
		{"stripe.list_payment_intents", `{"customer":"cus_123"}`, func(t *testing.T, out map[string]any) {
			if len(actItems(t, out)) == 0 {
				t.Fatal("no payment intents")
			}
			for _, it := range actItems(t, out) {
				if !strings.HasPrefix(actStr(it["id"]), "pi_") {
					t.Errorf("payment intent = %v", it)
				}
			}
		}},
	})
	t.Run("create", func(t *testing.T) {
		out := env.mustRun(t, "stripe.create_customer", `{"email":"ada@example.com","name":"Ada Lovelace","metadata":{"hub_contact":"1001"}}`)
		if !strings.HasPrefix(actStr(out["id"]), "cus_") {
			t.Fatalf("created = %v", out)
		}
		// stripe-mock keeps no data; it does check every parameter against
		// Stripe's OpenAPI description and reflects some back.
		actDiff(t, "reflected", []any{out["email"], out["name"]}, []any{"ada@example.com", "Ada Lovelace"})
		req := front.lastRequest()
		if ct := req.Header.Get("Content-Type"); req.Method != http.MethodPost || ct != "application/x-www-form-urlencoded" {
			t.Errorf("request = %s %s", req.Method, ct)
		}
		if !strings.HasPrefix(req.Header.Get("Idempotency-Key"), "bizos-") {
			t.Errorf("Idempotency-Key = %q", req.Header.Get("Idempotency-Key"))
		}
	})
	env.refuse(t, []actBad{
		{"stripe.create_customer", `{}`},
		{"stripe.create_customer", `{"email":"not-an-email"}`},
		{"stripe.create_customer", `{"name":"x","metadata":{"k":1}}`},
		{"stripe.list_invoices", `{"status":"late"}`},
		{"stripe.list_invoices", `{"customer":"cus_1&status=paid"}`},
		{"stripe.list_payment_intents", `{"limit":101}`},
		{"stripe.list_customers", `{"email":"x"}`},
	})
}

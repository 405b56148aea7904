package connectors_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/connectors"
	"github.com/bizoshub/bizos/internal/fakes"
	"github.com/bizoshub/bizos/postgres"
)

// crmFixture is a tenant with three CRM connections (HubSpot and Zoho CRM
// through OAuth, FluentCRM through an application password), each on its
// own fake.
type crmFixture struct {
	h                            *harness
	hs                           *fakes.HubSpot
	zoho                         *fakes.Zoho
	zohoAuth                     *fakes.OAuth
	zohoFront                    *crmZohoFront
	fluent                       *fakes.FluentCRM
	hsConn, zohoConn, fluentConn *hub.Connection
}

func newCRMFixture(t *testing.T) *crmFixture {
	t.Helper()
	_, hs, overrides := hubspotFakes(t, false)

	front := &crmZohoFront{}
	frontSrv := httptest.NewServer(front)
	t.Cleanup(frontSrv.Close)
	zo := fakes.NewOAuth(t, fakes.OAuthOptions{ClientID: "zoho-client", ClientSecret: "zoho-secret", TokenAuth: "params",
		Extra: map[string]any{"api_domain": frontSrv.URL}})
	z := fakes.NewZoho(t, fakes.Options{Authorize: zo.Authorizer("Authorization", "Zoho-oauthtoken ")})
	front.zoho, front.authorize = z, zo.Authorizer("Authorization", "Zoho-oauthtoken ")
	front.proxy = httputil.NewSingleHostReverseProxy(crmMustURL(t, z.Root))
	overrides["zoho-crm"] = connectors.Override{AuthorizationURL: zo.AuthorizeURL(), TokenURL: zo.TokenURL(),
		ClientID: "zoho-client", ClientSecret: "zoho-secret"}

	// FluentCRM needs no override: each connection's site_url is its fake
	// (loopback is allowed by the harness's egress policy).
	fc := fakes.NewFluentCRM(t, fakes.Options{})

	h := newHarness(t, overrides, nil)
	f := &crmFixture{h: h, hs: hs, zoho: z, zohoAuth: zo, zohoFront: front, fluent: fc}
	f.hsConn = h.oauthConnect("hubspot", nil)
	f.zohoConn = h.oauthConnect("zoho-crm", map[string]string{"data_center": "zoho.eu"})
	f.fluentConn = crmConnectFluent(t, h, h.user, fc)
	return f
}

func crmConnectFluent(t *testing.T, h *harness, p hub.Principal, fc *fakes.FluentCRM) *hub.Connection {
	t.Helper()
	conn, err := h.svc.Connect(context.Background(), p, connectors.ConnectRequest{Provider: "fluentcrm", Name: "Blog",
		Config:      map[string]string{"site_url": fc.Root},
		Credentials: map[string]string{"username": "admin", "application_password": "abcd EFGH ijkl MNOP qrst UVWX"}})
	if err != nil {
		t.Fatalf("connect FluentCRM: %v", err)
	}
	return conn
}

func crmMustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// crmZohoFront stands in front of the Zoho fake: it answers GET
// /crm/v6/Contacts/search?email= as Zoho documents it (the fake has no
// search route), can make every API call fail with a status, and passes
// everything else on to the fake.
type crmZohoFront struct {
	zoho      *fakes.Zoho
	authorize func(*http.Request) bool
	proxy     *httputil.ReverseProxy

	mu         sync.Mutex
	failStatus int
	searches   int
}

func (z *crmZohoFront) searchCount() int {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.searches
}

func (z *crmZohoFront) setFail(status int) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.failStatus = status
}

func (z *crmZohoFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	z.mu.Lock()
	fail := z.failStatus
	z.mu.Unlock()
	zohoErr := func(status int, code, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "details": map[string]any{}, "message": msg, "status": "error"})
	}
	if fail != 0 {
		zohoErr(fail, "INTERNAL_ERROR", "Internal Server Error")
		return
	}
	if r.Method != http.MethodGet || r.URL.Path != "/crm/v6/Contacts/search" {
		z.proxy.ServeHTTP(w, r)
		return
	}
	if !z.authorize(r) {
		zohoErr(http.StatusUnauthorized, "INVALID_TOKEN", "invalid oauth token")
		return
	}
	z.mu.Lock()
	z.searches++
	z.mu.Unlock()
	q := r.URL.Query()
	email := q.Get("email")
	page, _ := strconv.Atoi(q.Get("page"))
	perPage, _ := strconv.Atoi(q.Get("per_page"))
	if email == "" || page < 1 || perPage < 1 || perPage > 200 {
		zohoErr(http.StatusBadRequest, "INVALID_QUERY", "invalid query formed")
		return
	}
	var hits []map[string]any
	for _, rec := range z.zoho.Records("Contacts") {
		if strings.EqualFold(fmt.Sprint(rec["Email"]), email) {
			hits = append(hits, rec)
		}
	}
	from := (page - 1) * perPage
	if from >= len(hits) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	to := min(from+perPage, len(hits))
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"data": hits[from:to],
		"info": map[string]any{"per_page": perPage, "count": to - from, "page": page, "more_records": to < len(hits)}})
}

// list pages through a whole listing and returns every item and every
// source error, failing on a page larger than the limit.
func (f *crmFixture) listAll(t *testing.T, tenantID, kind string, q connectors.CRMQuery) ([]connectors.CRMRecord, []connectors.CRMSourceError) {
	t.Helper()
	var items []connectors.CRMRecord
	var errs []connectors.CRMSourceError
	for pages := 0; ; pages++ {
		if pages > 500 {
			t.Fatal("the listing does not end")
		}
		page, err := f.h.svc.CRMList(context.Background(), tenantID, kind, q)
		if err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		limit := q.Limit
		if limit <= 0 {
			limit = 50
		}
		if len(page.Items) > limit {
			t.Fatalf("page %d has %d items, limit %d", pages+1, len(page.Items), limit)
		}
		items = append(items, page.Items...)
		errs = append(errs, page.Errors...)
		if page.NextCursor == "" {
			return items, errs
		}
		q.Cursor = page.NextCursor
	}
}

// wantIDs lists the unified ids of a kind's seeded records at the fakes,
// optionally only those keep passes (given email and update time).
func (f *crmFixture) wantIDs(t *testing.T, kind string, keep func(email string, updated time.Time) bool) []string {
	t.Helper()
	if keep == nil {
		keep = func(string, time.Time) bool { return true }
	}
	parse := func(layout, s string) time.Time {
		tm, err := time.Parse(layout, s)
		if err != nil {
			t.Fatalf("seed time %q: %v", s, err)
		}
		return tm
	}
	var ids []string
	hsModified := map[string]string{connectors.CRMContacts: "lastmodifieddate"}[kind]
	if hsModified == "" {
		hsModified = "hs_lastmodifieddate"
	}
	for _, r := range f.hs.Records(kind) {
		props := r["properties"].(map[string]any)
		email, _ := props["email"].(string)
		if keep(email, parse(time.RFC3339Nano, props[hsModified].(string))) {
			ids = append(ids, f.hsConn.ID+":"+r["id"].(string))
		}
	}
	module := map[string]string{connectors.CRMContacts: "Contacts", connectors.CRMCompanies: "Accounts", connectors.CRMDeals: "Deals"}[kind]
	for _, r := range f.zoho.Records(module) {
		email, _ := r["Email"].(string)
		if keep(email, parse(time.RFC3339, r["Modified_Time"].(string))) {
			ids = append(ids, f.zohoConn.ID+":"+r["id"].(string))
		}
	}
	if kind == connectors.CRMContacts {
		for _, r := range f.fluent.Records("subscribers") {
			if keep(r["email"].(string), parse("2006-01-02 15:04:05", r["updated_at"].(string))) {
				ids = append(ids, f.fluentConn.ID+":"+r["id"].(string))
			}
		}
	}
	sort.Strings(ids)
	return ids
}

func crmIDs(items []connectors.CRMRecord) []string {
	var ids []string
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	sort.Strings(ids)
	return ids
}

func crmCheckNewestFirst(t *testing.T, items []connectors.CRMRecord) {
	t.Helper()
	for i := 1; i < len(items); i++ {
		a, b := items[i-1].UpdatedAt, items[i].UpdatedAt
		if a == nil || b == nil || a.Before(*b) {
			t.Fatalf("items %d and %d are not newest first: %v, %v", i-1, i, a, b)
		}
	}
}

func crmTimeP(tm time.Time) *time.Time { return &tm }
func crmFloatP(f float64) *float64     { return &f }

// TestCRMListMapsEveryPlatform lists each kind in one page across the three
// connections and checks the unified records field by field.
func TestCRMListMapsEveryPlatform(t *testing.T) {
	f := newCRMFixture(t)
	ctx := context.Background()
	created := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)
	updated := created.Add(time.Hour)
	zohoID := func(module string) string { return f.zoho.Records(module)[0]["id"].(string) }
	hs, zo, fl := f.hsConn.ID, f.zohoConn.ID, f.fluentConn.ID

	tests := []struct {
		kind    string
		count   int
		samples []connectors.CRMRecord // records that must be in the list, exactly
	}{
		{connectors.CRMContacts, 75, []connectors.CRMRecord{
			{ID: hs + ":1001", ConnectionID: hs, Provider: "hubspot", PlatformID: "1001", Kind: "contacts", Name: "Ada Lovelace",
				Email: "ada.lovelace@example.com", Phone: "+1 555 0100", CreatedAt: crmTimeP(created), UpdatedAt: crmTimeP(updated)},
			{ID: zo + ":" + zohoID("Contacts"), ConnectionID: zo, Provider: "zoho-crm", PlatformID: zohoID("Contacts"), Kind: "contacts",
				Name: "Ada Lovelace", Email: "ada.lovelace@example.com", Phone: "+1 555 0100", Company: "Lovelace Systems",
				CreatedAt: crmTimeP(created), UpdatedAt: crmTimeP(updated), URL: "https://crm.zoho.eu/crm/tab/Contacts/" + zohoID("Contacts")},
			{ID: fl + ":1", ConnectionID: fl, Provider: "fluentcrm", PlatformID: "1", Kind: "contacts", Name: "Ada Lovelace",
				Email: "ada.lovelace@example.com", CreatedAt: crmTimeP(created), UpdatedAt: crmTimeP(updated),
				URL: f.fluent.Root + "/wp-admin/admin.php?page=fluentcrm-admin#/subscribers/1"},
		}},
		{connectors.CRMCompanies, 50, []connectors.CRMRecord{
			{ID: hs + ":2001", ConnectionID: hs, Provider: "hubspot", PlatformID: "2001", Kind: "companies", Name: "Lovelace Systems",
				Domain: "lovelace.example.com", CreatedAt: crmTimeP(created), UpdatedAt: crmTimeP(updated)},
			{ID: zo + ":" + zohoID("Accounts"), ConnectionID: zo, Provider: "zoho-crm", PlatformID: zohoID("Accounts"), Kind: "companies",
				Name: "Lovelace Systems", Domain: "lovelace.example.com", Phone: "+1 555 0200", CreatedAt: crmTimeP(created), UpdatedAt: crmTimeP(updated),
				URL: "https://crm.zoho.eu/crm/tab/Accounts/" + zohoID("Accounts")},
		}},
		{connectors.CRMDeals, 50, []connectors.CRMRecord{
			{ID: hs + ":3002", ConnectionID: hs, Provider: "hubspot", PlatformID: "3002", Kind: "deals", Name: "Turing renewal",
				Amount: crmFloatP(1250), Stage: "qualifiedtobuy", CreatedAt: crmTimeP(created.AddDate(0, 0, 1)), UpdatedAt: crmTimeP(created.AddDate(0, 0, 1).Add(2 * time.Hour))},
			{ID: zo + ":" + zohoID("Deals"), ConnectionID: zo, Provider: "zoho-crm", PlatformID: zohoID("Deals"), Kind: "deals",
				Name: "Lovelace renewal", Company: "Lovelace Systems", Amount: crmFloatP(1000), Stage: "Qualification",
				CreatedAt: crmTimeP(created), UpdatedAt: crmTimeP(updated), URL: "https://crm.zoho.eu/crm/tab/Deals/" + zohoID("Deals")},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			fluentBefore := f.fluent.Requests()
			page, err := f.h.svc.CRMList(ctx, f.h.user.TenantID, tt.kind, connectors.CRMQuery{Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			if page.NextCursor != "" || len(page.Errors) != 0 {
				t.Errorf("next_cursor %q, errors %+v; want one complete page", page.NextCursor, page.Errors)
			}
			if diff := cmp.Diff(f.wantIDs(t, tt.kind, nil), crmIDs(page.Items)); diff != "" || len(page.Items) != tt.count {
				t.Errorf("%d items, want %d; ids (-want +got):\n%s", len(page.Items), tt.count, diff)
			}
			crmCheckNewestFirst(t, page.Items)
			byID := map[string]connectors.CRMRecord{}
			for _, it := range page.Items {
				byID[it.ID] = it
			}
			for _, want := range tt.samples {
				if diff := cmp.Diff(want, byID[want.ID]); diff != "" {
					t.Errorf("record %s (-want +got):\n%s", want.ID, diff)
				}
			}
			if tt.kind == connectors.CRMDeals && f.fluent.Requests() != fluentBefore {
				t.Error("FluentCRM, which has no deals, was asked for deals")
			}
		})
	}
}

// TestCRMCursorPagesEveryRecordOnce pages through each kind at several
// limits: every seeded record appears exactly once.
func TestCRMCursorPagesEveryRecordOnce(t *testing.T) {
	f := newCRMFixture(t)
	tenant := f.h.user.TenantID
	tests := []struct {
		kind  string
		limit int
	}{
		{connectors.CRMContacts, 0}, // default 50
		{connectors.CRMContacts, 1}, // fewer than the sources
		{connectors.CRMContacts, 7}, // uneven split
		{connectors.CRMContacts, 26},
		{connectors.CRMCompanies, 9},
		{connectors.CRMDeals, 20},
		{connectors.CRMDeals, 500}, // clamped to 200
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.kind, tt.limit), func(t *testing.T) {
			items, errs := f.listAll(t, tenant, tt.kind, connectors.CRMQuery{Limit: tt.limit})
			if len(errs) != 0 {
				t.Errorf("errors: %+v", errs)
			}
			got := crmIDs(items) // duplicates stay in got and show in the diff
			if diff := cmp.Diff(f.wantIDs(t, tt.kind, nil), got); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("only one connection", func(t *testing.T) {
		items, _ := f.listAll(t, tenant, connectors.CRMContacts, connectors.CRMQuery{ConnectionID: f.zohoConn.ID, Limit: 10})
		var want []string
		for _, id := range f.wantIDs(t, connectors.CRMContacts, nil) {
			if strings.HasPrefix(id, f.zohoConn.ID+":") {
				want = append(want, id)
			}
		}
		if diff := cmp.Diff(want, crmIDs(items)); diff != "" {
			t.Errorf("ids (-want +got):\n%s", diff)
		}
	})
}

// TestCRMFilters checks the e-mail and updated-since filters on every
// platform, alone and together, through all pages.
func TestCRMFilters(t *testing.T) {
	f := newCRMFixture(t)
	since := time.Date(2024, 1, 21, 9, 0, 0, 0, time.UTC).Add(21 * time.Hour) // the 21st record's update, exactly
	tests := []struct {
		name  string
		kind  string
		q     connectors.CRMQuery
		keep  func(email string, updated time.Time) bool
		count int
	}{
		{"email", connectors.CRMContacts, connectors.CRMQuery{Email: "grace.hopper@example.com"},
			func(e string, _ time.Time) bool { return e == "grace.hopper@example.com" }, 3},
		{"email in capitals", connectors.CRMContacts, connectors.CRMQuery{Email: " Grace.Hopper@Example.COM "},
			func(e string, _ time.Time) bool { return e == "grace.hopper@example.com" }, 3},
		{"email nobody has", connectors.CRMContacts, connectors.CRMQuery{Email: "nobody@example.com"},
			func(string, time.Time) bool { return false }, 0},
		{"updated since", connectors.CRMContacts, connectors.CRMQuery{UpdatedSince: since, Limit: 4},
			func(_ string, u time.Time) bool { return !u.Before(since) }, 15},
		{"updated since, companies", connectors.CRMCompanies, connectors.CRMQuery{UpdatedSince: since},
			func(_ string, u time.Time) bool { return !u.Before(since) }, 10},
		{"updated since, deals", connectors.CRMDeals, connectors.CRMQuery{UpdatedSince: since, Limit: 3},
			func(_ string, u time.Time) bool { return !u.Before(since) }, 10},
		{"email and updated since", connectors.CRMContacts, connectors.CRMQuery{Email: "rob.pike@example.com", UpdatedSince: since},
			func(e string, u time.Time) bool { return e == "rob.pike@example.com" && !u.Before(since) }, 3},
		{"email updated too early", connectors.CRMContacts, connectors.CRMQuery{Email: "grace.hopper@example.com", UpdatedSince: since},
			func(string, time.Time) bool { return false }, 0},
		{"updated since the future", connectors.CRMContacts, connectors.CRMQuery{UpdatedSince: time.Now().Add(time.Hour)},
			func(string, time.Time) bool { return false }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			searches := f.zohoFront.searchCount()
			items, errs := f.listAll(t, f.h.user.TenantID, tt.kind, tt.q)
			if usedSearch := f.zohoFront.searchCount() > searches; usedSearch != (tt.q.Email != "") {
				t.Errorf("Zoho's search API used: %v, want %v", usedSearch, tt.q.Email != "")
			}
			if len(errs) != 0 {
				t.Errorf("errors: %+v", errs)
			}
			want := f.wantIDs(t, tt.kind, tt.keep)
			if diff := cmp.Diff(want, crmIDs(items)); diff != "" || len(items) != tt.count {
				t.Errorf("%d items, want %d; ids (-want +got):\n%s", len(items), tt.count, diff)
			}
			for _, it := range items {
				if !tt.q.UpdatedSince.IsZero() && (it.UpdatedAt == nil || it.UpdatedAt.Before(tt.q.UpdatedSince)) {
					t.Errorf("%s updated %v, before %v", it.ID, it.UpdatedAt, tt.q.UpdatedSince)
				}
			}
		})
	}
}

// TestCRMFailingSource: a source that fails is reported while the others
// answer; a transient failure keeps its place for the next page; when every
// source fails the call fails.
func TestCRMFailingSource(t *testing.T) {
	f := newCRMFixture(t)
	ctx := context.Background()
	tenant := f.h.user.TenantID

	t.Run("transient failure resumes", func(t *testing.T) {
		f.zohoFront.setFail(http.StatusServiceUnavailable)
		page, err := f.h.svc.CRMList(ctx, tenant, connectors.CRMContacts, connectors.CRMQuery{Limit: 30})
		if err != nil {
			t.Fatal(err)
		}
		f.zohoFront.setFail(0)
		wantErrs := []connectors.CRMSourceError{{ConnectionID: f.zohoConn.ID, Provider: "zoho-crm", Code: hub.EUPSTREAM}}
		if diff := cmp.Diff(wantErrs, page.Errors, cmp.Transformer("noMessage", func(e connectors.CRMSourceError) connectors.CRMSourceError {
			e.Message = ""
			return e
		})); diff != "" {
			t.Errorf("errors (-want +got):\n%s", diff)
		}
		if !strings.Contains(page.Errors[0].Message, "503") {
			t.Errorf("message %q does not give the platform's status", page.Errors[0].Message)
		}
		if len(page.Items) != 20 {
			t.Errorf("%d items, want 20 from the two sources that answered", len(page.Items))
		}
		rest, errs := f.listAll(t, tenant, connectors.CRMContacts, connectors.CRMQuery{Limit: 30, Cursor: page.NextCursor})
		if len(errs) != 0 {
			t.Errorf("errors after recovery: %+v", errs)
		}
		if diff := cmp.Diff(f.wantIDs(t, connectors.CRMContacts, nil), crmIDs(append(page.Items, rest...))); diff != "" {
			t.Errorf("ids (-want +got):\n%s", diff)
		}
	})

	t.Run("every source failing fails the call", func(t *testing.T) {
		f.zohoFront.setFail(http.StatusBadGateway)
		defer f.zohoFront.setFail(0)
		_, err := f.h.svc.CRMList(ctx, tenant, connectors.CRMDeals, connectors.CRMQuery{ConnectionID: f.zohoConn.ID})
		if hub.ErrorCode(err) != hub.EUPSTREAM {
			t.Errorf("err = %v, want %s", err, hub.EUPSTREAM)
		}
	})

	t.Run("expired grant", func(t *testing.T) {
		f.zohoAuth.RevokeRefreshTokens()
		f.zohoAuth.ExpireAll()
		page, err := f.h.svc.CRMList(ctx, tenant, connectors.CRMContacts, connectors.CRMQuery{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Errors) != 1 || page.Errors[0].ConnectionID != f.zohoConn.ID || page.Errors[0].Code != hub.EUNAUTHORIZED {
			t.Errorf("errors = %+v, want the Zoho connection unauthorized", page.Errors)
		}
		if len(page.Items) != 50 || page.NextCursor != "" {
			t.Errorf("%d items, next %q; want the 50 of HubSpot and FluentCRM and no retry of a dead grant", len(page.Items), page.NextCursor)
		}
		// The connection is now expired: later listings leave it out.
		page, err = f.h.svc.CRMList(ctx, tenant, connectors.CRMContacts, connectors.CRMQuery{Limit: 200})
		if err != nil || len(page.Errors) != 0 || len(page.Items) != 50 {
			t.Errorf("after expiry: err %v, errors %+v, %d items; want 50 and no errors", err, page.Errors, len(page.Items))
		}
	})
}

// TestCRMRefusesBadInput: bad kind, cursor, e-mail or connection.
func TestCRMRefusesBadInput(t *testing.T) {
	f := newCRMFixture(t)
	ctx := context.Background()
	tenant := f.h.user.TenantID
	first, err := f.h.svc.CRMList(ctx, tenant, connectors.CRMContacts, connectors.CRMQuery{Limit: 5})
	if err != nil || first.NextCursor == "" {
		t.Fatalf("first page: %v, next %q", err, first.NextCursor)
	}
	tests := []struct {
		name  string
		kind  string
		q     connectors.CRMQuery
		code  string
		field string
	}{
		{"unknown kind", "leads", connectors.CRMQuery{}, hub.EINVALID, "kind"},
		{"empty kind", "", connectors.CRMQuery{}, hub.EINVALID, "kind"},
		{"garbage cursor", connectors.CRMContacts, connectors.CRMQuery{Cursor: "!!not base64!!"}, hub.EINVALID, "cursor"},
		{"cursor not JSON", connectors.CRMContacts, connectors.CRMQuery{Cursor: base64.RawURLEncoding.EncodeToString([]byte("hello"))}, hub.EINVALID, "cursor"},
		{"cursor of another kind", connectors.CRMCompanies, connectors.CRMQuery{Cursor: first.NextCursor}, hub.EINVALID, "cursor"},
		{"cursor of other filters", connectors.CRMContacts, connectors.CRMQuery{Cursor: first.NextCursor, Email: "ada.lovelace@example.com"}, hub.EINVALID, "cursor"},
		{"not an email", connectors.CRMContacts, connectors.CRMQuery{Email: "not-an-email"}, hub.EINVALID, "email"},
		{"email with a name", connectors.CRMContacts, connectors.CRMQuery{Email: "Ada <ada@example.com>"}, hub.EINVALID, "email"},
		{"email on companies", connectors.CRMCompanies, connectors.CRMQuery{Email: "ada@example.com"}, hub.EINVALID, "email"},
		{"FluentCRM deals", connectors.CRMDeals, connectors.CRMQuery{ConnectionID: f.fluentConn.ID}, hub.EINVALID, "kind"},
		{"unknown connection", connectors.CRMContacts, connectors.CRMQuery{ConnectionID: "00000000-0000-4000-8000-000000000000"}, hub.ENOTFOUND, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := f.h.svc.CRMList(ctx, tenant, tt.kind, tt.q)
			if hub.ErrorCode(err) != tt.code {
				t.Fatalf("page %+v, err %v; want %s", page, err, tt.code)
			}
			if tt.field != "" && fieldsOf(err)[tt.field] == "" {
				t.Errorf("err %v names %v, want %s", err, fieldsOf(err), tt.field)
			}
		})
	}
}

// TestCRMNeverReadsAnotherTenant: another tenant's connection appears in no
// listing, cannot be named, and cannot be smuggled in through a cursor.
func TestCRMNeverReadsAnotherTenant(t *testing.T) {
	f := newCRMFixture(t)
	ctx := context.Background()
	other := &hub.Tenant{Name: "Globex", Slug: "globex"}
	if err := postgres.NewTenantStore(f.h.db).CreateTenant(ctx, other); err != nil {
		t.Fatal(err)
	}
	otherFluent := fakes.NewFluentCRM(t, fakes.Options{})
	otherFluent.Seed("subscribers", map[string]any{"email": "secret@globex.example", "first_name": "Hank", "last_name": "Scorpio",
		"created_at": "2024-03-01 09:00:00", "updated_at": "2024-03-01 09:00:00"})
	otherConn := crmConnectFluent(t, f.h, hub.Principal{Kind: hub.PrincipalUser, ID: "u2", TenantID: other.ID}, otherFluent)
	otherCalls := otherFluent.Requests() // the credential check at connect time

	items, errs := f.listAll(t, f.h.user.TenantID, connectors.CRMContacts, connectors.CRMQuery{Limit: 20})
	if len(errs) != 0 {
		t.Errorf("errors: %+v", errs)
	}
	if diff := cmp.Diff(f.wantIDs(t, connectors.CRMContacts, nil), crmIDs(items)); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}

	if _, err := f.h.svc.CRMList(ctx, f.h.user.TenantID, connectors.CRMContacts, connectors.CRMQuery{ConnectionID: otherConn.ID}); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("naming the other tenant's connection: %v, want %s", err, hub.ENOTFOUND)
	}

	// A cursor edited to name the other tenant's connection.
	first, err := f.h.svc.CRMList(ctx, f.h.user.TenantID, connectors.CRMContacts, connectors.CRMQuery{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	forged := crmEditCursor(t, first.NextCursor, func(sources []any) []any {
		return []any{map[string]any{"c": otherConn.ID}}
	})
	page, err := f.h.svc.CRMList(ctx, f.h.user.TenantID, connectors.CRMContacts, connectors.CRMQuery{Limit: 3, Cursor: forged})
	if hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("forged cursor: page %+v, err %v; want %s", page, err, hub.ENOTFOUND)
	}
	forged = crmEditCursor(t, first.NextCursor, func(sources []any) []any {
		return append(sources, map[string]any{"c": otherConn.ID})
	})
	page, err = f.h.svc.CRMList(ctx, f.h.user.TenantID, connectors.CRMContacts, connectors.CRMQuery{Limit: 3, Cursor: forged})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range page.Items {
		if it.ConnectionID == otherConn.ID {
			t.Fatalf("the other tenant's record %s was listed", it.ID)
		}
	}
	if len(page.Errors) != 1 || page.Errors[0].ConnectionID != otherConn.ID || page.Errors[0].Code != hub.ENOTFOUND {
		t.Errorf("errors = %+v, want the smuggled connection not found", page.Errors)
	}

	if n := otherFluent.Requests(); n != otherCalls {
		t.Errorf("the other tenant's FluentCRM was called %d times", n-otherCalls)
	}

	// The other tenant sees its own connection only.
	otherItems, _ := f.listAll(t, other.ID, connectors.CRMContacts, connectors.CRMQuery{Limit: 200})
	if len(otherItems) != 26 {
		t.Errorf("the other tenant sees %d contacts, want its 26", len(otherItems))
	}
	for _, it := range otherItems {
		if it.ConnectionID != otherConn.ID {
			t.Fatalf("the other tenant sees %s", it.ID)
		}
	}
}

// crmEditCursor rewrites the sources of a cursor (base64url JSON, field "s").
func crmEditCursor(t *testing.T, cursor string, edit func([]any) []any) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	sources, _ := doc["s"].([]any)
	doc["s"] = edit(sources)
	out, _ := json.Marshal(doc)
	return base64.RawURLEncoding.EncodeToString(out)
}

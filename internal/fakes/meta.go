package fakes

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Meta is a fake of the Meta (Facebook) Graph API v25.0 for Marketing.
//
// Routes (base URL = server root), all under /v25.0: GET /me?fields, GET
// /me/adaccounts, GET /act_{id}/campaigns?fields&limit&after, POST
// /act_{id}/campaigns (form or JSON: name, objective, status,
// special_ad_categories) -> {"id"}, GET /act_{id}/insights?fields&level
// (account or campaign)&date_preset&time_range={"since","until"}&time_increment=1&limit&after,
// and GET /oauth/access_token?grant_type=fb_exchange_token&client_id&client_secret&fb_exchange_token
// -> {"access_token","token_type":"bearer","expires_in":5183944}. Lists answer
// {"data":[...],"paging":{"cursors":{"before","after"},"next"}} (next only
// when more follow). Credentials: access_token query or form parameter, or
// "Authorization: Bearer|OAuth <token>"; tokens issued by the exchange are
// accepted from then on. Errors are {"error":{"message","type","code",
// "fbtrace_id"}}: HTTP 400 with code 190 (OAuthException) for a bad token,
// 2500 for a missing one; rate limit: HTTP 400 with code 17 "User request limit
// reached". Every answer carries X-App-Usage.
//
// Seed and Records collections: "adaccounts" ({"id":"act_...","account_id",
// "name","currency","account_status"}) and "campaigns" (Graph fields plus
// "account_id", the ad account without the act_ prefix).
type Meta struct {
	// URL is the API base URL (the server root); paths start with /v25.0.
	URL string
	// AdAccountID is the seeded ad account, without the act_ prefix.
	AdAccountID string
	*server

	xmu       sync.Mutex
	exchanged map[string]bool
}

// metaTime formats a time the way the Graph API does.
func metaTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05-0700") }

// NewMeta starts a Meta Graph API fake with one ad account and 25 campaigns.
func NewMeta(t testing.TB, opts Options) *Meta {
	t.Helper()
	m := &Meta{AdAccountID: "1234567890", exchanged: map[string]bool{}}
	inner := opts.Authorize
	opts.Authorize = func(r *http.Request) bool {
		m.xmu.Lock()
		ok := m.exchanged[bearerToken(r)]
		m.xmu.Unlock()
		return ok || inner == nil || inner(r)
	}
	m.server = newServer(t, opts, platform{
		credential: m.credential,
		deny:       m.deny,
		limit:      m.limit,
		fail: func(w http.ResponseWriter, r *http.Request, status int, code, message string) {
			metaError(w, http.StatusBadRequest, "GraphMethodException", 100, 0, "Unsupported "+strings.ToLower(r.Method)+" request. "+message)
		},
		before: func(w http.ResponseWriter, r *http.Request, n int, limited bool) {
			pct := n % 100
			if limited {
				pct = 100
			}
			w.Header().Set("X-App-Usage", fmt.Sprintf(`{"call_count":%d,"total_cputime":%d,"total_time":%d}`, pct, pct/2, pct/2))
		},
		prepare: func(kind string, rec map[string]any) {
			if str(rec["id"]) == "" {
				rec["id"] = strconv.Itoa(m.id(kind, 120210000000000001))
			}
		},
	})
	m.URL = m.root
	m.handle("GET", "/v25.0/me", m.me)
	m.handle("GET", "/v25.0/me/adaccounts", m.adAccounts)
	m.handle("GET", "/v25.0/act_{account}/campaigns", m.campaigns)
	m.handle("POST", "/v25.0/act_{account}/campaigns", m.createCampaign)
	m.handle("GET", "/v25.0/act_{account}/insights", m.insights)
	m.handlePublic("GET", "/v25.0/oauth/access_token", m.exchange)
	m.Seed("adaccounts", map[string]any{
		"id": "act_" + m.AdAccountID, "account_id": m.AdAccountID, "name": "Fake Ads Account",
		"currency": "USD", "account_status": 1, "timezone_name": "America/New_York",
	})
	objectives := []string{"OUTCOME_TRAFFIC", "OUTCOME_SALES", "OUTCOME_LEADS", "OUTCOME_AWARENESS", "OUTCOME_ENGAGEMENT"}
	for i := 0; i < seedCount; i++ {
		created, updated := seedTimes(i)
		status := "ACTIVE"
		if i%4 == 3 {
			status = "PAUSED"
		}
		m.Seed("campaigns", map[string]any{
			"account_id": m.AdAccountID, "name": fmt.Sprintf("Campaign %02d", i+1), "status": status,
			"effective_status": status, "objective": objectives[i%len(objectives)], "daily_budget": strconv.Itoa(2000 + 100*i),
			"buying_type": "AUCTION", "special_ad_categories": []any{},
			"created_time": metaTime(created), "updated_time": metaTime(updated), "start_time": metaTime(created),
		})
	}
	return m
}

// ExchangeCount returns the number of successful fb_exchange_token exchanges.
func (m *Meta) ExchangeCount() int {
	m.xmu.Lock()
	defer m.xmu.Unlock()
	return len(m.exchanged)
}

func (m *Meta) credential(r *http.Request) (*http.Request, bool) {
	tok := ""
	if v, ok := cutPrefixFold(r.Header.Get("Authorization"), "Bearer "); ok {
		tok = v
	} else if v, ok := cutPrefixFold(r.Header.Get("Authorization"), "OAuth "); ok {
		tok = v
	} else {
		_ = r.ParseForm()
		tok = r.Form.Get("access_token")
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return r, false
	}
	return withHeader(r, "Authorization", "Bearer "+tok), true
}

func (m *Meta) fbtrace() string {
	return fmt.Sprintf("A%010dfake", m.Requests())
}

func metaError(w http.ResponseWriter, status int, typ string, code, subcode int, message string) {
	e := map[string]any{"message": message, "type": typ, "code": code, "fbtrace_id": "AfakeTrace0000"}
	if subcode != 0 {
		e["error_subcode"] = subcode
	}
	writeJSON(w, status, map[string]any{"error": e})
}

func (m *Meta) deny(w http.ResponseWriter, r *http.Request, present bool) {
	if !present {
		metaError(w, http.StatusBadRequest, "OAuthException", 2500, 0, "An active access token must be used to query information about the current user.")
		return
	}
	w.Header().Set("WWW-Authenticate", `OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token data."`)
	metaError(w, http.StatusBadRequest, "OAuthException", 190, 0, "Invalid OAuth access token data.")
}

func (m *Meta) limit(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Business-Use-Case-Usage", fmt.Sprintf(`{"%s":[{"type":"ads_management","call_count":100,"total_cputime":20,"total_time":20,"estimated_time_to_regain_access":1}]}`, m.AdAccountID))
	writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{
		"message": "(#17) User request limit reached", "type": "OAuthException", "is_transient": true,
		"code": 17, "error_subcode": 2446079, "fbtrace_id": m.fbtrace(),
	}})
}

// fields parses the fields parameter; def applies when it is absent.
func metaFields(r *http.Request, def ...string) []string {
	if f := splitList(r.URL.Query().Get("fields")); len(f) > 0 {
		return f
	}
	return def
}

// page writes a Graph list page with cursor paging.
func (m *Meta) page(w http.ResponseWriter, r *http.Request, kind string, items []map[string]any) {
	q := r.URL.Query()
	limit, ok := intParam(q, "limit", 25)
	if !ok || limit < 1 {
		metaError(w, http.StatusBadRequest, "OAuthException", 100, 0, "(#100) The parameter limit must be a positive integer")
		return
	}
	offset, ok := decodeCursor(kind, q.Get("after"))
	if !ok {
		metaError(w, http.StatusBadRequest, "OAuthException", 100, 0, "(#100) Invalid cursor: "+q.Get("after"))
		return
	}
	page, more := window(items, offset, limit)
	resp := map[string]any{"data": page}
	if len(page) > 0 {
		paging := map[string]any{"cursors": map[string]any{"before": encodeCursor(kind, offset), "after": encodeCursor(kind, offset+len(page))}}
		if more {
			nq := url.Values{}
			for k, v := range q {
				nq[k] = v
			}
			nq.Set("limit", strconv.Itoa(limit))
			nq.Set("after", encodeCursor(kind, offset+len(page)))
			paging["next"] = m.URL + r.URL.Path + "?" + nq.Encode()
		}
		if offset > 0 {
			nq := url.Values{}
			for k, v := range q {
				nq[k] = v
			}
			nq.Del("after")
			nq.Set("limit", strconv.Itoa(limit))
			nq.Set("after", encodeCursor(kind, max(0, offset-limit)))
			paging["previous"] = m.URL + r.URL.Path + "?" + nq.Encode()
		}
		resp["paging"] = paging
	}
	writeJSON(w, http.StatusOK, resp)
}

func (m *Meta) me(w http.ResponseWriter, r *http.Request, p params) {
	me := map[string]any{"id": "10150000000000001", "name": "Ada Lovelace", "email": "ada.lovelace@example.com", "first_name": "Ada", "last_name": "Lovelace"}
	writeJSON(w, http.StatusOK, pick(me, metaFields(r, "id", "name"), "id"))
}

func (m *Meta) adAccounts(w http.ResponseWriter, r *http.Request, p params) {
	fields := metaFields(r)
	var out []map[string]any
	for _, a := range m.server.list("adaccounts", nil) {
		out = append(out, pick(a, fields, "id"))
		if len(fields) == 0 {
			out[len(out)-1] = map[string]any{"id": a["id"], "account_id": a["account_id"]}
		}
	}
	m.page(w, r, "adaccounts", out)
}

func (m *Meta) account(w http.ResponseWriter, r *http.Request, id string) bool {
	if len(m.server.list("adaccounts", func(a map[string]any) bool { return str(a["account_id"]) == id })) == 0 {
		metaError(w, http.StatusBadRequest, "GraphMethodException", 100, 33,
			fmt.Sprintf("Unsupported %s request. Object with ID 'act_%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api", strings.ToLower(r.Method), id))
		return false
	}
	return true
}

func (m *Meta) campaigns(w http.ResponseWriter, r *http.Request, p params) {
	if !m.account(w, r, p["account"]) {
		return
	}
	fields := metaFields(r, "id")
	var out []map[string]any
	for _, c := range m.server.list("campaigns", func(c map[string]any) bool { return str(c["account_id"]) == p["account"] }) {
		out = append(out, pick(c, fields, "id"))
	}
	m.page(w, r, "campaigns", out)
}

func (m *Meta) createCampaign(w http.ResponseWriter, r *http.Request, p params) {
	if !m.account(w, r, p["account"]) {
		return
	}
	in := map[string]any{}
	if strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/json") {
		if err := readJSON(r, &in); err != nil {
			metaError(w, http.StatusBadRequest, "OAuthException", 100, 0, "(#100) Invalid JSON body")
			return
		}
	} else {
		_ = r.ParseForm()
		for k := range r.PostForm {
			in[k] = r.PostForm.Get(k)
		}
	}
	for _, req := range []string{"name", "objective", "special_ad_categories"} {
		if _, ok := in[req]; !ok {
			metaError(w, http.StatusBadRequest, "OAuthException", 100, 0, "(#100) The parameter "+req+" is required")
			return
		}
	}
	now := metaTime(time.Now())
	status := str(in["status"])
	if status == "" {
		status = "ACTIVE"
	}
	rec := m.insert("campaigns", map[string]any{
		"account_id": p["account"], "name": str(in["name"]), "objective": str(in["objective"]), "status": status,
		"effective_status": status, "buying_type": "AUCTION", "special_ad_categories": in["special_ad_categories"],
		"created_time": now, "updated_time": now, "start_time": now,
	})
	writeJSON(w, http.StatusOK, map[string]any{"id": rec["id"]})
}

func (m *Meta) insights(w http.ResponseWriter, r *http.Request, p params) {
	acct := p["account"]
	if !m.account(w, r, acct) {
		return
	}
	q := r.URL.Query()
	today := utcToday()
	start, end, ok := metaPreset(q.Get("date_preset"), today)
	if !ok {
		metaError(w, http.StatusBadRequest, "OAuthException", 100, 0, "(#100) date_preset must be one of the following values: today, yesterday, last_7d, last_14d, last_30d, this_month, last_month")
		return
	}
	if tr := q.Get("time_range"); tr != "" {
		var rng struct{ Since, Until string }
		if json.Unmarshal([]byte(tr), &rng) != nil {
			metaError(w, http.StatusBadRequest, "OAuthException", 100, 0, "(#100) time_range must be a JSON object with since and until")
			return
		}
		s, err1 := time.Parse("2006-01-02", rng.Since)
		e, err2 := time.Parse("2006-01-02", rng.Until)
		if err1 != nil || err2 != nil || e.Before(s) {
			metaError(w, http.StatusBadRequest, "OAuthException", 100, 0, "(#100) Invalid time_range")
			return
		}
		start, end = s, e
	}
	level := q.Get("level")
	if level == "" {
		level = "account"
	}
	if level != "account" && level != "campaign" {
		metaError(w, http.StatusBadRequest, "OAuthException", 100, 0, "(#100) fake Meta: level must be account or campaign")
		return
	}
	fields := metaFields(r, "impressions", "spend")
	daily := q.Get("time_increment") == "1"
	type unit struct{ id, name string }
	units := []unit{{acct, "Fake Ads Account"}}
	if level == "campaign" {
		units = nil
		for _, c := range m.server.list("campaigns", func(c map[string]any) bool { return str(c["account_id"]) == acct }) {
			units = append(units, unit{str(c["id"]), str(c["name"])})
		}
	}
	periods := [][2]time.Time{{start, end}}
	if daily {
		periods = nil
		for _, d := range days(start, end) {
			periods = append(periods, [2]time.Time{d, d})
		}
	}
	var rows []map[string]any
	for _, u := range units {
		for _, pr := range periods {
			imp, clk, reach := 0, 0, 0
			for _, d := range days(pr[0], pr[1]) {
				k := u.id + d.Format("2006-01-02")
				imp += 300 + hashNum(1700, k, "imp")
				clk += 3 + hashNum(60, k, "clk")
				reach += 200 + hashNum(900, k, "reach")
			}
			spend := float64(clk) * (0.4 + float64(hashNum(100, u.id, "cpc"))/100)
			all := map[string]any{
				"account_id": acct, "account_name": "Fake Ads Account",
				"impressions": strconv.Itoa(imp), "clicks": strconv.Itoa(clk), "reach": strconv.Itoa(reach),
				"spend": strconv.FormatFloat(spend, 'f', 2, 64), "ctr": strconv.FormatFloat(100*float64(clk)/float64(imp), 'f', 6, 64),
				"cpc": strconv.FormatFloat(spend/float64(clk), 'f', 6, 64), "cpm": strconv.FormatFloat(1000*spend/float64(imp), 'f', 6, 64),
				"date_start": pr[0].Format("2006-01-02"), "date_stop": pr[1].Format("2006-01-02"),
			}
			if level == "campaign" {
				all["campaign_id"], all["campaign_name"] = u.id, u.name
			}
			rows = append(rows, pick(all, fields, "date_start", "date_stop"))
		}
	}
	m.page(w, r, "insights", rows)
}

// metaPreset resolves a date_preset (default last_30d).
func metaPreset(p string, today time.Time) (time.Time, time.Time, bool) {
	y := today.AddDate(0, 0, -1)
	switch p {
	case "today":
		return today, today, true
	case "yesterday":
		return y, y, true
	case "last_7d":
		return today.AddDate(0, 0, -7), y, true
	case "last_14d":
		return today.AddDate(0, 0, -14), y, true
	case "", "last_30d":
		return today.AddDate(0, 0, -30), y, true
	case "this_month":
		return time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC), today, true
	case "last_month":
		first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
		return first.AddDate(0, -1, 0), first.AddDate(0, 0, -1), true
	}
	return time.Time{}, time.Time{}, false
}

func (m *Meta) exchange(w http.ResponseWriter, r *http.Request, p params) {
	q := r.URL.Query()
	for _, name := range []string{"client_id", "client_secret", "grant_type", "fb_exchange_token"} {
		if q.Get(name) == "" {
			metaError(w, http.StatusBadRequest, "OAuthException", 101, 0, "Missing "+name+" parameter.")
			return
		}
	}
	if q.Get("grant_type") != "fb_exchange_token" {
		metaError(w, http.StatusBadRequest, "OAuthException", 100, 0, "Unsupported grant_type: "+q.Get("grant_type"))
		return
	}
	short := withHeader(r, "Authorization", "Bearer "+q.Get("fb_exchange_token"))
	if m.opts.Authorize != nil && !m.opts.Authorize(short) {
		metaError(w, http.StatusBadRequest, "OAuthException", 190, 0, "Error validating access token: The session is invalid because the user logged out or the token expired.")
		return
	}
	long := randomToken("EAAfake")
	m.xmu.Lock()
	m.exchanged[long] = true
	m.xmu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": long, "token_type": "bearer", "expires_in": 5183944})
}

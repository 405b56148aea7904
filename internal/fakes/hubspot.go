package fakes

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// HubSpot is a fake of the HubSpot CRM v3 API.
//
// Routes (base URL = server root): GET /crm/v3/objects/{type}?limit&after&properties,
// GET /crm/v3/objects/{type}/{id}, POST /crm/v3/objects/{type} (create),
// POST /crm/v3/objects/{type}/search (filterGroups with EQ, NEQ, LT, LTE, GT,
// GTE, BETWEEN, IN, NOT_IN, HAS_PROPERTY, NOT_HAS_PROPERTY, CONTAINS_TOKEN;
// sorts; query) and GET /account-info/v3/details, for type contacts,
// companies or deals. Credentials: "Authorization: Bearer <token>". Every
// answer carries X-HubSpot-RateLimit-Daily, -Daily-Remaining, -Secondly and
// -Secondly-Remaining; a rate-limited request gets 429 with errorType
// RATE_LIMIT and policyName SECONDLY. Errors are {"status":"error","message",
// "correlationId","category"}.
//
// Seed and Records collections: "contacts", "companies", "deals", each record
// shaped {"id","properties":{...},"createdAt","updatedAt","archived"}.
type HubSpot struct {
	// URL is the API base URL (the server root).
	URL string
	*server

	secMu    sync.Mutex
	secStart time.Time
	secCount int
}

const (
	hubspotDaily    = 250000
	hubspotSecondly = 100
)

var hubspotTypes = map[string]struct {
	start    int
	modified string
	defaults []string
}{
	"contacts":  {1001, "lastmodifieddate", []string{"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"}},
	"companies": {2001, "hs_lastmodifieddate", []string{"createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"}},
	"deals":     {3001, "hs_lastmodifieddate", []string{"amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate", "hs_object_id", "pipeline"}},
}

// hubspotTime formats a time the way HubSpot does (UTC, milliseconds).
func hubspotTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// NewHubSpot starts a HubSpot fake with 25 contacts, 25 companies and 25 deals.
func NewHubSpot(t testing.TB, opts Options) *HubSpot {
	t.Helper()
	h := &HubSpot{}
	h.server = newServer(t, opts, platform{
		credential: headerCredential("Authorization", "Bearer "),
		deny:       h.deny,
		limit:      h.limit,
		fail:       h.fail,
		before:     h.headers,
		prepare:    h.prepare,
	})
	h.URL = h.root
	h.handle("GET", "/crm/v3/objects/{type}", h.list)
	h.handle("POST", "/crm/v3/objects/{type}", h.create)
	h.handle("GET", "/crm/v3/objects/{type}/{id}", h.get)
	h.handle("POST", "/crm/v3/objects/{type}/search", h.search)
	h.handle("GET", "/account-info/v3/details", h.accountInfo)

	industries := []string{"COMPUTER_SOFTWARE", "INTERNET", "FINANCIAL_SERVICES", "RETAIL", "HOSPITAL_HEALTH_CARE"}
	stages := []string{"appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin", "closedwon"}
	for i := 0; i < seedCount; i++ {
		first, last, email := seedPerson(i)
		created, updated := seedTimes(i)
		h.Seed("contacts", map[string]any{
			"properties": map[string]any{
				"email": email, "firstname": first, "lastname": last, "phone": fmt.Sprintf("+1 555 01%02d", i),
				"lifecyclestage": "lead", "createdate": hubspotTime(created), "lastmodifieddate": hubspotTime(updated),
			},
			"createdAt": hubspotTime(created), "updatedAt": hubspotTime(updated),
		})
		h.Seed("companies", map[string]any{
			"properties": map[string]any{
				"name": last + " Systems", "domain": strings.ToLower(last) + ".example.com", "industry": industries[i%len(industries)],
				"city": "Springfield", "createdate": hubspotTime(created), "hs_lastmodifieddate": hubspotTime(updated),
			},
			"createdAt": hubspotTime(created), "updatedAt": hubspotTime(updated),
		})
		h.Seed("deals", map[string]any{
			"properties": map[string]any{
				"dealname": last + " renewal", "amount": strconv.Itoa(1000 + 250*i), "dealstage": stages[i%len(stages)],
				"pipeline": "default", "closedate": hubspotTime(created.AddDate(0, 1, 0)),
				"createdate": hubspotTime(created), "hs_lastmodifieddate": hubspotTime(updated),
			},
			"createdAt": hubspotTime(created), "updatedAt": hubspotTime(updated),
		})
	}
	return h
}

func (h *HubSpot) prepare(kind string, rec map[string]any) {
	start := 9001
	if ty, ok := hubspotTypes[kind]; ok {
		start = ty.start
	}
	if str(rec["id"]) == "" {
		rec["id"] = strconv.Itoa(h.id(kind, start))
	}
	now := hubspotTime(time.Now())
	props, _ := rec["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
		rec["properties"] = props
	}
	props["hs_object_id"] = str(rec["id"])
	if _, ok := rec["createdAt"]; !ok {
		rec["createdAt"] = now
	}
	if _, ok := rec["updatedAt"]; !ok {
		rec["updatedAt"] = rec["createdAt"]
	}
	if _, ok := props["createdate"]; !ok {
		props["createdate"] = rec["createdAt"]
	}
	if ty, ok := hubspotTypes[kind]; ok {
		if _, ok := props[ty.modified]; !ok {
			props[ty.modified] = rec["updatedAt"]
		}
	}
	if _, ok := rec["archived"]; !ok {
		rec["archived"] = false
	}
}

func (h *HubSpot) correlationID() string { return h.requestID() }

func (h *HubSpot) fail(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	switch code {
	case "not_found":
		code = "OBJECT_NOT_FOUND"
	case "method_not_allowed":
		code = "VALIDATION_ERROR"
	}
	writeJSON(w, status, map[string]any{"status": "error", "message": message, "correlationId": h.correlationID(), "category": code})
}

func (h *HubSpot) deny(w http.ResponseWriter, r *http.Request, present bool) {
	msg := "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
	if present {
		msg = "The OAuth token used to make this call is invalid or expired."
	}
	writeJSON(w, http.StatusUnauthorized, map[string]any{"status": "error", "message": msg, "correlationId": h.correlationID(), "category": "INVALID_AUTHENTICATION"})
}

func (h *HubSpot) limit(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusTooManyRequests, map[string]any{
		"status": "error", "message": "You have reached your secondly limit.", "errorType": "RATE_LIMIT",
		"correlationId": h.correlationID(), "policyName": "SECONDLY", "groupName": "publicapi:private-app:fake",
	})
}

// headers sets the rate-limit headers HubSpot sends on every answer.
func (h *HubSpot) headers(w http.ResponseWriter, r *http.Request, n int, limited bool) {
	h.secMu.Lock()
	now := time.Now()
	if now.Sub(h.secStart) >= time.Second {
		h.secStart, h.secCount = now, 0
	}
	h.secCount++
	remaining := hubspotSecondly - h.secCount
	h.secMu.Unlock()
	if remaining < 0 || limited {
		remaining = 0
	}
	daily := hubspotDaily - n
	if daily < 0 {
		daily = 0
	}
	hd := w.Header()
	hd.Set("X-HubSpot-RateLimit-Daily", strconv.Itoa(hubspotDaily))
	hd.Set("X-HubSpot-RateLimit-Daily-Remaining", strconv.Itoa(daily))
	hd.Set("X-HubSpot-RateLimit-Secondly", strconv.Itoa(hubspotSecondly))
	hd.Set("X-HubSpot-RateLimit-Secondly-Remaining", strconv.Itoa(remaining))
}

func (h *HubSpot) objectType(w http.ResponseWriter, r *http.Request, ty string) bool {
	if _, ok := hubspotTypes[ty]; !ok {
		h.fail(w, r, http.StatusBadRequest, "VALIDATION_ERROR", "Unable to infer object type from: "+ty)
		return false
	}
	return true
}

// shape limits an object's properties to the requested ones (or the type's defaults).
func (h *HubSpot) shape(ty string, rec map[string]any, requested []string) map[string]any {
	props, _ := rec["properties"].(map[string]any)
	want := hubspotTypes[ty].defaults
	if len(requested) > 0 {
		want = append([]string{"createdate", "hs_object_id", hubspotTypes[ty].modified}, requested...)
	}
	out := map[string]any{}
	for _, p := range want {
		if v, ok := props[p]; ok {
			out[p] = v
		} else if len(requested) > 0 {
			out[p] = nil
		}
	}
	rec["properties"] = out
	return rec
}

func (h *HubSpot) list(w http.ResponseWriter, r *http.Request, p params) {
	ty := p["type"]
	if !h.objectType(w, r, ty) {
		return
	}
	q := r.URL.Query()
	limit, ok := intParam(q, "limit", 10)
	if !ok || limit < 1 {
		h.fail(w, r, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid input JSON on line 1: limit must be a positive integer")
		return
	}
	if limit > 100 {
		limit = 100
	}
	offset, ok := decodeCursor(ty, q.Get("after"))
	if !ok {
		h.fail(w, r, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid 'after' parameter: "+q.Get("after"))
		return
	}
	archived := q.Get("archived") == "true"
	recs := h.server.list(ty, func(m map[string]any) bool { return m["archived"] == archived })
	page, more := window(recs, offset, limit)
	var props []string
	for _, v := range q["properties"] {
		props = append(props, splitList(v)...)
	}
	results := make([]map[string]any, 0, len(page))
	for _, rec := range page {
		results = append(results, h.shape(ty, rec, props))
	}
	resp := map[string]any{"results": results}
	if more {
		after := encodeCursor(ty, offset+len(page))
		nq := url.Values{"after": {after}, "limit": {strconv.Itoa(limit)}}
		if len(props) > 0 {
			nq.Set("properties", strings.Join(props, ","))
		}
		resp["paging"] = map[string]any{"next": map[string]any{"after": after, "link": h.URL + "/crm/v3/objects/" + ty + "?" + nq.Encode()}}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (h *HubSpot) get(w http.ResponseWriter, r *http.Request, p params) {
	ty := p["type"]
	if !h.objectType(w, r, ty) {
		return
	}
	recs := h.server.list(ty, func(m map[string]any) bool { return str(m["id"]) == p["id"] })
	if len(recs) == 0 {
		writeJSON(w, http.StatusNotFound, map[string]any{"status": "error", "message": "resource not found", "correlationId": h.correlationID(), "category": "OBJECT_NOT_FOUND"})
		return
	}
	writeJSON(w, http.StatusOK, h.shape(ty, recs[0], splitList(r.URL.Query().Get("properties"))))
}

func (h *HubSpot) create(w http.ResponseWriter, r *http.Request, p params) {
	ty := p["type"]
	if !h.objectType(w, r, ty) {
		return
	}
	var body struct {
		Properties map[string]any `json:"properties"`
	}
	if err := readJSON(r, &body); err != nil {
		h.fail(w, r, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid input JSON on line 1: "+err.Error())
		return
	}
	if body.Properties == nil {
		h.fail(w, r, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid input JSON: properties is required")
		return
	}
	props := map[string]any{}
	for k, v := range body.Properties {
		props[k] = str(v)
	}
	if ty == "contacts" {
		if email := strings.ToLower(str(props["email"])); email != "" {
			dup := h.server.list(ty, func(m map[string]any) bool {
				pm, _ := m["properties"].(map[string]any)
				return strings.EqualFold(str(pm["email"]), email)
			})
			if len(dup) > 0 {
				h.fail(w, r, http.StatusConflict, "CONFLICT", "Contact already exists. Existing ID: "+str(dup[0]["id"]))
				return
			}
		}
	}
	now := hubspotTime(time.Now())
	rec := h.insert(ty, map[string]any{"properties": props, "createdAt": now, "updatedAt": now, "archived": false})
	writeJSON(w, http.StatusCreated, rec)
}

type hubspotFilter struct {
	PropertyName string `json:"propertyName"`
	Operator     string `json:"operator"`
	Value        any    `json:"value"`
	HighValue    any    `json:"highValue"`
	Values       []any  `json:"values"`
}

func (h *HubSpot) search(w http.ResponseWriter, r *http.Request, p params) {
	ty := p["type"]
	if !h.objectType(w, r, ty) {
		return
	}
	var body struct {
		FilterGroups []struct {
			Filters []hubspotFilter `json:"filters"`
		} `json:"filterGroups"`
		Sorts      []any    `json:"sorts"`
		Query      string   `json:"query"`
		Properties []string `json:"properties"`
		Limit      int      `json:"limit"`
		After      any      `json:"after"`
	}
	if err := readJSON(r, &body); err != nil {
		h.fail(w, r, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid input JSON on line 1: "+err.Error())
		return
	}
	if len(body.FilterGroups) > 5 {
		h.fail(w, r, http.StatusBadRequest, "VALIDATION_ERROR", "There was a problem with the request: too many filterGroups (max 5).")
		return
	}
	for _, g := range body.FilterGroups {
		for _, f := range g.Filters {
			if !hubspotOperators[f.Operator] {
				h.fail(w, r, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("There was a problem with the request: unknown operator %q.", f.Operator))
				return
			}
		}
	}
	limit := body.Limit
	if limit <= 0 {
		limit = 10
	}
	if limit > 200 {
		h.fail(w, r, http.StatusBadRequest, "VALIDATION_ERROR", "There was a problem with the request: limit must be at most 200.")
		return
	}
	offset := 0
	if a := str(body.After); a != "" {
		n, err := strconv.Atoi(a)
		if err != nil || n < 0 {
			h.fail(w, r, http.StatusBadRequest, "VALIDATION_ERROR", "There was a problem with the request: invalid after.")
			return
		}
		offset = n
	}
	query := strings.ToLower(strings.TrimSpace(body.Query))
	recs := h.server.list(ty, func(m map[string]any) bool {
		if m["archived"] == true {
			return false
		}
		props, _ := m["properties"].(map[string]any)
		if query != "" {
			hit := false
			for _, v := range props {
				if strings.Contains(strings.ToLower(str(v)), query) {
					hit = true
				}
			}
			if !hit {
				return false
			}
		}
		if len(body.FilterGroups) == 0 {
			return true
		}
		for _, g := range body.FilterGroups { // groups are ORed, filters ANDed
			all := true
			for _, f := range g.Filters {
				if !hubspotMatch(props, f) {
					all = false
					break
				}
			}
			if all {
				return true
			}
		}
		return false
	})
	for i := len(body.Sorts) - 1; i >= 0; i-- {
		name, desc := "", false
		switch s := body.Sorts[i].(type) {
		case string:
			name = strings.TrimPrefix(s, "-")
			desc = strings.HasPrefix(s, "-")
		case map[string]any:
			name = str(s["propertyName"])
			desc = strings.EqualFold(str(s["direction"]), "DESCENDING")
		}
		sort.SliceStable(recs, func(a, b int) bool {
			pa, _ := recs[a]["properties"].(map[string]any)
			pb, _ := recs[b]["properties"].(map[string]any)
			c := hubspotCompare(str(pa[name]), str(pb[name]))
			if desc {
				return c > 0
			}
			return c < 0
		})
	}
	page, more := window(recs, offset, limit)
	results := make([]map[string]any, 0, len(page))
	for _, rec := range page {
		results = append(results, h.shape(ty, rec, body.Properties))
	}
	resp := map[string]any{"total": len(recs), "results": results}
	if more {
		resp["paging"] = map[string]any{"next": map[string]any{"after": strconv.Itoa(offset + len(page))}}
	}
	writeJSON(w, http.StatusOK, resp)
}

var hubspotOperators = map[string]bool{
	"EQ": true, "NEQ": true, "LT": true, "LTE": true, "GT": true, "GTE": true, "BETWEEN": true,
	"IN": true, "NOT_IN": true, "HAS_PROPERTY": true, "NOT_HAS_PROPERTY": true, "CONTAINS_TOKEN": true,
	"NOT_CONTAINS_TOKEN": true,
}

// hubspotNumber reads a property or filter value as a number: numbers as
// they are, dates and datetimes as epoch milliseconds.
func hubspotNumber(s string) (float64, bool) {
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) {
		return f, true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return float64(t.UnixMilli()), true
		}
	}
	return 0, false
}

// hubspotCompare compares two values numerically (numbers, dates) or as case-insensitive strings.
func hubspotCompare(a, b string) int {
	fa, oka := hubspotNumber(a)
	fb, okb := hubspotNumber(b)
	if oka && okb {
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

func hubspotMatch(props map[string]any, f hubspotFilter) bool {
	raw, has := props[f.PropertyName]
	has = has && raw != nil && str(raw) != ""
	v := str(raw)
	want := str(f.Value)
	switch f.Operator {
	case "HAS_PROPERTY":
		return has
	case "NOT_HAS_PROPERTY":
		return !has
	case "NEQ":
		return !has || hubspotCompare(v, want) != 0
	case "NOT_IN":
		for _, x := range f.Values {
			if has && hubspotCompare(v, str(x)) == 0 {
				return false
			}
		}
		return true
	}
	if !has {
		return false
	}
	switch f.Operator {
	case "EQ":
		return hubspotCompare(v, want) == 0
	case "LT":
		return hubspotCompare(v, want) < 0
	case "LTE":
		return hubspotCompare(v, want) <= 0
	case "GT":
		return hubspotCompare(v, want) > 0
	case "GTE":
		return hubspotCompare(v, want) >= 0
	case "BETWEEN":
		return hubspotCompare(v, want) >= 0 && hubspotCompare(v, str(f.HighValue)) <= 0
	case "IN":
		for _, x := range f.Values {
			if hubspotCompare(v, str(x)) == 0 {
				return true
			}
		}
		return false
	case "CONTAINS_TOKEN":
		return strings.Contains(strings.ToLower(v), strings.ToLower(strings.Trim(want, "*")))
	case "NOT_CONTAINS_TOKEN":
		return !strings.Contains(strings.ToLower(v), strings.ToLower(strings.Trim(want, "*")))
	}
	return false
}

func (h *HubSpot) accountInfo(w http.ResponseWriter, r *http.Request, p params) {
	writeJSON(w, http.StatusOK, map[string]any{
		"portalId": 12345678, "accountType": "STANDARD", "timeZone": "US/Eastern", "companyCurrency": "USD",
		"additionalCurrencies": []string{}, "utcOffset": "-05:00", "utcOffsetMilliseconds": -18000000,
		"uiDomain": "app.hubspot.com", "dataHostingLocation": "na1",
	})
}

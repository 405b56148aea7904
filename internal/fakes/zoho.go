package fakes

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Zoho is a fake of the Zoho CRM v6 REST API.
//
// Routes, under /crm/v6: GET /{module}?fields&page&per_page&sort_order
// (modules Contacts, Accounts, Deals; fields is mandatory as in v6; an empty
// page answers 204 No Content; If-Modified-Since filters on Modified_Time),
// GET /{module}/{id}, POST /{module} {"data":[{...}]} (at most 100 records;
// Contacts need Last_Name, Accounts Account_Name, Deals Deal_Name and Stage)
// and GET /users?type=CurrentUser. Credentials: "Authorization:
// Zoho-oauthtoken <token>". Errors are {"code","details","message","status":"error"}:
// 401 INVALID_TOKEN, 429 TOO_MANY_REQUESTS.
//
// Seed and Records collections: "Contacts", "Accounts", "Deals", records in
// the API's JSON shape ("id" is a numeric string).
type Zoho struct {
	// URL is the API base URL: the server root followed by /crm/v6.
	URL string
	// Root is the server root, the api_domain of the token response.
	Root string
	*server
}

var zohoModules = map[string]struct {
	start     int
	mandatory []string
}{
	"Contacts": {0, []string{"Last_Name"}},
	"Accounts": {1, []string{"Account_Name"}},
	"Deals":    {2, []string{"Deal_Name", "Stage"}},
}

// zohoTime formats a time the way Zoho does (ISO 8601 with offset, seconds).
func zohoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05-07:00") }

var zohoOwner = map[string]any{"name": "Patricia Boyle", "id": "4876876000000225013", "email": "p.boyle@example.com"}

// NewZoho starts a Zoho CRM fake with 25 contacts, accounts and deals.
func NewZoho(t testing.TB, opts Options) *Zoho {
	t.Helper()
	z := &Zoho{}
	z.server = newServer(t, opts, platform{
		credential: headerCredential("Authorization", "Zoho-oauthtoken "),
		deny:       z.deny,
		limit:      z.limit,
		fail:       z.fail,
		prepare:    z.prepare,
	})
	z.Root = z.root
	z.URL = z.root + "/crm/v6"
	z.handle("GET", "/crm/v6/users", z.users)
	z.handle("GET", "/crm/v6/{module}", z.list)
	z.handle("POST", "/crm/v6/{module}", z.create)
	z.handle("GET", "/crm/v6/{module}/{id}", z.get)

	stages := []string{"Qualification", "Needs Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won"}
	for i := 0; i < seedCount; i++ {
		first, last, email := seedPerson(i)
		created, updated := seedTimes(i)
		account := map[string]any{"name": last + " Systems", "id": fmt.Sprintf("48768760000003%05d", i+1)}
		z.Seed("Accounts", map[string]any{
			"id": account["id"], "Account_Name": account["name"], "Website": "https://" + strings.ToLower(last) + ".example.com",
			"Industry": "Technology", "Phone": fmt.Sprintf("+1 555 02%02d", i), "Owner": zohoOwner,
			"Created_Time": zohoTime(created), "Modified_Time": zohoTime(updated),
		})
		z.Seed("Contacts", map[string]any{
			"First_Name": first, "Last_Name": last, "Full_Name": first + " " + last, "Email": email,
			"Phone": fmt.Sprintf("+1 555 01%02d", i), "Lead_Source": "Web Download", "Account_Name": account, "Owner": zohoOwner,
			"Created_Time": zohoTime(created), "Modified_Time": zohoTime(updated),
		})
		z.Seed("Deals", map[string]any{
			"Deal_Name": last + " renewal", "Stage": stages[i%len(stages)], "Amount": float64(1000 + 250*i),
			"Closing_Date": created.AddDate(0, 1, 0).Format("2006-01-02"), "Account_Name": account, "Owner": zohoOwner,
			"Created_Time": zohoTime(created), "Modified_Time": zohoTime(updated),
		})
	}
	return z
}

func (z *Zoho) prepare(kind string, rec map[string]any) {
	if str(rec["id"]) == "" {
		m := zohoModules[kind]
		rec["id"] = fmt.Sprintf("48768760000%d%07d", m.start+1, z.id(kind, 1001))
	}
	now := zohoTime(time.Now())
	if _, ok := rec["Created_Time"]; !ok {
		rec["Created_Time"] = now
	}
	if _, ok := rec["Modified_Time"]; !ok {
		rec["Modified_Time"] = rec["Created_Time"]
	}
}

func (z *Zoho) fail(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	switch code {
	case "not_found":
		code, message = "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one"
	case "method_not_allowed":
		code, message = "INVALID_REQUEST_METHOD", "The http request method type is not a valid one"
	}
	writeJSON(w, status, map[string]any{"code": code, "details": map[string]any{}, "message": message, "status": "error"})
}

func (z *Zoho) deny(w http.ResponseWriter, r *http.Request, present bool) {
	if !present {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"code": "AUTHENTICATION_FAILURE", "details": map[string]any{}, "message": "Authentication failed", "status": "error"})
		return
	}
	writeJSON(w, http.StatusUnauthorized, map[string]any{"code": "INVALID_TOKEN", "details": map[string]any{}, "message": "invalid oauth token", "status": "error"})
}

func (z *Zoho) limit(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusTooManyRequests, map[string]any{
		"code": "TOO_MANY_REQUESTS", "details": map[string]any{"duration": 1},
		"message": "The API limit has been exceeded. Please try again later.", "status": "error",
	})
}

func (z *Zoho) module(w http.ResponseWriter, r *http.Request, m string) bool {
	if _, ok := zohoModules[m]; !ok {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": "INVALID_MODULE", "details": map[string]any{"resource_path_index": 0}, "message": "the module name given seems to be invalid", "status": "error"})
		return false
	}
	return true
}

func (z *Zoho) list(w http.ResponseWriter, r *http.Request, p params) {
	mod := p["module"]
	if !z.module(w, r, mod) {
		return
	}
	q := r.URL.Query()
	fields := splitList(q.Get("fields"))
	if len(fields) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": "REQUIRED_PARAM_MISSING", "details": map[string]any{"param": "fields"}, "message": "One of the expected parameter is missing", "status": "error"})
		return
	}
	if len(fields) > 50 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": "LIMIT_EXCEEDED", "details": map[string]any{"limit": 50, "param": "fields"}, "message": "Limit exceeded", "status": "error"})
		return
	}
	page, ok1 := intParam(q, "page", 1)
	perPage, ok2 := intParam(q, "per_page", 200)
	if !ok1 || !ok2 || page < 1 || perPage < 1 || perPage > 200 {
		param := "page"
		if !ok2 || perPage < 1 || perPage > 200 {
			param = "per_page"
		}
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": "INVALID_DATA", "details": map[string]any{"param": param}, "message": "invalid data", "status": "error"})
		return
	}
	var since time.Time
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		t, err := time.Parse(time.RFC3339, ims)
		if err != nil {
			t, err = http.ParseTime(ims)
		}
		if err == nil {
			since = t
		}
	}
	recs := z.server.list(mod, func(m map[string]any) bool {
		if since.IsZero() {
			return true
		}
		t, err := time.Parse(time.RFC3339, str(m["Modified_Time"]))
		return err == nil && t.After(since)
	})
	if !since.IsZero() && len(recs) == 0 {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if q.Get("sort_order") == "desc" {
		for i, j := 0, len(recs)-1; i < j; i, j = i+1, j-1 {
			recs[i], recs[j] = recs[j], recs[i]
		}
	}
	rows, more := window(recs, (page-1)*perPage, perPage)
	if len(rows) == 0 {
		w.WriteHeader(http.StatusNoContent) // Zoho answers an empty page with 204 and no body
		return
	}
	data := make([]map[string]any, 0, len(rows))
	for _, rec := range rows {
		data = append(data, pick(rec, fields, "id"))
	}
	sortBy := q.Get("sort_by")
	if sortBy == "" {
		sortBy = "id"
	}
	sortOrder := q.Get("sort_order")
	if sortOrder == "" {
		sortOrder = "asc"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"data": data,
		"info": map[string]any{
			"per_page": perPage, "count": len(data), "page": page, "sort_by": sortBy, "sort_order": sortOrder,
			"more_records": more, "next_page_token": nil, "previous_page_token": nil, "page_token_expiry": nil,
		},
	})
}

func (z *Zoho) get(w http.ResponseWriter, r *http.Request, p params) {
	if !z.module(w, r, p["module"]) {
		return
	}
	recs := z.server.list(p["module"], func(m map[string]any) bool { return str(m["id"]) == p["id"] })
	if len(recs) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": []any{pick(recs[0], splitList(r.URL.Query().Get("fields")), "id")}})
}

func (z *Zoho) create(w http.ResponseWriter, r *http.Request, p params) {
	mod := p["module"]
	if !z.module(w, r, mod) {
		return
	}
	var body struct {
		Data []map[string]any `json:"data"`
	}
	if err := readJSON(r, &body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": "INVALID_DATA", "details": map[string]any{}, "message": "body is not a valid JSON", "status": "error"})
		return
	}
	if len(body.Data) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": "MANDATORY_NOT_FOUND", "details": map[string]any{"api_name": "data", "json_path": "$.data"}, "message": "required field not found", "status": "error"})
		return
	}
	if len(body.Data) > 100 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": "LIMIT_EXCEEDED", "details": map[string]any{"limit": 100, "json_path": "$.data"}, "message": "Limit exceeded", "status": "error"})
		return
	}
	var out []any
	succeeded := 0
	for i, in := range body.Data {
		missing := ""
		for _, f := range zohoModules[mod].mandatory {
			if strings.TrimSpace(str(in[f])) == "" {
				missing = f
				break
			}
		}
		if missing != "" {
			out = append(out, map[string]any{
				"code": "MANDATORY_NOT_FOUND", "details": map[string]any{"api_name": missing, "json_path": fmt.Sprintf("$.data[%d].%s", i, missing)},
				"message": "required field not found", "status": "error",
			})
			continue
		}
		rec := map[string]any{}
		for k, v := range in {
			if n, ok := v.(interface{ Float64() (float64, error) }); ok {
				if f, err := n.Float64(); err == nil {
					v = f
				}
			}
			rec[k] = v
		}
		rec["Owner"] = zohoOwner
		delete(rec, "id")
		delete(rec, "Created_Time")
		delete(rec, "Modified_Time")
		rec = z.insert(mod, rec)
		succeeded++
		user := map[string]any{"name": zohoOwner["name"], "id": zohoOwner["id"]}
		out = append(out, map[string]any{
			"code": "SUCCESS",
			"details": map[string]any{
				"Modified_Time": rec["Modified_Time"], "Modified_By": user, "Created_Time": rec["Created_Time"],
				"id": rec["id"], "Created_By": user,
			},
			"message": "record added", "status": "success",
		})
	}
	status := http.StatusCreated
	switch {
	case succeeded == 0:
		status = http.StatusBadRequest
	case succeeded < len(body.Data):
		status = http.StatusMultiStatus
	}
	writeJSON(w, status, map[string]any{"data": out})
}

func (z *Zoho) users(w http.ResponseWriter, r *http.Request, p params) {
	ty := r.URL.Query().Get("type")
	if ty == "" {
		ty = "AllUsers"
	}
	switch ty {
	case "CurrentUser", "AllUsers", "ActiveUsers", "AdminUsers":
	default:
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": "INVALID_DATA", "details": map[string]any{"param": "type"}, "message": "invalid data", "status": "error"})
		return
	}
	user := map[string]any{
		"id": zohoOwner["id"], "full_name": zohoOwner["name"], "first_name": "Patricia", "last_name": "Boyle",
		"email": zohoOwner["email"], "status": "active", "confirm": true, "time_zone": "Europe/London",
		"locale": "en_GB", "country": "GB", "language": "en_GB",
		"role":         map[string]any{"name": "CEO", "id": "4876876000000026005"},
		"profile":      map[string]any{"name": "Administrator", "id": "4876876000000026011"},
		"created_time": zohoTime(baseTime), "Modified_Time": zohoTime(baseTime),
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"users": []any{user},
		"info":  map[string]any{"per_page": 200, "count": 1, "page": 1, "more_records": false},
	})
}

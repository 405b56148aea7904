package fakes

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Mailchimp is a fake of the Mailchimp Marketing API 3.0.
//
// Routes (base URL = server root): GET /3.0/ping, GET /3.0/lists?count&offset,
// GET /3.0/lists/{id}, GET /3.0/lists/{id}/members?count&offset&status,
// POST /3.0/lists/{id}/members {"email_address","status","merge_fields"},
// GET /3.0/campaigns?count&offset&status, and GET /oauth2/metadata (the
// login server's metadata, on the same server) -> {"dc":"us1",
// "api_endpoint": server URL, ...}. Lists carry "total_items"; count defaults
// to 10 and is at most 1000. Credentials: HTTP Basic anystring:<api key>, or
// "Authorization: Bearer|OAuth <token>" (given to Options.Authorize as
// Bearer). Errors are application/problem+json {"type","title","status",
// "detail","instance"}; rate limit: 429 "Too Many Requests" (no Retry-After).
//
// Seed and Records collections: "lists" (3 seeded), "members" (25 seeded in
// the first list; each has "list_id"), "campaigns" (25 seeded).
type Mailchimp struct {
	// URL is the API endpoint (the server root); paths start with /3.0.
	URL string
	// ListID is the id of the first seeded list, which holds the members.
	ListID string
	*server
}

const mailchimpErrorDoc = "https://mailchimp.com/developer/marketing/docs/errors/"

func mailchimpTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05-07:00") }

// mailchimpMemberID is the subscriber hash: the MD5 of the lowercase address.
func mailchimpMemberID(email string) string {
	sum := md5.Sum([]byte(strings.ToLower(email)))
	return hex.EncodeToString(sum[:])
}

// NewMailchimp starts a Mailchimp fake with 3 lists, 25 members and 25 campaigns.
func NewMailchimp(t testing.TB, opts Options) *Mailchimp {
	t.Helper()
	m := &Mailchimp{ListID: "a1b2c3d4e5"}
	m.server = newServer(t, opts, platform{
		credential: m.credential,
		deny:       m.deny,
		limit: func(w http.ResponseWriter, r *http.Request) {
			m.problem(w, http.StatusTooManyRequests, "Too Many Requests", "You have exceeded the limit of 10 simultaneous connections.", nil)
		},
		fail: func(w http.ResponseWriter, r *http.Request, status int, code, message string) {
			if status == http.StatusNotFound {
				m.problem(w, status, "Resource Not Found", "The requested resource could not be found.", nil)
				return
			}
			m.problem(w, status, "Method Not Allowed", "The requested method and resource are not compatible. See the Allow header for this resource's available methods.", nil)
		},
		prepare: func(kind string, rec map[string]any) {
			switch kind {
			case "members":
				if str(rec["id"]) == "" {
					rec["id"] = mailchimpMemberID(str(rec["email_address"]))
				}
				if str(rec["list_id"]) == "" {
					rec["list_id"] = m.ListID
				}
			default:
				if str(rec["id"]) == "" {
					rec["id"] = fmt.Sprintf("%010x", m.id(kind, 0xf0000001))
				}
			}
		},
	})
	m.URL = m.root
	m.handle("GET", "/3.0/ping", m.ping)
	m.handle("GET", "/3.0/lists", m.lists)
	m.handle("GET", "/3.0/lists/{list}", m.list)
	m.handle("GET", "/3.0/lists/{list}/members", m.members)
	m.handle("POST", "/3.0/lists/{list}/members", m.addMember)
	m.handle("GET", "/3.0/campaigns", m.campaigns)
	m.handle("GET", "/oauth2/metadata", m.metadata)

	for i, name := range []string{"Newsletter", "Customers", "Beta testers"} {
		id := m.ListID
		if i > 0 {
			id = fmt.Sprintf("b%09d", i)
		}
		members := 0
		if i == 0 {
			members = seedCount
		}
		m.Seed("lists", map[string]any{
			"id": id, "web_id": 100 + i, "name": name,
			"contact":             map[string]any{"company": "Fake Co", "address1": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701", "country": "US"},
			"permission_reminder": "You signed up on our website.", "use_archive_bar": true,
			"campaign_defaults": map[string]any{"from_name": "Fake Co", "from_email": "news@fake.example.com", "subject": "", "language": "en"},
			"date_created":      mailchimpTime(baseTime), "list_rating": 3, "email_type_option": false, "visibility": "pub",
			"stats": map[string]any{"member_count": members, "unsubscribe_count": 0, "cleaned_count": 0},
		})
	}
	for i := 0; i < seedCount; i++ {
		first, last, email := seedPerson(i)
		created, updated := seedTimes(i)
		m.Seed("members", m.member(email, "subscribed", map[string]any{"FNAME": first, "LNAME": last}, created, updated))
		m.Seed("campaigns", map[string]any{
			"web_id": 5000 + i, "type": "regular", "create_time": mailchimpTime(created),
			"archive_url": fmt.Sprintf("https://eepurl.com/fake%02d", i), "status": "sent", "emails_sent": 20 + i,
			"send_time": mailchimpTime(updated), "content_type": "template",
			"recipients":     map[string]any{"list_id": m.ListID, "list_name": "Newsletter", "recipient_count": 20 + i},
			"settings":       map[string]any{"subject_line": fmt.Sprintf("Issue #%d", i+1), "title": fmt.Sprintf("Newsletter %02d", i+1), "from_name": "Fake Co", "reply_to": "news@fake.example.com"},
			"report_summary": map[string]any{"opens": 10 + i, "unique_opens": 8 + i, "open_rate": 0.4, "clicks": 3 + i, "subscriber_clicks": 2 + i, "click_rate": 0.1},
		})
	}
	return m
}

func (m *Mailchimp) member(email, status string, merge map[string]any, created, updated time.Time) map[string]any {
	if merge == nil {
		merge = map[string]any{}
	}
	full := strings.TrimSpace(str(merge["FNAME"]) + " " + str(merge["LNAME"]))
	return map[string]any{
		"id": mailchimpMemberID(email), "email_address": email, "unique_email_id": mailchimpMemberID(email)[:10],
		"full_name": full, "email_type": "html", "status": status, "merge_fields": merge,
		"stats":            map[string]any{"avg_open_rate": 0, "avg_click_rate": 0},
		"timestamp_signup": "", "timestamp_opt": mailchimpTime(created), "member_rating": 2,
		"last_changed": mailchimpTime(updated), "language": "", "vip": false, "source": "API - Generic",
		"tags_count": 0, "tags": []any{}, "list_id": m.ListID,
	}
}

func (m *Mailchimp) credential(r *http.Request) (*http.Request, bool) {
	if _, pass, ok := r.BasicAuth(); ok {
		return r, pass != ""
	}
	for _, scheme := range []string{"Bearer ", "OAuth "} {
		if v, ok := cutPrefixFold(r.Header.Get("Authorization"), scheme); ok && strings.TrimSpace(v) != "" {
			return withHeader(r, "Authorization", "Bearer "+strings.TrimSpace(v)), true
		}
	}
	return r, false
}

func (m *Mailchimp) problem(w http.ResponseWriter, status int, title, detail string, extra map[string]any) {
	body := map[string]any{"type": mailchimpErrorDoc, "title": title, "status": status, "detail": detail, "instance": m.requestID()}
	for k, v := range extra {
		body[k] = v
	}
	writeJSONType(w, "application/problem+json; charset=utf-8", status, body)
}

func (m *Mailchimp) deny(w http.ResponseWriter, r *http.Request, present bool) {
	if r.URL.Path == "/oauth2/metadata" {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_token", "error_description": "The access token provided is invalid."})
		return
	}
	if !present {
		m.problem(w, http.StatusUnauthorized, "API Key Missing", "Your request did not include an API key.", nil)
		return
	}
	m.problem(w, http.StatusUnauthorized, "API Key Invalid", "Your API key may be invalid, or you've attempted to access the wrong datacenter.", nil)
}

// paging reads count and offset; ok=false after writing the error.
func (m *Mailchimp) paging(w http.ResponseWriter, r *http.Request) (count, offset int, ok bool) {
	q := r.URL.Query()
	count, ok1 := intParam(q, "count", 10)
	offset, ok2 := intParam(q, "offset", 0)
	if !ok1 || !ok2 || count < 0 || offset < 0 {
		m.problem(w, http.StatusBadRequest, "Invalid Resource", "The resource submitted could not be validated. For field-specific details, see the 'errors' array.",
			map[string]any{"errors": []any{map[string]any{"field": "count", "message": "count and offset must be non-negative integers."}}})
		return 0, 0, false
	}
	return min(count, 1000), offset, true
}

func (m *Mailchimp) ping(w http.ResponseWriter, r *http.Request, p params) {
	writeJSON(w, http.StatusOK, map[string]any{"health_status": "Everything's Chimpy!"})
}

func (m *Mailchimp) lists(w http.ResponseWriter, r *http.Request, p params) {
	count, offset, ok := m.paging(w, r)
	if !ok {
		return
	}
	all := m.server.list("lists", nil)
	page, _ := window(all, offset, count)
	writeJSON(w, http.StatusOK, map[string]any{
		"lists": page, "total_items": len(all),
		"constraints": map[string]any{"may_create": true, "max_instances": -1, "current_total_instances": len(all)},
		"_links":      []any{},
	})
}

func (m *Mailchimp) findList(w http.ResponseWriter, id string) (map[string]any, bool) {
	got := m.server.list("lists", func(l map[string]any) bool { return str(l["id"]) == id })
	if len(got) == 0 {
		m.problem(w, http.StatusNotFound, "Resource Not Found", "The requested resource could not be found.", nil)
		return nil, false
	}
	return got[0], true
}

func (m *Mailchimp) list(w http.ResponseWriter, r *http.Request, p params) {
	if l, ok := m.findList(w, p["list"]); ok {
		writeJSON(w, http.StatusOK, l)
	}
}

func (m *Mailchimp) members(w http.ResponseWriter, r *http.Request, p params) {
	if _, ok := m.findList(w, p["list"]); !ok {
		return
	}
	count, offset, ok := m.paging(w, r)
	if !ok {
		return
	}
	status := r.URL.Query().Get("status")
	since := r.URL.Query().Get("since_last_changed")
	all := m.server.list("members", func(mb map[string]any) bool {
		if str(mb["list_id"]) != p["list"] || (status != "" && str(mb["status"]) != status) {
			return false
		}
		if since != "" {
			a, err1 := time.Parse(time.RFC3339, str(mb["last_changed"]))
			b, err2 := time.Parse(time.RFC3339, since)
			return err1 == nil && err2 == nil && a.After(b)
		}
		return true
	})
	page, _ := window(all, offset, count)
	writeJSON(w, http.StatusOK, map[string]any{"members": page, "list_id": p["list"], "total_items": len(all), "_links": []any{}})
}

var mailchimpStatuses = map[string]bool{"subscribed": true, "unsubscribed": true, "cleaned": true, "pending": true, "transactional": true}

func (m *Mailchimp) addMember(w http.ResponseWriter, r *http.Request, p params) {
	if _, ok := m.findList(w, p["list"]); !ok {
		return
	}
	var body struct {
		EmailAddress string         `json:"email_address"`
		Status       string         `json:"status"`
		MergeFields  map[string]any `json:"merge_fields"`
		Tags         []string       `json:"tags"`
	}
	if err := readJSON(r, &body); err != nil {
		m.problem(w, http.StatusBadRequest, "JSON Parse Error", "We encountered an unspecified JSON parsing error.", nil)
		return
	}
	invalid := func(field, msg string) {
		m.problem(w, http.StatusBadRequest, "Invalid Resource", "The resource submitted could not be validated. For field-specific details, see the 'errors' array.",
			map[string]any{"errors": []any{map[string]any{"field": field, "message": msg}}})
	}
	switch {
	case strings.TrimSpace(body.EmailAddress) == "":
		invalid("email_address", "This value should not be blank.")
		return
	case !strings.Contains(body.EmailAddress, "@"):
		m.problem(w, http.StatusBadRequest, "Invalid Resource", body.EmailAddress+" looks fake or invalid, please enter a real email address.", nil)
		return
	case !mailchimpStatuses[body.Status]:
		invalid("status", "Schema describes enum, "+strconv.Quote(body.Status)+" found instead")
		return
	}
	id := mailchimpMemberID(body.EmailAddress)
	if len(m.server.list("members", func(mb map[string]any) bool { return mb["id"] == id && mb["list_id"] == p["list"] })) > 0 {
		m.problem(w, http.StatusBadRequest, "Member Exists", body.EmailAddress+" is already a list member. Use PUT to insert or update list members.", nil)
		return
	}
	now := time.Now()
	rec := m.member(body.EmailAddress, body.Status, body.MergeFields, now, now)
	rec["list_id"] = p["list"]
	var tags []any
	for _, t := range body.Tags {
		tags = append(tags, map[string]any{"id": len(tags) + 1, "name": t})
	}
	if tags != nil {
		rec["tags"], rec["tags_count"] = tags, len(tags)
	}
	writeJSON(w, http.StatusOK, m.insert("members", rec))
}

func (m *Mailchimp) campaigns(w http.ResponseWriter, r *http.Request, p params) {
	count, offset, ok := m.paging(w, r)
	if !ok {
		return
	}
	status := r.URL.Query().Get("status")
	all := m.server.list("campaigns", func(c map[string]any) bool { return status == "" || str(c["status"]) == status })
	page, _ := window(all, offset, count)
	writeJSON(w, http.StatusOK, map[string]any{"campaigns": page, "total_items": len(all), "_links": []any{}})
}

func (m *Mailchimp) metadata(w http.ResponseWriter, r *http.Request, p params) {
	writeJSON(w, http.StatusOK, map[string]any{
		"dc": "us1", "role": "owner", "accountname": "Fake Co", "user_id": 12345678,
		"login":        map[string]any{"email": "owner@fake.example.com", "avatar": nil, "login_id": 12345678, "login_name": "fakeowner", "login_email": "owner@fake.example.com"},
		"login_url":    "https://login.mailchimp.com",
		"api_endpoint": m.URL,
	})
}

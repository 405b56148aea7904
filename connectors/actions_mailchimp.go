package connectors

// Typed actions of Mailchimp (Marketing API 3.0).

import (
	"cmp"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	hub "github.com/bizoshub/bizos"
)

const mcListIDProp = `"list_id":{"type":"string","pattern":"^[A-Za-z0-9]{1,64}$","description":"The audience (list) id, from mailchimp.list_audiences."}`

func init() {
	register(
		&Action{
			Name: "mailchimp.list_audiences", Provider: "mailchimp", Title: "List Mailchimp audiences",
			Description: "Lists the audiences (lists) of the Mailchimp account, with id, name, member counts and creation date. " +
				"The ids are used by the other Mailchimp actions.",
			Input: inputSchema(limitProp(20, 1000) + "," + cursorProp),
			Output: listOutput(`{"type":"object","required":["id","name"],"properties":{`+
				`"id":{"type":"string"},"web_id":{"type":"integer"},"name":{"type":"string"},`+
				`"member_count":{"type":"integer","description":"Subscribed members."},"unsubscribe_count":{"type":"integer"},`+
				`"date_created":{"type":"string"}}}`, true),
			Run: mcListAudiences,
		},
		&Action{
			Name: "mailchimp.list_members", Provider: "mailchimp", Title: "List Mailchimp audience members",
			Description: "Lists members (contacts) of a Mailchimp audience, one page at a time, with email, status, name and merge fields. " +
				"Filter by status and by last change time.",
			Input: inputSchema(mcListIDProp+","+limitProp(50, 1000)+","+cursorProp+","+
				`"status":{"type":"string","enum":["subscribed","unsubscribed","cleaned","pending","transactional","archived"],"description":"Only members with this status."},`+
				`"changed_since":{"type":"string","format":"date-time","description":"Only members changed after this time (RFC 3339)."}`,
				"list_id"),
			Output: listOutput(mcMemberSchema, true),
			Run:    mcListMembers,
		},
		&Action{
			Name: "mailchimp.add_member", Provider: "mailchimp", Title: "Add or update a Mailchimp audience member", Write: true,
			Description: "Adds a contact to a Mailchimp audience, or updates their name and merge fields when the email is already there " +
				"(an upsert keyed by the email). status applies to new members only: subscribed (default) adds them as confirmed, " +
				"pending sends them a double opt-in email; an existing member keeps their status (an unsubscribed person is not resubscribed).",
			Input: inputSchema(mcListIDProp+","+
				`"email":{"type":"string","format":"email","pattern":"`+emailPattern+`","maxLength":254,"description":"The member's email address."},`+
				`"status":{"type":"string","enum":["subscribed","pending","unsubscribed","transactional"],"default":"subscribed","description":"Status of a new member."},`+
				`"first_name":{"type":"string","maxLength":200,"description":"First name (merge field FNAME)."},`+
				`"last_name":{"type":"string","maxLength":200,"description":"Last name (merge field LNAME)."},`+
				`"merge_fields":{"type":"object","maxProperties":50,"propertyNames":{"pattern":"^[A-Z0-9_]{1,10}$"},"description":"Other merge fields by tag, e.g. {\"PHONE\": \"+1 555 0100\"}."},`+
				`"language":{"type":"string","pattern":"^[a-z]{2}(_[A-Z]{2})?$","description":"Language code, e.g. en or fr."}`,
				"list_id", "email"),
			Output: outputObject(mcMemberSchema),
			Run:    mcAddMember,
		},
	)
}

const mcMemberSchema = `{"type":"object","required":["id","email","status"],"properties":{` +
	`"id":{"type":"string","description":"MD5 hash of the lowercase email (Mailchimp's subscriber hash)."},` +
	`"email":{"type":"string"},"status":{"type":"string"},"full_name":{"type":"string"},` +
	`"merge_fields":{"type":"object","description":"Merge field values by tag (FNAME, LNAME...)."},` +
	`"list_id":{"type":"string"},"last_changed":{"type":"string"},"timestamp_opt":{"type":"string"},` +
	`"tags":{"type":"array","items":{"type":"string"}}}}`

type mcMemberRaw struct {
	ID           string         `json:"id"`
	EmailAddress string         `json:"email_address"`
	Status       string         `json:"status"`
	FullName     string         `json:"full_name"`
	MergeFields  map[string]any `json:"merge_fields"`
	ListID       string         `json:"list_id"`
	LastChanged  string         `json:"last_changed"`
	TimestampOpt string         `json:"timestamp_opt"`
	Tags         []struct {
		Name string `json:"name"`
	} `json:"tags"`
}

type mcMember struct {
	ID           string         `json:"id"`
	Email        string         `json:"email"`
	Status       string         `json:"status"`
	FullName     string         `json:"full_name"`
	MergeFields  map[string]any `json:"merge_fields"`
	ListID       string         `json:"list_id"`
	LastChanged  string         `json:"last_changed"`
	TimestampOpt string         `json:"timestamp_opt"`
	Tags         []string       `json:"tags"`
}

func (r mcMemberRaw) normalise() mcMember {
	m := mcMember{ID: r.ID, Email: r.EmailAddress, Status: r.Status, FullName: r.FullName, MergeFields: r.MergeFields,
		ListID: r.ListID, LastChanged: r.LastChanged, TimestampOpt: r.TimestampOpt, Tags: []string{}}
	if m.MergeFields == nil {
		m.MergeFields = map[string]any{}
	}
	for _, t := range r.Tags {
		m.Tags = append(m.Tags, t.Name)
	}
	return m
}

// mcPaging reads a count/offset page and gives the next cursor.
func mcPaging(limit int, cursor string) (url.Values, int, error) {
	offset, err := offsetNumber(cursor)
	if err != nil {
		return nil, 0, err
	}
	return url.Values{"count": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(offset)}}, offset, nil
}

func mcNext(offset, got int, total int64) string {
	if got > 0 && int64(offset+got) < total {
		return strconv.Itoa(offset + got)
	}
	return ""
}

func mcListAudiences(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Limit  int    `json:"limit"`
		Cursor string `json:"cursor"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	q, offset, err := mcPaging(cmp.Or(in.Limit, 20), in.Cursor)
	if err != nil {
		return nil, err
	}
	var raw struct {
		Lists []struct {
			ID          string  `json:"id"`
			WebID       flexInt `json:"web_id"`
			Name        string  `json:"name"`
			DateCreated string  `json:"date_created"`
			Stats       struct {
				MemberCount      flexInt `json:"member_count"`
				UnsubscribeCount flexInt `json:"unsubscribe_count"`
			} `json:"stats"`
		} `json:"lists"`
		TotalItems int64 `json:"total_items"`
	}
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: "/lists", query: q}, &raw); err != nil {
		return nil, err
	}
	type audience struct {
		ID               string `json:"id"`
		WebID            int64  `json:"web_id"`
		Name             string `json:"name"`
		MemberCount      int64  `json:"member_count"`
		UnsubscribeCount int64  `json:"unsubscribe_count"`
		DateCreated      string `json:"date_created"`
	}
	items := make([]audience, 0, len(raw.Lists))
	for _, l := range raw.Lists {
		items = append(items, audience{l.ID, int64(l.WebID), l.Name, int64(l.Stats.MemberCount), int64(l.Stats.UnsubscribeCount), l.DateCreated})
	}
	return newListPage(items, mcNext(offset, len(items), raw.TotalItems)).withTotal(raw.TotalItems, true), nil
}

func mcListMembers(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		ListID       string `json:"list_id"`
		Limit        int    `json:"limit"`
		Cursor       string `json:"cursor"`
		Status       string `json:"status"`
		ChangedSince string `json:"changed_since"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	q, offset, err := mcPaging(cmp.Or(in.Limit, 50), in.Cursor)
	if err != nil {
		return nil, err
	}
	if in.Status != "" {
		q.Set("status", in.Status)
	}
	if in.ChangedSince != "" {
		t, err := time.Parse(time.RFC3339, in.ChangedSince)
		if err != nil {
			return nil, hub.InvalidField("changed_since", "is not an RFC 3339 time like 2025-01-31T00:00:00Z")
		}
		q.Set("since_last_changed", t.UTC().Format(time.RFC3339))
	}
	var raw struct {
		Members    []mcMemberRaw `json:"members"`
		TotalItems int64         `json:"total_items"`
	}
	path := "/lists/" + url.PathEscape(in.ListID) + "/members"
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: path, query: q}, &raw); err != nil {
		return nil, err
	}
	items := make([]mcMember, 0, len(raw.Members))
	for _, m := range raw.Members {
		items = append(items, m.normalise())
	}
	return newListPage(items, mcNext(offset, len(items), raw.TotalItems)).withTotal(raw.TotalItems, true), nil
}

// mcSubscriberHash is Mailchimp's member id: the MD5 of the lowercase email.
func mcSubscriberHash(email string) string {
	sum := md5.Sum([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(sum[:])
}

func mcAddMember(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		ListID      string         `json:"list_id"`
		Email       string         `json:"email"`
		Status      string         `json:"status"`
		FirstName   string         `json:"first_name"`
		LastName    string         `json:"last_name"`
		MergeFields map[string]any `json:"merge_fields"`
		Language    string         `json:"language"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	merge := map[string]any{}
	for k, v := range in.MergeFields {
		merge[k] = v
	}
	if in.FirstName != "" {
		merge["FNAME"] = in.FirstName
	}
	if in.LastName != "" {
		merge["LNAME"] = in.LastName
	}
	body := map[string]any{"email_address": in.Email, "status_if_new": cmp.Or(in.Status, "subscribed")}
	if len(merge) > 0 {
		body["merge_fields"] = merge
	}
	if in.Language != "" {
		body["language"] = in.Language
	}
	var raw mcMemberRaw
	path := "/lists/" + url.PathEscape(in.ListID) + "/members/" + mcSubscriberHash(in.Email)
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodPut, path: path, json: body}, &raw); err != nil {
		return nil, err
	}
	return raw.normalise(), nil
}

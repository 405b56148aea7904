package connectors

// Typed actions of FluentCRM (REST API fluent-crm/v2 on a WordPress site).

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	hub "github.com/bizoshub/bizos"
)

func init() {
	register(
		&Action{
			Name: "fluentcrm.list_contacts", Provider: "fluentcrm", Title: "List FluentCRM contacts",
			Description: "Lists contacts (subscribers) of FluentCRM, one page at a time. Filter by words in the name or email, " +
				"by subscription status, by list id or by tag id (see fluentcrm.list_lists).",
			Input: inputSchema(limitProp(20, 100) + "," + cursorProp + "," +
				`"search":{"type":"string","minLength":1,"maxLength":200,"description":"Only contacts whose name or email contains this text."},` +
				`"status":{"type":"string","enum":["subscribed","pending","unsubscribed","bounced","complained"],"description":"Only contacts with this subscription status."},` +
				`"list_id":{"type":"integer","minimum":1,"description":"Only contacts in this list."},` +
				`"tag_id":{"type":"integer","minimum":1,"description":"Only contacts with this tag."}`),
			Output: listOutput(fcContactSchema, true),
			Run:    fcListContacts,
		},
		&Action{
			Name: "fluentcrm.get_contact", Provider: "fluentcrm", Title: "Get a FluentCRM contact",
			Description: "Returns one FluentCRM contact, with its lists and tags, by numeric id or by exact email address. Give id or email.",
			Input: objectSchema(`"id":{"type":"integer","minimum":1,"description":"The contact's numeric id."},`+
				`"email":{"type":"string","format":"email","pattern":"`+emailPattern+`","maxLength":254,"description":"The contact's email address."}`,
				nil, `"oneOf":[{"required":["id"]},{"required":["email"]}]`),
			Output: outputObject(fcContactSchema),
			Run:    fcGetContact,
		},
		&Action{
			Name: "fluentcrm.create_contact", Provider: "fluentcrm", Title: "Create a FluentCRM contact", Write: true,
			Description: "Adds a contact to FluentCRM, optionally into lists and with tags (ids from fluentcrm.list_lists). " +
				"Status pending sends a double opt-in email; subscribed adds them as confirmed. FluentCRM refuses an email that already exists.",
			Input: inputSchema(`"email":{"type":"string","format":"email","pattern":"`+emailPattern+`","maxLength":254,"description":"Email address (required, unique)."},`+
				`"first_name":{"type":"string","maxLength":200,"description":"First name."},`+
				`"last_name":{"type":"string","maxLength":200,"description":"Last name."},`+
				`"phone":{"type":"string","maxLength":50,"description":"Phone number."},`+
				`"status":{"type":"string","enum":["subscribed","pending","unsubscribed","transactional"],"default":"subscribed","description":"Subscription status; pending asks the contact to confirm by email."},`+
				`"lists":{"type":"array","items":{"type":"integer","minimum":1},"maxItems":50,"uniqueItems":true,"description":"Ids of lists to add the contact to."},`+
				`"tags":{"type":"array","items":{"type":"integer","minimum":1},"maxItems":50,"uniqueItems":true,"description":"Ids of tags to give the contact."}`,
				"email"),
			Output: outputObject(fcContactSchema),
			Run:    fcCreateContact,
		},
		&Action{
			Name: "fluentcrm.list_lists", Provider: "fluentcrm", Title: "List FluentCRM lists",
			Description: "Lists all contact lists of FluentCRM with their ids, titles and slugs (ids are used by the other FluentCRM actions).",
			Input:       inputSchema(""),
			Output: listOutput(`{"type":"object","required":["id","title"],"properties":{`+
				`"id":{"type":"integer"},"title":{"type":"string"},"slug":{"type":"string"},"description":{"type":"string"},`+
				`"is_public":{"type":"boolean"},"created_at":{"type":"string"}}}`, false),
			Run: fcListLists,
		},
	)
}

const fcContactSchema = `{"type":"object","required":["id","email"],"properties":{` +
	`"id":{"type":"integer","description":"Numeric contact id."},` +
	`"email":{"type":"string"},"first_name":{"type":"string"},"last_name":{"type":"string"},"full_name":{"type":"string"},` +
	`"phone":{"type":"string"},` +
	`"status":{"type":"string","description":"subscribed, pending, unsubscribed, bounced or complained."},` +
	`"contact_type":{"type":"string","description":"lead or customer."},` +
	`"created_at":{"type":"string"},"updated_at":{"type":"string"},` +
	`"lists":{"type":"array","items":{"type":"object","properties":{"id":{"type":"integer"},"title":{"type":"string"}}}},` +
	`"tags":{"type":"array","items":{"type":"object","properties":{"id":{"type":"integer"},"title":{"type":"string"}}}}}}`

type fcRef struct {
	ID    flexInt `json:"id"`
	Title string  `json:"title"`
}

type fcContactRaw struct {
	ID          flexInt `json:"id"`
	Email       string  `json:"email"`
	FirstName   *string `json:"first_name"`
	LastName    *string `json:"last_name"`
	FullName    *string `json:"full_name"`
	Phone       *string `json:"phone"`
	Status      string  `json:"status"`
	ContactType *string `json:"contact_type"`
	CreatedAt   any     `json:"created_at"` // a string, or {} in some documented answers
	UpdatedAt   any     `json:"updated_at"`
	Lists       []fcRef `json:"lists"`
	Tags        []fcRef `json:"tags"`
}

type fcContactRef struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
}

type fcContact struct {
	ID          int64          `json:"id"`
	Email       string         `json:"email"`
	FirstName   string         `json:"first_name"`
	LastName    string         `json:"last_name"`
	FullName    string         `json:"full_name"`
	Phone       string         `json:"phone"`
	Status      string         `json:"status"`
	ContactType string         `json:"contact_type"`
	CreatedAt   string         `json:"created_at"`
	UpdatedAt   string         `json:"updated_at"`
	Lists       []fcContactRef `json:"lists"`
	Tags        []fcContactRef `json:"tags"`
}

func (r fcContactRaw) normalise() fcContact {
	out := fcContact{ID: int64(r.ID), Email: r.Email, FirstName: optString(r.FirstName), LastName: optString(r.LastName),
		FullName: optString(r.FullName), Phone: optString(r.Phone), Status: r.Status, ContactType: optString(r.ContactType),
		CreatedAt: scalarString(r.CreatedAt), UpdatedAt: scalarString(r.UpdatedAt),
		Lists: []fcContactRef{}, Tags: []fcContactRef{}}
	if out.FullName == "" {
		out.FullName = strings.TrimSpace(out.FirstName + " " + out.LastName)
	}
	for _, l := range r.Lists {
		out.Lists = append(out.Lists, fcContactRef{ID: int64(l.ID), Title: l.Title})
	}
	for _, t := range r.Tags {
		out.Tags = append(out.Tags, fcContactRef{ID: int64(t.ID), Title: t.Title})
	}
	return out
}

// fcPage is a Laravel page; FluentCRM wraps it in {"subscribers": ...},
// its documentation shows it bare.
type fcPage struct {
	CurrentPage flexInt        `json:"current_page"`
	LastPage    flexInt        `json:"last_page"`
	Total       flexInt        `json:"total"`
	Data        []fcContactRaw `json:"data"`
}

func (p *fcPage) UnmarshalJSON(b []byte) error {
	var wrapped struct {
		Subscribers *json.RawMessage `json:"subscribers"`
	}
	if err := json.Unmarshal(b, &wrapped); err != nil {
		return err
	}
	if wrapped.Subscribers != nil {
		b = *wrapped.Subscribers
	}
	type plain fcPage
	return json.Unmarshal(b, (*plain)(p))
}

func fcListContacts(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Limit  int    `json:"limit"`
		Cursor string `json:"cursor"`
		Search string `json:"search"`
		Status string `json:"status"`
		ListID int64  `json:"list_id"`
		TagID  int64  `json:"tag_id"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	pg, err := pageNumber(in.Cursor)
	if err != nil {
		return nil, err
	}
	if in.Limit == 0 {
		in.Limit = 20
	}
	q := url.Values{"page": {strconv.Itoa(pg)}, "per_page": {strconv.Itoa(in.Limit)}}
	if in.Search != "" {
		q.Set("search", in.Search)
	}
	if in.Status != "" {
		q.Set("statuses[]", in.Status)
	}
	if in.ListID > 0 {
		q.Set("lists[]", strconv.FormatInt(in.ListID, 10))
	}
	if in.TagID > 0 {
		q.Set("tags[]", strconv.FormatInt(in.TagID, 10))
	}
	var raw fcPage
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: "/subscribers", query: q}, &raw); err != nil {
		return nil, err
	}
	items := make([]fcContact, 0, len(raw.Data))
	for _, r := range raw.Data {
		items = append(items, r.normalise())
	}
	next := ""
	if raw.CurrentPage > 0 && raw.CurrentPage < raw.LastPage {
		next = strconv.FormatInt(int64(raw.CurrentPage)+1, 10)
	}
	return newListPage(items, next).withTotal(int64(raw.Total), true), nil
}

func fcGetContact(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		ID    int64  `json:"id"`
		Email string `json:"email"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	if in.ID == 0 { // find the id by email
		var found fcPage
		q := url.Values{"search": {in.Email}, "per_page": {"50"}}
		if _, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: "/subscribers", query: q}, &found); err != nil {
			return nil, err
		}
		for _, r := range found.Data {
			if strings.EqualFold(r.Email, in.Email) {
				in.ID = int64(r.ID)
				break
			}
		}
		if in.ID == 0 {
			return nil, hub.Errorf(hub.ENOTFOUND, "FluentCRM has no contact with the email %s.", in.Email)
		}
	}
	var raw struct {
		Subscriber *fcContactRaw `json:"subscriber"`
	}
	path := "/subscribers/" + strconv.FormatInt(in.ID, 10)
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: path}, &raw); err != nil {
		return nil, err
	}
	if raw.Subscriber == nil {
		return nil, hub.Errorf(hub.ENOTFOUND, "FluentCRM has no contact %d.", in.ID)
	}
	return raw.Subscriber.normalise(), nil
}

func fcCreateContact(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Email     string  `json:"email"`
		FirstName string  `json:"first_name,omitempty"`
		LastName  string  `json:"last_name,omitempty"`
		Phone     string  `json:"phone,omitempty"`
		Status    string  `json:"status"`
		Lists     []int64 `json:"lists,omitempty"`
		Tags      []int64 `json:"tags,omitempty"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	if in.Status == "" {
		in.Status = "subscribed"
	}
	var raw struct {
		Contact *fcContactRaw `json:"contact"`
	}
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodPost, path: "/subscribers", json: in}, &raw); err != nil {
		return nil, err
	}
	if raw.Contact == nil {
		return nil, upstreamError(c, http.StatusOK, "the answer has no contact")
	}
	return raw.Contact.normalise(), nil
}

func fcListLists(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var raw struct {
		Lists []struct {
			ID          flexInt `json:"id"`
			Title       string  `json:"title"`
			Slug        string  `json:"slug"`
			Description *string `json:"description"`
			IsPublic    any     `json:"is_public"`
			CreatedAt   any     `json:"created_at"`
		} `json:"lists"`
	}
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: "/lists"}, &raw); err != nil {
		return nil, err
	}
	type list struct {
		ID          int64  `json:"id"`
		Title       string `json:"title"`
		Slug        string `json:"slug"`
		Description string `json:"description"`
		IsPublic    bool   `json:"is_public"`
		CreatedAt   string `json:"created_at"`
	}
	items := make([]list, 0, len(raw.Lists))
	for _, l := range raw.Lists {
		pub := false
		switch v := l.IsPublic.(type) {
		case bool:
			pub = v
		case string:
			pub = v == "1" || v == "true"
		case float64:
			pub = v != 0
		}
		items = append(items, list{ID: int64(l.ID), Title: l.Title, Slug: l.Slug, Description: optString(l.Description),
			IsPublic: pub, CreatedAt: scalarString(l.CreatedAt)})
	}
	return newListPage(items, ""), nil
}

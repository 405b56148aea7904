package connectors

// Typed actions of HubSpot (CRM v3 objects API).

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	hub "github.com/bizoshub/bizos"
)

var (
	hsContactProps = []string{"email", "firstname", "lastname", "phone", "company", "jobtitle", "lifecyclestage", "createdate", "lastmodifieddate"}
	hsDealProps    = []string{"dealname", "amount", "dealstage", "pipeline", "closedate", "createdate", "hs_lastmodifieddate"}
	hsCompanyProps = []string{"name", "domain", "industry", "city", "country", "phone", "createdate", "hs_lastmodifieddate"}
)

func init() {
	propsProp := func(defaults []string) string {
		return `"properties":{"type":"array","items":{"type":"string","pattern":"^[a-z0-9_]{1,100}$"},"maxItems":50,"uniqueItems":true,` +
			`"description":"HubSpot property names to return (internal names, lowercase). Default: ` + strings.Join(defaults, ", ") + `."}`
	}
	listIn := func(defaults []string) json.RawMessage {
		return inputSchema(limitProp(20, 100) + "," + cursorProp + "," + propsProp(defaults))
	}
	register(
		&Action{
			Name: "hubspot.list_contacts", Provider: "hubspot", Title: "List HubSpot contacts",
			Description: "Lists contacts in the HubSpot CRM, oldest first, one page at a time. Each item has the contact id, " +
				"its properties (email, firstname, lastname... or the ones asked for) and creation and update times. " +
				"Use hubspot.search_contacts to find contacts by email or by last update.",
			Input:  listIn(hsContactProps),
			Output: listOutput(hsObjectSchema, false),
			Run: func(ctx context.Context, c *Call, in json.RawMessage) (any, error) {
				return hsList(ctx, c, "contacts", hsContactProps, in)
			},
		},
		&Action{
			Name: "hubspot.search_contacts", Provider: "hubspot", Title: "Search HubSpot contacts",
			Description: "Finds HubSpot contacts by exact email address, by last update time (contacts changed at or after updated_since, " +
				"oldest change first) and/or by free text in their default searchable properties (name, email, phone, company). " +
				"Give at least one of email, updated_since or query; several are combined with AND.",
			Input: objectSchema(`"email":{"type":"string","format":"email","pattern":"`+emailPattern+`","maxLength":254,"description":"Exact email address."},`+
				`"updated_since":{"type":"string","format":"date-time","description":"Only contacts modified at or after this time, RFC 3339 (e.g. 2025-01-31T00:00:00Z)."},`+
				`"query":{"type":"string","minLength":1,"maxLength":200,"description":"Free text to look for in names, emails, phone numbers and company names."},`+
				limitProp(20, 100)+","+cursorProp+","+propsProp(hsContactProps),
				nil, `"anyOf":[{"required":["email"]},{"required":["updated_since"]},{"required":["query"]}]`),
			Output: listOutput(hsObjectSchema, true),
			Run:    hsSearchContacts,
		},
		&Action{
			Name: "hubspot.get_contact", Provider: "hubspot", Title: "Get a HubSpot contact",
			Description: "Returns one HubSpot contact by its record id, with the properties asked for.",
			Input: inputSchema(`"id":{"type":"string","pattern":"^[0-9]{1,20}$","description":"The contact's record id (hs_object_id)."},`+
				propsProp(hsContactProps), "id"),
			Output: outputObject(hsObjectSchema),
			Run:    hsGetContact,
		},
		&Action{
			Name: "hubspot.create_contact", Provider: "hubspot", Title: "Create a HubSpot contact", Write: true,
			Description: "Creates a contact in the HubSpot CRM. Email is required; HubSpot refuses an email that already exists (upstream error, HTTP 409, naming the existing contact id). " +
				"Other HubSpot properties can be set through properties, by internal name.",
			Input: inputSchema(`"email":{"type":"string","format":"email","pattern":"`+emailPattern+`","maxLength":254,"description":"Email address (unique in HubSpot)."},`+
				`"firstname":{"type":"string","maxLength":200,"description":"First name."},`+
				`"lastname":{"type":"string","maxLength":200,"description":"Last name."},`+
				`"phone":{"type":"string","maxLength":50,"description":"Phone number."},`+
				`"company":{"type":"string","maxLength":200,"description":"Company name (text property, not an association)."},`+
				`"jobtitle":{"type":"string","maxLength":200,"description":"Job title."},`+
				`"lifecyclestage":{"type":"string","enum":["subscriber","lead","marketingqualifiedlead","salesqualifiedlead","opportunity","customer","evangelist","other"],"description":"Lifecycle stage."},`+
				`"properties":{"type":"object","maxProperties":50,"propertyNames":{"pattern":"^[a-z0-9_]{1,100}$"},"additionalProperties":{"type":"string","maxLength":65536},"description":"Other contact properties by internal name, as strings."}`,
				"email"),
			Output: outputObject(hsObjectSchema),
			Run:    hsCreateContact,
		},
		&Action{
			Name: "hubspot.list_deals", Provider: "hubspot", Title: "List HubSpot deals",
			Description: "Lists deals in the HubSpot CRM, one page at a time, with their name, amount, stage, pipeline and close date " +
				"(or the properties asked for).",
			Input:  listIn(hsDealProps),
			Output: listOutput(hsObjectSchema, false),
			Run: func(ctx context.Context, c *Call, in json.RawMessage) (any, error) {
				return hsList(ctx, c, "deals", hsDealProps, in)
			},
		},
		&Action{
			Name: "hubspot.list_companies", Provider: "hubspot", Title: "List HubSpot companies",
			Description: "Lists companies in the HubSpot CRM, one page at a time, with their name, domain, industry and location " +
				"(or the properties asked for).",
			Input:  listIn(hsCompanyProps),
			Output: listOutput(hsObjectSchema, false),
			Run: func(ctx context.Context, c *Call, in json.RawMessage) (any, error) {
				return hsList(ctx, c, "companies", hsCompanyProps, in)
			},
		},
	)
}

const hsObjectSchema = `{"type":"object","required":["id","properties"],"properties":{` +
	`"id":{"type":"string","description":"HubSpot record id."},` +
	`"properties":{"type":"object","additionalProperties":{"type":["string","null"]},"description":"Property values by internal name (HubSpot sends every value as a string)."},` +
	`"created_at":{"type":"string"},"updated_at":{"type":"string"},"archived":{"type":"boolean"}}}`

type hsObjectRaw struct {
	ID         string             `json:"id"`
	Properties map[string]*string `json:"properties"`
	CreatedAt  string             `json:"createdAt"`
	UpdatedAt  string             `json:"updatedAt"`
	Archived   bool               `json:"archived"`
}

type hsObject struct {
	ID         string             `json:"id"`
	Properties map[string]*string `json:"properties"`
	CreatedAt  string             `json:"created_at"`
	UpdatedAt  string             `json:"updated_at"`
	Archived   bool               `json:"archived"`
}

func (r hsObjectRaw) normalise() hsObject {
	if r.Properties == nil {
		r.Properties = map[string]*string{}
	}
	return hsObject{ID: r.ID, Properties: r.Properties, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Archived: r.Archived}
}

type hsListRaw struct {
	Total   *int64        `json:"total"`
	Results []hsObjectRaw `json:"results"`
	Paging  struct {
		Next struct {
			After string `json:"after"`
		} `json:"next"`
	} `json:"paging"`
}

func (r hsListRaw) page() listPage[hsObject] {
	items := make([]hsObject, 0, len(r.Results))
	for _, o := range r.Results {
		items = append(items, o.normalise())
	}
	p := newListPage(items, r.Paging.Next.After)
	if r.Total != nil {
		p = p.withTotal(*r.Total, true)
	}
	return p
}

func hsList(ctx context.Context, c *Call, objectType string, defaults []string, input json.RawMessage) (any, error) {
	var in struct {
		Limit      int      `json:"limit"`
		Cursor     string   `json:"cursor"`
		Properties []string `json:"properties"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	if in.Limit == 0 {
		in.Limit = 20
	}
	if len(in.Properties) == 0 {
		in.Properties = defaults
	}
	q := url.Values{"limit": {strconv.Itoa(in.Limit)}, "properties": {strings.Join(in.Properties, ",")}}
	if in.Cursor != "" {
		q.Set("after", in.Cursor)
	}
	var raw hsListRaw
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: "/crm/v3/objects/" + objectType, query: q}, &raw); err != nil {
		return nil, err
	}
	return raw.page(), nil
}

func hsSearchContacts(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Email        string   `json:"email"`
		UpdatedSince string   `json:"updated_since"`
		Query        string   `json:"query"`
		Limit        int      `json:"limit"`
		Cursor       string   `json:"cursor"`
		Properties   []string `json:"properties"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	if in.Limit == 0 {
		in.Limit = 20
	}
	if len(in.Properties) == 0 {
		in.Properties = hsContactProps
	}
	type filter struct {
		PropertyName string `json:"propertyName"`
		Operator     string `json:"operator"`
		Value        string `json:"value"`
	}
	var filters []filter
	if in.Email != "" {
		filters = append(filters, filter{"email", "EQ", strings.ToLower(in.Email)})
	}
	body := map[string]any{"limit": in.Limit, "properties": in.Properties}
	if in.UpdatedSince != "" {
		t, err := time.Parse(time.RFC3339, in.UpdatedSince)
		if err != nil {
			return nil, hub.InvalidField("updated_since", "is not an RFC 3339 time like 2025-01-31T00:00:00Z")
		}
		// Date-time filter values are epoch milliseconds.
		filters = append(filters, filter{"lastmodifieddate", "GTE", strconv.FormatInt(t.UnixMilli(), 10)})
		body["sorts"] = []map[string]string{{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}}
	}
	if len(filters) > 0 {
		body["filterGroups"] = []map[string]any{{"filters": filters}}
	}
	if in.Query != "" {
		body["query"] = in.Query
	}
	if in.Cursor != "" {
		body["after"] = in.Cursor
	}
	var raw hsListRaw
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodPost, path: "/crm/v3/objects/contacts/search", json: body}, &raw); err != nil {
		return nil, err
	}
	return raw.page(), nil
}

func hsGetContact(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		ID         string   `json:"id"`
		Properties []string `json:"properties"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	if len(in.Properties) == 0 {
		in.Properties = hsContactProps
	}
	var raw hsObjectRaw
	path := "/crm/v3/objects/contacts/" + url.PathEscape(in.ID)
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: path, query: url.Values{"properties": {strings.Join(in.Properties, ",")}}}, &raw); err != nil {
		return nil, err
	}
	return raw.normalise(), nil
}

func hsCreateContact(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Email          string            `json:"email"`
		FirstName      string            `json:"firstname"`
		LastName       string            `json:"lastname"`
		Phone          string            `json:"phone"`
		Company        string            `json:"company"`
		JobTitle       string            `json:"jobtitle"`
		LifecycleStage string            `json:"lifecyclestage"`
		Properties     map[string]string `json:"properties"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	props := map[string]string{}
	for k, v := range in.Properties {
		props[k] = v
	}
	for k, v := range map[string]string{"email": in.Email, "firstname": in.FirstName, "lastname": in.LastName, "phone": in.Phone,
		"company": in.Company, "jobtitle": in.JobTitle, "lifecyclestage": in.LifecycleStage} {
		if v != "" {
			props[k] = v
		}
	}
	var raw hsObjectRaw
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodPost, path: "/crm/v3/objects/contacts",
		json: map[string]any{"properties": props}}, &raw); err != nil {
		return nil, err
	}
	return raw.normalise(), nil
}

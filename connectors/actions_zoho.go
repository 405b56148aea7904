package connectors

// Typed actions of Zoho CRM (REST API v6).

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	hub "github.com/bizoshub/bizos"
)

var zohoContactFields = []string{"First_Name", "Last_Name", "Full_Name", "Email", "Phone", "Mobile", "Title",
	"Account_Name", "Lead_Source", "Created_Time", "Modified_Time"}

func init() {
	register(
		&Action{
			Name: "zoho-crm.list_contacts", Provider: "zoho-crm", Title: "List Zoho CRM contacts",
			Description: "Lists contacts of Zoho CRM, one page at a time. Each item is a Zoho record: its id plus the fields asked for, " +
				"keyed by Zoho field API name (Email, First_Name, Last_Name, Phone, Account_Name {id, name}, Modified_Time...).",
			Input: inputSchema(limitProp(50, 200) + "," + cursorProp + "," +
				`"fields":{"type":"array","items":{"type":"string","pattern":"^[A-Za-z0-9_]{1,100}$"},"minItems":1,"maxItems":50,"uniqueItems":true,` +
				`"description":"Field API names to return. Default: ` + strings.Join(zohoContactFields, ", ") + `."},` +
				`"sort_order":{"type":"string","enum":["asc","desc"],"default":"asc","description":"Order of the records (by id unless sort_by is given)."},` +
				`"sort_by":{"type":"string","enum":["id","Created_Time","Modified_Time"],"description":"Field to sort by."}`),
			Output: listOutput(zohoRecordSchema, false),
			Run:    zohoListContacts,
		},
		&Action{
			Name: "zoho-crm.search_contacts", Provider: "zoho-crm", Title: "Search Zoho CRM contacts by email",
			Description: "Finds Zoho CRM contacts whose email address is exactly the one given. Each item is the full Zoho record keyed by field API name.",
			Input: inputSchema(`"email":{"type":"string","format":"email","pattern":"`+emailPattern+`","maxLength":254,"description":"Email address to look for."},`+
				limitProp(50, 200)+","+cursorProp, "email"),
			Output: listOutput(zohoRecordSchema, false),
			Run:    zohoSearchContacts,
		},
		&Action{
			Name: "zoho-crm.create_contact", Provider: "zoho-crm", Title: "Create a Zoho CRM contact", Write: true,
			Description: "Creates a contact in Zoho CRM. Last name is required by Zoho. Other Zoho fields can be set through fields, " +
				"keyed by field API name. Returns the new record's id and times.",
			Input: inputSchema(`"last_name":{"type":"string","minLength":1,"maxLength":80,"description":"Last name (required by Zoho)."},`+
				`"first_name":{"type":"string","maxLength":40,"description":"First name."},`+
				`"email":{"type":"string","format":"email","pattern":"`+emailPattern+`","maxLength":100,"description":"Email address."},`+
				`"phone":{"type":"string","maxLength":30,"description":"Phone number."},`+
				`"mobile":{"type":"string","maxLength":30,"description":"Mobile number."},`+
				`"title":{"type":"string","maxLength":100,"description":"Job title."},`+
				`"lead_source":{"type":"string","maxLength":100,"description":"Lead source, one of the picklist values of the CRM (e.g. Web Download, Cold Call)."},`+
				`"description":{"type":"string","maxLength":32000,"description":"Free-text description."},`+
				`"fields":{"type":"object","maxProperties":50,"propertyNames":{"pattern":"^[A-Za-z0-9_]{1,100}$"},"description":"Other fields by Zoho field API name, e.g. {\"Mailing_City\": \"Paris\"}."}`,
				"last_name"),
			Output: outputObject(`{"type":"object","required":["id"],"properties":{` +
				`"id":{"type":"string","description":"The new record id."},"created_time":{"type":"string"},"modified_time":{"type":"string"}}}`),
			Run: zohoCreateContact,
		},
	)
}

const zohoRecordSchema = `{"type":"object","required":["id"],"properties":{"id":{"type":"string","description":"Zoho record id."}},` +
	`"additionalProperties":true,"description":"A Zoho record keyed by field API name."}`

type zohoListRaw struct {
	Data []map[string]any `json:"data"`
	Info struct {
		Page          int    `json:"page"`
		MoreRecords   bool   `json:"more_records"`
		NextPageToken string `json:"next_page_token"`
	} `json:"info"`
}

// zohoPaging puts a cursor in q: a page number, or "pt:<token>" beyond
// 2,000 records where Zoho pages with page_token.
func zohoPaging(q url.Values, cursor string) (int, error) {
	if tok, ok := strings.CutPrefix(cursor, "pt:"); ok && tok != "" {
		q.Set("page_token", tok)
		return 0, nil
	}
	pg, err := pageNumber(cursor)
	if err != nil {
		return 0, err
	}
	q.Set("page", strconv.Itoa(pg))
	return pg, nil
}

func (r zohoListRaw) page(pg int) listPage[map[string]any] {
	next := ""
	switch {
	case !r.Info.MoreRecords:
	case r.Info.NextPageToken != "":
		next = "pt:" + r.Info.NextPageToken
	case pg > 0:
		next = strconv.Itoa(pg + 1)
	}
	for _, rec := range r.Data {
		if id, ok := rec["id"].(float64); ok { // ids are strings in v6; keep them so
			rec["id"] = strconv.FormatFloat(id, 'f', -1, 64)
		}
	}
	return newListPage(r.Data, next)
}

func zohoListContacts(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Limit     int      `json:"limit"`
		Cursor    string   `json:"cursor"`
		Fields    []string `json:"fields"`
		SortOrder string   `json:"sort_order"`
		SortBy    string   `json:"sort_by"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	if in.Limit == 0 {
		in.Limit = 50
	}
	if len(in.Fields) == 0 {
		in.Fields = zohoContactFields
	}
	q := url.Values{"per_page": {strconv.Itoa(in.Limit)}, "fields": {strings.Join(in.Fields, ",")}}
	pg, err := zohoPaging(q, in.Cursor)
	if err != nil {
		return nil, err
	}
	if in.SortOrder != "" {
		q.Set("sort_order", in.SortOrder)
	}
	if in.SortBy != "" {
		q.Set("sort_by", in.SortBy)
	}
	var raw zohoListRaw // a 204 (no records) leaves it empty
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: "/Contacts", query: q}, &raw); err != nil {
		return nil, err
	}
	return raw.page(pg), nil
}

func zohoSearchContacts(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Email  string `json:"email"`
		Limit  int    `json:"limit"`
		Cursor string `json:"cursor"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	if in.Limit == 0 {
		in.Limit = 50
	}
	q := url.Values{"email": {in.Email}, "per_page": {strconv.Itoa(in.Limit)}}
	pg, err := zohoPaging(q, in.Cursor)
	if err != nil {
		return nil, err
	}
	var raw zohoListRaw // a 204 (no match) leaves it empty
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: "/Contacts/search", query: q}, &raw); err != nil {
		return nil, err
	}
	return raw.page(pg), nil
}

func zohoCreateContact(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		LastName    string         `json:"last_name"`
		FirstName   string         `json:"first_name"`
		Email       string         `json:"email"`
		Phone       string         `json:"phone"`
		Mobile      string         `json:"mobile"`
		Title       string         `json:"title"`
		LeadSource  string         `json:"lead_source"`
		Description string         `json:"description"`
		Fields      map[string]any `json:"fields"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	rec := map[string]any{}
	for k, v := range in.Fields {
		rec[k] = v
	}
	for k, v := range map[string]string{"Last_Name": in.LastName, "First_Name": in.FirstName, "Email": in.Email, "Phone": in.Phone,
		"Mobile": in.Mobile, "Title": in.Title, "Lead_Source": in.LeadSource, "Description": in.Description} {
		if v != "" {
			rec[k] = v
		}
	}
	var raw struct {
		Data []struct {
			Code    string `json:"code"`
			Status  string `json:"status"`
			Message string `json:"message"`
			Details struct {
				ID           flexString `json:"id"`
				CreatedTime  string     `json:"Created_Time"`
				ModifiedTime string     `json:"Modified_Time"`
				APIName      string     `json:"api_name"`
			} `json:"details"`
		} `json:"data"`
	}
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodPost, path: "/Contacts", json: map[string]any{"data": []any{rec}}}, &raw); err != nil {
		return nil, err
	}
	if len(raw.Data) == 0 {
		return nil, upstreamError(c, http.StatusOK, "the answer has no record")
	}
	d := raw.Data[0]
	if d.Status != "success" {
		msg := d.Code + ": " + d.Message
		if d.Details.APIName != "" {
			msg += " (" + d.Details.APIName + ")"
		}
		return nil, &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusBadRequest, Message: "Zoho CRM refused the contact: " + msg}
	}
	return map[string]string{"id": string(d.Details.ID), "created_time": d.Details.CreatedTime, "modified_time": d.Details.ModifiedTime}, nil
}

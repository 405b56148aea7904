package connectors

// Helpers shared by the typed actions of actions_<provider>.go: input
// decoding, platform calls with a chosen body encoding, list pages, lenient
// JSON scalars and pieces of JSON Schema.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	hub "github.com/bizoshub/bizos"
)

// decodeInput reads an action's validated input into v.
func decodeInput(input json.RawMessage, v any) error {
	if len(bytes.TrimSpace(input)) == 0 {
		input = json.RawMessage("{}")
	}
	if err := json.Unmarshal(input, v); err != nil {
		return hub.InvalidField("input", "does not fit the action's input: "+err.Error())
	}
	return nil
}

// apiRequest is one platform call made by an action. Path is relative to the
// provider's API base URL; every segment that comes from input must be
// escaped with url.PathEscape.
type apiRequest struct {
	method string
	path   string
	query  url.Values
	header http.Header
	json   any        // body sent as JSON, when not nil
	form   url.Values // body sent as application/x-www-form-urlencoded, when not nil
}

// callAPI sends r through the connection (credentials, refresh and retries
// as Service.Do does them) and decodes a JSON answer into out when out is
// not nil; an empty answer (204) leaves out untouched. It returns the
// answer's headers. Answers of 400 and above are EUPSTREAM errors carrying
// the platform's status and reason, like Call.JSON.
func callAPI(ctx context.Context, c *Call, r apiRequest, out any) (http.Header, error) {
	header := r.header.Clone()
	if header == nil {
		header = http.Header{}
	}
	var body io.Reader // stays a nil interface when there is no body
	switch {
	case r.form != nil:
		body = strings.NewReader(r.form.Encode())
		header.Set("Content-Type", "application/x-www-form-urlencoded")
	case r.json != nil:
		raw, err := json.Marshal(r.json)
		if err != nil {
			return nil, fmt.Errorf("connectors: encode request: %w", err)
		}
		body = bytes.NewReader(raw)
		if header.Get("Content-Type") == "" {
			header.Set("Content-Type", "application/json")
		}
	}
	resp, err := c.svc.Do(ctx, c.conn, r.method, r.path, r.query, body, header)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	name := providerName(c)
	if resp.StatusCode >= 400 {
		return resp.Header, &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: resp.StatusCode,
			Message: fmt.Sprintf("%s answered HTTP %d: %s", name, resp.StatusCode, upstreamReason(resp))}
	}
	if out == nil {
		return resp.Header, nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(out); err != nil && err != io.EOF {
		return resp.Header, &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusBadGateway,
			Message: fmt.Sprintf("%s answered something that is not the expected JSON.", name), Err: err}
	}
	return resp.Header, nil
}

// providerName is the display name of the call's provider.
func providerName(c *Call) string {
	if p, ok := c.svc.cfg.Catalog.Provider(c.conn.Provider); ok {
		return p.Name
	}
	return c.conn.Provider
}

// upstreamError is an EUPSTREAM error for a failure the platform reported in
// an otherwise successful answer (GraphQL errors, Slack's ok:false).
func upstreamError(c *Call, status int, format string, args ...any) error {
	return &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: status,
		Message: providerName(c) + " refused the call: " + fmt.Sprintf(format, args...)}
}

// page is the answer of every list action: the items of one page and an
// opaque cursor for the next page, null on the last one.
type listPage[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
	Total      *int64  `json:"total,omitempty"`
}

func newListPage[T any](items []T, next string) listPage[T] {
	if items == nil {
		items = []T{}
	}
	p := listPage[T]{Items: items}
	if next != "" {
		p.NextCursor = &next
	}
	return p
}

// withTotal sets the total number of matching items when the platform tells it.
func (p listPage[T]) withTotal(n int64, known bool) listPage[T] {
	if known {
		p.Total = &n
	}
	return p
}

// pageNumber reads a page-number cursor ("" is page 1).
func pageNumber(cursor string) (int, error) {
	if cursor == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(cursor)
	if err != nil || n < 1 {
		return 0, hub.InvalidField("cursor", "is not a cursor this action gave out")
	}
	return n, nil
}

// offsetNumber reads an offset cursor ("" is offset 0).
func offsetNumber(cursor string) (int, error) {
	if cursor == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(cursor)
	if err != nil || n < 0 {
		return 0, hub.InvalidField("cursor", "is not a cursor this action gave out")
	}
	return n, nil
}

// headerInt reads an integer response header such as X-WP-Total.
func headerInt(h http.Header, name string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(h.Get(name)), 10, 64)
	return n, err == nil
}

// flexInt is an integer the platform may send as a number or as a string
// (FluentCRM, WooCommerce, Google APIs' int64); null and "" read as 0.
type flexInt int64

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*f = flexInt(n)
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("not an integer: %s", b)
	}
	*f = flexInt(v)
	return nil
}

// flexFloat is a number the platform may send as a number or as a string
// (Meta insights, GA4 metric values); null and "" read as 0.
type flexFloat float64

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexFloat) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("not a number: %s", b)
	}
	*f = flexFloat(v)
	return nil
}

// flexString is a scalar the platform may send as a string or a number
// (ids); null reads as "".
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = ""
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("not a string or number: %s", b)
	}
	*f = flexString(n.String())
	return nil
}

// optString reads an optional string.
func optString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// scalarString returns v when it is a string, else "".
func scalarString(v any) string {
	s, _ := v.(string)
	return s
}

// parseDay reads a YYYY-MM-DD date of the input field name.
func parseDay(field, v string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, hub.InvalidField(field, "is not a date like 2024-01-31")
	}
	return t, nil
}

// dayRange resolves an input date range: the last `days` days ending
// yesterday (today's data is incomplete), or start..end. It checks order.
func dayRange(now time.Time, days int, start, end string) (time.Time, time.Time, error) {
	if start != "" || end != "" {
		s, err := parseDay("start_date", start)
		if err != nil {
			return s, s, err
		}
		e, err := parseDay("end_date", end)
		if err != nil {
			return s, e, err
		}
		if e.Before(s) {
			return s, e, hub.InvalidField("end_date", "is before start_date")
		}
		return s, e, nil
	}
	y, m, d := now.UTC().Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return today.AddDate(0, 0, -days), today.AddDate(0, 0, -1), nil
}

// ---- JSON Schema pieces ----

// Patterns checked by the schemas themselves: the schema compiler treats
// "format" as an annotation (draft 2020-12), so values that reach a platform
// URL or query carry a pattern too.
const (
	datePattern  = `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`
	emailPattern = `^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$`
)

// objectSchema is a closed object schema. props is the JSON text of the
// members of "properties"; extra, when not empty, is more members of the
// schema object itself (e.g. "anyOf").
func objectSchema(props string, required []string, extra string) json.RawMessage {
	req, _ := json.Marshal(required)
	if required == nil {
		req = []byte("[]")
	}
	s := `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","additionalProperties":false,` +
		`"properties":{` + props + `},"required":` + string(req)
	if extra != "" {
		s += "," + extra
	}
	return json.RawMessage(s + "}")
}

// inputSchema is objectSchema without extra keywords.
func inputSchema(props string, required ...string) json.RawMessage {
	return objectSchema(props, required, "")
}

// listOutput is the output schema of a list action whose items follow item.
func listOutput(item string, withTotal bool) json.RawMessage {
	props := `"items":{"type":"array","items":` + item + `},` +
		`"next_cursor":{"type":["string","null"],"description":"Pass as cursor to get the next page; null on the last page."}`
	if withTotal {
		props += `,"total":{"type":"integer","description":"How many items match in all pages, when the platform tells."}`
	}
	return json.RawMessage(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",` +
		`"properties":{` + props + `},"required":["items","next_cursor"]}`)
}

// outputObject is the output schema of an action that answers one object.
func outputObject(item string) json.RawMessage {
	return json.RawMessage(`{"$schema":"https://json-schema.org/draft/2020-12/schema",` + strings.TrimPrefix(item, "{"))
}

// limitProp is the "limit" input property.
func limitProp(def, max int) string {
	return fmt.Sprintf(`"limit":{"type":"integer","minimum":1,"maximum":%d,"default":%d,"description":"How many items to return in this page (1-%d, default %d)."}`, max, def, max, def)
}

// cursorProp is the "cursor" input property of list actions.
const cursorProp = `"cursor":{"type":"string","minLength":1,"maxLength":4096,"description":"The next_cursor of the previous answer, to get the next page. Leave out for the first page."}`

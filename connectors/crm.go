package connectors

// The unified CRM view: contacts, companies and deals of every HubSpot, Zoho
// CRM and FluentCRM connection of a tenant, read live from the platforms and
// never stored by the hub.
//
// Decisions:
//
//   - Sources. A listing reads every connection of the tenant whose status
//     is connected and whose platform has the kind (FluentCRM has contacts
//     and companies but no deals), at most 100 of them (newest first), or
//     only CRMQuery.ConnectionID. Sources are read concurrently; a source
//     that fails is reported in CRMPage.Errors while the others answer. When
//     every source read for a page fails, the first failure is returned
//     instead of a page.
//   - Limit. The page limit (default 50, at most 200) is split evenly across
//     the sources still being read; the first sources (in cursor order) get
//     the remainder. A source that runs out early leaves its share unused, so
//     a page may hold fewer items than the limit while next_cursor still
//     continues the others; next_cursor is "" only when every source is done.
//   - Order. Each source is read in its platform's stable order (record id
//     order where the platform lets us ask for it), so offsets and platform
//     cursors stay valid between pages. Within one page the items are sorted
//     by updated_at, newest first (records without a time last), then by id.
//     There is no global order across pages.
//   - Cursor. next_cursor is base64url JSON holding, per source still being
//     read, the connection id and that platform's own position: HubSpot's
//     "after" cursor, or for the page-numbered platforms (Zoho CRM,
//     FluentCRM) the number of platform records consumed. It is bound to the
//     kind and filters it was made for. Connections are looked up again for
//     the tenant on every page, so a cursor never reaches another tenant's
//     connection. A source that failed for a transient reason (rate limit,
//     platform error, unreachable) keeps its position and is retried on the
//     next page, up to three pages in a row; other failures drop it from the
//     listing.
//   - Filters. Email (contacts only) uses each platform's search: HubSpot
//     POST /crm/v3/objects/contacts/search with an EQ filter on email, Zoho
//     GET /Contacts/search?email=, FluentCRM GET /subscribers?search= plus an
//     exact match on the answer. UpdatedSince keeps records updated at or
//     after the time: HubSpot searches with GTE on lastmodifieddate
//     (contacts) or hs_lastmodifieddate (companies, deals) in epoch
//     milliseconds; Zoho lists with If-Modified-Since one second earlier
//     (Zoho compares strictly and to the second) and Modified_Time is checked
//     again on our side (the only check with an e-mail search, which takes
//     no such header); FluentCRM has no such filter, so its updated_at is
//     compared on our side, reading further pages (a bounded number per
//     request).
//   - FluentCRM times carry no zone (they are in the site's time zone); they
//     are read as UTC. Its companies (FluentCRM 2.8+) are mapped; a site
//     without the companies API (HTTP 404) has no companies.
//   - URL: Zoho CRM records link to crm.<data centre>/crm/tab/<module>/<id>,
//     FluentCRM records to the plugin's admin screen on the site; HubSpot
//     links need the portal id, which connections do not hold, so HubSpot
//     records have none.
//   - Zoho's page numbers reach its first 2,000 records per module; beyond
//     that Zoho needs page tokens, which this view does not follow yet.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	hub "github.com/bizoshub/bizos"
)

// CRM record kinds.
const (
	CRMContacts  = "contacts"
	CRMCompanies = "companies"
	CRMDeals     = "deals"
)

// CRMRecord is one contact, company or deal in the hub's unified schema.
type CRMRecord struct {
	// ID is "<connection_id>:<platform id>", unique across connections.
	ID           string `json:"id"`
	ConnectionID string `json:"connection_id"`
	Provider     string `json:"provider"`
	PlatformID   string `json:"platform_id"`
	Kind         string `json:"kind"`
	// Name is the full name of a contact, a company's name or a deal's name.
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	// Company is a contact's or deal's company name.
	Company string `json:"company,omitempty"`
	// Domain is a company's web domain.
	Domain string `json:"domain,omitempty"`
	// Amount, Currency and Stage describe deals.
	Amount    *float64   `json:"amount,omitempty"`
	Currency  string     `json:"currency,omitempty"`
	Stage     string     `json:"stage,omitempty"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
	// URL links to the record in the platform's own interface, where known.
	URL string `json:"url,omitempty"`
}

// CRMQuery filters a unified list.
type CRMQuery struct {
	// Email keeps the contacts with this e-mail address (contacts only).
	Email string
	// UpdatedSince keeps the records updated at or after this time.
	UpdatedSince time.Time
	// ConnectionID reads only this connection.
	ConnectionID string
	// Cursor continues a listing (the NextCursor of its previous page).
	Cursor string
	// Limit bounds the page (default 50, at most 200).
	Limit int
}

// CRMPage is one page of the unified list.
type CRMPage struct {
	Items      []CRMRecord `json:"items"`
	NextCursor string      `json:"next_cursor"`
	// Errors lists the connections that could not be read for this page.
	Errors []CRMSourceError `json:"errors,omitempty"`
}

// CRMSourceError reports a connection that could not be read (the others
// still answer).
type CRMSourceError struct {
	ConnectionID string `json:"connection_id"`
	Provider     string `json:"provider"`
	// Code is the hub error code (upstream_error, unauthorized, ...).
	Code    string `json:"code"`
	Message string `json:"message"`
}

const (
	crmDefaultLimit = 50
	crmMaxLimit     = 200
	// crmMaxSources bounds the connections one listing reads.
	crmMaxSources = 100
	// crmMaxCalls bounds the platform requests per source per page.
	crmMaxCalls = 4
	// crmMaxFails is how many pages in a row a source may fail transiently
	// before it is dropped from the listing.
	crmMaxFails = 3
)

// crmKinds says which kinds each CRM platform has.
var crmKinds = map[string]map[string]bool{
	"hubspot":   {CRMContacts: true, CRMCompanies: true, CRMDeals: true},
	"zoho-crm":  {CRMContacts: true, CRMCompanies: true, CRMDeals: true},
	"fluentcrm": {CRMContacts: true, CRMCompanies: true},
}

// crmPosition is one source's place in a listing.
type crmPosition struct {
	ConnectionID string `json:"c"`
	After        string `json:"a,omitempty"` // HubSpot's paging.next.after
	Offset       int    `json:"o,omitempty"` // platform records consumed (page-numbered platforms)
	Fails        int    `json:"f,omitempty"` // transient failures in a row
}

// crmCursor is the decoded next_cursor.
type crmCursor struct {
	Version int           `json:"v"`
	Kind    string        `json:"k"`
	Filter  string        `json:"q"`
	Sources []crmPosition `json:"s"`
}

// crmFilter fingerprints what a cursor was made for.
func crmFilter(kind string, q CRMQuery) string {
	since := ""
	if !q.UpdatedSince.IsZero() {
		since = q.UpdatedSince.UTC().Format(time.RFC3339Nano)
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{kind, q.Email, since, q.ConnectionID}, "\x00")))
	return hex.EncodeToString(sum[:8])
}

func encodeCRMCursor(c crmCursor) string {
	raw, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeCRMCursor(s, kind, filter string) (*crmCursor, error) {
	bad := hub.InvalidField("cursor", "is not a cursor of this listing; start again without one")
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil || len(raw) > 64<<10 {
		return nil, bad
	}
	var c crmCursor
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.Version != 1 || c.Kind != kind || c.Filter != filter ||
		len(c.Sources) == 0 || len(c.Sources) > crmMaxSources {
		return nil, bad
	}
	seen := map[string]bool{}
	for _, p := range c.Sources {
		if p.ConnectionID == "" || seen[p.ConnectionID] || p.Offset < 0 || p.Fails < 0 || p.Fails >= crmMaxFails {
			return nil, bad
		}
		seen[p.ConnectionID] = true
	}
	return &c, nil
}

// crmSource is a connection being read for one page.
type crmSource struct {
	conn  *hub.Connection
	pos   crmPosition
	share int

	items []CRMRecord
	next  crmPosition
	done  bool
	err   error
}

// CRMList lists one kind of CRM record (CRMContacts, CRMCompanies or
// CRMDeals) across the tenant's connected HubSpot, Zoho CRM and FluentCRM
// connections, read live from the platforms. See the comment at the top of
// crm.go for the order, the limit split and the cursor.
func (s *Service) CRMList(ctx context.Context, tenantID, kind string, q CRMQuery) (*CRMPage, error) {
	switch kind {
	case CRMContacts, CRMCompanies, CRMDeals:
	default:
		return nil, hub.InvalidField("kind", fmt.Sprintf("%q is not a CRM record kind (want contacts, companies or deals)", kind))
	}
	if q.Email != "" {
		email, err := crmEmail(q.Email)
		if err != nil {
			return nil, err
		}
		if kind != CRMContacts {
			return nil, hub.InvalidField("email", "filters contacts only")
		}
		q.Email = email
	}
	if q.Limit <= 0 {
		q.Limit = crmDefaultLimit
	}
	q.Limit = min(q.Limit, crmMaxLimit)
	filter := crmFilter(kind, q)

	var positions []crmPosition
	conns := map[string]*hub.Connection{}
	var pageErrs []CRMSourceError
	if q.Cursor != "" {
		cur, err := decodeCRMCursor(q.Cursor, kind, filter)
		if err != nil {
			return nil, err
		}
		var firstErr error
		for _, p := range cur.Sources {
			conn, err := s.cfg.Store.Connection(ctx, tenantID, p.ConnectionID)
			if hub.ErrorCode(err) == hub.ENOTFOUND {
				// Deleted since the previous page (or never the tenant's).
				pageErrs = append(pageErrs, CRMSourceError{ConnectionID: p.ConnectionID, Code: hub.ENOTFOUND,
					Message: "The connection no longer exists."})
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			if err != nil {
				return nil, err
			}
			if !crmKinds[conn.Provider][kind] {
				return nil, hub.InvalidField("cursor", "is not a cursor of this listing; start again without one")
			}
			conns[conn.ID] = conn
			positions = append(positions, p)
		}
		if len(positions) == 0 {
			return nil, firstErr
		}
	} else {
		list, err := s.crmConnections(ctx, tenantID, kind, q.ConnectionID)
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			conns[c.ID] = c
			positions = append(positions, crmPosition{ConnectionID: c.ID})
		}
	}

	// Split the limit: the first sources take the remainder.
	sources := make([]*crmSource, len(positions))
	n := len(positions)
	for i, p := range positions {
		share := 0
		if n > 0 {
			share = q.Limit / n
			if i < q.Limit%n {
				share++
			}
		}
		sources[i] = &crmSource{conn: conns[p.ConnectionID], pos: p, share: share, next: p}
	}

	var wg sync.WaitGroup
	for _, src := range sources {
		if src.share == 0 {
			continue
		}
		wg.Add(1)
		go func(src *crmSource) {
			defer wg.Done()
			src.items, src.next, src.done, src.err = s.crmRead(ctx, src.conn, kind, q, src.pos, src.share)
		}(src)
	}
	wg.Wait()

	page := &CRMPage{Items: []CRMRecord{}, Errors: pageErrs}
	var keep []crmPosition
	var firstErr error
	read, failed := 0, 0
	for _, src := range sources {
		switch {
		case src.share == 0:
			keep = append(keep, src.pos)
		case src.err != nil:
			read++
			failed++
			if firstErr == nil {
				firstErr = src.err
			}
			s.cfg.Log.WarnContext(ctx, "crm source failed", "provider", src.conn.Provider, "connection_id", src.conn.ID, "kind", kind, "err", src.err)
			page.Errors = append(page.Errors, CRMSourceError{ConnectionID: src.conn.ID, Provider: src.conn.Provider,
				Code: hub.ErrorCode(src.err), Message: hub.ErrorMessage(src.err)})
			if crmTransient(src.err) && src.pos.Fails+1 < crmMaxFails {
				p := src.pos
				p.Fails++
				keep = append(keep, p)
			}
		default:
			read++
			page.Items = append(page.Items, src.items...)
			if !src.done {
				p := src.next
				p.ConnectionID, p.Fails = src.conn.ID, 0
				keep = append(keep, p)
			}
		}
	}
	if read > 0 && failed == read {
		return nil, firstErr
	}
	sort.SliceStable(page.Items, func(i, j int) bool {
		a, b := page.Items[i].UpdatedAt, page.Items[j].UpdatedAt
		switch {
		case a != nil && b != nil && !a.Equal(*b):
			return a.After(*b)
		case a != nil && b == nil:
			return true
		case a == nil && b != nil:
			return false
		}
		return page.Items[i].ID < page.Items[j].ID
	})
	if len(keep) > 0 {
		page.NextCursor = encodeCRMCursor(crmCursor{Version: 1, Kind: kind, Filter: filter, Sources: keep})
	}
	return page, nil
}

// crmEmail checks and normalises an e-mail filter.
func crmEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s || len(s) > 254 || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return "", hub.InvalidField("email", "is not an e-mail address")
	}
	return strings.ToLower(s), nil
}

// crmTransient reports whether a source's failure may pass by itself.
func crmTransient(err error) bool {
	var he *hub.Error
	if !asHubError(err, &he) {
		return false
	}
	switch he.Code {
	case hub.EUNAVAILABLE, hub.ERATELIMITED:
		return true
	case hub.EUPSTREAM:
		return he.UpstreamStatus == 0 || he.UpstreamStatus == http.StatusTooManyRequests || he.UpstreamStatus >= 500
	}
	return false
}

// crmConnections returns the connections a first page reads, in the store's
// order (newest first).
func (s *Service) crmConnections(ctx context.Context, tenantID, kind, only string) ([]*hub.Connection, error) {
	if only != "" {
		conn, err := s.cfg.Store.Connection(ctx, tenantID, only)
		if err != nil {
			return nil, err
		}
		kinds, ok := crmKinds[conn.Provider]
		if !ok {
			return nil, hub.InvalidField("connection_id", fmt.Sprintf("is a %s connection; the CRM view reads HubSpot, Zoho CRM and FluentCRM", conn.Provider))
		}
		if !kinds[kind] {
			return nil, hub.InvalidField("kind", fmt.Sprintf("%s has no %s", s.providerName(conn.Provider), kind))
		}
		return []*hub.Connection{conn}, nil
	}
	var out []*hub.Connection
	page := hub.Page{Limit: hub.MaxPageLimit}
	for {
		list, next, err := s.cfg.Store.ListConnections(ctx, tenantID, page)
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			if c.Status == hub.ConnectionConnected && crmKinds[c.Provider][kind] && len(out) < crmMaxSources {
				out = append(out, c)
			}
		}
		if next == "" || next == page.Cursor {
			return out, nil
		}
		page.Cursor = next
	}
}

func (s *Service) providerName(id string) string {
	if p, ok := s.cfg.Catalog.Provider(id); ok {
		return p.Name
	}
	return id
}

// crmRead reads up to share records of one source from pos.
func (s *Service) crmRead(ctx context.Context, conn *hub.Connection, kind string, q CRMQuery, pos crmPosition, share int) ([]CRMRecord, crmPosition, bool, error) {
	switch conn.Provider {
	case "hubspot":
		return s.crmHubSpot(ctx, conn, kind, q, pos, share)
	case "zoho-crm":
		return s.crmZoho(ctx, conn, kind, q, pos, share)
	case "fluentcrm":
		return s.crmFluent(ctx, conn, kind, q, pos, share)
	}
	return nil, pos, true, hub.Errorf(hub.EINVALID, "%s is not a CRM.", conn.Provider)
}

// crmJSON calls the platform and decodes its JSON answer into out, keeping
// numbers as json.Number. Answers of 400 and above are EUPSTREAM errors;
// 204 and 304 (no body) leave out as it is. It returns the status.
func (s *Service) crmJSON(ctx context.Context, conn *hub.Connection, method, path string, query url.Values, header http.Header, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, fmt.Errorf("connectors: encode request: %w", err)
		}
		rd = bytes.NewReader(raw)
	}
	resp, err := s.Do(ctx, conn, method, path, query, rd, header)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	name := s.providerName(conn.Provider)
	if resp.StatusCode >= 400 {
		return resp.StatusCode, &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: resp.StatusCode,
			Message: fmt.Sprintf("%s answered HTTP %d: %s", name, resp.StatusCode, upstreamReason(resp))}
	}
	if resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified {
		return resp.StatusCode, nil
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, 32<<20))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil && err != io.EOF {
		return resp.StatusCode, &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusBadGateway,
			Message: fmt.Sprintf("%s answered something that is not the expected JSON.", name), Err: err}
	}
	return resp.StatusCode, nil
}

// ---- HubSpot ----

var hubspotCRM = map[string]struct {
	modified string
	props    []string
}{
	CRMContacts:  {"lastmodifieddate", []string{"firstname", "lastname", "email", "phone", "company", "createdate", "lastmodifieddate"}},
	CRMCompanies: {"hs_lastmodifieddate", []string{"name", "domain", "phone", "createdate", "hs_lastmodifieddate"}},
	CRMDeals:     {"hs_lastmodifieddate", []string{"dealname", "amount", "deal_currency_code", "dealstage", "closedate", "createdate", "hs_lastmodifieddate"}},
}

type hubspotObject struct {
	ID         string         `json:"id"`
	Properties map[string]any `json:"properties"`
	CreatedAt  string         `json:"createdAt"`
	UpdatedAt  string         `json:"updatedAt"`
}

type hubspotPage struct {
	Results []hubspotObject `json:"results"`
	Paging  struct {
		Next struct {
			After string `json:"after"`
		} `json:"next"`
	} `json:"paging"`
}

// crmHubSpot reads with the list endpoint, or with search when filtering
// (sorted by hs_object_id so its offsets stay stable). HubSpot's "after"
// continues where the previous request stopped.
func (s *Service) crmHubSpot(ctx context.Context, conn *hub.Connection, kind string, q CRMQuery, pos crmPosition, share int) ([]CRMRecord, crmPosition, bool, error) {
	spec := hubspotCRM[kind]
	search := q.Email != "" || !q.UpdatedSince.IsZero()
	var filters []map[string]any
	if q.Email != "" {
		filters = append(filters, map[string]any{"propertyName": "email", "operator": "EQ", "value": q.Email})
	}
	if !q.UpdatedSince.IsZero() {
		filters = append(filters, map[string]any{"propertyName": spec.modified, "operator": "GTE",
			"value": strconv.FormatInt(q.UpdatedSince.UnixMilli(), 10)})
	}
	var out []CRMRecord
	after := pos.After
	for calls := 0; len(out) < share && calls < crmMaxCalls; calls++ {
		var page hubspotPage
		var err error
		if search {
			body := map[string]any{
				"filterGroups": []any{map[string]any{"filters": filters}},
				"sorts":        []any{map[string]any{"propertyName": "hs_object_id", "direction": "ASCENDING"}},
				"properties":   spec.props,
				"limit":        min(share-len(out), 200),
			}
			if after != "" {
				body["after"] = after
			}
			_, err = s.crmJSON(ctx, conn, http.MethodPost, "/crm/v3/objects/"+kind+"/search", nil, nil, body, &page)
		} else {
			query := url.Values{"limit": {strconv.Itoa(min(share-len(out), 100))}, "properties": {strings.Join(spec.props, ",")}}
			if after != "" {
				query.Set("after", after)
			}
			_, err = s.crmJSON(ctx, conn, http.MethodGet, "/crm/v3/objects/"+kind, query, nil, nil, &page)
		}
		if err != nil {
			return nil, pos, false, err
		}
		for _, o := range page.Results {
			out = append(out, hubspotRecord(conn, kind, o))
		}
		after = page.Paging.Next.After
		if after == "" {
			return out, crmPosition{}, true, nil
		}
	}
	return out, crmPosition{After: after}, false, nil
}

func hubspotRecord(conn *hub.Connection, kind string, o hubspotObject) CRMRecord {
	p := func(name string) string { return strings.TrimSpace(crmString(o.Properties[name])) }
	r := crmBase(conn, kind, o.ID)
	r.CreatedAt = crmTime(o.CreatedAt, p("createdate"))
	r.UpdatedAt = crmTime(o.UpdatedAt, p(hubspotCRM[kind].modified))
	switch kind {
	case CRMContacts:
		r.Name = crmJoin(p("firstname"), p("lastname"))
		r.Email, r.Phone, r.Company = p("email"), p("phone"), p("company")
	case CRMCompanies:
		r.Name, r.Domain, r.Phone = p("name"), crmDomain(p("domain")), p("phone")
	case CRMDeals:
		r.Name, r.Stage, r.Currency = p("dealname"), p("dealstage"), p("deal_currency_code")
		r.Amount = crmNumber(o.Properties["amount"])
	}
	return r
}

// ---- Zoho CRM ----

var zohoCRM = map[string]struct {
	module string
	fields string
}{
	CRMContacts:  {"Contacts", "First_Name,Last_Name,Full_Name,Email,Phone,Account_Name,Created_Time,Modified_Time"},
	CRMCompanies: {"Accounts", "Account_Name,Website,Phone,Created_Time,Modified_Time"},
	CRMDeals:     {"Deals", "Deal_Name,Amount,Stage,Account_Name,Closing_Date,Created_Time,Modified_Time"},
}

type zohoPage struct {
	Data []map[string]any `json:"data"`
	Info struct {
		MoreRecords bool `json:"more_records"`
	} `json:"info"`
}

// crmZoho reads a module page by page (GET /{module}, or /Contacts/search
// when filtering by e-mail).
func (s *Service) crmZoho(ctx context.Context, conn *hub.Connection, kind string, q CRMQuery, pos crmPosition, share int) ([]CRMRecord, crmPosition, bool, error) {
	spec := zohoCRM[kind]
	path := "/" + spec.module
	base := url.Values{"fields": {spec.fields}}
	var header http.Header
	if q.Email != "" {
		path += "/search"
		base.Set("email", q.Email)
	} else {
		base.Set("sort_by", "id")
		base.Set("sort_order", "asc")
		if !q.UpdatedSince.IsZero() {
			// Zoho keeps records modified strictly after the header's time, to the second.
			header = http.Header{"If-Modified-Since": {q.UpdatedSince.Add(-time.Second).UTC().Format(time.RFC3339)}}
		}
	}
	fetch := func(page, perPage int) ([]CRMRecord, bool, error) {
		query := url.Values{}
		for k, v := range base {
			query[k] = v
		}
		query.Set("page", strconv.Itoa(page))
		query.Set("per_page", strconv.Itoa(perPage))
		var doc zohoPage
		status, err := s.crmJSON(ctx, conn, http.MethodGet, path, query, header, nil, &doc)
		if err != nil || status == http.StatusNoContent || status == http.StatusNotModified {
			return nil, false, err
		}
		recs := make([]CRMRecord, 0, len(doc.Data))
		for _, m := range doc.Data {
			recs = append(recs, zohoRecord(conn, kind, m))
		}
		return recs, doc.Info.MoreRecords, nil
	}
	return crmPaged(fetch, crmKeep(q), pos, share, min(share, 200))
}

func zohoRecord(conn *hub.Connection, kind string, m map[string]any) CRMRecord {
	f := func(name string) string { return strings.TrimSpace(crmString(m[name])) }
	lookup := func(name string) string {
		if v, ok := m[name].(map[string]any); ok {
			return strings.TrimSpace(crmString(v["name"]))
		}
		return f(name)
	}
	id := f("id")
	r := crmBase(conn, kind, id)
	r.CreatedAt = crmTime(f("Created_Time"))
	r.UpdatedAt = crmTime(f("Modified_Time"))
	switch kind {
	case CRMContacts:
		r.Name = crmJoin(f("First_Name"), f("Last_Name"))
		if r.Name == "" {
			r.Name = f("Full_Name")
		}
		r.Email, r.Phone, r.Company = f("Email"), f("Phone"), lookup("Account_Name")
	case CRMCompanies:
		r.Name, r.Domain, r.Phone = lookup("Account_Name"), crmDomain(f("Website")), f("Phone")
	case CRMDeals:
		r.Name, r.Stage, r.Company, r.Currency = f("Deal_Name"), f("Stage"), lookup("Account_Name"), f("Currency")
		r.Amount = crmNumber(m["Amount"])
	}
	if dc := conn.Config["data_center"]; dc != "" && id != "" {
		r.URL = "https://crm." + dc + "/crm/tab/" + zohoCRM[kind].module + "/" + url.PathEscape(id)
	}
	return r
}

// ---- FluentCRM ----

// crmFluent reads FluentCRM's Laravel-style pages of subscribers or
// companies, in id order.
func (s *Service) crmFluent(ctx context.Context, conn *hub.Connection, kind string, q CRMQuery, pos crmPosition, share int) ([]CRMRecord, crmPosition, bool, error) {
	// The collection's name is also its paginator's key and its admin screen.
	collection := "subscribers"
	if kind == CRMCompanies {
		collection = "companies"
	}
	base := url.Values{"sort_by": {"id"}, "sort_type": {"ASC"}}
	if q.Email != "" {
		base.Set("search", q.Email)
	}
	fetch := func(page, perPage int) ([]CRMRecord, bool, error) {
		query := url.Values{}
		for k, v := range base {
			query[k] = v
		}
		query.Set("page", strconv.Itoa(page))
		query.Set("per_page", strconv.Itoa(perPage))
		var doc map[string]any
		status, err := s.crmJSON(ctx, conn, http.MethodGet, "/"+collection, query, nil, nil, &doc)
		if err != nil {
			var he *hub.Error
			if kind == CRMCompanies && asHubError(err, &he) && he.UpstreamStatus == http.StatusNotFound {
				return nil, false, nil // FluentCRM before 2.8 has no companies
			}
			return nil, false, err
		}
		if status == http.StatusNoContent {
			return nil, false, nil
		}
		pg := doc
		if _, ok := pg["data"].([]any); !ok {
			pg, _ = doc[collection].(map[string]any) // {"subscribers": {paginator}}
		}
		rows, _ := pg["data"].([]any)
		recs := make([]CRMRecord, 0, len(rows))
		for _, row := range rows {
			if m, ok := row.(map[string]any); ok {
				recs = append(recs, fluentRecord(conn, kind, collection, m))
			}
		}
		more := len(rows) == perPage
		if cur, ok := crmInt(pg["current_page"]); ok {
			if last, ok := crmInt(pg["last_page"]); ok {
				more = cur < last
			}
		}
		return recs, more, nil
	}
	perPage := min(share, 100)
	if !q.UpdatedSince.IsZero() {
		perPage = 100 // filtered on our side: read larger pages
	}
	return crmPaged(fetch, crmKeep(q), pos, share, perPage)
}

func fluentRecord(conn *hub.Connection, kind, screen string, m map[string]any) CRMRecord {
	f := func(name string) string { return strings.TrimSpace(crmString(m[name])) }
	id := f("id")
	r := crmBase(conn, kind, id)
	r.CreatedAt = crmTime(f("created_at"))
	r.UpdatedAt = crmTime(f("updated_at"))
	r.Email, r.Phone = f("email"), f("phone")
	switch kind {
	case CRMContacts:
		r.Name = crmJoin(f("first_name"), f("last_name"))
		if r.Name == "" {
			r.Name = f("full_name")
		}
		if c, ok := m["company"].(map[string]any); ok {
			r.Company = strings.TrimSpace(crmString(c["name"]))
		}
	case CRMCompanies:
		r.Name, r.Domain = f("name"), crmDomain(f("website"))
	}
	if site := conn.Config["site_url"]; site != "" && id != "" {
		r.URL = strings.TrimSuffix(site, "/") + "/wp-admin/admin.php?page=fluentcrm-admin#/" + screen + "/" + url.PathEscape(id)
	}
	return r
}

// ---- shared ----

// crmPaged reads a page-numbered source from pos.Offset (platform records
// consumed so far) until share records passed keep, the source ends or the
// request budget is spent. Pages are perPage records; the offset need not
// fall on a page boundary.
func crmPaged(fetch func(page, perPage int) ([]CRMRecord, bool, error), keep func(CRMRecord) bool,
	pos crmPosition, share, perPage int) ([]CRMRecord, crmPosition, bool, error) {
	perPage = max(perPage, 1)
	off := pos.Offset
	var out []CRMRecord
	for calls := 0; len(out) < share && calls < crmMaxCalls; calls++ {
		recs, more, err := fetch(off/perPage+1, perPage)
		if err != nil {
			return nil, pos, false, err
		}
		skip := off % perPage
		if skip >= len(recs) {
			if !more {
				return out, crmPosition{}, true, nil
			}
			off += perPage - skip // a short page that is not the last: go on with the next
			continue
		}
		i := skip
		for ; i < len(recs) && len(out) < share; i++ {
			off++
			if keep(recs[i]) {
				out = append(out, recs[i])
			}
		}
		if i == len(recs) {
			if !more {
				return out, crmPosition{}, true, nil
			}
			if len(recs) < perPage {
				off += perPage - len(recs)
			}
		}
	}
	return out, crmPosition{Offset: off}, false, nil
}

// crmKeep checks the filters again on our side: platforms whose search is
// fuzzy or who have no time filter answer more than asked.
func crmKeep(q CRMQuery) func(CRMRecord) bool {
	return func(r CRMRecord) bool {
		if q.Email != "" && !strings.EqualFold(r.Email, q.Email) {
			return false
		}
		if !q.UpdatedSince.IsZero() && (r.UpdatedAt == nil || r.UpdatedAt.Before(q.UpdatedSince)) {
			return false
		}
		return true
	}
}

func crmBase(conn *hub.Connection, kind, platformID string) CRMRecord {
	return CRMRecord{ID: conn.ID + ":" + platformID, ConnectionID: conn.ID, Provider: conn.Provider, PlatformID: platformID, Kind: kind}
}

// crmString formats a JSON scalar as a string ("" for null and objects).
func crmString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

func crmInt(v any) (int, bool) {
	n, err := strconv.Atoi(crmString(v))
	return n, err == nil
}

// crmNumber reads an amount given as a number or a numeric string.
func crmNumber(v any) *float64 {
	s := strings.TrimSpace(crmString(v))
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil
	}
	return &f
}

// crmTime reads the first of values that is a time: RFC 3339, a MySQL
// datetime (read as UTC), a date, or epoch milliseconds.
func crmTime(values ...string) *time.Time {
	for _, v := range values {
		v = strings.TrimSpace(v)
		if v == "" || strings.HasPrefix(v, "0000-00-00") {
			continue
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02"} {
			if t, err := time.Parse(layout, v); err == nil {
				t = t.UTC()
				return &t
			}
		}
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 {
			t := time.UnixMilli(ms).UTC()
			return &t
		}
	}
	return nil
}

func crmJoin(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

// crmDomain reduces a website or domain to its host name without "www.".
func crmDomain(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
}

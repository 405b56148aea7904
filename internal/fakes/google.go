package fakes

import (
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ---- shared Google error shape ----

const (
	googleMissingCred = "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
	googleInvalidCred = "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)

// googleError writes {"error":{"code","message","status"[,"details"]}} (google.rpc.Status as JSON).
func googleError(w http.ResponseWriter, code int, status, message string, extra map[string]any) {
	e := map[string]any{"code": code, "message": message, "status": status}
	for k, v := range extra {
		e[k] = v
	}
	writeJSON(w, code, map[string]any{"error": e})
}

func googleDeny(w http.ResponseWriter, present bool, extra map[string]any) {
	if present {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
		googleError(w, http.StatusUnauthorized, "UNAUTHENTICATED", googleInvalidCred, extra)
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/"`)
	googleError(w, http.StatusUnauthorized, "UNAUTHENTICATED", googleMissingCred, extra)
}

func googleStatusName(code int) string {
	switch code {
	case http.StatusBadRequest:
		return "INVALID_ARGUMENT"
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusForbidden:
		return "PERMISSION_DENIED"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusMethodNotAllowed:
		return "UNIMPLEMENTED"
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	}
	return "UNKNOWN"
}

// hashNum returns a deterministic number in [0, n) from the parts.
func hashNum(n int, parts ...any) int {
	h := fnv.New32a()
	for _, p := range parts {
		fmt.Fprint(h, p, "|")
	}
	return int(h.Sum32() % uint32(n))
}

// googleDate resolves a GA4 / Ads date ("today", "yesterday", "NdaysAgo", "YYYY-MM-DD").
func googleDate(s string, today time.Time) (time.Time, bool) {
	switch {
	case s == "today":
		return today, true
	case s == "yesterday":
		return today.AddDate(0, 0, -1), true
	case strings.HasSuffix(s, "daysAgo"):
		n, err := strconv.Atoi(strings.TrimSuffix(s, "daysAgo"))
		return today.AddDate(0, 0, -n), err == nil && n >= 0
	}
	t, err := time.Parse("2006-01-02", s)
	return t, err == nil
}

func utcToday() time.Time {
	y, m, d := time.Now().UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// days lists the days from start to end inclusive (at most 366).
func days(start, end time.Time) []time.Time {
	var out []time.Time
	for d := start; !d.After(end) && len(out) < 366; d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}
	return out
}

// ---- Google Ads ----

// GoogleAds is a fake of the Google Ads API v25 REST interface.
//
// Routes (base URL = server root): GET /v25/customers:listAccessibleCustomers
// -> {"resourceNames":[...]} and POST /v25/customers/{id}/googleAds:search
// {"query": GAQL, "pageToken", "searchSettings":{"returnTotalResultsCount"}} ->
// {"results","nextPageToken","totalResultsCount","fieldMask","requestId",
// "queryResourceConsumption"}. GAQL is parsed simply: SELECT fields FROM
// campaign or customer, WHERE with AND-ed `=`, `!=`, `IN (...)` conditions and
// segments.date DURING LAST_n_DAYS/TODAY/YESTERDAY/THIS_MONTH/LAST_MONTH or
// BETWEEN 'a' AND 'b' (a row per campaign per day when segments.date is
// selected), ORDER BY one field, LIMIT. Pages hold GoogleAdsPageSize rows
// (fixed, as in the API; page_size is refused with PAGE_SIZE_NOT_SUPPORTED).
// Credentials: "Authorization: Bearer <token>" plus a developer-token header
// (missing: 400 INVALID_ARGUMENT with requestError
// DEVELOPER_TOKEN_PARAMETER_MISSING; not the one set by RequireDeveloperToken:
// 401 UNAUTHENTICATED with authenticationError DEVELOPER_TOKEN_INVALID).
// Errors are {"error":{"code","message","status","details":[GoogleAdsFailure]}};
// rate limit: 429 RESOURCE_EXHAUSTED with quotaError RESOURCE_EXHAUSTED and
// retryDelay "1s" (no Retry-After header, as Google sends none).
//
// Seed and Records collection: "campaigns", records {"id","name","status",
// "advertisingChannelType","biddingStrategyType","startDate"}.
type GoogleAds struct {
	// URL is the API base URL (the server root); paths start with /v25.
	URL string
	// CustomerIDs are the accessible customers; the first is a manager account.
	CustomerIDs []string
	*server

	devMu    sync.Mutex
	devToken string
}

// GoogleAdsPageSize is the fixed number of rows per googleAds:search page of
// the fake (the real API's fixed size is 10,000).
const GoogleAdsPageSize = 10

const googleAdsFailureType = "type.googleapis.com/google.ads.googleads.v25.errors.GoogleAdsFailure"

// NewGoogleAds starts a Google Ads fake with two customers and 25 campaigns.
func NewGoogleAds(t testing.TB, opts Options) *GoogleAds {
	t.Helper()
	g := &GoogleAds{CustomerIDs: []string{"1234567890", "9876543210"}}
	g.server = newServer(t, opts, platform{
		credential: headerCredential("Authorization", "Bearer "),
		deny:       func(w http.ResponseWriter, r *http.Request, present bool) { googleDeny(w, present, nil) },
		limit:      g.limit,
		fail:       g.fail,
		prepare: func(kind string, rec map[string]any) {
			if str(rec["id"]) == "" {
				rec["id"] = strconv.Itoa(g.id(kind, 20000000001))
			}
		},
	})
	g.URL = g.root
	g.handle("GET", "/v25/customers:listAccessibleCustomers", g.listCustomers)
	g.handle("POST", "/v25/customers/{customer}/googleAds:search", g.search)
	channels := []string{"SEARCH", "DISPLAY", "PERFORMANCE_MAX", "VIDEO", "SHOPPING"}
	for i := 0; i < seedCount; i++ {
		status := "ENABLED"
		if i%4 == 3 {
			status = "PAUSED"
		}
		created, _ := seedTimes(i)
		g.Seed("campaigns", map[string]any{
			"name": fmt.Sprintf("Campaign %02d", i+1), "status": status, "advertisingChannelType": channels[i%len(channels)],
			"biddingStrategyType": "MAXIMIZE_CONVERSIONS", "startDate": created.Format("2006-01-02"),
		})
	}
	return g
}

// RequireDeveloperToken makes the fake accept only tok as developer-token
// ("" accepts any non-empty value, the default).
func (g *GoogleAds) RequireDeveloperToken(tok string) {
	g.devMu.Lock()
	defer g.devMu.Unlock()
	g.devToken = tok
}

func (g *GoogleAds) adsError(w http.ResponseWriter, code int, errorCode map[string]any, message string, extra map[string]any) {
	e := map[string]any{"errorCode": errorCode, "message": message}
	for k, v := range extra {
		e[k] = v
	}
	googleError(w, code, googleStatusName(code), googleStatusMessage(code), map[string]any{"details": []any{map[string]any{
		"@type": googleAdsFailureType, "errors": []any{e}, "requestId": g.requestID(),
	}}})
}

func googleStatusMessage(code int) string {
	switch code {
	case http.StatusBadRequest:
		return "Request contains an invalid argument."
	case http.StatusUnauthorized:
		return googleInvalidCred
	case http.StatusForbidden:
		return "The caller does not have permission"
	case http.StatusTooManyRequests:
		return "Resource has been exhausted (e.g. check quota)."
	case http.StatusNotFound:
		return "Requested entity was not found."
	}
	return "Unknown error."
}

func (g *GoogleAds) fail(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	googleError(w, status, googleStatusName(status), message, nil)
}

func (g *GoogleAds) limit(w http.ResponseWriter, r *http.Request) {
	g.adsError(w, http.StatusTooManyRequests, map[string]any{"quotaError": "RESOURCE_EXHAUSTED"},
		"Too many requests. Retry in 1 seconds.",
		map[string]any{"details": map[string]any{"quotaErrorDetails": map[string]any{
			"rateScope": "DEVELOPER", "rateName": "Number of operations for basic access", "retryDelay": "1s",
		}}})
}

// devTokenOK checks the developer-token header, answering the error itself.
func (g *GoogleAds) devTokenOK(w http.ResponseWriter, r *http.Request) bool {
	tok := strings.TrimSpace(r.Header.Get("developer-token"))
	if tok == "" {
		g.adsError(w, http.StatusBadRequest, map[string]any{"requestError": "DEVELOPER_TOKEN_PARAMETER_MISSING"},
			"The developer-token parameter is required for all requests.", nil)
		return false
	}
	g.devMu.Lock()
	want := g.devToken
	g.devMu.Unlock()
	if want != "" && tok != want {
		g.adsError(w, http.StatusUnauthorized, map[string]any{"authenticationError": "DEVELOPER_TOKEN_INVALID"},
			"The developer token is not valid.", nil)
		return false
	}
	return true
}

func (g *GoogleAds) listCustomers(w http.ResponseWriter, r *http.Request, p params) {
	if !g.devTokenOK(w, r) {
		return
	}
	names := make([]string, 0, len(g.CustomerIDs))
	for _, id := range g.CustomerIDs {
		names = append(names, "customers/"+id)
	}
	writeJSON(w, http.StatusOK, map[string]any{"resourceNames": names})
}

var (
	gaqlRe      = regexp.MustCompile(`(?is)^\s*SELECT\s+(.+?)\s+FROM\s+([a-z_]+)(?:\s+WHERE\s+(.+?))?(?:\s+ORDER\s+BY\s+(.+?))?(?:\s+LIMIT\s+(\d+))?(?:\s+PARAMETERS\s+.+?)?\s*$`)
	gaqlBetween = regexp.MustCompile(`(?i)segments\.date\s+BETWEEN\s+'([0-9-]+)'\s+AND\s+'([0-9-]+)'`)
	gaqlAnd     = regexp.MustCompile(`(?i)\s+AND\s+`)
	gaqlCond    = regexp.MustCompile(`(?is)^([a-z_.]+)\s*(=|!=|>=|<=|>|<|\bNOT\s+IN\b|\bIN\b|\bDURING\b|\bLIKE\b)\s*(.+)$`)
)

// gaqlFields are the selectable fields of the fake, by GAQL name.
var gaqlFields = map[string]bool{
	"campaign.id": true, "campaign.name": true, "campaign.status": true, "campaign.resource_name": true,
	"campaign.advertising_channel_type": true, "campaign.bidding_strategy_type": true, "campaign.start_date": true,
	"customer.id": true, "customer.descriptive_name": true, "customer.currency_code": true, "customer.time_zone": true,
	"customer.manager": true, "customer.resource_name": true,
	"metrics.clicks": true, "metrics.impressions": true, "metrics.cost_micros": true, "metrics.conversions": true,
	"metrics.conversions_value": true, "metrics.ctr": true, "metrics.average_cpc": true,
	"segments.date": true, "segments.device": true,
}

// lowerCamel turns snake_case into lowerCamelCase (proto3 JSON names).
func lowerCamel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

func gaqlUnquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

func (g *GoogleAds) queryError(w http.ResponseWriter, code, message string) {
	g.adsError(w, http.StatusBadRequest, map[string]any{"queryError": code}, message, nil)
}

func (g *GoogleAds) search(w http.ResponseWriter, r *http.Request, p params) {
	if !g.devTokenOK(w, r) {
		return
	}
	cust := p["customer"]
	if strings.Contains(cust, "-") || strings.Trim(cust, "0123456789") != "" {
		g.adsError(w, http.StatusBadRequest, map[string]any{"requestError": "INVALID_CUSTOMER_ID"}, "Invalid customer ID '"+cust+"'.", nil)
		return
	}
	known := false
	for _, id := range g.CustomerIDs {
		known = known || id == cust
	}
	if !known {
		g.adsError(w, http.StatusForbidden, map[string]any{"authorizationError": "USER_PERMISSION_DENIED"},
			"User doesn't have permission to access customer. Note: If you're accessing a client customer, the manager's customer id must be set in the 'login-customer-id' header. See https://developers.google.com/google-ads/api/docs/concepts/call-structure#cid", nil)
		return
	}
	var body struct {
		Query          string `json:"query"`
		PageToken      string `json:"pageToken"`
		PageSize       any    `json:"pageSize"`
		SearchSettings struct {
			ReturnTotalResultsCount bool `json:"returnTotalResultsCount"`
		} `json:"searchSettings"`
	}
	if err := readJSON(r, &body); err != nil {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received. "+err.Error(), nil)
		return
	}
	if body.PageSize != nil {
		g.adsError(w, http.StatusBadRequest, map[string]any{"requestError": "PAGE_SIZE_NOT_SUPPORTED"}, "Setting the page size is not supported. Search Responses will have fixed page size of '10000' rows.", nil)
		return
	}
	m := gaqlRe.FindStringSubmatch(body.Query)
	if m == nil {
		g.queryError(w, "UNEXPECTED_END_OF_QUERY", "Error in query: unexpected end of query.")
		return
	}
	var fields []string
	for _, f := range strings.Split(m[1], ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if !gaqlFields[f] {
			g.queryError(w, "UNRECOGNIZED_FIELD", "Unrecognized field in the query: '"+f+"'.")
			return
		}
		fields = append(fields, f)
	}
	resource := strings.ToLower(m[2])
	if resource != "campaign" && resource != "customer" {
		g.queryError(w, "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE", "fake Google Ads: FROM supports campaign and customer only, not '"+resource+"'.")
		return
	}
	for _, f := range fields {
		if res, _, _ := strings.Cut(f, "."); res != "metrics" && res != "segments" && res != resource {
			g.queryError(w, "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE", "Cannot select fields from the following resource: '"+res+"', since the resource is not the FROM resource.")
			return
		}
	}
	today := utcToday()
	start, end := today.AddDate(0, 0, -7), today.AddDate(0, 0, -1)
	where := m[3]
	if b := gaqlBetween.FindStringSubmatch(where); b != nil {
		s, ok1 := googleDate(b[1], today)
		e, ok2 := googleDate(b[2], today)
		if !ok1 || !ok2 {
			g.queryError(w, "INVALID_VALUE_WITH_BETWEEN_OPERATOR", "Invalid date in BETWEEN.")
			return
		}
		start, end = s, e
		where = gaqlBetween.ReplaceAllString(where, "")
	}
	type cond struct{ field, op, value string }
	var conds []cond
	for _, c := range gaqlAnd.Split(where, -1) {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		cm := gaqlCond.FindStringSubmatch(c)
		if cm == nil {
			g.queryError(w, "INVALID_OPERATOR", "Error in WHERE clause: invalid condition '"+c+"'.")
			return
		}
		field, op, val := strings.ToLower(cm[1]), strings.ToUpper(strings.Join(strings.Fields(cm[2]), " ")), strings.TrimSpace(cm[3])
		if field == "segments.date" && op == "DURING" {
			s, e, ok := gaqlDuring(strings.ToUpper(val), today)
			if !ok {
				g.queryError(w, "INVALID_VALUE_WITH_DURING_OPERATOR", "Invalid date literal with DURING: '"+val+"'.")
				return
			}
			start, end = s, e
			continue
		}
		if field == "segments.date" {
			d, ok := googleDate(gaqlUnquote(val), today)
			if !ok {
				g.queryError(w, "INVALID_LITERAL_FOR_OPERATOR", "Invalid date literal '"+val+"'.")
				return
			}
			switch op {
			case ">=":
				start = d
			case ">":
				start = d.AddDate(0, 0, 1)
			case "<=":
				end = d
			case "<":
				end = d.AddDate(0, 0, -1)
			case "=":
				start, end = d, d
			}
			continue
		}
		conds = append(conds, cond{field, op, val})
	}
	withDate := false
	withDevice := false
	for _, f := range fields {
		withDate = withDate || f == "segments.date"
		withDevice = withDevice || f == "segments.device"
	}
	dates := []time.Time{{}}
	if withDate {
		dates = days(start, end)
	}
	devices := []string{""}
	if withDevice {
		devices = []string{"DESKTOP", "MOBILE", "TABLET"}
	}
	type gaqlRow struct {
		row  map[string]any // the GoogleAdsRow JSON
		vals map[string]any // GAQL field -> value, for ORDER BY
	}
	var rows []gaqlRow
	orderKey, orderDesc := "", false
	if ob := strings.TrimSpace(m[4]); ob != "" {
		fs := strings.Fields(strings.Split(ob, ",")[0])
		orderKey = strings.ToLower(fs[0])
		orderDesc = len(fs) > 1 && strings.EqualFold(fs[1], "DESC")
		if !gaqlFields[orderKey] {
			g.queryError(w, "UNRECOGNIZED_FIELD", "Unrecognized field in the ORDER BY clause: '"+orderKey+"'.")
			return
		}
	}
	addRow := func(res map[string]any, id string, d time.Time, dev string) {
		for _, c := range conds {
			have := str(g.value(cust, resource, res, c.field, id, d, dev, start, end, withDate))
			if !gaqlMatch(have, c.op, c.value) {
				return
			}
		}
		row := map[string]any{resource: map[string]any{"resourceName": g.resourceName(cust, resource, id)}}
		vals := map[string]any{}
		for _, f := range fields {
			v := g.value(cust, resource, res, f, id, d, dev, start, end, withDate)
			vals[f] = v
			parts := strings.Split(f, ".")
			obj, _ := row[lowerCamel(parts[0])].(map[string]any)
			if obj == nil {
				obj = map[string]any{}
				row[lowerCamel(parts[0])] = obj
			}
			obj[lowerCamel(parts[1])] = v
		}
		if orderKey != "" {
			vals[orderKey] = g.value(cust, resource, res, orderKey, id, d, dev, start, end, withDate)
		}
		rows = append(rows, gaqlRow{row, vals})
	}
	if resource == "customer" {
		for _, d := range dates {
			for _, dev := range devices {
				addRow(nil, cust, d, dev)
			}
		}
	} else {
		for _, c := range g.server.list("campaigns", nil) {
			for _, d := range dates {
				for _, dev := range devices {
					addRow(c, str(c["id"]), d, dev)
				}
			}
		}
	}
	if orderKey != "" {
		sort.SliceStable(rows, func(i, j int) bool {
			c := hubspotCompare(str(rows[i].vals[orderKey]), str(rows[j].vals[orderKey]))
			if orderDesc {
				return c > 0
			}
			return c < 0
		})
	}
	total := len(rows)
	if m[5] != "" {
		if n, _ := strconv.Atoi(m[5]); n < len(rows) {
			rows = rows[:n]
		}
	}
	offset, ok := decodeCursor("gaql", body.PageToken)
	if !ok || (body.PageToken != "" && offset > len(rows)) {
		g.adsError(w, http.StatusBadRequest, map[string]any{"requestError": "INVALID_PAGE_TOKEN"}, "Page token is invalid.", nil)
		return
	}
	win, more := window(rows, offset, GoogleAdsPageSize)
	page := make([]map[string]any, 0, len(win))
	for _, r := range win {
		page = append(page, r.row)
	}
	mask := make([]string, 0, len(fields))
	for _, f := range fields {
		parts := strings.Split(f, ".")
		mask = append(mask, lowerCamel(parts[0])+"."+lowerCamel(parts[1]))
	}
	resp := map[string]any{
		"results": page, "fieldMask": strings.Join(mask, ","), "requestId": g.requestID(),
		"queryResourceConsumption": strconv.Itoa(50 + len(page)),
	}
	if more {
		resp["nextPageToken"] = encodeCursor("gaql", offset+len(page))
	}
	if body.SearchSettings.ReturnTotalResultsCount {
		resp["totalResultsCount"] = strconv.Itoa(total)
	}
	writeJSON(w, http.StatusOK, resp)
}

func (g *GoogleAds) resourceName(cust, resource, id string) string {
	if resource == "customer" {
		return "customers/" + cust
	}
	return "customers/" + cust + "/campaigns/" + id
}

// value computes a selected field for a row; int64 values are strings, as in proto3 JSON.
func (g *GoogleAds) value(cust, resource string, res map[string]any, field, id string, d time.Time, dev string, start, end time.Time, withDate bool) any {
	day := d.Format("2006-01-02")
	span := 1
	if !withDate {
		span = len(days(start, end))
	}
	clicks := 0
	impressions := 0
	for k := 0; k < span; k++ {
		dd := day
		if !withDate {
			dd = start.AddDate(0, 0, k).Format("2006-01-02")
		}
		impressions += 200 + hashNum(800, cust, id, dd, dev, "imp")
		clicks += 5 + hashNum(40, cust, id, dd, dev, "clk")
	}
	cost := int64(clicks) * int64(150000+hashNum(100000, id, "cpc"))
	conv := math.Round(float64(clicks)*0.08*100) / 100
	switch field {
	case "campaign.id":
		return id
	case "campaign.resource_name", "customer.resource_name":
		return g.resourceName(cust, resource, id)
	case "campaign.name":
		return res["name"]
	case "campaign.status":
		return res["status"]
	case "campaign.advertising_channel_type":
		return res["advertisingChannelType"]
	case "campaign.bidding_strategy_type":
		return res["biddingStrategyType"]
	case "campaign.start_date":
		return res["startDate"]
	case "customer.id":
		return cust
	case "customer.descriptive_name":
		return "Fake Advertiser " + cust
	case "customer.currency_code":
		return "USD"
	case "customer.time_zone":
		return "America/New_York"
	case "customer.manager":
		return cust == g.CustomerIDs[0]
	case "metrics.clicks":
		return strconv.Itoa(clicks)
	case "metrics.impressions":
		return strconv.Itoa(impressions)
	case "metrics.cost_micros":
		return strconv.FormatInt(cost, 10)
	case "metrics.conversions":
		return conv
	case "metrics.conversions_value":
		return conv * 40
	case "metrics.ctr":
		return float64(clicks) / float64(impressions)
	case "metrics.average_cpc":
		return float64(cost) / float64(clicks)
	case "segments.date":
		return day
	case "segments.device":
		return dev
	}
	return nil
}

func gaqlMatch(have, op, val string) bool {
	switch op {
	case "=":
		return have == gaqlUnquote(val)
	case "!=":
		return have != gaqlUnquote(val)
	case "IN", "NOT IN":
		in := false
		for _, v := range strings.Split(strings.Trim(strings.TrimSpace(val), "()"), ",") {
			in = in || have == gaqlUnquote(v)
		}
		return in == (op == "IN")
	case "LIKE":
		pat := strings.ReplaceAll(regexp.QuoteMeta(gaqlUnquote(val)), "%", ".*")
		ok, _ := regexp.MatchString("^"+pat+"$", have)
		return ok
	case ">", ">=", "<", "<=":
		c := hubspotCompare(have, gaqlUnquote(val))
		return (op == ">" && c > 0) || (op == ">=" && c >= 0) || (op == "<" && c < 0) || (op == "<=" && c <= 0)
	}
	return true
}

// gaqlDuring resolves a DURING date range literal.
func gaqlDuring(lit string, today time.Time) (time.Time, time.Time, bool) {
	yesterday := today.AddDate(0, 0, -1)
	switch lit {
	case "TODAY":
		return today, today, true
	case "YESTERDAY":
		return yesterday, yesterday, true
	case "LAST_7_DAYS":
		return today.AddDate(0, 0, -7), yesterday, true
	case "LAST_14_DAYS":
		return today.AddDate(0, 0, -14), yesterday, true
	case "LAST_30_DAYS":
		return today.AddDate(0, 0, -30), yesterday, true
	case "THIS_MONTH":
		return time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC), today, true
	case "LAST_MONTH":
		first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
		return first.AddDate(0, -1, 0), first.AddDate(0, 0, -1), true
	}
	return time.Time{}, time.Time{}, false
}

// ---- GA4 Data API ----

// GA4 is a fake of the Google Analytics Data API v1beta.
//
// Routes (base URL = server root): POST /v1beta/properties/{id}:runReport
// {"dateRanges","dimensions","metrics","limit","offset","returnPropertyQuota"}
// -> {"dimensionHeaders","metricHeaders","rows":[{"dimensionValues":[{"value"}],
// "metricValues":[{"value"}]}],"rowCount","metadata","kind"} with a
// deterministic row for every combination of dimension values (the date
// dimension gives one row per day of the first date range), and GET
// /v1beta/properties/{id}/metadata. Credentials: "Authorization: Bearer
// <token>". Errors are {"error":{"code","message","status"}}; rate limit: 429
// RESOURCE_EXHAUSTED (no Retry-After header).
type GA4 struct {
	// URL is the API base URL (the server root); paths start with /v1beta.
	URL string
	*server
}

var ga4Dimensions = map[string][]string{
	"country":                    {"United States", "Germany", "France"},
	"city":                       {"New York", "Berlin", "Paris"},
	"deviceCategory":             {"desktop", "mobile", "tablet"},
	"sessionSource":              {"google", "(direct)", "facebook.com"},
	"sessionMedium":              {"organic", "(none)", "referral"},
	"sessionSourceMedium":        {"google / organic", "(direct) / (none)", "facebook.com / referral"},
	"sessionDefaultChannelGroup": {"Organic Search", "Direct", "Referral"},
	"sessionCampaignName":        {"(organic)", "(direct)", "spring_sale"},
	"pagePath":                   {"/", "/pricing", "/blog"},
	"pageTitle":                  {"Home", "Pricing", "Blog"},
	"landingPage":                {"/", "/pricing", "/blog"},
	"eventName":                  {"page_view", "session_start", "purchase"},
	"date":                       nil,
}

var ga4Metrics = map[string]string{
	"activeUsers": "TYPE_INTEGER", "newUsers": "TYPE_INTEGER", "totalUsers": "TYPE_INTEGER",
	"sessions": "TYPE_INTEGER", "engagedSessions": "TYPE_INTEGER", "screenPageViews": "TYPE_INTEGER",
	"eventCount": "TYPE_INTEGER", "conversions": "TYPE_INTEGER", "keyEvents": "TYPE_INTEGER", "transactions": "TYPE_INTEGER",
	"bounceRate": "TYPE_FLOAT", "engagementRate": "TYPE_FLOAT", "sessionsPerUser": "TYPE_FLOAT",
	"averageSessionDuration": "TYPE_SECONDS", "userEngagementDuration": "TYPE_SECONDS",
	"totalRevenue": "TYPE_CURRENCY", "purchaseRevenue": "TYPE_CURRENCY",
}

// NewGA4 starts a GA4 Data API fake; any numeric property id is accepted.
func NewGA4(t testing.TB, opts Options) *GA4 {
	t.Helper()
	g := &GA4{}
	g.server = newServer(t, opts, platform{
		credential: headerCredential("Authorization", "Bearer "),
		deny:       func(w http.ResponseWriter, r *http.Request, present bool) { googleDeny(w, present, nil) },
		limit: func(w http.ResponseWriter, r *http.Request) {
			googleError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", "Exhausted concurrent requests quota.", nil)
		},
		fail: func(w http.ResponseWriter, r *http.Request, status int, code, message string) {
			googleError(w, status, googleStatusName(status), message, nil)
		},
	})
	g.URL = g.root
	g.handle("POST", "/v1beta/properties/{property}:runReport", g.runReport)
	g.handle("GET", "/v1beta/properties/{property}/metadata", g.metadata)
	return g
}

func ga4Property(w http.ResponseWriter, id string) bool {
	if id == "" || strings.Trim(id, "0123456789") != "" {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid property ID: "+id+". A numeric Property ID is required.", nil)
		return false
	}
	return true
}

func (g *GA4) runReport(w http.ResponseWriter, r *http.Request, p params) {
	if !ga4Property(w, p["property"]) {
		return
	}
	type named struct {
		Name string `json:"name"`
	}
	var body struct {
		DateRanges []struct {
			StartDate string `json:"startDate"`
			EndDate   string `json:"endDate"`
		} `json:"dateRanges"`
		Dimensions          []named `json:"dimensions"`
		Metrics             []named `json:"metrics"`
		Limit               any     `json:"limit"`
		Offset              any     `json:"offset"`
		ReturnPropertyQuota bool    `json:"returnPropertyQuota"`
	}
	if err := readJSON(r, &body); err != nil {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received. "+err.Error(), nil)
		return
	}
	invalid := func(msg string) {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", msg, nil)
	}
	if len(body.DateRanges) == 0 {
		invalid("Must specify at least one date range.")
		return
	}
	if len(body.Metrics) == 0 && len(body.Dimensions) == 0 {
		invalid("Must specify at least one dimension or metric.")
		return
	}
	today := utcToday()
	start, ok1 := googleDate(body.DateRanges[0].StartDate, today)
	end, ok2 := googleDate(body.DateRanges[0].EndDate, today)
	if !ok1 || !ok2 || end.Before(start) {
		invalid("Invalid date range: " + body.DateRanges[0].StartDate + " to " + body.DateRanges[0].EndDate + ".")
		return
	}
	var dimHeaders, metHeaders []any
	values := [][]string{}
	for _, d := range body.Dimensions {
		vals, ok := ga4Dimensions[d.Name]
		if !ok {
			invalid("Field " + d.Name + " is not a valid dimension. For a list of valid dimensions and metrics, see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema")
			return
		}
		if d.Name == "date" {
			vals = nil
			for _, day := range days(start, end) {
				vals = append(vals, day.Format("20060102"))
			}
		}
		values = append(values, vals)
		dimHeaders = append(dimHeaders, map[string]any{"name": d.Name})
	}
	for _, m := range body.Metrics {
		ty, ok := ga4Metrics[m.Name]
		if !ok {
			invalid("Field " + m.Name + " is not a valid metric. For a list of valid dimensions and metrics, see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema")
			return
		}
		metHeaders = append(metHeaders, map[string]any{"name": m.Name, "type": ty})
	}
	limit, offset := 10000, 0
	if n, err := strconv.Atoi(str(body.Limit)); err == nil && n > 0 {
		limit = min(n, 250000)
	}
	if n, err := strconv.Atoi(str(body.Offset)); err == nil && n > 0 {
		offset = n
	}
	// Every combination of dimension values, in order.
	combos := [][]string{{}}
	for _, vals := range values {
		var next [][]string
		for _, c := range combos {
			for _, v := range vals {
				next = append(next, append(append([]string{}, c...), v))
			}
		}
		combos = next
	}
	span := len(days(start, end))
	byDate := false
	for _, d := range body.Dimensions {
		byDate = byDate || d.Name == "date"
	}
	var rows []any
	for _, c := range combos {
		dv := make([]any, 0, len(c))
		for _, v := range c {
			dv = append(dv, map[string]any{"value": v})
		}
		mv := make([]any, 0, len(body.Metrics))
		key := strings.Join(c, "|")
		for _, m := range body.Metrics {
			mv = append(mv, map[string]any{"value": ga4Value(p["property"], key, m.Name, span, byDate)})
		}
		rows = append(rows, map[string]any{"dimensionValues": dv, "metricValues": mv})
	}
	page, _ := window(rows, offset, limit)
	resp := map[string]any{
		"dimensionHeaders": dimHeaders, "metricHeaders": metHeaders, "rows": page, "rowCount": len(rows),
		"metadata": map[string]any{"currencyCode": "USD", "timeZone": "America/New_York"},
		"kind":     "analyticsData#runReport",
	}
	if len(page) == 0 {
		delete(resp, "rows")
	}
	if body.ReturnPropertyQuota {
		qs := func(c, rem int) map[string]any { return map[string]any{"consumed": c, "remaining": rem} }
		resp["propertyQuota"] = map[string]any{
			"tokensPerDay": qs(10, 199990), "tokensPerHour": qs(10, 39990), "concurrentRequests": qs(0, 10),
			"serverErrorsPerProjectPerHour": qs(0, 10), "potentiallyThresholdedRequestsPerHour": qs(0, 120),
			"tokensPerProjectPerHour": qs(10, 13990),
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// ga4Value computes a deterministic metric value as GA4 formats it (a
// string); without a date dimension a row covers the span's days.
func ga4Value(property, key, metric string, span int, byDate bool) string {
	scale := 1
	if !byDate {
		scale = span
	}
	base := (50 + hashNum(500, property, key, "users")) * scale
	switch ga4Metrics[metric] {
	case "TYPE_INTEGER":
		f := map[string]float64{"newUsers": 0.4, "sessions": 1.3, "engagedSessions": 0.8, "screenPageViews": 3.1, "eventCount": 7.2, "conversions": 0.05, "keyEvents": 0.05, "transactions": 0.02}[metric]
		if f == 0 {
			f = 1
		}
		return strconv.Itoa(int(float64(base) * f))
	case "TYPE_FLOAT":
		return strconv.FormatFloat(0.3+float64(hashNum(500, property, key, metric))/1000, 'f', -1, 64)
	case "TYPE_SECONDS":
		return strconv.FormatFloat(60+float64(hashNum(24000, property, key, metric))/100, 'f', -1, 64)
	case "TYPE_CURRENCY":
		return strconv.FormatFloat(float64(base)*1.5, 'f', 2, 64)
	}
	return "0"
}

func (g *GA4) metadata(w http.ResponseWriter, r *http.Request, p params) {
	if !ga4Property(w, p["property"]) {
		return
	}
	var dims, mets []any
	names := make([]string, 0, len(ga4Dimensions))
	for n := range ga4Dimensions {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		dims = append(dims, map[string]any{"apiName": n, "uiName": n, "description": "The " + n + " dimension.", "category": "General"})
	}
	names = names[:0]
	for n := range ga4Metrics {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		mets = append(mets, map[string]any{"apiName": n, "uiName": n, "description": "The " + n + " metric.", "type": ga4Metrics[n], "category": "General"})
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": "properties/" + p["property"] + "/metadata", "dimensions": dims, "metrics": mets})
}

// ---- Search Console ----

// SearchConsole is a fake of the Search Console API (webmasters v3).
//
// Routes (base URL = server root): GET /webmasters/v3/sites ->
// {"siteEntry":[{"siteUrl","permissionLevel"}]}, GET /webmasters/v3/sites/{siteUrl}
// and POST /webmasters/v3/sites/{siteUrl}/searchAnalytics/query
// {"startDate","endDate","dimensions","rowLimit","startRow"} ->
// {"rows":[{"keys","clicks","impressions","ctr","position"}],"responseAggregationType"}
// (siteUrl path-escaped; dimensions query, page, date, country, device; rows
// ordered by clicks, descending; rowLimit default 1000, max 25000). Credentials:
// "Authorization: Bearer <token>". Errors are Google's
// {"error":{"code","message","errors":[{"message","domain","reason"}],"status"}};
// rate limit: 429 RESOURCE_EXHAUSTED with reason rateLimitExceeded.
//
// Seed and Records collections: "sites" ({"siteUrl","permissionLevel"}),
// "queries" ({"query"}, 25 seeded).
type SearchConsole struct {
	// URL is the API base URL (the server root); paths start with /webmasters/v3.
	URL string
	*server
}

func scError(w http.ResponseWriter, code int, message, reason string) {
	googleError(w, code, googleStatusName(code), message, map[string]any{
		"errors": []any{map[string]any{"message": message, "domain": "global", "reason": reason}},
	})
}

// NewSearchConsole starts a Search Console fake with two sites and 25 queries.
func NewSearchConsole(t testing.TB, opts Options) *SearchConsole {
	t.Helper()
	s := &SearchConsole{}
	s.server = newServer(t, opts, platform{
		credential: headerCredential("Authorization", "Bearer "),
		deny: func(w http.ResponseWriter, r *http.Request, present bool) {
			reason, msg := "required", "Login Required."
			if present {
				reason, msg = "authError", "Invalid Credentials"
			}
			googleDeny(w, present, map[string]any{"errors": []any{map[string]any{
				"message": msg, "domain": "global", "reason": reason, "location": "Authorization", "locationType": "header",
			}}})
		},
		limit: func(w http.ResponseWriter, r *http.Request) {
			googleError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", "Search Analytics QPS quota exceeded.", map[string]any{
				"errors": []any{map[string]any{"message": "Search Analytics QPS quota exceeded.", "domain": "usageLimits", "reason": "rateLimitExceeded"}},
			})
		},
		fail: func(w http.ResponseWriter, r *http.Request, status int, code, message string) {
			scError(w, status, message, code)
		},
	})
	s.URL = s.root
	s.handle("GET", "/webmasters/v3/sites", s.sites)
	s.handle("GET", "/webmasters/v3/sites/{site}", s.site)
	s.handle("POST", "/webmasters/v3/sites/{site}/searchAnalytics/query", s.query)
	s.Seed("sites",
		map[string]any{"siteUrl": "https://www.example.com/", "permissionLevel": "siteOwner"},
		map[string]any{"siteUrl": "sc-domain:example.com", "permissionLevel": "siteFullUser"},
	)
	topics := []string{"pricing", "login", "api", "docs", "support"}
	for i := 0; i < seedCount; i++ {
		s.Seed("queries", map[string]any{"query": fmt.Sprintf("example %s %d", topics[i%len(topics)], i+1)})
	}
	return s
}

func (s *SearchConsole) sites(w http.ResponseWriter, r *http.Request, p params) {
	entries := s.server.list("sites", nil)
	resp := map[string]any{}
	if len(entries) > 0 {
		resp["siteEntry"] = entries
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *SearchConsole) findSite(w http.ResponseWriter, site string) (map[string]any, bool) {
	got := s.server.list("sites", func(m map[string]any) bool { return str(m["siteUrl"]) == site })
	if len(got) == 0 {
		scError(w, http.StatusForbidden, "User does not have sufficient permission for site '"+site+"'. See also: https://support.google.com/webmasters/answer/2451999.", "forbidden")
		return nil, false
	}
	return got[0], true
}

func (s *SearchConsole) site(w http.ResponseWriter, r *http.Request, p params) {
	if e, ok := s.findSite(w, p["site"]); ok {
		writeJSON(w, http.StatusOK, e)
	}
}

func (s *SearchConsole) query(w http.ResponseWriter, r *http.Request, p params) {
	site := p["site"]
	if _, ok := s.findSite(w, site); !ok {
		return
	}
	var body struct {
		StartDate  string   `json:"startDate"`
		EndDate    string   `json:"endDate"`
		Dimensions []string `json:"dimensions"`
		RowLimit   int      `json:"rowLimit"`
		StartRow   int      `json:"startRow"`
	}
	if err := readJSON(r, &body); err != nil {
		scError(w, http.StatusBadRequest, "Invalid JSON payload received. "+err.Error(), "parseError")
		return
	}
	if body.StartDate == "" || body.EndDate == "" {
		scError(w, http.StatusBadRequest, "startDate and endDate fields are required.", "badRequest")
		return
	}
	start, err1 := time.Parse("2006-01-02", body.StartDate)
	end, err2 := time.Parse("2006-01-02", body.EndDate)
	if err1 != nil || err2 != nil || end.Before(start) {
		scError(w, http.StatusBadRequest, "Invalid date range: "+body.StartDate+" to "+body.EndDate+".", "badRequest")
		return
	}
	limit := body.RowLimit
	if limit <= 0 {
		limit = 1000
	}
	if limit > 25000 {
		scError(w, http.StatusBadRequest, "rowLimit must be at most 25000.", "badRequest")
		return
	}
	var queries []string
	for _, q := range s.server.list("queries", nil) {
		queries = append(queries, str(q["query"]))
	}
	var dates []string
	for _, d := range days(start, end) {
		dates = append(dates, d.Format("2006-01-02"))
	}
	domain := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(site, "sc-domain:"), "https://"), "http://")
	domain = strings.TrimSuffix(domain, "/")
	dimVals := map[string][]string{
		"query":   queries,
		"page":    {"https://" + domain + "/", "https://" + domain + "/pricing", "https://" + domain + "/docs"},
		"date":    dates,
		"country": {"usa", "deu", "fra"},
		"device":  {"DESKTOP", "MOBILE", "TABLET"},
	}
	combos := [][]string{{}}
	for _, d := range body.Dimensions {
		vals, ok := dimVals[d]
		if !ok {
			scError(w, http.StatusBadRequest, "Invalid dimension: "+d+".", "badRequest")
			return
		}
		var next [][]string
		for _, c := range combos {
			for _, v := range vals {
				next = append(next, append(append([]string{}, c...), v))
			}
		}
		combos = next
	}
	span := 1
	if !contains(body.Dimensions, "date") {
		span = len(dates)
	}
	type row struct {
		keys               []string
		clicks, impression int
		position           float64
	}
	var rows []row
	for _, c := range combos {
		k := site + "|" + strings.Join(c, "|")
		imp := (20 + hashNum(980, k, "imp")) * span
		rows = append(rows, row{keys: c, impression: imp, clicks: imp * (1 + hashNum(20, k, "ctr")) / 100, position: 1 + float64(hashNum(300, k, "pos"))/10})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].clicks > rows[j].clicks })
	page, _ := window(rows, body.StartRow, limit)
	out := make([]any, 0, len(page))
	for _, r := range page {
		m := map[string]any{
			"clicks": r.clicks, "impressions": r.impression,
			"ctr": float64(r.clicks) / float64(r.impression), "position": r.position,
		}
		if len(body.Dimensions) > 0 {
			m["keys"] = r.keys
		}
		out = append(out, m)
	}
	resp := map[string]any{"responseAggregationType": "byProperty"}
	if contains(body.Dimensions, "page") {
		resp["responseAggregationType"] = "byPage"
	}
	if len(out) > 0 {
		resp["rows"] = out
	}
	writeJSON(w, http.StatusOK, resp)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

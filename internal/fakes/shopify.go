package fakes

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Shopify is a fake of the Shopify Admin API, version 2025-01.
//
// POST /admin/api/2025-01/graphql.json takes {"query","variables"} and, by
// simple matching on the query text (not a GraphQL engine), answers the root
// fields `shop`, `orders(first:, after:, query:, reverse:)`,
// `products(first:, after:, query:, reverse:)` and the mutation
// `productCreate(product: $var)`, with full nodes whatever the selection,
// connections carrying both edges and nodes plus pageInfo {hasNextPage,
// hasPreviousPage, startCursor, endCursor}, and extensions.cost with
// throttleStatus. Arguments may be literals or $variables; query: supports
// created_at/updated_at with >, >=, <, <=. GET /admin/api/2025-01/shop.json is
// the REST shop resource. Credentials: X-Shopify-Access-Token. A bad token
// gets 401 {"errors":"[API] Invalid API key or access token (unrecognized login
// or wrong password)"}. A rate-limited GraphQL call gets, as documented, HTTP
// 200 with a THROTTLED error and extensions.cost; a rate-limited REST call gets
// 429 with Retry-After: 1.
//
// Seed and Records collections: "orders", "products", records shaped as the
// GraphQL nodes ("id" is a gid, "legacyResourceId" the number).
type Shopify struct {
	// URL is the server root (the shop's https://{shop}.myshopify.com); the
	// API lives under /admin/api/2025-01.
	URL string
	*server
}

const (
	shopifyAPI        = "/admin/api/2025-01"
	shopifyMaxCost    = 2000.0
	shopifyRestore    = 100.0
	shopifyMaxFirst   = 250
	shopifyThrottleTx = "Throttled"
)

// NewShopify starts a Shopify fake with 25 orders and 25 products.
func NewShopify(t testing.TB, opts Options) *Shopify {
	t.Helper()
	s := &Shopify{}
	s.server = newServer(t, opts, platform{
		credential: headerCredential("X-Shopify-Access-Token", ""),
		deny:       s.deny,
		limit:      s.limit,
		fail:       s.fail,
		prepare:    s.prepare,
	})
	s.URL = s.root
	s.handle("POST", shopifyAPI+"/graphql.json", s.graphql)
	s.handle("GET", shopifyAPI+"/shop.json", s.shopREST)

	statuses := []string{"PAID", "PENDING", "PAID", "REFUNDED", "PARTIALLY_PAID"}
	for i := 0; i < seedCount; i++ {
		first, last, email := seedPerson(i)
		created, updated := seedTimes(i)
		price := fmt.Sprintf("%d.00", 10+5*i)
		s.Seed("products", map[string]any{
			"title": fmt.Sprintf("Widget %02d", i+1), "handle": fmt.Sprintf("widget-%02d", i+1),
			"status": "ACTIVE", "vendor": "Fake Vendor", "productType": "Widgets", "tags": []any{"fake"},
			"descriptionHtml": "<p>A fine widget.</p>", "totalInventory": 10 + i,
			"createdAt": created.Format(time.RFC3339), "updatedAt": updated.Format(time.RFC3339),
		})
		total := fmt.Sprintf("%d.35", 20+7*i)
		s.Seed("orders", map[string]any{
			"name": fmt.Sprintf("#%d", 1001+i), "email": email,
			"createdAt": created.Format(time.RFC3339), "updatedAt": updated.Format(time.RFC3339),
			"processedAt": created.Format(time.RFC3339), "displayFinancialStatus": statuses[i%len(statuses)],
			"displayFulfillmentStatus": "FULFILLED", "currencyCode": "USD",
			"totalPriceSet":    map[string]any{"shopMoney": map[string]any{"amount": total, "currencyCode": "USD"}},
			"subtotalPriceSet": map[string]any{"shopMoney": map[string]any{"amount": price, "currencyCode": "USD"}},
			"customer": map[string]any{
				"id": fmt.Sprintf("gid://shopify/Customer/%d", 9001+i), "email": email, "firstName": first, "lastName": last,
			},
		})
	}
	return s
}

func (s *Shopify) prepare(kind string, rec map[string]any) {
	typ, start := "Product", 7001
	if kind == "orders" {
		typ, start = "Order", 5001
	}
	if str(rec["id"]) == "" {
		n := s.id(kind, start)
		rec["id"] = fmt.Sprintf("gid://shopify/%s/%d", typ, n)
		rec["legacyResourceId"] = strconv.Itoa(n)
	} else if str(rec["legacyResourceId"]) == "" {
		id := str(rec["id"])
		rec["legacyResourceId"] = id[strings.LastIndexByte(id, '/')+1:]
	}
	now := time.Now().UTC().Format(time.RFC3339)
	if _, ok := rec["createdAt"]; !ok {
		rec["createdAt"] = now
	}
	if _, ok := rec["updatedAt"]; !ok {
		rec["updatedAt"] = rec["createdAt"]
	}
}

func (s *Shopify) fail(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	if code == "not_found" {
		message = "Not Found"
	}
	writeJSON(w, status, map[string]any{"errors": message})
}

func (s *Shopify) deny(w http.ResponseWriter, r *http.Request, present bool) {
	writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
}

func (s *Shopify) limit(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/graphql.json") {
		writeJSON(w, http.StatusOK, map[string]any{
			"errors": []any{map[string]any{
				"message":    shopifyThrottleTx,
				"extensions": map[string]any{"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
			}},
			"extensions": map[string]any{"cost": map[string]any{
				"requestedQueryCost": 52, "actualQueryCost": nil,
				"throttleStatus": map[string]any{"maximumAvailable": shopifyMaxCost, "currentlyAvailable": 0, "restoreRate": shopifyRestore},
			}},
		})
		return
	}
	w.Header().Set("Retry-After", "1")
	w.Header().Set("X-Shopify-Shop-Api-Call-Limit", "40/40")
	writeJSON(w, http.StatusTooManyRequests, map[string]any{"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."})
}

func (s *Shopify) shopInfo() map[string]any {
	return map[string]any{
		"id": "gid://shopify/Shop/48000000001", "name": "Fake Shop", "email": "owner@fake-shop.example.com",
		"myshopifyDomain": "fake-shop.myshopify.com", "currencyCode": "USD", "ianaTimezone": "America/New_York",
		"contactEmail":  "owner@fake-shop.example.com",
		"primaryDomain": map[string]any{"url": "https://fake-shop.myshopify.com", "host": "fake-shop.myshopify.com"},
		"plan":          map[string]any{"displayName": "Basic", "partnerDevelopment": false, "shopifyPlus": false},
	}
}

func (s *Shopify) shopREST(w http.ResponseWriter, r *http.Request, p params) {
	w.Header().Set("X-Shopify-Shop-Api-Call-Limit", "1/40")
	writeJSON(w, http.StatusOK, map[string]any{"shop": map[string]any{
		"id": 48000000001, "name": "Fake Shop", "email": "owner@fake-shop.example.com",
		"domain": "fake-shop.myshopify.com", "myshopify_domain": "fake-shop.myshopify.com",
		"currency": "USD", "iana_timezone": "America/New_York", "plan_name": "basic",
		"created_at": baseTime.Format(time.RFC3339),
	}})
}

// gqlError is one GraphQL error.
func gqlError(message, code string) map[string]any {
	return map[string]any{"message": message, "extensions": map[string]any{"code": code}}
}

var (
	shopifyOrdersRe   = regexp.MustCompile(`\borders\s*(\(([^)]*)\))?\s*\{`)
	shopifyProductsRe = regexp.MustCompile(`\bproducts\s*(\(([^)]*)\))?\s*\{`)
	shopifyShopRe     = regexp.MustCompile(`\bshop\s*\{`)
	shopifyCreateRe   = regexp.MustCompile(`\bproductCreate\s*\(([^)]*)\)`)
	shopifyHookAddRe  = regexp.MustCompile(`\bwebhookSubscriptionCreate\s*\(([^)]*)\)`)
	shopifyHookDelRe  = regexp.MustCompile(`\bwebhookSubscriptionDelete\s*\(([^)]*)\)`)
	// shopifyHookTopics are WebhookSubscriptionTopic values the fake accepts.
	shopifyHookTopics = map[string]bool{"ORDERS_CREATE": true, "ORDERS_UPDATED": true, "ORDERS_PAID": true, "CUSTOMERS_CREATE": true,
		"CUSTOMERS_UPDATE": true, "PRODUCTS_CREATE": true, "PRODUCTS_UPDATE": true, "APP_UNINSTALLED": true}
)

func (s *Shopify) graphql(w http.ResponseWriter, r *http.Request, p params) {
	var body struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	if strings.HasPrefix(ct, "application/graphql") {
		if b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20)); err == nil {
			body.Query = string(b)
		}
	} else if err := readJSON(r, &body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]any{"query": "Required parameter missing or invalid"}})
		return
	}
	if strings.TrimSpace(body.Query) == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]any{"query": "Required parameter missing or invalid"}})
		return
	}
	// Look at the selection set only, not the operation's name and variable declarations.
	q := body.Query
	if i := strings.IndexByte(q, '{'); i >= 0 {
		q = q[i:]
	}
	data := map[string]any{}
	var errs []any
	cost := 1
	found := false
	if shopifyShopRe.MatchString(q) && !strings.Contains(q, "productCreate") {
		found = true
		data["shop"] = s.shopInfo()
	}
	for _, c := range []struct {
		re   *regexp.Regexp
		kind string
	}{{shopifyOrdersRe, "orders"}, {shopifyProductsRe, "products"}} {
		m := c.re.FindStringSubmatch(q)
		if m == nil {
			continue
		}
		found = true
		conn, n, err := s.connection(c.kind, parseGQLArgs(m[2], body.Variables))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		data[c.kind] = conn
		cost += 2 + n
	}
	if m := shopifyCreateRe.FindStringSubmatch(q); m != nil {
		found = true
		args := parseGQLArgs(m[1], body.Variables)
		if _, ok := args["input"]; ok {
			errs = append(errs, gqlError("Field 'productCreate' doesn't accept argument 'input'", "argumentNotAccepted"))
		} else {
			data["productCreate"] = s.productCreate(args["product"])
			cost += 10
		}
	}
	if m := shopifyHookAddRe.FindStringSubmatch(q); m != nil {
		found = true
		data["webhookSubscriptionCreate"] = s.webhookCreate(parseGQLArgs(m[1], body.Variables))
		cost += 10
	}
	if m := shopifyHookDelRe.FindStringSubmatch(q); m != nil {
		found = true
		data["webhookSubscriptionDelete"] = s.webhookDelete(parseGQLArgs(m[1], body.Variables))
		cost += 10
	}
	if !found {
		errs = append(errs, gqlError("fake Shopify: unsupported query (supported root fields: shop, orders, products, productCreate, webhookSubscriptionCreate, webhookSubscriptionDelete)", "undefinedField"))
	}
	resp := map[string]any{}
	if len(data) > 0 {
		resp["data"] = data
	}
	if len(errs) > 0 {
		resp["errors"] = errs
	}
	resp["extensions"] = map[string]any{"cost": map[string]any{
		"requestedQueryCost": cost, "actualQueryCost": cost,
		"throttleStatus": map[string]any{"maximumAvailable": shopifyMaxCost, "currentlyAvailable": shopifyMaxCost - float64(cost), "restoreRate": shopifyRestore},
	}}
	writeJSON(w, http.StatusOK, resp)
}

// parseGQLArgs parses "first: 10, after: $cursor, query: \"x\"" into values,
// resolving $variables.
func parseGQLArgs(s string, vars map[string]any) map[string]any {
	out := map[string]any{}
	var parts []string
	depth, inQuote, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		case c == ',' && depth == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	parts = append(parts, s[start:])
	for _, part := range parts {
		name, val, ok := strings.Cut(part, ":")
		if !ok {
			continue
		}
		name, val = strings.TrimSpace(name), strings.TrimSpace(val)
		switch {
		case strings.HasPrefix(val, "$"):
			if v, ok := vars[val[1:]]; ok {
				out[name] = v
			} else {
				out[name] = nil
			}
		case strings.HasPrefix(val, `"`):
			var sv string
			if err := json.Unmarshal([]byte(val), &sv); err == nil {
				out[name] = sv
			}
		case val == "true" || val == "false":
			out[name] = val == "true"
		case val == "null":
			out[name] = nil
		default:
			if n, err := strconv.Atoi(val); err == nil {
				out[name] = n
			} else {
				out[name] = val
			}
		}
	}
	return out
}

func gqlInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case float64:
		return int(x), true
	case json.Number:
		n, err := x.Int64()
		return int(n), err == nil
	}
	return 0, false
}

type shopifyCursor struct {
	LastID    int64  `json:"last_id"`
	LastValue string `json:"last_value"`
}

func shopifyEncodeCursor(legacyID string) string {
	n, _ := strconv.ParseInt(legacyID, 10, 64)
	b, _ := json.Marshal(shopifyCursor{LastID: n, LastValue: legacyID})
	return base64.StdEncoding.EncodeToString(b)
}

// shopifyFilter applies a search query's created_at/updated_at terms.
func shopifyFilter(query string) (func(map[string]any) bool, error) {
	type term struct{ field, op, value string }
	var terms []term
	for _, tok := range strings.Fields(query) {
		if strings.EqualFold(tok, "AND") {
			continue
		}
		field, rest, ok := strings.Cut(tok, ":")
		if !ok || (field != "created_at" && field != "updated_at") {
			continue
		}
		op := ""
		for _, o := range []string{">=", "<=", ">", "<"} {
			if strings.HasPrefix(rest, o) {
				op, rest = o, rest[len(o):]
				break
			}
		}
		v := strings.Trim(rest, `'"`)
		if _, err := parseFlexTime(v); err != nil {
			return nil, fmt.Errorf("invalid date in query: %s", tok)
		}
		terms = append(terms, term{map[string]string{"created_at": "createdAt", "updated_at": "updatedAt"}[field], op, v})
	}
	return func(m map[string]any) bool {
		for _, t := range terms {
			have, err1 := parseFlexTime(str(m[t.field]))
			want, _ := parseFlexTime(t.value)
			if err1 != nil {
				return false
			}
			var ok bool
			switch t.op {
			case ">":
				ok = have.After(want)
			case ">=":
				ok = !have.Before(want)
			case "<":
				ok = have.Before(want)
			case "<=":
				ok = !have.After(want)
			default:
				ok = have.Equal(want)
			}
			if !ok {
				return false
			}
		}
		return true
	}, nil
}

// parseFlexTime parses RFC 3339 or a plain date.
func parseFlexTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", s)
}

func (s *Shopify) connection(kind string, args map[string]any) (map[string]any, int, any) {
	if _, ok := args["last"]; ok {
		return nil, 0, gqlError("fake Shopify: only forward pagination (first/after) is supported", "argumentNotAccepted")
	}
	first, ok := gqlInt(args["first"])
	if !ok {
		return nil, 0, gqlError("you must provide one of first or last", "BAD_REQUEST")
	}
	if first < 0 || first > shopifyMaxFirst {
		return nil, 0, gqlError(fmt.Sprintf("The first argument must be at most %d.", shopifyMaxFirst), "MAX_COST_EXCEEDED")
	}
	keep, err := shopifyFilter(str(args["query"]))
	if err != nil {
		return nil, 0, gqlError(err.Error(), "BAD_REQUEST")
	}
	recs := s.server.list(kind, keep)
	if args["reverse"] == true {
		for i, j := 0, len(recs)-1; i < j; i, j = i+1, j-1 {
			recs[i], recs[j] = recs[j], recs[i]
		}
	}
	offset := 0
	if after := str(args["after"]); after != "" {
		b, err := base64.StdEncoding.DecodeString(after)
		var c shopifyCursor
		if err != nil || json.Unmarshal(b, &c) != nil {
			return nil, 0, gqlError("Invalid cursor for current pagination sort.", "BAD_REQUEST")
		}
		offset = -1
		for i, rec := range recs {
			if str(rec["legacyResourceId"]) == c.LastValue {
				offset = i + 1
				break
			}
		}
		if offset < 0 {
			return nil, 0, gqlError("Invalid cursor for current pagination sort.", "BAD_REQUEST")
		}
	}
	page, more := window(recs, offset, first)
	edges := make([]any, 0, len(page))
	nodes := make([]any, 0, len(page))
	for _, rec := range page {
		edges = append(edges, map[string]any{"cursor": shopifyEncodeCursor(str(rec["legacyResourceId"])), "node": rec})
		nodes = append(nodes, rec)
	}
	info := map[string]any{"hasNextPage": more, "hasPreviousPage": offset > 0, "startCursor": nil, "endCursor": nil}
	if len(page) > 0 {
		info["startCursor"] = shopifyEncodeCursor(str(page[0]["legacyResourceId"]))
		info["endCursor"] = shopifyEncodeCursor(str(page[len(page)-1]["legacyResourceId"]))
	}
	return map[string]any{"edges": edges, "nodes": nodes, "pageInfo": info}, len(page), nil
}

func (s *Shopify) productCreate(in any) map[string]any {
	input, _ := in.(map[string]any)
	if strings.TrimSpace(str(input["title"])) == "" {
		return map[string]any{"product": nil, "userErrors": []any{map[string]any{"field": []string{"title"}, "message": "Title can't be blank"}}}
	}
	rec := map[string]any{"status": "ACTIVE", "vendor": "", "productType": "", "tags": []any{}, "descriptionHtml": "", "totalInventory": 0}
	for k, v := range input {
		rec[k] = v
	}
	if str(rec["handle"]) == "" {
		rec["handle"] = strings.ToLower(strings.Join(strings.Fields(str(rec["title"])), "-"))
	}
	delete(rec, "id")
	delete(rec, "createdAt")
	delete(rec, "updatedAt")
	return map[string]any{"product": s.insert("products", rec), "userErrors": []any{}}
}

// webhookCreate is the webhookSubscriptionCreate mutation: a known topic
// and an http(s) callbackUrl make a subscription (collection
// "webhookSubscriptions"); anything else answers userErrors.
func (s *Shopify) webhookCreate(args map[string]any) map[string]any {
	topic := str(args["topic"])
	sub, _ := args["webhookSubscription"].(map[string]any)
	cb := str(sub["callbackUrl"])
	var userErrors []any
	if !shopifyHookTopics[topic] {
		userErrors = append(userErrors, map[string]any{"field": []any{"topic"}, "message": "Topic is invalid"})
	}
	if !strings.HasPrefix(cb, "https://") && !strings.HasPrefix(cb, "http://") {
		userErrors = append(userErrors, map[string]any{"field": []any{"webhookSubscription", "callbackUrl"}, "message": "Address is invalid"})
	}
	if len(userErrors) > 0 {
		return map[string]any{"webhookSubscription": nil, "userErrors": userErrors}
	}
	s.mu.Lock()
	n := len(s.data["webhookSubscriptions"]) + 1
	for _, r := range s.data["webhookSubscriptions"] {
		var id int
		fmt.Sscanf(str(r["legacyResourceId"]), "%d", &id)
		if id >= n {
			n = id + 1
		}
	}
	rec := map[string]any{"id": fmt.Sprintf("gid://shopify/WebhookSubscription/%d", n), "legacyResourceId": fmt.Sprint(n),
		"topic": topic, "format": "JSON", "endpoint": map[string]any{"__typename": "WebhookHttpEndpoint", "callbackUrl": cb}}
	s.data["webhookSubscriptions"] = append(s.data["webhookSubscriptions"], rec)
	s.mu.Unlock()
	return map[string]any{"webhookSubscription": cloneMap(rec), "userErrors": []any{}}
}

// webhookDelete is the webhookSubscriptionDelete mutation.
func (s *Shopify) webhookDelete(args map[string]any) map[string]any {
	id := str(args["id"])
	s.mu.Lock()
	defer s.mu.Unlock()
	subs := s.data["webhookSubscriptions"]
	for i, r := range subs {
		if str(r["id"]) == id {
			s.data["webhookSubscriptions"] = append(subs[:i:i], subs[i+1:]...)
			return map[string]any{"deletedWebhookSubscriptionId": id, "userErrors": []any{}}
		}
	}
	return map[string]any{"deletedWebhookSubscriptionId": nil,
		"userErrors": []any{map[string]any{"field": []any{"id"}, "message": "Webhook subscription does not exist"}}}
}

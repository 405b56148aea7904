package fakes

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ---- shared WordPress REST shapes ----

// wpError writes a WP_Error: {"code","message","data":{"status"}}.
func wpError(w http.ResponseWriter, status int, code, message string, extra map[string]any) {
	data := map[string]any{"status": status}
	for k, v := range extra {
		data[k] = v
	}
	writeJSON(w, status, map[string]any{"code": code, "message": message, "data": data})
}

// wpTime formats a time the way the WordPress REST API does (no zone).
func wpTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }

// wpHostLimit answers a rate-limited request; WordPress core has no rate
// limit, so this is what a host or WAF in front of it typically sends.
func wpHostLimit(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", "1")
	wpError(w, http.StatusTooManyRequests, "rest_too_many_requests", "Too many requests. Please try again later.", nil)
}

// wpBasic accepts HTTP Basic credentials with a non-empty user and password.
func wpBasic(r *http.Request) (*http.Request, bool) {
	user, pass, ok := r.BasicAuth()
	return r, ok && user != "" && pass != ""
}

// wpPage reads page and per_page (1..100); ok=false after writing the error.
func wpPage(w http.ResponseWriter, r *http.Request, defPerPage int) (page, perPage int, ok bool) {
	q := r.URL.Query()
	page, ok1 := intParam(q, "page", 1)
	perPage, ok2 := intParam(q, "per_page", defPerPage)
	bad := map[string]any{}
	if !ok1 || page < 1 {
		bad["page"] = "page must be greater than or equal to 1"
	}
	if !ok2 || perPage < 1 || perPage > 100 {
		bad["per_page"] = "per_page must be between 1 (inclusive) and 100 (inclusive)"
	}
	if len(bad) > 0 {
		names := make([]string, 0, len(bad))
		for k := range bad {
			names = append(names, k)
		}
		sort.Strings(names)
		wpError(w, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): "+strings.Join(names, ", "), map[string]any{"params": bad})
		return 0, 0, false
	}
	return page, perPage, true
}

// wpLinks sets X-WP-Total, X-WP-TotalPages and the Link header.
func wpLinks(w http.ResponseWriter, r *http.Request, base string, total, page, perPage int) {
	pages := (total + perPage - 1) / perPage
	w.Header().Set("X-WP-Total", strconv.Itoa(total))
	w.Header().Set("X-WP-TotalPages", strconv.Itoa(pages))
	link := func(p int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		return "<" + base + r.URL.Path + "?" + q.Encode() + ">"
	}
	var links []string
	if page > 1 && page-1 <= max(pages, 1) {
		links = append(links, link(page-1)+`; rel="prev"`)
	}
	if page < pages {
		links = append(links, link(page+1)+`; rel="next"`)
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
}

// ---- WooCommerce ----

// WooCommerce is a fake of the WooCommerce REST API v3.
//
// Routes, under /wp-json/wc/v3: GET /orders, /products, /customers
// ?page&per_page (1..100, default 10)&order&after&modified_after&status&search
// with X-WP-Total, X-WP-TotalPages and Link (rel="next"/"prev") headers;
// orders and products come newest first, customers by id (order=asc|desc
// reverses), GET /{collection}/{id}, POST /products and GET /system_status.
// Credentials: HTTP Basic consumer_key:consumer_secret, or the consumer_key
// and consumer_secret query parameters (given to Options.Authorize as Basic).
// Errors are WP_Error {"code","message","data":{"status"}}: 401
// woocommerce_rest_cannot_view (no credentials) or
// woocommerce_rest_authentication_error (rejected). WooCommerce has no rate
// limit of its own; a rate-limited request gets what a host in front would
// send: 429, Retry-After: 1, code rest_too_many_requests.
//
// POST /webhooks and DELETE /webhooks/{id}?force=true manage webhooks.
//
// Seed and Records collections: "orders", "products", "customers" and
// "webhooks" (with the secret given at creation), shaped as in the
// WooCommerce documentation (integer "id").
type WooCommerce struct {
	// URL is the API base URL: the server root followed by /wp-json/wc/v3.
	URL string
	// Root is the server root (the store's site URL).
	Root string
	*server
}

const wcPrefix = "/wp-json/wc/v3"

// NewWooCommerce starts a WooCommerce fake with 25 orders, products and customers.
func NewWooCommerce(t testing.TB, opts Options) *WooCommerce {
	t.Helper()
	c := &WooCommerce{}
	c.server = newServer(t, opts, platform{
		credential: func(r *http.Request) (*http.Request, bool) {
			if _, ok := wpBasic(r); ok {
				return r, true
			}
			q := r.URL.Query()
			if ck, cs := q.Get("consumer_key"), q.Get("consumer_secret"); ck != "" && cs != "" {
				return withHeader(r, "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(ck+":"+cs))), true
			}
			return r, false
		},
		deny: func(w http.ResponseWriter, r *http.Request, present bool) {
			switch {
			case present:
				wpError(w, http.StatusUnauthorized, "woocommerce_rest_authentication_error", "Consumer key is invalid.", nil)
			case r.Method == http.MethodPost:
				wpError(w, http.StatusUnauthorized, "woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources.", nil)
			default:
				wpError(w, http.StatusUnauthorized, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.", nil)
			}
		},
		limit: wpHostLimit,
		fail: func(w http.ResponseWriter, r *http.Request, status int, code, message string) {
			wpError(w, http.StatusNotFound, "rest_no_route", "No route was found matching the URL and request method.", nil)
		},
		prepare: func(kind string, rec map[string]any) {
			if _, ok := rec["id"]; !ok {
				rec["id"] = c.id(kind, map[string]int{"orders": 700, "products": 100, "customers": 20}[kind])
			}
			now := wpTime(time.Now())
			for _, f := range []string{"date_created", "date_modified"} {
				if _, ok := rec[f]; !ok {
					rec[f] = now
				}
				if _, ok := rec[f+"_gmt"]; !ok {
					rec[f+"_gmt"] = rec[f]
				}
			}
			links := map[string]any{
				"self":       []any{map[string]any{"href": c.URL + "/" + kind + "/" + str(rec["id"])}},
				"collection": []any{map[string]any{"href": c.URL + "/" + kind}},
			}
			rec["_links"] = links
		},
	})
	c.Root = c.root
	c.URL = c.root + wcPrefix
	for _, kind := range []string{"orders", "products", "customers"} {
		kind := kind
		c.handle("GET", wcPrefix+"/"+kind, func(w http.ResponseWriter, r *http.Request, p params) { c.list(w, r, kind) })
		c.handle("GET", wcPrefix+"/"+kind+"/{id}", func(w http.ResponseWriter, r *http.Request, p params) { c.get(w, r, kind, p["id"]) })
	}
	c.handle("POST", wcPrefix+"/products", c.createProduct)
	c.handle("POST", wcPrefix+"/webhooks", c.createWebhook)
	c.handle("DELETE", wcPrefix+"/webhooks/{id}", c.deleteWebhook)
	c.handle("GET", wcPrefix+"/system_status", c.systemStatus)

	for i := 0; i < seedCount; i++ {
		first, last, email := seedPerson(i)
		created, updated := seedTimes(i)
		address := map[string]any{"first_name": first, "last_name": last, "company": "", "address_1": fmt.Sprintf("%d Market St", 100+i),
			"address_2": "", "city": "San Francisco", "state": "CA", "postcode": "94103", "country": "US"}
		billing := cloneMap(address)
		billing["email"], billing["phone"] = email, fmt.Sprintf("(555) 555-01%02d", i)
		c.Seed("customers", map[string]any{
			"date_created": wpTime(created), "date_created_gmt": wpTime(created), "date_modified": wpTime(updated), "date_modified_gmt": wpTime(updated),
			"email": email, "first_name": first, "last_name": last, "role": "customer", "username": strings.ToLower(first + "." + last),
			"billing": billing, "shipping": address, "is_paying_customer": i%2 == 0,
			"avatar_url": "https://secure.gravatar.com/avatar/" + md5hex(email) + "?s=96", "meta_data": []any{},
		})
		price := fmt.Sprintf("%d.00", 10+5*i)
		c.Seed("products", map[string]any{
			"name": fmt.Sprintf("Widget %02d", i+1), "slug": fmt.Sprintf("widget-%02d", i+1),
			"permalink":    c.root + fmt.Sprintf("/product/widget-%02d/", i+1),
			"date_created": wpTime(created), "date_created_gmt": wpTime(created), "date_modified": wpTime(updated), "date_modified_gmt": wpTime(updated),
			"type": "simple", "status": "publish", "featured": false, "catalog_visibility": "visible",
			"description": "<p>A fine widget.</p>", "short_description": "", "sku": fmt.Sprintf("WID-%02d", i+1),
			"price": price[:len(price)-3], "regular_price": price[:len(price)-3], "sale_price": "", "on_sale": false, "purchasable": true,
			"total_sales": i, "virtual": false, "downloadable": false, "tax_status": "taxable", "manage_stock": true,
			"stock_quantity": 10 + i, "stock_status": "instock", "categories": []any{map[string]any{"id": 9, "name": "Widgets", "slug": "widgets"}},
			"tags": []any{}, "images": []any{}, "attributes": []any{}, "meta_data": []any{},
		})
		total := fmt.Sprintf("%d.35", 20+7*i)
		statuses := []string{"processing", "completed", "on-hold", "completed", "refunded"}
		c.Seed("orders", map[string]any{
			"parent_id": 0, "number": strconv.Itoa(700 + i), "order_key": fmt.Sprintf("wc_order_fake%04d", i), "created_via": "checkout",
			"version": "9.5.1", "status": statuses[i%len(statuses)], "currency": "USD",
			"date_created": wpTime(created), "date_created_gmt": wpTime(created), "date_modified": wpTime(updated), "date_modified_gmt": wpTime(updated),
			"discount_total": "0.00", "discount_tax": "0.00", "shipping_total": "10.00", "shipping_tax": "0.00", "cart_tax": "1.35",
			"total": total, "total_tax": "1.35", "prices_include_tax": false, "customer_id": 20 + i, "customer_note": "",
			"billing": billing, "shipping": address, "payment_method": "bacs", "payment_method_title": "Direct Bank Transfer",
			"transaction_id": "", "date_paid": wpTime(created), "date_paid_gmt": wpTime(created), "date_completed": nil, "date_completed_gmt": nil,
			"meta_data": []any{}, "line_items": []any{map[string]any{
				"id": 300 + i, "name": fmt.Sprintf("Widget %02d", i+1), "product_id": 100 + i, "variation_id": 0, "quantity": 1,
				"tax_class": "", "subtotal": price, "subtotal_tax": "1.35", "total": price, "total_tax": "1.35", "sku": fmt.Sprintf("WID-%02d", i+1),
			}},
			"tax_lines": []any{}, "shipping_lines": []any{}, "fee_lines": []any{}, "coupon_lines": []any{}, "refunds": []any{},
		})
	}
	return c
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(strings.ToLower(strings.TrimSpace(s))))
	return hex.EncodeToString(sum[:])
}

func (c *WooCommerce) list(w http.ResponseWriter, r *http.Request, kind string) {
	page, perPage, ok := wpPage(w, r, 10)
	if !ok {
		return
	}
	q := r.URL.Query()
	var after, modifiedAfter time.Time
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"after", &after}, {"modified_after", &modifiedAfter}} {
		if v := q.Get(f.name); v != "" {
			t, err := parseWPTime(v)
			if err != nil {
				wpError(w, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): "+f.name, map[string]any{"params": map[string]any{f.name: "Invalid date."}})
				return
			}
			*f.dst = t
		}
	}
	status := q.Get("status")
	search := strings.ToLower(q.Get("search"))
	items := c.server.list(kind, func(m map[string]any) bool {
		if status != "" && status != "any" && kind != "customers" && str(m["status"]) != status {
			return false
		}
		if !after.IsZero() {
			t, err := parseWPTime(str(m["date_created_gmt"]))
			if err != nil || !t.After(after) {
				return false
			}
		}
		if !modifiedAfter.IsZero() {
			t, err := parseWPTime(str(m["date_modified_gmt"]))
			if err != nil || !t.After(modifiedAfter) {
				return false
			}
		}
		if search != "" {
			hay := strings.ToLower(str(m["name"]) + " " + str(m["email"]) + " " + str(m["first_name"]) + " " + str(m["last_name"]) + " " + str(m["sku"]) + " " + str(m["number"]))
			return strings.Contains(hay, search)
		}
		return true
	})
	order := q.Get("order")
	if order == "" {
		order = "desc"
		if kind == "customers" {
			order = "asc"
		}
	}
	if order != "asc" && order != "desc" {
		wpError(w, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): order", map[string]any{"params": map[string]any{"order": "order is not one of asc and desc."}})
		return
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := str(items[i]["date_created_gmt"]), str(items[j]["date_created_gmt"])
		if kind == "customers" || a == b {
			ai, _ := strconv.Atoi(str(items[i]["id"]))
			bi, _ := strconv.Atoi(str(items[j]["id"]))
			return ai < bi
		}
		return a < b
	})
	if order == "desc" {
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
	}
	rows, _ := window(items, (page-1)*perPage, perPage)
	wpLinks(w, r, c.root, len(items), page, perPage)
	writeJSON(w, http.StatusOK, rows)
}

func parseWPTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid date %q", s)
}

func (c *WooCommerce) get(w http.ResponseWriter, r *http.Request, kind, id string) {
	got := c.server.list(kind, func(m map[string]any) bool { return str(m["id"]) == id })
	if len(got) == 0 {
		code := map[string]string{"orders": "woocommerce_rest_shop_order_invalid_id", "products": "woocommerce_rest_product_invalid_id", "customers": "woocommerce_rest_invalid_id"}[kind]
		wpError(w, http.StatusNotFound, code, "Invalid ID.", nil)
		return
	}
	writeJSON(w, http.StatusOK, got[0])
}

func (c *WooCommerce) createProduct(w http.ResponseWriter, r *http.Request, p params) {
	in := map[string]any{}
	if strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/json") {
		if err := readJSON(r, &in); err != nil {
			wpError(w, http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.", nil)
			return
		}
	} else {
		_ = r.ParseForm()
		for k := range r.PostForm {
			in[k] = r.PostForm.Get(k)
		}
	}
	ty := str(in["type"])
	if ty == "" {
		ty = "simple"
	}
	switch ty {
	case "simple", "grouped", "external", "variable":
	default:
		wpError(w, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): type", map[string]any{"params": map[string]any{"type": "type is not one of simple, grouped, external, and variable."}})
		return
	}
	name := str(in["name"])
	slug := str(in["slug"])
	if slug == "" {
		slug = strings.ToLower(strings.Join(strings.Fields(name), "-"))
	}
	rec := map[string]any{
		"name": name, "slug": slug, "permalink": c.root + "/product/" + slug + "/", "type": ty, "status": "publish",
		"featured": false, "catalog_visibility": "visible", "description": "", "short_description": "", "sku": "",
		"price": "", "regular_price": "", "sale_price": "", "on_sale": false, "purchasable": false, "total_sales": 0,
		"virtual": false, "downloadable": false, "tax_status": "taxable", "manage_stock": false, "stock_quantity": nil,
		"stock_status": "instock", "categories": []any{}, "tags": []any{}, "images": []any{}, "attributes": []any{}, "meta_data": []any{},
	}
	for k, v := range in {
		if k != "id" {
			rec[k] = v
		}
	}
	rec["type"] = ty
	rec["price"] = rec["regular_price"]
	rec["purchasable"] = str(rec["regular_price"]) != ""
	writeJSON(w, http.StatusCreated, c.insert("products", rec))
}

// wcWebhookTopics are the topics WooCommerce accepts ("<resource>.<event>").
var wcWebhookTopics = map[string]bool{}

func init() {
	for _, res := range []string{"coupon", "customer", "order", "product"} {
		for _, ev := range []string{"created", "updated", "deleted", "restored"} {
			wcWebhookTopics[res+"."+ev] = true
		}
	}
}

// createWebhook is POST /webhooks: topic and delivery_url are required;
// the answer omits the secret, as WooCommerce's does.
func (c *WooCommerce) createWebhook(w http.ResponseWriter, r *http.Request, p params) {
	in := map[string]any{}
	if err := readJSON(r, &in); err != nil {
		wpError(w, http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.", nil)
		return
	}
	topic, url := str(in["topic"]), str(in["delivery_url"])
	if !wcWebhookTopics[topic] {
		wpError(w, http.StatusBadRequest, "woocommerce_rest_webhook_invalid_topic", "Webhook topic is required and must be valid.", nil)
		return
	}
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		wpError(w, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): delivery_url", nil)
		return
	}
	status := str(in["status"])
	if status == "" {
		status = "active"
	}
	rec := c.insert("webhooks", map[string]any{"name": str(in["name"]), "status": status, "topic": topic,
		"resource": strings.Split(topic, ".")[0], "event": strings.Split(topic, ".")[1], "hooks": []any{"woocommerce_" + strings.ReplaceAll(topic, ".", "_")},
		"delivery_url": url, "secret": str(in["secret"]), "date_created": wpTime(time.Now())})
	out := cloneMap(rec)
	delete(out, "secret")
	writeJSON(w, http.StatusCreated, out)
}

// deleteWebhook is DELETE /webhooks/{id}?force=true; webhooks cannot be
// trashed, so without force WooCommerce answers 501.
func (c *WooCommerce) deleteWebhook(w http.ResponseWriter, r *http.Request, p params) {
	if r.URL.Query().Get("force") != "true" {
		wpError(w, http.StatusNotImplemented, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", nil)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	hooks := c.data["webhooks"]
	for i, h := range hooks {
		if str(h["id"]) == p["id"] {
			c.data["webhooks"] = append(hooks[:i:i], hooks[i+1:]...)
			out := cloneMap(h)
			delete(out, "secret")
			writeJSON(w, http.StatusOK, out)
			return
		}
	}
	wpError(w, http.StatusNotFound, "woocommerce_rest_webhook_invalid_id", "Invalid ID.", nil)
}

func (c *WooCommerce) systemStatus(w http.ResponseWriter, r *http.Request, p params) {
	writeJSON(w, http.StatusOK, map[string]any{
		"environment": map[string]any{
			"home_url": c.root, "site_url": c.root, "version": "9.5.1", "wp_version": "6.7.1", "wp_multisite": false,
			"wp_memory_limit": 268435456, "wp_debug_mode": false, "language": "en_US", "php_version": "8.2.0",
			"external_object_cache": nil, "secure_connection": false, "hide_errors": true,
		},
		"database":       map[string]any{"wc_database_version": "9.5.1", "database_prefix": "wp_"},
		"active_plugins": []any{map[string]any{"plugin": "woocommerce/woocommerce.php", "name": "WooCommerce", "version": "9.5.1"}},
		"theme":          map[string]any{"name": "Storefront", "version": "4.6.0"},
		"settings":       map[string]any{"api_enabled": true, "force_ssl": false, "currency": "USD", "currency_symbol": "&#36;"},
		"security":       map[string]any{"secure_connection": false, "hide_errors": true},
		"pages":          []any{},
	})
}

// ---- FluentCRM ----

// FluentCRM is a fake of the FluentCRM REST API v2 (a WordPress plugin).
//
// Routes, under /wp-json/fluent-crm/v2: GET /subscribers?page&per_page
// (default 10)&search&sort_by&sort_type (default id DESC) ->
// {"subscribers":{"current_page","data","first_page_url","from","last_page",
// "last_page_url","next_page_url","path","per_page","prev_page_url","to","total"}},
// GET /subscribers/{id} -> {"subscriber"}, POST /subscribers (JSON or form:
// email, first_name, last_name, status, lists, tags) -> {"message","contact"}
// (422 {"email":{"required"|"unique": ...}} when invalid), GET /lists ->
// {"lists"} and GET /tags -> {"tags"}. Records follow the documentation's
// examples (ids as strings). Credentials: HTTP Basic user:application
// password. Errors are WP_Error {"code","message","data":{"status"}}: 401
// rest_forbidden (no credentials) or incorrect_password (rejected). No rate
// limit in FluentCRM; a rate-limited request gets what a host in front would
// send: 429, Retry-After: 1, code rest_too_many_requests.
//
// Seed and Records collections: "subscribers" (25 seeded), "lists" (3),
// "tags" (3).
type FluentCRM struct {
	// URL is the API base URL: the server root followed by /wp-json/fluent-crm/v2.
	URL string
	// Root is the server root (the WordPress site URL).
	Root string
	*server
}

const fluentPrefix = "/wp-json/fluent-crm/v2"

// fluentTime formats a time the way FluentCRM does (MySQL DATETIME).
func fluentTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }

// NewFluentCRM starts a FluentCRM fake with 25 subscribers, 3 lists and 3 tags.
func NewFluentCRM(t testing.TB, opts Options) *FluentCRM {
	t.Helper()
	f := &FluentCRM{}
	f.server = newServer(t, opts, platform{
		credential: wpBasic,
		deny: func(w http.ResponseWriter, r *http.Request, present bool) {
			if present {
				wpError(w, http.StatusUnauthorized, "incorrect_password", "The provided password is an invalid application password.", nil)
				return
			}
			wpError(w, http.StatusUnauthorized, "rest_forbidden", "Sorry, you are not allowed to do that.", nil)
		},
		limit: wpHostLimit,
		fail: func(w http.ResponseWriter, r *http.Request, status int, code, message string) {
			wpError(w, http.StatusNotFound, "rest_no_route", "No route was found matching the URL and request method.", nil)
		},
		prepare: func(kind string, rec map[string]any) {
			if str(rec["id"]) == "" {
				rec["id"] = strconv.Itoa(f.id(kind, 1))
			}
			now := fluentTime(time.Now())
			for _, k := range []string{"created_at", "updated_at"} {
				if _, ok := rec[k]; !ok {
					rec[k] = now
				}
			}
		},
	})
	f.Root = f.root
	f.URL = f.root + fluentPrefix
	f.handle("GET", fluentPrefix+"/subscribers", f.subscribers)
	f.handle("POST", fluentPrefix+"/subscribers", f.createSubscriber)
	f.handle("GET", fluentPrefix+"/subscribers/{id}", f.subscriber)
	f.handle("GET", fluentPrefix+"/lists", func(w http.ResponseWriter, r *http.Request, p params) {
		writeJSON(w, http.StatusOK, map[string]any{"lists": f.server.list("lists", nil)})
	})
	f.handle("GET", fluentPrefix+"/tags", func(w http.ResponseWriter, r *http.Request, p params) {
		writeJSON(w, http.StatusOK, map[string]any{"tags": f.server.list("tags", nil)})
	})
	for i, title := range []string{"Newsletter", "Customers", "Beta testers"} {
		slug := strings.ToLower(strings.ReplaceAll(title, " ", "-"))
		f.Seed("lists", map[string]any{"title": title, "slug": slug, "description": nil, "is_public": "0",
			"created_at": fluentTime(baseTime), "updated_at": fluentTime(baseTime), "totalCount": 0, "subscribersCount": 0})
		_ = i
	}
	for _, title := range []string{"Lead", "Customer", "VIP"} {
		f.Seed("tags", map[string]any{"title": title, "slug": strings.ToLower(title), "description": nil,
			"created_at": fluentTime(baseTime), "updated_at": fluentTime(baseTime), "totalCount": 0, "subscribersCount": 0})
	}
	for i := 0; i < seedCount; i++ {
		first, last, email := seedPerson(i)
		created, updated := seedTimes(i)
		status := "subscribed"
		if i%6 == 5 {
			status = "unsubscribed"
		}
		f.Seed("subscribers", f.contact(email, first, last, status, created, updated))
	}
	return f
}

func (f *FluentCRM) contact(email, first, last, status string, created, updated time.Time) map[string]any {
	hash := md5hex(email)
	return map[string]any{
		"user_id": nil, "hash": hash, "contact_owner": nil, "company_id": nil, "prefix": nil,
		"first_name": first, "last_name": last, "email": email, "timezone": nil,
		"address_line_1": nil, "address_line_2": nil, "postal_code": nil, "city": nil, "state": nil, "country": nil,
		"ip": nil, "latitude": nil, "longitude": nil, "total_points": "0", "life_time_value": "0", "phone": nil,
		"status": status, "contact_type": "lead", "source": "api", "avatar": nil, "date_of_birth": nil,
		"created_at": fluentTime(created), "last_activity": nil, "updated_at": fluentTime(updated),
		"photo":     "https://www.gravatar.com/avatar/" + hash + "?s=128",
		"full_name": strings.TrimSpace(first + " " + last), "tags": []any{}, "lists": []any{},
	}
}

func (f *FluentCRM) subscribers(w http.ResponseWriter, r *http.Request, p params) {
	page, perPage, ok := wpPage(w, r, 10)
	if !ok {
		return
	}
	q := r.URL.Query()
	search := strings.ToLower(strings.TrimSpace(q.Get("search")))
	items := f.server.list("subscribers", func(m map[string]any) bool {
		if search == "" {
			return true
		}
		return strings.Contains(strings.ToLower(str(m["email"])+" "+str(m["full_name"])), search)
	})
	sortBy := q.Get("sort_by")
	if sortBy == "" {
		sortBy = "id"
	}
	desc := !strings.EqualFold(q.Get("sort_type"), "ASC")
	sort.SliceStable(items, func(i, j int) bool {
		c := hubspotCompare(str(items[i][sortBy]), str(items[j][sortBy]))
		if desc {
			return c > 0
		}
		return c < 0
	})
	rows, _ := window(items, (page-1)*perPage, perPage)
	total := len(items)
	last := max(1, (total+perPage-1)/perPage)
	pageURL := func(n int) any {
		if n < 1 || n > last {
			return nil
		}
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("page", strconv.Itoa(n))
		return f.URL + "/subscribers?" + nq.Encode()
	}
	var from, to any
	if len(rows) > 0 {
		from, to = (page-1)*perPage+1, (page-1)*perPage+len(rows)
	}
	writeJSON(w, http.StatusOK, map[string]any{"subscribers": map[string]any{
		"current_page": page, "data": rows, "first_page_url": pageURL(1), "from": from, "last_page": last,
		"last_page_url": pageURL(last), "next_page_url": pageURL(page + 1), "path": f.URL + "/subscribers",
		"per_page": perPage, "prev_page_url": pageURL(page - 1), "to": to, "total": total,
	}})
}

func (f *FluentCRM) subscriber(w http.ResponseWriter, r *http.Request, p params) {
	got := f.server.list("subscribers", func(m map[string]any) bool { return str(m["id"]) == p["id"] })
	if len(got) == 0 {
		wpError(w, http.StatusNotFound, "rest_not_found", "Subscriber not found", nil)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"subscriber": got[0]})
}

var fluentStatuses = map[string]bool{"subscribed": true, "pending": true, "unsubscribed": true, "bounced": true, "complained": true, "transactional": true}

func (f *FluentCRM) createSubscriber(w http.ResponseWriter, r *http.Request, p params) {
	in := map[string]any{}
	if strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/json") {
		if err := readJSON(r, &in); err != nil {
			wpError(w, http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.", nil)
			return
		}
	} else {
		_ = r.ParseForm()
		for k, v := range r.PostForm {
			if strings.HasSuffix(k, "[]") {
				var list []any
				for _, x := range v {
					list = append(list, x)
				}
				in[strings.TrimSuffix(k, "[]")] = list
			} else {
				in[k] = r.PostForm.Get(k)
			}
		}
	}
	email := strings.TrimSpace(str(in["email"]))
	switch {
	case email == "":
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"email": map[string]any{"required": "Email is required"}})
		return
	case !strings.Contains(email, "@"):
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"email": map[string]any{"email": "Email must be a valid email address"}})
		return
	}
	if len(f.server.list("subscribers", func(m map[string]any) bool { return strings.EqualFold(str(m["email"]), email) })) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"email": map[string]any{"unique": "Provided email already assigned to another subscriber."}})
		return
	}
	status := str(in["status"])
	if status == "" {
		status = "subscribed"
	}
	if !fluentStatuses[status] {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"status": map[string]any{"in": "Invalid status"}})
		return
	}
	now := time.Now()
	rec := f.contact(email, str(in["first_name"]), str(in["last_name"]), status, now, now)
	for _, k := range []string{"prefix", "phone", "address_line_1", "address_line_2", "city", "state", "postal_code", "country", "date_of_birth", "source"} {
		if v, ok := in[k]; ok {
			rec[k] = str(v)
		}
	}
	attach := func(kind, field string) {
		ids, _ := in[field].([]any)
		var out []any
		for _, id := range ids {
			for _, x := range f.server.list(kind, func(m map[string]any) bool { return str(m["id"]) == str(id) }) {
				out = append(out, x)
			}
		}
		if out != nil {
			rec[field] = out
		}
	}
	attach("lists", "lists")
	attach("tags", "tags")
	rec = f.insert("subscribers", rec)
	writeJSON(w, http.StatusOK, map[string]any{"message": "Successfully added the subscriber.", "contact": rec})
}

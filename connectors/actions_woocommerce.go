package connectors

// Typed actions of WooCommerce (REST API wc/v3).

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	hub "github.com/bizoshub/bizos"
)

func init() {
	register(
		&Action{
			Name: "woocommerce.list_orders", Provider: "woocommerce", Title: "List WooCommerce orders",
			Description: "Lists orders of the WooCommerce store, newest first, one page at a time. Filter by status " +
				"(pending, processing, on-hold, completed, cancelled, refunded, failed), by customer id and by creation date range. " +
				"Each item has the order id and number, status, totals, customer billing name and email, and line items.",
			Input: inputSchema(limitProp(20, 100) + "," + cursorProp + "," +
				`"status":{"type":"string","enum":["any","pending","processing","on-hold","completed","cancelled","refunded","failed","trash"],"default":"any","description":"Only orders with this status."},` +
				`"customer_id":{"type":"integer","minimum":1,"description":"Only orders of this customer (WordPress user id)."},` +
				`"created_after":{"type":"string","pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}","description":"Only orders created after this time (ISO 8601, e.g. 2025-01-31T00:00:00)."},` +
				`"created_before":{"type":"string","pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}","description":"Only orders created before this time (ISO 8601)."},` +
				`"search":{"type":"string","minLength":1,"maxLength":200,"description":"Only orders matching this text (customer name, email, order number)."}`),
			Output: listOutput(wcOrderSchema, true),
			Run:    wcListOrders,
		},
		&Action{
			Name: "woocommerce.list_products", Provider: "woocommerce", Title: "List WooCommerce products",
			Description: "Lists products of the WooCommerce store, one page at a time. Filter by words in the name, SKU, " +
				"publication status and stock status. Each item has the product id, name, SKU, prices (strings in the store currency), stock and link.",
			Input: inputSchema(limitProp(20, 100) + "," + cursorProp + "," +
				`"search":{"type":"string","minLength":1,"maxLength":200,"description":"Only products whose name or description contains this text."},` +
				`"sku":{"type":"string","minLength":1,"maxLength":100,"description":"Only the product with this SKU."},` +
				`"status":{"type":"string","enum":["any","draft","pending","private","publish"],"default":"any","description":"Only products with this publication status."},` +
				`"stock_status":{"type":"string","enum":["instock","outofstock","onbackorder"],"description":"Only products with this stock status."}`),
			Output: listOutput(wcProductSchema, true),
			Run:    wcListProducts,
		},
		&Action{
			Name: "woocommerce.create_product", Provider: "woocommerce", Title: "Create a WooCommerce product", Write: true,
			Description: "Creates a simple product in the WooCommerce store. It is saved as a draft (not for sale) unless status is publish. " +
				"Prices are decimal strings in the store currency, e.g. \"19.99\". Returns the new product with its id.",
			Input: inputSchema(`"name":{"type":"string","minLength":1,"maxLength":400,"description":"Product name."},`+
				`"regular_price":{"type":"string","pattern":"^[0-9]+(\\.[0-9]{1,4})?$","description":"Regular price, e.g. \"19.99\"."},`+
				`"sale_price":{"type":"string","pattern":"^[0-9]+(\\.[0-9]{1,4})?$","description":"Optional sale price, lower than the regular price."},`+
				`"description":{"type":"string","maxLength":100000,"description":"Full description (HTML)."},`+
				`"short_description":{"type":"string","maxLength":10000,"description":"Short description (HTML)."},`+
				`"sku":{"type":"string","minLength":1,"maxLength":100,"description":"Stock keeping unit; must be unique in the store."},`+
				`"status":{"type":"string","enum":["draft","pending","private","publish"],"default":"draft","description":"draft (default) keeps it hidden; publish puts it on sale."},`+
				`"stock_quantity":{"type":"integer","minimum":0,"description":"When given, stock is managed and set to this quantity."},`+
				`"categories":{"type":"array","items":{"type":"integer","minimum":1},"maxItems":20,"uniqueItems":true,"description":"Product category ids."}`,
				"name"),
			Output: outputObject(wcProductSchema),
			Run:    wcCreateProduct,
		},
	)
}

const wcOrderSchema = `{"type":"object","required":["id","number","status","total","currency"],"properties":{` +
	`"id":{"type":"integer"},"number":{"type":"string","description":"Order number shown to customers."},` +
	`"status":{"type":"string"},"currency":{"type":"string"},` +
	`"total":{"type":"string","description":"Grand total, decimal string."},` +
	`"date_created":{"type":"string","description":"Creation time in the store's time zone."},` +
	`"date_modified":{"type":"string"},` +
	`"customer_id":{"type":"integer","description":"WordPress user id, 0 for guests."},` +
	`"billing_name":{"type":"string"},"billing_email":{"type":"string"},` +
	`"payment_method":{"type":"string"},` +
	`"line_items":{"type":"array","items":{"type":"object","properties":{` +
	`"product_id":{"type":"integer"},"name":{"type":"string"},"sku":{"type":"string"},"quantity":{"type":"integer"},"total":{"type":"string"}}}}}}`

const wcProductSchema = `{"type":"object","required":["id","name","status"],"properties":{` +
	`"id":{"type":"integer"},"name":{"type":"string"},"slug":{"type":"string"},"type":{"type":"string"},` +
	`"status":{"type":"string","description":"draft, pending, private or publish."},` +
	`"sku":{"type":"string"},"price":{"type":"string","description":"Current price, decimal string."},` +
	`"regular_price":{"type":"string"},"sale_price":{"type":"string"},` +
	`"stock_status":{"type":"string"},"stock_quantity":{"type":["integer","null"]},` +
	`"permalink":{"type":"string"},"date_created":{"type":"string"}}}`

type wcOrderRaw struct {
	ID           flexInt `json:"id"`
	Number       string  `json:"number"`
	Status       string  `json:"status"`
	Currency     string  `json:"currency"`
	Total        string  `json:"total"`
	DateCreated  string  `json:"date_created"`
	DateModified string  `json:"date_modified"`
	CustomerID   flexInt `json:"customer_id"`
	Billing      struct {
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		Email     string `json:"email"`
	} `json:"billing"`
	PaymentMethod string `json:"payment_method_title"`
	LineItems     []struct {
		ProductID flexInt    `json:"product_id"`
		Name      string     `json:"name"`
		SKU       flexString `json:"sku"`
		Quantity  flexInt    `json:"quantity"`
		Total     string     `json:"total"`
	} `json:"line_items"`
}

type wcLineItem struct {
	ProductID int64  `json:"product_id"`
	Name      string `json:"name"`
	SKU       string `json:"sku"`
	Quantity  int64  `json:"quantity"`
	Total     string `json:"total"`
}

type wcOrder struct {
	ID            int64        `json:"id"`
	Number        string       `json:"number"`
	Status        string       `json:"status"`
	Currency      string       `json:"currency"`
	Total         string       `json:"total"`
	DateCreated   string       `json:"date_created"`
	DateModified  string       `json:"date_modified"`
	CustomerID    int64        `json:"customer_id"`
	BillingName   string       `json:"billing_name"`
	BillingEmail  string       `json:"billing_email"`
	PaymentMethod string       `json:"payment_method"`
	LineItems     []wcLineItem `json:"line_items"`
}

type wcProductRaw struct {
	ID            flexInt  `json:"id"`
	Name          string   `json:"name"`
	Slug          string   `json:"slug"`
	Type          string   `json:"type"`
	Status        string   `json:"status"`
	SKU           string   `json:"sku"`
	Price         string   `json:"price"`
	RegularPrice  string   `json:"regular_price"`
	SalePrice     string   `json:"sale_price"`
	StockStatus   string   `json:"stock_status"`
	StockQuantity *flexInt `json:"stock_quantity"`
	Permalink     string   `json:"permalink"`
	DateCreated   string   `json:"date_created"`
}

type wcProduct struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	Slug          string `json:"slug"`
	Type          string `json:"type"`
	Status        string `json:"status"`
	SKU           string `json:"sku"`
	Price         string `json:"price"`
	RegularPrice  string `json:"regular_price"`
	SalePrice     string `json:"sale_price"`
	StockStatus   string `json:"stock_status"`
	StockQuantity *int64 `json:"stock_quantity"`
	Permalink     string `json:"permalink"`
	DateCreated   string `json:"date_created"`
}

func (r wcProductRaw) normalise() wcProduct {
	p := wcProduct{ID: int64(r.ID), Name: r.Name, Slug: r.Slug, Type: r.Type, Status: r.Status, SKU: r.SKU,
		Price: r.Price, RegularPrice: r.RegularPrice, SalePrice: r.SalePrice, StockStatus: r.StockStatus,
		Permalink: r.Permalink, DateCreated: r.DateCreated}
	if r.StockQuantity != nil {
		n := int64(*r.StockQuantity)
		p.StockQuantity = &n
	}
	return p
}

// wcListQuery is the paging part of a wc/v3 list query.
func wcListQuery(limit int, cursor string) (url.Values, int, error) {
	pg, err := pageNumber(cursor)
	if err != nil {
		return nil, 0, err
	}
	if limit == 0 {
		limit = 20
	}
	return url.Values{"page": {strconv.Itoa(pg)}, "per_page": {strconv.Itoa(limit)}}, pg, nil
}

// wcNext is the next page cursor from X-WP-TotalPages.
func wcNext(h http.Header, pg int) string {
	if pages, ok := headerInt(h, "X-WP-TotalPages"); ok && int64(pg) < pages {
		return strconv.Itoa(pg + 1)
	}
	return ""
}

// wcTime checks an ISO 8601 time input and returns it as WooCommerce takes it.
func wcTime(field, v string) (string, error) {
	if _, err := time.Parse(time.RFC3339, v); err == nil {
		return v, nil
	}
	if _, err := time.Parse("2006-01-02T15:04:05", v); err == nil {
		return v, nil
	}
	return "", hub.InvalidField(field, "is not a date and time like 2025-01-31T00:00:00")
}

func wcListOrders(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Limit         int    `json:"limit"`
		Cursor        string `json:"cursor"`
		Status        string `json:"status"`
		CustomerID    int64  `json:"customer_id"`
		CreatedAfter  string `json:"created_after"`
		CreatedBefore string `json:"created_before"`
		Search        string `json:"search"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	q, pg, err := wcListQuery(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	if in.Status != "" {
		q.Set("status", in.Status)
	}
	if in.CustomerID > 0 {
		q.Set("customer", strconv.FormatInt(in.CustomerID, 10))
	}
	if in.Search != "" {
		q.Set("search", in.Search)
	}
	for _, f := range []struct{ field, param, value string }{
		{"created_after", "after", in.CreatedAfter}, {"created_before", "before", in.CreatedBefore},
	} {
		if f.value == "" {
			continue
		}
		t, err := wcTime(f.field, f.value)
		if err != nil {
			return nil, err
		}
		q.Set(f.param, t)
	}
	var raw []wcOrderRaw
	h, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: "/orders", query: q}, &raw)
	if err != nil {
		return nil, err
	}
	items := make([]wcOrder, 0, len(raw))
	for _, r := range raw {
		o := wcOrder{ID: int64(r.ID), Number: r.Number, Status: r.Status, Currency: r.Currency, Total: r.Total,
			DateCreated: r.DateCreated, DateModified: r.DateModified, CustomerID: int64(r.CustomerID),
			BillingName: joinName(r.Billing.FirstName, r.Billing.LastName), BillingEmail: r.Billing.Email,
			PaymentMethod: r.PaymentMethod, LineItems: []wcLineItem{}}
		for _, li := range r.LineItems {
			o.LineItems = append(o.LineItems, wcLineItem{ProductID: int64(li.ProductID), Name: li.Name, SKU: string(li.SKU),
				Quantity: int64(li.Quantity), Total: li.Total})
		}
		items = append(items, o)
	}
	total, ok := headerInt(h, "X-WP-Total")
	return newListPage(items, wcNext(h, pg)).withTotal(total, ok), nil
}

func wcListProducts(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Limit       int    `json:"limit"`
		Cursor      string `json:"cursor"`
		Search      string `json:"search"`
		SKU         string `json:"sku"`
		Status      string `json:"status"`
		StockStatus string `json:"stock_status"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	q, pg, err := wcListQuery(in.Limit, in.Cursor)
	if err != nil {
		return nil, err
	}
	for k, v := range map[string]string{"search": in.Search, "sku": in.SKU, "status": in.Status, "stock_status": in.StockStatus} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var raw []wcProductRaw
	h, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: "/products", query: q}, &raw)
	if err != nil {
		return nil, err
	}
	items := make([]wcProduct, 0, len(raw))
	for _, r := range raw {
		items = append(items, r.normalise())
	}
	total, ok := headerInt(h, "X-WP-Total")
	return newListPage(items, wcNext(h, pg)).withTotal(total, ok), nil
}

func wcCreateProduct(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Name             string  `json:"name"`
		RegularPrice     string  `json:"regular_price"`
		SalePrice        string  `json:"sale_price"`
		Description      string  `json:"description"`
		ShortDescription string  `json:"short_description"`
		SKU              string  `json:"sku"`
		Status           string  `json:"status"`
		StockQuantity    *int64  `json:"stock_quantity"`
		Categories       []int64 `json:"categories"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	body := map[string]any{"name": in.Name, "type": "simple", "status": "draft"}
	if in.Status != "" {
		body["status"] = in.Status
	}
	for k, v := range map[string]string{"regular_price": in.RegularPrice, "sale_price": in.SalePrice, "description": in.Description,
		"short_description": in.ShortDescription, "sku": in.SKU} {
		if v != "" {
			body[k] = v
		}
	}
	if in.StockQuantity != nil {
		body["manage_stock"] = true
		body["stock_quantity"] = *in.StockQuantity
	}
	if len(in.Categories) > 0 {
		cats := make([]map[string]int64, 0, len(in.Categories))
		for _, id := range in.Categories {
			cats = append(cats, map[string]int64{"id": id})
		}
		body["categories"] = cats
	}
	var raw wcProductRaw
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodPost, path: "/products", json: body}, &raw); err != nil {
		return nil, err
	}
	return raw.normalise(), nil
}

// joinName joins first and last names, skipping blanks.
func joinName(first, last string) string {
	switch {
	case first == "":
		return last
	case last == "":
		return first
	}
	return first + " " + last
}

package connectors

// Typed actions of Shopify (GraphQL Admin API, POST /graphql.json).

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	hub "github.com/bizoshub/bizos"
)

func init() {
	register(
		&Action{
			Name: "shopify.list_orders", Provider: "shopify", Title: "List Shopify orders",
			Description: "Lists orders of the Shopify store, newest first, one page at a time, optionally only those created " +
				"or updated in a time range. Each item has the order id, name (#1001), email, financial and fulfillment status, total and customer.",
			Input: inputSchema(limitProp(20, 250) + "," + cursorProp + "," +
				`"created_after":{"type":"string","format":"date-time","description":"Only orders created at or after this time (RFC 3339)."},` +
				`"created_before":{"type":"string","format":"date-time","description":"Only orders created before this time (RFC 3339)."},` +
				`"updated_after":{"type":"string","format":"date-time","description":"Only orders updated at or after this time (RFC 3339)."},` +
				`"oldest_first":{"type":"boolean","default":false,"description":"Oldest orders first instead of newest first."}`),
			Output: listOutput(shopifyOrderSchema, false),
			Run:    shopifyListOrders,
		},
		&Action{
			Name: "shopify.list_products", Provider: "shopify", Title: "List Shopify products",
			Description: "Lists products of the Shopify store, one page at a time, with title, handle, status, vendor, type, tags and total inventory. " +
				"Optionally only products updated at or after a time.",
			Input: inputSchema(limitProp(20, 250) + "," + cursorProp + "," +
				`"updated_after":{"type":"string","format":"date-time","description":"Only products updated at or after this time (RFC 3339)."}`),
			Output: listOutput(shopifyProductSchema, false),
			Run:    shopifyListProducts,
		},
		&Action{
			Name: "shopify.create_product", Provider: "shopify", Title: "Create a Shopify product", Write: true,
			Description: "Creates a product in the Shopify store (productCreate). It is created as a draft unless status is ACTIVE. " +
				"Prices and inventory are set on variants afterwards in Shopify, not here.",
			Input: inputSchema(`"title":{"type":"string","minLength":1,"maxLength":255,"description":"Product title."},`+
				`"description_html":{"type":"string","maxLength":100000,"description":"Description as HTML."},`+
				`"vendor":{"type":"string","maxLength":255,"description":"Vendor or brand."},`+
				`"product_type":{"type":"string","maxLength":255,"description":"Product type used to group products."},`+
				`"tags":{"type":"array","items":{"type":"string","minLength":1,"maxLength":255},"maxItems":250,"uniqueItems":true,"description":"Tags."},`+
				`"handle":{"type":"string","pattern":"^[a-z0-9][a-z0-9-]{0,254}$","description":"URL handle; made from the title when left out."},`+
				`"status":{"type":"string","enum":["DRAFT","ACTIVE","ARCHIVED"],"default":"DRAFT","description":"DRAFT (default) hides it; ACTIVE puts it on the sales channels."}`,
				"title"),
			Output: outputObject(shopifyProductSchema),
			Run:    shopifyCreateProduct,
		},
	)
}

const shopifyOrderSchema = `{"type":"object","required":["id","name"],"properties":{` +
	`"id":{"type":"string","description":"Global id, gid://shopify/Order/..."},` +
	`"legacy_id":{"type":"string","description":"Numeric id shown in the admin URL."},` +
	`"name":{"type":"string","description":"Order name, e.g. #1001."},` +
	`"email":{"type":"string"},"created_at":{"type":"string"},"updated_at":{"type":"string"},` +
	`"financial_status":{"type":"string"},"fulfillment_status":{"type":"string"},` +
	`"total":{"type":"string","description":"Total price, decimal string."},"currency":{"type":"string"},` +
	`"customer":{"type":["object","null"],"properties":{"id":{"type":"string"},"email":{"type":"string"},"first_name":{"type":"string"},"last_name":{"type":"string"}}}}}`

const shopifyProductSchema = `{"type":"object","required":["id","title"],"properties":{` +
	`"id":{"type":"string","description":"Global id, gid://shopify/Product/..."},` +
	`"legacy_id":{"type":"string","description":"Numeric id shown in the admin URL."},` +
	`"title":{"type":"string"},"handle":{"type":"string"},"status":{"type":"string","description":"ACTIVE, DRAFT or ARCHIVED."},` +
	`"vendor":{"type":"string"},"product_type":{"type":"string"},"tags":{"type":"array","items":{"type":"string"}},` +
	`"total_inventory":{"type":"integer"},"created_at":{"type":"string"},"updated_at":{"type":"string"}}}`

// shopifyGraphQL runs a GraphQL document and decodes data into out. GraphQL
// errors (HTTP 200 with "errors") become upstream errors; THROTTLED ones say so.
func shopifyGraphQL(ctx context.Context, c *Call, query string, vars map[string]any, out any) error {
	var raw struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodPost, path: "/graphql.json",
		json: map[string]any{"query": query, "variables": vars}}, &raw); err != nil {
		return err
	}
	if len(raw.Errors) > 0 {
		var msgs []string
		status := http.StatusBadRequest
		for _, e := range raw.Errors {
			msgs = append(msgs, e.Message)
			if e.Extensions.Code == "THROTTLED" {
				status = http.StatusTooManyRequests
			}
		}
		return upstreamError(c, status, "%s", strings.Join(msgs, "; "))
	}
	if err := json.Unmarshal(raw.Data, out); err != nil {
		return &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusBadGateway, Message: "Shopify answered data of an unexpected shape.", Err: err}
	}
	return nil
}

// shopifySearch builds a search query from time filters, checking each.
func shopifySearch(terms map[string]string) (string, error) {
	var parts []string
	for _, t := range []struct{ field, key, op string }{
		{"created_after", "created_at", ">="}, {"created_before", "created_at", "<"}, {"updated_after", "updated_at", ">="},
	} {
		v := terms[t.field]
		if v == "" {
			continue
		}
		ts, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return "", hub.InvalidField(t.field, "is not an RFC 3339 time like 2025-01-31T00:00:00Z")
		}
		parts = append(parts, t.key+":"+t.op+"'"+ts.UTC().Format(time.RFC3339)+"'")
	}
	return strings.Join(parts, " AND "), nil
}

type shopifyPageInfo struct {
	HasNextPage bool    `json:"hasNextPage"`
	EndCursor   *string `json:"endCursor"`
}

func (p shopifyPageInfo) next() string {
	if p.HasNextPage && p.EndCursor != nil {
		return *p.EndCursor
	}
	return ""
}

type shopifyMoney struct {
	ShopMoney struct {
		Amount       string `json:"amount"`
		CurrencyCode string `json:"currencyCode"`
	} `json:"shopMoney"`
}

type shopifyCustomer struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

type shopifyOrder struct {
	ID                string           `json:"id"`
	LegacyID          string           `json:"legacy_id"`
	Name              string           `json:"name"`
	Email             string           `json:"email"`
	CreatedAt         string           `json:"created_at"`
	UpdatedAt         string           `json:"updated_at"`
	FinancialStatus   string           `json:"financial_status"`
	FulfillmentStatus string           `json:"fulfillment_status"`
	Total             string           `json:"total"`
	Currency          string           `json:"currency"`
	Customer          *shopifyCustomer `json:"customer"`
}

const shopifyOrdersQuery = `query ListOrders($first: Int!, $after: String, $query: String, $reverse: Boolean) {
  orders(first: $first, after: $after, query: $query, reverse: $reverse, sortKey: CREATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id legacyResourceId name email createdAt updatedAt
      displayFinancialStatus displayFulfillmentStatus currencyCode
      totalPriceSet { shopMoney { amount currencyCode } }
      customer { id email firstName lastName }
    }
  }
}`

func shopifyListOrders(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Limit         int    `json:"limit"`
		Cursor        string `json:"cursor"`
		CreatedAfter  string `json:"created_after"`
		CreatedBefore string `json:"created_before"`
		UpdatedAfter  string `json:"updated_after"`
		OldestFirst   bool   `json:"oldest_first"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	search, err := shopifySearch(map[string]string{"created_after": in.CreatedAfter, "created_before": in.CreatedBefore, "updated_after": in.UpdatedAfter})
	if err != nil {
		return nil, err
	}
	vars := map[string]any{"first": cmp.Or(in.Limit, 20), "reverse": !in.OldestFirst}
	if in.Cursor != "" {
		vars["after"] = in.Cursor
	}
	if search != "" {
		vars["query"] = search
	}
	var data struct {
		Orders struct {
			PageInfo shopifyPageInfo `json:"pageInfo"`
			Nodes    []struct {
				ID                       string       `json:"id"`
				LegacyResourceID         flexString   `json:"legacyResourceId"`
				Name                     string       `json:"name"`
				Email                    *string      `json:"email"`
				CreatedAt                string       `json:"createdAt"`
				UpdatedAt                string       `json:"updatedAt"`
				DisplayFinancialStatus   *string      `json:"displayFinancialStatus"`
				DisplayFulfillmentStatus string       `json:"displayFulfillmentStatus"`
				CurrencyCode             string       `json:"currencyCode"`
				TotalPriceSet            shopifyMoney `json:"totalPriceSet"`
				Customer                 *struct {
					ID        string  `json:"id"`
					Email     *string `json:"email"`
					FirstName *string `json:"firstName"`
					LastName  *string `json:"lastName"`
				} `json:"customer"`
			} `json:"nodes"`
		} `json:"orders"`
	}
	if err := shopifyGraphQL(ctx, c, shopifyOrdersQuery, vars, &data); err != nil {
		return nil, err
	}
	items := make([]shopifyOrder, 0, len(data.Orders.Nodes))
	for _, n := range data.Orders.Nodes {
		o := shopifyOrder{ID: n.ID, LegacyID: string(n.LegacyResourceID), Name: n.Name, Email: optString(n.Email),
			CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt, FinancialStatus: optString(n.DisplayFinancialStatus),
			FulfillmentStatus: n.DisplayFulfillmentStatus, Total: n.TotalPriceSet.ShopMoney.Amount, Currency: n.CurrencyCode}
		if o.Currency == "" {
			o.Currency = n.TotalPriceSet.ShopMoney.CurrencyCode
		}
		if n.Customer != nil {
			o.Customer = &shopifyCustomer{ID: n.Customer.ID, Email: optString(n.Customer.Email),
				FirstName: optString(n.Customer.FirstName), LastName: optString(n.Customer.LastName)}
		}
		items = append(items, o)
	}
	return newListPage(items, data.Orders.PageInfo.next()), nil
}

type shopifyProductRaw struct {
	ID               string     `json:"id"`
	LegacyResourceID flexString `json:"legacyResourceId"`
	Title            string     `json:"title"`
	Handle           string     `json:"handle"`
	Status           string     `json:"status"`
	Vendor           string     `json:"vendor"`
	ProductType      string     `json:"productType"`
	Tags             []string   `json:"tags"`
	TotalInventory   flexInt    `json:"totalInventory"`
	CreatedAt        string     `json:"createdAt"`
	UpdatedAt        string     `json:"updatedAt"`
}

type shopifyProduct struct {
	ID             string   `json:"id"`
	LegacyID       string   `json:"legacy_id"`
	Title          string   `json:"title"`
	Handle         string   `json:"handle"`
	Status         string   `json:"status"`
	Vendor         string   `json:"vendor"`
	ProductType    string   `json:"product_type"`
	Tags           []string `json:"tags"`
	TotalInventory int64    `json:"total_inventory"`
	CreatedAt      string   `json:"created_at"`
	UpdatedAt      string   `json:"updated_at"`
}

func (r shopifyProductRaw) normalise() shopifyProduct {
	if r.Tags == nil {
		r.Tags = []string{}
	}
	return shopifyProduct{ID: r.ID, LegacyID: string(r.LegacyResourceID), Title: r.Title, Handle: r.Handle, Status: r.Status,
		Vendor: r.Vendor, ProductType: r.ProductType, Tags: r.Tags, TotalInventory: int64(r.TotalInventory),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

const shopifyProductFields = `id legacyResourceId title handle status vendor productType tags totalInventory createdAt updatedAt`

const shopifyProductsQuery = `query ListProducts($first: Int!, $after: String, $query: String) {
  products(first: $first, after: $after, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes { ` + shopifyProductFields + ` }
  }
}`

func shopifyListProducts(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Limit        int    `json:"limit"`
		Cursor       string `json:"cursor"`
		UpdatedAfter string `json:"updated_after"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	search, err := shopifySearch(map[string]string{"updated_after": in.UpdatedAfter})
	if err != nil {
		return nil, err
	}
	vars := map[string]any{"first": cmp.Or(in.Limit, 20)}
	if in.Cursor != "" {
		vars["after"] = in.Cursor
	}
	if search != "" {
		vars["query"] = search
	}
	var data struct {
		Products struct {
			PageInfo shopifyPageInfo     `json:"pageInfo"`
			Nodes    []shopifyProductRaw `json:"nodes"`
		} `json:"products"`
	}
	if err := shopifyGraphQL(ctx, c, shopifyProductsQuery, vars, &data); err != nil {
		return nil, err
	}
	items := make([]shopifyProduct, 0, len(data.Products.Nodes))
	for _, n := range data.Products.Nodes {
		items = append(items, n.normalise())
	}
	return newListPage(items, data.Products.PageInfo.next()), nil
}

const shopifyCreateMutation = `mutation CreateProduct($product: ProductCreateInput!) {
  productCreate(product: $product) {
    product { ` + shopifyProductFields + ` }
    userErrors { field message }
  }
}`

func shopifyCreateProduct(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Title           string   `json:"title"`
		DescriptionHTML string   `json:"description_html"`
		Vendor          string   `json:"vendor"`
		ProductType     string   `json:"product_type"`
		Tags            []string `json:"tags"`
		Handle          string   `json:"handle"`
		Status          string   `json:"status"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	product := map[string]any{"title": in.Title, "status": "DRAFT"}
	if in.Status != "" {
		product["status"] = in.Status
	}
	for k, v := range map[string]string{"descriptionHtml": in.DescriptionHTML, "vendor": in.Vendor, "productType": in.ProductType, "handle": in.Handle} {
		if v != "" {
			product[k] = v
		}
	}
	if len(in.Tags) > 0 {
		product["tags"] = in.Tags
	}
	var data struct {
		ProductCreate struct {
			Product    *shopifyProductRaw `json:"product"`
			UserErrors []struct {
				Field   []string `json:"field"`
				Message string   `json:"message"`
			} `json:"userErrors"`
		} `json:"productCreate"`
	}
	if err := shopifyGraphQL(ctx, c, shopifyCreateMutation, map[string]any{"product": product}, &data); err != nil {
		return nil, err
	}
	if errs := data.ProductCreate.UserErrors; len(errs) > 0 {
		e := &hub.Error{Code: hub.EINVALID, Message: "Shopify refused the product: " + errs[0].Message, Fields: map[string]string{}}
		for _, ue := range errs {
			field := "input"
			if n := len(ue.Field); n > 0 {
				field = ue.Field[n-1]
			}
			e.Fields[field] = ue.Message
		}
		return nil, e
	}
	if data.ProductCreate.Product == nil {
		return nil, upstreamError(c, http.StatusOK, "productCreate returned no product")
	}
	return data.ProductCreate.Product.normalise(), nil
}

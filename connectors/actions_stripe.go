package connectors

// Typed actions of Stripe (REST API v1; form-encoded request bodies).

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	hub "github.com/bizoshub/bizos"
)

const stripeCustomerProp = `"customer":{"type":"string","pattern":"^cus_[A-Za-z0-9]{1,100}$","description":"Only those of this customer id (cus_...)."}`

func init() {
	register(
		&Action{
			Name: "stripe.list_customers", Provider: "stripe", Title: "List Stripe customers",
			Description: "Lists customers of the Stripe account, newest first, one page at a time, with id, email, name, phone, " +
				"balance and metadata. Optionally only the customers with an exact email address.",
			Input: inputSchema(limitProp(20, 100) + "," + cursorProp + "," +
				`"email":{"type":"string","format":"email","pattern":"` + emailPattern + `","maxLength":512,"description":"Only customers with exactly this email (case-sensitive at Stripe)."}`),
			Output: listOutput(stripeCustomerSchema, false),
			Run:    stripeListCustomers,
		},
		&Action{
			Name: "stripe.list_invoices", Provider: "stripe", Title: "List Stripe invoices",
			Description: "Lists invoices of the Stripe account, newest first, one page at a time, optionally of one customer and with one status " +
				"(draft, open, paid, uncollectible, void). Amounts are integers in the currency's smallest unit (cents).",
			Input: inputSchema(limitProp(20, 100) + "," + cursorProp + "," + stripeCustomerProp + "," +
				`"status":{"type":"string","enum":["draft","open","paid","uncollectible","void"],"description":"Only invoices with this status."}`),
			Output: listOutput(`{"type":"object","required":["id","status","currency","total"],"properties":{`+
				`"id":{"type":"string"},"number":{"type":"string"},"customer":{"type":"string"},"customer_email":{"type":"string"},`+
				`"status":{"type":"string"},"currency":{"type":"string"},`+
				`"total":{"type":"integer","description":"Smallest currency unit."},"amount_due":{"type":"integer"},"amount_paid":{"type":"integer"},"amount_remaining":{"type":"integer"},`+
				`"created":{"type":"string","description":"RFC 3339."},"due_date":{"type":["string","null"],"description":"RFC 3339, null when none."},`+
				`"hosted_invoice_url":{"type":"string"}}}`, false),
			Run: stripeListInvoices,
		},
		&Action{
			Name: "stripe.list_payment_intents", Provider: "stripe", Title: "List Stripe payment intents",
			Description: "Lists payment intents (payments) of the Stripe account, newest first, one page at a time, optionally of one customer, " +
				"with amount, amount received, currency, status (succeeded, requires_payment_method, processing...) and description.",
			Input: inputSchema(limitProp(20, 100) + "," + cursorProp + "," + stripeCustomerProp),
			Output: listOutput(`{"type":"object","required":["id","amount","currency","status"],"properties":{`+
				`"id":{"type":"string"},"amount":{"type":"integer","description":"Smallest currency unit."},"amount_received":{"type":"integer"},`+
				`"currency":{"type":"string"},"status":{"type":"string"},"customer":{"type":"string"},"description":{"type":"string"},`+
				`"created":{"type":"string","description":"RFC 3339."}}}`, false),
			Run: stripeListPaymentIntents,
		},
		&Action{
			Name: "stripe.create_customer", Provider: "stripe", Title: "Create a Stripe customer", Write: true,
			Description: "Creates a customer in the Stripe account. Stripe does not deduplicate: check stripe.list_customers by email first " +
				"to avoid creating the same person twice. Returns the new customer with its id (cus_...).",
			Input: objectSchema(`"email":{"type":"string","format":"email","pattern":"`+emailPattern+`","maxLength":512,"description":"Email address."},`+
				`"name":{"type":"string","minLength":1,"maxLength":256,"description":"Full name or business name."},`+
				`"phone":{"type":"string","maxLength":20,"description":"Phone number."},`+
				`"description":{"type":"string","maxLength":350,"description":"Internal note shown in the Dashboard."},`+
				`"metadata":{"type":"object","maxProperties":50,"propertyNames":{"pattern":"^[A-Za-z0-9_.-]{1,40}$"},"additionalProperties":{"type":"string","maxLength":500},"description":"Key-value pairs stored with the customer."}`,
				nil, `"anyOf":[{"required":["email"]},{"required":["name"]}]`),
			Output: outputObject(stripeCustomerSchema),
			Run:    stripeCreateCustomer,
		},
	)
}

const stripeCustomerSchema = `{"type":"object","required":["id"],"properties":{` +
	`"id":{"type":"string","description":"cus_..."},"email":{"type":"string"},"name":{"type":"string"},"phone":{"type":"string"},` +
	`"description":{"type":"string"},"currency":{"type":"string"},"balance":{"type":"integer","description":"Smallest currency unit; negative is credit."},` +
	`"delinquent":{"type":"boolean"},"created":{"type":"string","description":"RFC 3339."},` +
	`"metadata":{"type":"object","additionalProperties":{"type":"string"}}}}`

// stripeList is a Stripe list object; the next cursor is the last id when has_more.
type stripeList[T any] struct {
	Data    []T  `json:"data"`
	HasMore bool `json:"has_more"`
}

func stripeListQuery(limit int, cursor string) url.Values {
	q := url.Values{"limit": {strconv.Itoa(cmp.Or(limit, 20))}}
	if cursor != "" {
		q.Set("starting_after", cursor)
	}
	return q
}

func stripeNext[T any](l stripeList[T], id func(T) string) string {
	if !l.HasMore || len(l.Data) == 0 {
		return ""
	}
	return id(l.Data[len(l.Data)-1])
}

func stripeTime(unix int64) string { return time.Unix(unix, 0).UTC().Format(time.RFC3339) }

type stripeCustomerRaw struct {
	ID          string            `json:"id"`
	Email       *string           `json:"email"`
	Name        *string           `json:"name"`
	Phone       *string           `json:"phone"`
	Description *string           `json:"description"`
	Currency    *string           `json:"currency"`
	Balance     int64             `json:"balance"`
	Delinquent  *bool             `json:"delinquent"`
	Created     int64             `json:"created"`
	Metadata    map[string]string `json:"metadata"`
}

type stripeCustomer struct {
	ID          string            `json:"id"`
	Email       string            `json:"email"`
	Name        string            `json:"name"`
	Phone       string            `json:"phone"`
	Description string            `json:"description"`
	Currency    string            `json:"currency"`
	Balance     int64             `json:"balance"`
	Delinquent  bool              `json:"delinquent"`
	Created     string            `json:"created"`
	Metadata    map[string]string `json:"metadata"`
}

func (r stripeCustomerRaw) normalise() stripeCustomer {
	c := stripeCustomer{ID: r.ID, Email: optString(r.Email), Name: optString(r.Name), Phone: optString(r.Phone),
		Description: optString(r.Description), Currency: optString(r.Currency), Balance: r.Balance,
		Delinquent: r.Delinquent != nil && *r.Delinquent, Created: stripeTime(r.Created), Metadata: r.Metadata}
	if c.Metadata == nil {
		c.Metadata = map[string]string{}
	}
	return c
}

func stripeListCustomers(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Limit  int    `json:"limit"`
		Cursor string `json:"cursor"`
		Email  string `json:"email"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	q := stripeListQuery(in.Limit, in.Cursor)
	if in.Email != "" {
		q.Set("email", in.Email)
	}
	var raw stripeList[stripeCustomerRaw]
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: "/v1/customers", query: q}, &raw); err != nil {
		return nil, err
	}
	items := make([]stripeCustomer, 0, len(raw.Data))
	for _, r := range raw.Data {
		items = append(items, r.normalise())
	}
	return newListPage(items, stripeNext(raw, func(r stripeCustomerRaw) string { return r.ID })), nil
}

func stripeListInvoices(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Limit    int    `json:"limit"`
		Cursor   string `json:"cursor"`
		Customer string `json:"customer"`
		Status   string `json:"status"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	q := stripeListQuery(in.Limit, in.Cursor)
	if in.Customer != "" {
		q.Set("customer", in.Customer)
	}
	if in.Status != "" {
		q.Set("status", in.Status)
	}
	type invoiceRaw struct {
		ID               string  `json:"id"`
		Number           *string `json:"number"`
		Customer         any     `json:"customer"` // an id, or an object when expanded
		CustomerEmail    *string `json:"customer_email"`
		Status           *string `json:"status"`
		Currency         string  `json:"currency"`
		Total            int64   `json:"total"`
		AmountDue        int64   `json:"amount_due"`
		AmountPaid       int64   `json:"amount_paid"`
		AmountRemaining  int64   `json:"amount_remaining"`
		Created          int64   `json:"created"`
		DueDate          *int64  `json:"due_date"`
		HostedInvoiceURL *string `json:"hosted_invoice_url"`
	}
	var raw stripeList[invoiceRaw]
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: "/v1/invoices", query: q}, &raw); err != nil {
		return nil, err
	}
	type invoice struct {
		ID               string  `json:"id"`
		Number           string  `json:"number"`
		Customer         string  `json:"customer"`
		CustomerEmail    string  `json:"customer_email"`
		Status           string  `json:"status"`
		Currency         string  `json:"currency"`
		Total            int64   `json:"total"`
		AmountDue        int64   `json:"amount_due"`
		AmountPaid       int64   `json:"amount_paid"`
		AmountRemaining  int64   `json:"amount_remaining"`
		Created          string  `json:"created"`
		DueDate          *string `json:"due_date"`
		HostedInvoiceURL string  `json:"hosted_invoice_url"`
	}
	items := make([]invoice, 0, len(raw.Data))
	for _, r := range raw.Data {
		inv := invoice{ID: r.ID, Number: optString(r.Number), Customer: stripeID(r.Customer), CustomerEmail: optString(r.CustomerEmail),
			Status: optString(r.Status), Currency: r.Currency, Total: r.Total, AmountDue: r.AmountDue, AmountPaid: r.AmountPaid,
			AmountRemaining: r.AmountRemaining, Created: stripeTime(r.Created), HostedInvoiceURL: optString(r.HostedInvoiceURL)}
		if r.DueDate != nil {
			d := stripeTime(*r.DueDate)
			inv.DueDate = &d
		}
		items = append(items, inv)
	}
	return newListPage(items, stripeNext(raw, func(r invoiceRaw) string { return r.ID })), nil
}

// stripeID reads an expandable field: an id string or an object with an id.
func stripeID(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		s, _ := x["id"].(string)
		return s
	}
	return ""
}

func stripeListPaymentIntents(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Limit    int    `json:"limit"`
		Cursor   string `json:"cursor"`
		Customer string `json:"customer"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	q := stripeListQuery(in.Limit, in.Cursor)
	if in.Customer != "" {
		q.Set("customer", in.Customer)
	}
	type intentRaw struct {
		ID             string  `json:"id"`
		Amount         int64   `json:"amount"`
		AmountReceived int64   `json:"amount_received"`
		Currency       string  `json:"currency"`
		Status         string  `json:"status"`
		Customer       any     `json:"customer"`
		Description    *string `json:"description"`
		Created        int64   `json:"created"`
	}
	var raw stripeList[intentRaw]
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodGet, path: "/v1/payment_intents", query: q}, &raw); err != nil {
		return nil, err
	}
	type intent struct {
		ID             string `json:"id"`
		Amount         int64  `json:"amount"`
		AmountReceived int64  `json:"amount_received"`
		Currency       string `json:"currency"`
		Status         string `json:"status"`
		Customer       string `json:"customer"`
		Description    string `json:"description"`
		Created        string `json:"created"`
	}
	items := make([]intent, 0, len(raw.Data))
	for _, r := range raw.Data {
		items = append(items, intent{r.ID, r.Amount, r.AmountReceived, r.Currency, r.Status, stripeID(r.Customer),
			optString(r.Description), stripeTime(r.Created)})
	}
	return newListPage(items, stripeNext(raw, func(r intentRaw) string { return r.ID })), nil
}

func stripeCreateCustomer(ctx context.Context, c *Call, input json.RawMessage) (any, error) {
	var in struct {
		Email       string            `json:"email"`
		Name        string            `json:"name"`
		Phone       string            `json:"phone"`
		Description string            `json:"description"`
		Metadata    map[string]string `json:"metadata"`
	}
	if err := decodeInput(input, &in); err != nil {
		return nil, err
	}
	form := url.Values{}
	for k, v := range map[string]string{"email": in.Email, "name": in.Name, "phone": in.Phone, "description": in.Description} {
		if v != "" {
			form.Set(k, v)
		}
	}
	for k, v := range in.Metadata {
		form.Set("metadata["+k+"]", v)
	}
	// One key per action run: Stripe answers a retry of the same request
	// with the first result instead of creating a second customer. A rule
	// step supplies its own key, stable across the step's retries.
	idem, ok := hub.IdempotencyKeyFromContext(ctx)
	if !ok {
		key := make([]byte, 16)
		_, _ = rand.Read(key)
		idem = hex.EncodeToString(key)
	}
	header := http.Header{"Idempotency-Key": {"bizos-" + idem}}
	var raw stripeCustomerRaw
	if _, err := callAPI(ctx, c, apiRequest{method: http.MethodPost, path: "/v1/customers", header: header, form: form}, &raw); err != nil {
		return nil, err
	}
	return raw.normalise(), nil
}

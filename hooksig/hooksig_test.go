package hooksig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The expected signatures below are computed here with crypto/hmac directly, following each
// platform's documentation, not with the package's helpers.

func macB64(secret, msg string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func macHex(secret, msg string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// hdr builds headers from name/value pairs, keeping the names as written.
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = append(h[kv[i]], kv[i+1])
	}
	return h
}

const (
	secret = "shhh-0123456789"
	wrong  = "not-the-secret"
)

var now = time.Unix(1_700_000_000, 0)

type verifyCase struct {
	name     string
	provider string
	secret   string
	req      Request
	now      time.Time
	want     Result
	wantErr  error
}

func runCases(t *testing.T, tests []verifyCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := tt.now
			if at.IsZero() {
				at = now
			}
			got, err := Verify(tt.provider, []byte(tt.secret), tt.req, at)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Verify error = %v, want %v", err, tt.wantErr)
				}
				if diff := cmp.Diff(Result{}, got); diff != "" {
					t.Errorf("Verify result on error not zero (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify error = %v, want nil", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Verify mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestShopify(t *testing.T) {
	body := `{"id":820982911946154508,"email":"jon@example.com","total_price":"10.00"}`
	sig := macB64(secret, body)
	headers := func(sig string) http.Header {
		return hdr(
			"X-Shopify-Hmac-Sha256", sig,
			"X-Shopify-Topic", "orders/create",
			"X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
			"X-Shopify-Event-Id", "98880550-7158-44d4-b7cd-2c97c8a091b5",
			"X-Shopify-Triggered-At", "2023-03-29T18:00:27.877041743Z",
			"X-Shopify-Shop-Domain", "example.myshopify.com",
		)
	}
	want := Result{
		DeliveryID: "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
		EventType:  "orders/create",
		OccurredAt: time.Date(2023, 3, 29, 18, 0, 27, 877041743, time.UTC),
	}
	req := func(h http.Header, b string) Request { return Request{Method: "POST", Header: h, Body: []byte(b)} }
	eventIDOnly := hdr("X-Shopify-Hmac-Sha256", sig, "X-Shopify-Topic", "orders/create", "X-Shopify-Event-Id", "ev-1")
	lowerKeys := hdr("x-shopify-hmac-sha256", sig, "x-shopify-topic", "orders/create")
	runCases(t, []verifyCase{
		{name: "valid", provider: "shopify", secret: secret, req: req(headers(sig), body), want: want},
		{name: "event id fallback", provider: "shopify", secret: secret, req: req(eventIDOnly, body), want: Result{DeliveryID: "ev-1", EventType: "orders/create"}},
		{name: "non-canonical header keys", provider: "shopify", secret: secret, req: req(lowerKeys, body), want: Result{EventType: "orders/create"}},
		{name: "wrong secret", provider: "shopify", secret: wrong, req: req(headers(sig), body), wantErr: ErrSignature},
		{name: "tampered body", provider: "shopify", secret: secret, req: req(headers(sig), strings.Replace(body, "10.00", "0.01", 1)), wantErr: ErrSignature},
		{name: "hex instead of base64", provider: "shopify", secret: secret, req: req(headers(macHex(secret, body)), body), wantErr: ErrSignature},
		{name: "missing header", provider: "shopify", secret: secret, req: req(hdr("X-Shopify-Topic", "orders/create"), body), wantErr: ErrSignature},
		{name: "empty secret", provider: "shopify", secret: "", req: req(headers(macB64("", body)), body), wantErr: ErrSignature},
	})
}

func TestWooCommerce(t *testing.T) {
	body := `{"id":727,"status":"processing","total":"29.35"}`
	headers := func(sig string) http.Header {
		h := hdr(
			"X-WC-Webhook-Source", "https://shop.example.com/",
			"X-WC-Webhook-Topic", "order.created",
			"X-WC-Webhook-Resource", "order",
			"X-WC-Webhook-Event", "created",
			"X-WC-Webhook-ID", "12",
			"X-WC-Webhook-Delivery-ID", "3f5c0b5e0f1b4d0d",
		)
		if sig != "" {
			h["X-WC-Webhook-Signature"] = []string{sig}
		}
		return h
	}
	req := func(h http.Header, b string) Request { return Request{Method: "POST", Header: h, Body: []byte(b)} }
	sig := macB64(secret, body)
	runCases(t, []verifyCase{
		{name: "valid", provider: "woocommerce", secret: secret, req: req(headers(sig), body), want: Result{DeliveryID: "3f5c0b5e0f1b4d0d", EventType: "order.created"}},
		{name: "wrong secret", provider: "woocommerce", secret: wrong, req: req(headers(sig), body), wantErr: ErrSignature},
		{name: "tampered body", provider: "woocommerce", secret: secret, req: req(headers(sig), strings.Replace(body, "29.35", "0.00", 1)), wantErr: ErrSignature},
		{name: "missing header", provider: "woocommerce", secret: secret, req: req(headers(""), body), wantErr: ErrSignature},
		{name: "ping", provider: "woocommerce", secret: secret, req: Request{Method: "POST", Header: hdr("Content-Type", "application/x-www-form-urlencoded"), Body: []byte("webhook_id=12")}, want: Result{Challenge: "ping"}},
		{name: "ping before any secret is stored", provider: "woocommerce", secret: "", req: Request{Method: "POST", Body: []byte("webhook_id=7")}, want: Result{Challenge: "ping"}},
		{name: "not a ping", provider: "woocommerce", secret: secret, req: Request{Method: "POST", Body: []byte("webhook_id=12&x=1")}, wantErr: ErrSignature},
	})
}

func TestHubSpot(t *testing.T) {
	body := `[{"eventId":1001,"subscriptionId":25,"portalId":62515,"appId":54321,"occurredAt":1699999990000,"subscriptionType":"contact.propertyChange","attemptNumber":0,"objectId":123,"changeSource":"CRM","propertyName":"email","propertyValue":"a@example.com"},` +
		`{"eventId":1002,"subscriptionId":26,"portalId":62515,"appId":54321,"occurredAt":1699999991000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":124,"changeSource":"CRM"}]`
	rawURL := "https://hub.example.com/hooks/tok_123?source=hubspot&note=a%3Ab%2C%28c%29&q=x%26y"
	// HubSpot decodes %3A %2C %28 %29 (among others) but not %26 before signing.
	signedURI := "https://hub.example.com/hooks/tok_123?source=hubspot&note=a:b,(c)&q=x%26y"
	ts := func(at time.Time) string { return strconv.FormatInt(at.UnixMilli(), 10) }
	fresh := ts(now.Add(-time.Minute))
	sign := func(key, method, uri, b, ts string) string { return macB64(key, method+uri+b+ts) }
	headers := func(sig, ts string) http.Header {
		h := hdr("Content-Type", "application/json")
		if sig != "" {
			h["X-HubSpot-Signature-v3"] = []string{sig}
		}
		if ts != "" {
			h["X-HubSpot-Request-Timestamp"] = []string{ts}
		}
		return h
	}
	req := func(h http.Header, b string) Request {
		return Request{Method: "POST", URL: mustURL(t, rawURL), Header: h, Body: []byte(b)}
	}
	want := Result{DeliveryID: "1001,1002", EventType: "contact.propertyChange", OccurredAt: time.UnixMilli(1699999990000)}
	single := `[{"eventId":77,"subscriptionType":"deal.creation","occurredAt":1699999990000}]`
	old, future := ts(now.Add(-5*time.Minute-time.Second)), ts(now.Add(5*time.Minute+time.Second))
	runCases(t, []verifyCase{
		{name: "valid", provider: "hubspot", secret: secret, req: req(headers(sign(secret, "POST", signedURI, body, fresh), fresh), body), want: want},
		{name: "single event", provider: "hubspot", secret: secret, req: req(headers(sign(secret, "POST", signedURI, single, fresh), fresh), single),
			want: Result{DeliveryID: "77", EventType: "deal.creation", OccurredAt: time.UnixMilli(1699999990000)}},
		{name: "URI signed undecoded", provider: "hubspot", secret: secret, req: req(headers(sign(secret, "POST", rawURL, body, fresh), fresh), body), want: want},
		{name: "lower-case method in request", provider: "hubspot", secret: secret,
			req:  Request{Method: "post", URL: mustURL(t, rawURL), Header: headers(sign(secret, "POST", signedURI, body, fresh), fresh), Body: []byte(body)},
			want: want},
		{name: "wrong secret", provider: "hubspot", secret: wrong, req: req(headers(sign(secret, "POST", signedURI, body, fresh), fresh), body), wantErr: ErrSignature},
		{name: "tampered body", provider: "hubspot", secret: secret, req: req(headers(sign(secret, "POST", signedURI, body, fresh), fresh), strings.Replace(body, "1001", "1003", 1)), wantErr: ErrSignature},
		{name: "other URL", provider: "hubspot", secret: secret,
			req:     Request{Method: "POST", URL: mustURL(t, "https://evil.example.com/hooks/tok_123"), Header: headers(sign(secret, "POST", signedURI, body, fresh), fresh), Body: []byte(body)},
			wantErr: ErrSignature},
		{name: "timestamp not the signed one", provider: "hubspot", secret: secret, req: req(headers(sign(secret, "POST", signedURI, body, fresh), ts(now)), body), wantErr: ErrSignature},
		{name: "missing signature", provider: "hubspot", secret: secret, req: req(headers("", fresh), body), wantErr: ErrSignature},
		{name: "missing timestamp", provider: "hubspot", secret: secret, req: req(headers(sign(secret, "POST", signedURI, body, fresh), ""), body), wantErr: ErrTimestamp},
		{name: "expired timestamp", provider: "hubspot", secret: secret, req: req(headers(sign(secret, "POST", signedURI, body, old), old), body), wantErr: ErrTimestamp},
		{name: "future timestamp", provider: "hubspot", secret: secret, req: req(headers(sign(secret, "POST", signedURI, body, future), future), body), wantErr: ErrTimestamp},
		{name: "no URL", provider: "hubspot", secret: secret,
			req:     Request{Method: "POST", Header: headers(sign(secret, "POST", signedURI, body, fresh), fresh), Body: []byte(body)},
			wantErr: ErrSignature},
	})
}

func TestStripe(t *testing.T) {
	body := `{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","api_version":"2023-10-16","created":1699999950,"data":{"object":{"id":"in_1","object":"invoice"}},"livemode":false,"type":"invoice.payment_failed"}`
	const whsec = "whsec_test_secret_0123456789"
	ts := func(at time.Time) string { return strconv.FormatInt(at.Unix(), 10) }
	sig := func(key, t, b string) string { return macHex(key, t+"."+b) }
	fresh := ts(now.Add(-10 * time.Second))
	req := func(header, b string) Request {
		h := hdr("Content-Type", "application/json")
		if header != "" {
			h["Stripe-Signature"] = []string{header}
		}
		return Request{Method: "POST", Header: h, Body: []byte(b)}
	}
	want := Result{DeliveryID: "evt_1NG8Du2eZvKYlo2CUI79vXWy", EventType: "invoice.payment_failed", OccurredAt: time.Unix(1699999950, 0)}
	old, future := ts(now.Add(-301*time.Second)), ts(now.Add(301*time.Second))
	thin := `{"id":"evt_test_65R9Ijk8","object":"v2.core.event","type":"v1.billing.meter.error_report_triggered","created":"2024-09-17T06:20:52.246Z"}`
	runCases(t, []verifyCase{
		{name: "valid", provider: "stripe", secret: whsec, req: req("t="+fresh+",v1="+sig(whsec, fresh, body), body), want: want},
		{name: "several v1, one valid", provider: "stripe", secret: whsec,
			req:  req("t="+fresh+",v1="+sig("whsec_old", fresh, body)+",v1="+sig(whsec, fresh, body)+",v0="+sig("x", fresh, body), body),
			want: want},
		{name: "thin event, created as text", provider: "stripe", secret: whsec, req: req("t="+fresh+",v1="+sig(whsec, fresh, thin), thin),
			want: Result{DeliveryID: "evt_test_65R9Ijk8", EventType: "v1.billing.meter.error_report_triggered", OccurredAt: time.Date(2024, 9, 17, 6, 20, 52, 246000000, time.UTC)}},
		{name: "several v1, none valid", provider: "stripe", secret: whsec,
			req:     req("t="+fresh+",v1="+sig("a", fresh, body)+",v1="+sig("b", fresh, body), body),
			wantErr: ErrSignature},
		{name: "only v0", provider: "stripe", secret: whsec, req: req("t="+fresh+",v0="+sig(whsec, fresh, body), body), wantErr: ErrSignature},
		{name: "wrong secret", provider: "stripe", secret: "whsec_other", req: req("t="+fresh+",v1="+sig(whsec, fresh, body), body), wantErr: ErrSignature},
		{name: "tampered body", provider: "stripe", secret: whsec, req: req("t="+fresh+",v1="+sig(whsec, fresh, body), strings.Replace(body, "false", "true", 1)), wantErr: ErrSignature},
		{name: "timestamp not the signed one", provider: "stripe", secret: whsec, req: req("t="+ts(now)+",v1="+sig(whsec, fresh, body), body), wantErr: ErrSignature},
		{name: "missing header", provider: "stripe", secret: whsec, req: req("", body), wantErr: ErrSignature},
		{name: "missing t", provider: "stripe", secret: whsec, req: req("v1="+sig(whsec, fresh, body), body), wantErr: ErrTimestamp},
		{name: "malformed t", provider: "stripe", secret: whsec, req: req("t=soon,v1="+sig(whsec, "soon", body), body), wantErr: ErrTimestamp},
		{name: "expired timestamp", provider: "stripe", secret: whsec, req: req("t="+old+",v1="+sig(whsec, old, body), body), wantErr: ErrTimestamp},
		{name: "future timestamp", provider: "stripe", secret: whsec, req: req("t="+future+",v1="+sig(whsec, future, body), body), wantErr: ErrTimestamp},
	})
}

func TestSlack(t *testing.T) {
	event := `{"token":"XXYYZZ","team_id":"T123ABC456","api_app_id":"A123ABC456","event":{"type":"message","channel":"C123ABC456","user":"U123ABC456","text":"hello","ts":"1699999980.000100"},"type":"event_callback","event_id":"Ev123ABC456","event_time":1699999980}`
	challenge := `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`
	command := "token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&command=%2Fweather&text=94070&user_id=U2147483697"
	ts := func(at time.Time) string { return strconv.FormatInt(at.Unix(), 10) }
	sig := func(key, t, b string) string { return "v0=" + macHex(key, "v0:"+t+":"+b) }
	fresh := ts(now.Add(-30 * time.Second))
	req := func(sig, t, b string, extra ...string) Request {
		h := hdr(extra...)
		if sig != "" {
			h["X-Slack-Signature"] = []string{sig}
		}
		if t != "" {
			h["X-Slack-Request-Timestamp"] = []string{t}
		}
		return Request{Method: "POST", Header: h, Body: []byte(b)}
	}
	wantEvent := Result{DeliveryID: "Ev123ABC456", EventType: "event_callback/message", OccurredAt: time.Unix(1699999980, 0)}
	old, future := ts(now.Add(-5*time.Minute-time.Second)), ts(now.Add(5*time.Minute+time.Second))
	runCases(t, []verifyCase{
		{name: "event_callback", provider: "slack", secret: secret, req: req(sig(secret, fresh, event), fresh, event), want: wantEvent},
		{name: "retry is the same event", provider: "slack", secret: secret,
			req:  req(sig(secret, fresh, event), fresh, event, "X-Slack-Retry-Num", "1", "X-Slack-Retry-Reason", "http_timeout"),
			want: wantEvent},
		{name: "url_verification", provider: "slack", secret: secret, req: req(sig(secret, fresh, challenge), fresh, challenge),
			want: Result{EventType: "url_verification", Challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}},
		{name: "url_verification with wrong secret", provider: "slack", secret: wrong, req: req(sig(secret, fresh, challenge), fresh, challenge), wantErr: ErrSignature},
		{name: "slash command", provider: "slack", secret: secret, req: req(sig(secret, fresh, command), fresh, command), want: Result{EventType: "command/weather"}},
		{name: "wrong secret", provider: "slack", secret: wrong, req: req(sig(secret, fresh, event), fresh, event), wantErr: ErrSignature},
		{name: "tampered body", provider: "slack", secret: secret, req: req(sig(secret, fresh, event), fresh, strings.Replace(event, "hello", "hullo", 1)), wantErr: ErrSignature},
		{name: "timestamp not the signed one", provider: "slack", secret: secret, req: req(sig(secret, fresh, event), ts(now), event), wantErr: ErrSignature},
		{name: "missing v0 prefix", provider: "slack", secret: secret, req: req(strings.TrimPrefix(sig(secret, fresh, event), "v0="), fresh, event), wantErr: ErrSignature},
		{name: "missing signature", provider: "slack", secret: secret, req: req("", fresh, event), wantErr: ErrSignature},
		{name: "missing timestamp", provider: "slack", secret: secret, req: req(sig(secret, fresh, event), "", event), wantErr: ErrTimestamp},
		{name: "expired timestamp", provider: "slack", secret: secret, req: req(sig(secret, old, event), old, event), wantErr: ErrTimestamp},
		{name: "future timestamp", provider: "slack", secret: secret, req: req(sig(secret, future, event), future, event), wantErr: ErrTimestamp},
	})
}

func TestMeta(t *testing.T) {
	const verifyToken = "my-verify-token"
	const appSecret = "0123456789abcdef0123456789abcdef"
	body := `{"object":"page","entry":[{"id":"123456","time":1699999990,"changes":[{"field":"leadgen","value":{"leadgen_id":"444","page_id":"123456","form_id":"555"}}]}]}`
	messaging := `{"object":"page","entry":[{"id":"123456","time":1699999990123,"messaging":[{"sender":{"id":"1"},"message":{"text":"hi"}}]}]}`
	get := func(query string) Request {
		return Request{Method: "GET", URL: mustURL(t, "https://hub.example.com/hooks/tok_9?"+query)}
	}
	post := func(sig, b string) Request {
		h := hdr("Content-Type", "application/json")
		if sig != "" {
			h["X-Hub-Signature-256"] = []string{sig}
		}
		return Request{Method: "POST", Header: h, Body: []byte(b)}
	}
	sig := func(key, b string) string { return "sha256=" + macHex(key, b) }
	runCases(t, []verifyCase{
		{name: "GET challenge", provider: "meta-ads", secret: verifyToken, req: get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=my-verify-token"), want: Result{Challenge: "1158201444"}},
		{name: "GET bad token", provider: "meta-ads", secret: verifyToken, req: get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess"), wantErr: ErrSignature},
		{name: "GET no token", provider: "meta-ads", secret: verifyToken, req: get("hub.mode=subscribe&hub.challenge=1158201444"), wantErr: ErrSignature},
		{name: "GET other mode", provider: "meta-ads", secret: verifyToken, req: get("hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=my-verify-token"), wantErr: ErrSignature},
		{name: "GET no challenge", provider: "meta-ads", secret: verifyToken, req: get("hub.mode=subscribe&hub.verify_token=my-verify-token"), wantErr: ErrSignature},
		{name: "GET empty secret", provider: "meta-ads", secret: "", req: get("hub.mode=subscribe&hub.challenge=1&hub.verify_token="), wantErr: ErrSignature},
		{name: "POST valid", provider: "meta-ads", secret: appSecret, req: post(sig(appSecret, body), body), want: Result{EventType: "page/leadgen", OccurredAt: time.Unix(1699999990, 0)}},
		{name: "POST without changes, time in ms", provider: "meta-ads", secret: appSecret, req: post(sig(appSecret, messaging), messaging), want: Result{EventType: "page", OccurredAt: time.UnixMilli(1699999990123)}},
		{name: "POST wrong secret", provider: "meta-ads", secret: wrong, req: post(sig(appSecret, body), body), wantErr: ErrSignature},
		{name: "POST tampered body", provider: "meta-ads", secret: appSecret, req: post(sig(appSecret, body), strings.Replace(body, "444", "445", 1)), wantErr: ErrSignature},
		{name: "POST missing header", provider: "meta-ads", secret: appSecret, req: post("", body), wantErr: ErrSignature},
		{name: "POST missing sha256= prefix", provider: "meta-ads", secret: appSecret, req: post(macHex(appSecret, body), body), wantErr: ErrSignature},
	})
}

func TestUnsupported(t *testing.T) {
	for _, p := range []string{"mailchimp", "zoho-crm", "fluentcrm", "wordpress", "", "Stripe"} {
		if Supported(p) {
			t.Errorf("Supported(%q) = true, want false", p)
		}
		if _, err := Verify(p, []byte(secret), Request{Method: "POST", Body: []byte("{}")}, now); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Verify(%q) error = %v, want ErrUnsupported", p, err)
		}
	}
	for _, p := range []string{"shopify", "woocommerce", "hubspot", "stripe", "slack", "meta-ads"} {
		if !Supported(p) {
			t.Errorf("Supported(%q) = false, want true", p)
		}
	}
}

// FuzzVerify checks that Verify never panics and, on error, returns a zero Result and one of
// the package's errors. Plain `go test` runs only the seeds; use -fuzz=FuzzVerify for more.
func FuzzVerify(f *testing.F) {
	body := `{"id":"evt_1","type":"invoice.paid","created":1699999950}`
	ts := strconv.FormatInt(now.Unix(), 10)
	f.Add("stripe", secret, "POST", "https://hub.example.com/hooks/x", "Stripe-Signature: t="+ts+",v1="+macHex(secret, ts+"."+body), body, now.Unix())
	f.Add("stripe", secret, "POST", "", "Stripe-Signature: t=,v1=,v1=zz,=,,", "", now.Unix())
	f.Add("shopify", secret, "POST", "", "X-Shopify-Hmac-Sha256: "+macB64(secret, body)+"\nX-Shopify-Triggered-At: not-a-time", body, now.Unix())
	f.Add("woocommerce", "", "POST", "", "", "webhook_id=1", int64(0))
	f.Add("woocommerce", secret, "POST", "", "X-WC-Webhook-Signature: ====", body, now.Unix())
	ms := strconv.FormatInt(now.UnixMilli(), 10)
	hub := `[{"eventId":"1e999","occurredAt":"x","subscriptionType":5}]`
	f.Add("hubspot", secret, "POST", "https://h.example.com/p?a=%3A%zz", "X-HubSpot-Signature-v3: "+macB64(secret, "POSThttps://h.example.com/p?a=:%zz"+hub+ms)+"\nX-HubSpot-Request-Timestamp: "+ms, hub, now.Unix())
	f.Add("hubspot", secret, "", "%%", "X-HubSpot-Signature-v3: x\nX-HubSpot-Request-Timestamp: 99999999999999999999", "[]", int64(-1<<62))
	slack := `{"type":"event_callback","event":"oops","event_time":"x"}`
	f.Add("slack", secret, "POST", "", "X-Slack-Signature: v0="+macHex(secret, "v0:"+ts+":"+slack)+"\nX-Slack-Request-Timestamp: "+ts, slack, now.Unix())
	f.Add("slack", secret, "POST", "", "X-Slack-Signature: v0=00\nX-Slack-Request-Timestamp: -5", "payload=%7B%22type%22%3A1%7D", now.Unix())
	f.Add("meta-ads", secret, "GET", "https://h.example.com/?hub.mode=subscribe&hub.challenge=1&hub.verify_token="+secret, "", "", now.Unix())
	f.Add("meta-ads", secret, "GET", "https://h.example.com/?hub.mode=subscribe;hub.challenge=%", "", "", now.Unix())
	meta := `{"object":"page","entry":[{"time":-1,"changes":[]}]}`
	f.Add("meta-ads", secret, "POST", "", "X-Hub-Signature-256: sha256="+macHex(secret, meta), meta, now.Unix())
	f.Add("unknown", "", "", "", "", "", int64(0))

	f.Fuzz(func(t *testing.T, provider, key, method, rawURL, headerBlob, body string, unix int64) {
		var u *url.URL
		if rawURL != "" {
			u, _ = url.Parse(rawURL)
		}
		h := http.Header{}
		for _, line := range strings.Split(headerBlob, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				h[k] = append(h[k], strings.TrimSpace(v))
			}
		}
		r := Request{Method: method, URL: u, Header: h, Body: []byte(body)}
		providers := []string{provider, "shopify", "woocommerce", "hubspot", "stripe", "slack", "meta-ads"}
		for _, p := range providers {
			got, err := Verify(p, []byte(key), r, time.Unix(unix, 0))
			if err == nil {
				continue
			}
			if !errors.Is(err, ErrSignature) && !errors.Is(err, ErrTimestamp) && !errors.Is(err, ErrUnsupported) {
				t.Errorf("Verify(%q) error %v is none of the package's errors", p, err)
			}
			if got != (Result{}) {
				t.Errorf("Verify(%q) returned %+v with error %v", p, got, err)
			}
		}
	})
}

// Package hooksig verifies the signatures of inbound webhooks from the platforms the hub
// connects to, and answers their verification challenges.
//
// Verify takes the raw request (the body exactly as received, before any JSON decoding) and the
// secret configured for the connection, and reports which delivery it is. The rules per
// platform (provider ids as in the connector catalogue):
//
//   - shopify: X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(secret, body)). The secret is the
//     app's client secret (or the key shown for webhooks made in the shop admin).
//   - woocommerce: X-WC-Webhook-Signature = base64(HMAC-SHA256(secret, body)) with the
//     webhook's secret. The unsigned ping WooCommerce posts when a webhook is saved (form body
//     "webhook_id=<n>") is reported as Result.Challenge "ping"; answer it 200.
//   - hubspot: X-HubSpot-Signature-v3 = base64(HMAC-SHA256(client secret,
//     method + URI + body + X-HubSpot-Request-Timestamp)), timestamp in ms, within 5 minutes.
//     URI is Request.URL, which must be the public URL HubSpot called (scheme://host/path?query).
//     As HubSpot's "Validating requests" page instructs, these escapes in the URI are decoded
//     before hashing: %3A : %2F / %3F ? %40 @ %21 ! %24 $ %27 ' %28 ( %29 ) %2A * %2C , %3B ;
//     (case-insensitive); the URI exactly as given is accepted too. The older v1/v2 signatures
//     (no timestamp, replayable) are not accepted.
//   - stripe: Stripe-Signature "t=<unix>,v1=<hex>[,v1=<hex>...]" where each v1 is
//     hex(HMAC-SHA256(whsec secret, t + "." + body)); t within 300 seconds. The whsec_ secret
//     is used as its literal string, as Stripe does.
//   - slack: X-Slack-Signature "v0=" + hex(HMAC-SHA256(signing secret,
//     "v0:" + X-Slack-Request-Timestamp + ":" + body)), timestamp within 5 minutes. A signed
//     url_verification request yields its challenge in Result.Challenge.
//   - meta-ads: a GET with hub.mode=subscribe, hub.verify_token and hub.challenge is the
//     subscription handshake; secret is then the verify token and Result.Challenge the value to
//     echo. A POST carries X-Hub-Signature-256 "sha256=" + hex(HMAC-SHA256(app secret, body)).
//
// Timestamps are rejected (ErrTimestamp) when further than the tolerance from now in either
// direction. Shopify, WooCommerce and Meta sign no timestamp, so their deliveries can be
// replayed: callers should dedupe on Result.DeliveryID, or on a hash of the body when empty.
// Signatures are compared with hmac.Equal.
package hooksig

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Request is what the verifier needs of an inbound HTTP request.
type Request struct {
	Method string      // HTTP method; "" is taken as POST
	URL    *url.URL    // the public URL the platform called (HubSpot signs it; Meta's GET handshake reads its query)
	Header http.Header // request headers; keys need not be canonical
	Body   []byte      // the raw body, exactly as received
}

// Result describes a verified delivery.
type Result struct {
	DeliveryID string    // the platform's unique id of this delivery/event, for dedupe ("" when the platform sends none: callers then hash the body)
	EventType  string    // platform event name, e.g. "orders/create", "invoice.payment_failed", "contact.propertyChange", "event_callback/message"
	Challenge  string    // non-empty when the request is a verification handshake; respond with it (Slack url_verification: the challenge value as text/plain or JSON; Meta GET hub.challenge)
	OccurredAt time.Time // when the platform says the event happened, if it says
}

// Errors returned by Verify; test with errors.Is. Missing signature headers and an empty
// secret are reported as ErrSignature; a missing or malformed timestamp as ErrTimestamp.
var (
	// ErrSignature reports a missing or non-matching signature (or verify token).
	ErrSignature = errors.New("hooksig: signature does not match")
	// ErrTimestamp reports a signed timestamp that is missing, malformed or too far from now.
	ErrTimestamp = errors.New("hooksig: timestamp outside the tolerance")
	// ErrUnsupported reports a provider whose webhooks this package cannot verify.
	ErrUnsupported = errors.New("hooksig: provider does not sign webhooks")
)

// Tolerances of the platforms that sign a timestamp.
const (
	hubspotTolerance = 5 * time.Minute
	stripeTolerance  = 300 * time.Second
	slackTolerance   = 5 * time.Minute
)

type verifier func(secret []byte, r Request, now time.Time) (Result, error)

var verifiers = map[string]verifier{
	"shopify":     verifyShopify,
	"woocommerce": verifyWooCommerce,
	"hubspot":     verifyHubSpot,
	"stripe":      verifyStripe,
	"slack":       verifySlack,
	"meta-ads":    verifyMeta,
}

// Supported reports whether Verify knows how to check provider's webhooks.
func Supported(provider string) bool {
	_, ok := verifiers[provider]
	return ok
}

// Verify checks the request's signature for provider (catalogue ids: shopify, woocommerce,
// hubspot, stripe, slack, meta-ads) with secret, at time now. On success it describes the
// delivery; a non-empty Result.Challenge means the request is a handshake to answer with it
// rather than an event. On failure the Result is zero and the error wraps ErrSignature,
// ErrTimestamp or ErrUnsupported.
func Verify(provider string, secret []byte, r Request, now time.Time) (Result, error) {
	v, ok := verifiers[provider]
	if !ok {
		return Result{}, fmt.Errorf("%w: %q", ErrUnsupported, provider)
	}
	res, err := v(secret, r, now)
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// header returns the values of header name, matching the name case-insensitively so that
// callers may build Header with non-canonical keys.
func header(h http.Header, name string) []string {
	if v := h.Values(name); len(v) > 0 {
		return v
	}
	var out []string
	for k, v := range h {
		if strings.EqualFold(k, name) {
			out = append(out, v...)
		}
	}
	return out
}

// header1 returns the first non-empty value of header name, trimmed.
func header1(h http.Header, name string) string {
	for _, v := range header(h, name) {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

func hmacSHA256(secret []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, secret)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

func errNoSecret() error { return fmt.Errorf("%w: no secret configured", ErrSignature) }

func errMissing(name string) error { return fmt.Errorf("%w: missing header %s", ErrSignature, name) }

// anyEqual reports whether any candidate equals want, comparing every candidate in constant time.
func anyEqual(want []byte, candidates [][]byte) bool {
	ok := false
	for _, c := range candidates {
		if hmac.Equal(c, want) {
			ok = true
		}
	}
	return ok
}

// decodeBase64s decodes every value of a base64 signature header, skipping undecodable ones.
func decodeBase64s(values []string) [][]byte {
	var out [][]byte
	for _, v := range values {
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			if b, err := base64.StdEncoding.DecodeString(f); err == nil && len(b) > 0 {
				out = append(out, b)
			}
		}
	}
	return out
}

// decodeHexs decodes every value of a hex signature header after removing prefix, skipping
// values without the prefix or not hex.
func decodeHexs(values []string, prefix string) [][]byte {
	var out [][]byte
	for _, v := range values {
		for _, f := range strings.Split(v, ",") {
			rest, ok := strings.CutPrefix(strings.TrimSpace(f), prefix)
			if !ok {
				continue
			}
			if b, err := hex.DecodeString(rest); err == nil && len(b) > 0 {
				out = append(out, b)
			}
		}
	}
	return out
}

// withinTolerance reports whether t is at most tol away from now, either way.
func withinTolerance(t, now time.Time, tol time.Duration) bool {
	d := now.Sub(t) // saturates rather than overflows
	return d <= tol && d >= -tol
}

// parseUnixSeconds parses a signed timestamp in seconds.
func parseUnixSeconds(s string) (time.Time, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 || n > 1<<40 {
		return time.Time{}, fmt.Errorf("%w: malformed timestamp %q", ErrTimestamp, s)
	}
	return time.Unix(n, 0), nil
}

// --- Shopify ---

func verifyShopify(secret []byte, r Request, _ time.Time) (Result, error) {
	if len(secret) == 0 {
		return Result{}, errNoSecret()
	}
	const sigHeader = "X-Shopify-Hmac-Sha256"
	sigs := header(r.Header, sigHeader)
	if header1(r.Header, sigHeader) == "" {
		return Result{}, errMissing(sigHeader)
	}
	if !anyEqual(hmacSHA256(secret, r.Body), decodeBase64s(sigs)) {
		return Result{}, ErrSignature
	}
	res := Result{
		DeliveryID: header1(r.Header, "X-Shopify-Webhook-Id"),
		EventType:  header1(r.Header, "X-Shopify-Topic"),
	}
	if res.DeliveryID == "" {
		res.DeliveryID = header1(r.Header, "X-Shopify-Event-Id")
	}
	if at := header1(r.Header, "X-Shopify-Triggered-At"); at != "" {
		if t, err := time.Parse(time.RFC3339Nano, at); err == nil {
			res.OccurredAt = t
		}
	}
	return res, nil
}

// --- WooCommerce ---

var wooPing = regexp.MustCompile(`^webhook_id=[0-9]+$`)

func verifyWooCommerce(secret []byte, r Request, _ time.Time) (Result, error) {
	// WooCommerce's ping on saving a webhook is posted unsigned; it carries no event.
	if wooPing.Match(bytes.TrimSpace(r.Body)) {
		return Result{Challenge: "ping"}, nil
	}
	if len(secret) == 0 {
		return Result{}, errNoSecret()
	}
	const sigHeader = "X-WC-Webhook-Signature"
	sigs := header(r.Header, sigHeader)
	if header1(r.Header, sigHeader) == "" {
		return Result{}, errMissing(sigHeader)
	}
	if !anyEqual(hmacSHA256(secret, r.Body), decodeBase64s(sigs)) {
		return Result{}, ErrSignature
	}
	return Result{
		DeliveryID: header1(r.Header, "X-WC-Webhook-Delivery-ID"),
		EventType:  header1(r.Header, "X-WC-Webhook-Topic"),
	}, nil
}

// --- HubSpot ---

// hubspotDecoder decodes the escapes HubSpot decodes in the URI before signing (v3).
var hubspotDecoder = func() *strings.Replacer {
	pairs := []string{
		"3A", ":", "2F", "/", "3F", "?", "40", "@", "21", "!", "24", "$",
		"27", "'", "28", "(", "29", ")", "2A", "*", "2C", ",", "3B", ";",
	}
	var args []string
	for i := 0; i < len(pairs); i += 2 {
		code, ch := pairs[i], pairs[i+1]
		args = append(args, "%"+code, ch, "%"+strings.ToLower(code), ch)
	}
	return strings.NewReplacer(args...)
}()

func verifyHubSpot(secret []byte, r Request, now time.Time) (Result, error) {
	if len(secret) == 0 {
		return Result{}, errNoSecret()
	}
	const sigHeader, tsHeader = "X-HubSpot-Signature-v3", "X-HubSpot-Request-Timestamp"
	sigs := header(r.Header, sigHeader)
	if header1(r.Header, sigHeader) == "" {
		return Result{}, errMissing(sigHeader)
	}
	tsRaw := header1(r.Header, tsHeader)
	if tsRaw == "" {
		return Result{}, fmt.Errorf("%w: missing header %s", ErrTimestamp, tsHeader)
	}
	ms, err := strconv.ParseInt(tsRaw, 10, 64)
	if err != nil || ms < 0 || ms > 1<<50 {
		return Result{}, fmt.Errorf("%w: malformed timestamp %q", ErrTimestamp, tsRaw)
	}
	if r.URL == nil {
		return Result{}, fmt.Errorf("%w: request URL needed", ErrSignature)
	}
	u := *r.URL
	u.Fragment, u.RawFragment = "", ""
	raw := u.String()
	method := strings.ToUpper(r.Method)
	if method == "" {
		method = http.MethodPost
	}
	got := decodeBase64s(sigs)
	ok := false
	for _, uri := range []string{hubspotDecoder.Replace(raw), raw} {
		want := hmacSHA256(secret, []byte(method), []byte(uri), r.Body, []byte(tsRaw))
		if anyEqual(want, got) {
			ok = true
		}
	}
	if !ok {
		return Result{}, ErrSignature
	}
	if !withinTolerance(time.UnixMilli(ms), now, hubspotTolerance) {
		return Result{}, fmt.Errorf("%w: %s %s", ErrTimestamp, tsHeader, tsRaw)
	}
	return hubspotResult(r.Body), nil
}

// hubspotResult reads the batch of events HubSpot posts (a JSON array; a single object is
// read as a batch of one). DeliveryID joins the events' eventIds with ","; EventType and
// OccurredAt come from the first event.
func hubspotResult(body []byte) Result {
	type event struct {
		EventID          json.Number `json:"eventId"`
		SubscriptionType string      `json:"subscriptionType"`
		OccurredAt       json.Number `json:"occurredAt"`
	}
	// Field type mismatches are ignored: json.Unmarshal still fills the fields it can.
	var events []event
	switch trimmed := bytes.TrimSpace(body); {
	case !json.Valid(trimmed):
		return Result{}
	case trimmed[0] == '[':
		_ = json.Unmarshal(trimmed, &events)
	case trimmed[0] == '{':
		var one event
		_ = json.Unmarshal(trimmed, &one)
		events = []event{one}
	}
	var res Result
	var ids []string
	for _, e := range events {
		if e.EventID != "" {
			ids = append(ids, e.EventID.String())
		}
	}
	res.DeliveryID = strings.Join(ids, ",")
	if len(events) > 0 {
		res.EventType = events[0].SubscriptionType
		if ms, err := events[0].OccurredAt.Int64(); err == nil && ms > 0 {
			res.OccurredAt = time.UnixMilli(ms)
		}
	}
	return res
}

// --- Stripe ---

func verifyStripe(secret []byte, r Request, now time.Time) (Result, error) {
	if len(secret) == 0 {
		return Result{}, errNoSecret()
	}
	const sigHeader = "Stripe-Signature"
	values := header(r.Header, sigHeader)
	if header1(r.Header, sigHeader) == "" {
		return Result{}, errMissing(sigHeader)
	}
	var tsRaw string
	var got [][]byte
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			k, val, _ := strings.Cut(strings.TrimSpace(item), "=")
			switch k {
			case "t":
				if tsRaw == "" {
					tsRaw = val
				}
			case "v1":
				if b, err := hex.DecodeString(val); err == nil && len(b) > 0 {
					got = append(got, b)
				}
			}
		}
	}
	if tsRaw == "" {
		return Result{}, fmt.Errorf("%w: no t= in %s", ErrTimestamp, sigHeader)
	}
	ts, err := parseUnixSeconds(tsRaw)
	if err != nil {
		return Result{}, err
	}
	if len(got) == 0 {
		return Result{}, fmt.Errorf("%w: no v1 signature in %s", ErrSignature, sigHeader)
	}
	if !anyEqual(hmacSHA256(secret, []byte(tsRaw), []byte("."), r.Body), got) {
		return Result{}, ErrSignature
	}
	if !withinTolerance(ts, now, stripeTolerance) {
		return Result{}, fmt.Errorf("%w: t=%s", ErrTimestamp, tsRaw)
	}
	var ev struct {
		ID      string          `json:"id"`
		Type    string          `json:"type"`
		Created json.RawMessage `json:"created"`
	}
	if !json.Valid(r.Body) {
		return Result{}, nil
	}
	_ = json.Unmarshal(r.Body, &ev) // keep what decodes

	res := Result{DeliveryID: ev.ID, EventType: ev.Type}
	// Snapshot events carry created as unix seconds; v2 "thin" events as an RFC 3339 string.
	var sec int64
	var str string
	if json.Unmarshal(ev.Created, &sec) == nil && sec > 0 {
		res.OccurredAt = time.Unix(sec, 0)
	} else if json.Unmarshal(ev.Created, &str) == nil {
		if t, err := time.Parse(time.RFC3339Nano, str); err == nil {
			res.OccurredAt = t
		}
	}
	return res, nil
}

// --- Slack ---

func verifySlack(secret []byte, r Request, now time.Time) (Result, error) {
	if len(secret) == 0 {
		return Result{}, errNoSecret()
	}
	const sigHeader, tsHeader = "X-Slack-Signature", "X-Slack-Request-Timestamp"
	sigs := header(r.Header, sigHeader)
	if header1(r.Header, sigHeader) == "" {
		return Result{}, errMissing(sigHeader)
	}
	tsRaw := header1(r.Header, tsHeader)
	if tsRaw == "" {
		return Result{}, fmt.Errorf("%w: missing header %s", ErrTimestamp, tsHeader)
	}
	ts, err := parseUnixSeconds(tsRaw)
	if err != nil {
		return Result{}, err
	}
	want := hmacSHA256(secret, []byte("v0:"+tsRaw+":"), r.Body)
	if !anyEqual(want, decodeHexs(sigs, "v0=")) {
		return Result{}, ErrSignature
	}
	if !withinTolerance(ts, now, slackTolerance) {
		return Result{}, fmt.Errorf("%w: %s %s", ErrTimestamp, tsHeader, tsRaw)
	}
	return slackResult(r.Body), nil
}

// slackResult describes a verified Slack request. Events API bodies are JSON; interactivity
// ("payload=<json>") and slash commands ("command=/x") are form-encoded and reported as
// "interactive/<type>" and "command/<name>".
func slackResult(body []byte) Result {
	var env struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
		EventID   string `json:"event_id"`
		EventTime int64  `json:"event_time"`
		Event     struct {
			Type string `json:"type"`
		} `json:"event"`
	}
	if !json.Valid(body) {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return Result{}
		}
		if p := form.Get("payload"); p != "" {
			var in struct {
				Type string `json:"type"`
			}
			if json.Unmarshal([]byte(p), &in) == nil && in.Type != "" {
				return Result{EventType: "interactive/" + in.Type}
			}
		}
		if c := strings.TrimPrefix(form.Get("command"), "/"); c != "" {
			return Result{EventType: "command/" + c}
		}
		return Result{}
	}
	_ = json.Unmarshal(body, &env) // keep what decodes
	switch env.Type {
	case "url_verification":
		return Result{EventType: env.Type, Challenge: env.Challenge}
	case "event_callback":
		res := Result{DeliveryID: env.EventID, EventType: env.Type}
		if env.Event.Type != "" {
			res.EventType += "/" + env.Event.Type
		}
		if env.EventTime > 0 {
			res.OccurredAt = time.Unix(env.EventTime, 0)
		}
		return res
	default:
		return Result{EventType: env.Type}
	}
}

// --- Meta ---

func verifyMeta(secret []byte, r Request, _ time.Time) (Result, error) {
	if len(secret) == 0 {
		return Result{}, errNoSecret()
	}
	if strings.EqualFold(r.Method, http.MethodGet) {
		if r.URL == nil {
			return Result{}, fmt.Errorf("%w: request URL needed", ErrSignature)
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return Result{}, fmt.Errorf("%w: malformed query", ErrSignature)
		}
		challenge := q.Get("hub.challenge")
		if q.Get("hub.mode") != "subscribe" || challenge == "" {
			return Result{}, fmt.Errorf("%w: not a subscribe handshake", ErrSignature)
		}
		if !hmac.Equal([]byte(q.Get("hub.verify_token")), secret) {
			return Result{}, fmt.Errorf("%w: hub.verify_token", ErrSignature)
		}
		return Result{Challenge: challenge}, nil
	}
	const sigHeader = "X-Hub-Signature-256"
	sigs := header(r.Header, sigHeader)
	if header1(r.Header, sigHeader) == "" {
		return Result{}, errMissing(sigHeader)
	}
	if !anyEqual(hmacSHA256(secret, r.Body), decodeHexs(sigs, "sha256=")) {
		return Result{}, ErrSignature
	}
	var n struct {
		Object string `json:"object"`
		Entry  []struct {
			Time    int64 `json:"time"`
			Changes []struct {
				Field string `json:"field"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if !json.Valid(r.Body) {
		return Result{}, nil
	}
	_ = json.Unmarshal(r.Body, &n) // keep what decodes
	res := Result{EventType: n.Object}
	if len(n.Entry) > 0 {
		e := n.Entry[0]
		if len(e.Changes) > 0 && e.Changes[0].Field != "" {
			res.EventType += "/" + e.Changes[0].Field
		}
		// entry.time is unix seconds for most objects, milliseconds for Messenger.
		switch {
		case e.Time > 1e12:
			res.OccurredAt = time.UnixMilli(e.Time)
		case e.Time > 0:
			res.OccurredAt = time.Unix(e.Time, 0)
		}
	}
	return res, nil
}

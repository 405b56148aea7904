package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/egress"
	"github.com/bizoshub/bizos/stdwebhooks"
	"github.com/bizoshub/bizos/telemetry"
)

// Delivery limits.
const (
	// AttemptTimeout bounds one HTTP call to an endpoint.
	AttemptTimeout = 10 * time.Second
	// ResponseExcerpt is how much of an answer an attempt records.
	ResponseExcerpt = 1024
	// DefaultDisableAfter disables an endpoint after this many failed
	// attempts in a row (across its deliveries; any success resets it).
	DefaultDisableAfter = 20
)

// Message is the JSON body of every outbound webhook.
type Message struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Timestamp time.Time       `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// Deliverer implements hub.WebhookDeliverer: it signs and sends one attempt
// through the egress guard and records it.
type Deliverer struct {
	store  hub.WebhookStore
	events hub.EventStore
	client *http.Client
	// DisableAfter is how many failed attempts in a row disable an endpoint
	// (DefaultDisableAfter; negative never disables).
	DisableAfter int
	// Log receives delivery problems; nil discards them.
	Log *slog.Logger
	// Now is the clock (time.Now).
	Now func() time.Time
}

// NewDeliverer returns a Deliverer that reads endpoints from store, events
// from events (and appends webhook.endpoint.disabled there), and calls
// endpoints only where policy allows.
func NewDeliverer(store hub.WebhookStore, events hub.EventStore, policy *egress.Policy) *Deliverer {
	return &Deliverer{
		store: store, events: events,
		client: &http.Client{
			Transport: telemetry.ClientSpans(policy.Transport()),
			Timeout:   AttemptTimeout,
			// A redirect could lead anywhere; the endpoint must answer itself.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		DisableAfter: DefaultDisableAfter,
	}
}

var _ hub.WebhookDeliverer = (*Deliverer)(nil)

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Deliverer) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.New(slog.DiscardHandler)
}

// AttemptDelivery implements hub.WebhookDeliverer.
func (d *Deliverer) AttemptDelivery(ctx context.Context, req hub.WebhookAttemptRequest) (hub.WebhookAttemptResult, error) {
	stop := func(reason string) (hub.WebhookAttemptResult, error) {
		err := d.store.SetWebhookDeliveryStatus(ctx, req.TenantID, req.DeliveryID, hub.DeliveryFailed, reason)
		if err != nil && hub.ErrorCode(err) != hub.ENOTFOUND {
			return hub.WebhookAttemptResult{}, err
		}
		return hub.WebhookAttemptResult{Stop: true, Status: hub.DeliveryFailed, Error: reason}, nil
	}
	ep, err := d.store.WebhookEndpoint(ctx, req.TenantID, req.EndpointID)
	if hub.ErrorCode(err) == hub.ENOTFOUND {
		return stop("the endpoint was deleted")
	} else if err != nil {
		return hub.WebhookAttemptResult{}, err
	}
	if !ep.Enabled {
		return stop("the endpoint is disabled")
	}
	ev, err := d.events.Event(ctx, req.TenantID, req.EventID)
	if hub.ErrorCode(err) == hub.ENOTFOUND {
		return stop("the event no longer exists")
	} else if err != nil {
		return hub.WebhookAttemptResult{}, err
	}
	secrets, err := d.store.WebhookSecrets(ctx, req.TenantID, req.EndpointID)
	if err != nil {
		return hub.WebhookAttemptResult{}, err
	}
	body, err := json.Marshal(Message{ID: ev.ID, Type: ev.Type, Timestamp: ev.OccurredAt.UTC(), Data: ev.Payload})
	if err != nil {
		return hub.WebhookAttemptResult{}, fmt.Errorf("encode message: %w", err)
	}
	now := d.now()
	var keys [][]byte
	for _, s := range secrets.Active(now) {
		k, err := stdwebhooks.ParseSecret(s)
		if err != nil {
			return hub.WebhookAttemptResult{}, fmt.Errorf("endpoint %s secret: %w", ep.ID, err)
		}
		keys = append(keys, k)
	}

	sent := time.Now()
	res, attempt := d.send(ctx, ep.URL, ev.ID, now, body, keys)
	elapsed := time.Since(sent)
	attempt.DeliveryID, attempt.Number = req.DeliveryID, req.Number
	wait := req.RetryDelay
	if ra := res.RetryAfter; req.MaxRetryAfter > 0 && ra > req.MaxRetryAfter {
		res.RetryAfter = req.MaxRetryAfter
	}
	if res.RetryAfter > wait {
		wait = res.RetryAfter
	}
	disableAfter := d.DisableAfter
	if disableAfter < 0 {
		disableAfter = 0
	}
	out, err := d.store.RecordWebhookAttempt(ctx, req.TenantID, attempt, req.Final, d.now().Add(wait), disableAfter)
	if err != nil {
		return hub.WebhookAttemptResult{}, err
	}
	res.Status = out.Status
	observeAttempt(attempt.Succeeded, out.Status, elapsed)
	if out.EndpointDisabled {
		d.log().WarnContext(ctx, "webhook endpoint disabled", "tenant_id", req.TenantID, "endpoint_id", ep.ID)
		payload, _ := json.Marshal(map[string]any{"endpoint_id": ep.ID, "url": ep.URL,
			"reason": fmt.Sprintf("%d consecutive failed delivery attempts", disableAfter), "last_error": attempt.Error, "last_status_code": attempt.StatusCode})
		if _, err := d.events.AppendEvents(ctx, []*hub.Event{{TenantID: req.TenantID, Type: hub.EventWebhookEndpointDisabled,
			Source: "hub", Payload: payload}}); err != nil {
			return hub.WebhookAttemptResult{}, fmt.Errorf("append %s: %w", hub.EventWebhookEndpointDisabled, err)
		}
		if !res.Succeeded && !req.Final {
			res.Stop, res.Status = true, hub.DeliveryFailed
			if err := d.store.SetWebhookDeliveryStatus(ctx, req.TenantID, req.DeliveryID, hub.DeliveryFailed, "the endpoint was disabled"); err != nil {
				return hub.WebhookAttemptResult{}, err
			}
		}
	}
	return res, nil
}

// send makes the HTTP call. Failures of the endpoint are in the result, not
// an error.
func (d *Deliverer) send(ctx context.Context, url, msgID string, now time.Time, body []byte, keys [][]byte) (hub.WebhookAttemptResult, *hub.WebhookAttempt) {
	attempt := &hub.WebhookAttempt{}
	var res hub.WebhookAttemptResult
	fail := func(msg string) (hub.WebhookAttemptResult, *hub.WebhookAttempt) {
		res.Error, attempt.Error = msg, msg
		return res, attempt
	}
	ctx, cancel := context.WithTimeout(ctx, AttemptTimeout)
	defer cancel()
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fail("bad endpoint URL")
	}
	for k, v := range stdwebhooks.Headers(msgID, now, body, keys...) {
		r.Header[k] = v
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "bizos-webhooks/1")
	start := time.Now()
	resp, err := d.client.Do(r)
	attempt.LatencyMS = time.Since(start).Milliseconds()
	if err != nil {
		var he *hub.Error
		switch {
		case errors.As(err, &he):
			return fail(he.Message)
		case errors.Is(err, context.DeadlineExceeded):
			return fail(fmt.Sprintf("no answer within %s", AttemptTimeout))
		default:
			return fail("could not reach the endpoint: " + err.Error())
		}
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, ResponseExcerpt))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	for len(excerpt) > 0 && !utf8.Valid(excerpt) {
		excerpt = excerpt[:len(excerpt)-1]
	}
	attempt.StatusCode, attempt.Response = resp.StatusCode, string(excerpt)
	res.StatusCode = resp.StatusCode
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		res.Succeeded, attempt.Succeeded = true, true
		return res, attempt
	}
	res.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), now)
	return fail(fmt.Sprintf("the endpoint answered %d", resp.StatusCode))
}

// retryAfter parses a Retry-After header: delay seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

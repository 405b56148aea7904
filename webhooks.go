package hub

import (
	"context"
	"strings"
	"time"
)

// Outbound webhook delivery statuses.
const (
	DeliveryPending   = "pending"   // not sent yet, or waiting for the next attempt
	DeliverySucceeded = "succeeded" // the endpoint answered 2xx
	DeliveryFailed    = "failed"    // stopped early: the endpoint was disabled or deleted
	DeliveryDead      = "dead"      // every attempt failed (dead letter); replay it by hand
)

// EventWebhookEndpointDisabled is the type of the hub event appended when an
// endpoint is disabled after too many consecutive failed attempts.
const EventWebhookEndpointDisabled = "webhook.endpoint.disabled"

// WebhookEndpoint is a tenant's URL that receives its events, signed per
// Standard Webhooks. The secret is stored sealed; Secret is filled only in
// the answers that create or rotate it.
type WebhookEndpoint struct {
	ID          string   `json:"id"`
	TenantID    string   `json:"tenant_id"`
	URL         string   `json:"url"`
	Description string   `json:"description"`
	EventTypes  []string `json:"event_types"`
	Enabled     bool     `json:"enabled"`
	// DisabledReason says why the hub disabled the endpoint, if it did.
	DisabledReason string `json:"disabled_reason,omitempty"`
	// ConsecutiveFailures counts failed attempts since the last success.
	ConsecutiveFailures int       `json:"consecutive_failures"`
	CreatedBy           string    `json:"created_by"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
	// Secret ("whsec_...") is shown once, when created or rotated.
	Secret string `json:"secret,omitempty"`
}

// Matches reports whether the endpoint subscribes to an event type.
func (e *WebhookEndpoint) Matches(eventType string) bool {
	for _, p := range e.EventTypes {
		if MatchEventType(p, eventType) {
			return true
		}
	}
	return false
}

// MatchEventType reports whether eventType matches pattern: an exact type,
// a prefix ending in "*" ("stripe.*"), or "*" for every type.
func MatchEventType(pattern, eventType string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(eventType, prefix)
	}
	return pattern == eventType
}

// WebhookSecrets are an endpoint's signing secrets: the current one and,
// for a while after a rotation, the previous one.
type WebhookSecrets struct {
	Current       string    `json:"current"`
	Previous      string    `json:"previous,omitempty"`
	PreviousUntil time.Time `json:"previous_until,omitempty"`
}

// Active returns the secrets that sign a message sent at now, newest first.
func (s *WebhookSecrets) Active(now time.Time) []string {
	out := []string{s.Current}
	if s.Previous != "" && now.Before(s.PreviousUntil) {
		out = append(out, s.Previous)
	}
	return out
}

// WebhookDelivery is one event on its way to one endpoint.
type WebhookDelivery struct {
	ID            string     `json:"id"`
	TenantID      string     `json:"tenant_id"`
	EndpointID    string     `json:"endpoint_id"`
	EventID       string     `json:"event_id"`
	EventType     string     `json:"event_type"`
	Status        string     `json:"status"`
	AttemptCount  int        `json:"attempt_count"`
	Replays       int        `json:"replays"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	// Attempts is filled by listings, oldest first.
	Attempts []*WebhookAttempt `json:"attempts,omitempty"`
}

// WebhookAttempt records one HTTP call of a delivery.
type WebhookAttempt struct {
	DeliveryID string    `json:"delivery_id"`
	Number     int       `json:"number"`
	StatusCode int       `json:"status_code,omitempty"` // 0 when no answer came
	LatencyMS  int64     `json:"latency_ms"`
	Response   string    `json:"response,omitempty"` // the first KiB of the answer
	Error      string    `json:"error,omitempty"`
	Succeeded  bool      `json:"succeeded"`
	At         time.Time `json:"at"`
}

// AttemptOutcome is what recording an attempt decided.
type AttemptOutcome struct {
	// Status is the delivery's status after the attempt.
	Status string
	// EndpointDisabled is true when this attempt disabled the endpoint.
	EndpointDisabled bool
}

// DispatchPosition is where a dispatcher stands in the event stream,
// ordered by (received_at, id).
type DispatchPosition struct {
	ReceivedAt time.Time `json:"received_at"`
	ID         string    `json:"id"`
}

// WebhookStore persists outbound webhook endpoints (secrets sealed),
// deliveries and their attempts.
type WebhookStore interface {
	// CreateWebhookEndpoint stores e with its secret, filling ID and times.
	CreateWebhookEndpoint(ctx context.Context, e *WebhookEndpoint, secret string) error
	// WebhookEndpoint returns one of the tenant's endpoints or ENOTFOUND.
	WebhookEndpoint(ctx context.Context, tenantID, id string) (*WebhookEndpoint, error)
	// ListWebhookEndpoints pages through the tenant's endpoints, newest first.
	ListWebhookEndpoints(ctx context.Context, tenantID string, page Page) ([]*WebhookEndpoint, string, error)
	// MatchingWebhookEndpoints returns the tenant's enabled endpoints
	// subscribed to eventType.
	MatchingWebhookEndpoints(ctx context.Context, tenantID, eventType string) ([]*WebhookEndpoint, error)
	// UpdateWebhookEndpoint saves e's URL, description, event types and
	// enabled flag; enabling clears the failure count and reason.
	UpdateWebhookEndpoint(ctx context.Context, e *WebhookEndpoint) error
	// DeleteWebhookEndpoint removes the endpoint with its deliveries.
	DeleteWebhookEndpoint(ctx context.Context, tenantID, id string) error
	// RotateWebhookSecret makes secret the current one; the previous keeps
	// signing until previousUntil.
	RotateWebhookSecret(ctx context.Context, tenantID, id, secret string, previousUntil time.Time) error
	// WebhookSecrets returns the endpoint's secrets.
	WebhookSecrets(ctx context.Context, tenantID, id string) (*WebhookSecrets, error)

	// EnsureWebhookDelivery stores d unless the (endpoint, event) pair has a
	// delivery already, and returns the stored one with created = false then.
	EnsureWebhookDelivery(ctx context.Context, d *WebhookDelivery) (stored *WebhookDelivery, created bool, err error)
	// WebhookDelivery returns one of the tenant's deliveries or ENOTFOUND.
	WebhookDelivery(ctx context.Context, tenantID, id string) (*WebhookDelivery, error)
	// ListWebhookDeliveries pages through an endpoint's deliveries, newest
	// first, with their attempts.
	ListWebhookDeliveries(ctx context.Context, tenantID, endpointID string, page Page) ([]*WebhookDelivery, string, error)
	// RecordWebhookAttempt stores an attempt and updates the delivery: a
	// success sets it succeeded and resets the endpoint's failure count; a
	// failure sets it dead when final, pending with nextAttempt otherwise,
	// and disables the endpoint once disableAfter attempts in a row failed
	// (0 never disables).
	RecordWebhookAttempt(ctx context.Context, tenantID string, a *WebhookAttempt, final bool, nextAttempt time.Time, disableAfter int) (AttemptOutcome, error)
	// SetWebhookDeliveryStatus sets a delivery's status and last error.
	SetWebhookDeliveryStatus(ctx context.Context, tenantID, id, status, lastError string) error
	// StartWebhookReplay counts a manual replay of a delivery, sets it
	// pending and returns the replay's number (1, 2, ...).
	StartWebhookReplay(ctx context.Context, tenantID, id string) (int, error)

	// EventsAfter returns up to limit events of every tenant received after
	// pos, oldest first, stopping before any event a still-open transaction
	// could yet commit (for at most lag).
	EventsAfter(ctx context.Context, pos DispatchPosition, lag time.Duration, limit int) ([]*Event, error)
	// DispatchPosition returns the stored position of a named dispatcher
	// (the zero position when none is stored).
	DispatchPosition(ctx context.Context, name string) (DispatchPosition, error)
	// SetDispatchPosition stores a dispatcher's position.
	SetDispatchPosition(ctx context.Context, name string, pos DispatchPosition) error
	// TryDispatchLock takes a cluster-wide lock named name without waiting.
	// ok is false when another process holds it; release frees it.
	TryDispatchLock(ctx context.Context, name string) (release func(), ok bool, err error)
}

// WebhookAttemptRequest asks for one attempt of a delivery.
type WebhookAttemptRequest struct {
	TenantID   string `json:"tenant_id"`
	EndpointID string `json:"endpoint_id"`
	EventID    string `json:"event_id"`
	DeliveryID string `json:"delivery_id"`
	Number     int    `json:"number"`
	// Final is true for the last allowed attempt.
	Final bool `json:"final"`
	// RetryDelay is how long the workflow waits before the next attempt if
	// this one fails (before Retry-After is considered).
	RetryDelay time.Duration `json:"retry_delay"`
	// MaxRetryAfter caps the Retry-After the endpoint may ask for.
	MaxRetryAfter time.Duration `json:"max_retry_after"`
}

// WebhookAttemptResult is what one attempt came to.
type WebhookAttemptResult struct {
	Succeeded  bool   `json:"succeeded"`
	StatusCode int    `json:"status_code"`
	Error      string `json:"error,omitempty"`
	// RetryAfter is the wait the endpoint asked for (Retry-After), if any.
	RetryAfter time.Duration `json:"retry_after"`
	// Stop is true when no further attempt may be made (endpoint disabled
	// or deleted, event purged); Status then says how the delivery ended.
	Stop   bool   `json:"stop"`
	Status string `json:"status"`
}

// WebhookDeliverer makes delivery attempts: it sends the signed request and
// records the outcome.
type WebhookDeliverer interface {
	AttemptDelivery(ctx context.Context, req WebhookAttemptRequest) (WebhookAttemptResult, error)
}

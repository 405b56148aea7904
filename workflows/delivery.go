package workflows

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	hub "github.com/bizoshub/bizos"
)

// Delivery defaults, used when DeliveryInput leaves a field zero.
const (
	DefaultDeliveryAttempts   = 8
	DefaultDeliveryInterval   = 30 * time.Second // wait after the first failed attempt
	DefaultDeliveryMaxDelay   = 6 * time.Hour    // longest wait between attempts
	DefaultDeliveryRetryAfter = 6 * time.Hour    // longest Retry-After honoured
	deliveryBackoff           = 3                // each wait is this many times the previous one
)

// DeliveryActivities holds what webhook delivery attempts need.
type DeliveryActivities struct {
	Deliverer hub.WebhookDeliverer
}

// Attempt sends one signed request for a delivery and records it. An
// endpoint that fails is not an activity error: the result says so and the
// workflow decides when to try again. Errors mean the hub itself failed
// (database down) and are retried by Temporal.
func (a *DeliveryActivities) Attempt(ctx context.Context, req hub.WebhookAttemptRequest) (hub.WebhookAttemptResult, error) {
	stopHeartbeat := heartbeatWhile(ctx)
	res, err := a.Deliverer.AttemptDelivery(ctx, req)
	stopHeartbeat()
	if err != nil {
		return res, fmt.Errorf("attempt delivery %s: %w", req.DeliveryID, err)
	}
	return res, nil
}

// DeliveryInput names a delivery and how hard to try.
type DeliveryInput struct {
	TenantID   string `json:"tenant_id"`
	EndpointID string `json:"endpoint_id"`
	EventID    string `json:"event_id"`
	DeliveryID string `json:"delivery_id"`
	// MaxAttempts bounds the attempts (DefaultDeliveryAttempts when 0).
	MaxAttempts int `json:"max_attempts,omitempty"`
	// InitialInterval is the wait after the first failure; each next wait
	// is 3 times longer, up to MaxInterval, with jitter.
	InitialInterval time.Duration `json:"initial_interval,omitempty"`
	MaxInterval     time.Duration `json:"max_interval,omitempty"`
	// MaxRetryAfter caps the Retry-After an endpoint may ask for.
	MaxRetryAfter time.Duration `json:"max_retry_after,omitempty"`
}

// DeliveryResult says how a delivery ended.
type DeliveryResult struct {
	Status   string `json:"status"` // hub.DeliverySucceeded, DeliveryDead or DeliveryFailed
	Attempts int    `json:"attempts"`
}

// DeliveryWorkflowID is the id of the workflow delivering an event to an
// endpoint, so that an event is delivered to an endpoint once however often
// it is dispatched. Replays (n ≥ 1) get their own ids.
func DeliveryWorkflowID(endpointID, eventID string, replay int) string {
	id := "delivery-" + endpointID + "-" + eventID
	if replay > 0 {
		id += "-replay-" + strconv.Itoa(replay)
	}
	return id
}

// RetryDelay is the wait after the n-th failed attempt (n ≥ 1): initial·3^(n-1)
// capped at max, then "equal jitter" (between half and all of it) taken from a
// hash of seed and n, so it is deterministic in the workflow and differs
// between deliveries (no thundering herd after an outage).
func RetryDelay(n int, initial, max time.Duration, seed string) time.Duration {
	d := initial
	for i := 1; i < n && d < max; i++ {
		d *= deliveryBackoff
	}
	if d > max {
		d = max
	}
	h := fnv.New64a()
	h.Write([]byte(seed + "#" + strconv.Itoa(n)))
	frac := float64(h.Sum64()%1000) / 1000
	return d/2 + time.Duration(float64(d/2)*frac)
}

// DeliverWebhook delivers one event to one endpoint: attempts with
// exponential backoff and jitter, honouring Retry-After, until the endpoint
// answers 2xx (succeeded), the attempts run out (dead), or the endpoint is
// disabled or deleted (failed). Start it with DeliveryWorkflowID.
func DeliverWebhook(ctx workflow.Context, in DeliveryInput) (DeliveryResult, error) {
	if in.TenantID == "" || in.EndpointID == "" || in.EventID == "" || in.DeliveryID == "" {
		return DeliveryResult{}, temporal.NewNonRetryableApplicationError("tenant, endpoint, event and delivery ids are required", "invalid_input", nil)
	}
	if in.MaxAttempts < 0 || in.InitialInterval < 0 || in.MaxInterval < 0 || in.MaxRetryAfter < 0 {
		return DeliveryResult{}, temporal.NewNonRetryableApplicationError("limits must not be negative", "invalid_input", nil)
	}
	if in.MaxAttempts == 0 {
		in.MaxAttempts = DefaultDeliveryAttempts
	}
	if in.InitialInterval == 0 {
		in.InitialInterval = DefaultDeliveryInterval
	}
	if in.MaxInterval == 0 {
		in.MaxInterval = DefaultDeliveryMaxDelay
	}
	if in.MaxRetryAfter == 0 {
		in.MaxRetryAfter = DefaultDeliveryRetryAfter
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// The HTTP call has its own 10 s timeout; the rest is database work.
		StartToCloseTimeout: time.Minute,
		HeartbeatTimeout:    StepHeartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: 10},
	})
	var a *DeliveryActivities
	res := DeliveryResult{Status: hub.DeliveryPending}
	for n := 1; n <= in.MaxAttempts; n++ {
		delay := RetryDelay(n, in.InitialInterval, in.MaxInterval, in.EndpointID+"/"+in.EventID)
		req := hub.WebhookAttemptRequest{TenantID: in.TenantID, EndpointID: in.EndpointID, EventID: in.EventID,
			DeliveryID: in.DeliveryID, Number: n, Final: n == in.MaxAttempts, RetryDelay: delay, MaxRetryAfter: in.MaxRetryAfter}
		var out hub.WebhookAttemptResult
		if err := workflow.ExecuteActivity(ctx, a.Attempt, req).Get(ctx, &out); err != nil {
			return res, fmt.Errorf("attempt %d: %w", n, err)
		}
		res.Attempts = n
		switch {
		case out.Succeeded:
			res.Status = hub.DeliverySucceeded
			return res, nil
		case out.Stop:
			res.Status = out.Status
			if res.Status == "" {
				res.Status = hub.DeliveryFailed
			}
			return res, nil
		case n == in.MaxAttempts:
			res.Status = hub.DeliveryDead
			return res, nil
		}
		if ra := min(out.RetryAfter, in.MaxRetryAfter); ra > delay {
			delay = ra
		}
		if err := workflow.Sleep(ctx, delay); err != nil {
			return res, err
		}
	}
	return res, nil
}

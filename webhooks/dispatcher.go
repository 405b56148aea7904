package webhooks

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/poller"
	"github.com/bizoshub/bizos/workflows"
)

// Dispatcher defaults.
const (
	DefaultPollInterval = 200 * time.Millisecond
	DefaultBatch        = 100
	// DefaultLag bounds how long a transaction still open may hold
	// dispatch back: events are read up to the start of the oldest open
	// transaction, or up to DefaultLag ago when that is older.
	DefaultLag = 5 * time.Second
	// dispatcherName names the position and the lock.
	dispatcherName = "webhooks"
)

// Dispatcher reads every tenant's events in order after its stored
// position and starts DeliverWebhook for each enabled endpoint that
// subscribes to the event. Dispatch is at least once; the delivery row
// (unique per endpoint and event) and the workflow id make delivery once.
// Only the replica holding the PostgreSQL advisory lock dispatches.
type Dispatcher struct {
	store    hub.WebhookStore
	temporal client.Client
	// Limits are copied into every delivery workflow's input.
	Limits workflows.DeliveryInput
	// PollInterval, Batch and Lag tune polling (defaults above).
	PollInterval time.Duration
	Batch        int
	Lag          time.Duration
	// Log receives dispatch problems; nil discards them.
	Log *slog.Logger
}

// NewDispatcher returns a Dispatcher reading events and endpoints from
// store and starting workflows with c.
func NewDispatcher(store hub.WebhookStore, c client.Client) *Dispatcher {
	return &Dispatcher{store: store, temporal: c, PollInterval: DefaultPollInterval, Batch: DefaultBatch, Lag: DefaultLag}
}

func (d *Dispatcher) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Run dispatches until ctx ends, on one replica at a time (an advisory
// lock); while another replica holds it, it waits and tries again.
func (d *Dispatcher) Run(ctx context.Context) error {
	poll := d.PollInterval
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	poller.Run(ctx, poller.Config{Name: dispatcherName, Poll: poll, Log: d.log()}, d.store.TryDispatchLock, d.DispatchOnce)
	return nil
}

// DispatchOnce dispatches the next batch of events and advances the
// position past each dispatched event. It returns how many events it read.
// Callers other than Run must make sure only one dispatches at a time.
func (d *Dispatcher) DispatchOnce(ctx context.Context) (int, error) {
	batch := d.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	return poller.DispatchEvents(ctx, d.store, dispatcherName, d.Lag, batch, d.Dispatch)
}

// Dispatch creates a delivery of e for each matching endpoint and starts
// its workflow. Dispatching an event again delivers nothing twice.
func (d *Dispatcher) Dispatch(ctx context.Context, e *hub.Event) error {
	eps, err := d.store.MatchingWebhookEndpoints(ctx, e.TenantID, e.Type)
	if err != nil {
		return err
	}
	for _, ep := range eps {
		del, created, err := d.store.EnsureWebhookDelivery(ctx, &hub.WebhookDelivery{TenantID: e.TenantID, EndpointID: ep.ID,
			EventID: e.ID, EventType: e.Type})
		if hub.ErrorCode(err) == hub.ENOTFOUND {
			continue // the endpoint was deleted meanwhile
		}
		if err != nil {
			return err
		}
		// A delivery that already ended was started before; one still
		// pending may not have been (a crash between the two steps), and
		// starting it again is harmless thanks to the workflow id.
		if !created && del.Status != hub.DeliveryPending {
			continue
		}
		if err := startDelivery(ctx, d.temporal, d.Limits, del, 0); err != nil {
			return fmt.Errorf("start delivery %s: %w", del.ID, err)
		}
	}
	return nil
}

// Package inbound receives the platforms' webhooks: it verifies each
// delivery's signature, drops redeliveries, stores the event durably (in
// batches, so many concurrent deliveries share one commit) and only then
// answers 2xx. It also serves the event log at /api/v1/events.
package inbound

import (
	"context"
	"fmt"
	"time"

	hub "github.com/bizoshub/bizos"
)

// Writer stores events in batches: concurrent Append calls are gathered
// into one multi-row INSERT, and each call returns once its batch is
// committed (group commit).
type Writer struct {
	store    hub.EventStore
	maxBatch int
	maxWait  time.Duration
	queue    chan *pending
}

type pending struct {
	event *hub.Event
	done  chan appendResult
}

type appendResult struct {
	duplicate bool
	err       error
}

// NewWriter returns a writer; call Run to start it.
func NewWriter(store hub.EventStore) *Writer {
	return &Writer{store: store, maxBatch: 256, maxWait: 500 * time.Microsecond, queue: make(chan *pending, 4096)}
}

// Append stores e and reports whether it was a duplicate of a stored event.
func (w *Writer) Append(ctx context.Context, e *hub.Event) (bool, error) {
	p := &pending{event: e, done: make(chan appendResult, 1)}
	select {
	case w.queue <- p:
	case <-ctx.Done():
		return false, fmt.Errorf("inbound: enqueue: %w", ctx.Err())
	}
	// Once queued, the event is written whatever happens to the caller;
	// waiting for the commit is what makes the 2xx truthful.
	select {
	case r := <-p.done:
		return r.duplicate, r.err
	case <-ctx.Done():
		return false, fmt.Errorf("inbound: store: %w", ctx.Err())
	}
}

// Run writes batches with flushers concurrent flushers until ctx ends, then
// drains what is queued.
func (w *Writer) Run(ctx context.Context, flushers int) {
	done := make(chan struct{})
	for i := 0; i < flushers; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			w.flushLoop(ctx)
		}()
	}
	for i := 0; i < flushers; i++ {
		<-done
	}
}

func (w *Writer) flushLoop(ctx context.Context) {
	batch := make([]*pending, 0, w.maxBatch)
	for {
		batch = batch[:0]
		select {
		case p := <-w.queue:
			batch = append(batch, p)
		case <-ctx.Done():
			w.drain()
			return
		}
		timer := time.NewTimer(w.maxWait)
	gather:
		for len(batch) < w.maxBatch {
			select {
			case p := <-w.queue:
				batch = append(batch, p)
			case <-timer.C:
				break gather
			}
		}
		timer.Stop()
		w.write(context.WithoutCancel(ctx), batch)
	}
}

func (w *Writer) drain() {
	for {
		select {
		case p := <-w.queue:
			w.write(context.Background(), []*pending{p})
		default:
			return
		}
	}
}

func (w *Writer) write(ctx context.Context, batch []*pending) {
	events := make([]*hub.Event, len(batch))
	for i, p := range batch {
		events[i] = p.event
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	dups, err := w.store.AppendEvents(ctx, events)
	for i, p := range batch {
		r := appendResult{err: err}
		if err == nil {
			r.duplicate = dups[i]
		}
		p.done <- r
	}
}

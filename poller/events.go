package poller

import (
	"context"
	"fmt"
	"time"

	hub "github.com/bizoshub/bizos"
)

// EventStream reads every tenant's events in order after a named position.
type EventStream interface {
	EventsAfter(ctx context.Context, pos hub.DispatchPosition, lag time.Duration, limit int) ([]*hub.Event, error)
	DispatchPosition(ctx context.Context, name string) (hub.DispatchPosition, error)
	SetDispatchPosition(ctx context.Context, name string, pos hub.DispatchPosition) error
}

// DispatchEvents hands the next batch of events after the position named
// name to handle, in order, and advances the position past each event
// handled. Events younger than lag are left for later (a transaction that
// commits late must not be skipped). It returns how many events it read; on
// a failure the position stays after the last event handled.
func DispatchEvents(ctx context.Context, stream EventStream, name string, lag time.Duration, batch int,
	handle func(context.Context, *hub.Event) error) (int, error) {
	pos, err := stream.DispatchPosition(ctx, name)
	if err != nil {
		return 0, err
	}
	events, err := stream.EventsAfter(ctx, pos, max(lag, 0), batch)
	if err != nil {
		return 0, err
	}
	advance := func(e *hub.Event) error {
		return stream.SetDispatchPosition(ctx, name, hub.DispatchPosition{ReceivedAt: e.ReceivedAt, ID: e.ID})
	}
	for i, e := range events {
		if err := handle(ctx, e); err != nil {
			if i > 0 {
				if perr := advance(events[i-1]); perr != nil {
					return i, perr
				}
			}
			return i, fmt.Errorf("dispatch event %s: %w", e.ID, err)
		}
	}
	if n := len(events); n > 0 {
		if err := advance(events[n-1]); err != nil {
			return n, err
		}
	}
	return len(events), nil
}

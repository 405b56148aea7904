package redisstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	hub "github.com/bizoshub/bizos"
)

// RunEvents carries agent runs' transcript events to live listeners on
// every replica over Redis pub/sub (channel "<prefix>run:<run id>").
// Delivery is best effort: listeners read the stored transcript for
// anything they missed.
type RunEvents struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRunEvents returns a RunEvents on rdb with the key prefix.
func NewRunEvents(rdb redis.UniversalClient, prefix string) *RunEvents {
	return &RunEvents{rdb: rdb, prefix: prefix}
}

var _ hub.RunEventPublisher = (*RunEvents)(nil)

func (r *RunEvents) channel(runID string) string { return r.prefix + "run:" + runID }

// PublishRunEvent implements hub.RunEventPublisher.
func (r *RunEvents) PublishRunEvent(ctx context.Context, e *hub.RunEvent) error {
	raw, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("redisstore: encode run event: %w", err)
	}
	if err := r.rdb.Publish(ctx, r.channel(e.RunID), raw).Err(); err != nil {
		return fmt.Errorf("redisstore: publish run event: %w", err)
	}
	return nil
}

// SubscribeRun returns the events published for a run from now on, until
// ctx ends or stop is called.
func (r *RunEvents) SubscribeRun(ctx context.Context, runID string) (<-chan *hub.RunEvent, func(), error) {
	sub := r.rdb.Subscribe(ctx, r.channel(runID))
	if _, err := sub.Receive(ctx); err != nil { // the subscription is confirmed
		_ = sub.Close()
		return nil, nil, fmt.Errorf("redisstore: subscribe run events: %w", err)
	}
	out := make(chan *hub.RunEvent, 256)
	go func() {
		defer close(out)
		for msg := range sub.Channel() {
			var e hub.RunEvent
			if json.Unmarshal([]byte(msg.Payload), &e) != nil {
				continue
			}
			select {
			case out <- &e:
			default: // a slow listener drops live events; it re-reads the stored ones
			}
		}
	}()
	return out, func() { _ = sub.Close() }, nil
}

package redisstore

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Watcher announces policy changes on a Redis channel and calls back when any
// replica announces one. It implements casbin's persist.Watcher.
type Watcher struct {
	rdb     redis.UniversalClient
	channel string
	sub     *redis.PubSub
	log     *slog.Logger

	mu       sync.Mutex
	callback func(string)
	done     chan struct{}
}

// NewWatcher subscribes to channel and starts delivering announcements.
func NewWatcher(ctx context.Context, rdb redis.UniversalClient, channel string, log *slog.Logger) (*Watcher, error) {
	sub := rdb.Subscribe(ctx, channel)
	if _, err := sub.Receive(ctx); err != nil {
		sub.Close()
		return nil, fmt.Errorf("redisstore: subscribe %s: %w", channel, err)
	}
	w := &Watcher{rdb: rdb, channel: channel, sub: sub, log: log, done: make(chan struct{})}
	go w.loop()
	return w, nil
}

func (w *Watcher) loop() {
	defer close(w.done)
	for msg := range w.sub.Channel() {
		w.mu.Lock()
		cb := w.callback
		w.mu.Unlock()
		if cb != nil {
			cb(msg.Payload)
		}
	}
}

// SetUpdateCallback implements persist.Watcher.
func (w *Watcher) SetUpdateCallback(cb func(string)) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.callback = cb
	return nil
}

// Update implements persist.Watcher: it tells every replica to reload.
func (w *Watcher) Update() error {
	if err := w.rdb.Publish(context.Background(), w.channel, "reload").Err(); err != nil {
		w.log.Error("policy change announcement failed", "err", err)
		return fmt.Errorf("redisstore: publish: %w", err)
	}
	return nil
}

// Close implements persist.Watcher.
func (w *Watcher) Close() {
	_ = w.sub.Close()
	<-w.done
}

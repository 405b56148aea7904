package main

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// drain is a process's graceful stop. When the stop signal comes, readiness
// fails first (so load balancers and Kubernetes stop sending traffic), then,
// after Delay, listeners stop accepting and in-flight requests get Timeout to
// finish; the worker lets running activities finish or heartbeat out.
type drain struct {
	Delay    time.Duration
	Timeout  time.Duration
	stopping atomic.Bool
}

var errDraining = errors.New("shutting down")

// Ready is a readiness check that fails once the stop has begun.
func (d *drain) Ready(context.Context) error {
	if d.stopping.Load() {
		return errDraining
	}
	return nil
}

// Begin marks the stop and waits out the delay; it is safe to call from
// every listener of the process at once.
func (d *drain) Begin() {
	d.stopping.Store(true)
	time.Sleep(d.Delay)
}

type drainKey struct{}

// withDrain returns ctx carrying d, for the listeners started under it.
func withDrain(ctx context.Context, d *drain) context.Context {
	return context.WithValue(ctx, drainKey{}, d)
}

// drainFrom returns ctx's drain, or one with no delay and the default timeout.
func drainFrom(ctx context.Context) *drain {
	if d, ok := ctx.Value(drainKey{}).(*drain); ok {
		return d
	}
	return &drain{Timeout: 10 * time.Second}
}

// Package poller runs a batch step over and over on one replica at a time:
// it takes a lease (an advisory lock), calls the step until it finds no
// work, waits, and gives the lease up after repeated failures so it is taken
// afresh. The event dispatchers run on it.
package poller

import (
	"context"
	"log/slog"
	"time"
)

// Lock tries to take the lease named name; ok is false when another holder has it.
type Lock func(ctx context.Context, name string) (release func(), ok bool, err error)

// Step does one batch of work and reports how many items it handled.
type Step func(ctx context.Context) (int, error)

// Config describes one poller.
type Config struct {
	Name string        // the lease name, also used in log lines
	Poll time.Duration // the wait when a step found nothing to do
	// MaxFailures in a row give the lease up (5 when zero).
	MaxFailures int
	Log         *slog.Logger
}

// Run polls until ctx ends, holding the lease while it works. While another
// replica holds it, Run waits ten poll intervals and tries again.
func Run(ctx context.Context, cfg Config, lock Lock, step Step) {
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 5
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	for {
		release, ok, err := lock(ctx, cfg.Name)
		if err != nil {
			cfg.Log.WarnContext(ctx, "poller: lock", "poller", cfg.Name, "err", err)
		}
		if ok {
			err := loop(ctx, cfg, step)
			release()
			if ctx.Err() != nil {
				return
			}
			cfg.Log.WarnContext(ctx, "poller stopped working; taking the lease again", "poller", cfg.Name, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * cfg.Poll):
		}
	}
}

func loop(ctx context.Context, cfg Config, step Step) error {
	failures := 0
	for {
		n, err := step(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			failures++
			cfg.Log.WarnContext(ctx, "poller step failed", "poller", cfg.Name, "err", err, "failures", failures)
			if failures >= cfg.MaxFailures {
				return err
			}
		} else {
			failures = 0
		}
		if n > 0 && err == nil {
			continue // more may be waiting
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(cfg.Poll):
		}
	}
}

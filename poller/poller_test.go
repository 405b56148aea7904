package poller_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/bizoshub/bizos/poller"
)

// fakeLease is an in-memory lease for the test.
type fakeLease struct {
	mu   sync.Mutex
	held bool
	took int
}

func (l *fakeLease) lock(ctx context.Context, name string) (func(), bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held {
		return nil, false, nil
	}
	l.held = true
	l.took++
	return func() { l.mu.Lock(); l.held = false; l.mu.Unlock() }, true, nil
}

func TestRunDrainsWorkAndRetakesLeaseAfterFailures(t *testing.T) {
	lease := &fakeLease{}
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	calls := 0
	work := 3 // three items, then five failures, then nothing
	step := func(ctx context.Context) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		switch {
		case work > 0:
			work--
			return 1, nil
		case calls <= 3+5+1:
			return 0, errors.New("database down")
		}
		cancel()
		return 0, nil
	}
	done := make(chan struct{})
	go func() {
		poller.Run(ctx, poller.Config{Name: "test", Poll: time.Millisecond}, lease.lock, step)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not stop when its context ended")
	}
	lease.mu.Lock()
	defer lease.mu.Unlock()
	if lease.took < 2 {
		t.Errorf("lease taken %d times, want it taken again after five failures", lease.took)
	}
	if lease.held {
		t.Error("the lease is still held after Run returned")
	}
}

func TestRunWaitsWhileAnotherHolds(t *testing.T) {
	lease := &fakeLease{held: true}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	stepped := false
	poller.Run(ctx, poller.Config{Name: "test", Poll: time.Millisecond}, lease.lock, func(context.Context) (int, error) {
		stepped = true
		return 0, nil
	})
	if stepped {
		t.Error("a step ran without the lease")
	}
}

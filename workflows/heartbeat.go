package workflows

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
)

// StepHeartbeatTimeout is how long Temporal waits without a heartbeat from
// a running platform call before it gives the call to another worker. It
// is what lets a step cut off by a dead worker resume in seconds rather
// than after its whole start-to-close timeout.
const StepHeartbeatTimeout = 15 * time.Second

// heartbeatWhile records an activity heartbeat every third of the
// activity's heartbeat timeout until the returned stop is called. Outside
// an activity (or with no heartbeat timeout) it does nothing.
func heartbeatWhile(ctx context.Context) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	every := activity.GetInfo(ctx).HeartbeatTimeout / 3
	if every <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}

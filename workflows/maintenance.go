// Package workflows holds the hub's Temporal workflows (deterministic code
// that imports only hub and the workflow package) and their activities
// (methods on Activities, which holds the dependencies).
package workflows

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	hub "github.com/bizoshub/bizos"
)

// TaskQueue is the task queue the hub's worker polls.
const TaskQueue = "bizos"

// Activities holds the dependencies of the hub's activities.
type Activities struct {
	RefreshTokens hub.RefreshTokenStore
	Events        hub.EventStore
}

// PurgeEvents deletes events received before the given time.
func (a *Activities) PurgeEvents(ctx context.Context, before time.Time) (int64, error) {
	n, err := a.Events.PurgeEvents(ctx, before)
	if err != nil {
		return 0, fmt.Errorf("purge events: %w", err)
	}
	return n, nil
}

// PurgeRefreshTokens deletes refresh tokens that expired before the given time.
func (a *Activities) PurgeRefreshTokens(ctx context.Context, before time.Time) (int64, error) {
	n, err := a.RefreshTokens.PurgeRefreshTokens(ctx, before)
	if err != nil {
		return 0, fmt.Errorf("purge refresh tokens: %w", err)
	}
	return n, nil
}

// PurgeInput configures a purge run.
type PurgeInput struct {
	// Retention keeps expired tokens this long (for investigating reuse) before deleting them.
	Retention time.Duration
	// EventRetention keeps events this long; zero keeps them forever.
	EventRetention time.Duration
}

// PurgeResult reports what a purge deleted.
type PurgeResult struct {
	RefreshTokensDeleted int64
	EventsDeleted        int64
}

// PurgeExpiredCredentials deletes expired refresh tokens older than the
// retention. The worker runs it hourly through a Temporal schedule.
func PurgeExpiredCredentials(ctx workflow.Context, in PurgeInput) (PurgeResult, error) {
	if in.Retention < 0 {
		return PurgeResult{}, temporal.NewNonRetryableApplicationError("retention must not be negative", "invalid_input", nil)
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
			MaximumAttempts:    5,
		},
	})
	var a *Activities
	var res PurgeResult
	before := workflow.Now(ctx).Add(-in.Retention)
	if err := workflow.ExecuteActivity(ctx, a.PurgeRefreshTokens, before).Get(ctx, &res.RefreshTokensDeleted); err != nil {
		return res, fmt.Errorf("purge refresh tokens: %w", err)
	}
	// Event retention came later: runs recorded before it replay unchanged.
	if v := workflow.GetVersion(ctx, "purge-events", workflow.DefaultVersion, 1); v == 1 && in.EventRetention > 0 {
		cutoff := workflow.Now(ctx).Add(-in.EventRetention)
		if err := workflow.ExecuteActivity(ctx, a.PurgeEvents, cutoff).Get(ctx, &res.EventsDeleted); err != nil {
			return res, fmt.Errorf("purge events: %w", err)
		}
	}
	return res, nil
}

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
}

// PurgeResult reports what a purge deleted.
type PurgeResult struct {
	RefreshTokensDeleted int64
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
	return res, nil
}

package workflows

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	hub "github.com/bizoshub/bizos"
)

// HealthCheckActivities holds what the connection health check needs.
type HealthCheckActivities struct {
	Sweeper hub.ConnectionSweeper
	Checker hub.ConnectionChecker
}

// StaleConnections lists connections due for a check.
func (a *HealthCheckActivities) StaleConnections(ctx context.Context, before time.Time, limit int) ([]hub.ConnectionRef, error) {
	refs, err := a.Sweeper.StaleConnections(ctx, before, limit)
	if err != nil {
		return nil, fmt.Errorf("stale connections: %w", err)
	}
	return refs, nil
}

// CheckConnection tests one connection live and returns its new status.
// A connection deleted meanwhile is not an error.
func (a *HealthCheckActivities) CheckConnection(ctx context.Context, ref hub.ConnectionRef) (string, error) {
	c, err := a.Checker.Check(ctx, ref.TenantID, ref.ID, hub.CheckSourceScheduled)
	if hub.ErrorCode(err) == hub.ENOTFOUND {
		return "deleted", nil
	}
	if err != nil {
		return "", fmt.Errorf("check connection %s: %w", ref.ID, err)
	}
	return c.Status, nil
}

// HealthCheckInput configures a health-check run.
type HealthCheckInput struct {
	// MaxAge re-checks connections last checked longer ago than this.
	MaxAge time.Duration
	// Batch bounds how many connections one run checks.
	Batch int
}

// HealthCheckResult counts the outcomes of a run by status.
type HealthCheckResult struct {
	Checked  int            `json:"checked"`
	Statuses map[string]int `json:"statuses"`
	Failed   int            `json:"failed"`
}

// CheckConnections tests every connection that was not checked within
// MaxAge (up to Batch of them), in parallel activities, so expired and
// broken connections show up on the connectors page and the health page.
// The worker runs it on a schedule.
func CheckConnections(ctx workflow.Context, in HealthCheckInput) (HealthCheckResult, error) {
	res := HealthCheckResult{Statuses: map[string]int{}}
	if in.MaxAge <= 0 || in.Batch <= 0 {
		return res, temporal.NewNonRetryableApplicationError("max age and batch must be positive", "invalid_input", nil)
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: 30 * time.Second, MaximumAttempts: 3},
	})
	var a *HealthCheckActivities
	var refs []hub.ConnectionRef
	if err := workflow.ExecuteActivity(ctx, a.StaleConnections, workflow.Now(ctx).Add(-in.MaxAge), in.Batch).Get(ctx, &refs); err != nil {
		return res, fmt.Errorf("list connections: %w", err)
	}
	futures := make([]workflow.Future, len(refs))
	for i, ref := range refs {
		futures[i] = workflow.ExecuteActivity(ctx, a.CheckConnection, ref)
	}
	for _, f := range futures {
		var status string
		if err := f.Get(ctx, &status); err != nil {
			res.Failed++
			continue
		}
		res.Checked++
		res.Statuses[status]++
	}
	return res, nil
}

package workflows

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	hub "github.com/bizoshub/bizos"
)

// RuleScheduleInput names the scheduled rule a Temporal Schedule fires.
type RuleScheduleInput struct {
	TenantID string `json:"tenant_id"`
	RuleID   string `json:"rule_id"`
}

// RuleScheduleEvent asks AppendScheduleEvent to record one firing.
type RuleScheduleEvent struct {
	TenantID string    `json:"tenant_id"`
	RuleID   string    `json:"rule_id"`
	FiredAt  time.Time `json:"fired_at"`
}

// AppendScheduleEvent appends the rule.schedule.fired event of one firing,
// keyed by the firing workflow's id so a retried activity appends it once.
// The rules dispatcher then runs the rule for it like for any event.
func (a *RuleActivities) AppendScheduleEvent(ctx context.Context, req RuleScheduleEvent) error {
	payload, err := json.Marshal(map[string]any{"rule_id": req.RuleID, "fired_at": req.FiredAt.UTC().Format(time.RFC3339)})
	if err != nil {
		return err
	}
	_, err = a.Events.AppendEvents(ctx, []*hub.Event{{TenantID: req.TenantID, Type: hub.EventRuleScheduleFired, Source: "hub",
		ExternalID: activity.GetInfo(ctx).WorkflowExecution.ID, OccurredAt: req.FiredAt, Payload: payload}})
	if err != nil {
		return fmt.Errorf("append schedule event of rule %s: %w", req.RuleID, err)
	}
	return nil
}

// FireRuleSchedule is what a scheduled rule's Temporal Schedule starts at
// each fire time: it records a rule.schedule.fired event, durably, and
// leaves the run to the rules dispatcher, so a scheduled run is recorded,
// deduplicated and retried exactly like an event-triggered one.
func FireRuleSchedule(ctx workflow.Context, in RuleScheduleInput) error {
	if in.TenantID == "" || in.RuleID == "" {
		return temporal.NewNonRetryableApplicationError("tenant and rule ids are required", "invalid_input", nil)
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: 20},
	})
	var a *RuleActivities
	req := RuleScheduleEvent{TenantID: in.TenantID, RuleID: in.RuleID, FiredAt: workflow.Now(ctx)}
	if err := workflow.ExecuteActivity(ctx, a.AppendScheduleEvent, req).Get(ctx, nil); err != nil {
		return fmt.Errorf("record firing: %w", err)
	}
	return nil
}

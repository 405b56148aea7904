package automation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/workflows"
)

// cronParser reads the five-field cron expressions (and @hourly, @daily,
// @weekly, @monthly, @yearly) that Temporal Schedules accept.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// CheckSchedule validates a cron expression and a time zone and returns
// them cleaned.
func CheckSchedule(expr, tz string) (string, string, error) {
	expr = strings.Join(strings.Fields(expr), " ")
	if strings.HasPrefix(expr, "@every") || strings.Contains(expr, "TZ=") {
		return "", "", hub.InvalidField("trigger.schedule", "use five cron fields (minute hour day-of-month month day-of-week) or @hourly/@daily/@weekly/@monthly, and give the zone in trigger.timezone")
	}
	if _, err := cronParser.Parse(expr); err != nil {
		return "", "", hub.InvalidField("trigger.schedule", fmt.Sprintf("%q is not a cron expression: %v (for example \"0 9 * * 1\" is Mondays at 09:00)", expr, err))
	}
	tz = strings.TrimSpace(tz)
	if tz != "" {
		if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
			return "", "", hub.InvalidField("trigger.timezone", fmt.Sprintf("%q is not an IANA time zone such as \"Europe/Berlin\"", tz))
		}
	}
	return expr, tz, nil
}

// NextFires returns the next n times a schedule trigger fires after from.
func NextFires(t hub.RuleTrigger, from time.Time, n int) []time.Time {
	sched, err := cronParser.Parse(t.Schedule)
	if err != nil {
		return nil
	}
	loc := time.UTC
	if t.Timezone != "" {
		if l, err := time.LoadLocation(t.Timezone); err == nil {
			loc = l
		}
	}
	var out []time.Time
	at := from.In(loc)
	for range n {
		at = sched.Next(at)
		if at.IsZero() {
			break
		}
		out = append(out, at)
	}
	return out
}

// RuleScheduler keeps a Temporal Schedule for every scheduled rule.
type RuleScheduler interface {
	// SyncRuleSchedule creates or updates the schedule of r (paused while r
	// is disabled), or removes it when r is not scheduled.
	SyncRuleSchedule(ctx context.Context, r *hub.Rule) error
	// RemoveRuleSchedule removes the schedule of a rule, if any.
	RemoveRuleSchedule(ctx context.Context, ruleID string) error
	// TriggerRuleSchedule fires a rule's schedule now.
	TriggerRuleSchedule(ctx context.Context, ruleID string) error
}

// TemporalScheduler implements RuleScheduler with Temporal Schedules
// "rule-schedule-<rule>" that start workflows.FireRuleSchedule. Schedules
// live in Temporal, so they hold across replicas and restarts.
type TemporalScheduler struct{ Client client.Client }

var _ RuleScheduler = (*TemporalScheduler)(nil)

// RuleScheduleID is the id of a scheduled rule's Temporal Schedule.
func RuleScheduleID(ruleID string) string { return "rule-schedule-" + ruleID }

func (s *TemporalScheduler) options(r *hub.Rule) client.ScheduleOptions {
	return client.ScheduleOptions{
		ID:     RuleScheduleID(r.ID),
		Spec:   s.spec(r),
		Paused: !r.Enabled,
		Action: s.action(r),
		Memo:   map[string]any{"tenant_id": r.TenantID},
	}
}

func (s *TemporalScheduler) spec(r *hub.Rule) client.ScheduleSpec {
	return client.ScheduleSpec{CronExpressions: []string{r.Trigger.Schedule}, TimeZoneName: r.Trigger.Timezone}
}

func (s *TemporalScheduler) action(r *hub.Rule) *client.ScheduleWorkflowAction {
	return &client.ScheduleWorkflowAction{
		ID:        "rule-fire-" + r.ID, // Temporal appends the fire time
		Workflow:  workflows.FireRuleSchedule,
		Args:      []any{workflows.RuleScheduleInput{TenantID: r.TenantID, RuleID: r.ID}},
		TaskQueue: workflows.TaskQueue,
	}
}

func unavailable(msg string, err error) error {
	return &hub.Error{Code: hub.EUNAVAILABLE, Message: msg, Err: err}
}

// SyncRuleSchedule implements RuleScheduler.
func (s *TemporalScheduler) SyncRuleSchedule(ctx context.Context, r *hub.Rule) error {
	if !r.Trigger.Scheduled() {
		return s.RemoveRuleSchedule(ctx, r.ID)
	}
	_, err := s.Client.ScheduleClient().Create(ctx, s.options(r))
	if err == nil {
		return nil
	}
	if !isAlreadyExists(err) {
		return unavailable("The rule's schedule could not be saved; try again.", fmt.Errorf("create schedule of rule %s: %w", r.ID, err))
	}
	h := s.Client.ScheduleClient().GetHandle(ctx, RuleScheduleID(r.ID))
	err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
		sched := in.Description.Schedule
		spec := s.spec(r)
		sched.Spec = &spec
		sched.Action = s.action(r)
		if sched.State == nil {
			sched.State = &client.ScheduleState{}
		}
		sched.State.Paused = !r.Enabled
		return &client.ScheduleUpdate{Schedule: &sched}, nil
	}})
	if err != nil {
		return unavailable("The rule's schedule could not be saved; try again.", fmt.Errorf("update schedule of rule %s: %w", r.ID, err))
	}
	return nil
}

// RemoveRuleSchedule implements RuleScheduler.
func (s *TemporalScheduler) RemoveRuleSchedule(ctx context.Context, ruleID string) error {
	err := s.Client.ScheduleClient().GetHandle(ctx, RuleScheduleID(ruleID)).Delete(ctx)
	var nf *serviceerror.NotFound
	if err != nil && !errors.As(err, &nf) {
		return unavailable("The rule's schedule could not be removed; try again.", fmt.Errorf("delete schedule of rule %s: %w", ruleID, err))
	}
	return nil
}

// TriggerRuleSchedule implements RuleScheduler.
func (s *TemporalScheduler) TriggerRuleSchedule(ctx context.Context, ruleID string) error {
	err := s.Client.ScheduleClient().GetHandle(ctx, RuleScheduleID(ruleID)).Trigger(ctx, client.ScheduleTriggerOptions{})
	if err != nil {
		return unavailable("The rule could not be run now; try again.", fmt.Errorf("trigger schedule of rule %s: %w", ruleID, err))
	}
	return nil
}

func isAlreadyExists(err error) bool {
	var exists *serviceerror.AlreadyExists
	return errors.Is(err, temporal.ErrScheduleAlreadyRunning) || errors.As(err, &exists)
}

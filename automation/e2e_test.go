package automation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/automation"
	"github.com/bizoshub/bizos/devtemporal"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/workflows"
)

func TestRuleRunEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	f := newFixture(t)
	srv, err := devtemporal.Start(ctx, devtemporal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	c, err := client.Dial(client.Options{HostPort: srv.Address(), Namespace: srv.Namespace()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	runner := &fakeRunner{}
	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	w.RegisterWorkflow(workflows.RunRule)
	w.RegisterActivity(&workflows.RuleActivities{Rules: f.rules, Events: f.events, Runner: runner,
		Webhooks: &automation.WebhookEnqueuer{Webhooks: f.webhooks, Events: f.events, Temporal: c}})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	svc := f.service(automation.Config{Temporal: c})
	p := hub.Principal{Kind: hub.PrincipalUser, ID: "u1", TenantID: f.tenantA}
	rule, err := svc.Create(ctx, p, automation.RuleRequest{Name: "hot lead", Trigger: automation.RuleTriggerInput{EventType: "hubspot.contact.*"},
		Condition: "event.payload.lead_score > 50",
		Actions: []hub.RuleAction{
			{Type: hub.RuleActionConnector, ConnectionID: f.connA.ID, Action: "hubspot.update_contact",
				Input: json.RawMessage(`{"email":"{{ event.payload.email }}","note":"score {{ event.payload.lead_score }}","score":"{{ event.payload.lead_score }}"}`)},
			{Type: hub.RuleActionDelay, Seconds: 1},
		}})
	if err != nil {
		t.Fatal(err)
	}
	evs := []*hub.Event{
		{TenantID: f.tenantA, Type: "hubspot.contact.propertyChange", Source: "hub", ExternalID: "e1", Payload: json.RawMessage(`{"email":"hot@example.com","lead_score":80}`)},
		{TenantID: f.tenantA, Type: "hubspot.contact.propertyChange", Source: "hub", ExternalID: "e2", Payload: json.RawMessage(`{"email":"cold@example.com","lead_score":10}`)},
		{TenantID: f.tenantB, Type: "hubspot.contact.propertyChange", Source: "hub", ExternalID: "e3", Payload: json.RawMessage(`{"email":"b@example.com","lead_score":99}`)},
		{TenantID: f.tenantA, Type: "stripe.invoice.paid", Source: "hub", ExternalID: "e4", Payload: json.RawMessage(`{"lead_score":99}`)},
	}
	if _, err := f.events.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	d := automation.NewDispatcher(f.webhooks, f.rules, c)
	d.Lag, d.PollInterval = 0, 50*time.Millisecond
	runCtx, stopRun := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()

	wait := func(id string) workflows.RuleRunResult {
		t.Helper()
		var res workflows.RuleRunResult
		deadline := time.Now().Add(time.Minute)
		for {
			err := c.GetWorkflow(ctx, id, "").Get(ctx, &res)
			if err == nil {
				return res
			}
			if time.Now().After(deadline) {
				t.Fatalf("workflow %s: %v", id, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	okID := workflows.RuleRunWorkflowID(rule.ID, evs[0].ID, 0)
	res := wait(okID)
	if res.Status != hub.RuleRunSucceeded {
		t.Fatalf("run = %+v", res)
	}
	stopRun()
	if err := <-done; err != nil {
		t.Errorf("dispatcher: %v", err)
	}
	calls := runner.snapshot()
	if len(calls) != 1 {
		t.Fatalf("calls = %+v", calls)
	}
	want := fakeCall{TenantID: f.tenantA, ConnectionID: f.connA.ID, Action: "hubspot.update_contact",
		Input: map[string]any{"email": "hot@example.com", "note": "score 80", "score": float64(80)}}
	if fmt.Sprint(calls[0]) != fmt.Sprint(want) {
		t.Errorf("call = %+v, want %+v", calls[0], want)
	}
	// The run and its steps are stored.
	run, err := f.rules.RuleRun(ctx, f.tenantA, res.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != hub.RuleRunSucceeded || len(run.Steps) != 2 || run.Steps[0].Status != hub.RuleRunSucceeded ||
		run.Steps[1].Type != hub.RuleActionDelay || run.Steps[1].Status != hub.RuleRunSucceeded || run.FinishedAt == nil {
		t.Errorf("run = %+v steps %+v", run, run.Steps)
	}
	if !bytes.Contains(run.Steps[0].Output, []byte(`"c-1"`)) || !bytes.Contains(run.Steps[0].Input, []byte(`hot@example.com`)) {
		t.Errorf("step 0 = %s -> %s", run.Steps[0].Input, run.Steps[0].Output)
	}
	// The cold lead did not run the rule.
	if _, err := c.DescribeWorkflowExecution(ctx, workflows.RuleRunWorkflowID(rule.ID, evs[1].ID, 0), ""); err == nil {
		t.Error("lead_score 10 started a run")
	}

	// Dispatching again from the start runs nothing twice.
	if err := f.webhooks.SetDispatchPosition(ctx, automation.DispatcherName, hub.DispatchPosition{}); err != nil {
		t.Fatal(err)
	}
	if n, err := d.DispatchOnce(ctx); err != nil || n != len(evs) {
		t.Fatalf("re-dispatch = %d, %v", n, err)
	}
	if err := d.Dispatch(ctx, evs[0]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if got := runner.snapshot(); len(got) != 1 {
		t.Errorf("%d calls after dispatching twice", len(got))
	}

	// A failing action fails the run; a retry after the fix succeeds.
	runner.setFail(errors.New("hubspot refused the update"))
	bad := &hub.Event{TenantID: f.tenantA, Type: "hubspot.contact.created", Source: "hub", ExternalID: "e5",
		Payload: json.RawMessage(`{"email":"x@example.com","lead_score":70}`)}
	if _, err := f.events.AppendEvents(ctx, []*hub.Event{bad}); err != nil {
		t.Fatal(err)
	}
	if err := d.Dispatch(ctx, bad); err != nil {
		t.Fatal(err)
	}
	res = wait(workflows.RuleRunWorkflowID(rule.ID, bad.ID, 0))
	if res.Status != hub.RuleRunFailed || res.FailedStep != 0 {
		t.Fatalf("failing run = %+v", res)
	}
	run, _ = f.rules.RuleRun(ctx, f.tenantA, res.RunID)
	if run.Status != hub.RuleRunFailed || len(run.Steps) != 1 || run.Steps[0].Error == "" || run.Error == "" {
		t.Errorf("failed run = %+v steps %+v", run, run.Steps)
	}
	failed, _, _ := f.events.ListEvents(ctx, f.tenantA, hub.EventFilter{Type: hub.EventRuleRunFailed}, hub.Page{})
	if len(failed) != 1 {
		t.Errorf("%d rule.run.failed events", len(failed))
	}
	runner.setFail(nil)
	if _, err := svc.Retry(ctx, f.tenantA, res.RunID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Retry(ctx, f.tenantA, res.RunID); hub.ErrorCode(err) != hub.ECONFLICT {
		t.Errorf("retry of a running run = %v", err)
	}
	res2 := wait(workflows.RuleRunWorkflowID(rule.ID, bad.ID, 1))
	if res2.Status != hub.RuleRunSucceeded || res2.RunID != res.RunID {
		t.Errorf("retry = %+v", res2)
	}
	run, _ = f.rules.RuleRun(ctx, f.tenantA, res.RunID)
	if run.Status != hub.RuleRunSucceeded || run.Retries != 1 || len(run.Steps) != 2 || run.Steps[0].Status != hub.RuleRunSucceeded {
		t.Errorf("retried run = %+v steps %+v", run, run.Steps)
	}
	if got := runner.snapshot(); len(got) != 3 {
		t.Errorf("%d calls after failure and retry", len(got))
	}

	if os.Getenv("BIZOS_RECORD_HISTORY") == "1" {
		testenv.RecordHistory(t, ctx, c, okID, "", "../workflows/testdata/rule_run.json")
	}
}

// TestScheduledRuleEndToEnd keeps a scheduled rule's Temporal Schedule in
// step with the rule (spec, time zone, paused while disabled, removed with
// the rule) and runs the rule's actions when the schedule fires.
func TestScheduledRuleEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	f := newFixture(t)
	srv, err := devtemporal.Start(ctx, devtemporal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	c, err := client.Dial(client.Options{HostPort: srv.Address(), Namespace: srv.Namespace()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	runner := &fakeRunner{}
	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	w.RegisterWorkflow(workflows.RunRule)
	w.RegisterWorkflow(workflows.FireRuleSchedule)
	w.RegisterActivity(&workflows.RuleActivities{Rules: f.rules, Events: f.events, Runner: runner,
		Webhooks: &automation.WebhookEnqueuer{Webhooks: f.webhooks, Events: f.events, Temporal: c}})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	sched := &automation.TemporalScheduler{Client: c}
	svc := f.service(automation.Config{Temporal: c, Schedules: sched})
	p := hub.Principal{Kind: hub.PrincipalUser, ID: "u1", TenantID: f.tenantA}
	rule, err := svc.Create(ctx, p, automation.RuleRequest{Name: "weekly report",
		Trigger:   automation.RuleTriggerInput{Schedule: "0 9 * * 1", Timezone: "Europe/Berlin"},
		Condition: `event.type == "rule.schedule.fired"`,
		Actions: []hub.RuleAction{{Type: hub.RuleActionConnector, ConnectionID: f.connA.ID, Action: "hubspot.update_contact",
			Input: json.RawMessage(`{"email":"ops@example.com","note":"fired at {{ event.payload.fired_at }}"}`)}}})
	if err != nil {
		t.Fatal(err)
	}
	describe := func() *client.ScheduleDescription {
		t.Helper()
		d, err := c.ScheduleClient().GetHandle(ctx, automation.RuleScheduleID(rule.ID)).Describe(ctx)
		if err != nil {
			t.Fatalf("describe schedule: %v", err)
		}
		return d
	}
	d := describe()
	if d.Schedule.Spec.TimeZoneName != "Europe/Berlin" || d.Schedule.State.Paused {
		t.Errorf("schedule spec %+v, paused %v", d.Schedule.Spec, d.Schedule.State.Paused)
	}
	// Temporal's next fire time is Monday 09:00 in Berlin, as ours is.
	next := automation.NextFires(rule.Trigger, time.Now(), 1)
	if len(d.Info.NextActionTimes) == 0 || len(next) != 1 || !d.Info.NextActionTimes[0].Equal(next[0]) {
		t.Errorf("next fire = %v, want %v", d.Info.NextActionTimes, next)
	}
	if loc, _ := time.LoadLocation("Europe/Berlin"); next[0].In(loc).Hour() != 9 || next[0].Weekday() != time.Monday {
		t.Errorf("next fire %v is not Monday 09:00 Berlin", next[0])
	}
	// Disabled rules pause their schedule; event rules have none.
	off := false
	if _, err := svc.Update(ctx, f.tenantA, rule.ID, automation.RulePatch{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	if !describe().Schedule.State.Paused {
		t.Error("disabled rule's schedule is not paused")
	}
	if _, err := svc.RunNow(ctx, f.tenantA, rule.ID); hub.ErrorCode(err) != hub.ECONFLICT {
		t.Errorf("run now of a disabled rule = %v", err)
	}
	on := true
	if _, err := svc.Update(ctx, f.tenantA, rule.ID, automation.RulePatch{Enabled: &on,
		Trigger: &automation.RuleTriggerInput{Schedule: "30 7 * * *"}}); err != nil {
		t.Fatal(err)
	}
	if d := describe(); d.Schedule.State.Paused || d.Schedule.Spec.TimeZoneName != "" {
		t.Errorf("re-enabled schedule: paused %v, zone %q", d.Schedule.State.Paused, d.Schedule.Spec.TimeZoneName)
	}
	if _, err := svc.RunNow(ctx, f.tenantB, rule.ID); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("another tenant's run now = %v", err)
	}

	// Firing records a rule.schedule.fired event; the dispatcher runs the rule for it.
	d2 := automation.NewDispatcher(f.webhooks, f.rules, c)
	d2.Lag, d2.PollInterval = 0, 50*time.Millisecond
	runCtx, stopRun := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d2.Run(runCtx) }()
	if _, err := svc.RunNow(ctx, f.tenantA, rule.ID); err != nil {
		t.Fatal(err)
	}
	var fired *hub.Event
	for deadline := time.Now().Add(time.Minute); fired == nil; time.Sleep(100 * time.Millisecond) {
		evs, _, err := f.events.ListEvents(ctx, f.tenantA, hub.EventFilter{Type: hub.EventRuleScheduleFired}, hub.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) > 0 {
			fired = evs[0]
		}
		if time.Now().After(deadline) {
			t.Fatal("no rule.schedule.fired event")
		}
	}
	var res workflows.RuleRunResult
	runID := workflows.RuleRunWorkflowID(rule.ID, fired.ID, 0)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if err := c.GetWorkflow(ctx, runID, "").Get(ctx, &res); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the scheduled rule did not run")
		}
	}
	stopRun()
	<-done
	calls := runner.snapshot()
	if res.Status != hub.RuleRunSucceeded || len(calls) != 1 || !strings.HasPrefix(fmt.Sprint(calls[0].Input["note"]), "fired at 20") {
		t.Errorf("run %+v, calls %+v", res, calls)
	}
	if os.Getenv("BIZOS_RECORD_HISTORY") == "1" {
		testenv.RecordHistory(t, ctx, c, fired.ExternalID, "", "../workflows/testdata/fire_rule_schedule.json")
	}

	// Deleting the rule deletes its schedule.
	if err := svc.Delete(ctx, f.tenantA, rule.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ScheduleClient().GetHandle(ctx, automation.RuleScheduleID(rule.ID)).Describe(ctx); err == nil {
		t.Error("the deleted rule's schedule is still there")
	}
}

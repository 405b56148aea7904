package automation_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/automation"
	"github.com/bizoshub/bizos/devtemporal"
	"github.com/bizoshub/bizos/workflows"
)

// ruleRuns reads bizos_rule_runs_total by status.
func ruleRuns(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() == "bizos_rule_runs_total" {
			for _, m := range mf.GetMetric() {
				out[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}

// TestRuleRunMetrics runs RunRule on the embedded Temporal server with the
// worker's MeteredRuleStore on the real database: a run that succeeds and
// one whose connector action is refused count once each by final status.
func TestRuleRunMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f := newFixture(t)
	reg := prometheus.NewRegistry()
	for _, c := range automation.Collectors() {
		reg.MustRegister(c)
	}
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
	w.RegisterActivity(&workflows.RuleActivities{Rules: automation.MeteredRuleStore{RuleStore: f.rules}, Events: f.events, Runner: runner})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	svc := f.service(automation.Config{Temporal: c})
	p := hub.Principal{Kind: hub.PrincipalUser, ID: "u1", TenantID: f.tenantA}
	actions := []hub.RuleAction{{Type: hub.RuleActionConnector, ConnectionID: f.connA.ID, Action: "hubspot.update_contact",
		Input: json.RawMessage(`{"email":"{{ event.payload.email }}"}`)}}
	rule, err := svc.Create(ctx, p, automation.RuleRequest{Name: "metered", Trigger: automation.RuleTriggerInput{EventType: "test.*"},
		Actions: actions})
	if err != nil {
		t.Fatal(err)
	}
	evs := []*hub.Event{
		{TenantID: f.tenantA, Type: "test.ok", Source: "hub", Payload: json.RawMessage(`{"email":"a@example.com"}`)},
		{TenantID: f.tenantA, Type: "test.refused", Source: "hub", Payload: json.RawMessage(`{"email":"b@example.com"}`)},
	}
	if _, err := f.events.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	before := ruleRuns(t, reg)
	run := func(ev *hub.Event) workflows.RuleRunResult {
		t.Helper()
		wr, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.RuleRunWorkflowID(rule.ID, ev.ID, 0), TaskQueue: workflows.TaskQueue},
			workflows.RunRule, workflows.RuleRunInput{TenantID: f.tenantA, RuleID: rule.ID, EventID: ev.ID, Actions: actions})
		if err != nil {
			t.Fatal(err)
		}
		var res workflows.RuleRunResult
		if err := wr.Get(ctx, &res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := run(evs[0]); res.Status != hub.RuleRunSucceeded {
		t.Fatalf("first run = %+v", res)
	}
	runner.setFail(hub.Errorf(hub.EINVALID, "The platform refused the contact."))
	if res := run(evs[1]); res.Status != hub.RuleRunFailed {
		t.Fatalf("second run = %+v", res)
	}
	got := map[string]float64{}
	for k, v := range ruleRuns(t, reg) {
		got[k] = v - before[k]
	}
	if diff := cmp.Diff(map[string]float64{hub.RuleRunSucceeded: 1, hub.RuleRunFailed: 1}, got); diff != "" {
		t.Errorf("rule runs by status (-want +got):\n%s", diff)
	}
}

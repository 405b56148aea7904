package postgres_test

import (
	"context"
	"encoding/json"
	"testing"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/postgres"
)

func TestRuleStore(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	tenants, store := postgres.NewTenantStore(db), postgres.NewRuleStore(db)
	a, b := mustTenant(t, tenants, "alpha"), mustTenant(t, tenants, "beta")

	r := &hub.Rule{TenantID: a.ID, Name: "hot", Trigger: hub.RuleTrigger{EventType: "hubspot.*"}, Condition: "true",
		Actions: []hub.RuleAction{{Type: hub.RuleActionConnector, ConnectionID: "c1", Action: "x.y", Input: json.RawMessage(`{"a":"{{ event.id }}"}`)},
			{Type: hub.RuleActionDelay, Seconds: 5}}, Enabled: true, CreatedBy: "user:u"}
	if err := store.CreateRule(ctx, r); err != nil {
		t.Fatal(err)
	}
	if r.ID == "" || r.Version != 1 {
		t.Fatalf("created = %+v", r)
	}
	got, err := store.Rule(ctx, a.ID, r.ID)
	if err != nil || len(got.Actions) != 2 || string(got.Actions[0].Input) != `{"a": "{{ event.id }}"}` || got.Actions[1].Seconds != 5 {
		t.Fatalf("rule = %+v %s, %v", got, got.Actions[0].Input, err)
	}
	if _, err := store.Rule(ctx, b.ID, r.ID); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("B reads A's rule: %v", err)
	}
	if _, err := store.Rule(ctx, a.ID, "not-a-uuid"); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("bad id: %v", err)
	}
	if list, _, _ := store.ListRules(ctx, b.ID, hub.Page{}); len(list) != 0 {
		t.Errorf("B lists %d rules", len(list))
	}
	if list, _, err := store.ListRules(ctx, a.ID, hub.Page{}); err != nil || len(list) != 1 {
		t.Errorf("A lists %d rules, %v", len(list), err)
	}
	for typ, want := range map[string]int{"hubspot.contact.created": 1, "stripe.invoice.paid": 0} {
		if m, err := store.MatchingRules(ctx, a.ID, typ); err != nil || len(m) != want {
			t.Errorf("matching %s = %d, %v", typ, len(m), err)
		}
	}
	if m, _ := store.MatchingRules(ctx, b.ID, "hubspot.contact.created"); len(m) != 0 {
		t.Errorf("B matches A's rule")
	}
	r.Enabled, r.Name = false, "renamed"
	if err := store.UpdateRule(ctx, r); err != nil || r.Version != 2 || r.Name != "renamed" {
		t.Fatalf("update = %+v, %v", r, err)
	}
	if m, _ := store.MatchingRules(ctx, a.ID, "hubspot.contact.created"); len(m) != 0 {
		t.Errorf("a disabled rule matches")
	}
	other := *r
	other.TenantID = b.ID
	if err := store.UpdateRule(ctx, &other); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("B updates A's rule: %v", err)
	}

	// Runs and steps.
	evID := "01900000-0000-7000-8000-000000000001"
	run, err := store.BeginRuleRun(ctx, &hub.RuleRun{TenantID: a.ID, RuleID: r.ID, EventID: evID, WorkflowID: "wf-1", Actions: r.Actions})
	if err != nil || run.Status != hub.RuleRunRunning || len(run.Actions) != 2 {
		t.Fatalf("begin = %+v, %v", run, err)
	}
	again, err := store.BeginRuleRun(ctx, &hub.RuleRun{TenantID: a.ID, RuleID: r.ID, EventID: evID, WorkflowID: "wf-1", Actions: r.Actions})
	if err != nil || again.ID != run.ID {
		t.Errorf("begin again = %+v, %v", again, err)
	}
	if _, err := store.BeginRuleRun(ctx, &hub.RuleRun{TenantID: a.ID, RuleID: "01900000-0000-7000-8000-0000000000ff", EventID: evID, WorkflowID: "x"}); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("run of a missing rule: %v", err)
	}
	st := &hub.RuleStep{RunID: run.ID, Index: 0, Type: hub.RuleActionConnector, Status: hub.RuleRunRunning, Input: json.RawMessage(`{"a":1}`)}
	if err := store.RecordRuleStep(ctx, a.ID, st); err != nil {
		t.Fatal(err)
	}
	st.Status, st.Error = hub.RuleRunFailed, "boom"
	if err := store.RecordRuleStep(ctx, a.ID, st); err != nil {
		t.Fatal(err)
	}
	if err := store.RecordRuleStep(ctx, b.ID, st); err == nil {
		t.Error("B records a step of A's run")
	}
	if _, err := store.StartRuleRetry(ctx, a.ID, run.ID, func(int) string { return "x" }); hub.ErrorCode(err) != hub.ECONFLICT {
		t.Errorf("retry of a running run: %v", err)
	}
	if err := store.FinishRuleRun(ctx, a.ID, run.ID, hub.RuleRunFailed, "step 1: boom"); err != nil {
		t.Fatal(err)
	}
	got2, err := store.RuleRun(ctx, a.ID, run.ID)
	if err != nil || got2.Status != hub.RuleRunFailed || got2.Error != "step 1: boom" || len(got2.Steps) != 1 ||
		got2.Steps[0].Error != "boom" || got2.FirstFailedStep() != 0 || got2.FinishedAt == nil {
		t.Fatalf("run = %+v, %v", got2, err)
	}
	if _, err := store.RuleRun(ctx, b.ID, run.ID); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("B reads A's run: %v", err)
	}
	retried, err := store.StartRuleRetry(ctx, a.ID, run.ID, func(n int) string { return "wf-1-retry-" + string(rune('0'+n)) })
	if err != nil || retried.Retries != 1 || retried.WorkflowID != "wf-1-retry-1" || retried.Status != hub.RuleRunRunning {
		t.Fatalf("retry = %+v, %v", retried, err)
	}
	runs, _, err := store.ListRuleRuns(ctx, a.ID, r.ID, hub.Page{})
	if err != nil || len(runs) != 1 || len(runs[0].Steps) != 1 {
		t.Errorf("runs = %+v, %v", runs, err)
	}
	if runs, _, _ := store.ListRuleRuns(ctx, b.ID, r.ID, hub.Page{}); len(runs) != 0 {
		t.Errorf("B lists A's runs")
	}
	if err := store.DeleteRule(ctx, b.ID, r.ID); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("B deletes A's rule: %v", err)
	}
	if err := store.DeleteRule(ctx, a.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := store.RuleRun(ctx, a.ID, run.ID); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("run survives its rule: %v", err)
	}
}

package workflows_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/workflows"
)

type ruleRecorder struct {
	steps    []string
	finished workflows.RuleFinishRequest
	at       []time.Duration
}

func runRule(t *testing.T, in workflows.RuleRunInput, failAt int) (workflows.RuleRunResult, *ruleRecorder, error) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var a *workflows.RuleActivities
	env.RegisterActivity(a)
	rec := &ruleRecorder{}
	start := env.Now()
	env.OnActivity(a.BeginRuleRun, mock.Anything, mock.Anything).Return("run1", nil)
	env.OnActivity(a.RunConnectorAction, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req workflows.RuleStepRequest) (json.RawMessage, error) {
			rec.steps = append(rec.steps, "connector:"+req.Action.Action)
			rec.at = append(rec.at, env.Now().Sub(start))
			if req.Index == failAt {
				return nil, temporal.NewNonRetryableApplicationError("refused", "invalid_input", nil)
			}
			return json.RawMessage(`{}`), nil
		})
	env.OnActivity(a.SendToWebhook, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req workflows.RuleStepRequest) (string, error) {
			rec.steps = append(rec.steps, "webhook:"+req.Action.WebhookID)
			return "d1", nil
		})
	env.OnActivity(a.RecordRuleStep, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _ string, s hub.RuleStep) error {
			rec.steps = append(rec.steps, "delay:"+s.Status)
			return nil
		})
	env.OnActivity(a.FinishRuleRun, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req workflows.RuleFinishRequest) error {
			rec.finished = req
			return nil
		})
	env.ExecuteWorkflow(workflows.RunRule, in)
	var res workflows.RuleRunResult
	err := env.GetWorkflowError()
	if err == nil {
		err = env.GetWorkflowResult(&res)
	}
	return res, rec, err
}

var ruleIn = workflows.RuleRunInput{TenantID: "t1", RuleID: "r1", EventID: "e1", Actions: []hub.RuleAction{
	{Type: hub.RuleActionConnector, ConnectionID: "c1", Action: "a.first"},
	{Type: hub.RuleActionDelay, Seconds: 3600},
	{Type: hub.RuleActionWebhook, WebhookID: "w1"},
	{Type: hub.RuleActionConnector, ConnectionID: "c1", Action: "a.last"},
}}

func TestRunRuleAllStepsSucceed(t *testing.T) {
	res, rec, err := runRule(t, ruleIn, -1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != hub.RuleRunSucceeded || res.RunID != "run1" || res.FailedStep != -1 {
		t.Errorf("result = %+v", res)
	}
	want := "[connector:a.first delay:running delay:succeeded webhook:w1 connector:a.last]"
	if got := fmtSteps(rec.steps); got != want {
		t.Errorf("steps = %s, want %s", got, want)
	}
	// The delay is a durable timer, skipped by the test environment.
	if gap := rec.at[1] - rec.at[0]; gap < time.Hour {
		t.Errorf("delay lasted %v", gap)
	}
	if rec.finished.Status != hub.RuleRunSucceeded {
		t.Errorf("finished = %+v", rec.finished)
	}
}

func TestRunRuleFailingStepStopsTheRun(t *testing.T) {
	res, rec, err := runRule(t, ruleIn, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != hub.RuleRunFailed || res.FailedStep != 0 || res.Error != "step 1 (connector_action): refused" {
		t.Errorf("result = %+v", res)
	}
	if got := fmtSteps(rec.steps); got != "[connector:a.first]" {
		t.Errorf("steps = %s", got)
	}
	if rec.finished.Status != hub.RuleRunFailed || rec.finished.FailedStep != 0 || rec.finished.Error != res.Error {
		t.Errorf("finished = %+v", rec.finished)
	}
}

func TestRunRuleResumesAtStartStep(t *testing.T) {
	in := ruleIn
	in.StartStep = 3
	res, rec, err := runRule(t, in, -1)
	if err != nil || res.Status != hub.RuleRunSucceeded {
		t.Fatal(res, err)
	}
	if got := fmtSteps(rec.steps); got != "[connector:a.last]" {
		t.Errorf("steps = %s", got)
	}
}

func TestRunRuleRefusesBadInput(t *testing.T) {
	for name, in := range map[string]workflows.RuleRunInput{
		"no ids":    {},
		"bad start": {TenantID: "t", RuleID: "r", EventID: "e", StartStep: 5},
		"neg start": {TenantID: "t", RuleID: "r", EventID: "e", StartStep: -1},
	} {
		var s testsuite.WorkflowTestSuite
		env := s.NewTestWorkflowEnvironment()
		env.ExecuteWorkflow(workflows.RunRule, in)
		if env.GetWorkflowError() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if got := workflows.RuleRunWorkflowID("r", "e", 0); got != "rule-r-e" {
		t.Errorf("id = %s", got)
	}
	if got := workflows.RuleRunWorkflowID("r", "e", 2); got != "rule-r-e-retry-2" {
		t.Errorf("retry id = %s", got)
	}
}

func fmtSteps(s []string) string {
	out := "["
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out + "]"
}

// TestReplayRunRule replays a history recorded on the embedded Temporal
// server (automation TestRuleRunEndToEnd with BIZOS_RECORD_HISTORY=1): a
// connector action, a 1 s delay, success.
func TestReplayRunRule(t *testing.T) {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflow(workflows.RunRule)
	if err := r.ReplayWorkflowHistoryFromJSONFile(nil, "testdata/rule_run.json"); err != nil {
		t.Fatal(err)
	}
}

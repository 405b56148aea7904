package workflows_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/bizoshub/bizos/workflows"
)

// agentScript is what the mocked model step answers, step by step.
type agentScript struct {
	plan    workflows.AgentRunPlan
	steps   []workflows.AgentStepResult
	signals []workflows.ApprovalDecision // sent when approval is requested
	cancel  bool                         // cancel when approval is requested
}

type agentLog struct {
	ran      []string
	decided  []workflows.ApprovalDecision
	skipped  []string
	finished workflows.AgentFinishRequest
}

func runAgent(t *testing.T, sc agentScript) (workflows.AgentRunResult, *agentLog, error) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var a *workflows.AgentActivities
	env.RegisterActivity(a)
	log := &agentLog{}
	env.OnActivity(a.BeginAgentRun, mock.Anything, mock.Anything).Return(sc.plan, nil)
	env.OnActivity(a.AgentLLMStep, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req workflows.AgentStepRequest) (workflows.AgentStepResult, error) {
			if req.Step > len(sc.steps) {
				return workflows.AgentStepResult{}, errors.New("no more script")
			}
			return sc.steps[req.Step-1], nil
		})
	env.OnActivity(a.RunAgentTool, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req workflows.ToolCallRequest) error {
			log.ran = append(log.ran, req.CallID)
			return nil
		})
	env.OnActivity(a.SkipRepeatedCall, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req workflows.ToolCallRequest) error {
			log.skipped = append(log.skipped, req.CallID)
			return nil
		})
	env.OnActivity(a.RequestApproval, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req workflows.ToolCallRequest) error {
			if sc.cancel {
				env.RegisterDelayedCallback(env.CancelWorkflow, time.Minute)
				return nil
			}
			for _, d := range sc.signals {
				env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.ApprovalSignal, d) }, time.Hour)
			}
			return nil
		})
	env.OnActivity(a.RecordDecision, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req workflows.DecisionRequest) error {
			log.decided = append(log.decided, req.Decision)
			return nil
		})
	env.OnActivity(a.FinishAgentRun, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req workflows.AgentFinishRequest) error {
			log.finished = req
			return nil
		})
	env.ExecuteWorkflow(workflows.RunAgent, workflows.AgentRunInput{TenantID: "t1", RunID: "r1"})
	var res workflows.AgentRunResult
	err := env.GetWorkflowError()
	if err == nil {
		err = env.GetWorkflowResult(&res)
	}
	return res, log, err
}

func call(id, tool string, approval, repeat bool) workflows.PlannedCall {
	return workflows.PlannedCall{CallID: id, Tool: tool, NeedsApproval: approval, Repeat: repeat}
}

func TestRunAgent(t *testing.T) {
	final := workflows.AgentStepResult{Final: true, Tokens: 10}
	tools := func(calls ...workflows.PlannedCall) workflows.AgentStepResult {
		return workflows.AgentStepResult{Calls: calls, Tokens: 100}
	}
	for name, tc := range map[string]struct {
		script      agentScript
		wantStatus  string
		wantErrText string
		wantRan     []string
		wantDecided int
		canceled    bool
	}{
		"answers at once": {script: agentScript{plan: workflows.AgentRunPlan{MaxSteps: 5}, steps: []workflows.AgentStepResult{final}},
			wantStatus: "succeeded"},
		"runs tools then answers": {script: agentScript{plan: workflows.AgentRunPlan{MaxSteps: 5},
			steps: []workflows.AgentStepResult{tools(call("s1_0", "crm", false, false), call("s1_1", "kb", false, false)), final}},
			wantStatus: "succeeded", wantRan: []string{"s1_0", "s1_1"}},
		"approved write runs": {script: agentScript{plan: workflows.AgentRunPlan{MaxSteps: 5},
			steps:   []workflows.AgentStepResult{tools(call("s1_0", "post", true, false)), final},
			signals: []workflows.ApprovalDecision{{CallID: "s1_0", Approved: true, By: "user:u1"}}},
			wantStatus: "succeeded", wantRan: []string{"s1_0"}, wantDecided: 1},
		"rejected write does not run": {script: agentScript{plan: workflows.AgentRunPlan{MaxSteps: 5},
			steps:   []workflows.AgentStepResult{tools(call("s1_0", "post", true, false)), final},
			signals: []workflows.ApprovalDecision{{CallID: "s1_0", Approved: false, By: "user:u1", Comment: "no"}}},
			wantStatus: "succeeded", wantDecided: 1},
		"a decision for another call waits its turn": {script: agentScript{plan: workflows.AgentRunPlan{MaxSteps: 5},
			steps:   []workflows.AgentStepResult{tools(call("s1_0", "post", true, false), call("s1_1", "post", true, false)), final},
			signals: []workflows.ApprovalDecision{{CallID: "s1_1", Approved: true, By: "u"}, {CallID: "s1_0", Approved: false, By: "u"}}},
			wantStatus: "succeeded", wantRan: []string{"s1_1"}, wantDecided: 2},
		"no decision in time counts as rejected": {script: agentScript{plan: workflows.AgentRunPlan{MaxSteps: 5, ApprovalTimeout: time.Minute},
			steps: []workflows.AgentStepResult{tools(call("s1_0", "post", true, false)), final}},
			wantStatus: "succeeded", wantDecided: 1},
		"max steps": {script: agentScript{plan: workflows.AgentRunPlan{MaxSteps: 2},
			steps: []workflows.AgentStepResult{tools(call("s1_0", "crm", false, false)), tools(call("s2_0", "crm2", false, false)), final}},
			wantStatus: "failed", wantErrText: "maximum of 2 steps", wantRan: []string{"s1_0", "s2_0"}},
		"token budget": {script: agentScript{plan: workflows.AgentRunPlan{MaxSteps: 9, TokenBudget: 150},
			steps: []workflows.AgentStepResult{tools(call("s1_0", "crm", false, false)), tools(call("s2_0", "crm", false, false)), final}},
			wantStatus: "failed", wantErrText: "over its budget of 150", wantRan: []string{"s1_0"}},
		"repeated call": {script: agentScript{plan: workflows.AgentRunPlan{MaxSteps: 9},
			steps: []workflows.AgentStepResult{tools(call("s1_0", "crm", false, false)), tools(call("s2_0", "crm", false, true)),
				tools(call("s3_0", "crm", false, true)), final}},
			wantStatus: "failed", wantErrText: "kept calling crm", wantRan: []string{"s1_0"}},
		"cancelled while waiting": {script: agentScript{plan: workflows.AgentRunPlan{MaxSteps: 5},
			steps: []workflows.AgentStepResult{tools(call("s1_0", "post", true, false)), final}, cancel: true},
			wantStatus: "cancelled", canceled: true},
	} {
		t.Run(name, func(t *testing.T) {
			res, log, err := runAgent(t, tc.script)
			var ce *temporal.CanceledError
			if tc.canceled != errors.As(err, &ce) || (!tc.canceled && err != nil) {
				t.Fatalf("error = %v", err)
			}
			if log.finished.Status != tc.wantStatus || !strings.Contains(log.finished.Error, tc.wantErrText) {
				t.Errorf("finished = %+v, want %s %q", log.finished, tc.wantStatus, tc.wantErrText)
			}
			if !tc.canceled && res.Status != tc.wantStatus {
				t.Errorf("result = %+v", res)
			}
			if strings.Join(log.ran, ",") != strings.Join(tc.wantRan, ",") {
				t.Errorf("ran %v, want %v", log.ran, tc.wantRan)
			}
			if len(log.decided) != tc.wantDecided {
				t.Errorf("decisions %+v, want %d", log.decided, tc.wantDecided)
			}
		})
	}
}

// TestReplayRunAgent replays a history recorded on the embedded Temporal
// server (cmd/bizos TestAgentRunEndToEnd with BIZOS_RECORD_HISTORY=1): a
// read, a write approved by a person, an answer.
func TestReplayRunAgent(t *testing.T) {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflow(workflows.RunAgent)
	if err := r.ReplayWorkflowHistoryFromJSONFile(nil, "testdata/run_agent.json"); err != nil {
		t.Fatal(err)
	}
}

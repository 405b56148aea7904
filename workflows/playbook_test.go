package workflows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/workflows"
)

type playbookLog struct {
	ran      []string
	recorded []string
	finished workflows.PlaybookFinish
	elapsed  time.Duration
}

// runPlaybook runs RunPlaybook on the time-skipping test environment with
// steps and an optional decision sent when approval is requested.
func runPlaybook(t *testing.T, steps []workflows.PlanStep, when map[string]bool, decision *workflows.PlaybookApproval, agentStatus string) (*playbookLog, error) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var a *workflows.PlaybookActivities
	env.RegisterActivity(a)
	env.RegisterWorkflow(workflows.RunAgent)
	log := &playbookLog{}
	start := env.Now()
	env.OnActivity(a.BeginPlaybookRun, mock.Anything, mock.Anything).Return(workflows.PlaybookPlan{RunID: "run1", Steps: steps}, nil)
	env.OnActivity(a.EvalPlaybookWhen, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req workflows.PlaybookStepRequest) (bool, error) {
			return when[steps[req.Index].ID], nil
		})
	env.OnActivity(a.RunPlaybookAction, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req workflows.PlaybookStepRequest) error {
			log.ran = append(log.ran, steps[req.Index].ID)
			return nil
		})
	env.OnActivity(a.PrepareAgentStep, mock.Anything, mock.Anything).Return("agent-run-1", nil)
	env.OnWorkflow(workflows.RunAgent, mock.Anything, mock.Anything).Return(
		func(_ workflow.Context, in workflows.AgentRunInput) (workflows.AgentRunResult, error) {
			log.ran = append(log.ran, "agent:"+in.RunID)
			return workflows.AgentRunResult{Status: agentStatus}, nil
		})
	env.OnActivity(a.FinishAgentStep, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(a.RequestPlaybookApproval, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req workflows.PlaybookStepRequest) error {
			if decision != nil {
				d := *decision
				env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.ApprovalSignal, d) }, 2*time.Hour)
			}
			return nil
		})
	env.OnActivity(a.RecordPlaybookStep, mock.Anything, mock.Anything).Return(
		func(_ context.Context, r workflows.PlaybookStepRecord) error {
			log.recorded = append(log.recorded, r.Step.StepID+":"+r.Step.Status)
			return nil
		})
	env.OnActivity(a.FinishPlaybookRun, mock.Anything, mock.Anything).Return(
		func(_ context.Context, f workflows.PlaybookFinish) error {
			log.finished = f
			log.elapsed = env.Now().Sub(start)
			return nil
		})
	env.ExecuteWorkflow(workflows.RunPlaybook, workflows.PlaybookRunInput{TenantID: "t1", PlaybookID: "p1"})
	return log, env.GetWorkflowError()
}

func TestRunPlaybook(t *testing.T) {
	report := workflows.PlanStep{ID: "report", Type: hub.PlaybookStepAction}
	analyse := workflows.PlanStep{ID: "analyse", Type: hub.PlaybookStepAgent}
	weekend := workflows.PlanStep{ID: "weekend", Type: hub.PlaybookStepWait, Seconds: 2 * 86400}
	review := workflows.PlanStep{ID: "review", Type: hub.PlaybookStepApproval}
	draft := workflows.PlanStep{ID: "draft", Type: hub.PlaybookStepAction, HasWhen: true}
	for name, tc := range map[string]struct {
		steps       []workflows.PlanStep
		when        map[string]bool
		decision    *workflows.PlaybookApproval
		agentStatus string
		wantStatus  string
		wantRan     string
		wantErr     string
		minElapsed  time.Duration
	}{
		"all steps, a two-day wait skipped in no time": {steps: []workflows.PlanStep{report, analyse, weekend, review, draft},
			when: map[string]bool{"draft": true}, decision: &workflows.PlaybookApproval{StepID: "review", Approved: true, By: "u"},
			agentStatus: hub.AgentRunSucceeded, wantStatus: hub.PlaybookSucceeded, wantRan: "report,agent:agent-run-1,draft", minElapsed: 2*86400*time.Second + 2*time.Hour},
		"a false condition skips the step": {steps: []workflows.PlanStep{report, draft}, when: map[string]bool{"draft": false},
			wantStatus: hub.PlaybookSucceeded, wantRan: "report"},
		"a rejection ends the run": {steps: []workflows.PlanStep{review, draft}, when: map[string]bool{"draft": true},
			decision: &workflows.PlaybookApproval{StepID: "review", Approved: false, By: "user:u1"}, wantStatus: hub.PlaybookFailed, wantErr: "rejected by user:u1"},
		"a failed agent run fails the step": {steps: []workflows.PlanStep{analyse, report}, agentStatus: hub.AgentRunFailed,
			wantStatus: hub.PlaybookFailed, wantRan: "agent:agent-run-1", wantErr: `step "analyse" (agent)`},
	} {
		t.Run(name, func(t *testing.T) {
			log, err := runPlaybook(t, tc.steps, tc.when, tc.decision, tc.agentStatus)
			if err != nil {
				t.Fatal(err)
			}
			if log.finished.Status != tc.wantStatus || !strings.Contains(log.finished.Error, tc.wantErr) {
				t.Errorf("finished = %+v, want %s %q", log.finished, tc.wantStatus, tc.wantErr)
			}
			if got := strings.Join(log.ran, ","); got != tc.wantRan {
				t.Errorf("ran %q, want %q", got, tc.wantRan)
			}
			if log.elapsed < tc.minElapsed {
				t.Errorf("finished after %v of workflow time, want at least %v", log.elapsed, tc.minElapsed)
			}
		})
	}
}

// TestReplayRunPlaybook replays a history recorded on the embedded
// Temporal server (cmd/bizos TestPlaybooksEndToEnd with
// BIZOS_RECORD_HISTORY=1): an action, an agent child workflow, a skipped
// step, an approval, a wait and a write.
func TestReplayRunPlaybook(t *testing.T) {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflow(workflows.RunPlaybook)
	if err := r.ReplayWorkflowHistoryFromJSONFile(nil, "testdata/run_playbook.json"); err != nil {
		t.Fatal(err)
	}
}

package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Agent run defaults.
const (
	// ApprovalSignal is the signal a person's decision on a tool call arrives as.
	ApprovalSignal = "approval"
	// DefaultApprovalTimeout is how long a run waits for a decision before
	// the call counts as rejected.
	DefaultApprovalTimeout = 7 * 24 * time.Hour
	// MaxRepeatedCalls is how many repeats of an identical tool call (same
	// tool, same input) a run survives: the first is answered with the
	// earlier result, the next stops the run.
	MaxRepeatedCalls = 1
)

// AgentRunWorkflowID is the workflow id of an agent run.
func AgentRunWorkflowID(runID string) string { return "agent-run-" + runID }

// AgentRunInput names the run; everything else is in PostgreSQL.
type AgentRunInput struct {
	TenantID string `json:"tenant_id"`
	RunID    string `json:"run_id"`
}

// AgentRunPlan is what BeginAgentRun tells the workflow about the run's limits.
type AgentRunPlan struct {
	MaxSteps        int           `json:"max_steps"`
	TokenBudget     int           `json:"token_budget"`
	ApprovalTimeout time.Duration `json:"approval_timeout"`
}

// AgentStepRequest asks for one model call of a run.
type AgentStepRequest struct {
	TenantID string `json:"tenant_id"`
	RunID    string `json:"run_id"`
	Step     int    `json:"step"`
}

// PlannedCall is a tool call the model asked for, as the workflow sees it:
// its arguments and results stay in the database.
type PlannedCall struct {
	CallID        string `json:"call_id"`
	Tool          string `json:"tool"`
	NeedsApproval bool   `json:"needs_approval"`
	// Repeat says the run made this exact call (tool and input) before.
	Repeat bool `json:"repeat"`
}

// AgentStepResult is a model call's outcome.
type AgentStepResult struct {
	// Final says the model answered without calling tools.
	Final  bool          `json:"final"`
	Calls  []PlannedCall `json:"calls,omitempty"`
	Tokens int           `json:"tokens"`
}

// ToolCallRequest names one tool call of a run.
type ToolCallRequest struct {
	TenantID string `json:"tenant_id"`
	RunID    string `json:"run_id"`
	CallID   string `json:"call_id"`
}

// ApprovalDecision is the payload of the approval signal.
type ApprovalDecision struct {
	CallID   string `json:"call_id"`
	Approved bool   `json:"approved"`
	By       string `json:"by"`
	Comment  string `json:"comment,omitempty"`
}

// DecisionRequest records a decision (or a timeout) on a call.
type DecisionRequest struct {
	TenantID string           `json:"tenant_id"`
	RunID    string           `json:"run_id"`
	Decision ApprovalDecision `json:"decision"`
}

// AgentFinishRequest records how a run ended.
type AgentFinishRequest struct {
	TenantID string `json:"tenant_id"`
	RunID    string `json:"run_id"`
	Status   string `json:"status"`
	Error    string `json:"error,omitempty"`
}

// AgentRunResult says how a run ended.
type AgentRunResult struct {
	Status string `json:"status"`
	Steps  int    `json:"steps"`
	Tokens int    `json:"tokens"`
	Error  string `json:"error,omitempty"`
}

// RunAgent runs an agent: it asks the model (AgentLLMStep), runs the tools
// the model calls (RunAgentTool), pausing for a person's approval where the
// tool requires it (the approval signal), until the model answers, a loop
// guard stops it (max steps, token budget, a repeated identical call) or it
// is cancelled. Prompts, tool inputs and outputs live in PostgreSQL; the
// history holds only ids. Start it with AgentRunWorkflowID.
func RunAgent(ctx workflow.Context, in AgentRunInput) (AgentRunResult, error) {
	if in.TenantID == "" || in.RunID == "" {
		return AgentRunResult{}, temporal.NewNonRetryableApplicationError("tenant and run ids are required", "invalid_input", nil)
	}
	book := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: 10},
	})
	model := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		HeartbeatTimeout:    30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: 4},
	})
	tool := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		HeartbeatTimeout:    StepHeartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: 3},
	})
	var a *AgentActivities
	res := AgentRunResult{}
	finish := func(status, msg string) (AgentRunResult, error) {
		res.Status, res.Error = status, msg
		fctx := book
		if status == "cancelled" {
			dctx, _ := workflow.NewDisconnectedContext(ctx)
			fctx = workflow.WithActivityOptions(dctx, workflow.GetActivityOptions(book))
		}
		req := AgentFinishRequest{TenantID: in.TenantID, RunID: in.RunID, Status: status, Error: msg}
		if err := workflow.ExecuteActivity(fctx, a.FinishAgentRun, req).Get(fctx, nil); err != nil {
			return res, fmt.Errorf("finish run: %w", err)
		}
		if status == "cancelled" {
			return res, temporal.NewCanceledError()
		}
		return res, nil
	}
	// failed turns an activity's error into the run's end.
	failed := func(what string, err error) (AgentRunResult, error) {
		if isCanceled(ctx, err) {
			return finish("cancelled", "cancelled")
		}
		return finish("failed", what+": "+errorMessage(err))
	}

	var plan AgentRunPlan
	if err := workflow.ExecuteActivity(book, a.BeginAgentRun, in).Get(ctx, &plan); err != nil {
		return failed("start", err)
	}
	if plan.ApprovalTimeout <= 0 {
		plan.ApprovalTimeout = DefaultApprovalTimeout
	}
	decisions := workflow.GetSignalChannel(ctx, ApprovalSignal)
	early := map[string]ApprovalDecision{} // decisions that arrived for calls not waited on yet
	repeats := 0
	for step := 1; ; step++ {
		if plan.MaxSteps > 0 && step > plan.MaxSteps {
			return finish("failed", fmt.Sprintf("loop guard: the agent took its maximum of %d steps without answering", plan.MaxSteps))
		}
		var out AgentStepResult
		req := AgentStepRequest{TenantID: in.TenantID, RunID: in.RunID, Step: step}
		if err := workflow.ExecuteActivity(model, a.AgentLLMStep, req).Get(ctx, &out); err != nil {
			return failed(fmt.Sprintf("step %d (model)", step), err)
		}
		res.Steps, res.Tokens = step, res.Tokens+out.Tokens
		if plan.TokenBudget > 0 && res.Tokens > plan.TokenBudget {
			return finish("failed", fmt.Sprintf("loop guard: the run used %d tokens, over its budget of %d", res.Tokens, plan.TokenBudget))
		}
		if out.Final {
			return finish("succeeded", "")
		}
		for _, call := range out.Calls {
			creq := ToolCallRequest{TenantID: in.TenantID, RunID: in.RunID, CallID: call.CallID}
			if call.Repeat {
				repeats++
				if repeats > MaxRepeatedCalls {
					return finish("failed", fmt.Sprintf("loop guard: the agent kept calling %s with the same input", call.Tool))
				}
				if err := workflow.ExecuteActivity(book, a.SkipRepeatedCall, creq).Get(ctx, nil); err != nil {
					return failed("skip repeated call", err)
				}
				continue
			}
			if call.NeedsApproval {
				if err := workflow.ExecuteActivity(book, a.RequestApproval, creq).Get(ctx, nil); err != nil {
					return failed("request approval", err)
				}
				d, ok := early[call.CallID]
				if !ok {
					var err error
					d, err = awaitDecision(ctx, decisions, call.CallID, plan.ApprovalTimeout, early)
					if err != nil {
						return failed("wait for approval", err)
					}
				}
				dreq := DecisionRequest{TenantID: in.TenantID, RunID: in.RunID, Decision: d}
				if err := workflow.ExecuteActivity(book, a.RecordDecision, dreq).Get(ctx, nil); err != nil {
					return failed("record decision", err)
				}
				if !d.Approved {
					continue
				}
			}
			if err := workflow.ExecuteActivity(tool, a.RunAgentTool, creq).Get(ctx, nil); err != nil {
				return failed(fmt.Sprintf("step %d (%s)", step, call.Tool), err)
			}
		}
	}
}

// awaitDecision waits for the decision on callID, keeping decisions on
// other calls in early; after timeout the call counts as rejected.
func awaitDecision(ctx workflow.Context, ch workflow.ReceiveChannel, callID string, timeout time.Duration,
	early map[string]ApprovalDecision) (ApprovalDecision, error) {
	tctx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()
	timer := workflow.NewTimer(tctx, timeout)
	for {
		var (
			got      ApprovalDecision
			received bool
			timedOut bool
		)
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(ch, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, &got); received = true })
		sel.AddFuture(timer, func(f workflow.Future) { timedOut = f.Get(ctx, nil) == nil })
		sel.Select(ctx)
		if ctx.Err() != nil {
			return ApprovalDecision{}, temporal.NewCanceledError()
		}
		switch {
		case received && got.CallID == callID:
			return got, nil
		case received:
			early[got.CallID] = got
		case timedOut:
			return ApprovalDecision{CallID: callID, Approved: false, By: "system",
				Comment: fmt.Sprintf("no decision within %s", timeout)}, nil
		}
	}
}

func isCanceled(ctx workflow.Context, err error) bool {
	var ce *temporal.CanceledError
	return ctx.Err() != nil || errors.As(err, &ce)
}

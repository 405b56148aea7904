package workflows

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/rules"
)

// PlaybookWorkflowID is the workflow id of a playbook run started on
// demand or by a rule; scheduled runs get Temporal's schedule ids.
func PlaybookWorkflowID(runID string) string { return "playbook-run-" + runID }

// PlaybookRunInput starts RunPlaybook. RunID is empty for scheduled runs,
// whose record BeginPlaybookRun creates (keyed by the workflow id).
type PlaybookRunInput struct {
	TenantID   string          `json:"tenant_id"`
	PlaybookID string          `json:"playbook_id"`
	RunID      string          `json:"run_id,omitempty"`
	Input      json.RawMessage `json:"input,omitempty"`
	Trigger    string          `json:"trigger,omitempty"`
}

// PlanStep is what the interpreter needs of a step: control flow only;
// inputs are rendered, and conditions evaluated, in activities.
type PlanStep struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	HasWhen bool   `json:"has_when"`
	Seconds int    `json:"seconds,omitempty"`
}

// PlaybookPlan is the run's id and its steps.
type PlaybookPlan struct {
	RunID string     `json:"run_id"`
	Steps []PlanStep `json:"steps"`
}

// PlaybookStepRequest names one step of a run.
type PlaybookStepRequest struct {
	TenantID string `json:"tenant_id"`
	RunID    string `json:"run_id"`
	Index    int    `json:"index"`
}

// PlaybookStepRecord records a step's state.
type PlaybookStepRecord struct {
	TenantID string              `json:"tenant_id"`
	RunID    string              `json:"run_id"`
	Step     hub.PlaybookStepRun `json:"step"`
}

// PlaybookFinish records how a run ended.
type PlaybookFinish struct {
	TenantID string `json:"tenant_id"`
	RunID    string `json:"run_id"`
	Status   string `json:"status"`
	Error    string `json:"error,omitempty"`
}

// PlaybookApproval is the payload of a playbook's approval signal.
type PlaybookApproval struct {
	StepID   string `json:"step_id"`
	Approved bool   `json:"approved"`
	By       string `json:"by"`
	Comment  string `json:"comment,omitempty"`
}

// PlaybookRunResult says how a run ended.
type PlaybookRunResult struct {
	RunID  string `json:"run_id"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// RunPlaybook is the one interpreter of every playbook: it walks the run's
// snapshot of steps in order, skipping a step whose "when" condition is
// false, and runs connector actions (RunPlaybookAction), agent runs (a
// RunAgent child workflow, waited for), waits (durable timers) and
// approvals (the approval signal). A failed or rejected step ends the run.
func RunPlaybook(ctx workflow.Context, in PlaybookRunInput) (PlaybookRunResult, error) {
	if in.TenantID == "" || in.PlaybookID == "" {
		return PlaybookRunResult{}, temporal.NewNonRetryableApplicationError("tenant and playbook ids are required", "invalid_input", nil)
	}
	book := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: 10},
	})
	connector := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		HeartbeatTimeout:    StepHeartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: 3},
	})
	var a *PlaybookActivities
	var plan PlaybookPlan
	res := PlaybookRunResult{}
	if err := workflow.ExecuteActivity(book, a.BeginPlaybookRun, in).Get(ctx, &plan); err != nil {
		return res, fmt.Errorf("begin run: %w", err)
	}
	res.RunID = plan.RunID
	finish := func(status, msg string) (PlaybookRunResult, error) {
		res.Status, res.Error = status, msg
		fctx := book
		if status == hub.PlaybookCancelled {
			dctx, _ := workflow.NewDisconnectedContext(ctx)
			fctx = workflow.WithActivityOptions(dctx, workflow.GetActivityOptions(book))
		}
		req := PlaybookFinish{TenantID: in.TenantID, RunID: plan.RunID, Status: status, Error: msg}
		if err := workflow.ExecuteActivity(fctx, a.FinishPlaybookRun, req).Get(fctx, nil); err != nil {
			return res, fmt.Errorf("finish run: %w", err)
		}
		if status == hub.PlaybookCancelled {
			return res, temporal.NewCanceledError()
		}
		return res, nil
	}
	approvals := workflow.GetSignalChannel(ctx, ApprovalSignal)
	for i, st := range plan.Steps {
		req := PlaybookStepRequest{TenantID: in.TenantID, RunID: plan.RunID, Index: i}
		fail := func(err error) (PlaybookRunResult, error) {
			if isCanceled(ctx, err) {
				return finish(hub.PlaybookCancelled, "cancelled")
			}
			return finish(hub.PlaybookFailed, fmt.Sprintf("step %q (%s): %s", st.ID, st.Type, errorMessage(err)))
		}
		if st.HasWhen {
			var run bool
			if err := workflow.ExecuteActivity(book, a.EvalPlaybookWhen, req).Get(ctx, &run); err != nil {
				return fail(err)
			}
			if !run {
				continue
			}
		}
		record := func(status, errMsg string) error {
			r := PlaybookStepRecord{TenantID: in.TenantID, RunID: plan.RunID,
				Step: hub.PlaybookStepRun{Index: i, StepID: st.ID, Type: st.Type, Status: status, Error: errMsg}}
			return workflow.ExecuteActivity(book, a.RecordPlaybookStep, r).Get(ctx, nil)
		}
		switch st.Type {
		case hub.PlaybookStepAction:
			if err := workflow.ExecuteActivity(connector, a.RunPlaybookAction, req).Get(ctx, nil); err != nil {
				return fail(err)
			}
		case hub.PlaybookStepAgent:
			var agentRunID string
			if err := workflow.ExecuteActivity(book, a.PrepareAgentStep, req).Get(ctx, &agentRunID); err != nil {
				return fail(err)
			}
			cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
				WorkflowID:            AgentRunWorkflowID(agentRunID),
				WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
				ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
			})
			var out AgentRunResult
			childErr := workflow.ExecuteChildWorkflow(cctx, RunAgent, AgentRunInput{TenantID: in.TenantID, RunID: agentRunID}).Get(ctx, &out)
			if childErr != nil && isCanceled(ctx, childErr) {
				return fail(childErr)
			}
			if err := workflow.ExecuteActivity(book, a.FinishAgentStep, req).Get(ctx, nil); err != nil {
				return fail(err)
			}
			if childErr != nil || out.Status != hub.AgentRunSucceeded {
				msg := out.Error
				if childErr != nil {
					msg = errorMessage(childErr)
				}
				return finish(hub.PlaybookFailed, fmt.Sprintf("step %q (agent): the agent run %s: %s", st.ID, orString(out.Status, "failed"), msg))
			}
		case hub.PlaybookStepWait:
			if err := record(hub.PlaybookRunning, ""); err != nil {
				return fail(err)
			}
			if err := workflow.Sleep(ctx, time.Duration(st.Seconds)*time.Second); err != nil {
				return fail(err)
			}
			if err := record(hub.PlaybookSucceeded, ""); err != nil {
				return fail(err)
			}
		case hub.PlaybookStepApproval:
			if err := workflow.ExecuteActivity(book, a.RequestPlaybookApproval, req).Get(ctx, nil); err != nil {
				return fail(err)
			}
			var d PlaybookApproval
			for {
				approvals.Receive(ctx, &d)
				if ctx.Err() != nil {
					return finish(hub.PlaybookCancelled, "cancelled")
				}
				if d.StepID == st.ID {
					break
				}
			}
			dec := PlaybookStepRecord{TenantID: in.TenantID, RunID: plan.RunID, Step: hub.PlaybookStepRun{Index: i, StepID: st.ID,
				Type: st.Type, Status: hub.PlaybookSucceeded, DecidedBy: d.By, Output: mustJSON(map[string]any{"approved": d.Approved, "comment": d.Comment})}}
			if !d.Approved {
				dec.Step.Status, dec.Step.Error = hub.PlaybookFailed, "rejected by "+d.By
			}
			if err := workflow.ExecuteActivity(book, a.RecordPlaybookStep, dec).Get(ctx, nil); err != nil {
				return fail(err)
			}
			if !d.Approved {
				return finish(hub.PlaybookFailed, fmt.Sprintf("step %q was rejected by %s", st.ID, d.By))
			}
		default:
			return finish(hub.PlaybookFailed, fmt.Sprintf("step %q has an unknown type %q", st.ID, st.Type))
		}
	}
	return finish(hub.PlaybookSucceeded, "")
}

func orString(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// PlaybookActivities holds what playbook runs need.
type PlaybookActivities struct {
	Store  hub.PlaybookStore
	Runner hub.ConnectorActionRunner
	// Agents records agent runs for agent steps (RecordOnly starts).
	Agents hub.AgentRunStarter
	// AgentRuns reads the agent runs' results.
	AgentRuns hub.AgentStore
}

// BeginPlaybookRun creates the run record (once per workflow) with a
// snapshot of the playbook's steps, and returns the plan.
func (a *PlaybookActivities) BeginPlaybookRun(ctx context.Context, in PlaybookRunInput) (PlaybookPlan, error) {
	pb, err := a.Store.Playbook(ctx, in.TenantID, in.PlaybookID)
	if hub.ErrorCode(err) == hub.ENOTFOUND {
		return PlaybookPlan{}, invalidStep("the playbook no longer exists", err)
	}
	if err != nil {
		return PlaybookPlan{}, err
	}
	input := in.Input
	trigger := in.Trigger
	if in.RunID == "" && trigger == "" { // a schedule's firing
		trigger = "schedule"
		if pb.Schedule != nil {
			input = pb.Schedule.Input
		}
	}
	run, err := a.Store.EnsurePlaybookRun(ctx, &hub.PlaybookRun{ID: in.RunID, TenantID: in.TenantID, PlaybookID: pb.ID,
		WorkflowID: activity.GetInfo(ctx).WorkflowExecution.ID, Input: input, Steps: pb.Steps, Trigger: orString(trigger, "api"),
		CreatedBy: orString(trigger, "api")})
	if err != nil {
		return PlaybookPlan{}, err
	}
	plan := PlaybookPlan{RunID: run.ID}
	for _, s := range run.Steps {
		plan.Steps = append(plan.Steps, PlanStep{ID: s.ID, Type: s.Type, HasWhen: s.When != "", Seconds: s.Seconds})
	}
	return plan, nil
}

// RunEvent is the value conditions and templates of a playbook see as
// event: the run, with payload.input, payload.steps.<id>.output (and
// .status) of the steps so far, and payload.event, the event that
// triggered it (when a rule did).
func (a *PlaybookActivities) runEvent(ctx context.Context, run *hub.PlaybookRun) (map[string]any, error) {
	var input any = map[string]any{}
	if len(run.Input) > 0 {
		if err := json.Unmarshal(run.Input, &input); err != nil {
			return nil, fmt.Errorf("decode input of playbook run %s: %w", run.ID, err)
		}
	}
	steps := map[string]any{}
	for _, s := range run.StepRuns {
		var out any
		if len(s.Output) > 0 {
			_ = json.Unmarshal(s.Output, &out)
		}
		steps[s.StepID] = map[string]any{"status": s.Status, "output": out, "error": s.Error}
	}
	payload := map[string]any{"input": input, "steps": steps, "playbook_id": run.PlaybookID}
	if m, ok := input.(map[string]any); ok {
		if ev, ok := m["event"]; ok {
			payload["event"] = ev
		}
	}
	return map[string]any{"id": run.ID, "type": "playbook.run", "tenant_id": run.TenantID, "source": "playbook",
		"occurred_at": run.StartedAt, "received_at": run.StartedAt, "payload": payload}, nil
}

func (a *PlaybookActivities) stepOf(ctx context.Context, req PlaybookStepRequest) (*hub.PlaybookRun, hub.PlaybookStep, map[string]any, error) {
	run, err := a.Store.PlaybookRun(ctx, req.TenantID, req.RunID)
	if err != nil {
		return nil, hub.PlaybookStep{}, nil, err
	}
	if req.Index < 0 || req.Index >= len(run.Steps) {
		return nil, hub.PlaybookStep{}, nil, invalidStep("no such step", nil)
	}
	ev, err := a.runEvent(ctx, run)
	if err != nil {
		return nil, hub.PlaybookStep{}, nil, invalidStep(err.Error(), err)
	}
	return run, run.Steps[req.Index], ev, nil
}

// EvalPlaybookWhen evaluates a step's condition; a skipped step is recorded.
func (a *PlaybookActivities) EvalPlaybookWhen(ctx context.Context, req PlaybookStepRequest) (bool, error) {
	run, st, ev, err := a.stepOf(ctx, req)
	if err != nil {
		return false, err
	}
	cond, err := rules.Compile(st.When)
	if err != nil {
		return false, invalidStep("the condition does not compile: "+err.Error(), err)
	}
	ok, err := cond.Eval(ev)
	if err != nil {
		ok = false // like rules: a condition that cannot be evaluated does not hold
	}
	if !ok {
		rec := &hub.PlaybookStepRun{Index: req.Index, StepID: st.ID, Type: st.Type, Status: hub.PlaybookStepSkipped}
		if err != nil {
			rec.Error = err.Error()
		}
		if err := a.Store.RecordPlaybookStep(ctx, req.TenantID, run.ID, rec); err != nil {
			return false, err
		}
	}
	return ok, nil
}

// RecordPlaybookStep records a step's state.
func (a *PlaybookActivities) RecordPlaybookStep(ctx context.Context, r PlaybookStepRecord) error {
	if err := a.Store.RecordPlaybookStep(ctx, r.TenantID, r.RunID, &r.Step); err != nil {
		return err
	}
	if r.Step.Type == hub.PlaybookStepApproval && r.Step.Status == hub.PlaybookSucceeded {
		return a.Store.SetPlaybookRunStatus(ctx, r.TenantID, r.RunID, hub.PlaybookRunning)
	}
	return nil
}

func render(raw json.RawMessage, ev map[string]any, def any) (any, error) {
	input := def
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &input); err != nil {
			return nil, fmt.Errorf("input is not JSON: %w", err)
		}
	}
	return rules.Render(input, ev)
}

// RunPlaybookAction runs an action step with its input rendered against
// the run; platform calls carry the key "playbook-<run>-<step>".
func (a *PlaybookActivities) RunPlaybookAction(ctx context.Context, req PlaybookStepRequest) error {
	run, st, ev, err := a.stepOf(ctx, req)
	if err != nil {
		return err
	}
	rec := &hub.PlaybookStepRun{Index: req.Index, StepID: st.ID, Type: st.Type, Status: hub.PlaybookRunning}
	failStep := func(msg string, cause error, retryable bool) error {
		rec.Status, rec.Error = hub.PlaybookFailed, msg
		if err := a.Store.RecordPlaybookStep(ctx, req.TenantID, run.ID, rec); err != nil {
			return err
		}
		if retryable {
			return temporal.NewApplicationErrorWithCause(msg, "connector_unavailable", cause)
		}
		return invalidStep(msg, cause)
	}
	rendered, err := render(st.Input, ev, map[string]any{})
	if err != nil {
		return failStep(err.Error(), err, false)
	}
	if rec.Input, err = json.Marshal(rendered); err != nil {
		return failStep("input cannot be encoded", err, false)
	}
	if err := a.Store.RecordPlaybookStep(ctx, req.TenantID, run.ID, rec); err != nil {
		return err
	}
	stop := heartbeatWhile(ctx)
	out, err := a.Runner.RunAction(hub.NewContextWithIdempotencyKey(ctx, "playbook-"+run.ID+"-"+strconv.Itoa(req.Index)),
		req.TenantID, st.ConnectionID, st.Action, rec.Input)
	stop()
	if err != nil {
		code := hub.ErrorCode(err)
		return failStep(hub.ErrorMessage(err), err, code == hub.EUNAVAILABLE || code == hub.ERATELIMITED)
	}
	rec.Status = hub.PlaybookSucceeded
	rec.Output, _ = json.Marshal(out)
	return a.Store.RecordPlaybookStep(ctx, req.TenantID, run.ID, rec)
}

// playbookAgentNamespace derives agent run ids from playbook steps.
var playbookAgentNamespace = uuid.MustParse("2b0c6f3e-8d5a-4e7b-b1c2-7f4d9a6e5c10")

// PrepareAgentStep renders an agent step's task and records its agent
// run (not started: the playbook runs it as a child workflow), returning
// the agent run's id, derived from (run, step).
func (a *PlaybookActivities) PrepareAgentStep(ctx context.Context, req PlaybookStepRequest) (string, error) {
	run, st, ev, err := a.stepOf(ctx, req)
	if err != nil {
		return "", err
	}
	rec := &hub.PlaybookStepRun{Index: req.Index, StepID: st.ID, Type: st.Type, Status: hub.PlaybookRunning}
	rendered, err := render(st.Input, ev, "")
	if err != nil {
		rec.Status, rec.Error = hub.PlaybookFailed, err.Error()
		_ = a.Store.RecordPlaybookStep(ctx, req.TenantID, run.ID, rec)
		return "", invalidStep(err.Error(), err)
	}
	task, ok := rendered.(string)
	if !ok {
		b, _ := json.Marshal(rendered)
		task = string(b)
	}
	rec.Input, _ = json.Marshal(map[string]string{"agent_id": st.AgentID, "input": task})
	agentRunID := uuid.NewSHA1(playbookAgentNamespace, []byte(run.ID+"/"+strconv.Itoa(req.Index))).String()
	ar, err := a.Agents.StartAgentRun(ctx, hub.AgentRunRequest{TenantID: req.TenantID, AgentID: st.AgentID, Input: task,
		Trigger: "playbook:" + run.ID, CreatedBy: "playbook", RunID: agentRunID, RecordOnly: true})
	if err != nil {
		if code := hub.ErrorCode(err); code == hub.EUNAVAILABLE || code == hub.EINTERNAL {
			return "", err
		}
		rec.Status, rec.Error = hub.PlaybookFailed, hub.ErrorMessage(err)
		_ = a.Store.RecordPlaybookStep(ctx, req.TenantID, run.ID, rec)
		return "", invalidStep(rec.Error, err)
	}
	rec.AgentRunID = ar.ID
	return ar.ID, a.Store.RecordPlaybookStep(ctx, req.TenantID, run.ID, rec)
}

// FinishAgentStep copies the agent run's outcome into the step: output
// {text, run_id, citations}.
func (a *PlaybookActivities) FinishAgentStep(ctx context.Context, req PlaybookStepRequest) error {
	run, st, _, err := a.stepOf(ctx, req)
	if err != nil {
		return err
	}
	agentRunID := uuid.NewSHA1(playbookAgentNamespace, []byte(run.ID+"/"+strconv.Itoa(req.Index))).String()
	ar, err := a.AgentRuns.AgentRun(ctx, req.TenantID, agentRunID)
	if err != nil {
		return err
	}
	rec := &hub.PlaybookStepRun{Index: req.Index, StepID: st.ID, Type: st.Type, Status: hub.PlaybookSucceeded, AgentRunID: ar.ID,
		Output: mustJSON(map[string]any{"text": ar.Output, "run_id": ar.ID, "status": ar.Status, "citations": ar.Citations})}
	if ar.Status != hub.AgentRunSucceeded {
		rec.Status, rec.Error = hub.PlaybookFailed, orString(ar.Error, "the agent run "+ar.Status)
	}
	return a.Store.RecordPlaybookStep(ctx, req.TenantID, run.ID, rec)
}

// RequestPlaybookApproval marks an approval step and the run as waiting.
func (a *PlaybookActivities) RequestPlaybookApproval(ctx context.Context, req PlaybookStepRequest) error {
	run, st, ev, err := a.stepOf(ctx, req)
	if err != nil {
		return err
	}
	msg, err := rules.Render(st.Message, ev)
	if err != nil {
		msg = st.Message
	}
	rec := &hub.PlaybookStepRun{Index: req.Index, StepID: st.ID, Type: st.Type, Status: hub.PlaybookWaitingApproval,
		Input: mustJSON(map[string]any{"message": msg})}
	if err := a.Store.RecordPlaybookStep(ctx, req.TenantID, run.ID, rec); err != nil {
		return err
	}
	return a.Store.SetPlaybookRunStatus(ctx, req.TenantID, run.ID, hub.PlaybookWaitingApproval)
}

// FinishPlaybookRun records how a run ended.
func (a *PlaybookActivities) FinishPlaybookRun(ctx context.Context, req PlaybookFinish) error {
	return a.Store.FinishPlaybookRun(ctx, req.TenantID, req.RunID, req.Status, req.Error)
}

package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/rules"
)

// RuleRunWorkflowID is the id of the workflow running a rule for an event,
// so an event runs a rule once however often it is dispatched. Manual
// retries (n ≥ 1) get their own ids.
func RuleRunWorkflowID(ruleID, eventID string, retry int) string {
	id := "rule-" + ruleID + "-" + eventID
	if retry > 0 {
		id += "-retry-" + strconv.Itoa(retry)
	}
	return id
}

// RuleRunInput carries everything RunRule needs: the workflow loads no rule.
type RuleRunInput struct {
	TenantID string `json:"tenant_id"`
	RuleID   string `json:"rule_id"`
	EventID  string `json:"event_id"`
	// Actions is the snapshot of the rule's actions taken when the run started.
	Actions []hub.RuleAction `json:"actions"`
	// StartStep is the first action to run (a retry resumes at the failed one).
	StartStep int `json:"start_step,omitempty"`
}

// RuleRunResult says how a run ended. A failed run is a result, not a
// workflow error.
type RuleRunResult struct {
	RunID      string `json:"run_id"`
	Status     string `json:"status"` // hub.RuleRunSucceeded or hub.RuleRunFailed
	FailedStep int    `json:"failed_step"`
	Error      string `json:"error,omitempty"`
}

// RuleStepRequest asks an activity to perform one step of a run.
type RuleStepRequest struct {
	TenantID string         `json:"tenant_id"`
	RunID    string         `json:"run_id"`
	EventID  string         `json:"event_id"`
	Index    int            `json:"index"`
	Action   hub.RuleAction `json:"action"`
}

// RuleFinishRequest records the end of a run.
type RuleFinishRequest struct {
	TenantID   string `json:"tenant_id"`
	RunID      string `json:"run_id"`
	RuleID     string `json:"rule_id"`
	EventID    string `json:"event_id"`
	Status     string `json:"status"`
	Error      string `json:"error,omitempty"`
	FailedStep int    `json:"failed_step"`
}

// RuleActivities holds what rule runs need.
type RuleActivities struct {
	Rules    hub.RuleStore
	Events   hub.EventStore
	Runner   hub.ConnectorActionRunner
	Webhooks hub.WebhookEnqueuer
	// Agents starts agent_run steps; nil fails them.
	Agents hub.AgentRunStarter
	// Playbooks starts playbook steps; nil fails them.
	Playbooks hub.PlaybookStarter
}

// EventMap turns a stored event into the value rule conditions and
// templates see as event.
func EventMap(e *hub.Event) (map[string]any, error) {
	var payload any = map[string]any{}
	if len(e.Payload) > 0 {
		if err := json.Unmarshal(e.Payload, &payload); err != nil {
			return nil, fmt.Errorf("decode payload of event %s: %w", e.ID, err)
		}
	}
	if _, ok := payload.(map[string]any); !ok {
		payload = map[string]any{"value": payload}
	}
	return map[string]any{"id": e.ID, "type": e.Type, "tenant_id": e.TenantID, "source": e.Source,
		"occurred_at": e.OccurredAt, "received_at": e.ReceivedAt, "payload": payload}, nil
}

func invalidStep(msg string, err error) error {
	return temporal.NewNonRetryableApplicationError(msg, "invalid_input", err)
}

// BeginRuleRun creates (or resumes) the run record of (rule, event) under
// the calling workflow's id and returns the run id.
func (a *RuleActivities) BeginRuleRun(ctx context.Context, in RuleRunInput) (string, error) {
	run, err := a.Rules.BeginRuleRun(ctx, &hub.RuleRun{TenantID: in.TenantID, RuleID: in.RuleID, EventID: in.EventID,
		WorkflowID: activity.GetInfo(ctx).WorkflowExecution.ID, Actions: in.Actions})
	if hub.ErrorCode(err) == hub.ENOTFOUND {
		return "", invalidStep("the rule no longer exists", err)
	}
	if err != nil {
		return "", err
	}
	return run.ID, nil
}

// RecordRuleStep records a step's state (used for delays).
func (a *RuleActivities) RecordRuleStep(ctx context.Context, tenantID string, s hub.RuleStep) error {
	return a.Rules.RecordRuleStep(ctx, tenantID, &s)
}

// RunConnectorAction renders the action's input against the event, runs
// the connector action and records the step. Input problems and refusals
// are not retried; only unavailability and rate limits are.
func (a *RuleActivities) RunConnectorAction(ctx context.Context, req RuleStepRequest) (json.RawMessage, error) {
	step := &hub.RuleStep{RunID: req.RunID, Index: req.Index, Type: hub.RuleActionConnector, Status: hub.RuleRunRunning}
	fail := func(msg string, cause error, retryable bool) (json.RawMessage, error) {
		step.Status, step.Error = hub.RuleRunFailed, msg
		if err := a.Rules.RecordRuleStep(ctx, req.TenantID, step); err != nil {
			return nil, err
		}
		if retryable {
			return nil, temporal.NewApplicationErrorWithCause(msg, "connector_unavailable", cause)
		}
		return nil, invalidStep(msg, cause)
	}
	ev, err := a.Events.Event(ctx, req.TenantID, req.EventID)
	if hub.ErrorCode(err) == hub.ENOTFOUND {
		return fail("the event is no longer stored", err, false)
	}
	if err != nil {
		return nil, err
	}
	em, err := EventMap(ev)
	if err != nil {
		return fail(err.Error(), err, false)
	}
	var input any
	if len(req.Action.Input) > 0 {
		if err := json.Unmarshal(req.Action.Input, &input); err != nil {
			return fail("input is not JSON: "+err.Error(), err, false)
		}
	} else {
		input = map[string]any{}
	}
	rendered, err := rules.Render(input, em)
	if err != nil {
		return fail(err.Error(), err, false)
	}
	if step.Input, err = json.Marshal(rendered); err != nil {
		return fail("input cannot be encoded: "+err.Error(), err, false)
	}
	if err := a.Rules.RecordRuleStep(ctx, req.TenantID, step); err != nil {
		return nil, err
	}
	stopHeartbeat := heartbeatWhile(ctx)
	out, err := a.Runner.RunAction(hub.NewContextWithIdempotencyKey(ctx, fmt.Sprintf("rule-%s-%d", req.RunID, req.Index)), req.TenantID, req.Action.ConnectionID, req.Action.Action, step.Input)
	stopHeartbeat()
	if err != nil {
		code := hub.ErrorCode(err)
		msg := err.Error()
		var he *hub.Error
		if errors.As(err, &he) {
			msg = he.Message
		}
		return fail(msg, err, code == hub.EUNAVAILABLE || code == hub.ERATELIMITED)
	}
	if step.Output, err = json.Marshal(out); err != nil {
		return fail("output cannot be encoded: "+err.Error(), err, false)
	}
	step.Status = hub.RuleRunSucceeded
	if err := a.Rules.RecordRuleStep(ctx, req.TenantID, step); err != nil {
		return nil, err
	}
	return step.Output, nil
}

// SendToWebhook makes sure the event is delivered to the action's webhook
// endpoint and records the step; the delivery itself runs in its own
// DeliverWebhook workflow.
func (a *RuleActivities) SendToWebhook(ctx context.Context, req RuleStepRequest) (string, error) {
	in, _ := json.Marshal(map[string]string{"webhook_id": req.Action.WebhookID})
	step := &hub.RuleStep{RunID: req.RunID, Index: req.Index, Type: hub.RuleActionWebhook, Status: hub.RuleRunSucceeded, Input: in}
	id, err := a.Webhooks.EnqueueWebhookDelivery(ctx, req.TenantID, req.Action.WebhookID, req.EventID)
	if err != nil {
		if hub.ErrorCode(err) != hub.ENOTFOUND && hub.ErrorCode(err) != hub.EINVALID {
			return "", err // retried
		}
		step.Status, step.Error = hub.RuleRunFailed, hub.ErrorMessage(err)
		if rerr := a.Rules.RecordRuleStep(ctx, req.TenantID, step); rerr != nil {
			return "", rerr
		}
		return "", invalidStep(step.Error, err)
	}
	step.Output, _ = json.Marshal(map[string]string{"delivery_id": id})
	if err := a.Rules.RecordRuleStep(ctx, req.TenantID, step); err != nil {
		return "", err
	}
	return id, nil
}

// launchStep runs a step that starts something that goes on by itself (an
// agent run, a playbook run): it renders the step's input against the
// event (def when the step has none), lets start act on it and records the
// step with start's output. The hub's unavailability is retried; any other
// refusal fails the step.
func (a *RuleActivities) launchStep(ctx context.Context, req RuleStepRequest, typ string, def any,
	start func(input any, event map[string]any, step *hub.RuleStep) (id string, output any, err error)) (string, error) {
	step := &hub.RuleStep{RunID: req.RunID, Index: req.Index, Type: typ, Status: hub.RuleRunRunning}
	fail := func(msg string, cause error) (string, error) {
		step.Status, step.Error = hub.RuleRunFailed, msg
		if err := a.Rules.RecordRuleStep(ctx, req.TenantID, step); err != nil {
			return "", err
		}
		return "", invalidStep(msg, cause)
	}
	ev, err := a.Events.Event(ctx, req.TenantID, req.EventID)
	if hub.ErrorCode(err) == hub.ENOTFOUND {
		return fail("the event is no longer stored", err)
	}
	if err != nil {
		return "", err
	}
	em, err := EventMap(ev)
	if err != nil {
		return fail(err.Error(), err)
	}
	input := def
	if len(req.Action.Input) > 0 {
		if err := json.Unmarshal(req.Action.Input, &input); err != nil {
			return fail("input is not JSON: "+err.Error(), err)
		}
	}
	rendered, err := rules.Render(input, em)
	if err != nil {
		return fail(err.Error(), err)
	}
	id, out, err := start(rendered, em, step)
	if err != nil {
		if code := hub.ErrorCode(err); code == hub.EUNAVAILABLE || code == hub.EINTERNAL {
			return "", err // retried
		}
		return fail(hub.ErrorMessage(err), err)
	}
	step.Status = hub.RuleRunSucceeded
	step.Output, _ = json.Marshal(out)
	if err := a.Rules.RecordRuleStep(ctx, req.TenantID, step); err != nil {
		return "", err
	}
	return id, nil
}

// launchedRunID derives the id of what a rule step starts from (rule run,
// step), so a retried step starts it once.
func launchedRunID(kind string, req RuleStepRequest) string {
	return uuid.NewSHA1(agentRunNamespace, []byte(kind+req.RunID+"/"+strconv.Itoa(req.Index))).String()
}

// StartAgentRunStep starts the step's agent run with the step's input
// rendered against the event, and records the run's id. The rule does not
// wait for the agent, whose run may pause for approvals.
func (a *RuleActivities) StartAgentRunStep(ctx context.Context, req RuleStepRequest) (string, error) {
	return a.launchStep(ctx, req, hub.RuleActionAgentRun, "", func(input any, _ map[string]any, step *hub.RuleStep) (string, any, error) {
		if a.Agents == nil {
			return "", nil, hub.Errorf(hub.EINVALID, "agent runs are not available on this hub")
		}
		text, ok := input.(string)
		if !ok {
			b, _ := json.Marshal(input)
			text = string(b)
		}
		step.Input, _ = json.Marshal(map[string]string{"agent_id": req.Action.AgentID, "input": text})
		run, err := a.Agents.StartAgentRun(ctx, hub.AgentRunRequest{TenantID: req.TenantID, AgentID: req.Action.AgentID, Input: text,
			Trigger: "rule:" + req.RunID, CreatedBy: "rule", RunID: launchedRunID("", req)})
		if err != nil {
			return "", nil, err
		}
		return run.ID, map[string]string{"agent_run_id": run.ID, "status": run.Status}, nil
	})
}

// StartPlaybookStep starts the step's playbook with the triggering event
// (as "event") and the step's rendered input merged as the run's input.
func (a *RuleActivities) StartPlaybookStep(ctx context.Context, req RuleStepRequest) (string, error) {
	return a.launchStep(ctx, req, hub.RuleActionPlaybook, map[string]any{}, func(input any, em map[string]any, step *hub.RuleStep) (string, any, error) {
		if a.Playbooks == nil {
			return "", nil, hub.Errorf(hub.EINVALID, "playbooks are not available on this hub")
		}
		merged, _ := input.(map[string]any)
		if merged == nil {
			merged = map[string]any{}
		}
		step.Input, _ = json.Marshal(map[string]any{"playbook_id": req.Action.PlaybookID, "input": maps.Clone(merged)})
		merged["event"] = em
		runInput, err := json.Marshal(merged)
		if err != nil {
			return "", nil, hub.Errorf(hub.EINVALID, "the input cannot be encoded: %v", err)
		}
		run, err := a.Playbooks.StartPlaybook(ctx, hub.PlaybookRunRequest{TenantID: req.TenantID, PlaybookID: req.Action.PlaybookID,
			Input: runInput, Trigger: "rule:" + req.RunID, CreatedBy: "rule", RunID: launchedRunID("playbook/", req)})
		if err != nil {
			return "", nil, err
		}
		return run.ID, map[string]string{"playbook_run_id": run.ID}, nil
	})
}

// agentRunNamespace derives agent run ids from rule steps.
var agentRunNamespace = uuid.MustParse("6f1f7c1e-5b8e-4c1a-9a55-2a6b0b7f3c01")

// FinishRuleRun records the run's final status; a failed run also appends
// a rule.run.failed hub event.
func (a *RuleActivities) FinishRuleRun(ctx context.Context, req RuleFinishRequest) error {
	if err := a.Rules.FinishRuleRun(ctx, req.TenantID, req.RunID, req.Status, req.Error); err != nil {
		return err
	}
	if req.Status != hub.RuleRunFailed || a.Events == nil {
		return nil
	}
	payload, err := json.Marshal(map[string]any{"rule_id": req.RuleID, "run_id": req.RunID, "event_id": req.EventID,
		"failed_step": req.FailedStep, "error": req.Error})
	if err != nil {
		return err
	}
	now := time.Now()
	_, err = a.Events.AppendEvents(ctx, []*hub.Event{{TenantID: req.TenantID, Type: hub.EventRuleRunFailed, Source: "hub",
		ExternalID: activity.GetInfo(ctx).WorkflowExecution.ID, OccurredAt: now, Payload: payload}})
	return err
}

// errorMessage is the message of an activity's error without Temporal's wrapping.
func errorMessage(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "the step timed out"
	}
	return err.Error()
}

// RunRule runs a rule's actions for one event, in order, from StartStep:
// connector actions (RunConnectorAction), webhook deliveries
// (SendToWebhook) and delays (a durable timer). A failed step stops the run,
// which ends failed with the step's error. Start it with RuleRunWorkflowID.
func RunRule(ctx workflow.Context, in RuleRunInput) (RuleRunResult, error) {
	if in.TenantID == "" || in.RuleID == "" || in.EventID == "" {
		return RuleRunResult{}, temporal.NewNonRetryableApplicationError("tenant, rule and event ids are required", "invalid_input", nil)
	}
	if in.StartStep < 0 || in.StartStep > len(in.Actions) {
		return RuleRunResult{}, temporal.NewNonRetryableApplicationError("start step is out of range", "invalid_input", nil)
	}
	bookkeeping := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: 10},
	})
	connector := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// Connector calls have their own HTTP timeouts; retries are for
		// unavailability and rate limits only (other errors are non-retryable).
		StartToCloseTimeout: 2 * time.Minute,
		HeartbeatTimeout:    StepHeartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: 3},
	})
	var a *RuleActivities
	res := RuleRunResult{FailedStep: -1}
	if err := workflow.ExecuteActivity(bookkeeping, a.BeginRuleRun, in).Get(ctx, &res.RunID); err != nil {
		return res, fmt.Errorf("begin run: %w", err)
	}
	finish := func(status, msg string, failed int) (RuleRunResult, error) {
		res.Status, res.Error, res.FailedStep = status, msg, failed
		req := RuleFinishRequest{TenantID: in.TenantID, RunID: res.RunID, RuleID: in.RuleID, EventID: in.EventID,
			Status: status, Error: msg, FailedStep: failed}
		if err := workflow.ExecuteActivity(bookkeeping, a.FinishRuleRun, req).Get(ctx, nil); err != nil {
			return res, fmt.Errorf("finish run: %w", err)
		}
		return res, nil
	}
	for i := in.StartStep; i < len(in.Actions); i++ {
		act := in.Actions[i]
		req := RuleStepRequest{TenantID: in.TenantID, RunID: res.RunID, EventID: in.EventID, Index: i, Action: act}
		var err error
		switch act.Type {
		case hub.RuleActionConnector:
			err = workflow.ExecuteActivity(connector, a.RunConnectorAction, req).Get(ctx, nil)
		case hub.RuleActionWebhook:
			err = workflow.ExecuteActivity(bookkeeping, a.SendToWebhook, req).Get(ctx, nil)
		case hub.RuleActionAgentRun:
			err = workflow.ExecuteActivity(bookkeeping, a.StartAgentRunStep, req).Get(ctx, nil)
		case hub.RuleActionPlaybook:
			err = workflow.ExecuteActivity(bookkeeping, a.StartPlaybookStep, req).Get(ctx, nil)
		case hub.RuleActionDelay:
			in, _ := json.Marshal(map[string]int{"seconds": act.Seconds})
			step := hub.RuleStep{RunID: res.RunID, Index: i, Type: act.Type, Status: hub.RuleRunRunning, Input: in}
			if err = workflow.ExecuteActivity(bookkeeping, a.RecordRuleStep, req.TenantID, step).Get(ctx, nil); err != nil {
				break
			}
			if err = workflow.Sleep(ctx, time.Duration(act.Seconds)*time.Second); err != nil {
				return res, err
			}
			step.Status = hub.RuleRunSucceeded
			err = workflow.ExecuteActivity(bookkeeping, a.RecordRuleStep, req.TenantID, step).Get(ctx, nil)
		default:
			msg := fmt.Sprintf("action type %q is not supported", act.Type)
			step := hub.RuleStep{RunID: res.RunID, Index: i, Type: act.Type, Status: hub.RuleRunFailed, Error: msg}
			if err := workflow.ExecuteActivity(bookkeeping, a.RecordRuleStep, req.TenantID, step).Get(ctx, nil); err != nil {
				return res, err
			}
			return finish(hub.RuleRunFailed, fmt.Sprintf("step %d: %s", i+1, msg), i)
		}
		if err != nil {
			return finish(hub.RuleRunFailed, fmt.Sprintf("step %d (%s): %s", i+1, act.Type, errorMessage(err)), i)
		}
	}
	return finish(hub.RuleRunSucceeded, "", -1)
}

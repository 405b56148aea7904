// Package playbooks manages tenants' playbooks: multi-step workflows
// (connector actions, agent runs, CEL conditions, waits, approvals)
// written as JSON or YAML, run by the one interpreter workflow
// workflows.RunPlaybook on demand, from rules, or on Temporal Schedules,
// and the ready-made templates they can start from.
package playbooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/automation"
	"github.com/bizoshub/bizos/rules"
	"github.com/bizoshub/bizos/workflows"
)

// Limits on playbooks.
const (
	MaxSteps       = 50
	MaxWaitSeconds = 30 * 86400
	maxName        = 200
)

var stepIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,49}$`)

// Config holds a Service's dependencies.
type Config struct {
	Store       hub.PlaybookStore
	Connections hub.ConnectionStore
	Agents      hub.AgentStore
	// Actions looks connector actions up (provider, write, ok).
	Actions automation.ActionCatalog
	// Temporal starts, signals and cancels runs and keeps schedules.
	Temporal client.Client
}

// Service manages playbooks and their runs.
type Service struct{ cfg Config }

// NewService returns a Service.
func NewService(cfg Config) *Service { return &Service{cfg: cfg} }

// Definition is a playbook as submitted (JSON or YAML).
type Definition struct {
	Name        string                `json:"name"`
	Description string                `json:"description"`
	Steps       []hub.PlaybookStep    `json:"steps"`
	Schedule    *hub.PlaybookSchedule `json:"schedule"`
	Enabled     *bool                 `json:"enabled"`
}

// CreateRequest is the body of POST /api/v1/playbooks: a definition, or a
// template with its parameters.
type CreateRequest struct {
	Definition
	Template string            `json:"template"`
	Params   map[string]string `json:"params"`
}

func (s *Service) validate(ctx context.Context, tenantID string, d *Definition) error {
	d.Name = strings.TrimSpace(d.Name)
	if d.Name == "" || len(d.Name) > maxName {
		return hub.InvalidField("name", "is required (up to 200 characters)")
	}
	if len(d.Description) > 2000 {
		return hub.InvalidField("description", "may have at most 2000 characters")
	}
	if len(d.Steps) == 0 {
		return hub.InvalidField("steps", "must list at least one step")
	}
	if len(d.Steps) > MaxSteps {
		return hub.InvalidField("steps", fmt.Sprintf("may list at most %d steps", MaxSteps))
	}
	seen := map[string]bool{}
	for i := range d.Steps {
		st := &d.Steps[i]
		field := fmt.Sprintf("steps[%d]", i)
		if !stepIDPattern.MatchString(st.ID) {
			return hub.InvalidField(field+".id", "is required: lowercase letters, digits and _, starting with a letter (later steps read event.payload.steps.<id>)")
		}
		if seen[st.ID] {
			return hub.InvalidField(field+".id", fmt.Sprintf("%q names an earlier step too", st.ID))
		}
		seen[st.ID] = true
		if _, err := automation.CheckCondition(st.When); err != nil {
			var he *hub.Error
			if errors.As(err, &he) && he.Fields["condition"] != "" {
				return hub.InvalidField(field+".when", he.Fields["condition"])
			}
			return err
		}
		if err := s.checkStep(ctx, tenantID, field, st); err != nil {
			return err
		}
	}
	if d.Schedule != nil {
		cron, tz, err := automation.CheckSchedule(d.Schedule.Cron, d.Schedule.Timezone)
		if err != nil {
			return renameField(err, "trigger.schedule", "schedule.cron", "trigger.timezone", "schedule.timezone")
		}
		d.Schedule.Cron, d.Schedule.Timezone = cron, tz
		if len(d.Schedule.Input) > 0 && !json.Valid(d.Schedule.Input) {
			return hub.InvalidField("schedule.input", "must be JSON")
		}
	}
	return nil
}

func renameField(err error, pairs ...string) error {
	var he *hub.Error
	if !errors.As(err, &he) {
		return err
	}
	fields := map[string]string{}
	for k, v := range he.Fields {
		for i := 0; i+1 < len(pairs); i += 2 {
			if k == pairs[i] {
				k = pairs[i+1]
			}
		}
		fields[k] = v
	}
	return &hub.Error{Code: he.Code, Message: he.Message, Fields: fields, Err: he.Err}
}

func checkInput(field string, raw json.RawMessage, def any) (any, error) {
	input := def
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &input); err != nil {
			return nil, hub.InvalidField(field, "must be JSON")
		}
	}
	if err := rules.CheckTemplate(input); err != nil {
		return nil, hub.InvalidField(field, err.Error())
	}
	return input, nil
}

func (s *Service) checkStep(ctx context.Context, tenantID, field string, st *hub.PlaybookStep) error {
	clean := hub.PlaybookStep{ID: st.ID, Type: st.Type, When: st.When}
	switch st.Type {
	case hub.PlaybookStepAction:
		conn, err := s.cfg.Connections.Connection(ctx, tenantID, st.ConnectionID)
		if st.ConnectionID == "" || hub.ErrorCode(err) == hub.ENOTFOUND {
			return hub.InvalidField(field+".connection_id", fmt.Sprintf("connection %q not found", st.ConnectionID))
		}
		if err != nil {
			return err
		}
		provider, _, ok := s.cfg.Actions(st.Action)
		if !ok {
			return hub.InvalidField(field+".action", fmt.Sprintf("unknown action %q (GET /api/v1/actions lists them)", st.Action))
		}
		if provider != conn.Provider {
			return hub.InvalidField(field+".action", fmt.Sprintf("action %q belongs to %s, but the connection is %s", st.Action, provider, conn.Provider))
		}
		input, err := checkInput(field+".input", st.Input, map[string]any{})
		if err != nil {
			return err
		}
		clean.ConnectionID, clean.Action = st.ConnectionID, st.Action
		clean.Input, _ = json.Marshal(input)
	case hub.PlaybookStepAgent:
		if _, err := s.cfg.Agents.Agent(ctx, tenantID, st.AgentID); st.AgentID == "" || hub.ErrorCode(err) == hub.ENOTFOUND {
			return hub.InvalidField(field+".agent_id", fmt.Sprintf("agent %q not found", st.AgentID))
		} else if err != nil {
			return err
		}
		input, err := checkInput(field+".input", st.Input, "")
		if err != nil {
			return err
		}
		if str, ok := input.(string); !ok || strings.TrimSpace(str) == "" {
			return hub.InvalidField(field+".input", "is required: the agent's task, as a string (it may use {{ event.payload... }})")
		}
		clean.AgentID = st.AgentID
		clean.Input, _ = json.Marshal(input)
	case hub.PlaybookStepWait:
		if st.Seconds < 1 || st.Seconds > MaxWaitSeconds {
			return hub.InvalidField(field+".seconds", fmt.Sprintf("must be between 1 and %d", MaxWaitSeconds))
		}
		clean.Seconds = st.Seconds
	case hub.PlaybookStepApproval:
		if err := rules.CheckTemplate(st.Message); err != nil {
			return hub.InvalidField(field+".message", err.Error())
		}
		clean.Message = st.Message
	case "":
		return hub.InvalidField(field+".type", "is required: action, agent, wait or approval")
	default:
		return hub.InvalidField(field+".type", fmt.Sprintf("unknown step type %q (action, agent, wait or approval)", st.Type))
	}
	*st = clean
	return nil
}

// Create validates and stores a playbook (from a definition or a template)
// and, when it has a schedule, its Temporal Schedule.
func (s *Service) Create(ctx context.Context, p hub.Principal, req CreateRequest) (*hub.Playbook, error) {
	def := req.Definition
	template := ""
	if req.Template != "" {
		t, ok := Template(req.Template)
		if !ok {
			return nil, hub.InvalidField("template", fmt.Sprintf("unknown template %q (GET /api/v1/playbook-templates lists them)", req.Template))
		}
		var err error
		if def, err = t.Instantiate(req.Params); err != nil {
			return nil, err
		}
		if req.Name != "" {
			def.Name = req.Name
		}
		template = t.ID
	}
	if err := s.validate(ctx, p.TenantID, &def); err != nil {
		return nil, err
	}
	pb := &hub.Playbook{TenantID: p.TenantID, Name: def.Name, Description: def.Description, Steps: def.Steps, Schedule: def.Schedule,
		Enabled: def.Enabled == nil || *def.Enabled, Template: template, CreatedBy: p.Subject()}
	if err := s.cfg.Store.CreatePlaybook(ctx, pb); err != nil {
		return nil, err
	}
	if err := s.syncSchedule(ctx, pb); err != nil {
		_ = s.cfg.Store.DeletePlaybook(context.WithoutCancel(ctx), pb.TenantID, pb.ID)
		return nil, err
	}
	return pb, nil
}

// Replace sets every field of one of the tenant's playbooks.
func (s *Service) Replace(ctx context.Context, tenantID, id string, def Definition) (*hub.Playbook, error) {
	pb, err := s.cfg.Store.Playbook(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if err := s.validate(ctx, tenantID, &def); err != nil {
		return nil, err
	}
	pb.Name, pb.Description, pb.Steps, pb.Schedule = def.Name, def.Description, def.Steps, def.Schedule
	pb.Enabled = def.Enabled == nil || *def.Enabled
	if err := s.cfg.Store.UpdatePlaybook(ctx, pb); err != nil {
		return nil, err
	}
	return pb, s.syncSchedule(ctx, pb)
}

// Delete removes a playbook, its runs and its schedule.
func (s *Service) Delete(ctx context.Context, tenantID, id string) error {
	if _, err := s.cfg.Store.Playbook(ctx, tenantID, id); err != nil {
		return err
	}
	if err := s.removeSchedule(ctx, id); err != nil {
		return err
	}
	return s.cfg.Store.DeletePlaybook(ctx, tenantID, id)
}

// ScheduleID is the id of a playbook's Temporal Schedule.
func ScheduleID(playbookID string) string { return "playbook-schedule-" + playbookID }

func unavailable(msg string, err error) error {
	return &hub.Error{Code: hub.EUNAVAILABLE, Message: msg, Err: err}
}

func (s *Service) syncSchedule(ctx context.Context, pb *hub.Playbook) error {
	if pb.Schedule == nil {
		return s.removeSchedule(ctx, pb.ID)
	}
	if s.cfg.Temporal == nil {
		return hub.InvalidField("schedule", "schedules need Temporal, which this hub is not connected to")
	}
	spec := client.ScheduleSpec{CronExpressions: []string{pb.Schedule.Cron}, TimeZoneName: pb.Schedule.Timezone}
	action := &client.ScheduleWorkflowAction{ID: "playbook-fire-" + pb.ID, Workflow: workflows.RunPlaybook,
		Args: []any{workflows.PlaybookRunInput{TenantID: pb.TenantID, PlaybookID: pb.ID}}, TaskQueue: workflows.TaskQueue}
	sc := s.cfg.Temporal.ScheduleClient()
	_, err := sc.Create(ctx, client.ScheduleOptions{ID: ScheduleID(pb.ID), Spec: spec, Action: action, Paused: !pb.Enabled})
	if err == nil {
		return nil
	}
	var exists *serviceerror.AlreadyExists
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) && !errors.As(err, &exists) {
		return unavailable("The playbook's schedule could not be saved; try again.", fmt.Errorf("create schedule of playbook %s: %w", pb.ID, err))
	}
	err = sc.GetHandle(ctx, ScheduleID(pb.ID)).Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
		sched := in.Description.Schedule
		sched.Spec, sched.Action = &spec, action
		if sched.State == nil {
			sched.State = &client.ScheduleState{}
		}
		sched.State.Paused = !pb.Enabled
		return &client.ScheduleUpdate{Schedule: &sched}, nil
	}})
	if err != nil {
		return unavailable("The playbook's schedule could not be saved; try again.", fmt.Errorf("update schedule of playbook %s: %w", pb.ID, err))
	}
	return nil
}

func (s *Service) removeSchedule(ctx context.Context, playbookID string) error {
	if s.cfg.Temporal == nil {
		return nil
	}
	err := s.cfg.Temporal.ScheduleClient().GetHandle(ctx, ScheduleID(playbookID)).Delete(ctx)
	var nf *serviceerror.NotFound
	if err != nil && !errors.As(err, &nf) {
		return unavailable("The playbook's schedule could not be removed; try again.", fmt.Errorf("delete schedule of playbook %s: %w", playbookID, err))
	}
	return nil
}

// RunRequest is the body of POST /api/v1/playbooks/{id}/runs.
type RunRequest struct {
	// Input is what steps see as event.payload.input.
	Input json.RawMessage `json:"input"`
}

// StartPlaybook implements hub.PlaybookStarter: it records the run and
// starts RunPlaybook under its id (a preset RunID makes it idempotent).
func (s *Service) StartPlaybook(ctx context.Context, req hub.PlaybookRunRequest) (*hub.PlaybookRun, error) {
	if s.cfg.Temporal == nil {
		return nil, hub.Errorf(hub.EUNAVAILABLE, "Playbook runs are not available right now.")
	}
	if len(req.Input) > 0 && !json.Valid(req.Input) {
		return nil, hub.InvalidField("input", "must be JSON")
	}
	pb, err := s.cfg.Store.Playbook(ctx, req.TenantID, req.PlaybookID)
	if err != nil {
		return nil, err
	}
	if req.RunID == "" {
		req.RunID = newID()
	}
	run, err := s.cfg.Store.EnsurePlaybookRun(ctx, &hub.PlaybookRun{ID: req.RunID, TenantID: req.TenantID, PlaybookID: pb.ID,
		WorkflowID: workflows.PlaybookWorkflowID(req.RunID), Input: req.Input, Steps: pb.Steps, Trigger: req.Trigger, CreatedBy: req.CreatedBy})
	if err != nil {
		return nil, err
	}
	_, err = s.cfg.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: run.WorkflowID, TaskQueue: workflows.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
	}, workflows.RunPlaybook, workflows.PlaybookRunInput{TenantID: req.TenantID, PlaybookID: pb.ID, RunID: run.ID, Input: req.Input, Trigger: req.Trigger})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		_ = s.cfg.Store.FinishPlaybookRun(context.WithoutCancel(ctx), req.TenantID, run.ID, hub.PlaybookFailed, "the run could not be started")
		return nil, unavailable("The run could not be started; try again.", err)
	}
	return run, nil
}

// RunNow fires a scheduled playbook's schedule at once.
func (s *Service) RunNow(ctx context.Context, tenantID, id string) error {
	pb, err := s.cfg.Store.Playbook(ctx, tenantID, id)
	if err != nil {
		return err
	}
	if pb.Schedule == nil {
		return hub.Errorf(hub.EINVALID, "The playbook has no schedule; start a run with POST /api/v1/playbooks/%s/runs.", id)
	}
	if err := s.cfg.Temporal.ScheduleClient().GetHandle(ctx, ScheduleID(id)).Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		return unavailable("The schedule could not be fired; try again.", err)
	}
	return nil
}

// DecisionRequest is the body of POST /api/v1/playbook-runs/{id}/approvals.
type DecisionRequest struct {
	StepID   string `json:"step_id"`
	Decision string `json:"decision"`
	Comment  string `json:"comment"`
}

// Decide sends a person's decision on a waiting approval step.
func (s *Service) Decide(ctx context.Context, p hub.Principal, runID string, req DecisionRequest) (*hub.PlaybookRun, error) {
	if req.Decision != "approve" && req.Decision != "reject" {
		return nil, hub.InvalidField("decision", `must be "approve" or "reject"`)
	}
	run, err := s.cfg.Store.PlaybookRun(ctx, p.TenantID, runID)
	if err != nil {
		return nil, err
	}
	var waiting *hub.PlaybookStepRun
	for _, st := range run.StepRuns {
		if st.Status == hub.PlaybookWaitingApproval && (req.StepID == "" || req.StepID == st.StepID) {
			waiting = st
		}
	}
	if run.FinishedAt != nil || waiting == nil {
		return nil, hub.Errorf(hub.ECONFLICT, "No step of this run waits for a decision.")
	}
	d := workflows.PlaybookApproval{StepID: waiting.StepID, Approved: req.Decision == "approve", By: p.Subject(), Comment: req.Comment}
	if err := s.cfg.Temporal.SignalWorkflow(ctx, run.WorkflowID, "", workflows.ApprovalSignal, d); err != nil {
		return nil, unavailable("The decision could not be delivered; try again.", err)
	}
	return run, nil
}

// Cancel asks a run to stop.
func (s *Service) Cancel(ctx context.Context, tenantID, runID string) (*hub.PlaybookRun, error) {
	run, err := s.cfg.Store.PlaybookRun(ctx, tenantID, runID)
	if err != nil {
		return nil, err
	}
	if run.FinishedAt != nil {
		return nil, hub.Errorf(hub.ECONFLICT, "The run has ended (%s).", run.Status)
	}
	if err := s.cfg.Temporal.CancelWorkflow(ctx, run.WorkflowID, ""); err != nil {
		return nil, unavailable("The run could not be cancelled; try again.", err)
	}
	return run, nil
}

// Package automation runs tenants' rules: the rules API (service and HTTP
// handler), the Dispatcher that evaluates rules against stored events and
// starts RunRule workflows, and the webhook enqueuer rule runs use.
package automation

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

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/rules"
	"github.com/bizoshub/bizos/workflows"
)

// Limits on rules.
const (
	MaxActions      = 20
	MaxDelaySeconds = 86400 * 7
	maxName         = 200
)

var eventTypePattern = regexp.MustCompile(`^(\*|[a-z0-9][a-z0-9_.\-]{0,199}\*?)$`)

// ActionCatalog looks up a connector action by name: its provider and
// whether it writes. The lead wires it to connectors.LookupAction.
type ActionCatalog func(name string) (provider string, write bool, ok bool)

// Config holds a Service's dependencies.
type Config struct {
	Rules       hub.RuleStore
	Connections hub.ConnectionStore
	Webhooks    hub.WebhookStore
	Actions     ActionCatalog
	// Temporal starts retries; nil answers EUNAVAILABLE on retry.
	Temporal client.Client
	// Schedules keeps scheduled rules' Temporal Schedules; nil refuses
	// schedule triggers.
	Schedules RuleScheduler
	// Agents checks agent_run actions; nil refuses them.
	Agents hub.AgentStore
	// Playbooks checks playbook actions; nil refuses them.
	Playbooks hub.PlaybookStore
}

// Service manages rules and retries of their runs.
type Service struct{ cfg Config }

// NewService returns a Service.
func NewService(cfg Config) *Service { return &Service{cfg: cfg} }

// RuleRequest is the body of POST /api/v1/rules and PUT /api/v1/rules/{id}.
type RuleRequest struct {
	Name      string           `json:"name"`
	Trigger   RuleTriggerInput `json:"trigger"`
	Condition string           `json:"condition"`
	Actions   []hub.RuleAction `json:"actions"`
	Enabled   *bool            `json:"enabled"`
}

// RuleTriggerInput is a rule's trigger as submitted.
type RuleTriggerInput struct {
	EventType string `json:"event_type"`
	Schedule  string `json:"schedule,omitempty"`
	Timezone  string `json:"timezone,omitempty"`
}

// RulePatch is the body of PATCH /api/v1/rules/{id}; absent fields stay.
type RulePatch struct {
	Name      *string           `json:"name"`
	Trigger   *RuleTriggerInput `json:"trigger"`
	Condition *string           `json:"condition"`
	Actions   *[]hub.RuleAction `json:"actions"`
	Enabled   *bool             `json:"enabled"`
}

func checkName(n string) (string, error) {
	n = strings.TrimSpace(n)
	if n == "" || len(n) > maxName {
		return "", hub.InvalidField("name", "is required (up to 200 characters)")
	}
	return n, nil
}

func checkTrigger(t RuleTriggerInput) (hub.RuleTrigger, error) {
	et := strings.TrimSpace(t.EventType)
	if t.Schedule != "" {
		if et != "" {
			return hub.RuleTrigger{}, hub.InvalidField("trigger", "give either event_type or schedule, not both")
		}
		expr, tz, err := CheckSchedule(t.Schedule, t.Timezone)
		if err != nil {
			return hub.RuleTrigger{}, err
		}
		return hub.RuleTrigger{Schedule: expr, Timezone: tz}, nil
	}
	if t.Timezone != "" {
		return hub.RuleTrigger{}, hub.InvalidField("trigger.timezone", "applies only to a schedule trigger")
	}
	if et == "" {
		return hub.RuleTrigger{}, hub.InvalidField("trigger.event_type", "is required: an event type such as \"stripe.invoice.paid\", a prefix ending in \"*\" such as \"stripe.invoice.*\", or give trigger.schedule (cron) instead")
	}
	if !eventTypePattern.MatchString(et) {
		return hub.RuleTrigger{}, hub.InvalidField("trigger.event_type", fmt.Sprintf("%q is not an event type (lowercase letters, digits, '.', '_', '-', optionally ending in '*')", et))
	}
	return hub.RuleTrigger{EventType: et}, nil
}

// CheckCondition compiles a CEL condition; a compile error names its line
// and column in Fields["condition"].
func CheckCondition(cond string) (*rules.Condition, error) {
	c, err := rules.Compile(cond)
	if err != nil {
		var ce *rules.CompileError
		if errors.As(err, &ce) {
			return nil, hub.InvalidField("condition", ce.Message)
		}
		return nil, err
	}
	return c, nil
}

func (s *Service) checkActions(ctx context.Context, tenantID string, actions []hub.RuleAction) ([]hub.RuleAction, error) {
	if len(actions) == 0 {
		return nil, hub.InvalidField("actions", "must list at least one action")
	}
	if len(actions) > MaxActions {
		return nil, hub.InvalidField("actions", fmt.Sprintf("may list at most %d actions", MaxActions))
	}
	out := make([]hub.RuleAction, len(actions))
	for i, a := range actions {
		field := fmt.Sprintf("actions[%d]", i)
		var clean hub.RuleAction
		switch a.Type {
		case hub.RuleActionConnector:
			if a.ConnectionID == "" {
				return nil, hub.InvalidField(field+".connection_id", "is required")
			}
			conn, err := s.cfg.Connections.Connection(ctx, tenantID, a.ConnectionID)
			if hub.ErrorCode(err) == hub.ENOTFOUND {
				return nil, hub.InvalidField(field+".connection_id", fmt.Sprintf("connection %q not found", a.ConnectionID))
			}
			if err != nil {
				return nil, err
			}
			provider, _, ok := "", false, false
			if s.cfg.Actions != nil {
				provider, _, ok = s.cfg.Actions(a.Action)
			}
			if !ok {
				return nil, hub.InvalidField(field+".action", fmt.Sprintf("unknown action %q", a.Action))
			}
			if provider != conn.Provider {
				return nil, hub.InvalidField(field+".action", fmt.Sprintf("action %q belongs to %s, but the connection is %s", a.Action, provider, conn.Provider))
			}
			var input any = map[string]any{}
			if len(a.Input) > 0 {
				if err := json.Unmarshal(a.Input, &input); err != nil {
					return nil, hub.InvalidField(field+".input", "must be JSON")
				}
			}
			if err := rules.CheckTemplate(input); err != nil {
				return nil, hub.InvalidField(field+".input", err.Error())
			}
			raw, _ := json.Marshal(input)
			clean = hub.RuleAction{Type: a.Type, ConnectionID: a.ConnectionID, Action: a.Action, Input: raw}
		case hub.RuleActionWebhook:
			if a.WebhookID == "" {
				return nil, hub.InvalidField(field+".webhook_id", "is required")
			}
			if _, err := s.cfg.Webhooks.WebhookEndpoint(ctx, tenantID, a.WebhookID); hub.ErrorCode(err) == hub.ENOTFOUND {
				return nil, hub.InvalidField(field+".webhook_id", fmt.Sprintf("webhook endpoint %q not found", a.WebhookID))
			} else if err != nil {
				return nil, err
			}
			clean = hub.RuleAction{Type: a.Type, WebhookID: a.WebhookID}
		case hub.RuleActionDelay:
			if a.Seconds < 1 || a.Seconds > MaxDelaySeconds {
				return nil, hub.InvalidField(field+".seconds", fmt.Sprintf("must be between 1 and %d", MaxDelaySeconds))
			}
			clean = hub.RuleAction{Type: a.Type, Seconds: a.Seconds}
		case hub.RuleActionAgentRun:
			if s.cfg.Agents == nil {
				return nil, hub.InvalidField(field+".type", "agent_run is not available on this hub")
			}
			if a.AgentID == "" {
				return nil, hub.InvalidField(field+".agent_id", "is required")
			}
			if _, err := s.cfg.Agents.Agent(ctx, tenantID, a.AgentID); hub.ErrorCode(err) == hub.ENOTFOUND {
				return nil, hub.InvalidField(field+".agent_id", fmt.Sprintf("agent %q not found", a.AgentID))
			} else if err != nil {
				return nil, err
			}
			var input any = ""
			if len(a.Input) > 0 {
				if err := json.Unmarshal(a.Input, &input); err != nil {
					return nil, hub.InvalidField(field+".input", "must be JSON: the task for the agent, as a string")
				}
			}
			if str, ok := input.(string); !ok || strings.TrimSpace(str) == "" {
				return nil, hub.InvalidField(field+".input", "is required: the task for the agent, as a string (it may use {{ event... }})")
			}
			if err := rules.CheckTemplate(input); err != nil {
				return nil, hub.InvalidField(field+".input", err.Error())
			}
			raw, _ := json.Marshal(input)
			clean = hub.RuleAction{Type: a.Type, AgentID: a.AgentID, Input: raw}
		case hub.RuleActionPlaybook:
			if s.cfg.Playbooks == nil {
				return nil, hub.InvalidField(field+".type", "playbook is not available on this hub")
			}
			if _, err := s.cfg.Playbooks.Playbook(ctx, tenantID, a.PlaybookID); a.PlaybookID == "" || hub.ErrorCode(err) == hub.ENOTFOUND {
				return nil, hub.InvalidField(field+".playbook_id", fmt.Sprintf("playbook %q not found", a.PlaybookID))
			} else if err != nil {
				return nil, err
			}
			var input any = map[string]any{}
			if len(a.Input) > 0 {
				if err := json.Unmarshal(a.Input, &input); err != nil {
					return nil, hub.InvalidField(field+".input", "must be a JSON object")
				}
			}
			if _, ok := input.(map[string]any); !ok {
				return nil, hub.InvalidField(field+".input", "must be a JSON object")
			}
			if err := rules.CheckTemplate(input); err != nil {
				return nil, hub.InvalidField(field+".input", err.Error())
			}
			raw, _ := json.Marshal(input)
			clean = hub.RuleAction{Type: a.Type, PlaybookID: a.PlaybookID, Input: raw}
		case "":
			return nil, hub.InvalidField(field+".type", "is required: connector_action, agent_run, playbook, webhook or delay")
		default:
			return nil, hub.InvalidField(field+".type", fmt.Sprintf("unknown action type %q (connector_action, agent_run, playbook, webhook or delay)", a.Type))
		}
		out[i] = clean
	}
	return out, nil
}

func (s *Service) validate(ctx context.Context, r *hub.Rule) error {
	var err error
	if r.Trigger.Scheduled() && s.cfg.Schedules == nil {
		return hub.InvalidField("trigger.schedule", "schedule triggers need Temporal, which this hub is not connected to")
	}
	if r.Name, err = checkName(r.Name); err != nil {
		return err
	}
	if _, err := CheckCondition(r.Condition); err != nil {
		return err
	}
	r.Actions, err = s.checkActions(ctx, r.TenantID, r.Actions)
	return err
}

// Create validates and stores a rule for p's tenant.
func (s *Service) Create(ctx context.Context, p hub.Principal, req RuleRequest) (*hub.Rule, error) {
	trig, err := checkTrigger(req.Trigger)
	if err != nil {
		return nil, err
	}
	r := &hub.Rule{TenantID: p.TenantID, Name: req.Name, Trigger: trig, Condition: req.Condition, Actions: req.Actions,
		Enabled: req.Enabled == nil || *req.Enabled, CreatedBy: p.Subject()}
	if err := s.validate(ctx, r); err != nil {
		return nil, err
	}
	if err := s.cfg.Rules.CreateRule(ctx, r); err != nil {
		return nil, err
	}
	if r.Trigger.Scheduled() {
		if err := s.cfg.Schedules.SyncRuleSchedule(ctx, r); err != nil {
			// Nothing half-made stays: the rule goes with its schedule.
			_ = s.cfg.Rules.DeleteRule(context.WithoutCancel(ctx), r.TenantID, r.ID)
			_ = s.cfg.Schedules.RemoveRuleSchedule(context.WithoutCancel(ctx), r.ID)
			return nil, err
		}
	}
	return r, nil
}

// Delete removes one of the tenant's rules, its runs and its schedule.
func (s *Service) Delete(ctx context.Context, tenantID, id string) error {
	r, err := s.cfg.Rules.Rule(ctx, tenantID, id)
	if err != nil {
		return err
	}
	if r.Trigger.Scheduled() && s.cfg.Schedules != nil {
		if err := s.cfg.Schedules.RemoveRuleSchedule(ctx, id); err != nil {
			return err
		}
	}
	return s.cfg.Rules.DeleteRule(ctx, tenantID, id)
}

// RunNow fires a scheduled rule at once, as if its schedule were due.
func (s *Service) RunNow(ctx context.Context, tenantID, id string) (*hub.Rule, error) {
	r, err := s.cfg.Rules.Rule(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if !r.Trigger.Scheduled() {
		return nil, hub.Errorf(hub.EINVALID, "Only scheduled rules can be run on demand; event rules run when their events arrive.")
	}
	if !r.Enabled {
		return nil, hub.Errorf(hub.ECONFLICT, "The rule is disabled; enable it first.")
	}
	if err := s.cfg.Schedules.TriggerRuleSchedule(ctx, id); err != nil {
		return nil, err
	}
	return r, nil
}

// Replace sets every field of one of the tenant's rules (PUT).
func (s *Service) Replace(ctx context.Context, tenantID, id string, req RuleRequest) (*hub.Rule, error) {
	enabled := req.Enabled
	if enabled == nil {
		t := true
		enabled = &t
	}
	return s.Update(ctx, tenantID, id, RulePatch{Name: &req.Name, Trigger: &req.Trigger, Condition: &req.Condition,
		Actions: &req.Actions, Enabled: enabled})
}

// Update applies a patch to one of the tenant's rules.
func (s *Service) Update(ctx context.Context, tenantID, id string, patch RulePatch) (*hub.Rule, error) {
	r, err := s.cfg.Rules.Rule(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	wasScheduled := r.Trigger.Scheduled()
	if patch.Name != nil {
		r.Name = *patch.Name
	}
	if patch.Trigger != nil {
		if r.Trigger, err = checkTrigger(*patch.Trigger); err != nil {
			return nil, err
		}
	}
	if patch.Condition != nil {
		r.Condition = *patch.Condition
	}
	if patch.Actions != nil {
		r.Actions = *patch.Actions
	}
	if patch.Enabled != nil {
		r.Enabled = *patch.Enabled
	}
	if err := s.validate(ctx, r); err != nil {
		return nil, err
	}
	if err := s.cfg.Rules.UpdateRule(ctx, r); err != nil {
		return nil, err
	}
	if r.Trigger.Scheduled() || wasScheduled {
		// A failure leaves the rule saved and says so; saving it again
		// brings the schedule in line.
		if err := s.cfg.Schedules.SyncRuleSchedule(ctx, r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Retry re-runs a failed run from its first failed step, in a new workflow
// "rule-<rule>-<event>-retry-<n>".
func (s *Service) Retry(ctx context.Context, tenantID, runID string) (*hub.RuleRun, error) {
	if s.cfg.Temporal == nil {
		return nil, hub.Errorf(hub.EUNAVAILABLE, "Retries are not available right now.")
	}
	run, err := s.cfg.Rules.RuleRun(ctx, tenantID, runID)
	if err != nil {
		return nil, err
	}
	start := run.FirstFailedStep()
	run, err = s.cfg.Rules.StartRuleRetry(ctx, tenantID, runID, func(n int) string {
		return workflows.RuleRunWorkflowID(run.RuleID, run.EventID, n)
	})
	if err != nil {
		return nil, err
	}
	if start < 0 {
		start = 0
	}
	in := workflows.RuleRunInput{TenantID: tenantID, RuleID: run.RuleID, EventID: run.EventID, Actions: run.Actions, StartStep: start}
	if err := startRun(ctx, s.cfg.Temporal, run.WorkflowID, in); err != nil {
		_ = s.cfg.Rules.FinishRuleRun(context.WithoutCancel(ctx), tenantID, runID, hub.RuleRunFailed, "the retry could not be started")
		return nil, &hub.Error{Code: hub.EUNAVAILABLE, Message: "The retry could not be started; try again.", Err: err}
	}
	return run, nil
}

// startRun starts RunRule under id; a workflow with that id that already
// ran or runs is success: an event runs a rule once.
func startRun(ctx context.Context, c client.Client, id string, in workflows.RuleRunInput) error {
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
	}, workflows.RunRule, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil
	}
	return err
}

package hub

import (
	"context"
	"encoding/json"
	"time"
)

// Rule action types.
const (
	RuleActionConnector = "connector_action" // run a connector action with a templated input
	RuleActionWebhook   = "webhook"          // deliver the event to one of the tenant's webhook endpoints
	RuleActionDelay     = "delay"            // wait before the next action
	RuleActionAgentRun  = "agent_run"        // start a run of one of the tenant's agents with a templated input
	RuleActionPlaybook  = "playbook"         // start a run of one of the tenant's playbooks with the event as input
)

// Rule run and step statuses.
const (
	RuleRunRunning   = "running"
	RuleRunSucceeded = "succeeded"
	RuleRunFailed    = "failed"
)

// EventRuleRunFailed is the type of the hub event appended when a rule run fails.
const EventRuleRunFailed = "rule.run.failed"

// EventRuleScheduleFired is the type of the hub event a scheduled rule's
// Temporal Schedule appends each time it fires; the rule's condition and
// actions then see it as event (payload: rule_id, fired_at).
const EventRuleScheduleFired = "rule.schedule.fired"

// RuleTrigger says when a rule runs: on events of a type, or on a schedule.
// Exactly one of EventType and Schedule is set.
type RuleTrigger struct {
	// EventType is an exact event type or a prefix ending in "*".
	EventType string `json:"event_type,omitempty"`
	// Schedule is a cron expression (minute hour day-of-month month
	// day-of-week, or @hourly, @daily, @weekly, @monthly).
	Schedule string `json:"schedule,omitempty"`
	// Timezone is the IANA zone Schedule is read in; empty means UTC.
	Timezone string `json:"timezone,omitempty"`
}

// Scheduled reports whether the trigger is a schedule.
func (t RuleTrigger) Scheduled() bool { return t.Schedule != "" }

// RuleAction is one step of a rule. Which fields apply depends on Type.
type RuleAction struct {
	Type string `json:"type"`
	// connector_action
	ConnectionID string          `json:"connection_id,omitempty"`
	Action       string          `json:"action,omitempty"`
	Input        json.RawMessage `json:"input,omitempty"`
	// webhook
	WebhookID string `json:"webhook_id,omitempty"`
	// delay
	Seconds int `json:"seconds,omitempty"`
	// agent_run (Input is the templated task, a JSON string)
	AgentID string `json:"agent_id,omitempty"`
	// playbook (Input, templated, is added to the run's input beside "event")
	PlaybookID string `json:"playbook_id,omitempty"`
}

// Rule is a tenant's automation: when an event matching Trigger arrives
// and Condition (CEL over event) holds, Actions run in order.
type Rule struct {
	ID        string       `json:"id"`
	TenantID  string       `json:"tenant_id"`
	Name      string       `json:"name"`
	Trigger   RuleTrigger  `json:"trigger"`
	Condition string       `json:"condition"`
	Actions   []RuleAction `json:"actions"`
	Enabled   bool         `json:"enabled"`
	// Version grows by one on every update (compiled conditions are cached by it).
	Version   int       `json:"version"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// RuleRun is one run of a rule for one event. Retries reuse the run.
type RuleRun struct {
	ID       string `json:"id"`
	TenantID string `json:"tenant_id"`
	RuleID   string `json:"rule_id"`
	EventID  string `json:"event_id"`
	// WorkflowID is the id of the latest workflow executing the run.
	WorkflowID string `json:"workflow_id"`
	Status     string `json:"status"`
	Error      string `json:"error,omitempty"`
	// Retries counts manual retries.
	Retries int `json:"retries"`
	// Actions is the snapshot of the rule's actions the run executes.
	Actions    []RuleAction `json:"actions"`
	StartedAt  time.Time    `json:"started_at"`
	FinishedAt *time.Time   `json:"finished_at,omitempty"`
	// Steps are filled by RuleRun and ListRuleRuns, in order.
	Steps []*RuleStep `json:"steps"`
}

// FirstFailedStep returns the index of the first failed step, or -1.
func (r *RuleRun) FirstFailedStep() int {
	for _, s := range r.Steps {
		if s.Status == RuleRunFailed {
			return s.Index
		}
	}
	return -1
}

// RuleStep records one action of a run.
type RuleStep struct {
	RunID      string          `json:"run_id"`
	Index      int             `json:"index"`
	Type       string          `json:"type"`
	Status     string          `json:"status"`
	Input      json.RawMessage `json:"input,omitempty"`
	Output     json.RawMessage `json:"output,omitempty"`
	Error      string          `json:"error,omitempty"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
}

// RuleStore persists rules, their runs and the runs' steps.
type RuleStore interface {
	// CreateRule stores r, filling ID, Version and times.
	CreateRule(ctx context.Context, r *Rule) error
	// Rule returns one of the tenant's rules or ENOTFOUND.
	Rule(ctx context.Context, tenantID, id string) (*Rule, error)
	// ListRules pages through the tenant's rules, newest first.
	ListRules(ctx context.Context, tenantID string, page Page) ([]*Rule, string, error)
	// MatchingRules returns the tenant's enabled rules whose trigger matches eventType.
	MatchingRules(ctx context.Context, tenantID, eventType string) ([]*Rule, error)
	// UpdateRule saves r's name, trigger, condition, actions and enabled flag
	// and bumps its version.
	UpdateRule(ctx context.Context, r *Rule) error
	// DeleteRule removes the rule with its runs.
	DeleteRule(ctx context.Context, tenantID, id string) error

	// BeginRuleRun creates the run of (rule, event) if it has none and
	// marks it running under workflowID; it returns the stored run.
	BeginRuleRun(ctx context.Context, run *RuleRun) (*RuleRun, error)
	// RuleRun returns one of the tenant's runs with its steps, or ENOTFOUND.
	RuleRun(ctx context.Context, tenantID, id string) (*RuleRun, error)
	// ListRuleRuns pages through a rule's runs, newest first, with their steps.
	ListRuleRuns(ctx context.Context, tenantID, ruleID string, page Page) ([]*RuleRun, string, error)
	// RecordRuleStep creates or replaces the step (run, index).
	RecordRuleStep(ctx context.Context, tenantID string, s *RuleStep) error
	// FinishRuleRun sets the run's final status and error.
	FinishRuleRun(ctx context.Context, tenantID, runID, status, errMsg string) error
	// StartRuleRetry counts a manual retry of a failed run (ECONFLICT when
	// the run is not failed), sets it running under workflowID(n) and
	// returns the run with n = its retry number (1, 2, ...).
	StartRuleRetry(ctx context.Context, tenantID, runID string, workflowID func(n int) string) (*RuleRun, error)
}

// ConnectorActionRunner runs a typed connector action for a tenant's
// connection; connectors.Service satisfies it.
type ConnectorActionRunner interface {
	RunAction(ctx context.Context, tenantID, connectionID, action string, input json.RawMessage) (any, error)
}

// WebhookEnqueuer makes sure an event is delivered to one of the tenant's
// webhook endpoints (once, however often it is asked) and returns the
// delivery's id.
type WebhookEnqueuer interface {
	EnqueueWebhookDelivery(ctx context.Context, tenantID, endpointID, eventID string) (deliveryID string, err error)
}

package hub

import (
	"context"
	"encoding/json"
	"time"
)

// Playbook step types.
const (
	PlaybookStepAction   = "action"   // a connector action with a templated input
	PlaybookStepAgent    = "agent"    // a run of one of the tenant's agents, waited for
	PlaybookStepWait     = "wait"     // a durable timer
	PlaybookStepApproval = "approval" // a person approves before the playbook goes on
)

// Playbook run and step statuses (runs also use AgentRun's cancelled).
const (
	PlaybookRunning         = "running"
	PlaybookWaitingApproval = "waiting_approval"
	PlaybookSucceeded       = "succeeded"
	PlaybookFailed          = "failed"
	PlaybookCancelled       = "cancelled"
	PlaybookStepSkipped     = "skipped"
)

// PlaybookStep is one step of a playbook. Which fields apply depends on Type.
type PlaybookStep struct {
	// ID names the step; later steps read its output as
	// event.payload.steps.<id>.output.
	ID   string `json:"id"`
	Type string `json:"type"`
	// When is an optional CEL condition over event (the run: payload.input,
	// payload.steps, payload.event); the step is skipped when it is false.
	When string `json:"when,omitempty"`
	// action
	ConnectionID string `json:"connection_id,omitempty"`
	Action       string `json:"action,omitempty"`
	// Input is the action's input, or the agent's task (a string); both may
	// template the run as {{ event.payload.steps.report.output.rows }}.
	Input json.RawMessage `json:"input,omitempty"`
	// agent
	AgentID string `json:"agent_id,omitempty"`
	// wait
	Seconds int `json:"seconds,omitempty"`
	// approval
	Message string `json:"message,omitempty"`
}

// PlaybookSchedule starts a playbook on a cron schedule in a time zone.
type PlaybookSchedule struct {
	Cron     string          `json:"cron"`
	Timezone string          `json:"timezone,omitempty"`
	Input    json.RawMessage `json:"input,omitempty"`
}

// Playbook is a tenant's multi-step workflow, run by one generic
// interpreter workflow.
type Playbook struct {
	ID          string            `json:"id"`
	TenantID    string            `json:"tenant_id"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Steps       []PlaybookStep    `json:"steps"`
	Schedule    *PlaybookSchedule `json:"schedule,omitempty"`
	Enabled     bool              `json:"enabled"`
	// Template names the template the playbook was made from, if any.
	Template  string    `json:"template,omitempty"`
	Version   int       `json:"version"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// PlaybookStepRun records one step of a run.
type PlaybookStepRun struct {
	Index      int             `json:"index"`
	StepID     string          `json:"step_id"`
	Type       string          `json:"type"`
	Status     string          `json:"status"`
	Input      json.RawMessage `json:"input,omitempty"`
	Output     json.RawMessage `json:"output,omitempty"`
	Error      string          `json:"error,omitempty"`
	AgentRunID string          `json:"agent_run_id,omitempty"`
	DecidedBy  string          `json:"decided_by,omitempty"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
}

// PlaybookRun is one run of a playbook.
type PlaybookRun struct {
	ID         string          `json:"id"`
	TenantID   string          `json:"tenant_id"`
	PlaybookID string          `json:"playbook_id"`
	WorkflowID string          `json:"workflow_id"`
	Status     string          `json:"status"`
	Input      json.RawMessage `json:"input"`
	Error      string          `json:"error,omitempty"`
	// Steps is the snapshot of the playbook's steps the run executes.
	Steps []PlaybookStep `json:"steps"`
	// Trigger says what started it: "api", "schedule", "rule:<run>".
	Trigger    string             `json:"trigger"`
	CreatedBy  string             `json:"created_by"`
	StartedAt  time.Time          `json:"started_at"`
	FinishedAt *time.Time         `json:"finished_at,omitempty"`
	StepRuns   []*PlaybookStepRun `json:"step_runs"`
}

// PlaybookStore persists playbooks and their runs. Every method takes the tenant.
type PlaybookStore interface {
	CreatePlaybook(ctx context.Context, p *Playbook) error
	Playbook(ctx context.Context, tenantID, id string) (*Playbook, error)
	ListPlaybooks(ctx context.Context, tenantID string, page Page) ([]*Playbook, string, error)
	UpdatePlaybook(ctx context.Context, p *Playbook) error
	DeletePlaybook(ctx context.Context, tenantID, id string) error

	// EnsurePlaybookRun creates the run of r.WorkflowID unless it exists,
	// and returns the stored run either way.
	EnsurePlaybookRun(ctx context.Context, r *PlaybookRun) (*PlaybookRun, error)
	PlaybookRun(ctx context.Context, tenantID, id string) (*PlaybookRun, error)
	ListPlaybookRuns(ctx context.Context, tenantID, playbookID string, page Page) ([]*PlaybookRun, string, error)
	RecordPlaybookStep(ctx context.Context, tenantID, runID string, s *PlaybookStepRun) error
	FinishPlaybookRun(ctx context.Context, tenantID, runID, status, errMsg string) error
	SetPlaybookRunStatus(ctx context.Context, tenantID, runID, status string) error
}

// PlaybookRunRequest asks for a run of a playbook.
type PlaybookRunRequest struct {
	TenantID   string
	PlaybookID string
	// Input is what steps see as event.payload.input.
	Input     json.RawMessage
	Trigger   string
	CreatedBy string
	// RunID, when set, makes the start idempotent.
	RunID string
}

// PlaybookStarter starts playbook runs; rules use it.
type PlaybookStarter interface {
	StartPlaybook(ctx context.Context, req PlaybookRunRequest) (*PlaybookRun, error)
}

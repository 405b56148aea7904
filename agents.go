package hub

import (
	"context"
	"encoding/json"
	"time"
)

// PrincipalAgent is the kind of principal an AI agent acts as: casbin
// grants it exactly what its tools need, inside its tenant.
const PrincipalAgent PrincipalKind = "agent"

// Tool approval policies.
const (
	ApprovalRequired = "required" // a person approves each call before it runs
	ApprovalAuto     = "auto"     // the call runs at once
)

// Agent run statuses.
const (
	AgentRunRunning         = "running"
	AgentRunWaitingApproval = "waiting_approval"
	AgentRunSucceeded       = "succeeded"
	AgentRunFailed          = "failed"
	AgentRunCancelled       = "cancelled"
)

// Tool call statuses.
const (
	ToolCallPending         = "pending"
	ToolCallWaitingApproval = "waiting_approval"
	ToolCallRejected        = "rejected"
	ToolCallSucceeded       = "succeeded"
	ToolCallFailed          = "failed"
	ToolCallSkipped         = "skipped" // a repeat the loop guard did not run
)

// EventAgentRunCompleted is the hub event appended when an agent run ends
// (payload: agent_id, run_id, status, error).
const EventAgentRunCompleted = "agent.run.completed"

// SearchKnowledgeTool is the name of the tool that searches an agent's
// knowledge bases.
const SearchKnowledgeTool = "search_knowledge"

// AgentLLM is an agent's model. The API key, when the agent has its own,
// is sealed and never returned; HasAPIKey says whether one is set.
type AgentLLM struct {
	Provider  string `json:"provider"`
	Model     string `json:"model"`
	BaseURL   string `json:"base_url,omitempty"`
	HasAPIKey bool   `json:"has_api_key"`
	// InputPricePerMTok and OutputPricePerMTok (USD per million tokens)
	// turn token counts into the runs' cost; zero means not priced.
	InputPricePerMTok  float64 `json:"input_price_per_mtok,omitempty"`
	OutputPricePerMTok float64 `json:"output_price_per_mtok,omitempty"`
}

// AgentTool is one connector action an agent may call, bound to one of its
// tenant's connections.
type AgentTool struct {
	Action       string `json:"action"`
	ConnectionID string `json:"connection_id"`
	// Approval is ApprovalRequired or ApprovalAuto; writes default to required.
	Approval string `json:"approval"`
	// Name is the tool's name as the model sees it (derived from Action).
	Name string `json:"name"`
	// Write says whether the action changes data at the platform.
	Write bool `json:"write"`
	// Description and Parameters (a JSON Schema) are what the model is
	// told of the tool, taken from the action when the agent is saved.
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

// Agent is a tenant's configured AI agent.
type Agent struct {
	ID               string      `json:"id"`
	TenantID         string      `json:"tenant_id"`
	Name             string      `json:"name"`
	Role             string      `json:"role"`
	Goal             string      `json:"goal"`
	Backstory        string      `json:"backstory"`
	Instructions     string      `json:"instructions"`
	LLM              AgentLLM    `json:"llm"`
	Temperature      float64     `json:"temperature"`
	MaxSteps         int         `json:"max_steps"`
	TokenBudget      int         `json:"token_budget"`
	Tools            []AgentTool `json:"tools"`
	KnowledgeBaseIDs []string    `json:"knowledge_base_ids"`
	Version          int         `json:"version"`
	CreatedBy        string      `json:"created_by"`
	CreatedAt        time.Time   `json:"created_at"`
	UpdatedAt        time.Time   `json:"updated_at"`
}

// Principal returns the principal the agent acts as.
func (a *Agent) Principal() Principal {
	return Principal{Kind: PrincipalAgent, ID: a.ID, TenantID: a.TenantID}
}

// Tool returns the agent's tool of that model-facing name.
func (a *Agent) Tool(name string) (AgentTool, bool) {
	for _, t := range a.Tools {
		if t.Name == name {
			return t, true
		}
	}
	return AgentTool{}, false
}

// LLMProviderSettings are a tenant's settings for one LLM provider: the
// base URL and API key its agents use unless they name their own.
type LLMProviderSettings struct {
	TenantID  string    `json:"tenant_id"`
	Provider  string    `json:"provider"`
	BaseURL   string    `json:"base_url,omitempty"`
	APIKey    Secret    `json:"-"`
	HasAPIKey bool      `json:"has_api_key"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Citation is a knowledge chunk an answer used.
type Citation struct {
	ChunkID      string `json:"chunk_id"`
	DocumentID   string `json:"document_id"`
	DocumentName string `json:"document_name"`
	Text         string `json:"text"`
}

// AgentRun is one run of an agent.
type AgentRun struct {
	ID         string `json:"id"`
	TenantID   string `json:"tenant_id"`
	AgentID    string `json:"agent_id"`
	WorkflowID string `json:"workflow_id"`
	Status     string `json:"status"`
	Input      string `json:"input"`
	Output     string `json:"output,omitempty"`
	Error      string `json:"error,omitempty"`
	// Agent is the snapshot of the agent's configuration the run uses.
	Agent            Agent      `json:"agent"`
	Steps            int        `json:"steps"`
	PromptTokens     int        `json:"prompt_tokens"`
	CompletionTokens int        `json:"completion_tokens"`
	CostUSD          float64    `json:"cost_usd"`
	Citations        []Citation `json:"citations"`
	// PendingCalls are tool calls waiting for a person's approval.
	PendingCalls []*ToolCallRecord `json:"pending_calls,omitempty"`
	// Trigger says what started the run ("api", "rule:<run id>", "playbook:<run id>").
	Trigger    string     `json:"trigger"`
	CreatedBy  string     `json:"created_by"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// ToolCallRecord is one tool call of a run, as stored.
type ToolCallRecord struct {
	RunID        string          `json:"run_id"`
	CallID       string          `json:"call_id"`
	Tool         string          `json:"tool"`
	Action       string          `json:"action,omitempty"`
	ConnectionID string          `json:"connection_id,omitempty"`
	Input        json.RawMessage `json:"input"`
	Status       string          `json:"status"`
	Output       json.RawMessage `json:"output,omitempty"`
	Error        string          `json:"error,omitempty"`
	NeedsApprove bool            `json:"needs_approval"`
	DecidedBy    string          `json:"decided_by,omitempty"`
	Comment      string          `json:"comment,omitempty"`
	LatencyMS    int64           `json:"latency_ms"`
	CreatedAt    time.Time       `json:"created_at"`
}

// Run transcript event types.
const (
	RunEventStatus           = "status"            // {status, error}
	RunEventMessage          = "message"           // a ChatMessage
	RunEventLLM              = "llm"               // {prompt_tokens, completion_tokens, latency_ms, cost_usd}
	RunEventToolCall         = "tool_call"         // a ToolCallRecord as requested
	RunEventApprovalRequired = "approval_required" // {call_id, tool, input}
	RunEventApproval         = "approval"          // {call_id, approved, by, comment}
	RunEventToolResult       = "tool_result"       // {call_id, status, output, error, latency_ms}
	RunEventToken            = "token"             // {text}: streamed answer text, not stored
)

// RunEvent is one entry of a run's transcript. Seq orders a run's events.
type RunEvent struct {
	RunID string          `json:"run_id"`
	Seq   int64           `json:"seq"`
	Type  string          `json:"type"`
	Data  json.RawMessage `json:"data"`
	At    time.Time       `json:"at"`
}

// RunUsage adds to a run's counters.
type RunUsage struct {
	Steps            int
	PromptTokens     int
	CompletionTokens int
	CostUSD          float64
}

// AgentStore persists agents, the tenant's LLM provider settings, runs,
// their transcripts and tool calls. Every method takes the tenant.
type AgentStore interface {
	CreateAgent(ctx context.Context, a *Agent, apiKey Secret) error
	Agent(ctx context.Context, tenantID, id string) (*Agent, error)
	ListAgents(ctx context.Context, tenantID string, page Page) ([]*Agent, string, error)
	// UpdateAgent saves a; apiKey nil keeps the stored key, "" removes it.
	UpdateAgent(ctx context.Context, a *Agent, apiKey *Secret) error
	DeleteAgent(ctx context.Context, tenantID, id string) error
	// AgentAPIKey returns the agent's own sealed key, opened ("" when none).
	AgentAPIKey(ctx context.Context, tenantID, id string) (Secret, error)

	PutLLMProvider(ctx context.Context, s *LLMProviderSettings) error
	LLMProvider(ctx context.Context, tenantID, provider string) (*LLMProviderSettings, error)
	ListLLMProviders(ctx context.Context, tenantID string) ([]*LLMProviderSettings, error)
	DeleteLLMProvider(ctx context.Context, tenantID, provider string) error

	CreateAgentRun(ctx context.Context, r *AgentRun) error
	AgentRun(ctx context.Context, tenantID, id string) (*AgentRun, error)
	ListAgentRuns(ctx context.Context, tenantID, agentID string, page Page) ([]*AgentRun, string, error)
	SetAgentRunStatus(ctx context.Context, tenantID, id, status, errMsg string) error
	FinishAgentRun(ctx context.Context, tenantID, id, status, output, errMsg string, citations []Citation) error
	AddRunUsage(ctx context.Context, tenantID, id string, u RunUsage) error

	// AppendRunEvent stores an event, filling Seq and At.
	AppendRunEvent(ctx context.Context, tenantID string, e *RunEvent) error
	// RunEvents returns a run's events with Seq > after, in order.
	RunEvents(ctx context.Context, tenantID, runID string, after int64, limit int) ([]*RunEvent, error)

	// PutToolCall stores a call the first time it is seen and returns the
	// stored record (an earlier one when the call id exists).
	PutToolCall(ctx context.Context, tenantID string, c *ToolCallRecord) (*ToolCallRecord, error)
	ToolCall(ctx context.Context, tenantID, runID, callID string) (*ToolCallRecord, error)
	UpdateToolCall(ctx context.Context, tenantID string, c *ToolCallRecord) error
	// ToolCalls returns a run's tool calls in the order they were made.
	ToolCalls(ctx context.Context, tenantID, runID string) ([]*ToolCallRecord, error)
	// RecordRunChanges applies ch in one transaction and returns the events
	// it appended, in order.
	RecordRunChanges(ctx context.Context, tenantID string, ch RunChanges) ([]*RunEvent, error)
}

// RunChanges are writes to a run made together, in one transaction: the
// usage to add, tool calls to store (new ones only: a call id seen before
// is left as it is) or update, and transcript events to append (Seq and At
// are filled). Events listed in NewCallEvents are appended only when the
// call of that index in PutCalls was new.
type RunChanges struct {
	RunID         string
	Usage         *RunUsage
	PutCalls      []*ToolCallRecord
	NewCallEvents map[int][]*RunEvent
	UpdateCall    *ToolCallRecord
	Events        []*RunEvent
}

// RunEventPublisher tells live listeners (SSE streams on any replica) of a
// run's new events; tokens are published without being stored.
type RunEventPublisher interface {
	PublishRunEvent(ctx context.Context, e *RunEvent) error
}

// AgentRunRequest asks for a new run of an agent.
type AgentRunRequest struct {
	TenantID string
	AgentID  string
	Input    string
	// Trigger says what starts the run ("api", "rule:<run>", "playbook:<run>").
	Trigger   string
	CreatedBy string
	// RunID, when set, makes the start idempotent: a run with this id that
	// exists already is returned instead of starting another.
	RunID string
	// RecordOnly creates the run without starting its workflow: the caller
	// (a playbook) runs workflows.RunAgent itself as a child workflow.
	RecordOnly bool
}

// AgentRunStarter starts agent runs; rules and playbooks use it.
type AgentRunStarter interface {
	StartAgentRun(ctx context.Context, req AgentRunRequest) (*AgentRun, error)
}

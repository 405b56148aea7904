package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	hub "github.com/bizoshub/bizos"
)

// AgentStore implements hub.AgentStore.
type AgentStore struct {
	db     *DB
	cipher hub.Cipher
}

// NewAgentStore returns an AgentStore on db that seals LLM keys with cipher.
func NewAgentStore(db *DB, cipher hub.Cipher) *AgentStore { return &AgentStore{db: db, cipher: cipher} }

var _ hub.AgentStore = (*AgentStore)(nil)

// agentConfig is what the config column holds: the agent minus its row fields.
type agentConfig struct {
	Role             string          `json:"role"`
	Goal             string          `json:"goal"`
	Backstory        string          `json:"backstory"`
	Instructions     string          `json:"instructions"`
	LLM              hub.AgentLLM    `json:"llm"`
	Temperature      float64         `json:"temperature"`
	MaxSteps         int             `json:"max_steps"`
	TokenBudget      int             `json:"token_budget"`
	Tools            []hub.AgentTool `json:"tools"`
	KnowledgeBaseIDs []string        `json:"knowledge_base_ids"`
}

func configOf(a *hub.Agent) ([]byte, error) {
	return json.Marshal(agentConfig{Role: a.Role, Goal: a.Goal, Backstory: a.Backstory, Instructions: a.Instructions,
		LLM: a.LLM, Temperature: a.Temperature, MaxSteps: a.MaxSteps, TokenBudget: a.TokenBudget, Tools: a.Tools,
		KnowledgeBaseIDs: a.KnowledgeBaseIDs})
}

const agentColumns = `id, tenant_id, name, config, api_key_sealed IS NOT NULL, version, created_by, created_at, updated_at`

func scanAgent(r pgx.CollectableRow) (*hub.Agent, error) {
	var (
		a   hub.Agent
		raw []byte
		has bool
	)
	if err := r.Scan(&a.ID, &a.TenantID, &a.Name, &raw, &has, &a.Version, &a.CreatedBy, &a.CreatedAt, &a.UpdatedAt); err != nil {
		return nil, err
	}
	var c agentConfig
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("decode agent %s: %w", a.ID, err)
	}
	a.Role, a.Goal, a.Backstory, a.Instructions = c.Role, c.Goal, c.Backstory, c.Instructions
	a.LLM, a.Temperature, a.MaxSteps, a.TokenBudget = c.LLM, c.Temperature, c.MaxSteps, c.TokenBudget
	a.Tools, a.KnowledgeBaseIDs = c.Tools, c.KnowledgeBaseIDs
	a.LLM.HasAPIKey = has
	if a.Tools == nil {
		a.Tools = []hub.AgentTool{}
	}
	if a.KnowledgeBaseIDs == nil {
		a.KnowledgeBaseIDs = []string{}
	}
	return &a, nil
}

func agentKeyAAD(tenantID, agentID string) []byte {
	return []byte("agents:" + tenantID + ":" + agentID)
}

func llmKeyAAD(tenantID, provider string) []byte {
	return []byte("llm_providers:" + tenantID + ":" + provider)
}

func (s *AgentStore) seal(key hub.Secret, aad []byte) ([]byte, error) {
	if key == "" {
		return nil, nil
	}
	return s.cipher.Encrypt([]byte(key), aad)
}

// CreateAgent implements hub.AgentStore.
func (s *AgentStore) CreateAgent(ctx context.Context, a *hub.Agent, apiKey hub.Secret) error {
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("postgres: agent id: %w", err)
	}
	a.ID = id.String()
	cfg, err := configOf(a)
	if err != nil {
		return fmt.Errorf("postgres: create agent: %w", err)
	}
	sealed, err := s.seal(apiKey, agentKeyAAD(a.TenantID, a.ID))
	if err != nil {
		return fmt.Errorf("postgres: seal agent key: %w", err)
	}
	err = s.db.InTenant(ctx, a.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO agents (id, tenant_id, name, config, api_key_sealed, created_by)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING version, created_at, updated_at`,
			a.ID, a.TenantID, a.Name, cfg, sealed, a.CreatedBy).Scan(&a.Version, &a.CreatedAt, &a.UpdatedAt)
	})
	if err != nil {
		return fmt.Errorf("postgres: create agent: %w", notFound(err, "Tenant"))
	}
	a.LLM.HasAPIKey = apiKey != ""
	return nil
}

// Agent implements hub.AgentStore.
func (s *AgentStore) Agent(ctx context.Context, tenantID, id string) (*hub.Agent, error) {
	var a *hub.Agent
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+agentColumns+` FROM agents WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err != nil {
			return err
		}
		a, err = pgx.CollectExactlyOneRow(rows, scanAgent)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: agent: %w", notFound(err, "Agent"))
	}
	return a, nil
}

// ListAgents implements hub.AgentStore.
func (s *AgentStore) ListAgents(ctx context.Context, tenantID string, page hub.Page) ([]*hub.Agent, string, error) {
	return listPage(ctx, s.db, tenantID, page, "list agents", `SELECT `+agentColumns+` FROM agents
		WHERE tenant_id = $1 AND (created_at, id) < ($2, $3::uuid) ORDER BY created_at DESC, id DESC LIMIT $4`,
		scanAgent, func(a *hub.Agent) (time.Time, string) { return a.CreatedAt, a.ID })
}

// UpdateAgent implements hub.AgentStore.
func (s *AgentStore) UpdateAgent(ctx context.Context, a *hub.Agent, apiKey *hub.Secret) error {
	cfg, err := configOf(a)
	if err != nil {
		return fmt.Errorf("postgres: update agent: %w", err)
	}
	keep := apiKey == nil
	var sealed []byte
	if !keep {
		if sealed, err = s.seal(*apiKey, agentKeyAAD(a.TenantID, a.ID)); err != nil {
			return fmt.Errorf("postgres: seal agent key: %w", err)
		}
	}
	err = s.db.InTenant(ctx, a.TenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE agents SET name = $3, config = $4,
				api_key_sealed = CASE WHEN $5 THEN api_key_sealed ELSE $6 END, version = version + 1, updated_at = now()
			WHERE tenant_id = $1 AND id = $2 RETURNING `+agentColumns, a.TenantID, a.ID, a.Name, cfg, keep, sealed)
		if err != nil {
			return err
		}
		got, err := pgx.CollectExactlyOneRow(rows, scanAgent)
		if err == nil {
			*a = *got
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: update agent: %w", notFound(err, "Agent"))
	}
	return nil
}

// DeleteAgent implements hub.AgentStore.
func (s *AgentStore) DeleteAgent(ctx context.Context, tenantID, id string) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM agents WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err == nil && tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: delete agent: %w", notFound(err, "Agent"))
	}
	return nil
}

// AgentAPIKey implements hub.AgentStore.
func (s *AgentStore) AgentAPIKey(ctx context.Context, tenantID, id string) (hub.Secret, error) {
	var sealed []byte
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT api_key_sealed FROM agents WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&sealed)
	})
	if err != nil {
		return "", fmt.Errorf("postgres: agent key: %w", notFound(err, "Agent"))
	}
	if sealed == nil {
		return "", nil
	}
	plain, err := s.cipher.Decrypt(sealed, agentKeyAAD(tenantID, id))
	if err != nil {
		return "", fmt.Errorf("postgres: open agent key: %w", err)
	}
	return hub.Secret(plain), nil
}

// PutLLMProvider implements hub.AgentStore.
func (s *AgentStore) PutLLMProvider(ctx context.Context, p *hub.LLMProviderSettings) error {
	sealed, err := s.seal(p.APIKey, llmKeyAAD(p.TenantID, p.Provider))
	if err != nil {
		return fmt.Errorf("postgres: seal llm key: %w", err)
	}
	err = s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO llm_providers (tenant_id, provider, base_url, api_key_sealed) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant_id, provider) DO UPDATE SET base_url = EXCLUDED.base_url,
				api_key_sealed = EXCLUDED.api_key_sealed, updated_at = now()
			RETURNING updated_at`, p.TenantID, p.Provider, p.BaseURL, sealed).Scan(&p.UpdatedAt)
	})
	if err != nil {
		return fmt.Errorf("postgres: put llm provider: %w", notFound(err, "Tenant"))
	}
	p.HasAPIKey = p.APIKey != ""
	return nil
}

// LLMProvider implements hub.AgentStore; the key comes back opened.
func (s *AgentStore) LLMProvider(ctx context.Context, tenantID, provider string) (*hub.LLMProviderSettings, error) {
	p := hub.LLMProviderSettings{TenantID: tenantID, Provider: provider}
	var sealed []byte
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT base_url, api_key_sealed, updated_at FROM llm_providers WHERE tenant_id = $1 AND provider = $2`,
			tenantID, provider).Scan(&p.BaseURL, &sealed, &p.UpdatedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: llm provider: %w", notFound(err, "LLM provider"))
	}
	if sealed != nil {
		plain, err := s.cipher.Decrypt(sealed, llmKeyAAD(tenantID, provider))
		if err != nil {
			return nil, fmt.Errorf("postgres: open llm key: %w", err)
		}
		p.APIKey, p.HasAPIKey = hub.Secret(plain), true
	}
	return &p, nil
}

// ListLLMProviders implements hub.AgentStore; keys are not opened.
func (s *AgentStore) ListLLMProviders(ctx context.Context, tenantID string) ([]*hub.LLMProviderSettings, error) {
	var out []*hub.LLMProviderSettings
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT tenant_id, provider, base_url, api_key_sealed IS NOT NULL, updated_at
			FROM llm_providers WHERE tenant_id = $1 ORDER BY provider`, tenantID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*hub.LLMProviderSettings, error) {
			var p hub.LLMProviderSettings
			return &p, r.Scan(&p.TenantID, &p.Provider, &p.BaseURL, &p.HasAPIKey, &p.UpdatedAt)
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list llm providers: %w", err)
	}
	return out, nil
}

// DeleteLLMProvider implements hub.AgentStore.
func (s *AgentStore) DeleteLLMProvider(ctx context.Context, tenantID, provider string) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM llm_providers WHERE tenant_id = $1 AND provider = $2`, tenantID, provider)
		if err == nil && tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: delete llm provider: %w", notFound(err, "LLM provider"))
	}
	return nil
}

const agentRunColumns = `id, tenant_id, agent_id, workflow_id, status, input, output, error, agent, steps, prompt_tokens,
	completion_tokens, cost_usd, citations, trigger, created_by, started_at, finished_at`

func scanAgentRun(r pgx.CollectableRow) (*hub.AgentRun, error) {
	var (
		x                hub.AgentRun
		agent, citations []byte
	)
	if err := r.Scan(&x.ID, &x.TenantID, &x.AgentID, &x.WorkflowID, &x.Status, &x.Input, &x.Output, &x.Error, &agent,
		&x.Steps, &x.PromptTokens, &x.CompletionTokens, &x.CostUSD, &citations, &x.Trigger, &x.CreatedBy, &x.StartedAt,
		&x.FinishedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(agent, &x.Agent); err != nil {
		return nil, fmt.Errorf("decode agent of run %s: %w", x.ID, err)
	}
	if err := json.Unmarshal(citations, &x.Citations); err != nil {
		return nil, fmt.Errorf("decode citations of run %s: %w", x.ID, err)
	}
	if x.Citations == nil {
		x.Citations = []hub.Citation{}
	}
	return &x, nil
}

// CreateAgentRun implements hub.AgentStore; r.ID may be preset (callers
// derive workflow ids from it).
func (s *AgentStore) CreateAgentRun(ctx context.Context, r *hub.AgentRun) error {
	if r.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return fmt.Errorf("postgres: run id: %w", err)
		}
		r.ID = id.String()
	}
	agent, err := json.Marshal(r.Agent)
	if err != nil {
		return fmt.Errorf("postgres: create agent run: %w", err)
	}
	if r.Status == "" {
		r.Status = hub.AgentRunRunning
	}
	if r.Trigger == "" {
		r.Trigger = "api"
	}
	err = s.db.InTenant(ctx, r.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO agent_runs (id, tenant_id, agent_id, workflow_id, status, input, agent, trigger, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING started_at`,
			r.ID, r.TenantID, r.AgentID, r.WorkflowID, r.Status, r.Input, agent, r.Trigger, r.CreatedBy).Scan(&r.StartedAt)
	})
	if isUniqueViolation(err) {
		return hub.Errorf(hub.ECONFLICT, "This run exists already.")
	}
	if err != nil {
		return fmt.Errorf("postgres: create agent run: %w", notFound(err, "Agent"))
	}
	r.Citations = []hub.Citation{}
	return nil
}

// AgentRun implements hub.AgentStore, with the calls waiting for approval.
func (s *AgentStore) AgentRun(ctx context.Context, tenantID, id string) (*hub.AgentRun, error) {
	var r *hub.AgentRun
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+agentRunColumns+` FROM agent_runs WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err != nil {
			return err
		}
		if r, err = pgx.CollectExactlyOneRow(rows, scanAgentRun); err != nil {
			return err
		}
		if r.FinishedAt != nil {
			return nil // an ended run waits for nothing
		}
		rows, err = tx.Query(ctx, `SELECT `+toolCallColumns+` FROM agent_tool_calls
			WHERE tenant_id = $1 AND run_id = $2 AND status = 'waiting_approval' ORDER BY position`, tenantID, id)
		if err != nil {
			return err
		}
		r.PendingCalls, err = pgx.CollectRows(rows, scanToolCall)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: agent run: %w", notFound(err, "Run"))
	}
	return r, nil
}

// ListAgentRuns implements hub.AgentStore.
func (s *AgentStore) ListAgentRuns(ctx context.Context, tenantID, agentID string, page hub.Page) ([]*hub.AgentRun, string, error) {
	return listPage(ctx, s.db, tenantID, page, "list agent runs", `SELECT `+agentRunColumns+` FROM agent_runs
		WHERE tenant_id = $1 AND (started_at, id) < ($2, $3::uuid) AND agent_id = $4 ORDER BY started_at DESC, id DESC LIMIT $5`,
		scanAgentRun, func(r *hub.AgentRun) (time.Time, string) { return r.StartedAt, r.ID }, agentID)
}

// SetAgentRunStatus implements hub.AgentStore; a finished run keeps its status.
func (s *AgentStore) SetAgentRunStatus(ctx context.Context, tenantID, id, status, errMsg string) error {
	return s.execRun(ctx, tenantID, id, "set agent run status", `UPDATE agent_runs SET status = $3, error = $4
		WHERE tenant_id = $1 AND id = $2 AND finished_at IS NULL`, status, errMsg)
}

// FinishAgentRun implements hub.AgentStore.
func (s *AgentStore) FinishAgentRun(ctx context.Context, tenantID, id, status, output, errMsg string, citations []hub.Citation) error {
	if citations == nil {
		citations = []hub.Citation{}
	}
	raw, err := json.Marshal(citations)
	if err != nil {
		return fmt.Errorf("postgres: finish agent run: %w", err)
	}
	return s.execRun(ctx, tenantID, id, "finish agent run", `UPDATE agent_runs SET status = $3, output = $4, error = $5,
		citations = $6, finished_at = COALESCE(finished_at, now()) WHERE tenant_id = $1 AND id = $2`, status, output, errMsg, raw)
}

// AddRunUsage implements hub.AgentStore.
func (s *AgentStore) AddRunUsage(ctx context.Context, tenantID, id string, u hub.RunUsage) error {
	return s.execRun(ctx, tenantID, id, "add run usage", `UPDATE agent_runs SET steps = steps + $3, prompt_tokens = prompt_tokens + $4,
		completion_tokens = completion_tokens + $5, cost_usd = cost_usd + $6 WHERE tenant_id = $1 AND id = $2`,
		u.Steps, u.PromptTokens, u.CompletionTokens, u.CostUSD)
}

func (s *AgentStore) execRun(ctx context.Context, tenantID, id, what, sql string, args ...any) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, sql, append([]any{tenantID, id}, args...)...)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	return nil
}

// AppendRunEvent implements hub.AgentStore. Seq is the next number of the
// run (the run row is locked, so concurrent appends queue).
func (s *AgentStore) AppendRunEvent(ctx context.Context, tenantID string, e *hub.RunEvent) error {
	if len(e.Data) == 0 {
		e.Data = json.RawMessage(`{}`)
	}
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM agent_runs WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, e.RunID).Scan(&one); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO agent_run_events (tenant_id, run_id, seq, type, data)
			SELECT $1, $2, COALESCE(max(seq), 0) + 1, $3, $4 FROM agent_run_events WHERE run_id = $2
			RETURNING seq, at`, tenantID, e.RunID, e.Type, []byte(e.Data)).Scan(&e.Seq, &e.At)
	})
	if err != nil {
		return fmt.Errorf("postgres: append run event: %w", notFound(err, "Run"))
	}
	return nil
}

// RunEvents implements hub.AgentStore.
func (s *AgentStore) RunEvents(ctx context.Context, tenantID, runID string, after int64, limit int) ([]*hub.RunEvent, error) {
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	var out []*hub.RunEvent
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT run_id, seq, type, data, at FROM agent_run_events
			WHERE tenant_id = $1 AND run_id = $2 AND seq > $3 ORDER BY seq LIMIT $4`, tenantID, runID, after, limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*hub.RunEvent, error) {
			var e hub.RunEvent
			var data []byte
			err := r.Scan(&e.RunID, &e.Seq, &e.Type, &data, &e.At)
			e.Data = data
			return &e, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: run events: %w", err)
	}
	return out, nil
}

const toolCallColumns = `run_id, call_id, tool, action, connection_id, input, status, output, error, needs_approval,
	decided_by, comment, latency_ms, created_at`

func scanToolCall(r pgx.CollectableRow) (*hub.ToolCallRecord, error) {
	var (
		c             hub.ToolCallRecord
		input, output []byte
	)
	if err := r.Scan(&c.RunID, &c.CallID, &c.Tool, &c.Action, &c.ConnectionID, &input, &c.Status, &output, &c.Error,
		&c.NeedsApprove, &c.DecidedBy, &c.Comment, &c.LatencyMS, &c.CreatedAt); err != nil {
		return nil, err
	}
	c.Input, c.Output = input, output
	return &c, nil
}

func jsonOrNull(b json.RawMessage) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// PutToolCall implements hub.AgentStore.
func (s *AgentStore) PutToolCall(ctx context.Context, tenantID string, c *hub.ToolCallRecord) (*hub.ToolCallRecord, error) {
	if len(c.Input) == 0 {
		c.Input = json.RawMessage(`{}`)
	}
	var got *hub.ToolCallRecord
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO agent_tool_calls (tenant_id, run_id, call_id, tool, action, connection_id, input,
				status, output, error, needs_approval)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (run_id, call_id) DO NOTHING`,
			tenantID, c.RunID, c.CallID, c.Tool, c.Action, c.ConnectionID, []byte(c.Input), c.Status, jsonOrNull(c.Output),
			c.Error, c.NeedsApprove); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+toolCallColumns+` FROM agent_tool_calls WHERE tenant_id = $1 AND run_id = $2 AND call_id = $3`,
			tenantID, c.RunID, c.CallID)
		if err != nil {
			return err
		}
		got, err = pgx.CollectExactlyOneRow(rows, scanToolCall)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: put tool call: %w", notFound(err, "Run"))
	}
	return got, nil
}

// ToolCall implements hub.AgentStore.
func (s *AgentStore) ToolCall(ctx context.Context, tenantID, runID, callID string) (*hub.ToolCallRecord, error) {
	var got *hub.ToolCallRecord
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+toolCallColumns+` FROM agent_tool_calls WHERE tenant_id = $1 AND run_id = $2 AND call_id = $3`,
			tenantID, runID, callID)
		if err != nil {
			return err
		}
		got, err = pgx.CollectExactlyOneRow(rows, scanToolCall)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: tool call: %w", notFound(err, "Tool call"))
	}
	return got, nil
}

// UpdateToolCall implements hub.AgentStore: status, output, error,
// decision and latency.
func (s *AgentStore) UpdateToolCall(ctx context.Context, tenantID string, c *hub.ToolCallRecord) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE agent_tool_calls SET status = $4, output = $5, error = $6, decided_by = $7, comment = $8,
			latency_ms = $9 WHERE tenant_id = $1 AND run_id = $2 AND call_id = $3`,
			tenantID, c.RunID, c.CallID, c.Status, jsonOrNull(c.Output), c.Error, c.DecidedBy, c.Comment, c.LatencyMS)
		if err == nil && tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: update tool call: %w", notFound(err, "Tool call"))
	}
	return nil
}

// ToolCalls implements hub.AgentStore.
func (s *AgentStore) ToolCalls(ctx context.Context, tenantID, runID string) ([]*hub.ToolCallRecord, error) {
	var out []*hub.ToolCallRecord
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+toolCallColumns+` FROM agent_tool_calls WHERE tenant_id = $1 AND run_id = $2 ORDER BY position`,
			tenantID, runID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanToolCall)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: tool calls: %w", err)
	}
	return out, nil
}

// RecordRunChanges implements hub.AgentStore: one transaction, one commit.
func (s *AgentStore) RecordRunChanges(ctx context.Context, tenantID string, ch hub.RunChanges) ([]*hub.RunEvent, error) {
	var appended []*hub.RunEvent
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		appended = appended[:0]
		var next int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE((SELECT max(seq) FROM agent_run_events WHERE run_id = r.id), 0) + 1
			FROM agent_runs r WHERE r.tenant_id = $1 AND r.id = $2 FOR UPDATE`, tenantID, ch.RunID).Scan(&next); err != nil {
			return err
		}
		if u := ch.Usage; u != nil {
			if _, err := tx.Exec(ctx, `UPDATE agent_runs SET steps = steps + $3, prompt_tokens = prompt_tokens + $4,
				completion_tokens = completion_tokens + $5, cost_usd = cost_usd + $6 WHERE tenant_id = $1 AND id = $2`,
				tenantID, ch.RunID, u.Steps, u.PromptTokens, u.CompletionTokens, u.CostUSD); err != nil {
				return err
			}
		}
		events := ch.Events
		for i, c := range ch.PutCalls {
			if len(c.Input) == 0 {
				c.Input = json.RawMessage(`{}`)
			}
			tag, err := tx.Exec(ctx, `INSERT INTO agent_tool_calls (tenant_id, run_id, call_id, tool, action, connection_id, input,
					status, output, error, needs_approval)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (run_id, call_id) DO NOTHING`,
				tenantID, ch.RunID, c.CallID, c.Tool, c.Action, c.ConnectionID, []byte(c.Input), c.Status, jsonOrNull(c.Output),
				c.Error, c.NeedsApprove)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				events = append(events, ch.NewCallEvents[i]...)
			}
		}
		if c := ch.UpdateCall; c != nil {
			if _, err := tx.Exec(ctx, `UPDATE agent_tool_calls SET status = $4, output = $5, error = $6, decided_by = $7, comment = $8,
				latency_ms = $9 WHERE tenant_id = $1 AND run_id = $2 AND call_id = $3`,
				tenantID, ch.RunID, c.CallID, c.Status, jsonOrNull(c.Output), c.Error, c.DecidedBy, c.Comment, c.LatencyMS); err != nil {
				return err
			}
		}
		for _, e := range events {
			if len(e.Data) == 0 {
				e.Data = json.RawMessage(`{}`)
			}
			e.RunID, e.Seq = ch.RunID, next
			next++
			if err := tx.QueryRow(ctx, `INSERT INTO agent_run_events (tenant_id, run_id, seq, type, data) VALUES ($1, $2, $3, $4, $5)
				RETURNING at`, tenantID, ch.RunID, e.Seq, e.Type, []byte(e.Data)).Scan(&e.At); err != nil {
				return err
			}
			appended = append(appended, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: record run changes: %w", notFound(err, "Run"))
	}
	return appended, nil
}

// ReencryptAgentKeys re-seals, under the newest master key, the LLM keys
// of agents and of tenants' provider settings; it returns how many.
func (s *AgentStore) ReencryptAgentKeys(ctx context.Context) (int, error) {
	n := 0
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		type row struct {
			a, b   string
			sealed []byte
		}
		for _, t := range []struct {
			query, update string
			aad           func(a, b string) []byte
		}{
			{`SELECT tenant_id::text, id::text, api_key_sealed FROM agents WHERE api_key_sealed IS NOT NULL FOR UPDATE`,
				`UPDATE agents SET api_key_sealed = $3 WHERE tenant_id = $1 AND id = $2`, agentKeyAAD},
			{`SELECT tenant_id::text, provider, api_key_sealed FROM llm_providers WHERE api_key_sealed IS NOT NULL FOR UPDATE`,
				`UPDATE llm_providers SET api_key_sealed = $3 WHERE tenant_id = $1 AND provider = $2`, llmKeyAAD},
		} {
			rows, err := tx.Query(ctx, t.query)
			if err != nil {
				return err
			}
			all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
				var x row
				return x, r.Scan(&x.a, &x.b, &x.sealed)
			})
			if err != nil {
				return err
			}
			for _, x := range all {
				if s.cipher.Current(x.sealed) {
					continue
				}
				plain, err := s.cipher.Decrypt(x.sealed, t.aad(x.a, x.b))
				if err != nil {
					return err
				}
				resealed, err := s.cipher.Encrypt(plain, t.aad(x.a, x.b))
				if err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, t.update, x.a, x.b, resealed); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: reencrypt agent keys: %w", err)
	}
	return n, nil
}

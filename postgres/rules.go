package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	hub "github.com/bizoshub/bizos"
)

// RuleStore implements hub.RuleStore.
type RuleStore struct{ db *DB }

// NewRuleStore returns a RuleStore on db.
func NewRuleStore(db *DB) *RuleStore { return &RuleStore{db: db} }

var _ hub.RuleStore = (*RuleStore)(nil)

const ruleColumns = `id, tenant_id, name, event_type, schedule, timezone, condition, actions, enabled, version, created_by, created_at, updated_at`

func scanRule(r pgx.CollectableRow) (*hub.Rule, error) {
	var (
		x       hub.Rule
		actions []byte
	)
	if err := r.Scan(&x.ID, &x.TenantID, &x.Name, &x.Trigger.EventType, &x.Trigger.Schedule, &x.Trigger.Timezone, &x.Condition, &actions, &x.Enabled, &x.Version,
		&x.CreatedBy, &x.CreatedAt, &x.UpdatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(actions, &x.Actions); err != nil {
		return nil, fmt.Errorf("decode actions of rule %s: %w", x.ID, err)
	}
	if x.Actions == nil {
		x.Actions = []hub.RuleAction{}
	}
	return &x, nil
}

func encodeActions(a []hub.RuleAction) ([]byte, error) {
	if a == nil {
		a = []hub.RuleAction{}
	}
	return json.Marshal(a)
}

// CreateRule implements hub.RuleStore.
func (s *RuleStore) CreateRule(ctx context.Context, r *hub.Rule) error {
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("postgres: rule id: %w", err)
	}
	actions, err := encodeActions(r.Actions)
	if err != nil {
		return fmt.Errorf("postgres: create rule: %w", err)
	}
	r.ID = id.String()
	err = s.db.InTenant(ctx, r.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO rules (id, tenant_id, name, event_type, schedule, timezone, condition, actions, enabled, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING version, created_at, updated_at`,
			r.ID, r.TenantID, r.Name, r.Trigger.EventType, r.Trigger.Schedule, r.Trigger.Timezone, r.Condition, actions, r.Enabled, r.CreatedBy).Scan(&r.Version, &r.CreatedAt, &r.UpdatedAt)
	})
	if err != nil {
		return fmt.Errorf("postgres: create rule: %w", notFound(err, "Tenant"))
	}
	return nil
}

// Rule implements hub.RuleStore.
func (s *RuleStore) Rule(ctx context.Context, tenantID, id string) (*hub.Rule, error) {
	var r *hub.Rule
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+ruleColumns+` FROM rules WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err != nil {
			return err
		}
		r, err = pgx.CollectExactlyOneRow(rows, scanRule)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: rule: %w", notFound(err, "Rule"))
	}
	return r, nil
}

// ListRules implements hub.RuleStore.
func (s *RuleStore) ListRules(ctx context.Context, tenantID string, page hub.Page) ([]*hub.Rule, string, error) {
	page = page.Normalize()
	cur, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	at, id := pageArgs(cur)
	var out []*hub.Rule
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+ruleColumns+` FROM rules
			WHERE tenant_id = $1 AND (created_at, id) < ($2, $3::uuid) ORDER BY created_at DESC, id DESC LIMIT $4`,
			tenantID, at, id, page.Limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanRule)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list rules: %w", notFound(err, "Tenant"))
	}
	next := ""
	if n := len(out); n > 0 {
		next = nextCursor(n, page.Limit, out[n-1].CreatedAt, out[n-1].ID)
	}
	return out, next, nil
}

// MatchingRules implements hub.RuleStore. Patterns are matched in Go
// (hub.MatchEventType); a tenant has few rules.
func (s *RuleStore) MatchingRules(ctx context.Context, tenantID, eventType string) ([]*hub.Rule, error) {
	var all []*hub.Rule
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+ruleColumns+` FROM rules WHERE tenant_id = $1 AND enabled ORDER BY created_at, id`, tenantID)
		if err != nil {
			return err
		}
		all, err = pgx.CollectRows(rows, scanRule)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: matching rules: %w", err)
	}
	var out []*hub.Rule
	for _, r := range all {
		if !r.Trigger.Scheduled() && hub.MatchEventType(r.Trigger.EventType, eventType) {
			out = append(out, r)
		}
	}
	return out, nil
}

// UpdateRule implements hub.RuleStore.
func (s *RuleStore) UpdateRule(ctx context.Context, r *hub.Rule) error {
	actions, err := encodeActions(r.Actions)
	if err != nil {
		return fmt.Errorf("postgres: update rule: %w", err)
	}
	err = s.db.InTenant(ctx, r.TenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE rules SET name = $3, event_type = $4, schedule = $8, timezone = $9, condition = $5, actions = $6, enabled = $7,
				version = version + 1, updated_at = now()
			WHERE tenant_id = $1 AND id = $2 RETURNING `+ruleColumns,
			r.TenantID, r.ID, r.Name, r.Trigger.EventType, r.Condition, actions, r.Enabled, r.Trigger.Schedule, r.Trigger.Timezone)
		if err != nil {
			return err
		}
		got, err := pgx.CollectExactlyOneRow(rows, scanRule)
		if err == nil {
			*r = *got
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: update rule: %w", notFound(err, "Rule"))
	}
	return nil
}

// DeleteRule implements hub.RuleStore.
func (s *RuleStore) DeleteRule(ctx context.Context, tenantID, id string) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM rules WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err == nil && tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: delete rule: %w", notFound(err, "Rule"))
	}
	return nil
}

const runColumns = `id, tenant_id, rule_id, event_id, workflow_id, status, error, retries, actions, started_at, finished_at`

func scanRun(r pgx.CollectableRow) (*hub.RuleRun, error) {
	var (
		x       hub.RuleRun
		actions []byte
	)
	if err := r.Scan(&x.ID, &x.TenantID, &x.RuleID, &x.EventID, &x.WorkflowID, &x.Status, &x.Error, &x.Retries, &actions,
		&x.StartedAt, &x.FinishedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(actions, &x.Actions); err != nil {
		return nil, fmt.Errorf("decode actions of run %s: %w", x.ID, err)
	}
	x.Steps = []*hub.RuleStep{}
	return &x, nil
}

const stepColumns = `run_id, step_index, type, status, input, output, error, started_at, finished_at`

func scanStep(r pgx.CollectableRow) (*hub.RuleStep, error) {
	var (
		x             hub.RuleStep
		input, output []byte
	)
	if err := r.Scan(&x.RunID, &x.Index, &x.Type, &x.Status, &input, &output, &x.Error, &x.StartedAt, &x.FinishedAt); err != nil {
		return nil, err
	}
	x.Input, x.Output = input, output
	return &x, nil
}

// loadSteps fills the steps of runs.
func loadSteps(ctx context.Context, tx pgx.Tx, tenantID string, runs []*hub.RuleRun) error {
	if len(runs) == 0 {
		return nil
	}
	ids := make([]string, len(runs))
	byID := make(map[string]*hub.RuleRun, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
		byID[r.ID] = r
	}
	rows, err := tx.Query(ctx, `SELECT `+stepColumns+` FROM rule_steps WHERE tenant_id = $1 AND run_id = ANY($2::uuid[])
		ORDER BY run_id, step_index`, tenantID, ids)
	if err != nil {
		return err
	}
	steps, err := pgx.CollectRows(rows, scanStep)
	if err != nil {
		return err
	}
	for _, s := range steps {
		if r := byID[s.RunID]; r != nil {
			r.Steps = append(r.Steps, s)
		}
	}
	return nil
}

func jsonOrNil(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return []byte(b)
}

// BeginRuleRun implements hub.RuleStore.
func (s *RuleStore) BeginRuleRun(ctx context.Context, run *hub.RuleRun) (*hub.RuleRun, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("postgres: rule run id: %w", err)
	}
	actions, err := encodeActions(run.Actions)
	if err != nil {
		return nil, fmt.Errorf("postgres: begin rule run: %w", err)
	}
	var out *hub.RuleRun
	err = s.db.InTenant(ctx, run.TenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `INSERT INTO rule_runs (id, tenant_id, rule_id, event_id, workflow_id, status, actions)
			VALUES ($1, $2, $3, $4, $5, 'running', $6)
			ON CONFLICT (rule_id, event_id) DO UPDATE SET workflow_id = EXCLUDED.workflow_id, status = 'running', error = '',
				finished_at = NULL
			RETURNING `+runColumns, id.String(), run.TenantID, run.RuleID, run.EventID, run.WorkflowID, actions)
		if err != nil {
			return err
		}
		if out, err = pgx.CollectExactlyOneRow(rows, scanRun); err != nil {
			return err
		}
		return loadSteps(ctx, tx, run.TenantID, []*hub.RuleRun{out})
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return nil, hub.Errorf(hub.ENOTFOUND, "Rule not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: begin rule run: %w", notFound(err, "Rule"))
	}
	return out, nil
}

// RuleRun implements hub.RuleStore.
func (s *RuleStore) RuleRun(ctx context.Context, tenantID, id string) (*hub.RuleRun, error) {
	var out *hub.RuleRun
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+runColumns+` FROM rule_runs WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err != nil {
			return err
		}
		if out, err = pgx.CollectExactlyOneRow(rows, scanRun); err != nil {
			return err
		}
		return loadSteps(ctx, tx, tenantID, []*hub.RuleRun{out})
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: rule run: %w", notFound(err, "Rule run"))
	}
	return out, nil
}

// ListRuleRuns implements hub.RuleStore.
func (s *RuleStore) ListRuleRuns(ctx context.Context, tenantID, ruleID string, page hub.Page) ([]*hub.RuleRun, string, error) {
	page = page.Normalize()
	cur, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	at, id := pageArgs(cur)
	var out []*hub.RuleRun
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+runColumns+` FROM rule_runs
			WHERE tenant_id = $1 AND rule_id = $2 AND (started_at, id) < ($3, $4::uuid)
			ORDER BY started_at DESC, id DESC LIMIT $5`, tenantID, ruleID, at, id, page.Limit)
		if err != nil {
			return err
		}
		if out, err = pgx.CollectRows(rows, scanRun); err != nil {
			return err
		}
		return loadSteps(ctx, tx, tenantID, out)
	})
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list rule runs: %w", notFound(err, "Rule"))
	}
	next := ""
	if n := len(out); n > 0 {
		next = nextCursor(n, page.Limit, out[n-1].StartedAt, out[n-1].ID)
	}
	return out, next, nil
}

// RecordRuleStep implements hub.RuleStore.
func (s *RuleStore) RecordRuleStep(ctx context.Context, tenantID string, st *hub.RuleStep) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO rule_steps (tenant_id, run_id, step_index, type, status, input, output, error, finished_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $5 = 'running' THEN NULL ELSE now() END)
			ON CONFLICT (run_id, step_index) DO UPDATE SET type = $4, status = $5, input = $6, output = $7, error = $8,
				started_at = CASE WHEN $5 = 'running' THEN now() ELSE rule_steps.started_at END,
				finished_at = CASE WHEN $5 = 'running' THEN NULL ELSE now() END
			RETURNING started_at, finished_at`,
			tenantID, st.RunID, st.Index, st.Type, st.Status, jsonOrNil(st.Input), jsonOrNil(st.Output), st.Error).Scan(&st.StartedAt, &st.FinishedAt)
	})
	if err != nil {
		return fmt.Errorf("postgres: record rule step: %w", notFound(err, "Rule run"))
	}
	return nil
}

// FinishRuleRun implements hub.RuleStore.
func (s *RuleStore) FinishRuleRun(ctx context.Context, tenantID, runID, status, errMsg string) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE rule_runs SET status = $3, error = $4,
				finished_at = CASE WHEN $3 = 'running' THEN NULL ELSE now() END
			WHERE tenant_id = $1 AND id = $2`, tenantID, runID, status, errMsg)
		if err == nil && tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: finish rule run: %w", notFound(err, "Rule run"))
	}
	return nil
}

// StartRuleRetry implements hub.RuleStore.
func (s *RuleStore) StartRuleRetry(ctx context.Context, tenantID, runID string, workflowID func(n int) string) (*hub.RuleRun, error) {
	var out *hub.RuleRun
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var status string
		var retries int
		err := tx.QueryRow(ctx, `SELECT status, retries FROM rule_runs WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, runID).
			Scan(&status, &retries)
		if err != nil {
			return err
		}
		if status != hub.RuleRunFailed {
			return hub.Errorf(hub.ECONFLICT, "Only a failed run can be retried; this one is %s.", status)
		}
		n := retries + 1
		rows, err := tx.Query(ctx, `UPDATE rule_runs SET retries = $3, status = 'running', error = '', finished_at = NULL,
				workflow_id = $4 WHERE tenant_id = $1 AND id = $2 RETURNING `+runColumns, tenantID, runID, n, workflowID(n))
		if err != nil {
			return err
		}
		if out, err = pgx.CollectExactlyOneRow(rows, scanRun); err != nil {
			return err
		}
		return loadSteps(ctx, tx, tenantID, []*hub.RuleRun{out})
	})
	var he *hub.Error
	if errors.As(err, &he) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: retry rule run: %w", notFound(err, "Rule run"))
	}
	return out, nil
}

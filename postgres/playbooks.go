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

// PlaybookStore implements hub.PlaybookStore.
type PlaybookStore struct{ db *DB }

// NewPlaybookStore returns a PlaybookStore on db.
func NewPlaybookStore(db *DB) *PlaybookStore { return &PlaybookStore{db: db} }

var _ hub.PlaybookStore = (*PlaybookStore)(nil)

const playbookColumns = `id, tenant_id, name, description, steps, schedule, enabled, template, version, created_by, created_at, updated_at`

func scanPlaybook(r pgx.CollectableRow) (*hub.Playbook, error) {
	var (
		p               hub.Playbook
		steps, schedule []byte
	)
	if err := r.Scan(&p.ID, &p.TenantID, &p.Name, &p.Description, &steps, &schedule, &p.Enabled, &p.Template, &p.Version,
		&p.CreatedBy, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(steps, &p.Steps); err != nil {
		return nil, fmt.Errorf("decode steps of playbook %s: %w", p.ID, err)
	}
	if len(schedule) > 0 {
		if err := json.Unmarshal(schedule, &p.Schedule); err != nil {
			return nil, fmt.Errorf("decode schedule of playbook %s: %w", p.ID, err)
		}
	}
	return &p, nil
}

func encodePlaybook(p *hub.Playbook) (steps, schedule []byte, err error) {
	if steps, err = json.Marshal(p.Steps); err != nil {
		return nil, nil, err
	}
	if p.Schedule != nil {
		if schedule, err = json.Marshal(p.Schedule); err != nil {
			return nil, nil, err
		}
	}
	return steps, schedule, nil
}

// CreatePlaybook implements hub.PlaybookStore.
func (s *PlaybookStore) CreatePlaybook(ctx context.Context, p *hub.Playbook) error {
	p.ID = uuid.Must(uuid.NewV7()).String()
	steps, schedule, err := encodePlaybook(p)
	if err != nil {
		return fmt.Errorf("postgres: create playbook: %w", err)
	}
	err = s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO playbooks (id, tenant_id, name, description, steps, schedule, enabled, template, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING version, created_at, updated_at`,
			p.ID, p.TenantID, p.Name, p.Description, steps, schedule, p.Enabled, p.Template, p.CreatedBy).Scan(&p.Version, &p.CreatedAt, &p.UpdatedAt)
	})
	if err != nil {
		return fmt.Errorf("postgres: create playbook: %w", notFound(err, "Tenant"))
	}
	return nil
}

// Playbook implements hub.PlaybookStore.
func (s *PlaybookStore) Playbook(ctx context.Context, tenantID, id string) (*hub.Playbook, error) {
	var p *hub.Playbook
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+playbookColumns+` FROM playbooks WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err != nil {
			return err
		}
		p, err = pgx.CollectExactlyOneRow(rows, scanPlaybook)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: playbook: %w", notFound(err, "Playbook"))
	}
	return p, nil
}

// ListPlaybooks implements hub.PlaybookStore.
func (s *PlaybookStore) ListPlaybooks(ctx context.Context, tenantID string, page hub.Page) ([]*hub.Playbook, string, error) {
	return listPage(ctx, s.db, tenantID, page, "list playbooks", `SELECT `+playbookColumns+` FROM playbooks
		WHERE tenant_id = $1 AND (created_at, id) < ($2, $3::uuid) ORDER BY created_at DESC, id DESC LIMIT $4`,
		scanPlaybook, func(p *hub.Playbook) (time.Time, string) { return p.CreatedAt, p.ID })
}

// UpdatePlaybook implements hub.PlaybookStore.
func (s *PlaybookStore) UpdatePlaybook(ctx context.Context, p *hub.Playbook) error {
	steps, schedule, err := encodePlaybook(p)
	if err != nil {
		return fmt.Errorf("postgres: update playbook: %w", err)
	}
	err = s.db.InTenant(ctx, p.TenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE playbooks SET name = $3, description = $4, steps = $5, schedule = $6, enabled = $7,
				version = version + 1, updated_at = now()
			WHERE tenant_id = $1 AND id = $2 RETURNING `+playbookColumns, p.TenantID, p.ID, p.Name, p.Description, steps, schedule, p.Enabled)
		if err != nil {
			return err
		}
		got, err := pgx.CollectExactlyOneRow(rows, scanPlaybook)
		if err == nil {
			*p = *got
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: update playbook: %w", notFound(err, "Playbook"))
	}
	return nil
}

// DeletePlaybook implements hub.PlaybookStore.
func (s *PlaybookStore) DeletePlaybook(ctx context.Context, tenantID, id string) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM playbooks WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err == nil && tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: delete playbook: %w", notFound(err, "Playbook"))
	}
	return nil
}

const playbookRunColumns = `id, tenant_id, playbook_id, workflow_id, status, input, error, steps, trigger, created_by, started_at, finished_at`

func scanPlaybookRun(r pgx.CollectableRow) (*hub.PlaybookRun, error) {
	var (
		x            hub.PlaybookRun
		input, steps []byte
	)
	if err := r.Scan(&x.ID, &x.TenantID, &x.PlaybookID, &x.WorkflowID, &x.Status, &input, &x.Error, &steps, &x.Trigger,
		&x.CreatedBy, &x.StartedAt, &x.FinishedAt); err != nil {
		return nil, err
	}
	x.Input = input
	if err := json.Unmarshal(steps, &x.Steps); err != nil {
		return nil, fmt.Errorf("decode steps of playbook run %s: %w", x.ID, err)
	}
	x.StepRuns = []*hub.PlaybookStepRun{}
	return &x, nil
}

const playbookStepColumns = `step_index, step_id, type, status, input, output, error, agent_run_id, decided_by, started_at, finished_at`

func scanPlaybookStep(r pgx.CollectableRow) (*hub.PlaybookStepRun, error) {
	var (
		s             hub.PlaybookStepRun
		input, output []byte
	)
	err := r.Scan(&s.Index, &s.StepID, &s.Type, &s.Status, &input, &output, &s.Error, &s.AgentRunID, &s.DecidedBy, &s.StartedAt, &s.FinishedAt)
	s.Input, s.Output = input, output
	return &s, err
}

func (s *PlaybookStore) withSteps(ctx context.Context, tx pgx.Tx, runs []*hub.PlaybookRun) error {
	for _, r := range runs {
		rows, err := tx.Query(ctx, `SELECT `+playbookStepColumns+` FROM playbook_steps WHERE tenant_id = $1 AND run_id = $2 ORDER BY step_index`,
			r.TenantID, r.ID)
		if err != nil {
			return err
		}
		if r.StepRuns, err = pgx.CollectRows(rows, scanPlaybookStep); err != nil {
			return err
		}
	}
	return nil
}

// EnsurePlaybookRun implements hub.PlaybookStore.
func (s *PlaybookStore) EnsurePlaybookRun(ctx context.Context, r *hub.PlaybookRun) (*hub.PlaybookRun, error) {
	if r.ID == "" {
		r.ID = uuid.Must(uuid.NewV7()).String()
	}
	steps, err := json.Marshal(r.Steps)
	if err != nil {
		return nil, fmt.Errorf("postgres: ensure playbook run: %w", err)
	}
	input := []byte(r.Input)
	if len(input) == 0 {
		input = []byte(`{}`)
	}
	var got *hub.PlaybookRun
	err = s.db.InTenant(ctx, r.TenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO playbook_runs (id, tenant_id, playbook_id, workflow_id, status, input, steps, trigger, created_by)
			VALUES ($1, $2, $3, $4, 'running', $5, $6, $7, $8) ON CONFLICT (workflow_id) DO NOTHING`,
			r.ID, r.TenantID, r.PlaybookID, r.WorkflowID, input, steps, r.Trigger, r.CreatedBy); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+playbookRunColumns+` FROM playbook_runs WHERE tenant_id = $1 AND workflow_id = $2`,
			r.TenantID, r.WorkflowID)
		if err != nil {
			return err
		}
		got, err = pgx.CollectExactlyOneRow(rows, scanPlaybookRun)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: ensure playbook run: %w", notFound(err, "Playbook"))
	}
	return got, nil
}

// PlaybookRun implements hub.PlaybookStore.
func (s *PlaybookStore) PlaybookRun(ctx context.Context, tenantID, id string) (*hub.PlaybookRun, error) {
	var got *hub.PlaybookRun
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+playbookRunColumns+` FROM playbook_runs WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err != nil {
			return err
		}
		if got, err = pgx.CollectExactlyOneRow(rows, scanPlaybookRun); err != nil {
			return err
		}
		return s.withSteps(ctx, tx, []*hub.PlaybookRun{got})
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: playbook run: %w", notFound(err, "Playbook run"))
	}
	return got, nil
}

// ListPlaybookRuns implements hub.PlaybookStore.
func (s *PlaybookStore) ListPlaybookRuns(ctx context.Context, tenantID, playbookID string, page hub.Page) ([]*hub.PlaybookRun, string, error) {
	page = page.Normalize()
	cur, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	at, id := pageArgs(cur)
	var out []*hub.PlaybookRun
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+playbookRunColumns+` FROM playbook_runs
			WHERE tenant_id = $1 AND playbook_id = $2 AND (started_at, id) < ($3, $4::uuid) ORDER BY started_at DESC, id DESC LIMIT $5`,
			tenantID, playbookID, at, id, page.Limit)
		if err != nil {
			return err
		}
		if out, err = pgx.CollectRows(rows, scanPlaybookRun); err != nil {
			return err
		}
		return s.withSteps(ctx, tx, out)
	})
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list playbook runs: %w", err)
	}
	next := ""
	if n := len(out); n > 0 {
		next = nextCursor(n, page.Limit, out[n-1].StartedAt, out[n-1].ID)
	}
	return out, next, nil
}

// RecordPlaybookStep implements hub.PlaybookStore: an upsert by step index.
func (s *PlaybookStore) RecordPlaybookStep(ctx context.Context, tenantID, runID string, st *hub.PlaybookStepRun) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO playbook_steps (tenant_id, run_id, step_index, step_id, type, status, input, output, error,
				agent_run_id, decided_by, finished_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CASE WHEN $6 IN ('running', 'waiting_approval') THEN NULL ELSE now() END)
			ON CONFLICT (run_id, step_index) DO UPDATE SET status = EXCLUDED.status,
				input = COALESCE(EXCLUDED.input, playbook_steps.input), output = EXCLUDED.output, error = EXCLUDED.error,
				agent_run_id = CASE WHEN EXCLUDED.agent_run_id <> '' THEN EXCLUDED.agent_run_id ELSE playbook_steps.agent_run_id END,
				decided_by = EXCLUDED.decided_by, finished_at = EXCLUDED.finished_at`,
			tenantID, runID, st.Index, st.StepID, st.Type, st.Status, jsonOrNull(st.Input), jsonOrNull(st.Output), st.Error,
			st.AgentRunID, st.DecidedBy)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: record playbook step: %w", notFound(err, "Playbook run"))
	}
	return nil
}

// FinishPlaybookRun implements hub.PlaybookStore.
func (s *PlaybookStore) FinishPlaybookRun(ctx context.Context, tenantID, runID, status, errMsg string) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE playbook_runs SET status = $3, error = $4, finished_at = COALESCE(finished_at, now())
			WHERE tenant_id = $1 AND id = $2`, tenantID, runID, status, errMsg)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: finish playbook run: %w", err)
	}
	return nil
}

// SetPlaybookRunStatus implements hub.PlaybookStore; an ended run keeps its status.
func (s *PlaybookStore) SetPlaybookRunStatus(ctx context.Context, tenantID, runID, status string) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE playbook_runs SET status = $3 WHERE tenant_id = $1 AND id = $2 AND finished_at IS NULL`,
			tenantID, runID, status)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: set playbook run status: %w", err)
	}
	return nil
}

package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	hub "github.com/bizoshub/bizos"
)

// EventStore implements hub.EventStore.
type EventStore struct{ db *DB }

// NewEventStore returns an EventStore on db.
func NewEventStore(db *DB) *EventStore { return &EventStore{db: db} }

var _ hub.EventStore = (*EventStore)(nil)

// AppendEvents implements hub.EventStore with one multi-row INSERT, so a
// batch of webhooks from many tenants costs one round trip and one commit.
// It runs in the system scope: the batch spans tenants, and each event's
// tenant was established by the caller.
func (s *EventStore) AppendEvents(ctx context.Context, events []*hub.Event) ([]bool, error) {
	if len(events) == 0 {
		return nil, nil
	}
	n := len(events)
	ids, tenants, types, sources, externals := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	occurred, payloads := make([]time.Time, n), make([]string, n)
	now := time.Now()
	for i, e := range events {
		id, err := uuid.NewV7()
		if err != nil {
			return nil, fmt.Errorf("postgres: event id: %w", err)
		}
		e.ID = id.String()
		if e.OccurredAt.IsZero() {
			e.OccurredAt = now
		}
		ids[i], tenants[i], types[i], sources[i], externals[i] = e.ID, e.TenantID, e.Type, e.Source, e.ExternalID
		occurred[i], payloads[i] = e.OccurredAt, string(e.Payload)
	}
	inserted := map[string]time.Time{}
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `INSERT INTO events (id, tenant_id, type, source, external_id, occurred_at, payload)
			SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::jsonb[])
			ON CONFLICT (tenant_id, source, external_id) WHERE external_id <> '' DO NOTHING
			RETURNING id, received_at`, ids, tenants, types, sources, externals, occurred, payloads)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var at time.Time
			if err := rows.Scan(&id, &at); err != nil {
				return err
			}
			inserted[id] = at
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: append events: %w", err)
	}
	dups := make([]bool, n)
	for i, e := range events {
		at, ok := inserted[e.ID]
		dups[i] = !ok
		e.ReceivedAt = at
	}
	return dups, nil
}

const eventColumns = `id, tenant_id, type, source, external_id, occurred_at, received_at, payload`

func scanEvent(r pgx.CollectableRow) (*hub.Event, error) {
	var e hub.Event
	var payload []byte
	err := r.Scan(&e.ID, &e.TenantID, &e.Type, &e.Source, &e.ExternalID, &e.OccurredAt, &e.ReceivedAt, &payload)
	e.Payload = payload
	return &e, err
}

// ListEvents implements hub.EventStore.
func (s *EventStore) ListEvents(ctx context.Context, tenantID string, f hub.EventFilter, page hub.Page) ([]*hub.Event, string, error) {
	page = page.Normalize()
	cur, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	at, id := pageArgs(cur)
	where := []string{"tenant_id = $1", "(received_at, id) < ($2, $3::uuid)"}
	args := []any{tenantID, at, id}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Type != "" {
		if prefix, ok := strings.CutSuffix(f.Type, "*"); ok {
			add("starts_with(type, $%d)", prefix)
		} else {
			add("type = $%d", f.Type)
		}
	}
	if f.Source != "" {
		add("source = $%d", f.Source)
	}
	if !f.Since.IsZero() {
		add("received_at >= $%d", f.Since)
	}
	if !f.Until.IsZero() {
		add("received_at < $%d", f.Until)
	}
	args = append(args, page.Limit)
	query := `SELECT ` + eventColumns + ` FROM events WHERE ` + strings.Join(where, " AND ") +
		fmt.Sprintf(` ORDER BY received_at DESC, id DESC LIMIT $%d`, len(args))
	var out []*hub.Event
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanEvent)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list events: %w", notFound(err, "Tenant"))
	}
	next := ""
	if n := len(out); n > 0 {
		next = nextCursor(n, page.Limit, out[n-1].ReceivedAt, out[n-1].ID)
	}
	return out, next, nil
}

// Event implements hub.EventStore.
func (s *EventStore) Event(ctx context.Context, tenantID, id string) (*hub.Event, error) {
	var e *hub.Event
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+eventColumns+` FROM events WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err != nil {
			return err
		}
		e, err = pgx.CollectExactlyOneRow(rows, scanEvent)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: event: %w", notFound(err, "Event"))
	}
	return e, nil
}

// PurgeEvents implements hub.EventStore.
func (s *EventStore) PurgeEvents(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM events WHERE received_at < $1`, before)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: purge events: %w", err)
	}
	return n, nil
}

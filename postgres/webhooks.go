package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	hub "github.com/bizoshub/bizos"
)

// WebhookStore implements hub.WebhookStore. Each endpoint's secrets are
// sealed as one JSON document bound to the endpoint id.
type WebhookStore struct {
	db     *DB
	cipher hub.Cipher
}

// NewWebhookStore returns a WebhookStore on db that seals with cipher.
func NewWebhookStore(db *DB, cipher hub.Cipher) *WebhookStore {
	return &WebhookStore{db: db, cipher: cipher}
}

var _ hub.WebhookStore = (*WebhookStore)(nil)

func webhookAAD(id string) []byte { return []byte("webhook_endpoints:" + id) }

func (s *WebhookStore) sealSecrets(id string, sec *hub.WebhookSecrets) ([]byte, error) {
	plain, err := json.Marshal(sec)
	if err != nil {
		return nil, fmt.Errorf("encode webhook secrets: %w", err)
	}
	return s.cipher.Encrypt(plain, webhookAAD(id))
}

func (s *WebhookStore) openSecrets(id string, sealed []byte) (*hub.WebhookSecrets, error) {
	plain, err := s.cipher.Decrypt(sealed, webhookAAD(id))
	if err != nil {
		return nil, fmt.Errorf("open webhook secrets of %s: %w", id, err)
	}
	var sec hub.WebhookSecrets
	if err := json.Unmarshal(plain, &sec); err != nil {
		return nil, fmt.Errorf("decode webhook secrets of %s: %w", id, err)
	}
	return &sec, nil
}

const endpointColumns = `id, tenant_id, url, description, event_types, enabled, disabled_reason, consecutive_failures,
	created_by, created_at, updated_at`

func scanEndpoint(r pgx.CollectableRow) (*hub.WebhookEndpoint, error) {
	var e hub.WebhookEndpoint
	err := r.Scan(&e.ID, &e.TenantID, &e.URL, &e.Description, &e.EventTypes, &e.Enabled, &e.DisabledReason,
		&e.ConsecutiveFailures, &e.CreatedBy, &e.CreatedAt, &e.UpdatedAt)
	if e.EventTypes == nil {
		e.EventTypes = []string{}
	}
	return &e, err
}

// CreateWebhookEndpoint implements hub.WebhookStore.
func (s *WebhookStore) CreateWebhookEndpoint(ctx context.Context, e *hub.WebhookEndpoint, secret string) error {
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("postgres: webhook endpoint id: %w", err)
	}
	e.ID = id.String()
	sealed, err := s.sealSecrets(e.ID, &hub.WebhookSecrets{Current: secret})
	if err != nil {
		return fmt.Errorf("postgres: create webhook endpoint: %w", err)
	}
	if e.EventTypes == nil {
		e.EventTypes = []string{}
	}
	err = s.db.InTenant(ctx, e.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO webhook_endpoints (id, tenant_id, url, description, event_types, enabled, secrets_sealed, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING created_at, updated_at`,
			e.ID, e.TenantID, e.URL, e.Description, e.EventTypes, e.Enabled, sealed, e.CreatedBy).Scan(&e.CreatedAt, &e.UpdatedAt)
	})
	if err != nil {
		return fmt.Errorf("postgres: create webhook endpoint: %w", notFound(err, "Tenant"))
	}
	return nil
}

// WebhookEndpoint implements hub.WebhookStore.
func (s *WebhookStore) WebhookEndpoint(ctx context.Context, tenantID, id string) (*hub.WebhookEndpoint, error) {
	var e *hub.WebhookEndpoint
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err != nil {
			return err
		}
		e, err = pgx.CollectExactlyOneRow(rows, scanEndpoint)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: webhook endpoint: %w", notFound(err, "Webhook endpoint"))
	}
	return e, nil
}

// ListWebhookEndpoints implements hub.WebhookStore.
func (s *WebhookStore) ListWebhookEndpoints(ctx context.Context, tenantID string, page hub.Page) ([]*hub.WebhookEndpoint, string, error) {
	page = page.Normalize()
	cur, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	at, id := pageArgs(cur)
	var out []*hub.WebhookEndpoint
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints
			WHERE tenant_id = $1 AND (created_at, id) < ($2, $3::uuid) ORDER BY created_at DESC, id DESC LIMIT $4`,
			tenantID, at, id, page.Limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanEndpoint)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list webhook endpoints: %w", notFound(err, "Tenant"))
	}
	next := ""
	if n := len(out); n > 0 {
		next = nextCursor(n, page.Limit, out[n-1].CreatedAt, out[n-1].ID)
	}
	return out, next, nil
}

// MatchingWebhookEndpoints implements hub.WebhookStore. Patterns are
// matched in Go (hub.MatchEventType); a tenant has few endpoints.
func (s *WebhookStore) MatchingWebhookEndpoints(ctx context.Context, tenantID, eventType string) ([]*hub.WebhookEndpoint, error) {
	var all []*hub.WebhookEndpoint
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE tenant_id = $1 AND enabled
			ORDER BY created_at, id`, tenantID)
		if err != nil {
			return err
		}
		all, err = pgx.CollectRows(rows, scanEndpoint)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: matching webhook endpoints: %w", err)
	}
	var out []*hub.WebhookEndpoint
	for _, e := range all {
		if e.Matches(eventType) {
			out = append(out, e)
		}
	}
	return out, nil
}

// UpdateWebhookEndpoint implements hub.WebhookStore.
func (s *WebhookStore) UpdateWebhookEndpoint(ctx context.Context, e *hub.WebhookEndpoint) error {
	err := s.db.InTenant(ctx, e.TenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE webhook_endpoints SET url = $3, description = $4, event_types = $5, enabled = $6,
				disabled_reason = CASE WHEN $6 THEN '' ELSE disabled_reason END,
				consecutive_failures = CASE WHEN $6 AND NOT enabled THEN 0 ELSE consecutive_failures END,
				updated_at = now()
			WHERE tenant_id = $1 AND id = $2 RETURNING `+endpointColumns,
			e.TenantID, e.ID, e.URL, e.Description, e.EventTypes, e.Enabled)
		if err != nil {
			return err
		}
		got, err := pgx.CollectExactlyOneRow(rows, scanEndpoint)
		if err == nil {
			*e = *got
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: update webhook endpoint: %w", notFound(err, "Webhook endpoint"))
	}
	return nil
}

// DeleteWebhookEndpoint implements hub.WebhookStore.
func (s *WebhookStore) DeleteWebhookEndpoint(ctx context.Context, tenantID, id string) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err == nil && tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: delete webhook endpoint: %w", notFound(err, "Webhook endpoint"))
	}
	return nil
}

// RotateWebhookSecret implements hub.WebhookStore.
func (s *WebhookStore) RotateWebhookSecret(ctx context.Context, tenantID, id, secret string, previousUntil time.Time) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var sealed []byte
		if err := tx.QueryRow(ctx, `SELECT secrets_sealed FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
			tenantID, id).Scan(&sealed); err != nil {
			return err
		}
		old, err := s.openSecrets(id, sealed)
		if err != nil {
			return err
		}
		next, err := s.sealSecrets(id, &hub.WebhookSecrets{Current: secret, Previous: old.Current, PreviousUntil: previousUntil})
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE webhook_endpoints SET secrets_sealed = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
			tenantID, id, next)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: rotate webhook secret: %w", notFound(err, "Webhook endpoint"))
	}
	return nil
}

// WebhookSecrets implements hub.WebhookStore.
func (s *WebhookStore) WebhookSecrets(ctx context.Context, tenantID, id string) (*hub.WebhookSecrets, error) {
	var sealed []byte
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT secrets_sealed FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&sealed)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: webhook secrets: %w", notFound(err, "Webhook endpoint"))
	}
	sec, err := s.openSecrets(id, sealed)
	if err != nil {
		return nil, fmt.Errorf("postgres: webhook secrets: %w", err)
	}
	return sec, nil
}

const deliveryColumns = `id, tenant_id, endpoint_id, event_id, event_type, status, attempts, replays, next_attempt_at,
	last_error, created_at, updated_at`

func scanDelivery(r pgx.CollectableRow) (*hub.WebhookDelivery, error) {
	var d hub.WebhookDelivery
	err := r.Scan(&d.ID, &d.TenantID, &d.EndpointID, &d.EventID, &d.EventType, &d.Status, &d.AttemptCount, &d.Replays,
		&d.NextAttemptAt, &d.LastError, &d.CreatedAt, &d.UpdatedAt)
	return &d, err
}

// EnsureWebhookDelivery implements hub.WebhookStore.
func (s *WebhookStore) EnsureWebhookDelivery(ctx context.Context, d *hub.WebhookDelivery) (*hub.WebhookDelivery, bool, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return nil, false, fmt.Errorf("postgres: delivery id: %w", err)
	}
	var out *hub.WebhookDelivery
	created := false
	err = s.db.InTenant(ctx, d.TenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_type, status, next_attempt_at)
			VALUES ($1, $2, $3, $4, $5, 'pending', now())
			ON CONFLICT (endpoint_id, event_id) DO NOTHING RETURNING `+deliveryColumns,
			id.String(), d.TenantID, d.EndpointID, d.EventID, d.EventType)
		if err != nil {
			return err
		}
		got, err := pgx.CollectRows(rows, scanDelivery)
		if err != nil {
			return err
		}
		if len(got) == 1 {
			out, created = got[0], true
			return nil
		}
		rows, err = tx.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE tenant_id = $1 AND endpoint_id = $2 AND event_id = $3`,
			d.TenantID, d.EndpointID, d.EventID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectExactlyOneRow(rows, scanDelivery)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("postgres: ensure webhook delivery: %w", notFound(err, "Webhook endpoint"))
	}
	return out, created, nil
}

// WebhookDelivery implements hub.WebhookStore.
func (s *WebhookStore) WebhookDelivery(ctx context.Context, tenantID, id string) (*hub.WebhookDelivery, error) {
	var d *hub.WebhookDelivery
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err != nil {
			return err
		}
		d, err = pgx.CollectExactlyOneRow(rows, scanDelivery)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: webhook delivery: %w", notFound(err, "Delivery"))
	}
	return d, nil
}

// ListWebhookDeliveries implements hub.WebhookStore.
func (s *WebhookStore) ListWebhookDeliveries(ctx context.Context, tenantID, endpointID string, page hub.Page) ([]*hub.WebhookDelivery, string, error) {
	page = page.Normalize()
	cur, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	at, id := pageArgs(cur)
	var out []*hub.WebhookDelivery
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries
			WHERE tenant_id = $1 AND endpoint_id = $2 AND (created_at, id) < ($3, $4::uuid) ORDER BY created_at DESC, id DESC LIMIT $5`,
			tenantID, endpointID, at, id, page.Limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanDelivery)
		if err != nil || len(out) == 0 {
			return err
		}
		ids := make([]string, len(out))
		byID := map[string]*hub.WebhookDelivery{}
		for i, d := range out {
			ids[i], byID[d.ID] = d.ID, d
			d.Attempts = []*hub.WebhookAttempt{}
		}
		rows, err = tx.Query(ctx, `SELECT delivery_id, number, status_code, latency_ms, response, error, succeeded, attempted_at
			FROM webhook_attempts WHERE tenant_id = $1 AND delivery_id = ANY($2::uuid[]) ORDER BY id`, tenantID, ids)
		if err != nil {
			return err
		}
		attempts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*hub.WebhookAttempt, error) {
			var a hub.WebhookAttempt
			err := r.Scan(&a.DeliveryID, &a.Number, &a.StatusCode, &a.LatencyMS, &a.Response, &a.Error, &a.Succeeded, &a.At)
			return &a, err
		})
		for _, a := range attempts {
			byID[a.DeliveryID].Attempts = append(byID[a.DeliveryID].Attempts, a)
		}
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list webhook deliveries: %w", notFound(err, "Webhook endpoint"))
	}
	next := ""
	if n := len(out); n > 0 {
		next = nextCursor(n, page.Limit, out[n-1].CreatedAt, out[n-1].ID)
	}
	return out, next, nil
}

// RecordWebhookAttempt implements hub.WebhookStore in one transaction.
func (s *WebhookStore) RecordWebhookAttempt(ctx context.Context, tenantID string, a *hub.WebhookAttempt, final bool,
	nextAttempt time.Time, disableAfter int) (hub.AttemptOutcome, error) {
	var out hub.AttemptOutcome
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var endpointID string
		if err := tx.QueryRow(ctx, `SELECT endpoint_id FROM webhook_deliveries WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
			tenantID, a.DeliveryID).Scan(&endpointID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO webhook_attempts (tenant_id, delivery_id, number, status_code, latency_ms, response, error, succeeded)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING attempted_at`,
			tenantID, a.DeliveryID, a.Number, a.StatusCode, a.LatencyMS, a.Response, a.Error, a.Succeeded).Scan(&a.At); err != nil {
			return err
		}
		var next *time.Time
		switch {
		case a.Succeeded:
			out.Status = hub.DeliverySucceeded
		case final:
			out.Status = hub.DeliveryDead
		default:
			out.Status, next = hub.DeliveryPending, &nextAttempt
		}
		lastErr := a.Error
		if a.Succeeded {
			lastErr = ""
		}
		if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = $3, attempts = attempts + 1, next_attempt_at = $4,
				last_error = $5, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
			tenantID, a.DeliveryID, out.Status, next, lastErr); err != nil {
			return err
		}
		if a.Succeeded {
			_, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET consecutive_failures = 0 WHERE tenant_id = $1 AND id = $2 AND consecutive_failures <> 0`,
				tenantID, endpointID)
			return err
		}
		var failures int
		var enabled bool
		if err := tx.QueryRow(ctx, `UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1
			WHERE tenant_id = $1 AND id = $2 RETURNING consecutive_failures, enabled`, tenantID, endpointID).Scan(&failures, &enabled); err != nil {
			return err
		}
		if disableAfter > 0 && enabled && failures >= disableAfter {
			reason := fmt.Sprintf("disabled after %d consecutive failed delivery attempts", failures)
			if _, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET enabled = false, disabled_reason = $3, updated_at = now()
				WHERE tenant_id = $1 AND id = $2`, tenantID, endpointID, reason); err != nil {
				return err
			}
			out.EndpointDisabled = true
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("postgres: record webhook attempt: %w", notFound(err, "Delivery"))
	}
	return out, nil
}

// SetWebhookDeliveryStatus implements hub.WebhookStore.
func (s *WebhookStore) SetWebhookDeliveryStatus(ctx context.Context, tenantID, id, status, lastError string) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = $3, last_error = $4, next_attempt_at = NULL, updated_at = now()
			WHERE tenant_id = $1 AND id = $2`, tenantID, id, status, lastError)
		if err == nil && tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: set delivery status: %w", notFound(err, "Delivery"))
	}
	return nil
}

// StartWebhookReplay implements hub.WebhookStore.
func (s *WebhookStore) StartWebhookReplay(ctx context.Context, tenantID, id string) (int, error) {
	var n int
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `UPDATE webhook_deliveries SET replays = replays + 1, status = 'pending', next_attempt_at = now(),
			updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING replays`, tenantID, id).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: replay delivery: %w", notFound(err, "Delivery"))
	}
	return n, nil
}

const zeroUUID = "00000000-0000-0000-0000-000000000000"

// EventsAfter implements hub.WebhookStore in the system scope: dispatching
// reads every tenant's events. The lag leaves time for transactions that
// took their received_at earlier to commit, so none is skipped.
func (s *WebhookStore) EventsAfter(ctx context.Context, pos hub.DispatchPosition, lag time.Duration, limit int) ([]*hub.Event, error) {
	id := pos.ID
	if id == "" {
		id = zeroUUID
	}
	var out []*hub.Event
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		// An event's received_at is its inserting transaction's start, so
		// one that commits late can land before events already read. The
		// horizon is the start of the oldest transaction still open in this
		// database (read first, before the events' snapshot): every event
		// older than it is committed or never will be. A transaction older
		// than lag (an index build, say) is assumed to insert no events, so
		// it cannot hold dispatch back longer than lag.
		var horizon time.Time
		if err := tx.QueryRow(ctx, `SELECT GREATEST(COALESCE(min(xact_start), clock_timestamp()), clock_timestamp() - make_interval(secs => $1))
			FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'
				AND state <> 'idle' AND pid <> pg_backend_pid()`, lag.Seconds()).Scan(&horizon); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+eventColumns+` FROM events
			WHERE (received_at, id) > ($1, $2::uuid) AND received_at < $3
			ORDER BY received_at, id LIMIT $4`, pos.ReceivedAt, id, horizon, limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanEvent)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: events after: %w", err)
	}
	return out, nil
}

// DispatchPosition implements hub.WebhookStore.
func (s *WebhookStore) DispatchPosition(ctx context.Context, name string) (hub.DispatchPosition, error) {
	var pos hub.DispatchPosition
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT received_at, id FROM dispatch_positions WHERE name = $1`, name).Scan(&pos.ReceivedAt, &pos.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return pos, fmt.Errorf("postgres: dispatch position: %w", err)
	}
	return pos, nil
}

// SetDispatchPosition implements hub.WebhookStore.
func (s *WebhookStore) SetDispatchPosition(ctx context.Context, name string, pos hub.DispatchPosition) error {
	if pos.ID == "" {
		pos.ID = zeroUUID // the start of the stream
	}
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO dispatch_positions (name, received_at, id) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET received_at = $2, id = $3, updated_at = now()`, name, pos.ReceivedAt, pos.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: set dispatch position: %w", err)
	}
	return nil
}

// TryDispatchLock implements hub.WebhookStore with a session-level
// PostgreSQL advisory lock held on a dedicated connection until release.
func (s *WebhookStore) TryDispatchLock(ctx context.Context, name string) (func(), bool, error) {
	h := fnv.New64a()
	h.Write([]byte("bizos-dispatch:" + name))
	key := int64(h.Sum64())
	conn, err := s.db.Pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("postgres: dispatch lock: acquire: %w", err)
	}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
		conn.Release()
		return nil, false, fmt.Errorf("postgres: dispatch lock: %w", err)
	}
	if !ok {
		conn.Release()
		return nil, false, nil
	}
	release := func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key); err != nil {
			// The session is broken; destroy it so the lock dies with it.
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
		conn.Release()
	}
	return release, true, nil
}

// ReencryptWebhookSecrets re-seals endpoint secrets that are not sealed under
// the cipher's current key, and returns how many it re-sealed.
func (s *WebhookStore) ReencryptWebhookSecrets(ctx context.Context) (int, error) {
	n := 0
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, secrets_sealed FROM webhook_endpoints FOR UPDATE`)
		if err != nil {
			return err
		}
		type row struct {
			id     string
			sealed []byte
		}
		all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			return x, r.Scan(&x.id, &x.sealed)
		})
		if err != nil {
			return err
		}
		for _, x := range all {
			if s.cipher.Current(x.sealed) {
				continue
			}
			sec, err := s.openSecrets(x.id, x.sealed)
			if err != nil {
				return err
			}
			resealed, err := s.sealSecrets(x.id, sec)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET secrets_sealed = $2 WHERE id = $1`, x.id, resealed); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: reencrypt webhook secrets: %w", err)
	}
	return n, nil
}

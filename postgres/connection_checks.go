package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	hub "github.com/bizoshub/bizos"
)

var _ hub.ConnectionCheckStore = (*ConnectionStore)(nil)

const connectionCheckColumns = `id, tenant_id, connection_id, checked_at, status, ok, error, latency_ms, source`

func scanConnectionCheck(r pgx.CollectableRow) (*hub.ConnectionCheck, error) {
	var c hub.ConnectionCheck
	err := r.Scan(&c.ID, &c.TenantID, &c.ConnectionID, &c.CheckedAt, &c.Status, &c.OK, &c.Error, &c.LatencyMS, &c.Source)
	return &c, err
}

// RecordConnectionCheck implements hub.ConnectionCheckStore. The update of
// the connection row comes first, so concurrent checks of one connection
// queue on its lock and the history trim sees every insert before it.
func (s *ConnectionStore) RecordConnectionCheck(ctx context.Context, tenantID string, chk *hub.ConnectionCheck) error {
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("postgres: connection check id: %w", err)
	}
	if chk.LatencyMS < 0 {
		chk.LatencyMS = 0
	}
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var at time.Time
		if err := tx.QueryRow(ctx, `UPDATE connections SET status = $3, last_error = $4, last_checked_at = now(), updated_at = now()
			WHERE tenant_id = $1 AND id = $2 RETURNING last_checked_at`, tenantID, chk.ConnectionID, chk.Status, chk.Error).Scan(&at); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO connection_checks (id, tenant_id, connection_id, checked_at, status, ok, error, latency_ms, source)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			id.String(), tenantID, chk.ConnectionID, at, chk.Status, chk.OK, chk.Error, chk.LatencyMS, chk.Source); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM connection_checks WHERE id IN (
				SELECT id FROM connection_checks WHERE tenant_id = $1 AND connection_id = $2
				ORDER BY checked_at DESC, id DESC OFFSET $3)`, tenantID, chk.ConnectionID, hub.ConnectionCheckHistory); err != nil {
			return err
		}
		chk.ID, chk.TenantID, chk.CheckedAt = id.String(), tenantID, at
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: record connection check: %w", notFound(err, "Connection"))
	}
	return nil
}

// ListConnectionChecks implements hub.ConnectionCheckStore. An unknown
// connection has no checks.
func (s *ConnectionStore) ListConnectionChecks(ctx context.Context, tenantID, connectionID string, page hub.Page) ([]*hub.ConnectionCheck, string, error) {
	if _, err := uuid.Parse(connectionID); err != nil {
		return nil, "", hub.Errorf(hub.ENOTFOUND, "Connection not found.")
	}
	return listPage(ctx, s.db, tenantID, page, "list connection checks", `SELECT `+connectionCheckColumns+` FROM connection_checks
		WHERE tenant_id = $1 AND (checked_at, id) < ($2, $3::uuid) AND connection_id = $4 ORDER BY checked_at DESC, id DESC LIMIT $5`,
		scanConnectionCheck, func(c *hub.ConnectionCheck) (time.Time, string) { return c.CheckedAt, c.ID }, connectionID)
}

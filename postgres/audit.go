package postgres

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	hub "github.com/bizoshub/bizos"
)

// AuditLog implements hub.AuditLog.
type AuditLog struct{ db *DB }

// NewAuditLog returns an AuditLog on db.
func NewAuditLog(db *DB) *AuditLog { return &AuditLog{db: db} }

var _ hub.AuditLog = (*AuditLog)(nil)

// RecordAudit implements hub.AuditLog. Entries without a tenant (global
// actions such as creating a tenant before it exists) are written in the
// system scope.
func (a *AuditLog) RecordAudit(ctx context.Context, e *hub.AuditEntry) error {
	insert := func(tx pgx.Tx) error {
		details := e.Details
		if details == nil {
			details = map[string]any{}
		}
		return tx.QueryRow(ctx, `INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id, request_id, ip, details)
			VALUES (nullif($1, '')::uuid, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, created_at`,
			e.TenantID, e.ActorType, e.ActorID, e.Action, e.TargetType, e.TargetID, e.RequestID, e.IP, details).
			Scan(&e.ID, &e.CreatedAt)
	}
	var err error
	if e.TenantID == "" {
		err = a.db.InSystem(ctx, insert)
	} else {
		err = a.db.InTenant(ctx, e.TenantID, insert)
	}
	if err != nil {
		return fmt.Errorf("postgres: record audit %s: %w", e.Action, err)
	}
	return nil
}

// ListAudit implements hub.AuditLog.
func (a *AuditLog) ListAudit(ctx context.Context, tenantID string, page hub.Page) ([]*hub.AuditEntry, string, error) {
	page = page.Normalize()
	before := int64(1<<63 - 1)
	if page.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(page.Cursor)
		n, perr := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || perr != nil {
			return nil, "", hub.InvalidField("cursor", "is not a cursor returned by this list")
		}
		before = n
	}
	var out []*hub.AuditEntry
	err := a.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, coalesce(tenant_id::text, ''), actor_type, actor_id, action, target_type, target_id,
			request_id, ip, details, created_at FROM audit_log WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`,
			tenantID, before, page.Limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*hub.AuditEntry, error) {
			var e hub.AuditEntry
			err := r.Scan(&e.ID, &e.TenantID, &e.ActorType, &e.ActorID, &e.Action, &e.TargetType, &e.TargetID,
				&e.RequestID, &e.IP, &e.Details, &e.CreatedAt)
			return &e, err
		})
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list audit: %w", notFound(err, "Tenant"))
	}
	next := ""
	if n := len(out); n == page.Limit {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(out[n-1].ID, 10)))
	}
	return out, next, nil
}

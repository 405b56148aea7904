package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	hub "github.com/bizoshub/bizos"
)

// TenantStore implements hub.TenantStore.
type TenantStore struct{ db *DB }

// NewTenantStore returns a TenantStore on db.
func NewTenantStore(db *DB) *TenantStore { return &TenantStore{db: db} }

var _ hub.TenantStore = (*TenantStore)(nil)

// CreateTenant implements hub.TenantStore.
func (s *TenantStore) CreateTenant(ctx context.Context, t *hub.Tenant) error {
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("postgres: tenant id: %w", err)
	}
	t.ID = id.String()
	if t.Status == "" {
		t.Status = hub.TenantActive
	}
	err = s.db.InSystem(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx,
			`INSERT INTO tenants (id, name, slug, status) VALUES ($1, $2, $3, $4) RETURNING created_at`,
			t.ID, t.Name, t.Slug, t.Status).Scan(&t.CreatedAt)
	})
	if isUniqueViolation(err) {
		return hub.Errorf(hub.ECONFLICT, "A tenant with slug %q already exists.", t.Slug)
	}
	if err != nil {
		return fmt.Errorf("postgres: create tenant: %w", err)
	}
	return nil
}

// Tenant implements hub.TenantStore.
func (s *TenantStore) Tenant(ctx context.Context, tenantID string) (*hub.Tenant, error) {
	var t hub.Tenant
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT id, name, slug, status, created_at FROM tenants WHERE id = $1`, tenantID).
			Scan(&t.ID, &t.Name, &t.Slug, &t.Status, &t.CreatedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: tenant: %w", notFound(err, "Tenant"))
	}
	return &t, nil
}

// ListTenants implements hub.TenantStore.
func (s *TenantStore) ListTenants(ctx context.Context, page hub.Page) ([]*hub.Tenant, string, error) {
	page = page.Normalize()
	c, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	at, id := pageArgs(c)
	var out []*hub.Tenant
	err = s.db.InSystem(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, name, slug, status, created_at FROM tenants
			WHERE (created_at, id) < ($1, $2::uuid) ORDER BY created_at DESC, id DESC LIMIT $3`, at, id, page.Limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*hub.Tenant, error) {
			var t hub.Tenant
			return &t, r.Scan(&t.ID, &t.Name, &t.Slug, &t.Status, &t.CreatedAt)
		})
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list tenants: %w", err)
	}
	next := ""
	if n := len(out); n > 0 {
		next = nextCursor(n, page.Limit, out[n-1].CreatedAt, out[n-1].ID)
	}
	return out, next, nil
}

// SetTenantStatus implements hub.TenantStore.
func (s *TenantStore) SetTenantStatus(ctx context.Context, tenantID, status string) (*hub.Tenant, error) {
	var t hub.Tenant
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `UPDATE tenants SET status = $2 WHERE id = $1
			RETURNING id, name, slug, status, created_at`, tenantID, status).
			Scan(&t.ID, &t.Name, &t.Slug, &t.Status, &t.CreatedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: set tenant status: %w", notFound(err, "Tenant"))
	}
	return &t, nil
}

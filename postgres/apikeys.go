package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	hub "github.com/bizoshub/bizos"
)

// APIKeyStore implements hub.APIKeyStore.
type APIKeyStore struct{ db *DB }

// NewAPIKeyStore returns an APIKeyStore on db.
func NewAPIKeyStore(db *DB) *APIKeyStore { return &APIKeyStore{db: db} }

var _ hub.APIKeyStore = (*APIKeyStore)(nil)

const apiKeyColumns = `id, tenant_id, name, prefix, scopes, created_by, created_at, expires_at, revoked_at, last_used_at`

func scanAPIKey(r pgx.CollectableRow) (*hub.APIKey, error) {
	var k hub.APIKey
	err := r.Scan(&k.ID, &k.TenantID, &k.Name, &k.Prefix, &k.Scopes, &k.CreatedBy, &k.CreatedAt, &k.ExpiresAt, &k.RevokedAt, &k.LastUsedAt)
	return &k, err
}

// CreateAPIKey implements hub.APIKeyStore.
func (s *APIKeyStore) CreateAPIKey(ctx context.Context, k *hub.APIKey, hash []byte) error {
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("postgres: api key id: %w", err)
	}
	k.ID = id.String()
	err = s.db.InTenant(ctx, k.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, scopes, created_by, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING created_at`,
			k.ID, k.TenantID, k.Name, k.Prefix, hash, k.Scopes, k.CreatedBy, k.ExpiresAt).Scan(&k.CreatedAt)
	})
	if isUniqueViolation(err) {
		return hub.Errorf(hub.ECONFLICT, "API key prefix collision; try again.")
	}
	if err != nil {
		return fmt.Errorf("postgres: create api key: %w", err)
	}
	return nil
}

// APIKeyByPrefix implements hub.APIKeyStore.
func (s *APIKeyStore) APIKeyByPrefix(ctx context.Context, prefix string) (*hub.APIKey, []byte, error) {
	var k *hub.APIKey
	var hash []byte
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+apiKeyColumns+`, key_hash FROM api_keys WHERE prefix = $1`, prefix)
		if err != nil {
			return err
		}
		k, err = pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (*hub.APIKey, error) {
			var k hub.APIKey
			err := r.Scan(&k.ID, &k.TenantID, &k.Name, &k.Prefix, &k.Scopes, &k.CreatedBy, &k.CreatedAt, &k.ExpiresAt, &k.RevokedAt, &k.LastUsedAt, &hash)
			return &k, err
		})
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: api key by prefix: %w", notFound(err, "API key"))
	}
	return k, hash, nil
}

// ListAPIKeys implements hub.APIKeyStore.
func (s *APIKeyStore) ListAPIKeys(ctx context.Context, tenantID string, page hub.Page) ([]*hub.APIKey, string, error) {
	page = page.Normalize()
	c, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	at, id := pageArgs(c)
	var out []*hub.APIKey
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys
			WHERE tenant_id = $1 AND (created_at, id) < ($2, $3::uuid) ORDER BY created_at DESC, id DESC LIMIT $4`,
			tenantID, at, id, page.Limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanAPIKey)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list api keys: %w", notFound(err, "Tenant"))
	}
	next := ""
	if n := len(out); n > 0 {
		next = nextCursor(n, page.Limit, out[n-1].CreatedAt, out[n-1].ID)
	}
	return out, next, nil
}

// RevokeAPIKey implements hub.APIKeyStore.
func (s *APIKeyStore) RevokeAPIKey(ctx context.Context, tenantID, keyID string, now time.Time) (*hub.APIKey, error) {
	var k *hub.APIKey
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, $3)
			WHERE tenant_id = $1 AND id = $2 RETURNING `+apiKeyColumns, tenantID, keyID, now)
		if err != nil {
			return err
		}
		k, err = pgx.CollectExactlyOneRow(rows, scanAPIKey)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: revoke api key: %w", notFound(err, "API key"))
	}
	return k, nil
}

// TouchAPIKey implements hub.APIKeyStore. It writes at most once a minute
// per key so authentication stays cheap.
func (s *APIKeyStore) TouchAPIKey(ctx context.Context, tenantID, keyID string, now time.Time) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE api_keys SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2
			AND (last_used_at IS NULL OR last_used_at < $3 - interval '1 minute')`, tenantID, keyID, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: touch api key: %w", err)
	}
	return nil
}

package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	hub "github.com/bizoshub/bizos"
)

// ConnectionStore implements hub.ConnectionStore. Credentials are sealed as
// one JSON document bound to the connection id.
type ConnectionStore struct {
	db     *DB
	cipher hub.Cipher
}

// NewConnectionStore returns a ConnectionStore on db that seals with cipher.
func NewConnectionStore(db *DB, cipher hub.Cipher) *ConnectionStore {
	return &ConnectionStore{db: db, cipher: cipher}
}

var _ hub.ConnectionStore = (*ConnectionStore)(nil)

func credentialsAAD(id string) []byte { return []byte("connections:" + id) }

func (s *ConnectionStore) seal(id string, creds *hub.Credentials) ([]byte, error) {
	plain, err := json.Marshal(creds)
	if err != nil {
		return nil, fmt.Errorf("encode credentials: %w", err)
	}
	return s.cipher.Encrypt(plain, credentialsAAD(id))
}

func (s *ConnectionStore) open(id string, sealed []byte) (*hub.Credentials, error) {
	plain, err := s.cipher.Decrypt(sealed, credentialsAAD(id))
	if err != nil {
		return nil, fmt.Errorf("open credentials of %s: %w", id, err)
	}
	var c hub.Credentials
	if err := json.Unmarshal(plain, &c); err != nil {
		return nil, fmt.Errorf("decode credentials of %s: %w", id, err)
	}
	return &c, nil
}

func expiryPtr(creds *hub.Credentials) *time.Time {
	if creds.Expiry.IsZero() {
		return nil
	}
	t := creds.Expiry
	return &t
}

const connectionColumns = `id, tenant_id, provider, name, auth_mode, config, scopes, status, last_error,
	last_checked_at, token_expires_at, created_by, created_at, updated_at, inbound_token`

func scanConnection(r pgx.CollectableRow) (*hub.Connection, error) {
	var c hub.Connection
	err := r.Scan(&c.ID, &c.TenantID, &c.Provider, &c.Name, &c.AuthMode, &c.Config, &c.Scopes, &c.Status, &c.LastError,
		&c.LastCheckedAt, &c.TokenExpiresAt, &c.CreatedBy, &c.CreatedAt, &c.UpdatedAt, &c.InboundToken)
	if c.Config == nil {
		c.Config = map[string]string{}
	}
	return &c, err
}

// CreateConnection implements hub.ConnectionStore.
func (s *ConnectionStore) CreateConnection(ctx context.Context, c *hub.Connection, creds *hub.Credentials) error {
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("postgres: connection id: %w", err)
	}
	c.ID = id.String()
	sealed, err := s.seal(c.ID, creds)
	if err != nil {
		return fmt.Errorf("postgres: create connection: %w", err)
	}
	if c.Status == "" {
		c.Status = hub.ConnectionConnected
	}
	if c.Config == nil {
		c.Config = map[string]string{}
	}
	if c.Scopes == nil {
		c.Scopes = []string{}
	}
	c.TokenExpiresAt = expiryPtr(creds)
	err = s.db.InTenant(ctx, c.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO connections (id, tenant_id, provider, name, auth_mode, config, scopes, status,
				last_error, last_checked_at, token_expires_at, credentials_sealed, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now(), $10, $11, $12) RETURNING created_at, updated_at, last_checked_at, inbound_token`,
			c.ID, c.TenantID, c.Provider, c.Name, c.AuthMode, c.Config, c.Scopes, c.Status, c.LastError,
			c.TokenExpiresAt, sealed, c.CreatedBy).Scan(&c.CreatedAt, &c.UpdatedAt, &c.LastCheckedAt, &c.InboundToken)
	})
	if err != nil {
		return fmt.Errorf("postgres: create connection: %w", err)
	}
	return nil
}

// Connection implements hub.ConnectionStore.
func (s *ConnectionStore) Connection(ctx context.Context, tenantID, id string) (*hub.Connection, error) {
	var c *hub.Connection
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+connectionColumns+` FROM connections WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err != nil {
			return err
		}
		c, err = pgx.CollectExactlyOneRow(rows, scanConnection)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: connection: %w", notFound(err, "Connection"))
	}
	return c, nil
}

// ListConnections implements hub.ConnectionStore.
func (s *ConnectionStore) ListConnections(ctx context.Context, tenantID string, page hub.Page) ([]*hub.Connection, string, error) {
	page = page.Normalize()
	cur, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	at, id := pageArgs(cur)
	var out []*hub.Connection
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+connectionColumns+` FROM connections
			WHERE tenant_id = $1 AND (created_at, id) < ($2, $3::uuid) ORDER BY created_at DESC, id DESC LIMIT $4`,
			tenantID, at, id, page.Limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanConnection)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list connections: %w", notFound(err, "Tenant"))
	}
	next := ""
	if n := len(out); n > 0 {
		next = nextCursor(n, page.Limit, out[n-1].CreatedAt, out[n-1].ID)
	}
	return out, next, nil
}

// ConnectionCredentials implements hub.ConnectionStore.
func (s *ConnectionStore) ConnectionCredentials(ctx context.Context, tenantID, id string) (*hub.Credentials, int64, error) {
	var sealed []byte
	var version int64
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT credentials_sealed, credentials_version FROM connections WHERE tenant_id = $1 AND id = $2`,
			tenantID, id).Scan(&sealed, &version)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: connection credentials: %w", notFound(err, "Connection"))
	}
	creds, err := s.open(id, sealed)
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: %w", err)
	}
	return creds, version, nil
}

// UpdateCredentials implements hub.ConnectionStore.
func (s *ConnectionStore) UpdateCredentials(ctx context.Context, tenantID, id string, creds *hub.Credentials, version int64) (int64, error) {
	sealed, err := s.seal(id, creds)
	if err != nil {
		return 0, fmt.Errorf("postgres: update credentials: %w", err)
	}
	var next int64
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `UPDATE connections SET credentials_sealed = $4, credentials_version = credentials_version + 1,
				token_expires_at = $5, status = 'connected', last_error = '', updated_at = now()
			WHERE tenant_id = $1 AND id = $2 AND credentials_version = $3 RETURNING credentials_version`,
			tenantID, id, version, sealed, expiryPtr(creds)).Scan(&next)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, hub.Errorf(hub.ECONFLICT, "The connection's credentials changed meanwhile.")
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: update credentials: %w", err)
	}
	return next, nil
}

// SetConnectionStatus implements hub.ConnectionStore.
func (s *ConnectionStore) SetConnectionStatus(ctx context.Context, tenantID, id, status, lastError string) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE connections SET status = $3, last_error = $4, last_checked_at = now(), updated_at = now()
			WHERE tenant_id = $1 AND id = $2`, tenantID, id, status, lastError)
		if err == nil && tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: set connection status: %w", notFound(err, "Connection"))
	}
	return nil
}

// DeleteConnection implements hub.ConnectionStore.
func (s *ConnectionStore) DeleteConnection(ctx context.Context, tenantID, id string) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM connections WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err == nil && tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: delete connection: %w", notFound(err, "Connection"))
	}
	return nil
}

// ReencryptCredentials re-seals every connection's credentials that are not
// sealed under the cipher's current key, in batches, and returns how many.
func (s *ConnectionStore) ReencryptCredentials(ctx context.Context) (int, error) {
	total := 0
	for {
		n := 0
		err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `SELECT id, credentials_sealed FROM connections ORDER BY id FOR UPDATE SKIP LOCKED`)
			if err != nil {
				return err
			}
			type sealedRow struct {
				id     string
				sealed []byte
			}
			all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sealedRow, error) {
				var x sealedRow
				return x, r.Scan(&x.id, &x.sealed)
			})
			if err != nil {
				return err
			}
			for _, row := range all {
				if s.cipher.Current(row.sealed) {
					continue
				}
				creds, err := s.open(row.id, row.sealed)
				if err != nil {
					return err
				}
				resealed, err := s.seal(row.id, creds)
				if err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `UPDATE connections SET credentials_sealed = $2 WHERE id = $1`, row.id, resealed); err != nil {
					return err
				}
				n++
				if n == 500 {
					break
				}
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("postgres: reencrypt credentials: %w", err)
		}
		total += n
		if n < 500 {
			return total, nil
		}
	}
}

// StaleConnections implements hub.ConnectionSweeper.
func (s *ConnectionStore) StaleConnections(ctx context.Context, before time.Time, limit int) ([]hub.ConnectionRef, error) {
	var out []hub.ConnectionRef
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT tenant_id, id FROM connections
			WHERE status <> 'expired' AND (last_checked_at IS NULL OR last_checked_at < $1)
			ORDER BY last_checked_at NULLS FIRST, id LIMIT $2`, before, limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (hub.ConnectionRef, error) {
			var ref hub.ConnectionRef
			return ref, r.Scan(&ref.TenantID, &ref.ID)
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: stale connections: %w", err)
	}
	return out, nil
}

// ConnectionByInboundToken implements hub.ConnectionStore. It runs in the
// system scope: the token is what establishes the tenant.
func (s *ConnectionStore) ConnectionByInboundToken(ctx context.Context, token string) (*hub.Connection, error) {
	var c *hub.Connection
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+connectionColumns+` FROM connections WHERE inbound_token = $1`, token)
		if err != nil {
			return err
		}
		c, err = pgx.CollectExactlyOneRow(rows, scanConnection)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: connection by inbound token: %w", notFound(err, "Webhook endpoint"))
	}
	return c, nil
}

package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	hub "github.com/bizoshub/bizos"
)

// OAuthAppStore implements hub.OAuthAppStore.
type OAuthAppStore struct {
	db     *DB
	cipher hub.Cipher
}

// NewOAuthAppStore returns an OAuthAppStore on db that seals with cipher.
func NewOAuthAppStore(db *DB, cipher hub.Cipher) *OAuthAppStore {
	return &OAuthAppStore{db: db, cipher: cipher}
}

var _ hub.OAuthAppStore = (*OAuthAppStore)(nil)

func oauthAppAAD(tenantID, provider string) []byte {
	return []byte("oauth_apps:" + tenantID + ":" + provider)
}

// PutOAuthApp implements hub.OAuthAppStore.
func (s *OAuthAppStore) PutOAuthApp(ctx context.Context, app *hub.OAuthApp) error {
	sealed, err := s.cipher.Encrypt([]byte(app.ClientSecret), oauthAppAAD(app.TenantID, app.Provider))
	if err != nil {
		return fmt.Errorf("postgres: seal oauth app: %w", err)
	}
	err = s.db.InTenant(ctx, app.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO oauth_apps (tenant_id, provider, client_id, client_secret_sealed) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant_id, provider) DO UPDATE SET client_id = EXCLUDED.client_id,
				client_secret_sealed = EXCLUDED.client_secret_sealed, created_at = now()
			RETURNING created_at`, app.TenantID, app.Provider, app.ClientID, sealed).Scan(&app.CreatedAt)
	})
	if err != nil {
		return fmt.Errorf("postgres: put oauth app: %w", err)
	}
	return nil
}

// OAuthApp implements hub.OAuthAppStore.
func (s *OAuthAppStore) OAuthApp(ctx context.Context, tenantID, provider string) (*hub.OAuthApp, error) {
	app := hub.OAuthApp{TenantID: tenantID, Provider: provider}
	var sealed []byte
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT client_id, client_secret_sealed, created_at FROM oauth_apps WHERE tenant_id = $1 AND provider = $2`,
			tenantID, provider).Scan(&app.ClientID, &sealed, &app.CreatedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: oauth app: %w", notFound(err, "OAuth app"))
	}
	secret, err := s.cipher.Decrypt(sealed, oauthAppAAD(tenantID, provider))
	if err != nil {
		return nil, fmt.Errorf("postgres: open oauth app: %w", err)
	}
	app.ClientSecret = string(secret)
	return &app, nil
}

// ListOAuthApps implements hub.OAuthAppStore.
func (s *OAuthAppStore) ListOAuthApps(ctx context.Context, tenantID string) ([]*hub.OAuthApp, error) {
	var out []*hub.OAuthApp
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT tenant_id, provider, client_id, created_at FROM oauth_apps WHERE tenant_id = $1 ORDER BY provider`, tenantID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*hub.OAuthApp, error) {
			var a hub.OAuthApp
			return &a, r.Scan(&a.TenantID, &a.Provider, &a.ClientID, &a.CreatedAt)
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list oauth apps: %w", notFound(err, "Tenant"))
	}
	return out, nil
}

// DeleteOAuthApp implements hub.OAuthAppStore.
func (s *OAuthAppStore) DeleteOAuthApp(ctx context.Context, tenantID, provider string) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM oauth_apps WHERE tenant_id = $1 AND provider = $2`, tenantID, provider)
		if err == nil && tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: delete oauth app: %w", notFound(err, "OAuth app"))
	}
	return nil
}

// ReencryptOAuthApps re-seals client secrets not sealed under the current key.
func (s *OAuthAppStore) ReencryptOAuthApps(ctx context.Context) (int, error) {
	n := 0
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT tenant_id::text, provider, client_secret_sealed FROM oauth_apps FOR UPDATE`)
		if err != nil {
			return err
		}
		type row struct {
			tenant, provider string
			sealed           []byte
		}
		all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			return x, r.Scan(&x.tenant, &x.provider, &x.sealed)
		})
		if err != nil {
			return err
		}
		for _, x := range all {
			if s.cipher.Current(x.sealed) {
				continue
			}
			plain, err := s.cipher.Decrypt(x.sealed, oauthAppAAD(x.tenant, x.provider))
			if err != nil {
				return err
			}
			resealed, err := s.cipher.Encrypt(plain, oauthAppAAD(x.tenant, x.provider))
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE oauth_apps SET client_secret_sealed = $3 WHERE tenant_id = $1 AND provider = $2`,
				x.tenant, x.provider, resealed); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: reencrypt oauth apps: %w", err)
	}
	return n, nil
}

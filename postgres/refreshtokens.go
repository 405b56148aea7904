package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	hub "github.com/bizoshub/bizos"
)

// RefreshTokenStore implements hub.RefreshTokenStore. Refresh tokens belong to
// a user (and the tenant the session is in); they are looked up by hash before
// the caller's tenant is known, so the store works in the system scope.
type RefreshTokenStore struct{ db *DB }

// NewRefreshTokenStore returns a RefreshTokenStore on db.
func NewRefreshTokenStore(db *DB) *RefreshTokenStore { return &RefreshTokenStore{db: db} }

var _ hub.RefreshTokenStore = (*RefreshTokenStore)(nil)

var errRefreshInvalid = hub.Errorf(hub.EUNAUTHORIZED, "The refresh token is invalid or expired.")

func insertRefreshToken(ctx context.Context, tx pgx.Tx, t *hub.RefreshToken) error {
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("refresh token id: %w", err)
	}
	t.ID = id.String()
	if t.FamilyID == "" {
		t.FamilyID = t.ID
	}
	return tx.QueryRow(ctx, `INSERT INTO refresh_tokens (id, family_id, user_id, tenant_id, token_hash, expires_at)
		VALUES ($1, $2, $3, nullif($4, '')::uuid, $5, $6) RETURNING created_at`,
		t.ID, t.FamilyID, t.UserID, t.TenantID, t.Hash, t.ExpiresAt).Scan(&t.CreatedAt)
}

// CreateRefreshToken implements hub.RefreshTokenStore.
func (s *RefreshTokenStore) CreateRefreshToken(ctx context.Context, t *hub.RefreshToken) error {
	if err := s.db.InSystem(ctx, func(tx pgx.Tx) error { return insertRefreshToken(ctx, tx, t) }); err != nil {
		return fmt.Errorf("postgres: create refresh token: %w", err)
	}
	return nil
}

// RefreshToken implements hub.RefreshTokenStore.
func (s *RefreshTokenStore) RefreshToken(ctx context.Context, hash []byte, now time.Time) (*hub.RefreshToken, error) {
	var t hub.RefreshToken
	var tenantID *string
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT id, family_id, user_id, tenant_id::text, expires_at, created_at
			FROM refresh_tokens WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2`, hash, now).
			Scan(&t.ID, &t.FamilyID, &t.UserID, &tenantID, &t.ExpiresAt, &t.CreatedAt)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errRefreshInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: refresh token: %w", err)
	}
	if tenantID != nil {
		t.TenantID = *tenantID
	}
	t.Hash = hash
	return &t, nil
}

// RotateRefreshToken implements hub.RefreshTokenStore.
func (s *RefreshTokenStore) RotateRefreshToken(ctx context.Context, old []byte, next *hub.RefreshToken, now time.Time) (*hub.RefreshToken, error) {
	var spent hub.RefreshToken
	reused := false
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		var usedAt, revokedAt *time.Time
		var tenantID *string
		err := tx.QueryRow(ctx, `SELECT id, family_id, user_id, tenant_id::text, expires_at, created_at, used_at, revoked_at
			FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`, old).
			Scan(&spent.ID, &spent.FamilyID, &spent.UserID, &tenantID, &spent.ExpiresAt, &spent.CreatedAt, &usedAt, &revokedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return errRefreshInvalid
		}
		if err != nil {
			return err
		}
		if tenantID != nil {
			spent.TenantID = *tenantID
		}
		if usedAt != nil || revokedAt != nil {
			// A spent token came back: someone holds a copy. End the family.
			if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $2
				WHERE family_id = $1 AND revoked_at IS NULL`, spent.FamilyID, now); err != nil {
				return err
			}
			reused = true
			return nil
		}
		if !now.Before(spent.ExpiresAt) {
			return errRefreshInvalid
		}
		if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET used_at = $2 WHERE id = $1`, spent.ID, now); err != nil {
			return err
		}
		next.FamilyID, next.UserID = spent.FamilyID, spent.UserID
		if next.TenantID == "" {
			next.TenantID = spent.TenantID
		}
		return insertRefreshToken(ctx, tx, next)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: rotate refresh token: %w", err)
	}
	if reused {
		return nil, &hub.Error{Code: hub.EUNAUTHORIZED, Message: "The refresh token was already used; the session has been ended.",
			Err: fmt.Errorf("refresh token reuse detected in family %s", spent.FamilyID)}
	}
	return &spent, nil
}

// RevokeRefreshFamily implements hub.RefreshTokenStore.
func (s *RefreshTokenStore) RevokeRefreshFamily(ctx context.Context, hash []byte, now time.Time) error {
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $2
			WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL`, hash, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: revoke refresh family: %w", err)
	}
	return nil
}

// PurgeRefreshTokens implements hub.RefreshTokenStore.
func (s *RefreshTokenStore) PurgeRefreshTokens(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM refresh_tokens WHERE expires_at < $1`, before)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: purge refresh tokens: %w", err)
	}
	return n, nil
}

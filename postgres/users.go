package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	hub "github.com/bizoshub/bizos"
)

// UserStore implements hub.UserStore.
type UserStore struct{ db *DB }

// NewUserStore returns a UserStore on db.
func NewUserStore(db *DB) *UserStore { return &UserStore{db: db} }

var _ hub.UserStore = (*UserStore)(nil)

// CreateUser implements hub.UserStore.
func (s *UserStore) CreateUser(ctx context.Context, u *hub.User, passwordHash string) error {
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("postgres: user id: %w", err)
	}
	u.ID = id.String()
	err = s.db.InSystem(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO users (id, email, password_hash, is_super_admin)
			VALUES ($1, $2, $3, $4) RETURNING created_at`, u.ID, u.Email, passwordHash, u.SuperAdmin).Scan(&u.CreatedAt)
	})
	if isUniqueViolation(err) {
		return hub.Errorf(hub.ECONFLICT, "A user with this email already exists.")
	}
	if err != nil {
		return fmt.Errorf("postgres: create user: %w", err)
	}
	return nil
}

// UserByEmail implements hub.UserStore.
func (s *UserStore) UserByEmail(ctx context.Context, email string) (*hub.User, string, error) {
	var u hub.User
	var hash string
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT id, email, is_super_admin, created_at, password_hash
			FROM users WHERE lower(email) = lower($1)`, email).Scan(&u.ID, &u.Email, &u.SuperAdmin, &u.CreatedAt, &hash)
	})
	if err != nil {
		return nil, "", fmt.Errorf("postgres: user by email: %w", notFound(err, "User"))
	}
	return &u, hash, nil
}

// User implements hub.UserStore.
func (s *UserStore) User(ctx context.Context, userID string) (*hub.User, error) {
	var u hub.User
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT id, email, is_super_admin, created_at FROM users WHERE id = $1`, userID).
			Scan(&u.ID, &u.Email, &u.SuperAdmin, &u.CreatedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: user: %w", notFound(err, "User"))
	}
	return &u, nil
}

// AddMembership implements hub.UserStore.
func (s *UserStore) AddMembership(ctx context.Context, tenantID, userID string, role hub.Role) (*hub.Membership, error) {
	m := hub.Membership{TenantID: tenantID, UserID: userID, Role: role}
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `WITH m AS (
				INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3) RETURNING created_at, user_id, tenant_id)
			SELECT m.created_at, u.email, t.name FROM m JOIN users u ON u.id = m.user_id JOIN tenants t ON t.id = m.tenant_id`,
			tenantID, userID, string(role)).Scan(&m.CreatedAt, &m.Email, &m.TenantName)
	})
	if isUniqueViolation(err) {
		return nil, hub.Errorf(hub.ECONFLICT, "This user is already a member of the tenant.")
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: add membership: %w", err)
	}
	return &m, nil
}

// membershipColumns and membershipFrom select memberships with the user's
// email and the tenant's name.
const (
	membershipColumns = `m.tenant_id, t.name, m.user_id, u.email, m.role, m.created_at`
	membershipFrom    = ` FROM memberships m JOIN users u ON u.id = m.user_id JOIN tenants t ON t.id = m.tenant_id`
)

func scanMembership(r pgx.CollectableRow) (*hub.Membership, error) {
	var m hub.Membership
	var role string
	err := r.Scan(&m.TenantID, &m.TenantName, &m.UserID, &m.Email, &role, &m.CreatedAt)
	m.Role = hub.Role(role)
	return &m, err
}

// Membership implements hub.UserStore.
func (s *UserStore) Membership(ctx context.Context, tenantID, userID string) (*hub.Membership, error) {
	var m *hub.Membership
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+membershipColumns+membershipFrom+`
			WHERE m.tenant_id = $1 AND m.user_id = $2`, tenantID, userID)
		if err != nil {
			return err
		}
		m, err = pgx.CollectExactlyOneRow(rows, scanMembership)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: membership: %w", notFound(err, "Membership"))
	}
	return m, nil
}

// UserMemberships implements hub.UserStore.
func (s *UserStore) UserMemberships(ctx context.Context, userID string) ([]*hub.Membership, error) {
	var out []*hub.Membership
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+membershipColumns+membershipFrom+`
			WHERE m.user_id = $1 ORDER BY m.created_at, m.tenant_id`, userID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanMembership)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: user memberships: %w", notFound(err, "User"))
	}
	return out, nil
}

// ListMembers implements hub.UserStore.
func (s *UserStore) ListMembers(ctx context.Context, tenantID string, page hub.Page) ([]*hub.Membership, string, error) {
	page = page.Normalize()
	c, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	at, id := pageArgs(c)
	var out []*hub.Membership
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+membershipColumns+membershipFrom+`
			WHERE m.tenant_id = $1 AND (m.created_at, m.user_id) < ($2, $3::uuid)
			ORDER BY m.created_at DESC, m.user_id DESC LIMIT $4`, tenantID, at, id, page.Limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanMembership)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list members: %w", notFound(err, "Tenant"))
	}
	next := ""
	if n := len(out); n > 0 {
		next = nextCursor(n, page.Limit, out[n-1].CreatedAt, out[n-1].UserID)
	}
	return out, next, nil
}

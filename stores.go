package hub

import (
	"context"
	"time"
)

// TenantStore persists tenants.
type TenantStore interface {
	// CreateTenant stores t, filling ID and CreatedAt. A duplicate slug is ECONFLICT.
	CreateTenant(ctx context.Context, t *Tenant) error
	// Tenant returns one tenant or ENOTFOUND.
	Tenant(ctx context.Context, tenantID string) (*Tenant, error)
	// ListTenants pages through all tenants, newest first.
	ListTenants(ctx context.Context, page Page) ([]*Tenant, string, error)
	// SetTenantStatus changes a tenant's status.
	SetTenantStatus(ctx context.Context, tenantID, status string) (*Tenant, error)
}

// UserStore persists users and their tenant memberships.
type UserStore interface {
	// CreateUser stores u with its password hash, filling ID and CreatedAt.
	// A duplicate email is ECONFLICT.
	CreateUser(ctx context.Context, u *User, passwordHash string) error
	// UserByEmail returns the user and password hash for a login, or ENOTFOUND.
	UserByEmail(ctx context.Context, email string) (*User, string, error)
	// User returns one user or ENOTFOUND.
	User(ctx context.Context, userID string) (*User, error)
	// AddMembership gives the user a role in the tenant; an existing
	// membership is ECONFLICT.
	AddMembership(ctx context.Context, tenantID, userID string, role Role) (*Membership, error)
	// Membership returns the user's membership in the tenant or ENOTFOUND.
	Membership(ctx context.Context, tenantID, userID string) (*Membership, error)
	// UserMemberships lists every tenant the user belongs to.
	UserMemberships(ctx context.Context, userID string) ([]*Membership, error)
	// ListMembers pages through a tenant's members, newest first.
	ListMembers(ctx context.Context, tenantID string, page Page) ([]*Membership, string, error)
}

// RefreshTokenStore persists refresh-token families.
type RefreshTokenStore interface {
	// CreateRefreshToken stores a new token (starting or continuing a family).
	CreateRefreshToken(ctx context.Context, t *RefreshToken) error
	// RefreshToken returns the token with this hash when it can still be
	// spent at now (not used, revoked or expired), without spending it;
	// any other is EUNAUTHORIZED. It lets a caller check a request against
	// the session before rotating.
	RefreshToken(ctx context.Context, hash []byte, now time.Time) (*RefreshToken, error)
	// RotateRefreshToken atomically spends the token with hash old and stores
	// next in the same family, returning the spent token. next carries the
	// spent token's tenant unless next.TenantID is set (a tenant switch).
	// Presenting a token that was already spent or revoked revokes its whole
	// family and is EUNAUTHORIZED; an unknown or expired token is EUNAUTHORIZED.
	RotateRefreshToken(ctx context.Context, old []byte, next *RefreshToken, now time.Time) (*RefreshToken, error)
	// RevokeRefreshFamily revokes the family of the token with this hash.
	// An unknown hash is not an error.
	RevokeRefreshFamily(ctx context.Context, hash []byte, now time.Time) error
	// PurgeRefreshTokens deletes tokens that expired before the given time.
	PurgeRefreshTokens(ctx context.Context, before time.Time) (int64, error)
}

// APIKeyStore persists API keys.
type APIKeyStore interface {
	// CreateAPIKey stores k with the hash of its secret, filling ID and CreatedAt.
	CreateAPIKey(ctx context.Context, k *APIKey, hash []byte) error
	// APIKeyByPrefix finds a key by its public prefix across tenants, for
	// authentication, with its stored hash. Unknown prefixes are ENOTFOUND.
	APIKeyByPrefix(ctx context.Context, prefix string) (*APIKey, []byte, error)
	// ListAPIKeys pages through a tenant's keys, newest first.
	ListAPIKeys(ctx context.Context, tenantID string, page Page) ([]*APIKey, string, error)
	// RevokeAPIKey revokes a tenant's key; an unknown id is ENOTFOUND.
	RevokeAPIKey(ctx context.Context, tenantID, keyID string, now time.Time) (*APIKey, error)
	// TouchAPIKey records that the key was used.
	TouchAPIKey(ctx context.Context, tenantID, keyID string, now time.Time) error
}

// SigningKeyStore persists access-token signing keys, encrypted at rest.
type SigningKeyStore interface {
	// SigningKeys returns every key not retired before the given time, newest first.
	SigningKeys(ctx context.Context, retiredAfter time.Time) ([]*SigningKey, error)
	// RotateSigningKey stores k as the newest key and retires the others at k.CreatedAt.
	RotateSigningKey(ctx context.Context, k *SigningKey) error
	// EnsureSigningKey stores k only when no unretired key exists, and
	// returns the newest unretired key. Safe to call from many replicas at once.
	EnsureSigningKey(ctx context.Context, k *SigningKey) (*SigningKey, error)
}

// AuditLog records and lists audit entries.
type AuditLog interface {
	// RecordAudit stores e, filling ID and CreatedAt.
	RecordAudit(ctx context.Context, e *AuditEntry) error
	// ListAudit pages through a tenant's entries, newest first.
	ListAudit(ctx context.Context, tenantID string, page Page) ([]*AuditEntry, string, error)
}

// Authorizer decides whether a principal may perform an action on a resource
// inside a tenant, and holds the role and scope grants that decision uses.
type Authorizer interface {
	// Authorize returns nil when allowed. A principal with no standing in the
	// tenant gets ENOTFOUND (so other tenants' ids stay invisible); one that
	// belongs to the tenant but lacks the permission gets EFORBIDDEN.
	Authorize(ctx context.Context, p Principal, tenantID, resource, action string) error
	// AssignRole grants a user a role in a tenant (tenantID "*" for global roles).
	AssignRole(ctx context.Context, userID, tenantID string, role Role) error
	// GrantScopes grants an API key its scopes ("resource:action") in a tenant.
	GrantScopes(ctx context.Context, keyID, tenantID string, scopes []string) error
	// RevokePrincipal removes every grant of a subject such as "api_key:<id>".
	RevokePrincipal(ctx context.Context, subject string) error
}

// RateLimiter counts events against a limit in a sliding window.
type RateLimiter interface {
	// Allow records one event for key and reports whether it is within limit
	// events per window; when not, it returns how long to wait.
	Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, time.Duration, error)
	// Reset forgets the events recorded for key.
	Reset(ctx context.Context, key string) error
}

package hub

import (
	"context"
	"crypto/ed25519"
	"strings"
	"time"
)

// Role is a user's role inside one tenant. RoleSuperAdmin is global.
type Role string

// Roles known to the hub, from most to least privileged.
const (
	RoleSuperAdmin  Role = "super_admin"
	RoleTenantAdmin Role = "tenant_admin"
	RoleMember      Role = "member"
	RoleViewer      Role = "viewer"
)

// TenantRoles are the roles a user can hold inside a tenant.
var TenantRoles = []Role{RoleTenantAdmin, RoleMember, RoleViewer}

// Valid reports whether r is a role a tenant membership can carry.
func (r Role) Valid() bool {
	for _, v := range TenantRoles {
		if r == v {
			return true
		}
	}
	return false
}

// Tenant is one customer organisation; every tenant-owned row carries its id.
type Tenant struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Slug      string    `json:"slug"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

// Tenant statuses.
const (
	TenantActive    = "active"
	TenantSuspended = "suspended"
)

// User is a person who can log in. Users are global; Membership ties a user to
// a tenant with a role.
type User struct {
	ID         string    `json:"id"`
	Email      string    `json:"email"`
	SuperAdmin bool      `json:"super_admin"`
	CreatedAt  time.Time `json:"created_at"`
}

// Membership is a user's role inside one tenant.
type Membership struct {
	TenantID string `json:"tenant_id"`
	// TenantName is the tenant's display name, for tenant pickers.
	TenantName string    `json:"tenant_name,omitempty"`
	UserID     string    `json:"user_id"`
	Email      string    `json:"email"`
	Role       Role      `json:"role"`
	CreatedAt  time.Time `json:"created_at"`
}

// PrincipalKind says what kind of actor a Principal is.
type PrincipalKind string

// Principal kinds.
const (
	PrincipalUser   PrincipalKind = "user"
	PrincipalAPIKey PrincipalKind = "api_key"
	PrincipalSystem PrincipalKind = "system"
)

// Principal is the authenticated caller of a request.
type Principal struct {
	Kind       PrincipalKind
	ID         string
	TenantID   string // the tenant the credential is bound to ("" for a super admin without a tenant)
	SuperAdmin bool
	Email      string
}

// Subject is the principal's name in authorization policies, e.g. "user:<id>".
func (p Principal) Subject() string { return string(p.Kind) + ":" + p.ID }

type principalKey struct{}

// NewContextWithPrincipal returns ctx carrying p.
func NewContextWithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFromContext returns the principal stored in ctx, if any.
func PrincipalFromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// APIKey is a long-lived credential for an external application, bound to one
// tenant. Only its prefix is ever shown after creation.
type APIKey struct {
	ID         string     `json:"id"`
	TenantID   string     `json:"tenant_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// Usable reports whether the key may authenticate at time now.
func (k *APIKey) Usable(now time.Time) bool {
	return k.RevokedAt == nil && (k.ExpiresAt == nil || now.Before(*k.ExpiresAt))
}

// AuditEntry records one state-changing call.
type AuditEntry struct {
	ID         int64          `json:"id"`
	TenantID   string         `json:"tenant_id,omitempty"`
	ActorType  string         `json:"actor_type"`
	ActorID    string         `json:"actor_id"`
	Action     string         `json:"action"`
	TargetType string         `json:"target_type"`
	TargetID   string         `json:"target_id"`
	RequestID  string         `json:"request_id"`
	IP         string         `json:"ip"`
	Details    map[string]any `json:"details,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
}

// RefreshToken is the stored form of an opaque refresh token; only its hash is kept.
type RefreshToken struct {
	ID        string
	FamilyID  string
	UserID    string
	TenantID  string
	Hash      []byte
	ExpiresAt time.Time
	CreatedAt time.Time
}

// SigningKey is an Ed25519 key that signs access tokens.
type SigningKey struct {
	KID        string
	PrivateKey ed25519.PrivateKey
	PublicKey  ed25519.PublicKey
	CreatedAt  time.Time
	RetiredAt  *time.Time
}

// Page asks for one page of a list. Cursor is opaque and comes from a previous
// answer's next cursor.
type Page struct {
	Cursor string
	Limit  int
}

// DefaultPageLimit and MaxPageLimit bound list sizes.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 200
)

// Normalize clamps the limit to a sane range.
func (p Page) Normalize() Page {
	if p.Limit <= 0 {
		p.Limit = DefaultPageLimit
	}
	if p.Limit > MaxPageLimit {
		p.Limit = MaxPageLimit
	}
	return p
}

// Actions a permission can name.
const (
	ActionRead  = "read"
	ActionWrite = "write"
)

// Resources names every resource that permissions and API-key scopes refer
// to. Routes declare which resource and action they need.
var Resources = []string{"tenants", "users", "api-keys", "audit", "profile", "connectors", "connections", "events", "webhooks", "rules", "knowledge", "agents", "playbooks"}

// ValidScope reports whether s is a well-formed API-key scope:
// "<resource>:<action>" where resource is one of Resources or "*" and action
// is "read" or "write".
func ValidScope(s string) bool {
	res, act, ok := strings.Cut(s, ":")
	if !ok || (act != ActionRead && act != ActionWrite) {
		return false
	}
	if res == "*" {
		return true
	}
	for _, r := range Resources {
		if r == res {
			return true
		}
	}
	return false
}

// RequestMeta describes the HTTP request a call came from, for the audit log.
type RequestMeta struct {
	RequestID string
	IP        string
}

type requestMetaKey struct{}

// NewContextWithRequestMeta returns ctx carrying m.
func NewContextWithRequestMeta(ctx context.Context, m RequestMeta) context.Context {
	return context.WithValue(ctx, requestMetaKey{}, m)
}

// RequestMetaFromContext returns the request metadata in ctx, if any.
func RequestMetaFromContext(ctx context.Context) RequestMeta {
	m, _ := ctx.Value(requestMetaKey{}).(RequestMeta)
	return m
}

type idempotencyKey struct{}

// NewContextWithIdempotencyKey returns ctx carrying a key that platform calls
// made for it pass on where the platform deduplicates (Stripe's
// Idempotency-Key), so a retried workflow step never acts twice.
func NewContextWithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, key)
}

// IdempotencyKeyFromContext returns the key set by NewContextWithIdempotencyKey.
func IdempotencyKeyFromContext(ctx context.Context) (string, bool) {
	k, ok := ctx.Value(idempotencyKey{}).(string)
	return k, ok && k != ""
}

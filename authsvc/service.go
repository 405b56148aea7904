// Package authsvc is the authentication service: tenants, users and their
// roles, password login with rate limits, Ed25519 access tokens with a JWKS,
// rotating refresh tokens, API keys, and the audit log of every change.
package authsvc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/accesstoken"
)

// Config holds the service's dependencies and settings.
type Config struct {
	Tenants       hub.TenantStore
	Users         hub.UserStore
	RefreshTokens hub.RefreshTokenStore
	APIKeys       hub.APIKeyStore
	Audit         hub.AuditLog
	Authz         hub.Authorizer
	Limiter       hub.RateLimiter
	Keys          *KeyManager
	Log           *slog.Logger

	// Argon2 sets the password hashing cost (DefaultArgon2Params when zero).
	Argon2 Argon2Params
	// AccessTTL is the access-token lifetime (15 minutes when zero).
	AccessTTL time.Duration
	// RefreshTTL is the refresh-token lifetime (30 days when zero).
	RefreshTTL time.Duration
	// LoginLimitPerAccount and LoginLimitPerIP bound login attempts per
	// LoginWindow (10 and 100 per 15 minutes when zero).
	LoginLimitPerAccount int
	LoginLimitPerIP      int
	LoginWindow          time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Service implements the authentication service's operations.
type Service struct {
	cfg       Config
	dummyHash string
}

// New returns a Service, filling defaults for zero settings.
func New(cfg Config) (*Service, error) {
	if cfg.Argon2 == (Argon2Params{}) {
		cfg.Argon2 = DefaultArgon2Params
	}
	if cfg.AccessTTL == 0 {
		cfg.AccessTTL = 15 * time.Minute
	}
	if cfg.RefreshTTL == 0 {
		cfg.RefreshTTL = 30 * 24 * time.Hour
	}
	if cfg.LoginLimitPerAccount == 0 {
		cfg.LoginLimitPerAccount = 10
	}
	if cfg.LoginLimitPerIP == 0 {
		cfg.LoginLimitPerIP = 100
	}
	if cfg.LoginWindow == 0 {
		cfg.LoginWindow = 15 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	// Unknown accounts are checked against this hash so that a login's
	// timing does not reveal whether the email exists.
	dummy, err := HashPassword("not a real password", cfg.Argon2)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, dummyHash: dummy}, nil
}

// Tokens is the answer to a login or refresh.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	TenantID     string `json:"tenant_id,omitempty"`
}

// LoginRequest is the body of POST /auth/login.
type LoginRequest struct {
	Email    string     `json:"email"`
	Password hub.Secret `json:"password"`
	// TenantID picks the tenant of the session when the user belongs to several.
	TenantID string `json:"tenant_id,omitempty" doc:"tenant to sign in to; defaults to the user's first tenant"`
}

var errBadLogin = hub.Errorf(hub.EUNAUTHORIZED, "The email or password is incorrect.")

// Login checks the credentials and opens a session.
func (s *Service) Login(ctx context.Context, req LoginRequest) (*Tokens, error) {
	email := strings.TrimSpace(req.Email)
	if email == "" || req.Password == "" {
		return nil, hub.Errorf(hub.EINVALID, "Both email and password are required.")
	}
	meta := hub.RequestMetaFromContext(ctx)
	if err := s.limit(ctx, "login:ip:"+meta.IP, s.cfg.LoginLimitPerIP); err != nil {
		return nil, err
	}
	accountKey := "login:account:" + strings.ToLower(email)
	if err := s.limit(ctx, accountKey, s.cfg.LoginLimitPerAccount); err != nil {
		return nil, err
	}
	user, hash, err := s.cfg.Users.UserByEmail(ctx, email)
	if hub.ErrorCode(err) == hub.ENOTFOUND {
		_, _ = VerifyPassword(req.Password.Reveal(), s.dummyHash)
		s.cfg.Log.WarnContext(ctx, "login failed", "reason", "unknown account", "request_id", meta.RequestID, "ip", meta.IP)
		return nil, errBadLogin
	}
	if err != nil {
		return nil, fmt.Errorf("authsvc: login: %w", err)
	}
	ok, err := VerifyPassword(req.Password.Reveal(), hash)
	if err != nil {
		return nil, fmt.Errorf("authsvc: login: %w", err)
	}
	if !ok {
		s.cfg.Log.WarnContext(ctx, "login failed", "reason", "wrong password", "user_id", user.ID, "request_id", meta.RequestID, "ip", meta.IP)
		return nil, errBadLogin
	}
	_ = s.cfg.Limiter.Reset(ctx, accountKey)
	tenantID, err := s.sessionTenant(ctx, user, req.TenantID)
	if err != nil {
		return nil, err
	}
	tokens, err := s.issue(ctx, user, tenantID, nil)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, tenantID, hub.Principal{Kind: hub.PrincipalUser, ID: user.ID}, "auth.login", "user", user.ID, nil)
	return tokens, nil
}

func (s *Service) limit(ctx context.Context, key string, limit int) error {
	ok, wait, err := s.cfg.Limiter.Allow(ctx, key, limit, s.cfg.LoginWindow)
	if err != nil {
		return &hub.Error{Code: hub.EUNAVAILABLE, Message: "Login is temporarily unavailable.", Err: err}
	}
	if !ok {
		secs := int(wait.Seconds()) + 1
		return &hub.Error{Code: hub.ERATELIMITED, Message: fmt.Sprintf("Too many login attempts; try again in %d seconds.", secs), RetryAfter: secs}
	}
	return nil
}

// sessionTenant picks the tenant a session is bound to.
func (s *Service) sessionTenant(ctx context.Context, user *hub.User, wanted string) (string, error) {
	if wanted != "" {
		if !user.SuperAdmin {
			if _, err := s.cfg.Users.Membership(ctx, wanted, user.ID); err != nil {
				if hub.ErrorCode(err) == hub.ENOTFOUND {
					return "", hub.Errorf(hub.EFORBIDDEN, "You are not a member of this tenant.")
				}
				return "", err
			}
		}
		return wanted, s.checkActive(ctx, wanted)
	}
	ms, err := s.cfg.Users.UserMemberships(ctx, user.ID)
	if err != nil {
		return "", fmt.Errorf("authsvc: memberships: %w", err)
	}
	for _, m := range ms {
		if s.checkActive(ctx, m.TenantID) == nil {
			return m.TenantID, nil
		}
	}
	if user.SuperAdmin {
		return "", nil
	}
	if len(ms) > 0 {
		return "", hub.Errorf(hub.EFORBIDDEN, "Your tenant is suspended.")
	}
	return "", hub.Errorf(hub.EFORBIDDEN, "Your account does not belong to any tenant yet.")
}

func (s *Service) checkActive(ctx context.Context, tenantID string) error {
	t, err := s.cfg.Tenants.Tenant(ctx, tenantID)
	if err != nil {
		return err
	}
	if t.Status != hub.TenantActive {
		return hub.Errorf(hub.EFORBIDDEN, "The tenant %q is suspended.", t.Slug)
	}
	return nil
}

// issue mints an access token and a refresh token. With spent == nil it
// starts a new refresh family; otherwise the caller has already rotated.
func (s *Service) issue(ctx context.Context, user *hub.User, tenantID string, refresh *issuedRefresh) (*Tokens, error) {
	key, err := s.cfg.Keys.Current()
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	jti, err := randomString(16)
	if err != nil {
		return nil, err
	}
	claims := &accesstoken.Claims{TenantID: tenantID, SuperAdmin: user.SuperAdmin, Email: user.Email}
	claims.Issuer, claims.Subject, claims.ID = accesstoken.Issuer, user.ID, jti
	claims.Audience = []string{accesstoken.Audience}
	claims.IssuedAt = jwtTime(now)
	claims.NotBefore = jwtTime(now)
	claims.ExpiresAt = jwtTime(now.Add(s.cfg.AccessTTL))
	access, err := accesstoken.Sign(key, claims)
	if err != nil {
		return nil, err
	}
	if refresh == nil {
		refresh, err = s.newRefresh(now)
		if err != nil {
			return nil, err
		}
		refresh.record.UserID, refresh.record.TenantID = user.ID, tenantID
		if err := s.cfg.RefreshTokens.CreateRefreshToken(ctx, refresh.record); err != nil {
			return nil, err
		}
	}
	return &Tokens{AccessToken: access, RefreshToken: refresh.token, TokenType: "Bearer",
		ExpiresIn: int(s.cfg.AccessTTL.Seconds()), TenantID: tenantID}, nil
}

type issuedRefresh struct {
	token  string
	record *hub.RefreshToken
}

const refreshPrefix = "bzr_"

func (s *Service) newRefresh(now time.Time) (*issuedRefresh, error) {
	tok, err := randomString(32)
	if err != nil {
		return nil, err
	}
	tok = refreshPrefix + tok
	return &issuedRefresh{token: tok, record: &hub.RefreshToken{Hash: hashToken(tok), ExpiresAt: now.Add(s.cfg.RefreshTTL)}}, nil
}

// RefreshRequest is the body of POST /auth/refresh and /auth/logout.
type RefreshRequest struct {
	RefreshToken hub.Secret `json:"refresh_token"`
	// TenantID switches the session to another tenant on refresh; logout ignores it.
	TenantID string `json:"tenant_id,omitempty" doc:"switch the session to this tenant (a membership, or any active tenant for a super admin)"`
}

var errRefreshInvalid = hub.Errorf(hub.EUNAUTHORIZED, "The refresh token is invalid or expired.")

// Refresh spends a refresh token and returns a new token pair. With a
// TenantID other than the session's, the new pair is bound to that tenant;
// the switch is checked before the token is spent, so a refused switch
// leaves the session usable.
func (s *Service) Refresh(ctx context.Context, req RefreshRequest) (*Tokens, error) {
	if !strings.HasPrefix(req.RefreshToken.Reveal(), refreshPrefix) {
		return nil, errRefreshInvalid
	}
	now := s.cfg.Now()
	hash := hashToken(req.RefreshToken.Reveal())
	next, err := s.newRefresh(now)
	if err != nil {
		return nil, err
	}
	var switchFrom string
	switching := false
	if req.TenantID != "" {
		// A token that cannot be spent falls through to the rotation, which
		// answers it (and ends the family of a replayed one).
		if cur, err := s.cfg.RefreshTokens.RefreshToken(ctx, hash, now); err == nil && cur.TenantID != req.TenantID {
			user, err := s.cfg.Users.User(ctx, cur.UserID)
			if err != nil {
				return nil, hub.Errorf(hub.EUNAUTHORIZED, "The account no longer exists.")
			}
			if err := s.switchAllowed(ctx, user, req.TenantID); err != nil {
				s.cfg.Log.WarnContext(ctx, "tenant switch refused", "user_id", user.ID, "tenant_id", req.TenantID,
					"err", err, "request_id", hub.RequestMetaFromContext(ctx).RequestID)
				return nil, err
			}
			next.record.TenantID, switchFrom, switching = req.TenantID, cur.TenantID, true
		} else if err != nil && hub.ErrorCode(err) != hub.EUNAUTHORIZED {
			return nil, err
		}
	}
	spent, err := s.cfg.RefreshTokens.RotateRefreshToken(ctx, hash, next.record, now)
	if err != nil {
		if hub.ErrorCode(err) == hub.EUNAUTHORIZED {
			s.cfg.Log.WarnContext(ctx, "refresh refused", "err", err, "request_id", hub.RequestMetaFromContext(ctx).RequestID)
		}
		return nil, err
	}
	user, err := s.cfg.Users.User(ctx, spent.UserID)
	if err != nil {
		return nil, err
	}
	tenantID := next.record.TenantID
	if !switching && tenantID != "" {
		if err := s.checkActive(ctx, tenantID); err != nil {
			return nil, err
		}
		if !user.SuperAdmin {
			if _, err := s.cfg.Users.Membership(ctx, tenantID, user.ID); err != nil {
				return nil, hub.Errorf(hub.EUNAUTHORIZED, "You are no longer a member of this tenant.")
			}
		}
	}
	tokens, err := s.issue(ctx, user, tenantID, next)
	if err != nil {
		return nil, err
	}
	if switching {
		s.audit(ctx, tenantID, hub.Principal{Kind: hub.PrincipalUser, ID: user.ID}, "auth.switch_tenant", "tenant", tenantID,
			map[string]any{"from_tenant_id": switchFrom})
	}
	return tokens, nil
}

// switchAllowed reports whether user may move a session to tenantID: a
// member of it (any tenant for a super admin), and the tenant is active.
func (s *Service) switchAllowed(ctx context.Context, user *hub.User, tenantID string) error {
	if !user.SuperAdmin {
		if _, err := s.cfg.Users.Membership(ctx, tenantID, user.ID); err != nil {
			if hub.ErrorCode(err) == hub.ENOTFOUND {
				return hub.Errorf(hub.EFORBIDDEN, "You are not a member of this tenant.")
			}
			return err
		}
	}
	if err := s.checkActive(ctx, tenantID); err != nil {
		if hub.ErrorCode(err) == hub.ENOTFOUND {
			return hub.Errorf(hub.EFORBIDDEN, "There is no such tenant to switch to.")
		}
		return err
	}
	return nil
}

// Logout ends the session the refresh token belongs to.
func (s *Service) Logout(ctx context.Context, p hub.Principal, req RefreshRequest) error {
	if err := s.cfg.RefreshTokens.RevokeRefreshFamily(ctx, hashToken(req.RefreshToken.Reveal()), s.cfg.Now()); err != nil {
		return err
	}
	s.audit(ctx, p.TenantID, p, "auth.logout", "user", p.ID, nil)
	return nil
}

// Authenticate verifies an access token against the service's own keys.
func (s *Service) Authenticate(token string) (hub.Principal, error) {
	claims, err := accesstoken.Verify(token, s.cfg.Keys.PublicKey)
	if err != nil {
		return hub.Principal{}, err
	}
	return claims.Principal(), nil
}

// Me is the answer of GET /auth/me.
type Me struct {
	User        *hub.User         `json:"user"`
	TenantID    string            `json:"tenant_id"`
	Role        hub.Role          `json:"role,omitempty"`
	Memberships []*hub.Membership `json:"memberships"`
}

// Me describes the caller.
func (s *Service) Me(ctx context.Context, p hub.Principal) (*Me, error) {
	user, err := s.cfg.Users.User(ctx, p.ID)
	if err != nil {
		return nil, hub.Errorf(hub.EUNAUTHORIZED, "The account no longer exists.")
	}
	ms, err := s.cfg.Users.UserMemberships(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	if ms == nil {
		ms = []*hub.Membership{}
	}
	me := &Me{User: user, TenantID: p.TenantID, Memberships: ms}
	for _, m := range ms {
		if m.TenantID == p.TenantID {
			me.Role = m.Role
		}
	}
	if me.Role == "" && user.SuperAdmin {
		me.Role = hub.RoleSuperAdmin
	}
	return me, nil
}

// CreateTenantRequest is the body of POST /tenants.
type CreateTenantRequest struct {
	Name string `json:"name"`
	Slug string `json:"slug" doc:"lowercase letters, digits and dashes, 2-63 characters"`
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// CreateTenant creates a tenant.
func (s *Service) CreateTenant(ctx context.Context, p hub.Principal, req CreateTenantRequest) (*hub.Tenant, error) {
	name := strings.TrimSpace(req.Name)
	if name == "" || len(name) > 200 {
		return nil, hub.InvalidField("name", "is required and at most 200 characters")
	}
	if !slugPattern.MatchString(req.Slug) {
		return nil, hub.InvalidField("slug", "must be 2-63 lowercase letters, digits or dashes, starting with a letter or digit")
	}
	t := &hub.Tenant{Name: name, Slug: req.Slug}
	if err := s.cfg.Tenants.CreateTenant(ctx, t); err != nil {
		return nil, err
	}
	s.audit(ctx, t.ID, p, "tenant.create", "tenant", t.ID, map[string]any{"slug": t.Slug})
	return t, nil
}

// UpdateTenantRequest is the body of PATCH /tenants/{id}.
type UpdateTenantRequest struct {
	Status string `json:"status" doc:"active or suspended"`
}

// UpdateTenant suspends or reactivates a tenant.
func (s *Service) UpdateTenant(ctx context.Context, p hub.Principal, tenantID string, req UpdateTenantRequest) (*hub.Tenant, error) {
	if req.Status != hub.TenantActive && req.Status != hub.TenantSuspended {
		return nil, hub.InvalidField("status", "must be active or suspended")
	}
	t, err := s.cfg.Tenants.SetTenantStatus(ctx, tenantID, req.Status)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, t.ID, p, "tenant.update", "tenant", t.ID, map[string]any{"status": t.Status})
	return t, nil
}

// ListTenants pages through tenants.
func (s *Service) ListTenants(ctx context.Context, page hub.Page) ([]*hub.Tenant, string, error) {
	return s.cfg.Tenants.ListTenants(ctx, page)
}

// CreateUserRequest is the body of POST /tenants/{id}/users.
type CreateUserRequest struct {
	Email    string     `json:"email"`
	Password hub.Secret `json:"password,omitempty" doc:"required for a new account; omit it to add an existing account to the tenant"`
	Role     hub.Role   `json:"role" doc:"tenant_admin, member or viewer"`
}

// MinPasswordLength and MaxPasswordLength bound new passwords.
const (
	MinPasswordLength = 10
	MaxPasswordLength = 128
)

// CreateUser adds a user to a tenant, creating the account when the email is new.
func (s *Service) CreateUser(ctx context.Context, p hub.Principal, tenantID string, req CreateUserRequest) (*hub.Membership, error) {
	email := strings.TrimSpace(req.Email)
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || len(email) > 254 {
		return nil, hub.InvalidField("email", "must be an email address")
	}
	if !req.Role.Valid() {
		return nil, hub.InvalidField("role", "must be tenant_admin, member or viewer")
	}
	if _, err := s.cfg.Tenants.Tenant(ctx, tenantID); err != nil {
		return nil, err
	}
	user, _, err := s.cfg.Users.UserByEmail(ctx, email)
	switch {
	case err == nil && req.Password != "":
		return nil, &hub.Error{Code: hub.ECONFLICT, Message: "An account with this email already exists; omit the password to add it to this tenant.",
			Fields: map[string]string{"password": "must be omitted for an existing account"}}
	case err == nil:
	case hub.ErrorCode(err) == hub.ENOTFOUND:
		if n := len(req.Password); n < MinPasswordLength || n > MaxPasswordLength {
			return nil, hub.InvalidField("password", fmt.Sprintf("must be %d to %d characters", MinPasswordLength, MaxPasswordLength))
		}
		hash, err := HashPassword(req.Password.Reveal(), s.cfg.Argon2)
		if err != nil {
			return nil, err
		}
		user = &hub.User{Email: email}
		if err := s.cfg.Users.CreateUser(ctx, user, hash); err != nil {
			return nil, err
		}
		s.audit(ctx, tenantID, p, "user.create", "user", user.ID, map[string]any{"email": email})
	default:
		return nil, err
	}
	m, err := s.cfg.Users.AddMembership(ctx, tenantID, user.ID, req.Role)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Authz.AssignRole(ctx, user.ID, tenantID, req.Role); err != nil {
		return nil, err
	}
	s.audit(ctx, tenantID, p, "membership.create", "user", user.ID, map[string]any{"role": string(req.Role)})
	return m, nil
}

// ListUsers pages through a tenant's members.
func (s *Service) ListUsers(ctx context.Context, tenantID string, page hub.Page) ([]*hub.Membership, string, error) {
	return s.cfg.Users.ListMembers(ctx, tenantID, page)
}

// EnsureSuperAdmin creates the first super admin when no account has the
// email, and makes sure the account holds the global super-admin role.
func (s *Service) EnsureSuperAdmin(ctx context.Context, email string, password hub.Secret) (*hub.User, error) {
	user, _, err := s.cfg.Users.UserByEmail(ctx, email)
	if hub.ErrorCode(err) == hub.ENOTFOUND {
		if len(password) < MinPasswordLength {
			return nil, fmt.Errorf("authsvc: the super admin password must have at least %d characters", MinPasswordLength)
		}
		hash, herr := HashPassword(password.Reveal(), s.cfg.Argon2)
		if herr != nil {
			return nil, herr
		}
		user = &hub.User{Email: email, SuperAdmin: true}
		err = s.cfg.Users.CreateUser(ctx, user, hash)
		if hub.ErrorCode(err) == hub.ECONFLICT { // another replica won the race
			user, _, err = s.cfg.Users.UserByEmail(ctx, email)
		} else if err == nil {
			s.audit(ctx, "", hub.Principal{Kind: hub.PrincipalSystem, ID: "bootstrap"}, "user.create", "user", user.ID, map[string]any{"super_admin": true})
		}
	}
	if err != nil {
		return nil, fmt.Errorf("authsvc: ensure super admin: %w", err)
	}
	if !user.SuperAdmin {
		return nil, fmt.Errorf("authsvc: %s exists and is not a super admin", email)
	}
	if err := s.cfg.Authz.AssignRole(ctx, user.ID, "*", hub.RoleSuperAdmin); err != nil {
		return nil, err
	}
	return user, nil
}

// audit records an entry; a failure is logged, never returned, because the
// change it describes has already happened.
func (s *Service) audit(ctx context.Context, tenantID string, p hub.Principal, action, targetType, targetID string, details map[string]any) {
	meta := hub.RequestMetaFromContext(ctx)
	e := &hub.AuditEntry{TenantID: tenantID, ActorType: string(p.Kind), ActorID: p.ID, Action: action,
		TargetType: targetType, TargetID: targetID, RequestID: meta.RequestID, IP: meta.IP, Details: details}
	if err := s.cfg.Audit.RecordAudit(context.WithoutCancel(ctx), e); err != nil {
		s.cfg.Log.ErrorContext(ctx, "audit record failed", "action", action, "err", err, "request_id", meta.RequestID)
	}
}

// ListAudit pages through a tenant's audit log.
func (s *Service) ListAudit(ctx context.Context, tenantID string, page hub.Page) ([]*hub.AuditEntry, string, error) {
	return s.cfg.Audit.ListAudit(ctx, tenantID, page)
}

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("authsvc: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func jwtTime(t time.Time) *jwt.NumericDate { return jwt.NewNumericDate(t) }

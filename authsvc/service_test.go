package authsvc_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/authsvc"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/rbac"
	"github.com/bizoshub/bizos/redisstore"
	"github.com/bizoshub/bizos/secrets"
)

// newService returns an auth service on a fresh database and Redis key
// space, with a super admin root@x.test.
func newService(t *testing.T) *authsvc.Service {
	t.Helper()
	ctx := context.Background()
	db := testenv.NewDB(t)
	rdb, prefix := testenv.NewRedis(t)
	spec, _ := secrets.NewKeySpec(1)
	ring, _ := secrets.ParseKeyring(spec)
	authz, err := rbac.New(postgres.NewCasbinAdapter(db), nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := authsvc.NewKeyManager(postgres.NewSigningKeyStore(db, ring), 0)
	if err := keys.Init(ctx); err != nil {
		t.Fatal(err)
	}
	svc, err := authsvc.New(authsvc.Config{
		Tenants: postgres.NewTenantStore(db), Users: postgres.NewUserStore(db), RefreshTokens: postgres.NewRefreshTokenStore(db),
		APIKeys: postgres.NewAPIKeyStore(db), Audit: postgres.NewAuditLog(db), Authz: authz,
		Limiter: redisstore.NewRateLimiter(rdb, prefix+"rl:"), Keys: keys,
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Argon2: authsvc.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EnsureSuperAdmin(ctx, "root@x.test", "root-password-123"); err != nil {
		t.Fatal(err)
	}
	return svc
}

var root = hub.Principal{Kind: hub.PrincipalSystem, ID: "test", SuperAdmin: true}

func login(t *testing.T, svc *authsvc.Service, email, password, tenantID string) *authsvc.Tokens {
	t.Helper()
	tok, err := svc.Login(context.Background(), authsvc.LoginRequest{Email: email, Password: hub.Secret(password), TenantID: tenantID})
	if err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
	return tok
}

func TestRefreshSwitchesTenant(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)
	tenants := map[string]*hub.Tenant{}
	for _, slug := range []string{"alpha", "beta", "gamma", "delta"} {
		tn, err := svc.CreateTenant(ctx, root, authsvc.CreateTenantRequest{Name: "Tenant " + slug, Slug: slug})
		if err != nil {
			t.Fatal(err)
		}
		tenants[slug] = tn
	}
	const email, password = "jo@x.test", "jo-password-123"
	for i, slug := range []string{"alpha", "beta", "gamma"} {
		req := authsvc.CreateUserRequest{Email: email, Role: hub.RoleMember}
		if i == 0 {
			req.Password = password
		}
		if _, err := svc.CreateUser(ctx, root, tenants[slug].ID, req); err != nil {
			t.Fatal(err)
		}
	}

	// GET /auth/me names the tenants of the memberships.
	first := login(t, svc, email, password, tenants["alpha"].ID)
	p, err := svc.Authenticate(first.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	me, err := svc.Me(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range me.Memberships {
		names = append(names, m.TenantName)
	}
	if diff := cmp.Diff([]string{"Tenant alpha", "Tenant beta", "Tenant gamma"}, names); diff != "" {
		t.Errorf("membership tenant names (-want +got):\n%s", diff)
	}

	if _, err := svc.UpdateTenant(ctx, root, tenants["gamma"].ID, authsvc.UpdateTenantRequest{Status: hub.TenantSuspended}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, email, password string
		from, to              string // tenant slugs; "" is no tenant
		wantCode              string
		wantTenant            string
	}{
		{name: "member switches", email: email, password: password, from: "alpha", to: "beta", wantTenant: "beta"},
		{name: "same tenant is a plain refresh", email: email, password: password, from: "alpha", to: "alpha", wantTenant: "alpha"},
		{name: "non-member refused", email: email, password: password, from: "alpha", to: "delta", wantCode: hub.EFORBIDDEN},
		{name: "suspended tenant refused", email: email, password: password, from: "beta", to: "gamma", wantCode: hub.EFORBIDDEN},
		{name: "super admin switches to any active tenant", email: "root@x.test", password: "root-password-123", from: "", to: "delta", wantTenant: "delta"},
		{name: "super admin refused a suspended tenant", email: "root@x.test", password: "root-password-123", from: "delta", to: "gamma", wantCode: hub.EFORBIDDEN},
	}
	id := func(slug string) string {
		if slug == "" {
			return ""
		}
		return tenants[slug].ID
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := login(t, svc, tt.email, tt.password, id(tt.from))
			got, err := svc.Refresh(ctx, authsvc.RefreshRequest{RefreshToken: hub.Secret(tok.RefreshToken), TenantID: id(tt.to)})
			if tt.wantCode != "" {
				if hub.ErrorCode(err) != tt.wantCode {
					t.Fatalf("refresh: err = %v, want %s", err, tt.wantCode)
				}
				// The refused switch spent nothing: the token still refreshes the old tenant.
				again, err := svc.Refresh(ctx, authsvc.RefreshRequest{RefreshToken: hub.Secret(tok.RefreshToken)})
				if err != nil {
					t.Fatalf("refresh after a refused switch: %v", err)
				}
				if again.TenantID != id(tt.from) {
					t.Errorf("after a refused switch the tenant is %q, want %q", again.TenantID, id(tt.from))
				}
				return
			}
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			p, err := svc.Authenticate(got.AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			if p.TenantID != id(tt.wantTenant) || got.TenantID != id(tt.wantTenant) {
				t.Errorf("access token tenant %q, answer %q; want %q", p.TenantID, got.TenantID, id(tt.wantTenant))
			}
			// The new refresh token continues in the new tenant.
			next, err := svc.Refresh(ctx, authsvc.RefreshRequest{RefreshToken: hub.Secret(got.RefreshToken)})
			if err != nil || next.TenantID != id(tt.wantTenant) {
				t.Errorf("next refresh: tenant %v, %v; want %q", next, err, id(tt.wantTenant))
			}
			// The spent token is still spent: presenting it (even with a switch) ends the session.
			if _, err := svc.Refresh(ctx, authsvc.RefreshRequest{RefreshToken: hub.Secret(tok.RefreshToken), TenantID: id(tt.to)}); hub.ErrorCode(err) != hub.EUNAUTHORIZED {
				t.Errorf("replayed token: err = %v, want unauthorized", err)
			}
			if _, err := svc.Refresh(ctx, authsvc.RefreshRequest{RefreshToken: hub.Secret(next.RefreshToken)}); hub.ErrorCode(err) != hub.EUNAUTHORIZED {
				t.Errorf("token of a family ended by reuse: err = %v, want unauthorized", err)
			}
		})
	}

	// The switch is audited in the tenant switched to.
	entries, _, err := svc.ListAudit(ctx, tenants["beta"].ID, hub.Page{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		if e.Action == "auth.switch_tenant" && e.TargetID == tenants["beta"].ID && e.Details["from_tenant_id"] == tenants["alpha"].ID {
			found = true
		}
	}
	if !found {
		t.Errorf("no auth.switch_tenant entry in beta's audit log: %+v", entries)
	}
}

package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/accesstoken"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/secrets"
)

// tenantFixture is a tenant with an admin, a member and a viewer.
type tenantFixture struct {
	ID                        string
	AdminToken, AdminRefresh  string
	MemberToken, ViewerToken  string
	AdminEmail, AdminPassword string
	APIKeyID                  string
}

func (s *testStack) makeTenant(t *testing.T, rootToken, slug string) *tenantFixture {
	t.Helper()
	r := call(t, http.MethodPost, s.AuthURL+"/tenants", map[string]string{"name": strings.ToUpper(slug), "slug": slug}, bearer(rootToken))
	if r.Status != http.StatusCreated {
		t.Fatalf("create tenant: %d %s", r.Status, r.Body)
	}
	f := &tenantFixture{ID: r.field(t, "id"), AdminEmail: "admin@" + slug + ".test", AdminPassword: "admin-pass-" + slug}
	for _, u := range []struct{ email, password, role string }{
		{f.AdminEmail, f.AdminPassword, "tenant_admin"},
		{"member@" + slug + ".test", "member-pass-" + slug, "member"},
		{"viewer@" + slug + ".test", "viewer-pass-" + slug, "viewer"},
	} {
		r := call(t, http.MethodPost, s.AuthURL+"/tenants/"+f.ID+"/users", map[string]string{"email": u.email, "password": u.password, "role": u.role}, bearer(rootToken))
		if r.Status != http.StatusCreated {
			t.Fatalf("create user %s: %d %s", u.email, r.Status, r.Body)
		}
	}
	f.AdminToken, f.AdminRefresh = s.login(t, f.AdminEmail, f.AdminPassword)
	f.MemberToken, _ = s.login(t, "member@"+slug+".test", "member-pass-"+slug)
	f.ViewerToken, _ = s.login(t, "viewer@"+slug+".test", "viewer-pass-"+slug)
	r = call(t, http.MethodPost, s.AuthURL+"/tenants/"+f.ID+"/api-keys", map[string]any{"name": "ci", "scopes": []string{"users:read"}}, bearer(f.AdminToken))
	if r.Status != http.StatusCreated {
		t.Fatalf("create api key: %d %s", r.Status, r.Body)
	}
	f.APIKeyID = r.field(t, "id")
	return f
}

func TestAuthEndToEnd(t *testing.T) {
	s := startStack(t)
	root, _ := s.login(t, adminEmail, adminPassword)
	a := s.makeTenant(t, root, "alpha")
	b := s.makeTenant(t, root, "beta")

	t.Run("brain accepts tokens of authsvc", func(t *testing.T) {
		r := call(t, http.MethodGet, s.BrainURL+"/api/v1/me", nil, bearer(a.AdminToken))
		if r.Status != http.StatusOK || r.field(t, "tenant_id") != a.ID || r.field(t, "kind") != "user" {
			t.Fatalf("me = %d %s", r.Status, r.Body)
		}
	})

	t.Run("bad logins", func(t *testing.T) {
		tests := []struct {
			name   string
			body   any
			status int
			code   string
		}{
			{"wrong password", map[string]string{"email": a.AdminEmail, "password": "nope-nope-nope"}, 401, hub.EUNAUTHORIZED},
			{"unknown user", map[string]string{"email": "ghost@nowhere.test", "password": "whatever-123"}, 401, hub.EUNAUTHORIZED},
			{"missing password", map[string]string{"email": a.AdminEmail}, 400, hub.EINVALID},
			{"unknown field", map[string]string{"email": a.AdminEmail, "password": "x", "extra": "1"}, 400, hub.EINVALID},
			{"not json", "just a string", 400, hub.EINVALID},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantProblem(t, call(t, http.MethodPost, s.AuthURL+"/auth/login", tt.body), tt.status, tt.code)
			})
		}
	})

	t.Run("bad tokens are refused by brain and authsvc", func(t *testing.T) {
		key := s.currentSigningKey(t)
		now := time.Now()
		claims := func(exp time.Time, tenant string) *accesstoken.Claims {
			c := &accesstoken.Claims{TenantID: tenant}
			c.Issuer, c.Subject, c.Audience = accesstoken.Issuer, "someone", jwt.ClaimStrings{accesstoken.Audience}
			c.IssuedAt, c.ExpiresAt = jwt.NewNumericDate(exp.Add(-15*time.Minute)), jwt.NewNumericDate(exp)
			return c
		}
		expired, err := accesstoken.Sign(key, claims(now.Add(-time.Hour), a.ID))
		if err != nil {
			t.Fatal(err)
		}
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		stranger, _ := accesstoken.Sign(&hub.SigningKey{KID: key.KID, PrivateKey: priv, PublicKey: pub}, claims(now.Add(time.Hour), a.ID))
		unknownKid, _ := accesstoken.Sign(&hub.SigningKey{KID: "unknown-kid", PrivateKey: priv, PublicKey: pub}, claims(now.Add(time.Hour), a.ID))
		parts := strings.Split(a.AdminToken, ".")
		forged := base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"bizos-authsvc","sub":"x","aud":["bizos"],"sa":true,"exp":9999999999,"iat":1}`))
		tampered := parts[0] + "." + forged + "." + parts[2]
		none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT","kid":"`+key.KID+`"}`)) + "." + forged + "."
		tests := []struct{ name, header string }{
			{"no credentials", ""},
			{"expired", bearer(expired)},
			{"tampered payload", bearer(tampered)},
			{"signed by a foreign key with a known kid", bearer(stranger)},
			{"signed by an unknown key", bearer(unknownKid)},
			{"alg none", bearer(none)},
			{"garbage", bearer("not.a.jwt")},
			{"basic auth", "Authorization: Basic dXNlcjpwYXNz"},
			{"malformed api key", "X-API-Key: bzk_nothing"},
			{"unknown api key", "X-API-Key: bzk_aaaaaaaa_" + strings.Repeat("A", 43)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var headers []string
				if tt.header != "" {
					headers = append(headers, tt.header)
				}
				r := call(t, http.MethodGet, s.BrainURL+"/api/v1/me", nil, headers...)
				wantProblem(t, r, 401, hub.EUNAUTHORIZED)
				if r.Header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				if strings.HasPrefix(tt.header, "Authorization") {
					wantProblem(t, call(t, http.MethodGet, s.AuthURL+"/tenants/"+a.ID+"/users", nil, headers...), 401, hub.EUNAUTHORIZED)
					wantProblem(t, call(t, http.MethodPost, s.AuthURL+"/tenants", map[string]string{"name": "Evil", "slug": "evil"}, headers...), 401, hub.EUNAUTHORIZED)
				}
			})
		}
		// Nothing was created by the refused calls.
		var list struct{ Items []hub.Tenant }
		call(t, http.MethodGet, s.AuthURL+"/tenants", nil, bearer(root)).json(t, &list)
		for _, tn := range list.Items {
			if tn.Slug == "evil" {
				t.Error("a refused request created a tenant")
			}
		}
	})

	t.Run("roles", func(t *testing.T) {
		tests := []struct {
			name, method, path, token string
			body                      any
			status                    int
		}{
			{"member lists users", "GET", "/tenants/" + a.ID + "/users", a.MemberToken, nil, 200},
			{"member cannot add users", "POST", "/tenants/" + a.ID + "/users", a.MemberToken, map[string]string{"email": "x@y.test", "password": "long-enough-1", "role": "viewer"}, 403},
			{"viewer cannot read the audit log", "GET", "/tenants/" + a.ID + "/audit", a.ViewerToken, nil, 403},
			{"viewer cannot create api keys", "POST", "/tenants/" + a.ID + "/api-keys", a.ViewerToken, map[string]any{"name": "k", "scopes": []string{"*:read"}}, 403},
			{"tenant admin cannot create tenants", "POST", "/tenants", a.AdminToken, map[string]string{"name": "X", "slug": "xx"}, 404},
			{"tenant admin cannot list tenants", "GET", "/tenants", a.AdminToken, nil, 404},
			{"super admin reads any tenant", "GET", "/tenants/" + b.ID + "/audit", root, nil, 200},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := call(t, tt.method, s.AuthURL+tt.path, tt.body, bearer(tt.token))
				if r.Status != tt.status {
					t.Errorf("%s %s = %d %s, want %d", tt.method, tt.path, r.Status, r.Body, tt.status)
				}
			})
		}
	})

	t.Run("tenant isolation on every tenant-scoped endpoint", func(t *testing.T) {
		before := s.snapshot(t, root, b.ID)
		routes := s.authRoutes(t)
		checked := 0
		for _, rt := range routes {
			if !strings.Contains(rt.path, "{id}") {
				continue
			}
			path := strings.ReplaceAll(rt.path, "{id}", b.ID)
			path = strings.ReplaceAll(path, "{key_id}", b.APIKeyID)
			body := map[string]any{"email": "intruder@alpha.test", "password": "intruder-pass-1", "role": "tenant_admin",
				"name": "intruder", "scopes": []string{"*:write"}, "status": "suspended"}
			if rt.method == http.MethodGet || rt.method == http.MethodDelete {
				body = nil
			}
			for _, tok := range []string{a.AdminToken, a.MemberToken} {
				r := call(t, rt.method, s.AuthURL+path, body, bearer(tok))
				if rt.path == "/tenants/{id}" { // global route: not even visible to tenant users
					wantProblem(t, r, 404, hub.ENOTFOUND)
					continue
				}
				wantProblem(t, r, 404, hub.ENOTFOUND)
			}
			checked++
		}
		if checked < 6 {
			t.Fatalf("checked %d tenant-scoped routes, want at least 6", checked)
		}
		if after := s.snapshot(t, root, b.ID); after != before {
			t.Errorf("tenant B changed:\nbefore %s\nafter  %s", before, after)
		}
	})

	t.Run("api keys", func(t *testing.T) {
		r := call(t, http.MethodPost, s.AuthURL+"/tenants/"+a.ID+"/api-keys",
			map[string]any{"name": "zapier", "scopes": []string{"profile:read"}, "expires_in_days": 30}, bearer(a.AdminToken))
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		key, id := r.field(t, "key"), r.field(t, "id")
		if !strings.HasPrefix(key, r.field(t, "prefix")+"_") {
			t.Fatalf("key %q does not start with its prefix", key)
		}
		list := call(t, http.MethodGet, s.AuthURL+"/tenants/"+a.ID+"/api-keys", nil, bearer(a.AdminToken))
		if strings.Contains(string(list.Body), key) || strings.Contains(string(list.Body), `"key"`) {
			t.Error("listing shows the secret key")
		}
		me := call(t, http.MethodGet, s.BrainURL+"/api/v1/me", nil, "X-API-Key: "+key)
		if me.Status != 200 || me.field(t, "kind") != "api_key" || me.field(t, "tenant_id") != a.ID {
			t.Fatalf("me with api key = %d %s", me.Status, me.Body)
		}
		bad := []map[string]any{
			{"name": "", "scopes": []string{"*:read"}},
			{"name": "k", "scopes": []string{}},
			{"name": "k", "scopes": []string{"everything"}},
			{"name": "k", "scopes": []string{"*:read"}, "expires_in_days": -1},
		}
		for _, body := range bad {
			wantProblem(t, call(t, http.MethodPost, s.AuthURL+"/tenants/"+a.ID+"/api-keys", body, bearer(a.AdminToken)), 400, hub.EINVALID)
		}
		if r := call(t, http.MethodDelete, s.AuthURL+"/tenants/"+a.ID+"/api-keys/"+id, nil, bearer(a.AdminToken)); r.Status != 200 || r.field(t, "revoked_at") == "" {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		wantProblem(t, call(t, http.MethodGet, s.BrainURL+"/api/v1/me", nil, "X-API-Key: "+key), 401, hub.EUNAUTHORIZED)
	})

	t.Run("refresh rotation and reuse detection", func(t *testing.T) {
		_, refresh1 := s.login(t, a.AdminEmail, a.AdminPassword)
		r := call(t, http.MethodPost, s.AuthURL+"/auth/refresh", map[string]string{"refresh_token": refresh1})
		if r.Status != 200 {
			t.Fatalf("refresh: %d %s", r.Status, r.Body)
		}
		access2, refresh2 := r.field(t, "access_token"), r.field(t, "refresh_token")
		if refresh2 == refresh1 {
			t.Fatal("refresh token was not rotated")
		}
		if me := call(t, http.MethodGet, s.BrainURL+"/api/v1/me", nil, bearer(access2)); me.Status != 200 {
			t.Fatalf("refreshed access token refused: %d", me.Status)
		}
		wantProblem(t, call(t, http.MethodPost, s.AuthURL+"/auth/refresh", map[string]string{"refresh_token": refresh1}), 401, hub.EUNAUTHORIZED)
		// The reuse ended the family: the fresh token is dead too.
		wantProblem(t, call(t, http.MethodPost, s.AuthURL+"/auth/refresh", map[string]string{"refresh_token": refresh2}), 401, hub.EUNAUTHORIZED)
	})

	t.Run("logout ends the session", func(t *testing.T) {
		access, refresh := s.login(t, a.AdminEmail, a.AdminPassword)
		if r := call(t, http.MethodPost, s.AuthURL+"/auth/logout", map[string]string{"refresh_token": refresh}, bearer(access)); r.Status != 204 {
			t.Fatalf("logout: %d %s", r.Status, r.Body)
		}
		wantProblem(t, call(t, http.MethodPost, s.AuthURL+"/auth/refresh", map[string]string{"refresh_token": refresh}), 401, hub.EUNAUTHORIZED)
	})

	t.Run("existing account joins another tenant", func(t *testing.T) {
		r := call(t, http.MethodPost, s.AuthURL+"/tenants/"+b.ID+"/users", map[string]string{"email": a.AdminEmail, "password": "another-pass-1", "role": "viewer"}, bearer(b.AdminToken))
		wantProblem(t, r, 409, hub.ECONFLICT)
		r = call(t, http.MethodPost, s.AuthURL+"/tenants/"+b.ID+"/users", map[string]string{"email": a.AdminEmail, "role": "viewer"}, bearer(b.AdminToken))
		if r.Status != 201 {
			t.Fatalf("join: %d %s", r.Status, r.Body)
		}
		// The old password still works, and the user can pick tenant B at login.
		r = call(t, http.MethodPost, s.AuthURL+"/auth/login", map[string]string{"email": a.AdminEmail, "password": a.AdminPassword, "tenant_id": b.ID})
		if r.Status != 200 || r.field(t, "tenant_id") != b.ID {
			t.Fatalf("login into B: %d %s", r.Status, r.Body)
		}
		tokB := r.field(t, "access_token")
		// As a viewer in B this user may read B's users but not add any.
		if r := call(t, http.MethodGet, s.AuthURL+"/tenants/"+b.ID+"/users", nil, bearer(tokB)); r.Status != 200 {
			t.Errorf("viewer in B lists users: %d", r.Status)
		}
		var me struct{ Memberships []hub.Membership }
		call(t, http.MethodGet, s.AuthURL+"/auth/me", nil, bearer(tokB)).json(t, &me)
		if len(me.Memberships) != 2 {
			t.Errorf("memberships = %d, want 2", len(me.Memberships))
		}
	})

	t.Run("suspended tenant cannot log in", func(t *testing.T) {
		c := s.makeTenant(t, root, "gamma")
		if r := call(t, http.MethodPatch, s.AuthURL+"/tenants/"+c.ID, map[string]string{"status": "suspended"}, bearer(root)); r.Status != 200 {
			t.Fatalf("suspend: %d %s", r.Status, r.Body)
		}
		wantProblem(t, call(t, http.MethodPost, s.AuthURL+"/auth/login", map[string]string{"email": c.AdminEmail, "password": c.AdminPassword}), 403, hub.EFORBIDDEN)
		wantProblem(t, call(t, http.MethodPatch, s.AuthURL+"/tenants/"+c.ID, map[string]string{"status": "gone"}, bearer(root)), 400, hub.EINVALID)
	})

	t.Run("audit log records changes with request ids", func(t *testing.T) {
		var list struct{ Items []hub.AuditEntry }
		call(t, http.MethodGet, s.AuthURL+"/tenants/"+a.ID+"/audit?limit=200", nil, bearer(a.AdminToken)).json(t, &list)
		seen := map[string]bool{}
		for _, e := range list.Items {
			seen[e.Action] = true
			if e.TenantID != a.ID {
				t.Errorf("entry of tenant %s in A's log", e.TenantID)
			}
			if e.RequestID == "" || e.ActorID == "" {
				t.Errorf("entry without request id or actor: %+v", e)
			}
		}
		for _, want := range []string{"tenant.create", "user.create", "membership.create", "auth.login", "auth.logout", "api_key.create", "api_key.revoke"} {
			if !seen[want] {
				t.Errorf("no %s entry in %v", want, seen)
			}
		}
	})

	t.Run("login rate limit per account", func(t *testing.T) {
		var last response
		for i := 0; i < 12; i++ {
			last = call(t, http.MethodPost, s.AuthURL+"/auth/login", map[string]string{"email": "member@beta.test", "password": "wrong-" + fmt.Sprint(i)})
		}
		wantProblem(t, last, 429, hub.ERATELIMITED)
		if last.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		// Even the right password is refused while the account is locked.
		wantProblem(t, call(t, http.MethodPost, s.AuthURL+"/auth/login", map[string]string{"email": "member@beta.test", "password": "member-pass-beta"}), 429, hub.ERATELIMITED)
	})

	t.Run("readiness and openapi", func(t *testing.T) {
		r := call(t, http.MethodGet, s.BrainURL+"/readyz", nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"temporal":"ok"`) {
			t.Errorf("readyz = %d %s", r.Status, r.Body)
		}
		var doc struct {
			Paths map[string]map[string]any `json:"paths"`
		}
		call(t, http.MethodGet, s.BrainURL+"/api/openapi.json", nil).json(t, &doc)
		for _, p := range []string{"/api/v1/me", "/healthz", "/readyz", "/metrics", "/api/openapi.json"} {
			if doc.Paths[p] == nil {
				t.Errorf("openapi lacks %s", p)
			}
		}
		m := call(t, http.MethodGet, s.BrainURL+"/metrics", nil)
		if !strings.Contains(string(m.Body), `bizos_http_requests_total{method="GET",route="/api/v1/me",service="brain",status="200"}`) {
			t.Error("metrics lack the request counter of /api/v1/me")
		}
	})

	t.Run("portal forwards to both services", func(t *testing.T) {
		if r := call(t, http.MethodGet, s.PortalURL+"/api/v1/me", nil, bearer(a.AdminToken)); r.Status != 200 {
			t.Errorf("portal /api: %d %s", r.Status, r.Body)
		}
		if r := call(t, http.MethodGet, s.PortalURL+"/auth/me", nil, bearer(a.AdminToken)); r.Status != 200 {
			t.Errorf("portal /auth: %d %s", r.Status, r.Body)
		}
		if r := call(t, http.MethodGet, s.PortalURL+"/", nil); r.Status != 200 || !strings.Contains(string(r.Body), "BizOS Hub") {
			t.Errorf("portal page: %d", r.Status)
		}
	})

	t.Run("no secret in logs or answers", func(t *testing.T) {
		logs := s.logs.String()
		secretsSeen := []string{adminPassword, a.AdminPassword, "member-pass-alpha", a.AdminToken, a.AdminRefresh, "$argon2id$"}
		for _, sec := range secretsSeen {
			if strings.Contains(logs, sec) {
				t.Errorf("logs contain a secret (%.12s...)", sec)
			}
		}
		for _, path := range []string{"/tenants/" + a.ID + "/users", "/tenants/" + a.ID + "/api-keys", "/tenants/" + a.ID + "/audit", "/auth/me"} {
			body := string(call(t, http.MethodGet, s.AuthURL+path, nil, bearer(a.AdminToken)).Body)
			for _, bad := range []string{"password", "$argon2id$", "key_hash", a.AdminPassword} {
				if strings.Contains(body, bad) {
					t.Errorf("%s answer contains %q", path, bad)
				}
			}
		}
	})
}

// currentSigningKey reads the active signing key the way authsvc does.
func (s *testStack) currentSigningKey(t *testing.T) *hub.SigningKey {
	t.Helper()
	ctx := context.Background()
	ring, err := secrets.LoadOrCreateKeyFile(filepath.Join(s.cfg.DataDir, "master.key"), false)
	if err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, s.cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys, err := postgres.NewSigningKeyStore(db, ring).SigningKeys(ctx, time.Now())
	if err != nil || len(keys) == 0 {
		t.Fatalf("signing keys: %v", err)
	}
	return keys[0]
}

type routeInfo struct{ method, path string }

// authRoutes lists authsvc's routes from its OpenAPI document.
func (s *testStack) authRoutes(t *testing.T) []routeInfo {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	call(t, http.MethodGet, s.AuthURL+"/openapi.json", nil).json(t, &doc)
	var out []routeInfo
	for p, ops := range doc.Paths {
		for m := range ops {
			out = append(out, routeInfo{strings.ToUpper(m), p})
		}
	}
	return out
}

// snapshot summarises a tenant's users, keys and audit log as the super admin sees them.
func (s *testStack) snapshot(t *testing.T, root, tenantID string) string {
	t.Helper()
	var parts []string
	for _, p := range []string{"/users", "/api-keys", "/audit"} {
		parts = append(parts, string(call(t, http.MethodGet, s.AuthURL+"/tenants/"+tenantID+p+"?limit=200", nil, bearer(root)).Body))
	}
	return strings.Join(parts, "\n")
}

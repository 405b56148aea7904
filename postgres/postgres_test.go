package postgres_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/secrets"
)

func mustTenant(t *testing.T, s *postgres.TenantStore, slug string) *hub.Tenant {
	t.Helper()
	tn := &hub.Tenant{Name: slug, Slug: slug}
	if err := s.CreateTenant(context.Background(), tn); err != nil {
		t.Fatal(err)
	}
	return tn
}

func mustUser(t *testing.T, s *postgres.UserStore, email string) *hub.User {
	t.Helper()
	u := &hub.User{Email: email}
	if err := s.CreateUser(context.Background(), u, "hash"); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestMigrateIsIdempotent(t *testing.T) {
	db := testenv.NewDB(t)
	applied, err := db.Migrate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Errorf("second Migrate applied %v, want nothing", applied)
	}
}

func TestRowLevelSecurityIsolatesTenants(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	tenants, users := postgres.NewTenantStore(db), postgres.NewUserStore(db)
	a, b := mustTenant(t, tenants, "alpha"), mustTenant(t, tenants, "beta")
	ua, ub := mustUser(t, users, "a@example.com"), mustUser(t, users, "b@example.com")
	if _, err := users.AddMembership(ctx, a.ID, ua.ID, hub.RoleMember); err != nil {
		t.Fatal(err)
	}
	if _, err := users.AddMembership(ctx, b.ID, ub.ID, hub.RoleMember); err != nil {
		t.Fatal(err)
	}
	count := func(run func(context.Context, func(pgx.Tx) error) error) int {
		var n int
		if err := run(ctx, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM memberships`).Scan(&n)
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	inA := func(ctx context.Context, fn func(pgx.Tx) error) error { return db.InTenant(ctx, a.ID, fn) }
	noScope := func(ctx context.Context, fn func(pgx.Tx) error) error {
		return pgx.BeginFunc(ctx, db.Pool, fn)
	}
	tests := []struct {
		name string
		run  func(context.Context, func(pgx.Tx) error) error
		want int
	}{
		{"tenant scope sees its own rows only", inA, 1},
		{"system scope sees all", db.InSystem, 2},
		{"no scope sees nothing", noScope, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := count(tt.run); got != tt.want {
				t.Errorf("rows = %d, want %d", got, tt.want)
			}
		})
	}
	// A write into another tenant from a tenant scope is refused by the policy.
	err := db.InTenant(ctx, a.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'viewer')`, b.ID, ua.ID)
		return err
	})
	if err == nil {
		t.Error("inserting a row of tenant B inside tenant A's scope succeeded")
	}
	if _, err := users.Membership(ctx, a.ID, ub.ID); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("membership of B's user in A: err = %v, want not found", err)
	}
}

func TestUsersAndPagination(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	tenants, users := postgres.NewTenantStore(db), postgres.NewUserStore(db)
	tn := mustTenant(t, tenants, "acme")
	var want []string
	for _, e := range []string{"u1@x.io", "u2@x.io", "u3@x.io", "u4@x.io", "u5@x.io"} {
		u := mustUser(t, users, e)
		if _, err := users.AddMembership(ctx, tn.ID, u.ID, hub.RoleViewer); err != nil {
			t.Fatal(err)
		}
		want = append([]string{e}, want...)
	}
	if err := users.CreateUser(ctx, &hub.User{Email: "U1@X.io"}, "h"); hub.ErrorCode(err) != hub.ECONFLICT {
		t.Errorf("duplicate email (other case): err = %v, want conflict", err)
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		items, next, err := users.ListMembers(ctx, tn.ID, hub.Page{Cursor: cursor, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range items {
			got = append(got, m.Email)
		}
		if next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		cursor = next
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if _, _, err := users.ListMembers(ctx, tn.ID, hub.Page{Cursor: "garbage!"}); hub.ErrorCode(err) != hub.EINVALID {
		t.Errorf("bad cursor: err = %v, want invalid", err)
	}
	if _, err := tenants.Tenant(ctx, "not-a-uuid"); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("malformed tenant id: err = %v, want not found", err)
	}
}

func TestRefreshTokenRotationAndReuse(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	users, store := postgres.NewUserStore(db), postgres.NewRefreshTokenStore(db)
	u := mustUser(t, users, "r@x.io")
	now := time.Now()
	first := &hub.RefreshToken{UserID: u.ID, Hash: []byte("h1"), ExpiresAt: now.Add(time.Hour)}
	if err := store.CreateRefreshToken(ctx, first); err != nil {
		t.Fatal(err)
	}
	if got, err := store.RefreshToken(ctx, []byte("h1"), now); err != nil || got.ID != first.ID || got.UserID != u.ID {
		t.Fatalf("peek = %+v, %v", got, err)
	}
	second := &hub.RefreshToken{Hash: []byte("h2"), ExpiresAt: now.Add(time.Hour)}
	spent, err := store.RotateRefreshToken(ctx, []byte("h1"), second, now)
	if err != nil {
		t.Fatal(err)
	}
	if spent.UserID != u.ID || second.FamilyID != first.FamilyID {
		t.Fatalf("rotation lost the family: spent=%+v next=%+v", spent, second)
	}
	if _, err := store.RefreshToken(ctx, []byte("h1"), now); hub.ErrorCode(err) != hub.EUNAUTHORIZED {
		t.Errorf("peek at a spent token: err = %v, want unauthorized", err)
	}
	// Replaying the spent token revokes the family, including the fresh token.
	if _, err := store.RotateRefreshToken(ctx, []byte("h1"), &hub.RefreshToken{Hash: []byte("h3"), ExpiresAt: now.Add(time.Hour)}, now); hub.ErrorCode(err) != hub.EUNAUTHORIZED {
		t.Fatalf("reuse: err = %v, want unauthorized", err)
	}
	if _, err := store.RotateRefreshToken(ctx, []byte("h2"), &hub.RefreshToken{Hash: []byte("h4"), ExpiresAt: now.Add(time.Hour)}, now); hub.ErrorCode(err) != hub.EUNAUTHORIZED {
		t.Fatalf("token after family revocation: err = %v, want unauthorized", err)
	}
	// Expired and unknown tokens.
	expired := &hub.RefreshToken{UserID: u.ID, Hash: []byte("old"), ExpiresAt: now.Add(-time.Minute)}
	if err := store.CreateRefreshToken(ctx, expired); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"old", "unknown"} {
		if _, err := store.RotateRefreshToken(ctx, []byte(h), &hub.RefreshToken{Hash: []byte(h + "-next"), ExpiresAt: now}, now); hub.ErrorCode(err) != hub.EUNAUTHORIZED {
			t.Errorf("%s: err = %v, want unauthorized", h, err)
		}
	}
	n, err := store.PurgeRefreshTokens(ctx, now)
	if err != nil || n != 1 {
		t.Errorf("purge = %d, %v; want 1", n, err)
	}
}

func TestRefreshTokenRotationSwitchesTenant(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	tenants, users, store := postgres.NewTenantStore(db), postgres.NewUserStore(db), postgres.NewRefreshTokenStore(db)
	a, b := mustTenant(t, tenants, "alpha"), mustTenant(t, tenants, "beta")
	u := mustUser(t, users, "s@x.io")
	now := time.Now()
	if err := store.CreateRefreshToken(ctx, &hub.RefreshToken{UserID: u.ID, TenantID: a.ID, Hash: []byte("s1"), ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	kept := &hub.RefreshToken{Hash: []byte("s2"), ExpiresAt: now.Add(time.Hour)}
	if _, err := store.RotateRefreshToken(ctx, []byte("s1"), kept, now); err != nil || kept.TenantID != a.ID {
		t.Fatalf("rotation without a switch: tenant %q, %v; want %q", kept.TenantID, err, a.ID)
	}
	switched := &hub.RefreshToken{TenantID: b.ID, Hash: []byte("s3"), ExpiresAt: now.Add(time.Hour)}
	spent, err := store.RotateRefreshToken(ctx, []byte("s2"), switched, now)
	if err != nil || spent.TenantID != a.ID || switched.FamilyID != kept.FamilyID {
		t.Fatalf("switch: spent %+v, next %+v, %v", spent, switched, err)
	}
	if got, err := store.RefreshToken(ctx, []byte("s3"), now); err != nil || got.TenantID != b.ID {
		t.Errorf("stored switched token = %+v, %v; want tenant %q", got, err, b.ID)
	}
}

func TestMembershipsNameTheirTenant(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	tenants, users := postgres.NewTenantStore(db), postgres.NewUserStore(db)
	a, b := mustTenant(t, tenants, "alpha"), mustTenant(t, tenants, "beta")
	u := mustUser(t, users, "m@x.io")
	added, err := users.AddMembership(ctx, a.ID, u.ID, hub.RoleMember)
	if err != nil || added.TenantName != "alpha" {
		t.Fatalf("add = %+v, %v", added, err)
	}
	if _, err := users.AddMembership(ctx, b.ID, u.ID, hub.RoleViewer); err != nil {
		t.Fatal(err)
	}
	ms, err := users.UserMemberships(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.TenantID+" "+m.TenantName+" "+string(m.Role))
	}
	want := []string{a.ID + " alpha member", b.ID + " beta viewer"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("memberships (-want +got):\n%s", diff)
	}
	one, err := users.Membership(ctx, b.ID, u.ID)
	if err != nil || one.TenantName != "beta" {
		t.Errorf("membership = %+v, %v", one, err)
	}
	members, _, err := users.ListMembers(ctx, a.ID, hub.Page{})
	if err != nil || len(members) != 1 || members[0].TenantName != "alpha" {
		t.Errorf("members = %+v, %v", members, err)
	}
}

func TestAPIKeys(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	tenants, keys := postgres.NewTenantStore(db), postgres.NewAPIKeyStore(db)
	a, b := mustTenant(t, tenants, "alpha"), mustTenant(t, tenants, "beta")
	k := &hub.APIKey{TenantID: a.ID, Name: "zapier", Prefix: "bzk_abc", Scopes: []string{"*:read"}, CreatedBy: a.ID}
	if err := keys.CreateAPIKey(ctx, k, []byte("hash")); err != nil {
		t.Fatal(err)
	}
	got, hash, err := keys.APIKeyByPrefix(ctx, "bzk_abc")
	if err != nil || string(hash) != "hash" || got.TenantID != a.ID {
		t.Fatalf("by prefix = %+v, %q, %v", got, hash, err)
	}
	if _, err := keys.RevokeAPIKey(ctx, b.ID, k.ID, time.Now()); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("revoke through another tenant: err = %v, want not found", err)
	}
	if items, _, _ := keys.ListAPIKeys(ctx, b.ID, hub.Page{}); len(items) != 0 {
		t.Errorf("tenant B lists %d of A's keys", len(items))
	}
	revoked, err := keys.RevokeAPIKey(ctx, a.ID, k.ID, time.Now())
	if err != nil || revoked.RevokedAt == nil || revoked.Usable(time.Now()) {
		t.Fatalf("revoke = %+v, %v", revoked, err)
	}
}

func TestSigningKeysSealedAndReencrypted(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	v1, _ := secrets.NewKeySpec(1)
	ring1, _ := secrets.ParseKeyring(v1)
	store := postgres.NewSigningKeyStore(db, ring1)
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	k := &hub.SigningKey{KID: "k1", PrivateKey: priv, PublicKey: pub, CreatedAt: time.Now()}
	active, err := store.EnsureSigningKey(ctx, k)
	if err != nil || active.KID != "k1" {
		t.Fatalf("ensure = %v, %v", active, err)
	}
	pub2, priv2, _ := ed25519.GenerateKey(rand.Reader)
	if again, err := store.EnsureSigningKey(ctx, &hub.SigningKey{KID: "k2", PrivateKey: priv2, PublicKey: pub2, CreatedAt: time.Now()}); err != nil || again.KID != "k1" {
		t.Fatalf("second ensure = %v, %v; want k1 kept", again, err)
	}
	var sealed []byte
	if err := db.InSystem(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT private_key_encrypted FROM signing_keys WHERE kid = 'k1'`).Scan(&sealed)
	}); err != nil {
		t.Fatal(err)
	}
	if string(sealed) == string(priv) || len(sealed) <= len(priv) {
		t.Fatal("private key stored in the clear")
	}
	v2, _ := secrets.NewKeySpec(2)
	ring2, _ := secrets.ParseKeyring(v1 + "," + v2)
	store2 := postgres.NewSigningKeyStore(db, ring2)
	if n, err := store2.ReencryptSigningKeys(ctx); err != nil || n != 1 {
		t.Fatalf("reencrypt = %d, %v; want 1", n, err)
	}
	ring2only, _ := secrets.ParseKeyring(v2)
	keys, err := postgres.NewSigningKeyStore(db, ring2only).SigningKeys(ctx, time.Now())
	if err != nil || len(keys) != 1 || !priv.Equal(keys[0].PrivateKey) {
		t.Fatalf("keys under v2 only = %v, %v", keys, err)
	}
	if _, err := store.SigningKeys(ctx, time.Now()); err == nil {
		t.Error("the v1-only keyring still opens keys re-sealed under v2")
	}
}

func TestAuditLogIsPerTenant(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	tenants, audit := postgres.NewTenantStore(db), postgres.NewAuditLog(db)
	a, b := mustTenant(t, tenants, "alpha"), mustTenant(t, tenants, "beta")
	for i, tn := range []*hub.Tenant{a, a, a, b} {
		e := &hub.AuditEntry{TenantID: tn.ID, ActorType: "user", ActorID: "u", Action: "test.action", TargetType: "x", TargetID: string(rune('a' + i))}
		if err := audit.RecordAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	page1, next, err := audit.ListAudit(ctx, a.ID, hub.Page{Limit: 2})
	if err != nil || len(page1) != 2 || next == "" {
		t.Fatalf("page 1 = %d items, next %q, %v", len(page1), next, err)
	}
	page2, next2, err := audit.ListAudit(ctx, a.ID, hub.Page{Limit: 2, Cursor: next})
	if err != nil || len(page2) != 1 || next2 != "" {
		t.Fatalf("page 2 = %d items, next %q, %v", len(page2), next2, err)
	}
	if got := []string{page1[0].TargetID, page1[1].TargetID, page2[0].TargetID}; !cmp.Equal(got, []string{"c", "b", "a"}) {
		t.Errorf("order = %v, want newest first", got)
	}
	var herr *hub.Error
	if _, _, err := audit.ListAudit(ctx, a.ID, hub.Page{Cursor: "%%"}); !errors.As(err, &herr) || herr.Code != hub.EINVALID {
		t.Errorf("bad cursor: %v", err)
	}
}

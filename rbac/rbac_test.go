package rbac_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/rbac"
	"github.com/bizoshub/bizos/redisstore"
)

func user(id, tenant string) hub.Principal {
	return hub.Principal{Kind: hub.PrincipalUser, ID: id, TenantID: tenant}
}

func TestAuthorize(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	a, err := rbac.New(postgres.NewCasbinAdapter(db), nil)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(a.AssignRole(ctx, "root", "*", hub.RoleSuperAdmin))
	must(a.AssignRole(ctx, "alice", "tA", hub.RoleTenantAdmin))
	must(a.AssignRole(ctx, "mia", "tA", hub.RoleMember))
	must(a.AssignRole(ctx, "vic", "tA", hub.RoleViewer))
	must(a.GrantScopes(ctx, "key1", "tA", []string{"users:read"}))
	key := hub.Principal{Kind: hub.PrincipalAPIKey, ID: "key1", TenantID: "tA"}

	tests := []struct {
		name     string
		p        hub.Principal
		tenant   string
		resource string
		action   string
		want     string
	}{
		{"super admin anywhere", user("root", ""), "tB", "api-keys", "write", ""},
		{"super admin global", user("root", ""), "*", "tenants", "write", ""},
		{"tenant admin own tenant", user("alice", "tA"), "tA", "api-keys", "write", ""},
		{"tenant admin other tenant is invisible", user("alice", "tA"), "tB", "users", "read", hub.ENOTFOUND},
		{"tenant admin cannot act globally", user("alice", "tA"), "*", "tenants", "write", hub.ENOTFOUND},
		{"member reads users", user("mia", "tA"), "tA", "users", "read", ""},
		{"member cannot add users", user("mia", "tA"), "tA", "users", "write", hub.EFORBIDDEN},
		{"viewer cannot write profile", user("vic", "tA"), "tA", "profile", "write", hub.EFORBIDDEN},
		{"stranger", user("eve", ""), "tA", "users", "read", hub.ENOTFOUND},
		{"api key within scope", key, "tA", "users", "read", ""},
		{"api key outside scope", key, "tA", "users", "write", hub.EFORBIDDEN},
		{"api key other tenant", key, "tB", "users", "read", hub.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := a.Authorize(ctx, tt.p, tt.tenant, tt.resource, tt.action)
			if got := hub.ErrorCode(err); got != tt.want {
				t.Errorf("Authorize = %v, want code %q", err, tt.want)
			}
		})
	}

	// Grants survive a reload from PostgreSQL; role changes replace roles.
	must(a.AssignRole(ctx, "mia", "tA", hub.RoleViewer))
	reloaded, err := rbac.New(postgres.NewCasbinAdapter(db), nil)
	must(err)
	if got := reloaded.RolesIn("mia", "tA"); len(got) != 1 || got[0] != "role:viewer" {
		t.Errorf("mia's roles after reload = %v, want [role:viewer]", got)
	}
	must(reloaded.RevokePrincipal(ctx, key.Subject()))
	if err := reloaded.Authorize(ctx, key, "tA", "users", "read"); hub.ErrorCode(err) != hub.EFORBIDDEN {
		t.Errorf("revoked key: err = %v, want forbidden", err)
	}
	if err := reloaded.GrantScopes(ctx, "key2", "tA", []string{"bogus"}); hub.ErrorCode(err) != hub.EINVALID {
		t.Errorf("bad scope: err = %v, want invalid", err)
	}
}

// TestWatcherPropagatesChanges runs two replicas on one database: a grant made
// on one is enforced by the other once the Redis announcement arrives.
func TestWatcherPropagatesChanges(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	rdb, prefix := testenv.NewRedis(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	newReplica := func() *rbac.Authorizer {
		w, err := redisstore.NewWatcher(ctx, rdb, prefix+"policy", log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Close)
		a, err := rbac.New(postgres.NewCasbinAdapter(db), w)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	one, two := newReplica(), newReplica()
	if err := two.Authorize(ctx, user("bob", "tA"), "tA", "users", "read"); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Fatalf("before grant: err = %v, want not found", err)
	}
	if err := one.AssignRole(ctx, "bob", "tA", hub.RoleViewer); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := two.Authorize(ctx, user("bob", "tA"), "tA", "users", "read")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica two never saw the grant: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

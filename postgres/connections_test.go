package postgres_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/secrets"
)

func TestConnectionStore(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	v1, _ := secrets.NewKeySpec(1)
	ring, _ := secrets.ParseKeyring(v1)
	store := postgres.NewConnectionStore(db, ring)
	tenants := postgres.NewTenantStore(db)
	a, b := mustTenant(t, tenants, "alpha"), mustTenant(t, tenants, "beta")

	conn := &hub.Connection{TenantID: a.ID, Provider: "hubspot", Name: "HubSpot", AuthMode: "oauth2", CreatedBy: "user:x",
		Config: map[string]string{"region": "eu"}}
	creds := &hub.Credentials{AccessToken: "at-secret-1", RefreshToken: "rt-secret-1", Expiry: time.Now().Add(time.Hour).Truncate(time.Second)}
	if err := store.CreateConnection(ctx, conn, creds); err != nil {
		t.Fatal(err)
	}
	var sealed []byte
	if err := db.InSystem(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT credentials_sealed FROM connections WHERE id = $1`, conn.ID).Scan(&sealed)
	}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("at-secret-1")) || bytes.Contains(sealed, []byte("rt-secret-1")) {
		t.Fatal("credentials stored in the clear")
	}
	got, version, err := store.ConnectionCredentials(ctx, a.ID, conn.ID)
	if err != nil || got.AccessToken != "at-secret-1" || !got.Expiry.Equal(creds.Expiry) {
		t.Fatalf("credentials = %+v, %v", got, err)
	}
	// Tenant B sees nothing of A's connection.
	if _, err := store.Connection(ctx, b.ID, conn.ID); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("B reads A's connection: %v", err)
	}
	if _, _, err := store.ConnectionCredentials(ctx, b.ID, conn.ID); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("B reads A's credentials: %v", err)
	}
	if err := store.DeleteConnection(ctx, b.ID, conn.ID); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("B deletes A's connection: %v", err)
	}
	// Compare-and-swap updates: a stale version loses.
	next := &hub.Credentials{AccessToken: "at-2", RefreshToken: "rt-2"}
	v2, err := store.UpdateCredentials(ctx, a.ID, conn.ID, next, version)
	if err != nil || v2 != version+1 {
		t.Fatalf("update = %d, %v", v2, err)
	}
	if _, err := store.UpdateCredentials(ctx, a.ID, conn.ID, &hub.Credentials{AccessToken: "stale"}, version); hub.ErrorCode(err) != hub.ECONFLICT {
		t.Errorf("stale update: err = %v, want conflict", err)
	}
	if err := store.SetConnectionStatus(ctx, a.ID, conn.ID, hub.ConnectionExpired, "invalid_grant"); err != nil {
		t.Fatal(err)
	}
	c, _ := store.Connection(ctx, a.ID, conn.ID)
	if c.Status != hub.ConnectionExpired || c.LastError != "invalid_grant" || c.LastCheckedAt == nil {
		t.Errorf("after status update: %+v", c)
	}
	// Re-sealing under a new master key keeps the credentials readable.
	v2spec, _ := secrets.NewKeySpec(2)
	ring2, _ := secrets.ParseKeyring(v1 + "," + v2spec)
	if n, err := postgres.NewConnectionStore(db, ring2).ReencryptCredentials(ctx); err != nil || n != 1 {
		t.Fatalf("reencrypt = %d, %v", n, err)
	}
	only2, _ := secrets.ParseKeyring(v2spec)
	if got, _, err := postgres.NewConnectionStore(db, only2).ConnectionCredentials(ctx, a.ID, conn.ID); err != nil || got.AccessToken != "at-2" {
		t.Fatalf("after reencrypt: %+v, %v", got, err)
	}
	if err := store.DeleteConnection(ctx, a.ID, conn.ID); err != nil {
		t.Fatal(err)
	}
}

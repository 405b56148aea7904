package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
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

func TestConnectionChecks(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	v1, _ := secrets.NewKeySpec(1)
	ring, _ := secrets.ParseKeyring(v1)
	store := postgres.NewConnectionStore(db, ring)
	tenants := postgres.NewTenantStore(db)
	a, b := mustTenant(t, tenants, "alpha"), mustTenant(t, tenants, "beta")
	conn := &hub.Connection{TenantID: a.ID, Provider: "stripe", Name: "Stripe", AuthMode: "api_key", CreatedBy: "user:x"}
	if err := store.CreateConnection(ctx, conn, &hub.Credentials{Fields: map[string]string{"api_key": "sk_test_x"}}); err != nil {
		t.Fatal(err)
	}
	checks := []*hub.ConnectionCheck{
		{ConnectionID: conn.ID, Status: hub.ConnectionConnected, OK: true, LatencyMS: 12, Source: hub.CheckSourceConnect},
		{ConnectionID: conn.ID, Status: hub.ConnectionError, Error: "HTTP 500: boom", LatencyMS: 40, Source: hub.CheckSourceScheduled},
		{ConnectionID: conn.ID, Status: hub.ConnectionExpired, Error: "HTTP 401: revoked", LatencyMS: 7, Source: hub.CheckSourceTest},
	}
	for _, chk := range checks {
		if err := store.RecordConnectionCheck(ctx, a.ID, chk); err != nil {
			t.Fatal(err)
		}
		if chk.ID == "" || chk.TenantID != a.ID || chk.CheckedAt.IsZero() {
			t.Fatalf("recorded check not filled in: %+v", chk)
		}
	}
	// The connection carries the last outcome.
	c, err := store.Connection(ctx, a.ID, conn.ID)
	if err != nil || c.Status != hub.ConnectionExpired || c.LastError != "HTTP 401: revoked" || c.LastCheckedAt == nil || !c.LastCheckedAt.Equal(checks[2].CheckedAt) {
		t.Fatalf("connection after checks = %+v, %v", c, err)
	}
	// Newest first, in pages.
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		items, next, err := store.ListConnectionChecks(ctx, a.ID, conn.ID, hub.Page{Cursor: cursor, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			got = append(got, fmt.Sprintf("%s %s %v %q %d", it.Source, it.Status, it.OK, it.Error, it.LatencyMS))
		}
		if next == "" {
			break
		}
		if pages > 3 {
			t.Fatal("pagination does not end")
		}
		cursor = next
	}
	want := []string{`test expired false "HTTP 401: revoked" 7`, `scheduled error false "HTTP 500: boom" 40`, `connect connected true "" 12`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
	// Another tenant sees nothing and records nothing.
	if items, _, err := store.ListConnectionChecks(ctx, b.ID, conn.ID, hub.Page{}); err != nil || len(items) != 0 {
		t.Errorf("tenant B lists %d of A's checks, %v", len(items), err)
	}
	if err := store.RecordConnectionCheck(ctx, b.ID, &hub.ConnectionCheck{ConnectionID: conn.ID, Status: hub.ConnectionConnected, OK: true,
		Source: hub.CheckSourceTest}); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("tenant B records a check of A's connection: err = %v, want not found", err)
	}
	var inB int
	if err := db.InTenant(ctx, b.ID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM connection_checks`).Scan(&inB)
	}); err != nil || inB != 0 {
		t.Errorf("tenant B's scope sees %d checks, %v", inB, err)
	}
	if _, _, err := store.ListConnectionChecks(ctx, a.ID, "not-a-uuid", hub.Page{}); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("malformed connection id: err = %v, want not found", err)
	}
	// Only the newest ConnectionCheckHistory are kept.
	for i := 0; i < hub.ConnectionCheckHistory+5; i++ {
		if err := store.RecordConnectionCheck(ctx, a.ID, &hub.ConnectionCheck{ConnectionID: conn.ID, Status: hub.ConnectionConnected, OK: true,
			LatencyMS: i, Source: hub.CheckSourceScheduled}); err != nil {
			t.Fatal(err)
		}
	}
	var kept, oldest int
	if err := db.InTenant(ctx, a.ID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*), min(latency_ms) FROM connection_checks WHERE connection_id = $1`, conn.ID).Scan(&kept, &oldest)
	}); err != nil {
		t.Fatal(err)
	}
	if kept != hub.ConnectionCheckHistory || oldest != 5 {
		t.Errorf("history keeps %d checks, oldest latency %d; want %d, 5", kept, oldest, hub.ConnectionCheckHistory)
	}
	// Deleting the connection deletes its history.
	if err := store.DeleteConnection(ctx, a.ID, conn.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.InSystem(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM connection_checks`).Scan(&kept)
	}); err != nil || kept != 0 {
		t.Errorf("%d checks outlive their connection, %v", kept, err)
	}
}

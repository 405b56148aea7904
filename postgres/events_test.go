package postgres_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/postgres"
)

func TestEventStore(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	tenants, store := postgres.NewTenantStore(db), postgres.NewEventStore(db)
	a, b := mustTenant(t, tenants, "alpha"), mustTenant(t, tenants, "beta")
	ev := func(tenant, typ, ext string) *hub.Event {
		return &hub.Event{TenantID: tenant, Type: typ, Source: "conn-1", ExternalID: ext, Payload: json.RawMessage(`{"n":1}`)}
	}
	batch := []*hub.Event{ev(a.ID, "stripe.invoice.paid", "evt_1"), ev(b.ID, "stripe.invoice.paid", "evt_1"),
		ev(a.ID, "stripe.invoice.paid", "evt_1"), ev(a.ID, "shopify.orders.create", ""), ev(a.ID, "shopify.orders.create", "")}
	dups, err := store.AppendEvents(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	// The same delivery id twice in one tenant is stored once; other tenants
	// and events without an id are independent.
	if diff := cmp.Diff([]bool{false, false, true, false, false}, dups); diff != "" {
		t.Errorf("duplicates (-want +got):\n%s", diff)
	}
	again, _ := store.AppendEvents(ctx, []*hub.Event{ev(a.ID, "stripe.invoice.paid", "evt_1")})
	if !again[0] {
		t.Error("a redelivered event was stored again")
	}
	list, _, err := store.ListEvents(ctx, a.ID, hub.EventFilter{Type: "shopify.*"}, hub.Page{})
	if err != nil || len(list) != 2 {
		t.Fatalf("shopify events of A = %d, %v", len(list), err)
	}
	all, _, _ := store.ListEvents(ctx, a.ID, hub.EventFilter{}, hub.Page{})
	if len(all) != 3 {
		t.Errorf("events of A = %d, want 3", len(all))
	}
	if _, err := store.Event(ctx, b.ID, all[0].ID); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("B reads A's event: %v", err)
	}
	got, err := store.Event(ctx, a.ID, all[0].ID)
	if err != nil || string(got.Payload) != `{"n": 1}` && string(got.Payload) != `{"n":1}` {
		t.Errorf("event = %+v, %v", got, err)
	}
	if n, err := store.PurgeEvents(ctx, time.Now().Add(time.Minute)); err != nil || n != 4 {
		t.Errorf("purge = %d, %v; want 4", n, err)
	}
}

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
	"github.com/bizoshub/bizos/secrets"
)

func TestWebhookStore(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	spec, _ := secrets.NewKeySpec(1)
	ring, err := secrets.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	tenants, store, events := postgres.NewTenantStore(db), postgres.NewWebhookStore(db, ring), postgres.NewEventStore(db)
	a, b := mustTenant(t, tenants, "alpha"), mustTenant(t, tenants, "beta")

	ep := &hub.WebhookEndpoint{TenantID: a.ID, URL: "https://example.com/hook", EventTypes: []string{"stripe.*", "shopify.orders.create"},
		Enabled: true, CreatedBy: "user:u1"}
	if err := store.CreateWebhookEndpoint(ctx, ep, "whsec_one"); err != nil {
		t.Fatal(err)
	}
	// The secret is sealed, not stored in the clear.
	var sealed []byte
	if err := db.Pool.QueryRow(ctx, `SELECT secrets_sealed FROM webhook_endpoints`).Scan(&sealed); err == nil {
		t.Error("webhook_endpoints visible without a tenant scope")
	}
	if _, err := store.WebhookEndpoint(ctx, b.ID, ep.ID); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("B reads A's endpoint: %v", err)
	}
	if list, _, _ := store.ListWebhookEndpoints(ctx, b.ID, hub.Page{}); len(list) != 0 {
		t.Errorf("B lists %d endpoints", len(list))
	}
	for typ, want := range map[string]int{"stripe.invoice.paid": 1, "shopify.orders.create": 1, "shopify.orders.paid": 0} {
		got, err := store.MatchingWebhookEndpoints(ctx, a.ID, typ)
		if err != nil || len(got) != want {
			t.Errorf("matching %s = %d, %v; want %d", typ, len(got), err, want)
		}
	}

	now := time.Now()
	if err := store.RotateWebhookSecret(ctx, a.ID, ep.ID, "whsec_two", now.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	sec, err := store.WebhookSecrets(ctx, a.ID, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"whsec_two", "whsec_one"}, sec.Active(now)); diff != "" {
		t.Errorf("active secrets (-want +got):\n%s", diff)
	}
	if got := sec.Active(now.Add(25 * time.Hour)); len(got) != 1 {
		t.Errorf("old secret still active after 25 h: %v", got)
	}

	// Deliveries are unique per (endpoint, event).
	evs := []*hub.Event{{TenantID: a.ID, Type: "stripe.invoice.paid", Source: "c1", Payload: json.RawMessage(`{}`)}}
	if _, err := events.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	d1, created, err := store.EnsureWebhookDelivery(ctx, &hub.WebhookDelivery{TenantID: a.ID, EndpointID: ep.ID, EventID: evs[0].ID, EventType: evs[0].Type})
	if err != nil || !created || d1.Status != hub.DeliveryPending {
		t.Fatalf("delivery = %+v, %v, %v", d1, created, err)
	}
	d2, created, err := store.EnsureWebhookDelivery(ctx, &hub.WebhookDelivery{TenantID: a.ID, EndpointID: ep.ID, EventID: evs[0].ID, EventType: evs[0].Type})
	if err != nil || created || d2.ID != d1.ID {
		t.Errorf("second ensure = %+v, %v, %v", d2, created, err)
	}
	if _, err := store.WebhookDelivery(ctx, b.ID, d1.ID); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("B reads A's delivery: %v", err)
	}

	// Failed attempts count; reaching the threshold disables the endpoint.
	out, err := store.RecordWebhookAttempt(ctx, a.ID, &hub.WebhookAttempt{DeliveryID: d1.ID, Number: 1, StatusCode: 500, Error: "500"},
		false, now.Add(time.Minute), 2)
	if err != nil || out.Status != hub.DeliveryPending || out.EndpointDisabled {
		t.Errorf("attempt 1 = %+v, %v", out, err)
	}
	out, err = store.RecordWebhookAttempt(ctx, a.ID, &hub.WebhookAttempt{DeliveryID: d1.ID, Number: 2, Error: "timeout"}, true, now, 2)
	if err != nil || out.Status != hub.DeliveryDead || !out.EndpointDisabled {
		t.Errorf("attempt 2 = %+v, %v", out, err)
	}
	got, _ := store.WebhookEndpoint(ctx, a.ID, ep.ID)
	if got.Enabled || got.DisabledReason == "" || got.ConsecutiveFailures != 2 {
		t.Errorf("endpoint after failures = %+v", got)
	}
	if m, _ := store.MatchingWebhookEndpoints(ctx, a.ID, "stripe.x"); len(m) != 0 {
		t.Error("a disabled endpoint still matches")
	}
	// Enabling again resets the count.
	got.Enabled = true
	if err := store.UpdateWebhookEndpoint(ctx, got); err != nil || got.ConsecutiveFailures != 0 || got.DisabledReason != "" {
		t.Errorf("re-enable = %+v, %v", got, err)
	}
	n, err := store.StartWebhookReplay(ctx, a.ID, d1.ID)
	if err != nil || n != 1 {
		t.Errorf("replay = %d, %v", n, err)
	}
	out, err = store.RecordWebhookAttempt(ctx, a.ID, &hub.WebhookAttempt{DeliveryID: d1.ID, Number: 1, StatusCode: 204, Succeeded: true}, false, now, 2)
	if err != nil || out.Status != hub.DeliverySucceeded {
		t.Errorf("replayed attempt = %+v, %v", out, err)
	}
	list, _, err := store.ListWebhookDeliveries(ctx, a.ID, ep.ID, hub.Page{})
	if err != nil || len(list) != 1 {
		t.Fatalf("deliveries = %d, %v", len(list), err)
	}
	if d := list[0]; d.AttemptCount != 3 || len(d.Attempts) != 3 || d.Replays != 1 || d.Status != hub.DeliverySucceeded || d.Attempts[0].StatusCode != 500 {
		t.Errorf("delivery = %+v", d)
	}
	if list, _, _ := store.ListWebhookDeliveries(ctx, b.ID, ep.ID, hub.Page{}); len(list) != 0 {
		t.Error("B lists A's deliveries")
	}

	// Events of every tenant after a position, old enough.
	if _, err := events.AppendEvents(ctx, []*hub.Event{{TenantID: b.ID, Type: "x", Source: "c", Payload: json.RawMessage(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	all, err := store.EventsAfter(ctx, hub.DispatchPosition{}, 0, 10)
	if err != nil || len(all) != 2 || all[0].ID != evs[0].ID {
		t.Fatalf("events after start = %d, %v", len(all), err)
	}
	// While a transaction that started earlier is open (it could still
	// commit events older than those committed since), later events wait;
	// they come once it ends.
	open, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open.Exec(ctx, `SELECT 1`); err != nil {
		t.Fatal(err)
	}
	late := &hub.Event{TenantID: b.ID, Type: "x", Source: "c", Payload: json.RawMessage(`{}`)}
	if _, err := events.AppendEvents(ctx, []*hub.Event{late}); err != nil {
		t.Fatal(err)
	}
	if held, _ := store.EventsAfter(ctx, hub.DispatchPosition{}, time.Hour, 10); len(held) != 2 {
		t.Errorf("with an older transaction open: %d events, want the 2 older than it", len(held))
	}
	if got, _ := store.EventsAfter(ctx, hub.DispatchPosition{}, 0, 10); len(got) != 3 {
		t.Errorf("with no lag allowed: %d events, want 3", len(got))
	}
	_ = open.Rollback(ctx)
	if got, _ := store.EventsAfter(ctx, hub.DispatchPosition{}, time.Hour, 10); len(got) != 3 || got[2].ID != late.ID {
		t.Errorf("after it ended: %d events, want 3", len(got))
	}
	pos := hub.DispatchPosition{ReceivedAt: all[0].ReceivedAt, ID: all[0].ID}
	if err := store.SetDispatchPosition(ctx, "w", pos); err != nil {
		t.Fatal(err)
	}
	back, err := store.DispatchPosition(ctx, "w")
	if err != nil || back.ID != pos.ID || !back.ReceivedAt.Equal(pos.ReceivedAt) {
		t.Errorf("position = %+v, %v", back, err)
	}
	rest, _ := store.EventsAfter(ctx, back, 0, 10)
	if len(rest) != 2 || rest[0].TenantID != b.ID || rest[1].ID != late.ID {
		t.Errorf("events after position = %+v", rest)
	}

	// The dispatch lock is exclusive.
	release, ok, err := store.TryDispatchLock(ctx, "w")
	if err != nil || !ok {
		t.Fatalf("lock = %v, %v", ok, err)
	}
	if _, ok2, _ := store.TryDispatchLock(ctx, "w"); ok2 {
		t.Error("lock taken twice")
	}
	release()
	release2, ok, err := store.TryDispatchLock(ctx, "w")
	if err != nil || !ok {
		t.Fatalf("lock after release = %v, %v", ok, err)
	}
	release2()

	if err := store.DeleteWebhookEndpoint(ctx, b.ID, ep.ID); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("B deletes A's endpoint: %v", err)
	}
	if err := store.DeleteWebhookEndpoint(ctx, a.ID, ep.ID); err != nil {
		t.Fatal(err)
	}
}

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

func TestSystemHealthCountsAcrossTenants(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	spec, _ := secrets.NewKeySpec(1)
	ring, _ := secrets.ParseKeyring(spec)
	tenants, conns := postgres.NewTenantStore(db), postgres.NewConnectionStore(db, ring)
	hooks, events := postgres.NewWebhookStore(db, ring), postgres.NewEventStore(db)
	health := postgres.NewSystemHealthStore(db)
	a, b := mustTenant(t, tenants, "alpha"), mustTenant(t, tenants, "beta")

	connect := func(tenantID, provider, status string) {
		t.Helper()
		c := &hub.Connection{TenantID: tenantID, Provider: provider, Name: provider, AuthMode: "api_key", CreatedBy: "user:x"}
		if err := conns.CreateConnection(ctx, c, &hub.Credentials{AccessToken: "t"}); err != nil {
			t.Fatal(err)
		}
		if status != hub.ConnectionConnected {
			if err := conns.SetConnectionStatus(ctx, tenantID, c.ID, status, "reason"); err != nil {
				t.Fatal(err)
			}
		}
	}
	connect(a.ID, "stripe", hub.ConnectionConnected)
	connect(b.ID, "stripe", hub.ConnectionConnected)
	connect(b.ID, "stripe", hub.ConnectionExpired)
	connect(a.ID, "hubspot", hub.ConnectionError)
	got, err := health.ConnectionStatusCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []postgres.ProviderStatusCount{{"hubspot", "error", 1}, {"stripe", "connected", 2}, {"stripe", "expired", 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("connection counts (-want +got):\n%s", diff)
	}

	// Deliveries of both tenants: one pending after a failed attempt, one
	// succeeded, one dead, one never attempted.
	delivery := func(tenantID string) *hub.WebhookDelivery {
		t.Helper()
		ep := &hub.WebhookEndpoint{TenantID: tenantID, URL: "https://example.com/hook", EventTypes: []string{"*"}, Enabled: true, CreatedBy: "user:x"}
		if err := hooks.CreateWebhookEndpoint(ctx, ep, "whsec_x"); err != nil {
			t.Fatal(err)
		}
		evs := []*hub.Event{{TenantID: tenantID, Type: "stripe.invoice.paid", Source: "c1", Payload: json.RawMessage(`{}`)}}
		if _, err := events.AppendEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
		d, _, err := hooks.EnsureWebhookDelivery(ctx, &hub.WebhookDelivery{TenantID: tenantID, EndpointID: ep.ID, EventID: evs[0].ID, EventType: evs[0].Type})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	attempt := func(d *hub.WebhookDelivery, number int, ok, final bool) {
		t.Helper()
		if _, err := hooks.RecordWebhookAttempt(ctx, d.TenantID, &hub.WebhookAttempt{DeliveryID: d.ID, Number: number, StatusCode: 500, Succeeded: ok},
			final, time.Now().Add(time.Minute), 100); err != nil {
			t.Fatal(err)
		}
	}
	retrying, done, dead := delivery(a.ID), delivery(b.ID), delivery(b.ID)
	delivery(a.ID)
	attempt(retrying, 1, false, false)
	attempt(done, 1, false, false)
	attempt(done, 2, true, false)
	attempt(dead, 1, false, true)

	counts, err := health.WebhookDeliveryCounts(ctx, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(postgres.WebhookDeliveryCounts{Pending: 2, Attempts: 4, FailedAttempts: 3, Dead: 1}, counts); diff != "" {
		t.Errorf("webhook counts (-want +got):\n%s", diff)
	}
	// Attempts before the window are not counted.
	later, err := health.WebhookDeliveryCounts(ctx, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(postgres.WebhookDeliveryCounts{Pending: 2}, later); diff != "" {
		t.Errorf("webhook counts of a later window (-want +got):\n%s", diff)
	}
}

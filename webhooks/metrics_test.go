package webhooks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/webhooks"
)

// attemptMetrics reads the attempt counters by outcome and the number of
// timed attempts from a registry holding the package's collectors.
func attemptMetrics(t *testing.T, reg *prometheus.Registry) (map[string]float64, uint64) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	outcomes := map[string]float64{}
	var timed uint64
	for _, mf := range mfs {
		switch mf.GetName() {
		case "bizos_webhook_delivery_attempts_total":
			for _, m := range mf.GetMetric() {
				outcomes[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
			}
		case "bizos_webhook_delivery_duration_seconds":
			timed = mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	return outcomes, timed
}

// TestDelivererMetrics sends attempts to a local endpoint through the
// Deliverer on the real database: a success, a failure with attempts left
// and a failed last attempt count as succeeded, failed and dead, and each
// is timed; an attempt stopped before sending (endpoint deleted) is not.
func TestDelivererMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := newFixture(t, "127.0.0.0/8")
	reg := prometheus.NewRegistry()
	for _, c := range webhooks.Collectors() {
		reg.MustRegister(c)
	}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()
	svc := webhooks.NewService(webhooks.Config{Store: f.store, Egress: f.policy})
	p := hub.Principal{Kind: hub.PrincipalUser, ID: "u1", TenantID: f.tenantA}
	endpoint := func(path string) *hub.WebhookEndpoint {
		ep, err := svc.Create(ctx, p, webhooks.EndpointRequest{URL: hook.URL + path, EventTypes: []string{"metrics.test"}})
		if err != nil {
			t.Fatal(err)
		}
		return ep
	}
	up, down, gone := endpoint("/up"), endpoint("/down"), endpoint("/gone")
	evs := []*hub.Event{{TenantID: f.tenantA, Type: "metrics.test", Source: "hub", Payload: json.RawMessage(`{}`)}}
	if _, err := f.events.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	delivery := func(ep *hub.WebhookEndpoint) string {
		d, _, err := f.store.EnsureWebhookDelivery(ctx, &hub.WebhookDelivery{TenantID: f.tenantA, EndpointID: ep.ID, EventID: evs[0].ID,
			EventType: evs[0].Type})
		if err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	d := webhooks.NewDeliverer(f.store, f.events, f.policy)
	before, timedBefore := attemptMetrics(t, reg)
	attempts := []struct {
		ep     *hub.WebhookEndpoint
		number int
		final  bool
	}{
		{up, 1, false},
		{down, 1, false},
		{down, 2, true},
		{gone, 1, false},
	}
	ids := map[string]string{}
	for _, ep := range []*hub.WebhookEndpoint{up, down, gone} {
		ids[ep.ID] = delivery(ep)
	}
	if err := f.store.DeleteWebhookEndpoint(ctx, f.tenantA, gone.ID); err != nil {
		t.Fatal(err)
	}
	for _, a := range attempts {
		if _, err := d.AttemptDelivery(ctx, hub.WebhookAttemptRequest{TenantID: f.tenantA, EndpointID: a.ep.ID, EventID: evs[0].ID,
			DeliveryID: ids[a.ep.ID], Number: a.number, Final: a.final, RetryDelay: time.Second}); err != nil {
			t.Fatalf("attempt %s #%d: %v", a.ep.URL, a.number, err)
		}
	}
	after, timedAfter := attemptMetrics(t, reg)
	got := map[string]float64{}
	for k, v := range after {
		if v-before[k] != 0 {
			got[k] = v - before[k]
		}
	}
	want := map[string]float64{webhooks.AttemptSucceeded: 1, webhooks.AttemptFailed: 1, webhooks.AttemptDead: 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attempts by outcome (-want +got):\n%s", diff)
	}
	if n := timedAfter - timedBefore; n != 3 {
		t.Errorf("timed attempts = %d, want 3", n)
	}
}

package syshealth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/client_golang/prometheus"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/secrets"
)

// pgStore is cmd/bizos's adapter of the PostgreSQL queries (health.go).
type pgStore struct{ s *postgres.SystemHealthStore }

func (p pgStore) ConnectionCounts(ctx context.Context) ([]ConnectionCount, error) {
	rows, err := p.s.ConnectionStatusCounts(ctx)
	out := make([]ConnectionCount, len(rows))
	for i, r := range rows {
		out[i] = ConnectionCount(r)
	}
	return out, err
}

func (p pgStore) WebhookCounts(ctx context.Context, since time.Time) (WebhookCounts, error) {
	c, err := p.s.WebhookDeliveryCounts(ctx, since)
	return WebhookCounts(c), err
}

// seed creates connections and webhook deliveries on the real database:
// HubSpot 3 connected and 1 expired, Stripe 2 in error; one delivery that
// failed once and then succeeded, and one that has not been tried.
func seed(t *testing.T, db *postgres.DB) {
	t.Helper()
	ctx := context.Background()
	spec, _ := secrets.NewKeySpec(1)
	ring, _ := secrets.ParseKeyring(spec)
	tenant := &hub.Tenant{Name: "alpha", Slug: "alpha"}
	if err := postgres.NewTenantStore(db).CreateTenant(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	conns := postgres.NewConnectionStore(db, ring)
	for _, c := range []struct{ provider, status string }{{"hubspot", "connected"}, {"hubspot", "connected"}, {"hubspot", "connected"},
		{"hubspot", "expired"}, {"stripe", "error"}, {"stripe", "error"}} {
		conn := &hub.Connection{TenantID: tenant.ID, Provider: c.provider, Name: c.provider, AuthMode: "api_key", CreatedBy: "user:x"}
		if err := conns.CreateConnection(ctx, conn, &hub.Credentials{AccessToken: "t"}); err != nil {
			t.Fatal(err)
		}
		if c.status != hub.ConnectionConnected {
			if err := conns.SetConnectionStatus(ctx, tenant.ID, conn.ID, c.status, "reason"); err != nil {
				t.Fatal(err)
			}
		}
	}
	hooks := postgres.NewWebhookStore(db, ring)
	ep := &hub.WebhookEndpoint{TenantID: tenant.ID, URL: "https://example.com/hook", EventTypes: []string{"*"}, Enabled: true, CreatedBy: "user:x"}
	if err := hooks.CreateWebhookEndpoint(ctx, ep, "whsec_x"); err != nil {
		t.Fatal(err)
	}
	evs := []*hub.Event{{TenantID: tenant.ID, Type: "stripe.invoice.paid", Source: "c1", Payload: json.RawMessage(`{}`)},
		{TenantID: tenant.ID, Type: "stripe.invoice.paid", Source: "c1", Payload: json.RawMessage(`{}`)}}
	if _, err := postgres.NewEventStore(db).AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	for i, ev := range evs {
		d, _, err := hooks.EnsureWebhookDelivery(ctx, &hub.WebhookDelivery{TenantID: tenant.ID, EndpointID: ep.ID, EventID: ev.ID, EventType: ev.Type})
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			continue
		}
		for n, ok := range []bool{false, true} {
			if _, err := hooks.RecordWebhookAttempt(ctx, tenant.ID, &hub.WebhookAttempt{DeliveryID: d.ID, Number: n + 1, Succeeded: ok},
				false, time.Now().Add(time.Minute), 100); err != nil {
				t.Fatal(err)
			}
		}
	}
}

type fakeTemporal struct {
	tq       TaskQueueInfo
	failed   int64
	err      error
	describe atomic.Int32
}

func (f *fakeTemporal) CheckHealth(context.Context) error { return f.err }
func (f *fakeTemporal) DescribeTaskQueue(context.Context, string) (TaskQueueInfo, error) {
	f.describe.Add(1)
	return f.tq, f.err
}
func (f *fakeTemporal) CountFailedWorkflows(context.Context, time.Time) (int64, error) {
	return f.failed, f.err
}

func TestReport(t *testing.T) {
	now := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	recent, stale := now.Add(-10*time.Second), now.Add(-5*time.Minute)
	working := TaskQueueInfo{
		WorkflowPollers: []Poller{{Identity: "w1", LastAccess: recent}, {Identity: "gone", LastAccess: stale}},
		ActivityPollers: []Poller{{Identity: "w1", LastAccess: recent}, {Identity: "w2", LastAccess: recent}},
		Backlog:         7,
	}
	ready := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"status":"ok"}`)) })
	notReady := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":"unavailable","checks":{"postgres":"ok","redis":"unavailable"}}`))
	})
	rdb, _ := testenv.NewRedis(t)
	type statuses map[string]string
	db := testenv.NewDB(t)
	closed := testenv.NewDB(t)
	closed.Close() // a database that is down
	tests := []struct {
		name     string
		auth     http.Handler
		db       *postgres.DB
		temporal *fakeTemporal
		want     string
		wantComp statuses
		detail   map[string]string
	}{
		{name: "all ok", auth: ready, db: db, temporal: &fakeTemporal{tq: working, failed: 2}, want: StatusOK,
			wantComp: statuses{"brain": "ok", "authsvc": "ok", "worker": "ok", "postgres": "ok", "redis": "ok", "temporal": "ok"}},
		{name: "no worker", auth: ready, db: db, temporal: &fakeTemporal{tq: TaskQueueInfo{
			WorkflowPollers: []Poller{{Identity: "gone", LastAccess: stale}}}}, want: StatusDegraded,
			wantComp: statuses{"brain": "ok", "authsvc": "ok", "worker": "down", "postgres": "ok", "redis": "ok", "temporal": "ok"},
			detail:   map[string]string{"worker": "no worker polls task queue bizos"}},
		{name: "authsvc not ready", auth: notReady, db: db, temporal: &fakeTemporal{tq: working}, want: StatusDegraded,
			wantComp: statuses{"brain": "ok", "authsvc": "degraded", "worker": "ok", "postgres": "ok", "redis": "ok", "temporal": "ok"},
			detail:   map[string]string{"authsvc": "not ready: redis unavailable"}},
		{name: "postgres down", auth: ready, db: closed, temporal: &fakeTemporal{tq: working}, want: StatusDown,
			wantComp: statuses{"brain": "ok", "authsvc": "ok", "worker": "ok", "postgres": "down", "redis": "ok", "temporal": "ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth := httptest.NewServer(tt.auth)
			defer auth.Close()
			svc := NewService(Config{
				Metrics: NewSampler(SamplerConfig{Gatherer: prometheus.NewRegistry()}), Store: pgStore{postgres.NewSystemHealthStore(tt.db)},
				Temporal: tt.temporal, Postgres: tt.db.Ping, Redis: func(ctx context.Context) error { return rdb.Ping(ctx).Err() },
				AuthReadyURL: auth.URL + "/readyz", Now: func() time.Time { return now },
			})
			r, err := svc.Report(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tt.want {
				t.Errorf("status = %s, want %s", r.Status, tt.want)
			}
			got := statuses{}
			var order []string
			for _, c := range r.Components {
				got[c.Name] = c.Status
				order = append(order, c.Name)
				if want, ok := tt.detail[c.Name]; ok && c.Detail != want {
					t.Errorf("%s detail = %q, want %q", c.Name, c.Detail, want)
				}
			}
			if diff := cmp.Diff(tt.wantComp, got); diff != "" {
				t.Errorf("components (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"brain", "authsvc", "worker", "postgres", "redis", "temporal"}, order); diff != "" {
				t.Errorf("component order (-want +got):\n%s", diff)
			}
			if len(r.Services) != 4 {
				t.Errorf("services = %d rows, want 4", len(r.Services))
			}
		})
	}
}

func TestReportFigures(t *testing.T) {
	now := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	auth := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer auth.Close()
	tmp := &fakeTemporal{failed: 3, tq: TaskQueueInfo{
		WorkflowPollers: []Poller{{Identity: "w1", LastAccess: now}},
		ActivityPollers: []Poller{{Identity: "w1", LastAccess: now}, {Identity: "w2", LastAccess: now}}, Backlog: 4}}
	db := testenv.NewDB(t)
	seed(t, db)
	rdb, _ := testenv.NewRedis(t)
	clk := &clock{now: now}
	svc := NewService(Config{
		Metrics: NewSampler(SamplerConfig{Gatherer: prometheus.NewRegistry(), Now: clk.Now}), Store: pgStore{postgres.NewSystemHealthStore(db)},
		Temporal: tmp, Postgres: db.Ping, Redis: func(ctx context.Context) error { return rdb.Ping(ctx).Err() },
		AuthReadyURL: auth.URL, Now: clk.Now,
	})
	r, err := svc.Report(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(TemporalStats{TaskQueue: "bizos", Pollers: 2, WorkflowPollers: 1, ActivityPollers: 2, Backlog: 4, FailedWorkflows1h: 3}, r.Temporal); diff != "" {
		t.Errorf("temporal (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(WebhookStats{DeliveryBacklog: 1, Deliveries1h: 2, Failed1h: 1, FailureRate1h: .5}, r.Webhooks); diff != "" {
		t.Errorf("webhooks (-want +got):\n%s", diff)
	}
	want := []ProviderStats{
		{Provider: "hubspot", Connections: 4, ConnectedConns: 3, ExpiredConnections: 1},
		{Provider: "stripe", Connections: 2, ErrorConnections: 2},
	}
	if diff := cmp.Diff(want, r.Providers); diff != "" {
		t.Errorf("providers (-want +got):\n%s", diff)
	}

	// Within 5 s the same report is answered without asking anyone again.
	clk.now = now.Add(4 * time.Second)
	again, _ := svc.Report(context.Background())
	if again != r || tmp.describe.Load() != 1 {
		t.Errorf("report recomputed within the cache time (%d task queue calls)", tmp.describe.Load())
	}
	clk.now = now.Add(6 * time.Second)
	if later, _ := svc.Report(context.Background()); later == r || tmp.describe.Load() != 2 {
		t.Errorf("report not recomputed after the cache time")
	}
}

func TestProviderCallFigures(t *testing.T) {
	start := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	clk := &clock{now: start}
	reg := prometheus.NewRegistry()
	calls := prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricUpstreamRequests, Help: "h"}, []string{"provider", "code"})
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: metricUpstreamDuration, Help: "h",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1}}, []string{"provider"})
	reg.MustRegister(calls, dur)
	s := NewSampler(SamplerConfig{Gatherer: reg, Now: clk.Now})
	// HubSpot was called before the hour the report covers, and not since.
	calls.WithLabelValues("hubspot", "200").Add(5)
	s.Sample(context.Background())
	// Then Stripe answered 10 calls with 429.
	calls.WithLabelValues("stripe", "429").Add(10)
	dur.WithLabelValues("stripe").Observe(.03)
	clk.now = start.Add(30 * time.Minute)
	s.Sample(context.Background())
	clk.now = start.Add(55 * time.Minute)
	s.Sample(context.Background())
	// The last 5 minutes: 270 answered 200, 15 answered 503, 15 timed out, all 40 ms.
	calls.WithLabelValues("stripe", "200").Add(270)
	calls.WithLabelValues("stripe", "503").Add(15)
	calls.WithLabelValues("stripe", "timeout").Add(15)
	for i := 0; i < 300; i++ {
		dur.WithLabelValues("stripe").Observe(.04)
	}
	clk.now = start.Add(60 * time.Minute)
	got := providerFigures(s.history(context.Background()), []ConnectionCount{{"stripe", "connected", 1}, {"slack", "expired", 2}})
	want := []ProviderStats{
		{Provider: "slack", Connections: 2, ExpiredConnections: 2},
		// rank 285 of 300 in (25 ms, 50 ms]
		{Provider: "stripe", CallRate: 1, ErrorRate: .1, P95Ms: 25 + 25*285.0/300, RateLimited: 10, Calls1h: 310,
			Connections: 1, ConnectedConns: 1},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, .01)); diff != "" {
		t.Errorf("providers (-want +got):\n%s", diff)
	}
}

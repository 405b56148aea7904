package syshealth

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

var approx = cmpopts.EquateApprox(0, 1e-9)

func TestQuantile(t *testing.T) {
	bounds := []float64{.01, .1, 1}
	tests := []struct {
		name   string
		counts []float64 // cumulative
		count  float64
		q      float64
		want   float64
	}{
		{name: "empty", counts: []float64{0, 0, 0}, count: 0, q: .95, want: 0},
		// 100 observations, all in the first bucket: rank 95 of 100 in [0, 0.01].
		{name: "first bucket starts at zero", counts: []float64{100, 100, 100}, count: 100, q: .95, want: .0095},
		// 50 in (0,0.01], 50 in (0.01,0.1]: rank 95 is the 45th of the second bucket's 50.
		{name: "interpolated inside a bucket", counts: []float64{50, 100, 100}, count: 100, q: .95, want: .01 + .09*45.0/50},
		{name: "median on a bucket edge", counts: []float64{50, 100, 100}, count: 100, q: .5, want: .01},
		// 10 observations beyond the highest bound: the answer is that bound.
		{name: "past the last bound", counts: []float64{0, 0, 90}, count: 100, q: .95, want: 1},
		{name: "all in +Inf", counts: []float64{0, 0, 0}, count: 5, q: .95, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := histogram{bounds: bounds, counts: tt.counts, count: tt.count}.quantile(tt.q)
			if diff := cmp.Diff(tt.want, got, approx); diff != "" {
				t.Errorf("quantile(%v) (-want +got):\n%s", tt.q, diff)
			}
		})
	}
}

// fakeService registers the HTTP metrics of one service the way
// httpapi.NewMetrics does.
type fakeService struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newFakeService(t *testing.T, reg prometheus.Registerer, service string) *fakeService {
	t.Helper()
	labels := prometheus.Labels{"service": service}
	f := &fakeService{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricRequests, Help: "h", ConstLabels: labels},
			[]string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: metricRequestDuration, Help: "h", ConstLabels: labels,
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"route", "method"}),
	}
	reg.MustRegister(f.requests, f.duration)
	return f
}

// serve records n requests of route answered status, each taking secs.
func (f *fakeService) serve(route string, status string, secs float64, n int) {
	for i := 0; i < n; i++ {
		f.requests.WithLabelValues(route, "GET", status).Inc()
		f.duration.WithLabelValues(route, "GET").Observe(secs)
	}
}

// clock is a settable time source.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func TestWindows(t *testing.T) {
	start := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	type step struct {
		after time.Duration // since start
		do    func(brain *fakeService)
	}
	tests := []struct {
		name  string
		steps []step
		at    time.Duration // report time since start
		want  []ServiceWindow
	}{
		{
			name: "no traffic",
			at:   time.Minute,
			want: []ServiceWindow{
				{Service: "brain", WindowMinutes: 5}, {Service: "brain", WindowMinutes: 60},
				{Service: "authsvc", WindowMinutes: 5}, {Service: "authsvc", WindowMinutes: 60},
			},
		},
		{
			// 600 requests in the last 5 minutes (2/s), 30 of them 5xx, all
			// taking 20 ms; 3,000 more an hour ago at 2 ms; probes ignored.
			name: "rates, error rates and p95 over both windows",
			steps: []step{
				{after: 0, do: func(b *fakeService) {}},
				{after: 10 * time.Minute, do: func(b *fakeService) { b.serve("/api/v1/me", "200", .002, 3000) }},
				{after: 55 * time.Minute, do: func(b *fakeService) {
					b.serve("/healthz", "200", .001, 500)
					b.serve("/api/v1/connections", "200", .02, 570)
					b.serve("/api/v1/connections", "502", .02, 30)
				}},
			},
			at: 60 * time.Minute,
			want: []ServiceWindow{
				// from the 55-minute snapshot to now: 600 requests in 300 s
				{Service: "brain", WindowMinutes: 5, RequestRate: 2, ErrorRate: .05, P95Ms: 10 + 15*(570.0/600), Requests: 600},
				// from the 0-minute snapshot: 3,600 requests in 3,600 s; p95 rank 3,420 of 3,600
				// falls in (10 ms, 25 ms] where 3,000 lie below: 10 + 15×420/600 ms.
				{Service: "brain", WindowMinutes: 60, RequestRate: 1, ErrorRate: 30.0 / 3600, P95Ms: 10 + 15*420.0/600, Requests: 3600},
				{Service: "authsvc", WindowMinutes: 5}, {Service: "authsvc", WindowMinutes: 60},
			},
		},
		{
			// a process younger than the window: figures over its whole life.
			name: "young process",
			steps: []step{
				{after: 0, do: func(b *fakeService) {}},
				{after: 30 * time.Second, do: func(b *fakeService) { b.serve("/api/v1/me", "200", .003, 120) }},
			},
			at: 2 * time.Minute,
			want: []ServiceWindow{
				{Service: "brain", WindowMinutes: 5, RequestRate: 1, P95Ms: 2.5 + 2.5*(114.0/120), Requests: 120},
				{Service: "brain", WindowMinutes: 60, RequestRate: 1, P95Ms: 2.5 + 2.5*(114.0/120), Requests: 120},
				{Service: "authsvc", WindowMinutes: 5}, {Service: "authsvc", WindowMinutes: 60},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			brain := newFakeService(t, reg, "brain")
			clk := &clock{now: start}
			s := NewSampler(SamplerConfig{Gatherer: reg, Now: clk.Now})
			for _, st := range tt.steps {
				clk.now = start.Add(st.after)
				s.Sample(context.Background()) // the snapshot before the step's traffic
				st.do(brain)
			}
			clk.now = start.Add(tt.at)
			got, _ := serviceFigures(s.history(context.Background()))
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 0.01)); diff != "" {
				t.Errorf("windows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCounterReset(t *testing.T) {
	// An authsvc scraped over HTTP restarts: its counters start again from zero.
	start := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	clk := &clock{now: start}
	remoteReg := prometheus.NewRegistry()
	auth := newFakeService(t, remoteReg, "authsvc")
	srv := httptest.NewServer(promhttp.HandlerFor(prometheus.Gatherers{remoteReg}, promhttp.HandlerOpts{}))
	defer srv.Close()
	s := NewSampler(SamplerConfig{Gatherer: prometheus.NewRegistry(), Remote: map[string]string{"authsvc": srv.URL}, Now: clk.Now})

	auth.serve("/auth/login", "200", .1, 1000)
	s.Sample(context.Background())
	// restart: a fresh registry with fewer requests than before
	remoteReg2 := prometheus.NewRegistry()
	auth2 := newFakeService(t, remoteReg2, "authsvc")
	srv.Config.Handler = promhttp.HandlerFor(remoteReg2, promhttp.HandlerOpts{})
	auth2.serve("/auth/login", "200", .1, 60)
	clk.now = start.Add(time.Minute)
	got := s.history(context.Background()).window(kindService, "authsvc", 5*time.Minute)
	if diff := cmp.Diff(60.0, got.calls); diff != "" {
		t.Errorf("calls after a reset (-want +got):\n%s", diff)
	}
	if got.rate != 1 {
		t.Errorf("rate after a reset = %v, want 1", got.rate)
	}
}

func TestRemoteServiceComesFromItsScrape(t *testing.T) {
	// In split mode brain's registry also holds series labelled authsvc only
	// by accident (none in practice); the scrape is what counts for authsvc,
	// and the scrape's brain series are not taken.
	start := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	clk := &clock{now: start}
	local, remote := prometheus.NewRegistry(), prometheus.NewRegistry()
	brain := newFakeService(t, local, "brain")
	auth := newFakeService(t, remote, "authsvc")
	stray := newFakeService(t, remote, "brain")
	srv := httptest.NewServer(promhttp.HandlerFor(remote, promhttp.HandlerOpts{}))
	defer srv.Close()
	s := NewSampler(SamplerConfig{Gatherer: local, Remote: map[string]string{"authsvc": srv.URL}, Now: clk.Now})
	s.Sample(context.Background())
	brain.serve("/api/v1/me", "200", .004, 60)
	auth.serve("/auth/login", "401", .2, 120)
	stray.serve("/api/v1/me", "200", .004, 1000)
	clk.now = start.Add(time.Minute)
	got, _ := serviceFigures(s.history(context.Background()))
	want := []ServiceWindow{
		{Service: "brain", WindowMinutes: 5, RequestRate: 1, P95Ms: 2.5 + 2.5*(57.0/60), Requests: 60},
		{Service: "brain", WindowMinutes: 60, RequestRate: 1, P95Ms: 2.5 + 2.5*(57.0/60), Requests: 60},
		{Service: "authsvc", WindowMinutes: 5, RequestRate: 2, P95Ms: 100 + 150*(114.0/120), Requests: 120},
		{Service: "authsvc", WindowMinutes: 60, RequestRate: 2, P95Ms: 100 + 150*(114.0/120), Requests: 120},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 0.01)); diff != "" {
		t.Errorf("windows (-want +got):\n%s", diff)
	}
}

func TestPerMinuteSeries(t *testing.T) {
	// Sampled every 15 s from 10:00:05; one request per second from 10:01:05,
	// 10% of them failing from 10:02:05. Reported at 10:03:40.
	start := time.Date(2025, 3, 1, 10, 0, 5, 0, time.UTC)
	clk := &clock{now: start}
	reg := prometheus.NewRegistry()
	brain := newFakeService(t, reg, "brain")
	s := NewSampler(SamplerConfig{Gatherer: reg, Now: clk.Now})
	for at := time.Duration(0); at <= 3*time.Minute+30*time.Second; at += 15 * time.Second {
		clk.now = start.Add(at)
		s.Sample(context.Background())
		switch {
		case at >= 2*time.Minute:
			brain.serve("/api/v1/me", "200", .004, 13)
			brain.serve("/api/v1/me", "500", .004, 2)
		case at >= time.Minute:
			brain.serve("/api/v1/me", "200", .004, 15)
		}
	}
	clk.now = start.Add(3*time.Minute + 35*time.Second)
	_, series := serviceFigures(s.history(context.Background()))
	p95 := 2.5 + 2.5*.95
	want := []Point{
		// (10:00, 10:01]: only the part from 10:00:05 to 10:00:50 is known, and idle.
		{At: time.Date(2025, 3, 1, 10, 1, 0, 0, time.UTC)},
		// (10:01, 10:02]: snapshots 10:00:50 → 10:01:50, which saw 45 requests.
		{At: time.Date(2025, 3, 1, 10, 2, 0, 0, time.UTC), RequestRate: .75, P95Ms: p95},
		// (10:02, 10:03]: 10:01:50 → 10:02:50, 60 requests of which 6 failed.
		{At: time.Date(2025, 3, 1, 10, 3, 0, 0, time.UTC), RequestRate: 1, P95Ms: p95, ErrorRate: 6.0 / 60},
	}
	if diff := cmp.Diff(want, series["brain"], cmpopts.EquateApprox(0, 0.01)); diff != "" {
		t.Errorf("brain series (-want +got):\n%s", diff)
	}
	// authsvc served nothing: the same minutes, all zero.
	idle := []Point{{At: want[0].At}, {At: want[1].At}, {At: want[2].At}}
	if diff := cmp.Diff(idle, series["authsvc"]); diff != "" {
		t.Errorf("authsvc series (-want +got):\n%s", diff)
	}
}

func TestRingKeepsAnHour(t *testing.T) {
	start := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	clk := &clock{now: start}
	s := NewSampler(SamplerConfig{Gatherer: prometheus.NewRegistry(), Now: clk.Now})
	for at := time.Duration(0); at <= 3*time.Hour; at += 15 * time.Second {
		clk.now = start.Add(at)
		s.Sample(context.Background())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, want := len(s.ring), int(61*time.Minute/(15*time.Second))+1; n != want {
		t.Errorf("ring holds %d snapshots, want %d", n, want)
	}
	if oldest := clk.now.Sub(s.ring[0].at); oldest > 61*time.Minute {
		t.Errorf("oldest snapshot is %s old", oldest)
	}
}

// Package syshealth assembles the super admin's system health report: the
// state of brain, authsvc, the worker, PostgreSQL, Redis and Temporal; request
// rates, error rates and latency percentiles of the HTTP services over the
// last 5 and 60 minutes (from the process's own Prometheus metrics, sampled
// into an in-memory history); Temporal's task queue; outbound webhook
// deliveries; and connected platforms' call figures and connection states.
package syshealth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Component and report statuses.
const (
	StatusOK       = "ok"
	StatusDegraded = "degraded"
	StatusDown     = "down"
)

// Component names, in the order the report lists them.
const (
	ComponentBrain    = "brain"
	ComponentAuthsvc  = "authsvc"
	ComponentWorker   = "worker"
	ComponentPostgres = "postgres"
	ComponentRedis    = "redis"
	ComponentTemporal = "temporal"
)

// Services whose request figures the report carries.
var Services = []string{"brain", "authsvc"}

// Windows are the spans of the services' and providers' figures.
var Windows = []time.Duration{5 * time.Minute, 60 * time.Minute}

// Report is the answer of GET /api/v1/admin/health.
type Report struct {
	GeneratedAt time.Time `json:"generated_at"`
	// Status is down when PostgreSQL is down, degraded when any other
	// component is not ok, ok otherwise.
	Status     string          `json:"status"`
	Components []Component     `json:"components"`
	Services   []ServiceWindow `json:"services"`
	// Series has one point per minute of the last 60 (fewer after a restart)
	// for each service.
	Series    map[string][]Point `json:"series"`
	Temporal  TemporalStats      `json:"temporal"`
	Webhooks  WebhookStats       `json:"webhooks"`
	Providers []ProviderStats    `json:"providers"`
	// Unavailable names the parts of the report that could not be computed
	// this time (their figures are zero), such as "webhooks" when the
	// database did not answer.
	Unavailable []string `json:"unavailable"`
}

// Component is the state of one part of the system.
type Component struct {
	Name      string  `json:"name"`
	Status    string  `json:"status"`
	LatencyMs float64 `json:"latency_ms"`
	Detail    string  `json:"detail"`
}

// ServiceWindow is one service's request figures over one window. Probes and
// scrapes (/healthz, /readyz, /metrics) are not counted.
type ServiceWindow struct {
	Service       string  `json:"service"`
	WindowMinutes int     `json:"window_minutes"`
	RequestRate   float64 `json:"request_rate" doc:"requests per second"`
	P95Ms         float64 `json:"p95_ms"`
	ErrorRate     float64 `json:"error_rate" doc:"share of requests answered 5xx, 0..1"`
	Requests      float64 `json:"requests"`
}

// Point is one minute of a service's series.
type Point struct {
	At          time.Time `json:"at" doc:"the end of the minute"`
	RequestRate float64   `json:"request_rate"`
	P95Ms       float64   `json:"p95_ms"`
	ErrorRate   float64   `json:"error_rate"`
}

// TemporalStats describes the hub's task queue.
type TemporalStats struct {
	TaskQueue string `json:"task_queue"`
	// Pollers counts the distinct workers that polled the queue (workflow or
	// activity tasks) in the last minute.
	Pollers         int `json:"pollers"`
	WorkflowPollers int `json:"workflow_pollers"`
	ActivityPollers int `json:"activity_pollers"`
	// Backlog is Temporal's approximate count of workflow and activity tasks
	// waiting for a worker.
	Backlog           int64 `json:"backlog"`
	FailedWorkflows1h int64 `json:"failed_workflows_1h"`
	// Detail says which of these figures Temporal could not give this time.
	Detail string `json:"detail,omitempty"`
}

// WebhookStats describes outbound webhook deliveries, across tenants.
type WebhookStats struct {
	// DeliveryBacklog counts deliveries waiting for their first or next attempt.
	DeliveryBacklog int64 `json:"delivery_backlog"`
	// Deliveries1h counts delivery attempts made in the last hour.
	Deliveries1h int64 `json:"deliveries_1h"`
	// Failed1h counts the attempts of the last hour that failed.
	Failed1h      int64   `json:"failed_1h"`
	FailureRate1h float64 `json:"failure_rate_1h"`
	Dead1h        int64   `json:"dead_1h" doc:"deliveries that gave up (dead letter) in the last hour"`
}

// ProviderStats describes the calls to one platform and its connections.
type ProviderStats struct {
	Provider string `json:"provider"`
	// CallRate is calls per second over the last 5 minutes.
	CallRate float64 `json:"call_rate"`
	// ErrorRate is the share of the last 5 minutes' calls answered 5xx or
	// not answered at all.
	ErrorRate float64 `json:"error_rate"`
	// RateLimited counts calls answered 429 in the last 60 minutes.
	RateLimited float64 `json:"rate_limited"`
	// P95Ms is the 95th percentile of the last 5 minutes' call latency.
	P95Ms              float64 `json:"p95_ms"`
	Calls1h            float64 `json:"calls_1h"`
	Connections        int64   `json:"connections"`
	ConnectedConns     int64   `json:"connected_connections"`
	ExpiredConnections int64   `json:"expired_connections"`
	ErrorConnections   int64   `json:"error_connections"`
}

// ConnectionCount is how many connections of a provider are in a status,
// across tenants.
type ConnectionCount struct {
	Provider string
	Status   string // connected, expired or error
	Count    int64
}

// WebhookCounts are the delivery figures the store answers.
type WebhookCounts struct {
	Pending        int64 // deliveries waiting for an attempt
	Attempts       int64 // attempts since the time asked for
	FailedAttempts int64 // of those, the ones that failed
	Dead           int64 // deliveries that became dead since then
}

// Store answers the cross-tenant figures (PostgreSQL in production).
type Store interface {
	ConnectionCounts(ctx context.Context) ([]ConnectionCount, error)
	WebhookCounts(ctx context.Context, since time.Time) (WebhookCounts, error)
}

// Check reports whether a dependency answers.
type Check func(ctx context.Context) error

// Config holds the report's sources.
type Config struct {
	// Metrics is the sampler of the process's metrics (required).
	Metrics *Sampler
	// Store, Temporal, Postgres and Redis are required.
	Store    Store
	Temporal Temporal
	Postgres Check
	Redis    Check
	// AuthReadyURL is authsvc's /readyz (required).
	AuthReadyURL string
	// TaskQueue is the hub's Temporal task queue ("bizos" when empty).
	TaskQueue string
	// Client calls authsvc (a plain client when nil; each check has its own deadline).
	Client *http.Client
	// CacheTTL is how long a report is reused (5 s when zero).
	CacheTTL time.Duration
	// CheckTimeout bounds each component check (2 s when zero).
	CheckTimeout time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Log receives the failures behind a non-ok component (discarded when nil).
	Log *slog.Logger
}

// Service assembles reports, reusing one for CacheTTL.
type Service struct {
	cfg Config

	mu       sync.Mutex
	cached   *Report
	cachedAt time.Time
}

// NewService returns a Service with defaults filled in.
func NewService(cfg Config) *Service {
	if cfg.TaskQueue == "" {
		cfg.TaskQueue = "bizos"
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = 5 * time.Second
	}
	if cfg.CheckTimeout == 0 {
		cfg.CheckTimeout = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{cfg: cfg}
}

// Report returns the system health report, computed at most once per
// CacheTTL however many callers ask; callers arriving while one is being
// computed wait for it.
func (s *Service) Report(ctx context.Context) (*Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached != nil && s.cfg.Now().Sub(s.cachedAt) < s.cfg.CacheTTL {
		return s.cached, nil
	}
	// One caller giving up must not spoil the report for the others.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*s.cfg.CheckTimeout)
	defer cancel()
	r := s.build(ctx)
	s.cached, s.cachedAt = r, s.cfg.Now()
	return r, nil
}

// build computes a report; every source is asked at once.
func (s *Service) build(ctx context.Context) *Report {
	now := s.cfg.Now()
	r := &Report{GeneratedAt: now.UTC(), Series: map[string][]Point{}, Providers: []ProviderStats{}, Unavailable: []string{},
		Temporal: TemporalStats{TaskQueue: s.cfg.TaskQueue}}
	var (
		wg         sync.WaitGroup
		mu         sync.Mutex
		components = map[string]Component{ComponentBrain: {Name: ComponentBrain, Status: StatusOK, Detail: "this process"}}
		conns      []ConnectionCount
		hist       history
	)
	unavailable := func(part string, err error) {
		s.cfg.Log.WarnContext(ctx, "system health: part unavailable", "part", part, "err", err)
		mu.Lock()
		r.Unavailable = append(r.Unavailable, part)
		mu.Unlock()
	}
	run := func(fn func()) {
		wg.Add(1)
		go func() { defer wg.Done(); fn() }()
	}
	component := func(name string, check func(ctx context.Context) (status, detail string)) {
		run(func() {
			cctx, cancel := context.WithTimeout(ctx, s.cfg.CheckTimeout)
			defer cancel()
			start := time.Now()
			status, detail := check(cctx)
			c := Component{Name: name, Status: status, Detail: detail, LatencyMs: round(float64(time.Since(start).Microseconds())/1000, 2)}
			mu.Lock()
			components[name] = c
			mu.Unlock()
		})
	}
	component(ComponentAuthsvc, s.checkAuthsvc)
	component(ComponentPostgres, s.ping(ComponentPostgres, s.cfg.Postgres))
	component(ComponentRedis, s.ping(ComponentRedis, s.cfg.Redis))
	component(ComponentTemporal, s.ping(ComponentTemporal, s.cfg.Temporal.CheckHealth))
	component(ComponentWorker, func(ctx context.Context) (string, string) {
		tq, err := s.cfg.Temporal.DescribeTaskQueue(ctx, s.cfg.TaskQueue)
		if err != nil {
			unavailable("temporal.task_queue", err)
			return StatusDown, fmt.Sprintf("task queue %s could not be described", s.cfg.TaskQueue)
		}
		wf, act, all := tq.activePollers(now.Add(-time.Minute))
		mu.Lock()
		r.Temporal.WorkflowPollers, r.Temporal.ActivityPollers, r.Temporal.Pollers = wf, act, all
		r.Temporal.Backlog = tq.Backlog
		mu.Unlock()
		switch {
		case all == 0:
			return StatusDown, "no worker polls task queue " + s.cfg.TaskQueue
		case wf == 0:
			return StatusDegraded, "no worker polls the workflow tasks of task queue " + s.cfg.TaskQueue
		case act == 0:
			return StatusDegraded, "no worker polls the activity tasks of task queue " + s.cfg.TaskQueue
		}
		return StatusOK, fmt.Sprintf("%d worker(s) poll task queue %s", all, s.cfg.TaskQueue)
	})
	run(func() {
		cctx, cancel := context.WithTimeout(ctx, s.cfg.CheckTimeout)
		defer cancel()
		n, err := s.cfg.Temporal.CountFailedWorkflows(cctx, now.Add(-time.Hour))
		if err != nil {
			unavailable("temporal.failed_workflows", err)
			return
		}
		mu.Lock()
		r.Temporal.FailedWorkflows1h = n
		mu.Unlock()
	})
	run(func() {
		cctx, cancel := context.WithTimeout(ctx, s.cfg.CheckTimeout)
		defer cancel()
		w, err := s.cfg.Store.WebhookCounts(cctx, now.Add(-time.Hour))
		if err != nil {
			unavailable("webhooks", err)
			return
		}
		stats := WebhookStats{DeliveryBacklog: w.Pending, Deliveries1h: w.Attempts, Failed1h: w.FailedAttempts, Dead1h: w.Dead}
		if w.Attempts > 0 {
			stats.FailureRate1h = round(float64(w.FailedAttempts)/float64(w.Attempts), 4)
		}
		mu.Lock()
		r.Webhooks = stats
		mu.Unlock()
	})
	run(func() {
		cctx, cancel := context.WithTimeout(ctx, s.cfg.CheckTimeout)
		defer cancel()
		c, err := s.cfg.Store.ConnectionCounts(cctx)
		if err != nil {
			unavailable("connections", err)
			return
		}
		mu.Lock()
		conns = c
		mu.Unlock()
	})
	run(func() {
		cctx, cancel := context.WithTimeout(ctx, s.cfg.CheckTimeout)
		defer cancel()
		h := s.cfg.Metrics.history(cctx)
		mu.Lock()
		hist = h
		mu.Unlock()
	})
	wg.Wait()

	for _, name := range []string{ComponentBrain, ComponentAuthsvc, ComponentWorker, ComponentPostgres, ComponentRedis, ComponentTemporal} {
		r.Components = append(r.Components, components[name])
	}
	r.Status = overall(r.Components)
	r.Services, r.Series = serviceFigures(hist)
	r.Providers = providerFigures(hist, conns)
	sort.Strings(r.Unavailable)
	var missing []string
	for _, part := range r.Unavailable {
		switch part {
		case "temporal.task_queue":
			missing = append(missing, "pollers and backlog")
		case "temporal.failed_workflows":
			missing = append(missing, "failed workflows")
		}
	}
	if len(missing) > 0 {
		r.Temporal.Detail = strings.Join(missing, " and ") + " unavailable"
	}
	return r
}

// overall is the report's status: down when PostgreSQL is, degraded when
// any component is not ok.
func overall(components []Component) string {
	status := StatusOK
	for _, c := range components {
		if c.Status == StatusOK {
			continue
		}
		if c.Name == ComponentPostgres && c.Status == StatusDown {
			return StatusDown
		}
		status = StatusDegraded
	}
	return status
}

// ping turns a Check into a component check.
func (s *Service) ping(name string, check Check) func(ctx context.Context) (string, string) {
	return func(ctx context.Context) (string, string) {
		if check == nil {
			return StatusDown, "not configured"
		}
		if err := check(ctx); err != nil {
			s.cfg.Log.WarnContext(ctx, "system health: component check failed", "component", name, "err", err)
			if ctx.Err() != nil {
				return StatusDown, fmt.Sprintf("did not answer within %s", s.cfg.CheckTimeout)
			}
			return StatusDown, "did not answer"
		}
		return StatusOK, ""
	}
}

// checkAuthsvc asks authsvc's /readyz, which checks its own dependencies.
func (s *Service) checkAuthsvc(ctx context.Context) (string, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.AuthReadyURL, nil)
	if err != nil {
		return StatusDown, "its URL is not valid"
	}
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		s.cfg.Log.WarnContext(ctx, "system health: authsvc unreachable", "url", s.cfg.AuthReadyURL, "err", err)
		if ctx.Err() != nil {
			return StatusDown, fmt.Sprintf("did not answer within %s", s.cfg.CheckTimeout)
		}
		return StatusDown, "could not be reached"
	}
	defer resp.Body.Close()
	var ready struct {
		Checks map[string]string `json:"checks"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&ready)
	switch resp.StatusCode {
	case http.StatusOK:
		return StatusOK, ""
	case http.StatusServiceUnavailable:
		var failing []string
		for name, v := range ready.Checks {
			if v != StatusOK {
				failing = append(failing, name)
			}
		}
		sort.Strings(failing)
		if len(failing) == 0 {
			return StatusDegraded, "not ready"
		}
		return StatusDegraded, "not ready: " + strings.Join(failing, ", ") + " unavailable"
	}
	return StatusDown, fmt.Sprintf("readiness answered HTTP %d", resp.StatusCode)
}

// serviceFigures computes each service's windows and per-minute series.
func serviceFigures(h history) ([]ServiceWindow, map[string][]Point) {
	windows := []ServiceWindow{}
	series := map[string][]Point{}
	for _, svc := range Services {
		for _, w := range Windows {
			f := h.window(kindService, svc, w)
			windows = append(windows, ServiceWindow{Service: svc, WindowMinutes: int(w / time.Minute),
				RequestRate: round(f.rate, 4), P95Ms: round(f.p95ms, 2), ErrorRate: round(f.errorRate, 4), Requests: f.calls})
		}
		series[svc] = h.perMinute(kindService, svc, 60)
	}
	return windows, series
}

// providerFigures combines the platform call figures with the connection
// counts: every provider that had calls in the last hour or has connections.
func providerFigures(h history, conns []ConnectionCount) []ProviderStats {
	byProvider := map[string]*ProviderStats{}
	get := func(p string) *ProviderStats {
		if byProvider[p] == nil {
			byProvider[p] = &ProviderStats{Provider: p}
		}
		return byProvider[p]
	}
	for _, p := range h.providers() {
		hour := h.window(kindProvider, p, time.Hour)
		if hour.calls == 0 {
			continue
		}
		five := h.window(kindProvider, p, 5*time.Minute)
		ps := get(p)
		ps.CallRate, ps.ErrorRate, ps.P95Ms = round(five.rate, 4), round(five.errorRate, 4), round(five.p95ms, 2)
		ps.RateLimited, ps.Calls1h = hour.limited, hour.calls
	}
	for _, c := range conns {
		ps := get(c.Provider)
		ps.Connections += c.Count
		switch c.Status {
		case "connected":
			ps.ConnectedConns += c.Count
		case "expired":
			ps.ExpiredConnections += c.Count
		case "error":
			ps.ErrorConnections += c.Count
		}
	}
	out := make([]ProviderStats, 0, len(byProvider))
	for _, ps := range byProvider {
		out = append(out, *ps)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Provider < out[j].Provider })
	return out
}

package syshealth

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metric names the sampler reads (httpapi/middleware.go, connectors/metrics.go).
const (
	metricRequests         = "bizos_http_requests_total"
	metricRequestDuration  = "bizos_http_request_duration_seconds"
	metricUpstreamRequests = "bizos_upstream_requests_total"
	metricUpstreamDuration = "bizos_upstream_request_duration_seconds"
)

// opsRoutes are left out of the request figures: probes and scrapes say
// nothing about the API's health and would drown a quiet service's traffic.
var opsRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// histogram is a cumulative histogram: counts[i] observations were at most
// bounds[i] (ascending, finite); count is every observation.
type histogram struct {
	bounds []float64
	counts []float64
	count  float64
}

// counters are one service's or one provider's cumulative figures at one instant.
type counters struct {
	calls   float64 // requests served, or platform calls made
	errors  float64 // answered 5xx (or, for platform calls, no answer)
	limited float64 // platform calls answered 429
	latency histogram
}

// snapshot is every service's and provider's counters at one instant.
type snapshot struct {
	at        time.Time
	services  map[string]*counters
	providers map[string]*counters
	// failed names the remote services whose scrape failed: their figures
	// are unknown at this instant, not zero.
	failed map[string]bool
}

// kind selects a snapshot's services or providers.
type kind int

const (
	kindService kind = iota
	kindProvider
)

// get returns key's counters. A key the snapshot does not hold had counted
// nothing yet (zero), unless it is a service whose scrape failed (ok false).
func (s *snapshot) get(k kind, key string) (*counters, bool) {
	m := s.services
	if k == kindProvider {
		m = s.providers
	}
	if c := m[key]; c != nil {
		return c, true
	}
	if k == kindService && s.failed[key] {
		return nil, false
	}
	return &counters{}, true
}

func (s *snapshot) has(k kind, key string) bool { _, ok := s.get(k, key); return ok }

// SamplerConfig configures a Sampler.
type SamplerConfig struct {
	// Gatherer is the process's own registry.
	Gatherer prometheus.Gatherer
	// Remote maps a service whose metrics are not in Gatherer (authsvc when it
	// runs as its own process) to the URL of its /metrics.
	Remote map[string]string
	// Client scrapes Remote (a client with a 2 s timeout when nil).
	Client *http.Client
	// Interval between snapshots (15 s when zero).
	Interval time.Duration
	// Keep is how much history is kept (61 minutes when zero: the hour-long
	// window and 60 one-minute points).
	Keep time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Log receives scrape failures (discarded when nil).
	Log *slog.Logger
}

// Sampler keeps an in-memory ring of cumulative metric snapshots, from which
// rates, error rates and percentiles over past windows are computed.
type Sampler struct {
	cfg SamplerConfig

	mu   sync.Mutex
	ring []*snapshot // oldest first
}

// NewSampler returns a sampler; Run starts it.
func NewSampler(cfg SamplerConfig) *Sampler {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 2 * time.Second}
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 15 * time.Second
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 61 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Sampler{cfg: cfg}
}

// Run takes a snapshot now and then every interval until ctx ends.
func (s *Sampler) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		s.Sample(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sample takes one snapshot and keeps it, dropping what is older than Keep.
func (s *Sampler) Sample(ctx context.Context) {
	snap := s.take(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ring = append(s.ring, snap)
	cut := 0
	for cut < len(s.ring) && s.ring[cut].at.Before(snap.at.Add(-s.cfg.Keep)) {
		cut++
	}
	if cut > 0 {
		s.ring = append([]*snapshot(nil), s.ring[cut:]...)
	}
}

// take gathers the local registry and scrapes the remote services.
func (s *Sampler) take(ctx context.Context) *snapshot {
	snap := &snapshot{at: s.cfg.Now(), services: map[string]*counters{}, providers: map[string]*counters{}, failed: map[string]bool{}}
	if s.cfg.Gatherer != nil {
		families, err := s.cfg.Gatherer.Gather()
		if err != nil {
			// Gather returns what it could alongside the error.
			s.cfg.Log.Warn("system health: gathering metrics", "err", err)
		}
		addFamilies(snap, families, func(service string) bool { _, remote := s.cfg.Remote[service]; return !remote }, true)
	}
	for service, url := range s.cfg.Remote {
		families, err := s.scrape(ctx, url)
		if err != nil {
			s.cfg.Log.Warn("system health: scraping metrics", "service", service, "url", url, "err", err)
			snap.failed[service] = true
			continue
		}
		addFamilies(snap, families, func(name string) bool { return name == service }, false)
	}
	return snap
}

func (s *Sampler) scrape(ctx context.Context, url string) ([]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("answered %d", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	byName, err := parser.TextToMetricFamilies(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	out := make([]*dto.MetricFamily, 0, len(byName))
	for _, f := range byName {
		out = append(out, f)
	}
	return out, nil
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// addFamilies adds the request metrics of the services keep accepts to snap,
// and the upstream (platform call) metrics when upstream is set: platform
// calls are counted from this process's own registry only.
func addFamilies(snap *snapshot, families []*dto.MetricFamily, keep func(service string) bool, upstream bool) {
	of := func(m map[string]*counters, key string) *counters {
		c := m[key]
		if c == nil {
			c = &counters{}
			m[key] = c
		}
		return c
	}
	for _, f := range families {
		switch f.GetName() {
		case metricRequests:
			for _, m := range f.GetMetric() {
				service := label(m, "service")
				if service == "" || !keep(service) || opsRoutes[label(m, "route")] {
					continue
				}
				c, v := of(snap.services, service), m.GetCounter().GetValue()
				c.calls += v
				if status, _ := strconv.Atoi(label(m, "status")); status >= 500 {
					c.errors += v
				}
			}
		case metricRequestDuration:
			for _, m := range f.GetMetric() {
				service := label(m, "service")
				if service == "" || !keep(service) || opsRoutes[label(m, "route")] {
					continue
				}
				of(snap.services, service).latency.add(m.GetHistogram())
			}
		case metricUpstreamRequests:
			if !upstream {
				continue
			}
			for _, m := range f.GetMetric() {
				c, v := of(snap.providers, label(m, "provider")), m.GetCounter().GetValue()
				c.calls += v
				code := label(m, "code")
				status, _ := strconv.Atoi(code)
				switch {
				case status == http.StatusTooManyRequests:
					c.limited += v
				case status >= 500, code == "error", code == "timeout":
					c.errors += v
				}
			}
		case metricUpstreamDuration:
			if !upstream {
				continue
			}
			for _, m := range f.GetMetric() {
				of(snap.providers, label(m, "provider")).latency.add(m.GetHistogram())
			}
		}
	}
}

// add merges a Prometheus histogram into h, bucket by bucket (by upper bound).
func (h *histogram) add(p *dto.Histogram) {
	if p == nil {
		return
	}
	h.count += float64(p.GetSampleCount())
	for _, b := range p.GetBucket() {
		ub := b.GetUpperBound()
		if math.IsInf(ub, +1) {
			continue
		}
		i := sort.SearchFloat64s(h.bounds, ub)
		if i == len(h.bounds) || h.bounds[i] != ub {
			h.bounds = append(h.bounds, 0)
			h.counts = append(h.counts, 0)
			copy(h.bounds[i+1:], h.bounds[i:])
			copy(h.counts[i+1:], h.counts[i:])
			h.bounds[i], h.counts[i] = ub, 0
		}
		h.counts[i] += float64(b.GetCumulativeCount())
	}
}

// sub returns h minus earlier. A counter that went down was reset (its
// process restarted), so then h itself is what happened since.
func (h histogram) sub(earlier histogram) histogram {
	if h.count < earlier.count {
		return h
	}
	out := histogram{bounds: h.bounds, counts: make([]float64, len(h.counts)), count: h.count - earlier.count}
	for i, ub := range h.bounds {
		prev := 0.0
		if j := sort.SearchFloat64s(earlier.bounds, ub); j < len(earlier.bounds) && earlier.bounds[j] == ub {
			prev = earlier.counts[j]
		}
		out.counts[i] = max(h.counts[i]-prev, 0)
	}
	return out
}

// quantile estimates the q-quantile of h the way PromQL's histogram_quantile
// does: find the bucket holding rank q×count and interpolate linearly inside
// it (the first bucket starts at 0). Past the highest finite bound the answer
// is that bound. An empty histogram yields 0.
func (h histogram) quantile(q float64) float64 {
	if h.count <= 0 || len(h.bounds) == 0 {
		return 0
	}
	rank := q * h.count
	prevBound, prevCount := 0.0, 0.0
	for i, ub := range h.bounds {
		if h.counts[i] >= rank {
			if h.counts[i] == prevCount {
				return ub
			}
			return prevBound + (ub-prevBound)*(rank-prevCount)/(h.counts[i]-prevCount)
		}
		prevBound, prevCount = ub, h.counts[i]
	}
	return h.bounds[len(h.bounds)-1]
}

// delta returns what happened between earlier and c.
func (c *counters) delta(earlier *counters) counters {
	sub := func(now, then float64) float64 {
		if now < then {
			return now // reset
		}
		return now - then
	}
	return counters{calls: sub(c.calls, earlier.calls), errors: sub(c.errors, earlier.errors),
		limited: sub(c.limited, earlier.limited), latency: c.latency.sub(earlier.latency)}
}

// figures are the computed figures of one service or provider over a span.
type figures struct {
	calls, errors, limited float64
	rate, errorRate, p95ms float64
	seconds                float64
}

// between computes the figures of key from snapshot a to snapshot b; ok is
// false when either does not know key or b is not later than a.
func between(a, b *snapshot, k kind, key string) (figures, bool) {
	ca, okA := a.get(k, key)
	cb, okB := b.get(k, key)
	if !okA || !okB {
		return figures{}, false
	}
	secs := b.at.Sub(a.at).Seconds()
	if secs <= 0 {
		return figures{}, false
	}
	d := cb.delta(ca)
	f := figures{calls: d.calls, errors: d.errors, limited: d.limited, seconds: secs, rate: d.calls / secs,
		p95ms: d.latency.quantile(0.95) * 1000}
	if d.calls > 0 {
		f.errorRate = d.errors / d.calls
	}
	return f, true
}

// history is the ring plus a fresh snapshot at its end, for one report.
type history []*snapshot

// history returns the kept snapshots followed by a fresh one.
func (s *Sampler) history(ctx context.Context) history {
	now := s.take(ctx)
	s.mu.Lock()
	h := make(history, 0, len(s.ring)+1)
	h = append(h, s.ring...)
	s.mu.Unlock()
	return append(h, now)
}

// window computes key's figures over the last d: from the oldest snapshot
// not older than d that knows key (so a process younger than d gets figures
// over its whole life) to the newest.
func (h history) window(k kind, key string, d time.Duration) figures {
	if len(h) < 2 {
		return figures{}
	}
	end := h[len(h)-1]
	from := end.at.Add(-d)
	for _, s := range h[:len(h)-1] {
		if s.at.Before(from) || !s.has(k, key) {
			continue
		}
		f, _ := between(s, end, k, key)
		return f
	}
	return figures{}
}

// latestAt returns the newest snapshot at or before t that knows key.
func (h history) latestAt(k kind, key string, t time.Time) *snapshot {
	i := sort.Search(len(h), func(i int) bool { return h[i].at.After(t) })
	for i--; i >= 0; i-- {
		if h[i].has(k, key) {
			return h[i]
		}
	}
	return nil
}

// earliest returns the oldest snapshot that knows key.
func (h history) earliest(k kind, key string) *snapshot {
	for _, s := range h {
		if s.has(k, key) {
			return s
		}
	}
	return nil
}

// perMinute computes one point per whole minute of the last n minutes,
// oldest first: the point at minute mark m covers (m-1 min, m]. Minutes
// before the history begins are left out; the first minute the history
// covers only in part gets a point over the part it has.
func (h history) perMinute(k kind, key string, n int) []Point {
	out := []Point{}
	if len(h) < 2 {
		return out
	}
	last := h[len(h)-1].at.Truncate(time.Minute)
	first := h.earliest(k, key)
	for j := n - 1; j >= 0; j-- {
		mark := last.Add(-time.Duration(j) * time.Minute)
		end := h.latestAt(k, key, mark)
		if end == nil {
			continue
		}
		start := h.latestAt(k, key, mark.Add(-time.Minute))
		if start == nil {
			start = first
		}
		f, ok := between(start, end, k, key)
		if !ok {
			continue
		}
		out = append(out, Point{At: mark, RequestRate: round(f.rate, 4), P95Ms: round(f.p95ms, 2), ErrorRate: round(f.errorRate, 4)})
	}
	return out
}

// providers returns the providers any snapshot of h has counted, sorted.
func (h history) providers() []string {
	seen := map[string]bool{}
	for _, s := range h {
		for k := range s.providers {
			seen[k] = true
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

package syshealth

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector defaults.
const (
	DefaultCollectorTTL     = 15 * time.Second
	DefaultCollectorTimeout = 2 * time.Second
)

var (
	connectionsDesc = prometheus.NewDesc("bizos_connections",
		"Connections across tenants, by provider and status (from the database, at most DefaultCollectorTTL old).",
		[]string{"provider", "status"}, nil)
	pendingDesc = prometheus.NewDesc("bizos_webhook_deliveries_pending",
		"Outbound webhook deliveries waiting for their first or next attempt, across tenants (from the database).",
		nil, nil)
)

// Collector is a prometheus.Collector of gauges read from the database at
// scrape time: bizos_connections{provider,status} and
// bizos_webhook_deliveries_pending. Answers are reused for TTL, and one
// scrape at a time queries (others wait for its answer), each query under
// Timeout, so scrapes never load PostgreSQL more than twice per TTL. A
// query that fails leaves its gauge out of that scrape (no stale figure)
// and is not retried before the TTL passes.
type Collector struct {
	store Store
	// TTL is how long answers are reused (DefaultCollectorTTL when zero).
	TTL time.Duration
	// Timeout bounds each query (DefaultCollectorTimeout when zero).
	Timeout time.Duration
	// Log receives query failures (discarded when nil).
	Log *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	mu      sync.Mutex
	at      time.Time
	conns   []ConnectionCount
	connsOK bool
	pending int64
	pendOK  bool
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns a Collector on store.
func NewCollector(store Store) *Collector { return &Collector{store: store} }

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- connectionsDesc
	ch <- pendingDesc
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	ttl := c.TTL
	if ttl <= 0 {
		ttl = DefaultCollectorTTL
	}
	if c.at.IsZero() || now.Sub(c.at) >= ttl {
		c.refresh(now)
	}
	if c.connsOK {
		for _, r := range c.conns {
			ch <- prometheus.MustNewConstMetric(connectionsDesc, prometheus.GaugeValue, float64(r.Count), r.Provider, r.Status)
		}
	}
	if c.pendOK {
		ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(c.pending))
	}
}

func (c *Collector) refresh(now time.Time) {
	c.at = now
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultCollectorTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	conns, err := c.store.ConnectionCounts(ctx)
	cancel()
	c.conns, c.connsOK = conns, err == nil
	if err != nil {
		c.log().Warn("metrics: connection counts", "err", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), timeout)
	// Since now: the attempts part of the query then counts next to nothing.
	wc, err := c.store.WebhookCounts(ctx, now)
	cancel()
	c.pending, c.pendOK = wc.Pending, err == nil
	if err != nil {
		c.log().Warn("metrics: webhook delivery counts", "err", err)
	}
}

func (c *Collector) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Collector) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.New(slog.DiscardHandler)
}

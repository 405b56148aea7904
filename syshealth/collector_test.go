package syshealth

import (
	"context"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/postgres"
)

// countingStore counts the queries made through the real store.
type countingStore struct {
	Store
	conns, hooks atomic.Int32
}

func (s *countingStore) ConnectionCounts(ctx context.Context) ([]ConnectionCount, error) {
	s.conns.Add(1)
	return s.Store.ConnectionCounts(ctx)
}

func (s *countingStore) WebhookCounts(ctx context.Context, since time.Time) (WebhookCounts, error) {
	s.hooks.Add(1)
	return s.Store.WebhookCounts(ctx, since)
}

// gauges renders the collector's series as "name{labels} value", sorted.
func gauges(t *testing.T, reg *prometheus.Registry) []string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var out []string
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			s := mf.GetName() + "{"
			for i, lp := range m.GetLabel() {
				if i > 0 {
					s += ","
				}
				s += lp.GetName() + "=" + lp.GetValue()
			}
			out = append(out, s+"} "+strconv.FormatFloat(m.GetGauge().GetValue(), 'g', -1, 64))
		}
	}
	sort.Strings(out)
	return out
}

// TestCollector reads the gauges from the real database at scrape time,
// answers scrapes within the TTL from its cache, and queries again after.
func TestCollector(t *testing.T) {
	db := testenv.NewDB(t)
	seed(t, db)
	store := &countingStore{Store: pgStore{postgres.NewSystemHealthStore(db)}}
	now := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	c := NewCollector(store)
	c.Now = func() time.Time { return now }
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	want := []string{
		"bizos_connections{provider=hubspot,status=connected} 3",
		"bizos_connections{provider=hubspot,status=expired} 1",
		"bizos_connections{provider=stripe,status=error} 2",
		"bizos_webhook_deliveries_pending{} 1",
	}
	for i := range 3 { // three scrapes within the TTL: one query each
		if diff := cmp.Diff(want, gauges(t, reg)); diff != "" {
			t.Errorf("scrape %d (-want +got):\n%s", i, diff)
		}
		now = now.Add(5 * time.Second)
	}
	if n, m := store.conns.Load(), store.hooks.Load(); n != 1 || m != 1 {
		t.Errorf("queries within the TTL = %d, %d; want 1, 1", n, m)
	}
	now = now.Add(DefaultCollectorTTL)
	gauges(t, reg)
	if n, m := store.conns.Load(), store.hooks.Load(); n != 2 || m != 2 {
		t.Errorf("queries after the TTL = %d, %d; want 2, 2", n, m)
	}
}

// TestCollectorDatabaseDown leaves the gauges out instead of failing the
// scrape, and does not query again before the TTL passes.
func TestCollectorDatabaseDown(t *testing.T) {
	db := testenv.NewDB(t)
	db.Close()
	store := &countingStore{Store: pgStore{postgres.NewSystemHealthStore(db)}}
	c := NewCollector(store)
	c.Timeout = time.Second
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	for range 2 {
		if got := gauges(t, reg); len(got) != 0 {
			t.Errorf("gauges of a database that is down = %v", got)
		}
	}
	if n := store.conns.Load(); n != 1 {
		t.Errorf("queries = %d, want 1", n)
	}
}

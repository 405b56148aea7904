// Package temporalmetrics exposes the Temporal Go SDK's metrics as
// Prometheus metrics on the process registry.
//
// New returns a client.MetricsHandler for client.Options.MetricsHandler.
// Metrics keep the SDK's names (temporal_request,
// temporal_workflow_task_execution_latency, ...; names are only sanitised
// to Prometheus' alphabet) and their tags become labels. Counters are
// Prometheus counters, gauges gauges, and timers histograms in seconds.
//
// Label sets. The SDK emits one metric name with different tag sets (for
// example temporal_request from the client, without workflow_type, and from
// the pollers, with it), while Prometheus wants one set of label names per
// metric. The handler keeps one vector per (name, sorted tag-key set),
// created on first use and cached under a mutex; at scrape time the vectors
// of one name are merged into one family whose label names are the union of
// their keys, a series lacking a key getting the empty value. Prometheus
// treats an empty label as an absent one, so each series keeps exactly the
// identity the SDK gave it and nothing is dropped. A name used as two kinds
// (a counter and a timer, say) keeps its first kind; the other uses are
// discarded and logged once.
package temporalmetrics

import (
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.temporal.io/sdk/client"
)

// Buckets are the timers' histogram buckets, in seconds.
var Buckets = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}

type kind int

const (
	kindCounter kind = iota + 1
	kindGauge
	kindTimer
)

func (k kind) String() string {
	switch k {
	case kindCounter:
		return "counter"
	case kindGauge:
		return "gauge"
	}
	return "timer"
}

// vec is the vector of one (name, tag-key set).
type vec struct {
	keys      []string // sorted
	counter   *prometheus.CounterVec
	gauge     *prometheus.GaugeVec
	histogram *prometheus.HistogramVec
}

func (v *vec) collector() prometheus.Collector {
	switch {
	case v.counter != nil:
		return v.counter
	case v.gauge != nil:
		return v.gauge
	}
	return v.histogram
}

// family is every vector of one metric name.
type family struct {
	kind kind
	vecs map[string]*vec // by strings.Join(keys, ",")
}

// collector holds the SDK's metrics of one registry.
type collector struct {
	log *slog.Logger

	mu       sync.Mutex
	families map[string]*family
	warned   map[string]bool
}

var (
	byRegistry  sync.Mutex
	perRegistry = map[prometheus.Registerer]*collector{}
)

// New returns a handler that records the SDK's metrics on reg. Handlers of
// one registry share their metrics, so calling New twice with reg is safe.
// Problems (a registry that refuses the collector, a name used as two
// kinds) are logged with slog's default logger.
func New(reg prometheus.Registerer) client.MetricsHandler {
	byRegistry.Lock()
	defer byRegistry.Unlock()
	if c, ok := perRegistry[reg]; ok {
		return &handler{c: c}
	}
	c := &collector{log: slog.Default().With("component", "temporalmetrics"), families: map[string]*family{}, warned: map[string]bool{}}
	if err := reg.Register(c); err != nil {
		c.log.Error("temporal SDK metrics not registered", "err", err)
		return client.MetricsNopHandler
	}
	perRegistry[reg] = c
	return &handler{c: c}
}

// handler is a client.MetricsHandler with a set of tags.
type handler struct {
	c    *collector
	tags map[string]string // sanitised keys
}

var _ client.MetricsHandler = (*handler)(nil)

// WithTags implements client.MetricsHandler: tags are added to the
// handler's, a key present in both taking the new value.
func (h *handler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(h.tags)+len(tags))
	maps.Copy(merged, h.tags)
	for k, v := range tags {
		merged[sanitize(k)] = v
	}
	return &handler{c: h.c, tags: merged}
}

// Counter implements client.MetricsHandler.
func (h *handler) Counter(name string) client.MetricsCounter {
	v, values := h.c.vec(name, kindCounter, h.tags)
	if v == nil {
		return nop{}
	}
	c := v.counter.WithLabelValues(values...)
	return counter{c}
}

// Gauge implements client.MetricsHandler.
func (h *handler) Gauge(name string) client.MetricsGauge {
	v, values := h.c.vec(name, kindGauge, h.tags)
	if v == nil {
		return nop{}
	}
	return gauge{v.gauge.WithLabelValues(values...)}
}

// Timer implements client.MetricsHandler.
func (h *handler) Timer(name string) client.MetricsTimer {
	v, values := h.c.vec(name, kindTimer, h.tags)
	if v == nil {
		return nop{}
	}
	return timer{v.histogram.WithLabelValues(values...)}
}

type counter struct{ c prometheus.Counter }

func (c counter) Inc(d int64) {
	if d > 0 { // a counter only goes up
		c.c.Add(float64(d))
	}
}

type gauge struct{ g prometheus.Gauge }

func (g gauge) Update(v float64) { g.g.Set(v) }

type timer struct{ o prometheus.Observer }

func (t timer) Record(d time.Duration) { t.o.Observe(d.Seconds()) }

type nop struct{}

func (nop) Inc(int64)            {}
func (nop) Update(float64)       {}
func (nop) Record(time.Duration) {}

// vec returns the vector of (name, keys of tags), creating it on first
// use, and the tags' values in its label order; nil when name is in use as
// another kind.
func (c *collector) vec(name string, k kind, tags map[string]string) (*vec, []string) {
	name = sanitize(name)
	keys := slices.Sorted(maps.Keys(tags))
	id := strings.Join(keys, ",")
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.families[name]
	if f == nil {
		f = &family{kind: k, vecs: map[string]*vec{}}
		c.families[name] = f
	}
	if f.kind != k {
		if w := name + "/" + k.String(); !c.warned[w] {
			c.warned[w] = true
			c.log.Warn("temporal SDK metric used as two kinds; later uses discarded", "metric", name,
				"kind", f.kind.String(), "discarded", k.String())
		}
		return nil, nil
	}
	v := f.vecs[id]
	if v == nil {
		v = &vec{keys: keys}
		help := "Temporal SDK " + k.String() + " " + name + "."
		switch k {
		case kindCounter:
			v.counter = prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, keys)
		case kindGauge:
			v.gauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, keys)
		case kindTimer:
			v.histogram = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help + " Seconds.", Buckets: Buckets}, keys)
		}
		f.vecs[id] = v
	}
	values := make([]string, len(keys))
	for i, key := range keys {
		values[i] = tags[key]
	}
	return v, values
}

// Describe implements prometheus.Collector. It describes nothing: the
// SDK's metrics are known only once it emits them, so the collector is an
// unchecked one.
func (c *collector) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector: each name's vectors become one
// family labelled by the union of their keys.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	type snapshot struct {
		name string
		kind kind
		vecs []*vec
	}
	snaps := make([]snapshot, 0, len(c.families))
	for name, f := range c.families {
		s := snapshot{name: name, kind: f.kind}
		for _, v := range f.vecs {
			s.vecs = append(s.vecs, v)
		}
		snaps = append(snaps, s)
	}
	c.mu.Unlock()
	for _, s := range snaps {
		union := map[string]bool{}
		for _, v := range s.vecs {
			for _, k := range v.keys {
				union[k] = true
			}
		}
		labels := slices.Sorted(maps.Keys(union))
		help := "Temporal SDK " + s.kind.String() + " " + s.name + "."
		if s.kind == kindTimer {
			help += " Seconds."
		}
		desc := prometheus.NewDesc(s.name, help, labels, nil)
		var order []string
		merged := map[string]*point{}
		for _, v := range s.vecs {
			gather(v, labels, func(values []string, pb *dto.Metric) {
				id := strings.Join(values, "\xff")
				p := merged[id]
				if p == nil {
					p = &point{values: values, buckets: map[float64]uint64{}}
					merged[id] = p
					order = append(order, id)
				} else if s.kind == kindGauge {
					return // the same series twice (an empty tag value and a missing tag): keep one gauge
				}
				p.add(pb)
			})
		}
		for _, id := range order {
			p := merged[id]
			switch s.kind {
			case kindCounter:
				ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, p.value, p.values...)
			case kindGauge:
				ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, p.value, p.values...)
			case kindTimer:
				ch <- prometheus.MustNewConstHistogram(desc, p.count, p.sum, p.buckets, p.values...)
			}
		}
	}
}

// point is one series of a merged family. Series of different vectors
// that end up with the same label values (one with an empty tag value, one
// without the tag) are added together.
type point struct {
	values  []string
	value   float64 // counter or gauge
	count   uint64  // histogram
	sum     float64
	buckets map[float64]uint64 // cumulative counts by upper bound
}

func (p *point) add(pb *dto.Metric) {
	switch {
	case pb.Counter != nil:
		p.value += pb.GetCounter().GetValue()
	case pb.Gauge != nil:
		p.value = pb.GetGauge().GetValue()
	case pb.Histogram != nil:
		h := pb.GetHistogram()
		p.count += h.GetSampleCount()
		p.sum += h.GetSampleSum()
		for _, b := range h.GetBucket() {
			p.buckets[b.GetUpperBound()] += b.GetCumulativeCount()
		}
	}
}

// gather calls fn with each series of v, its label values given for
// labels (a superset of v's keys; missing ones are empty).
func gather(v *vec, labels []string, fn func(values []string, pb *dto.Metric)) {
	series := make(chan prometheus.Metric, 16)
	go func() {
		v.collector().Collect(series)
		close(series)
	}()
	for m := range series {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			continue
		}
		got := make(map[string]string, len(pb.GetLabel()))
		for _, lp := range pb.GetLabel() {
			got[lp.GetName()] = lp.GetValue()
		}
		values := make([]string, len(labels))
		for i, l := range labels {
			values[i] = got[l]
		}
		fn(values, &pb)
	}
}

// sanitize maps a name or tag key to Prometheus' alphabet
// [a-zA-Z_][a-zA-Z0-9_]*.
func sanitize(s string) string {
	if s == "" {
		return "_"
	}
	b := []byte(s)
	for i, r := range b {
		ok := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}

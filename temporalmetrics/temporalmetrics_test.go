package temporalmetrics_test

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/bizoshub/bizos/temporalmetrics"
)

// series renders a gathered family as "labels value" lines, sorted.
func series(t *testing.T, reg *prometheus.Registry, name string) (dto.MetricType, []string) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		var out []string
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, lp := range m.GetLabel() {
				labels = append(labels, lp.GetName()+"="+lp.GetValue())
			}
			var v string
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				v = ftoa(m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				v = ftoa(m.GetGauge().GetValue())
			case dto.MetricType_HISTOGRAM:
				v = "count=" + ftoa(float64(m.GetHistogram().GetSampleCount())) + " sum=" + ftoa(m.GetHistogram().GetSampleSum())
			}
			out = append(out, "{"+strings.Join(labels, ",")+"} "+v)
		}
		sort.Strings(out)
		return mf.GetType(), out
	}
	return 0, nil
}

// ftoa prints f rounded to 6 significant digits (sums of many float
// observations are not exact).
func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', 6, 64) }

func TestMetricsShowUpInGather(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := temporalmetrics.New(reg)
	h.Counter("temporal_worker_start").Inc(1)
	tagged := h.WithTags(map[string]string{"namespace": "default", "task_queue": "bizos"})
	tagged.Counter("temporal_request").Inc(2)
	tagged.Counter("temporal_request").Inc(3)
	tagged.WithTags(map[string]string{"poller_type": "workflow_task"}).Gauge("temporal_num_pollers").Update(2)
	h.Gauge("temporal_sticky_cache_size").Update(7)
	tagged.Timer("temporal_workflow_task_execution_latency").Record(250 * time.Millisecond)
	tagged.Timer("temporal_workflow_task_execution_latency").Record(time.Second)
	h.Timer("temporal_request_latency").Record(10 * time.Millisecond)

	tests := []struct {
		name     string
		wantType dto.MetricType
		want     []string
	}{
		{"temporal_worker_start", dto.MetricType_COUNTER, []string{"{} 1"}},
		{"temporal_request", dto.MetricType_COUNTER, []string{"{namespace=default,task_queue=bizos} 5"}},
		{"temporal_num_pollers", dto.MetricType_GAUGE, []string{"{namespace=default,poller_type=workflow_task,task_queue=bizos} 2"}},
		{"temporal_sticky_cache_size", dto.MetricType_GAUGE, []string{"{} 7"}},
		{"temporal_workflow_task_execution_latency", dto.MetricType_HISTOGRAM, []string{"{namespace=default,task_queue=bizos} count=2 sum=1.25"}},
		{"temporal_request_latency", dto.MetricType_HISTOGRAM, []string{"{} count=1 sum=0.01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ, got := series(t, reg, tt.name)
			if typ != tt.wantType {
				t.Errorf("type = %v, want %v", typ, tt.wantType)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("series (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLabelSetsMerge uses one name with three tag sets (and, after them,
// as another kind): nothing panics, every series is kept with its own
// tags, and the family's label names are the union.
func TestLabelSetsMerge(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := temporalmetrics.New(reg)
	h.WithTags(map[string]string{"operation": "StartWorkflowExecution"}).Counter("temporal_request").Inc(1)
	h.WithTags(map[string]string{"operation": "PollWorkflowTaskQueue", "workflow_type": "RunRule"}).Counter("temporal_request").Inc(2)
	h.Counter("temporal_request").Inc(4)
	// An empty tag value and a missing tag are the same series to
	// Prometheus: they are added together, not collected twice.
	h.WithTags(map[string]string{"operation": ""}).Counter("temporal_request").Inc(8)
	h.Timer("temporal_request").Record(time.Second) // another kind: discarded
	h.Gauge("temporal_request").Update(1)

	typ, got := series(t, reg, "temporal_request")
	if typ != dto.MetricType_COUNTER {
		t.Errorf("type = %v, want counter", typ)
	}
	want := []string{
		"{operation=,workflow_type=} 12",
		"{operation=PollWorkflowTaskQueue,workflow_type=RunRule} 2",
		"{operation=StartWorkflowExecution,workflow_type=} 1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("series (-want +got):\n%s", diff)
	}
}

// TestTagsOverwrite: a key given again takes the new value; the parent
// handler keeps its own.
func TestTagsOverwrite(t *testing.T) {
	reg := prometheus.NewRegistry()
	parent := temporalmetrics.New(reg).WithTags(map[string]string{"namespace": "a", "client_name": "temporal_go"})
	parent.WithTags(map[string]string{"namespace": "b"}).Counter("temporal_long_request").Inc(1)
	parent.Counter("temporal_long_request").Inc(1)
	_, got := series(t, reg, "temporal_long_request")
	want := []string{"{client_name=temporal_go,namespace=a} 1", "{client_name=temporal_go,namespace=b} 1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("series (-want +got):\n%s", diff)
	}
}

// TestNewTwiceOnOneRegistry shares the metrics instead of registering a
// second collector of the same names.
func TestNewTwiceOnOneRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	temporalmetrics.New(reg).Counter("temporal_poller_start").Inc(1)
	temporalmetrics.New(reg).Counter("temporal_poller_start").Inc(1)
	if _, got := series(t, reg, "temporal_poller_start"); !cmp.Equal(got, []string{"{} 2"}) {
		t.Errorf("series = %v, want one of 2", got)
	}
}

func TestConcurrentUseAndScrape(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := temporalmetrics.New(reg)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				tags := map[string]string{"activity_type": "A"}
				if (i+j)%2 == 0 {
					tags["workflow_type"] = "W"
				}
				h.WithTags(tags).Timer("temporal_activity_execution_latency").Record(time.Millisecond)
				if j%50 == 0 {
					if _, err := reg.Gather(); err != nil {
						t.Errorf("gather: %v", err)
					}
				}
			}
		}()
	}
	wg.Wait()
	_, got := series(t, reg, "temporal_activity_execution_latency")
	want := []string{"{activity_type=A,workflow_type=W} count=800 sum=0.8", "{activity_type=A,workflow_type=} count=800 sum=0.8"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("series (-want +got):\n%s", diff)
	}
}

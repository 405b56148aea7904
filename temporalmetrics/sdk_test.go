package temporalmetrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/bizoshub/bizos/devtemporal"
	"github.com/bizoshub/bizos/temporalmetrics"
)

func greet(ctx workflow.Context, name string) (string, error) {
	var out string
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	err := workflow.ExecuteActivity(ctx, hello, name).Get(ctx, &out)
	return out, err
}

func hello(_ context.Context, name string) (string, error) { return "hello " + name, nil }

// TestSDKMetrics runs a workflow with an activity on the embedded Temporal
// server through a client whose MetricsHandler is the adapter: the SDK's
// request, worker, workflow task and activity metrics are gathered without
// error (the SDK uses some names with several tag sets).
func TestSDKMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := devtemporal.Start(ctx, devtemporal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	reg := prometheus.NewRegistry()
	c, err := client.Dial(client.Options{HostPort: srv.Address(), Namespace: srv.Namespace(), MetricsHandler: temporalmetrics.New(reg)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := worker.New(c, "metrics-test", worker.Options{})
	w.RegisterWorkflow(greet)
	w.RegisterActivity(hello)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "metrics-test"}, greet, "bizos")
	if err != nil {
		t.Fatal(err)
	}
	var out string
	if err := run.Get(ctx, &out); err != nil || out != "hello bizos" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	want := []string{"temporal_request", "temporal_request_latency", "temporal_worker_start",
		"temporal_workflow_task_execution_latency", "temporal_activity_execution_latency", "temporal_workflow_completed"}
	// The worker records a workflow's completion after the client has seen
	// its result, so the last metrics may land a moment later.
	deadline := time.Now().Add(10 * time.Second)
	for {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatalf("gather: %v", err)
		}
		got := map[string]bool{}
		for _, mf := range mfs {
			got[mf.GetName()] = true
		}
		var missing []string
		for _, name := range want {
			if !got[name] {
				missing = append(missing, name)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %v among %v", missing, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

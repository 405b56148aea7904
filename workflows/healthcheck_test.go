package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/workflows"
)

func TestCheckConnections(t *testing.T) {
	var a *workflows.HealthCheckActivities
	refs := []hub.ConnectionRef{{TenantID: "t1", ID: "c1"}, {TenantID: "t1", ID: "c2"}, {TenantID: "t2", ID: "c3"}}
	outcome := map[string]struct {
		status string
		err    error
	}{
		"c1": {hub.ConnectionConnected, nil},
		"c2": {hub.ConnectionExpired, nil},
		"c3": {"", errors.New("database down")},
	}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(a.StaleConnections)
	env.RegisterActivity(a.CheckConnection)
	start := env.Now()
	env.OnActivity(a.StaleConnections, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_ context.Context, before time.Time, limit int) ([]hub.ConnectionRef, error) {
			if got := start.Sub(before); got != time.Hour || limit != 100 {
				t.Errorf("stale query = %v ago, limit %d", got, limit)
			}
			return refs, nil
		})
	env.OnActivity(a.CheckConnection, mock.Anything, mock.Anything).Return(
		func(_ context.Context, ref hub.ConnectionRef) (string, error) {
			o := outcome[ref.ID]
			return o.status, o.err
		})
	env.ExecuteWorkflow(workflows.CheckConnections, workflows.HealthCheckInput{MaxAge: time.Hour, Batch: 100})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var got workflows.HealthCheckResult
	if err := env.GetWorkflowResult(&got); err != nil {
		t.Fatal(err)
	}
	want := workflows.HealthCheckResult{Checked: 2, Failed: 1, Statuses: map[string]int{"connected": 1, "expired": 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

func TestCheckConnectionsRefusesBadInput(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.ExecuteWorkflow(workflows.CheckConnections, workflows.HealthCheckInput{})
	if env.GetWorkflowError() == nil {
		t.Error("zero input accepted")
	}
}

// TestReplayCheckConnections replays a history recorded from a real run on
// the embedded Temporal server (cmd/bizos TestConnectorsEndToEnd with
// BIZOS_RECORD_HISTORY=1).
func TestReplayCheckConnections(t *testing.T) {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflow(workflows.CheckConnections)
	if err := r.ReplayWorkflowHistoryFromJSONFile(nil, "testdata/check_connections.json"); err != nil {
		t.Fatal(err)
	}
}

package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/bizoshub/bizos/workflows"
)

func TestPurgeExpiredCredentials(t *testing.T) {
	var a *workflows.Activities
	tests := []struct {
		name      string
		retention time.Duration
		deleted   int64
		actErr    error
		wantErr   bool
		want      int64
	}{
		{"deletes what the activity reports", 24 * time.Hour, 7, nil, false, 7},
		{"activity failure fails the run", time.Hour, 0, errors.New("database down"), true, 0},
		{"negative retention is refused", -time.Hour, 0, nil, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			env.RegisterActivity(a.PurgeRefreshTokens)
			start := env.Now()
			env.OnActivity(a.PurgeRefreshTokens, mock.Anything, mock.Anything).Return(
				func(_ context.Context, before time.Time) (int64, error) {
					if got, want := start.Sub(before), tt.retention; got != want {
						t.Errorf("purge cut-off is %v before now, want %v", got, want)
					}
					return tt.deleted, tt.actErr
				})
			env.ExecuteWorkflow(workflows.PurgeExpiredCredentials, workflows.PurgeInput{Retention: tt.retention})
			if !env.IsWorkflowCompleted() {
				t.Fatal("workflow did not complete")
			}
			err := env.GetWorkflowError()
			if (err != nil) != tt.wantErr {
				t.Fatalf("workflow error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			var got workflows.PurgeResult
			if err := env.GetWorkflowResult(&got); err != nil {
				t.Fatal(err)
			}
			if got.RefreshTokensDeleted != tt.want {
				t.Errorf("deleted = %d, want %d", got.RefreshTokensDeleted, tt.want)
			}
		})
	}
}

func TestPurgeExpiredCredentialsPurgesEvents(t *testing.T) {
	var a *workflows.Activities
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(a.PurgeRefreshTokens)
	env.RegisterActivity(a.PurgeEvents)
	start := env.Now()
	env.OnActivity(a.PurgeRefreshTokens, mock.Anything, mock.Anything).Return(int64(1), nil)
	env.OnActivity(a.PurgeEvents, mock.Anything, mock.Anything).Return(
		func(_ context.Context, before time.Time) (int64, error) {
			if got := start.Sub(before); got != 30*24*time.Hour {
				t.Errorf("event cut-off is %v before now, want 30 days", got)
			}
			return 42, nil
		})
	env.ExecuteWorkflow(workflows.PurgeExpiredCredentials, workflows.PurgeInput{Retention: time.Hour, EventRetention: 30 * 24 * time.Hour})
	var got workflows.PurgeResult
	if err := env.GetWorkflowResult(&got); err != nil {
		t.Fatal(err)
	}
	if got.EventsDeleted != 42 || got.RefreshTokensDeleted != 1 {
		t.Errorf("result = %+v", got)
	}
}

// TestReplayPurgeExpiredCredentials replays a recorded history against the
// current code, catching non-deterministic changes. The history was recorded
// from a real run on the embedded Temporal server (see cmd/bizos tests).
func TestReplayPurgeExpiredCredentials(t *testing.T) {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflow(workflows.PurgeExpiredCredentials)
	if err := r.ReplayWorkflowHistoryFromJSONFile(nil, "testdata/purge_expired_credentials.json"); err != nil {
		t.Fatal(err)
	}
}

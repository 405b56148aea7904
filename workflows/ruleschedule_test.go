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

func TestFireRuleSchedule(t *testing.T) {
	for name, tc := range map[string]struct {
		in       workflows.RuleScheduleInput
		failures int // the activity fails this many times first
		wantErr  bool
		wantCall int
	}{
		"records the firing":      {in: workflows.RuleScheduleInput{TenantID: "t1", RuleID: "r1"}, wantCall: 1},
		"retries a database blip": {in: workflows.RuleScheduleInput{TenantID: "t1", RuleID: "r1"}, failures: 2, wantCall: 3},
		"refuses a missing rule":  {in: workflows.RuleScheduleInput{TenantID: "t1"}, wantErr: true},
	} {
		t.Run(name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			var a *workflows.RuleActivities
			env.RegisterActivity(a)
			start := env.Now()
			var got []workflows.RuleScheduleEvent
			env.OnActivity(a.AppendScheduleEvent, mock.Anything, mock.Anything).Return(
				func(_ context.Context, req workflows.RuleScheduleEvent) error {
					got = append(got, req)
					if len(got) <= tc.failures {
						return errors.New("connection refused")
					}
					return nil
				})
			env.ExecuteWorkflow(workflows.FireRuleSchedule, tc.in)
			if err := env.GetWorkflowError(); (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			if len(got) != tc.wantCall {
				t.Fatalf("%d calls, want %d", len(got), tc.wantCall)
			}
			for _, req := range got {
				if req.TenantID != tc.in.TenantID || req.RuleID != tc.in.RuleID || req.FiredAt.Sub(start) > time.Second {
					t.Errorf("request = %+v (start %v)", req, start)
				}
			}
		})
	}
}

// TestReplayFireRuleSchedule replays a history recorded on the embedded
// Temporal server (automation TestScheduledRuleEndToEnd with
// BIZOS_RECORD_HISTORY=1): a schedule fired on demand.
func TestReplayFireRuleSchedule(t *testing.T) {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflow(workflows.FireRuleSchedule)
	if err := r.ReplayWorkflowHistoryFromJSONFile(nil, "testdata/fire_rule_schedule.json"); err != nil {
		t.Fatal(err)
	}
}

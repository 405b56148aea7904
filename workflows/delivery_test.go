package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/workflows"
)

var deliveryIn = workflows.DeliveryInput{TenantID: "t1", EndpointID: "ep1", EventID: "ev1", DeliveryID: "d1",
	MaxAttempts: 4, InitialInterval: 10 * time.Second, MaxInterval: time.Hour}

// runDelivery runs DeliverWebhook with the attempt outcomes given in order
// and returns the result, the requests and the workflow time of each attempt
// (relative to the start).
func runDelivery(t *testing.T, in workflows.DeliveryInput, outcomes ...hub.WebhookAttemptResult) (workflows.DeliveryResult, []hub.WebhookAttemptRequest, []time.Duration, error) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var a *workflows.DeliveryActivities
	env.RegisterActivity(a.Attempt)
	start := env.Now()
	var reqs []hub.WebhookAttemptRequest
	var at []time.Duration
	env.OnActivity(a.Attempt, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req hub.WebhookAttemptRequest) (hub.WebhookAttemptResult, error) {
			reqs = append(reqs, req)
			at = append(at, env.Now().Sub(start))
			if len(reqs) > len(outcomes) {
				t.Fatalf("attempt %d not expected", len(reqs))
			}
			return outcomes[len(reqs)-1], nil
		})
	env.ExecuteWorkflow(workflows.DeliverWebhook, in)
	var res workflows.DeliveryResult
	err := env.GetWorkflowError()
	if err == nil {
		err = env.GetWorkflowResult(&res)
	}
	return res, reqs, at, err
}

var (
	ok500 = hub.WebhookAttemptResult{StatusCode: 500, Error: "the endpoint answered 500"}
	ok200 = hub.WebhookAttemptResult{Succeeded: true, StatusCode: 200}
)

func TestDeliverWebhookFirstTry(t *testing.T) {
	res, reqs, _, err := runDelivery(t, deliveryIn, ok200)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(workflows.DeliveryResult{Status: hub.DeliverySucceeded, Attempts: 1}, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	want := hub.WebhookAttemptRequest{TenantID: "t1", EndpointID: "ep1", EventID: "ev1", DeliveryID: "d1", Number: 1,
		RetryDelay: reqs[0].RetryDelay, MaxRetryAfter: workflows.DefaultDeliveryRetryAfter}
	if diff := cmp.Diff(want, reqs[0]); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
}

func TestDeliverWebhookBacksOffThenSucceeds(t *testing.T) {
	res, reqs, at, err := runDelivery(t, deliveryIn, ok500, ok500, ok200)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != hub.DeliverySucceeded || res.Attempts != 3 {
		t.Errorf("result = %+v", res)
	}
	// Waits grow by 3x with equal jitter: [5s,10s] then [15s,30s].
	gap1, gap2 := at[1]-at[0], at[2]-at[1]
	if gap1 < 5*time.Second || gap1 > 10*time.Second || gap2 < 15*time.Second || gap2 > 30*time.Second {
		t.Errorf("gaps = %v, %v", gap1, gap2)
	}
	for i, r := range reqs {
		if want := workflows.RetryDelay(i+1, 10*time.Second, time.Hour, "ep1/ev1"); r.RetryDelay != want || r.Number != i+1 {
			t.Errorf("attempt %d: delay %v number %d, want %v", i+1, r.RetryDelay, r.Number, want)
		}
	}
	if gap1 != reqs[0].RetryDelay {
		t.Errorf("slept %v, announced %v", gap1, reqs[0].RetryDelay)
	}
}

func TestDeliverWebhookHonoursRetryAfter(t *testing.T) {
	throttled := hub.WebhookAttemptResult{StatusCode: 503, RetryAfter: 10 * time.Minute}
	_, _, at, err := runDelivery(t, deliveryIn, throttled, ok200)
	if err != nil {
		t.Fatal(err)
	}
	if gap := at[1] - at[0]; gap != 10*time.Minute {
		t.Errorf("waited %v after Retry-After 10m", gap)
	}
	// Capped at MaxRetryAfter.
	in := deliveryIn
	in.MaxRetryAfter = time.Minute
	throttled.RetryAfter = 24 * time.Hour
	_, _, at, err = runDelivery(t, in, throttled, ok200)
	if err != nil {
		t.Fatal(err)
	}
	if gap := at[1] - at[0]; gap != time.Minute {
		t.Errorf("waited %v, want the 1m cap", gap)
	}
}

func TestDeliverWebhookDeadAfterMaxAttempts(t *testing.T) {
	res, reqs, _, err := runDelivery(t, deliveryIn, ok500, ok500, ok500, ok500)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(workflows.DeliveryResult{Status: hub.DeliveryDead, Attempts: 4}, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if !reqs[3].Final || reqs[2].Final {
		t.Errorf("final flags = %v %v", reqs[2].Final, reqs[3].Final)
	}
}

func TestDeliverWebhookStopsWhenEndpointGone(t *testing.T) {
	res, _, _, err := runDelivery(t, deliveryIn, ok500, hub.WebhookAttemptResult{Stop: true, Status: hub.DeliveryFailed})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != hub.DeliveryFailed || res.Attempts != 2 {
		t.Errorf("result = %+v", res)
	}
}

func TestDeliverWebhookRefusesBadInput(t *testing.T) {
	for name, in := range map[string]workflows.DeliveryInput{
		"no ids":           {},
		"negative attempt": {TenantID: "t", EndpointID: "e", EventID: "v", DeliveryID: "d", MaxAttempts: -1},
	} {
		var s testsuite.WorkflowTestSuite
		env := s.NewTestWorkflowEnvironment()
		env.ExecuteWorkflow(workflows.DeliverWebhook, in)
		if env.GetWorkflowError() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	for n := 1; n <= 12; n++ {
		d := workflows.RetryDelay(n, 30*time.Second, 6*time.Hour, "x")
		if d <= 0 || d > 6*time.Hour {
			t.Errorf("delay %d = %v", n, d)
		}
		if d != workflows.RetryDelay(n, 30*time.Second, 6*time.Hour, "x") {
			t.Errorf("delay %d is not deterministic", n)
		}
	}
	if got := workflows.DeliveryWorkflowID("e", "v", 0); got != "delivery-e-v" {
		t.Errorf("id = %s", got)
	}
	if got := workflows.DeliveryWorkflowID("e", "v", 2); got != "delivery-e-v-replay-2" {
		t.Errorf("replay id = %s", got)
	}
}

// TestReplayDeliverWebhook replays a history recorded from a real run on the
// embedded Temporal server (webhooks TestDeliveryEndToEnd with
// BIZOS_RECORD_HISTORY=1): a 500 answer, a wait, then a 200.
func TestReplayDeliverWebhook(t *testing.T) {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflow(workflows.DeliverWebhook)
	if err := r.ReplayWorkflowHistoryFromJSONFile(nil, "testdata/deliver_webhook.json"); err != nil {
		t.Fatal(err)
	}
}

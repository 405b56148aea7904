package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
)

// workerProcess runs `bizos worker` as a child process against the stack.
func workerProcess(t *testing.T, bin string, s *testStack, overrides string, extra ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"worker", "-database-url", s.cfg.DatabaseURL, "-redis-url", s.cfg.RedisURL,
		"-redis-prefix", s.cfg.RedisPrefix, "-data-dir", s.cfg.DataDir, "-temporal-address", s.TemporalAddress,
		"-provider-overrides", overrides, "-egress-allow", "127.0.0.0/8", "-metrics-addr", "127.0.0.1:0"}, extra...)...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// TestWorkerKilledWhileRunsInFlight kills the only worker with SIGKILL
// while webhook deliveries and rule runs are in flight, and starts it again:
// every event is delivered and every rule run completes, with one delivery
// record and one run per event.
func TestWorkerKilledWhileRunsInFlight(t *testing.T) {
	bin := buildBizos(t)
	var mu sync.Mutex
	received := map[string]int{}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(150 * time.Millisecond) // a slow receiver keeps deliveries in flight
		mu.Lock()
		received[r.Header.Get("webhook-id")]++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	customers := map[string]int{}
	keys := map[string]bool{}
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost && r.URL.Path == "/v1/customers" {
			_ = r.ParseForm()
			mu.Lock()
			if !keys[r.Header.Get("Idempotency-Key")] { // Stripe answers a repeated key with the first result
				keys[r.Header.Get("Idempotency-Key")] = true
				customers[r.PostForm.Get("email")]++
			}
			mu.Unlock()
			io.WriteString(w, `{"id":"cus_1","object":"customer","email":"x@y.test","created":1700000000,"livemode":false}`)
			return
		}
		io.WriteString(w, `{"object":"balance","available":[],"pending":[],"livemode":false}`)
	}))
	defer upstream.Close()
	overrides := writeOverrides(t, map[string]map[string]string{"stripe": {"api_base_url": upstream.URL}})
	s := startStack(t, "-provider-overrides", overrides, "-egress-allow", "127.0.0.0/8", "-dev-worker=false")
	root, _ := s.login(t, adminEmail, adminPassword)
	a := s.makeTenant(t, root, "alpha")
	const hookSecret = "whsec_d29ya2VyLWtpbGw="
	conn := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "stripe",
		"credentials": map[string]string{"api_key": "sk_test_kill", "webhook_secret": hookSecret}}, bearer(a.AdminToken))
	if conn.Status != 201 {
		t.Fatalf("connect: %d %s", conn.Status, conn.Body)
	}
	if ep := call(t, http.MethodPost, s.BrainURL+"/api/v1/webhooks", map[string]any{"url": receiver.URL,
		"event_types": []string{"stripe.*"}}, bearer(a.AdminToken)); ep.Status != 201 {
		t.Fatalf("endpoint: %d %s", ep.Status, ep.Body)
	}
	rule := call(t, http.MethodPost, s.BrainURL+"/api/v1/rules", map[string]any{"name": "customers",
		"trigger": map[string]string{"event_type": "stripe.*"}, "condition": "",
		"actions": []map[string]any{{"type": "connector_action", "connection_id": conn.field(t, "id"), "action": "stripe.create_customer",
			"input": map[string]any{"email": "{{ event.payload.data.object.customer_email }}"}}}}, bearer(a.AdminToken))
	if rule.Status != 201 {
		t.Fatalf("rule: %d %s", rule.Status, rule.Body)
	}
	worker := workerProcess(t, bin, s, overrides)
	defer func() { _ = worker.Process.Kill(); _ = worker.Wait() }()

	hookURL := conn.field(t, "inbound_webhook_url")
	target := s.BrainURL + hookURL[strings.Index(hookURL, "/hooks/"):]
	const n = 40
	for i := 0; i < n; i++ {
		body := []byte(fmt.Sprintf(`{"id":"evt_w_%d","object":"event","type":"invoice.paid","created":1700000000,"data":{"object":{"customer_email":"c%d@kill.test"}}}`, i, i))
		if r := post(t, target, body, map[string]string{"Stripe-Signature": stripeSignature(hookSecret, time.Now(), body)}); r.Status != 200 {
			t.Fatalf("inbound: %d %s", r.Status, r.Body)
		}
	}
	time.Sleep(2500 * time.Millisecond) // the dispatchers start work; deliveries and runs are in flight
	if err := worker.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = worker.Wait()
	worker = workerProcess(t, bin, s, overrides)

	deadline := time.Now().Add(3 * time.Minute)
	for {
		mu.Lock()
		done := len(received) >= n && len(customers) >= n
		mu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(time.Second)
	// Hold the lock only to read: steps retried after the kill still call
	// the upstream while the runs are awaited below.
	mu.Lock()
	gotReceived, gotCustomers := maps.Clone(received), maps.Clone(customers)
	mu.Unlock()
	if len(gotReceived) != n || len(gotCustomers) != n {
		t.Fatalf("delivered %d of %d events, created %d of %d customers", len(gotReceived), n, len(gotCustomers), n)
	}
	for email, c := range gotCustomers {
		if c != 1 {
			t.Errorf("%s created %d times", email, c)
		}
	}
	redelivered := 0
	for _, c := range gotReceived {
		redelivered += c - 1
	}
	var runs struct{ Items []struct{ Status string } }
	succeeded := 0
	// A step cut off by the kill is given to the new worker once its
	// heartbeat stops (workflows.StepHeartbeatTimeout).
	deadline = time.Now().Add(time.Duration(envInt("BIZOS_TEST_RUN_WAIT_SECONDS", 120)) * time.Second)
	for {
		call(t, http.MethodGet, s.BrainURL+"/api/v1/rules/"+rule.field(t, "id")+"/runs?limit=200", nil, bearer(a.ViewerToken)).json(t, &runs)
		succeeded = 0
		for _, r := range runs.Items {
			if r.Status == "succeeded" {
				succeeded++
			}
		}
		if succeeded == n || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if len(runs.Items) != n || succeeded != n {
		raw := call(t, http.MethodGet, s.BrainURL+"/api/v1/rules/"+rule.field(t, "id")+"/runs?limit=200", nil, bearer(a.ViewerToken)).Body
		var full struct{ Items []map[string]any }
		_ = json.Unmarshal(raw, &full)
		for _, r := range full.Items {
			if r["status"] != "succeeded" {
				t.Logf("unfinished run: %v", r)
				logWorkflow(t, s.TemporalAddress, fmt.Sprint(r["workflow_id"]))
			}
		}
		t.Errorf("rule runs = %d (%d succeeded), want %d", len(runs.Items), succeeded, n)
	}
	// Standard Webhooks is at-least-once: an attempt cut off by the kill may
	// be sent again, always with the same webhook-id for receivers to drop.
	t.Logf("events %d; deliveries repeated after the kill: %d; customers created once each", n, redelivered)
}

// logWorkflow logs what Temporal knows of a workflow: its status, pending
// activities and workflow task, to tell where an unfinished run waits.
func logWorkflow(t *testing.T, address, id string) {
	c, err := client.Dial(client.Options{HostPort: address, Logger: log.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Logf("temporal: %v", err)
		return
	}
	defer c.Close()
	d, err := c.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil {
		t.Logf("describe %s: %v", id, err)
		return
	}
	t.Logf("workflow %s: status %s, history length %d, pending workflow task %v", id,
		d.WorkflowExecutionInfo.GetStatus(), d.WorkflowExecutionInfo.GetHistoryLength(), d.GetPendingWorkflowTask())
	for _, a := range d.PendingActivities {
		t.Logf("  activity %s: state %s, attempt %d, last failure %v, last worker %s", a.GetActivityType().GetName(),
			a.GetState(), a.GetAttempt(), a.GetLastFailure().GetMessage(), a.GetLastWorkerIdentity())
	}
}

func envInt(name string, def int) int {
	var n int
	if _, err := fmt.Sscanf(os.Getenv(name), "%d", &n); err != nil || n <= 0 {
		return def
	}
	return n
}

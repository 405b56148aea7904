package webhooks_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/devtemporal"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/stdwebhooks"
	"github.com/bizoshub/bizos/webhooks"
	"github.com/bizoshub/bizos/workflows"
)

// receiver is a local webhook consumer that verifies signatures and answers
// from a script per path.
type receiver struct {
	mu      sync.Mutex
	secrets map[string][]byte // path -> key
	script  map[string][]int  // path -> statuses to answer, then 200
	got     map[string][]time.Time
	bodies  map[string][]webhooks.Message
	bad     []string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	p := req.URL.Path
	if err := stdwebhooks.Verify(req.Header, body, r.secrets[p], time.Now(), 0); err != nil {
		r.bad = append(r.bad, p+": "+err.Error())
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var m webhooks.Message
	if err := json.Unmarshal(body, &m); err != nil || m.ID != req.Header.Get(stdwebhooks.HeaderID) {
		r.bad = append(r.bad, p+": bad body "+string(body))
	}
	n := len(r.got[p])
	r.got[p] = append(r.got[p], time.Now())
	r.bodies[p] = append(r.bodies[p], m)
	if n < len(r.script[p]) {
		if r.script[p][n] == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		w.WriteHeader(r.script[p][n])
		io.WriteString(w, "try later")
		return
	}
	io.WriteString(w, "thanks")
}

func (r *receiver) calls(path string) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.got[path]...)
}

func TestDeliveryEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	f := newFixture(t, "127.0.0.0/8")
	srv, err := devtemporal.Start(ctx, devtemporal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	c, err := client.Dial(client.Options{HostPort: srv.Address(), Namespace: srv.Namespace()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	w.RegisterWorkflow(workflows.DeliverWebhook)
	w.RegisterActivity(&workflows.DeliveryActivities{Deliverer: webhooks.NewDeliverer(f.store, f.events, f.policy)})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	rcv := &receiver{secrets: map[string][]byte{}, got: map[string][]time.Time{}, bodies: map[string][]webhooks.Message{},
		script: map[string][]int{"/flaky": {500}, "/throttle": {503}}}
	hook := httptest.NewServer(rcv)
	defer hook.Close()

	limits := workflows.DeliveryInput{MaxAttempts: 4, InitialInterval: 200 * time.Millisecond, MaxInterval: time.Second}
	svc := webhooks.NewService(webhooks.Config{Store: f.store, Egress: f.policy, Temporal: c, Limits: limits})
	p := hub.Principal{Kind: hub.PrincipalUser, ID: "u1", TenantID: f.tenantA}
	endpoints := map[string]*hub.WebhookEndpoint{}
	for _, path := range []string{"/ok", "/flaky", "/throttle"} {
		ep, err := svc.Create(ctx, p, webhooks.EndpointRequest{URL: hook.URL + path, EventTypes: []string{"test" + strings.ReplaceAll(path, "/", ".")}})
		if err != nil {
			t.Fatal(err)
		}
		key, _ := stdwebhooks.ParseSecret(ep.Secret)
		rcv.secrets[path] = key
		endpoints[path] = ep
	}
	// Another tenant's event of the same type goes nowhere.
	evs := []*hub.Event{
		{TenantID: f.tenantA, Type: "test.ok", Source: "hub", Payload: json.RawMessage(`{"n":1}`)},
		{TenantID: f.tenantA, Type: "test.flaky", Source: "hub", Payload: json.RawMessage(`{"n":2}`)},
		{TenantID: f.tenantA, Type: "test.throttle", Source: "hub", Payload: json.RawMessage(`{"n":3}`)},
		{TenantID: f.tenantB, Type: "test.ok", Source: "hub", Payload: json.RawMessage(`{"n":4}`)},
	}
	if _, err := f.events.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}

	d := webhooks.NewDispatcher(f.store, c)
	d.Limits, d.Lag, d.PollInterval = limits, 0, 50*time.Millisecond
	runCtx, stopRun := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()

	wait := func(endpoint, event string, replay int) workflows.DeliveryResult {
		t.Helper()
		id := workflows.DeliveryWorkflowID(endpoint, event, replay)
		var res workflows.DeliveryResult
		deadline := time.Now().Add(time.Minute)
		for {
			err := c.GetWorkflow(ctx, id, "").Get(ctx, &res)
			if err == nil {
				return res
			}
			if time.Now().After(deadline) {
				t.Fatalf("workflow %s: %v", id, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if res := wait(endpoints["/ok"].ID, evs[0].ID, 0); res.Status != hub.DeliverySucceeded || res.Attempts != 1 {
		t.Errorf("ok = %+v", res)
	}
	if res := wait(endpoints["/flaky"].ID, evs[1].ID, 0); res.Status != hub.DeliverySucceeded || res.Attempts != 2 {
		t.Errorf("flaky = %+v", res)
	}
	if res := wait(endpoints["/throttle"].ID, evs[2].ID, 0); res.Status != hub.DeliverySucceeded || res.Attempts != 2 {
		t.Errorf("throttle = %+v", res)
	}
	stopRun()
	if err := <-done; err != nil {
		t.Errorf("dispatcher: %v", err)
	}

	if len(rcv.bad) > 0 {
		t.Errorf("receiver refused: %v", rcv.bad)
	}
	if got := rcv.calls("/ok"); len(got) != 1 {
		t.Errorf("/ok received %d calls", len(got))
	}
	if m := rcv.bodies["/ok"][0]; m.ID != evs[0].ID || m.Type != "test.ok" || string(m.Data) != `{"n": 1}` && string(m.Data) != `{"n":1}` {
		t.Errorf("message = %+v", m)
	}
	if got := rcv.calls("/throttle"); len(got) != 2 || got[1].Sub(got[0]) < 900*time.Millisecond {
		t.Errorf("throttle calls %v: Retry-After: 1 not honoured", got)
	}

	// Attempts are recorded.
	dels, _, err := f.store.ListWebhookDeliveries(ctx, f.tenantA, endpoints["/flaky"].ID, hub.Page{})
	if err != nil || len(dels) != 1 {
		t.Fatalf("flaky deliveries = %d, %v", len(dels), err)
	}
	if dl := dels[0]; dl.Status != hub.DeliverySucceeded || len(dl.Attempts) != 2 || dl.Attempts[0].StatusCode != 500 ||
		dl.Attempts[0].Response != "try later" || dl.Attempts[1].StatusCode != 200 || !dl.Attempts[1].Succeeded {
		t.Errorf("flaky delivery = %+v attempts %+v %+v", dl, dl.Attempts[0], dl.Attempts[len(dl.Attempts)-1])
	}

	// Dispatching again (from the start of the stream) delivers nothing twice.
	if err := f.store.SetDispatchPosition(ctx, "webhooks", hub.DispatchPosition{}); err != nil {
		t.Fatal(err)
	}
	if n, err := d.DispatchOnce(ctx); err != nil || n != len(evs) {
		t.Fatalf("re-dispatch = %d, %v", n, err)
	}
	if err := d.Dispatch(ctx, evs[0]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if got := rcv.calls("/ok"); len(got) != 1 {
		t.Errorf("/ok received %d calls after dispatching twice", len(got))
	}

	// A manual replay delivers again, in its own run.
	okDel, _, _ := f.store.ListWebhookDeliveries(ctx, f.tenantA, endpoints["/ok"].ID, hub.Page{})
	if _, err := svc.Replay(ctx, f.tenantA, endpoints["/ok"].ID, okDel[0].ID); err != nil {
		t.Fatal(err)
	}
	if res := wait(endpoints["/ok"].ID, evs[0].ID, 1); res.Status != hub.DeliverySucceeded {
		t.Errorf("replay = %+v", res)
	}
	if got := rcv.calls("/ok"); len(got) != 2 {
		t.Errorf("/ok received %d calls after a replay", len(got))
	}

	if os.Getenv("BIZOS_RECORD_HISTORY") == "1" {
		testenv.RecordHistory(t, ctx, c, workflows.DeliveryWorkflowID(endpoints["/flaky"].ID, evs[1].ID, 0), "", "../workflows/testdata/deliver_webhook.json")
	}
}

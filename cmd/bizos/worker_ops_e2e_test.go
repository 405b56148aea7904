package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/httpapi"
	"github.com/bizoshub/bizos/postgres"
)

// workerConfig is the configuration of a `bizos worker` beside stack s,
// with its ops listener on a free loopback port.
func workerConfig(t *testing.T, s *testStack, temporalAddress string) *Config {
	t.Helper()
	cfg, err := parseConfig("worker", []string{"-database-url", s.cfg.DatabaseURL, "-redis-url", s.cfg.RedisURL,
		"-redis-prefix", s.cfg.RedisPrefix, "-data-dir", s.cfg.DataDir, "-temporal-address", temporalAddress,
		"-egress-allow", "127.0.0.0/8", "-metrics-addr", "127.0.0.1:0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// opsURL waits for the worker's "listening" log line and returns its base URL.
func opsURL(t *testing.T, logs *syncBuffer) string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		sc := bufio.NewScanner(strings.NewReader(logs.String()))
		for sc.Scan() {
			var line struct{ Msg, Service, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" && line.Service == "worker" {
				return "http://" + line.Addr
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the worker's ops listener did not start; logs:\n%s", logs.String())
	return ""
}

func readyz(t *testing.T, base string) (int, httpapi.ReadyReport) {
	t.Helper()
	r := call(t, http.MethodGet, base+"/readyz", nil)
	var rep httpapi.ReadyReport
	r.json(t, &rep)
	// Only the checks this test is about (the process may have more).
	for name := range rep.Checks {
		switch name {
		case "postgres", "redis", "temporal", "worker":
		default:
			delete(rep.Checks, name)
		}
	}
	return r.Status, rep
}

// TestWorkerOpsListener checks the worker's own /healthz, /readyz and
// /metrics: unready (503, the failing checks named) while Temporal cannot be
// reached and the worker is not polling, then, for a worker process on the
// stack's Temporal, ready once it polls, with the metrics of the deliveries
// it made and the database gauges on its /metrics, and gone once the
// worker's context ends.
func TestWorkerOpsListener(t *testing.T) {
	s := startStack(t, "-dev-worker=false", "-egress-allow", "127.0.0.0/8")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// Not ready: Temporal down, worker not started.
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := closed.Addr().String()
	closed.Close()
	logs := &syncBuffer{}
	cfg := workerConfig(t, s, down)
	a, err := openApp(ctx, cfg, newLogger(cfg, logs), false)
	if err != nil {
		t.Fatal(err)
	}
	opsCtx, stopOps := context.WithCancel(ctx)
	ops, err := a.startWorkerOps(opsCtx)
	if err != nil {
		t.Fatal(err)
	}
	base := opsURL(t, logs)
	if r := call(t, http.MethodGet, base+"/healthz", nil); r.Status != http.StatusOK || r.field(t, "service") != "worker" {
		t.Errorf("healthz = %d %s", r.Status, r.Body)
	}
	status, rep := readyz(t, base)
	want := httpapi.ReadyReport{Status: "unavailable", Checks: map[string]string{"postgres": "ok", "redis": "ok",
		"temporal": "unavailable", "worker": "unavailable"}}
	if diff := cmp.Diff(want, rep); status != http.StatusServiceUnavailable || diff != "" {
		t.Errorf("readyz = %d (-want +got):\n%s", status, diff)
	}
	stopOps()
	ops.stop()
	a.close()
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the ops listener still answers after its context ended")
	}

	// A worker on the stack's Temporal delivers a webhook.
	received := make(chan struct{}, 10)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received <- struct{}{}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	root, _ := s.login(t, adminEmail, adminPassword)
	tenant := s.makeTenant(t, root, "ops")
	if ep := call(t, http.MethodPost, s.BrainURL+"/api/v1/webhooks", map[string]any{"url": receiver.URL + "/hook",
		"event_types": []string{"ops.*"}}, bearer(tenant.AdminToken)); ep.Status != http.StatusCreated {
		t.Fatalf("register endpoint: %d %s", ep.Status, ep.Body)
	}
	logs = &syncBuffer{}
	cfg = workerConfig(t, s, s.TemporalAddress)
	workerCtx, stopWorker := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- runWorkerCommand(workerCtx, cfg, newLogger(cfg, logs)) }()
	defer func() {
		stopWorker()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("worker: %v", err)
			}
		case <-time.After(time.Minute):
			t.Error("the worker did not stop")
		}
	}()
	base = opsURL(t, logs)
	deadline := time.Now().Add(time.Minute)
	for {
		status, rep = readyz(t, base)
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz = %d %+v", status, rep)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if diff := cmp.Diff(httpapi.ReadyReport{Status: "ok", Checks: map[string]string{"postgres": "ok", "redis": "ok", "temporal": "ok",
		"worker": "ok"}}, rep); diff != "" {
		t.Errorf("ready report (-want +got):\n%s", diff)
	}

	db, err := postgres.Open(ctx, s.cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := postgres.NewEventStore(db).AppendEvents(ctx, []*hub.Event{{TenantID: tenant.ID, Type: "ops.ping", Source: "hub",
		Payload: json.RawMessage(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-received:
	case <-time.After(time.Minute):
		t.Fatal("the endpoint never received the event")
	}
	var metrics string
	for deadline := time.Now().Add(30 * time.Second); ; {
		r := call(t, http.MethodGet, base+"/metrics", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("metrics = %d %s", r.Status, r.Body)
		}
		metrics = string(r.Body)
		// The attempt counts once it is recorded, just after the answer.
		if strings.Contains(metrics, `bizos_webhook_delivery_attempts_total{outcome="succeeded"}`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, series := range []string{
		`bizos_webhook_delivery_attempts_total{outcome="succeeded"}`,
		`bizos_webhook_delivery_duration_seconds_count`,
		`bizos_webhook_deliveries_pending`,
		`go_goroutines`,
	} {
		if !strings.Contains(metrics, series) {
			t.Errorf("worker /metrics has no %s:\n%s", series, metrics)
		}
	}
}

package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	hub "github.com/bizoshub/bizos"
)

func newTestTelemetry(t *testing.T, env map[string]string, out io.Writer) *Telemetry {
	t.Helper()
	tel, err := New(context.Background(), Config{Service: "test", Output: out, Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel
}

func TestLogLinesCarryIDsAndNoSecrets(t *testing.T) {
	var buf bytes.Buffer
	tel := newTestTelemetry(t, nil, &buf)
	ctx, span := tel.Tracer("test").Start(context.Background(), "op")
	defer span.End()
	ctx = hub.NewContextWithRequestMeta(ctx, hub.RequestMeta{RequestID: "req-1"})
	ctx = hub.NewContextWithPrincipal(ctx, hub.Principal{Kind: hub.PrincipalUser, ID: "u1", TenantID: "tenant-1"})
	tel.Logger.InfoContext(ctx, "called", "password", "hunter2-s3cr3t", "key", hub.Secret("s3cr3t-typed"),
		"creds", hub.Credentials{AccessToken: "at-s3cr3t"}, "prompt_tokens", 42,
		slog.Group("upstream", "authorization", "Bearer s3cr3t", "status", 200))
	line := buf.String()
	if strings.Contains(line, "s3cr3t") {
		t.Fatalf("a secret reached the log: %s", line)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatal(err)
	}
	sc := span.SpanContext()
	for k, want := range map[string]any{"trace_id": sc.TraceID().String(), "span_id": sc.SpanID().String(),
		"request_id": "req-1", "tenant_id": "tenant-1", "prompt_tokens": 42.0} {
		if rec[k] != want {
			t.Errorf("%s = %v, want %v", k, rec[k], want)
		}
	}
	if up := rec["upstream"].(map[string]any); up["status"] != 200.0 || up["authorization"] != hub.Redacted {
		t.Errorf("group = %v", up)
	}
}

func TestExportersSwitchedByStandardVariables(t *testing.T) {
	tests := []struct {
		env          map[string]string
		traces, logs bool
	}{
		{nil, false, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}, true, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://127.0.0.1:1/otlp/v1/logs"}, false, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_TRACES_EXPORTER": "none"}, false, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_SDK_DISABLED": "true"}, false, false},
	}
	for _, tt := range tests {
		tel := newTestTelemetry(t, tt.env, io.Discard)
		if traces, logs := tel.Exporting(); traces != tt.traces || logs != tt.logs {
			t.Errorf("%v: exporting traces %v logs %v, want %v %v", tt.env, traces, logs, tt.traces, tt.logs)
		}
	}
}

// collector is a stand-in OTLP/HTTP receiver that records what arrives.
type collector struct {
	mu    sync.Mutex
	paths map[string]int
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	c.mu.Lock()
	c.paths[r.URL.Path]++
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

func TestSpansAndLogsReachAnOTLPReceiver(t *testing.T) {
	c := &collector{paths: map[string]int{}}
	srv := httptest.NewServer(c)
	defer srv.Close()
	// The OTLP exporters read the process environment themselves.
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	tel, err := New(context.Background(), Config{Service: "test", Output: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	ctx, span := tel.Tracer("test").Start(context.Background(), "op")
	tel.Logger.InfoContext(ctx, "inside a span", "token", "s3cr3t")
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.paths["/v1/traces"] == 0 || c.paths["/v1/logs"] == 0 {
		t.Fatalf("receiver saw %v, want /v1/traces and /v1/logs", c.paths)
	}
}

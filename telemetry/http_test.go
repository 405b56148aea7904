package telemetry_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/bizoshub/bizos/telemetry"
)

func recordSpans(t *testing.T) *tracetest.SpanRecorder {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	t.Cleanup(func() { otel.SetTracerProvider(prevTP); otel.SetTextMapPropagator(prevProp) })
	return rec
}

func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// A client span's traceparent reaches the server, whose span is its child;
// the caller's request keeps its headers; skipped paths make no span.
func TestClientAndServerSpans(t *testing.T) {
	rec := recordSpans(t)
	var seen trace.SpanContext
	srv := httptest.NewServer(telemetry.ServerSpans(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = trace.SpanContextFromContext(r.Context())
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusBadGateway)
		}
	}), "brain", func(r *http.Request) bool { return r.URL.Path == "/healthz" }))
	defer srv.Close()
	client := &http.Client{Transport: telemetry.ClientSpans(nil)}

	ctx, parent := otel.Tracer("test").Start(context.Background(), "caller")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/things?api_key=secret", nil)
	req.Header.Set("X-Test", "1")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	parent.End()
	if req.Header.Get("traceparent") != "" || len(req.Header) != 1 {
		t.Errorf("the caller's request was modified: %v", req.Header)
	}
	spans := rec.Ended()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want server, client and caller", len(spans))
	}
	server, clientSpan := spans[0], spans[1]
	if server.SpanKind() != trace.SpanKindServer || clientSpan.SpanKind() != trace.SpanKindClient {
		t.Fatalf("kinds %v, %v", server.SpanKind(), clientSpan.SpanKind())
	}
	if server.Parent().SpanID() != clientSpan.SpanContext().SpanID() || clientSpan.Parent().SpanID() != parent.SpanContext().SpanID() {
		t.Errorf("server span's parent %v, client span %v; client's parent %v, caller %v",
			server.Parent().SpanID(), clientSpan.SpanContext().SpanID(), clientSpan.Parent().SpanID(), parent.SpanContext().SpanID())
	}
	if seen.SpanID() != server.SpanContext().SpanID() {
		t.Errorf("the handler's context is not in the server span")
	}
	if server.Name() != "brain GET" || attr(server, "url.path") != "/api/v1/things" {
		t.Errorf("server span %q, url.path %q", server.Name(), attr(server, "url.path"))
	}
	if attr(clientSpan, "url.path") != "/api/v1/things" || attr(clientSpan, "http.response.status_code") != "200" {
		t.Errorf("client span attributes %v", clientSpan.Attributes())
	}
	for _, s := range spans {
		for _, kv := range s.Attributes() {
			if v := kv.Value.Emit(); strings.Contains(v, "secret") || strings.Contains(v, "api_key") {
				t.Errorf("span %s records the query: %s=%s", s.Name(), kv.Key, v)
			}
		}
	}

	// a 5xx answer and a failed call are errors; probes have no span
	resp, err = client.Get(srv.URL + "/fail")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = client.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	failing := &http.Client{Transport: telemetry.ClientSpans(roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("connection refused")
	}))}
	if _, err := failing.Get("http://upstream.test/x"); err == nil {
		t.Fatal("the failing transport succeeded")
	}
	spans = rec.Ended()[3:]
	var statuses []codes.Code
	for _, s := range spans {
		statuses = append(statuses, s.Status().Code)
	}
	// /fail: the server's span, then the client's; /healthz: the client's
	// only; the failed call: the client's
	if len(spans) != 4 {
		t.Fatalf("%d spans after the first request, want 4 (no server span for /healthz)", len(spans))
	}
	if spans[1].Status().Code != codes.Error || spans[3].Status().Code != codes.Error || spans[2].Status().Code == codes.Error {
		t.Errorf("statuses %v: want the 502 call and the failed call as errors, the probe not", statuses)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

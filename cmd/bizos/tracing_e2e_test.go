package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace/noop"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracev1 "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/telemetry"
)

// spanSink is an OTLP/HTTP trace receiver that keeps every span it is sent.
type spanSink struct {
	mu    sync.Mutex
	spans []*tracev1.Span
}

func (s *spanSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req coltrace.ExportTraceServiceRequest
	if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			s.spans = append(s.spans, ss.Spans...)
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	_, _ = w.Write(out)
}

// trace returns the spans of one trace.
func (s *spanSink) trace(id string) []*tracev1.Span {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*tracev1.Span
	for _, sp := range s.spans {
		if hex.EncodeToString(sp.TraceId) == id {
			out = append(out, sp)
		}
	}
	return out
}

func spanNames(spans []*tracev1.Span) []string {
	names := make([]string, len(spans))
	for i, sp := range spans {
		names[i] = fmt.Sprintf("%s(%s)", sp.Name, sp.Kind)
	}
	return names
}

// TestTracesCrossEveryHop sends W3C trace context into the hub and reads the
// exported spans back from an OTLP receiver: a playbook run started on brain
// continues the caller's trace through Temporal (workflow and activity) to
// the platform call, and a portal sign-in continues it into authsvc. The log
// lines of the request carry the same trace id.
func TestTracesCrossEveryHop(t *testing.T) {
	sink := &spanSink{}
	receiver := httptest.NewServer(sink)
	defer receiver.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.URL)
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
	tel, err := telemetry.New(t.Context(), telemetry.Config{Service: "test", Output: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		otel.SetTracerProvider(noop.NewTracerProvider())
		_ = tel.Shutdown(t.Context())
	})

	stripeURL := testenv.StripeMock(t)
	overrides := writeOverrides(t, map[string]map[string]string{"stripe": {"api_base_url": stripeURL}})
	s := startStack(t, "-provider-overrides", overrides)
	root, _ := s.login(t, adminEmail, adminPassword)
	a := s.makeTenant(t, root, "traced")
	connID := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "stripe",
		"credentials": map[string]string{"api_key": "sk_test_traced"}}, bearer(a.AdminToken)).field(t, "id")
	pb := call(t, http.MethodPost, s.BrainURL+"/api/v1/playbooks", map[string]any{"name": "Lookup",
		"steps": []map[string]any{{"id": "lookup", "type": "action", "connection_id": connID, "action": "stripe.list_customers",
			"input": map[string]any{"limit": 1}}}}, bearer(a.AdminToken))
	if pb.Status != http.StatusCreated {
		t.Fatalf("playbook: %d %s", pb.Status, pb.Body)
	}

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	run := call(t, http.MethodPost, s.BrainURL+"/api/v1/playbooks/"+pb.field(t, "id")+"/runs", map[string]any{},
		bearer(a.AdminToken), "traceparent: 00-"+traceID+"-00f067aa0ba902b7-01")
	if run.Status != http.StatusCreated {
		t.Fatalf("run: %d %s", run.Status, run.Body)
	}
	want := []string{"POST /api/v1/playbooks/:id/runs", "StartWorkflow:RunPlaybook", "RunWorkflow:RunPlaybook", "RunActivity:"}
	var spans []*tracev1.Span
	deadline := time.Now().Add(30 * time.Second)
	for {
		spans = sink.trace(traceID)
		names := strings.Join(spanNames(spans), " ")
		missing := ""
		for _, w := range want {
			if !strings.Contains(names, w) {
				missing = w
			}
		}
		upstream := false
		for _, sp := range spans {
			attrs := map[string]string{}
			for _, kv := range sp.Attributes {
				attrs[kv.Key] = kv.Value.GetStringValue()
			}
			if sp.Kind == tracev1.Span_SPAN_KIND_CLIENT && "http://"+attrs["server.address"] == stripeURL && strings.HasPrefix(attrs["url.path"], "/v1/customers") {
				upstream = true // the platform call, made by the activity
			}
		}
		if missing == "" && upstream {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace lacks %q (upstream call seen: %v); spans: %v", missing, upstream, spanNames(spans))
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("spans of the run: %v", spanNames(spans))

	// Every span of the run descends from the caller's span.
	byID := map[string]*tracev1.Span{}
	for _, sp := range spans {
		byID[hex.EncodeToString(sp.SpanId)] = sp
	}
	for _, sp := range spans {
		p := sp
		for hex.EncodeToString(p.ParentSpanId) != "00f067aa0ba902b7" {
			parent, ok := byID[hex.EncodeToString(p.ParentSpanId)]
			if !ok {
				t.Fatalf("span %s does not descend from the caller's span", sp.Name)
			}
			p = parent
		}
	}
	if !strings.Contains(s.logs.String(), `"trace_id":"`+traceID+`"`) {
		t.Error("the request's log lines do not carry its trace id")
	}

	const loginTrace = "0af7651916cd43dd8448eb211c80319c"
	req, _ := http.NewRequest(http.MethodPost, s.PortalURL+"/session/login",
		strings.NewReader(`{"email":"`+adminEmail+`","password":"`+adminPassword+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-"+loginTrace+"-b7ad6b7169203331-01")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	deadline = time.Now().Add(15 * time.Second)
	for !strings.Contains(strings.Join(spanNames(sink.trace(loginTrace)), " "), "POST /auth/login(SPAN_KIND_SERVER)") {
		if time.Now().After(deadline) {
			t.Fatalf("the portal sign-in did not reach authsvc in the same trace: %v", spanNames(sink.trace(loginTrace)))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

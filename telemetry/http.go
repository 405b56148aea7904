package telemetry

import (
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// instrumentation is the instrumentation scope of the HTTP spans.
const instrumentation = "github.com/bizoshub/bizos/telemetry"

// ServerSpans wraps next so every request runs in a server span that
// continues the caller's W3C trace context (the global propagator), named
// "<service> <method>" until the router names it by route (httpapi.Observe
// does, and records the route, status and tenant). Requests for which skip
// reports true (probes, scrapes) get no span.
//
// It replaces otelhttp's handler, which also computes a dozen semantic-
// convention attributes and records its own HTTP metrics on every request;
// the hub has Prometheus metrics of its own, and on the proxy benchmark
// that work cost more than the spans themselves. The response writer is
// passed through untouched, so streaming, flushing and hijacking work as
// without it.
func ServerSpans(next http.Handler, service string, skip func(*http.Request) bool) http.Handler {
	return &serverSpans{next: next, service: service, skip: skip, tracer: otel.Tracer(instrumentation)}
}

type serverSpans struct {
	next    http.Handler
	service string
	skip    func(*http.Request) bool
	tracer  trace.Tracer
}

func (s *serverSpans) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.skip != nil && s.skip(r) {
		s.next.ServeHTTP(w, r)
		return
	}
	ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := s.tracer.Start(ctx, s.service+" "+r.Method, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path)))
	defer span.End()
	s.next.ServeHTTP(w, r.WithContext(ctx))
}

// ClientSpans wraps base (http.DefaultTransport when nil) so every call runs
// in a client span, child of the caller's span, and carries the trace
// context to the server in traceparent (and baggage) headers. The span
// records the method, host, path (never the query, which may hold keys) and
// status, is an error for 5xx answers and failed calls, and ends when the
// answer's headers arrive. The caller's request is not modified.
func ClientSpans(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &clientSpans{base: base, tracer: otel.Tracer(instrumentation)}
}

type clientSpans struct {
	base   http.RoundTripper
	tracer trace.Tracer
}

func (c *clientSpans) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx, span := c.tracer.Start(r.Context(), "HTTP "+r.Method, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("http.request.method", r.Method),
			attribute.String("server.address", r.URL.Host), attribute.String("url.path", r.URL.Path)))
	defer span.End()
	out := r.WithContext(ctx)
	out.Header = r.Header.Clone()
	if out.Header == nil {
		out.Header = http.Header{}
	}
	otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(out.Header))
	resp, err := c.base.RoundTrip(out)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return resp, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode >= http.StatusInternalServerError {
		span.SetStatus(codes.Error, http.StatusText(resp.StatusCode))
	}
	return resp, nil
}

package telemetry_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/bizoshub/bizos/telemetry"
)

type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }

type okTransport struct{}

func (okTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
}

// BenchmarkSpans is one proxied request's tracing work: a server span
// around a handler that makes one client call, without a provider, with
// spans that are made but not recorded, and with spans recorded and
// batched to an exporter that drops them.
func BenchmarkSpans(b *testing.B) {
	for _, tc := range []struct {
		name string
		tp   trace.TracerProvider
	}{
		{"noop", noop.NewTracerProvider()},
		{"ids-only", sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))},
		{"recorded", sdktrace.NewTracerProvider(sdktrace.WithBatcher(discardExporter{}))},
	} {
		b.Run(tc.name, func(b *testing.B) {
			prev := otel.GetTracerProvider()
			otel.SetTracerProvider(tc.tp)
			defer otel.SetTracerProvider(prev)
			client := &http.Client{Transport: telemetry.ClientSpans(okTransport{})}
			h := telemetry.ServerSpans(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, "http://upstream.test/v1/customers", nil)
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
			}), "brain", nil)
			req := httptest.NewRequest(http.MethodGet, "/api/v1/connections/c/proxy/v1/customers", nil)
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(discardWriter{}, req)
			}
		})
	}
}

type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) Write(p []byte) (int, error) { return io.Discard.Write(p) }
func (discardWriter) WriteHeader(int)             {}

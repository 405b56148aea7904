// Package telemetry sets up what a process tells operators: its structured
// logger (JSON lines carrying trace, span, request and tenant ids, secrets
// redacted) and its OpenTelemetry traces and logs, exported over OTLP when
// the standard OTEL_EXPORTER_OTLP_* variables say where to.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"
)

// Config says how a process logs and traces.
type Config struct {
	// Service names the process ("brain", "worker", "dev"...); the
	// OpenTelemetry service name is "bizos-<Service>" unless OTEL_SERVICE_NAME says otherwise.
	Service string
	// Version is the build's version, recorded on the resource.
	Version string
	// Level is the lowest level logged.
	Level slog.Level
	// Format is "json" (default) or "text".
	Format string
	// Output receives the log lines (os.Stderr when nil).
	Output io.Writer
	// Getenv reads the OTEL_* variables (os.Getenv when nil).
	Getenv func(string) string
}

// Telemetry is a process's logger and tracer provider.
type Telemetry struct {
	// Logger writes JSON (or text) lines and, when configured, OTLP log records.
	Logger *slog.Logger
	// TracerProvider makes spans; they are exported only when configured.
	TracerProvider trace.TracerProvider
	// Propagator carries W3C trace context and baggage across calls.
	Propagator propagation.TextMapPropagator

	exportTraces, exportLogs bool
	shutdown                 []func(context.Context) error
}

// New builds the process's telemetry and installs its tracer provider and
// propagator as the OpenTelemetry globals.
//
// Spans are always made, so log lines carry trace ids. When traces are
// exported they are sampled by the SDK's OTEL_TRACES_SAMPLER rules
// (parent-based, always on by default); when they are not, and no sampler
// is set, they carry ids but record nothing (and leave the W3C sampled flag
// off downstream).
// They are exported over OTLP/HTTP when OTEL_TRACES_EXPORTER is "otlp", or
// is unset while OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set; logs likewise with
// OTEL_LOGS_EXPORTER and OTEL_EXPORTER_OTLP_LOGS_ENDPOINT (Loki 3 ingests
// them at /otlp/v1/logs). OTEL_SDK_DISABLED=true turns all of it off.
func New(ctx context.Context, cfg Config) (*Telemetry, error) {
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	if cfg.Output == nil {
		cfg.Output = os.Stderr
	}
	t := &Telemetry{Propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})}
	disabled := strings.EqualFold(cfg.Getenv("OTEL_SDK_DISABLED"), "true")
	t.exportTraces = !disabled && exporterOn(cfg.Getenv, "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	t.exportLogs = !disabled && exporterOn(cfg.Getenv, "OTEL_LOGS_EXPORTER", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT")

	res, err := newResource(ctx, cfg)
	if err != nil {
		return nil, err
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if t.exportTraces {
		exp, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("telemetry: trace exporter: %w", err)
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
	} else if os.Getenv("OTEL_TRACES_SAMPLER") == "" {
		// Nothing would receive the spans: make them with ids only (log
		// lines and outgoing traceparent headers still carry the trace) and
		// record nothing. Recording spans that are then dropped cost about
		// a tenth of the proxy's throughput.
		opts = append(opts, sdktrace.WithSampler(sdktrace.NeverSample()))
	}
	if disabled {
		t.TracerProvider = trace.NewNoopTracerProvider()
	} else {
		tp := sdktrace.NewTracerProvider(opts...)
		t.TracerProvider = tp
		t.shutdown = append(t.shutdown, tp.Shutdown)
	}
	otel.SetTracerProvider(t.TracerProvider)
	otel.SetTextMapPropagator(t.Propagator)

	var sinks []slog.Handler
	hopts := &slog.HandlerOptions{Level: cfg.Level}
	if cfg.Format == "text" {
		sinks = append(sinks, slog.NewTextHandler(cfg.Output, hopts))
	} else {
		sinks = append(sinks, slog.NewJSONHandler(cfg.Output, hopts))
	}
	if t.exportLogs {
		exp, err := otlploghttp.New(ctx)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("telemetry: log exporter: %w", err), t.Shutdown(ctx))
		}
		lp := sdklog.NewLoggerProvider(sdklog.WithResource(res), sdklog.WithProcessor(sdklog.NewBatchProcessor(exp)))
		t.shutdown = append(t.shutdown, lp.Shutdown)
		sinks = append(sinks, levelFilter{Handler: otelslog.NewHandler("github.com/bizoshub/bizos", otelslog.WithLoggerProvider(lp)), level: cfg.Level})
	}
	t.Logger = slog.New(NewHandler(sinks...))
	return t, nil
}

// Exporting says which signals leave the process over OTLP.
func (t *Telemetry) Exporting() (traces, logs bool) { return t.exportTraces, t.exportLogs }

// Shutdown flushes and stops the exporters.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	for i := len(t.shutdown) - 1; i >= 0; i-- {
		if err := t.shutdown[i](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	t.shutdown = nil
	return errors.Join(errs...)
}

// Tracer returns a named tracer of the process.
func (t *Telemetry) Tracer(name string) trace.Tracer { return t.TracerProvider.Tracer(name) }

func exporterOn(getenv func(string) string, selector, signalEndpoint string) bool {
	switch strings.ToLower(strings.TrimSpace(getenv(selector))) {
	case "none":
		return false
	case "otlp":
		return true
	case "":
		return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv(signalEndpoint) != ""
	default:
		return false
	}
}

func newResource(ctx context.Context, cfg Config) (*resource.Resource, error) {
	name := cfg.Getenv("OTEL_SERVICE_NAME")
	if name == "" {
		name = "bizos-" + cfg.Service
	}
	attrs := resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName(name), semconv.ServiceVersion(cfg.Version))
	env, err := resource.New(ctx, resource.WithFromEnv(), resource.WithProcessPID(), resource.WithHost())
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	res, err := resource.Merge(env, attrs)
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	return res, nil
}

// levelFilter keeps records below the process's level out of a sink that
// does not filter by itself.
type levelFilter struct {
	slog.Handler
	level slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.level && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) WithAttrs(as []slog.Attr) slog.Handler {
	return levelFilter{Handler: f.Handler.WithAttrs(as), level: f.level}
}

func (f levelFilter) WithGroup(name string) slog.Handler {
	return levelFilter{Handler: f.Handler.WithGroup(name), level: f.level}
}

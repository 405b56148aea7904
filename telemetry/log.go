package telemetry

import (
	"context"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel/trace"

	hub "github.com/bizoshub/bizos"
)

// Handler is the process's slog handler. On every record it adds the trace
// and span ids of the context's span and the request and tenant ids the
// context carries, redacts secrets, and hands the record to each sink (the
// JSON writer, and the OTLP bridge when logs are exported).
//
// Secrets are redacted by type first: hub.Secret, hub.Credentials and the
// other secret-holding types log as "[REDACTED]" or their shape only
// (slog.LogValuer). As a second line, an attribute whose key names a
// credential (password, secret, token, authorization, api key, cookie) is
// redacted whatever its type.
type Handler struct {
	sinks []slog.Handler
}

// NewHandler returns a Handler writing to sinks.
func NewHandler(sinks ...slog.Handler) *Handler { return &Handler{sinks: sinks} }

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool {
	for _, s := range h.sinks {
		if s.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	var present contextKeys
	r.Attrs(func(a slog.Attr) bool {
		present.see(a.Key)
		out.AddAttrs(Redact(a))
		return true
	})
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		if !present.has(keyTraceID) {
			out.AddAttrs(slog.String("trace_id", sc.TraceID().String()))
		}
		if !present.has(keySpanID) {
			out.AddAttrs(slog.String("span_id", sc.SpanID().String()))
		}
	}
	if m := hub.RequestMetaFromContext(ctx); m.RequestID != "" && !present.has(keyRequestID) {
		out.AddAttrs(slog.String("request_id", m.RequestID))
	}
	if p, ok := hub.PrincipalFromContext(ctx); ok && p.TenantID != "" && !present.has(keyTenantID) {
		out.AddAttrs(slog.String("tenant_id", p.TenantID))
	}
	var first error
	for i, s := range h.sinks {
		if !s.Enabled(ctx, r.Level) {
			continue
		}
		rec := out
		if i < len(h.sinks)-1 {
			rec = out.Clone() // a sink may keep the record; the last one gets the original
		}
		if err := s.Handle(ctx, rec); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// contextKeys records which of the attributes Handle adds from the
// context a record already has.
type contextKeys uint8

const (
	keyTraceID contextKeys = 1 << iota
	keySpanID
	keyRequestID
	keyTenantID
)

func (k *contextKeys) see(key string) {
	switch key {
	case "trace_id":
		*k |= keyTraceID
	case "span_id":
		*k |= keySpanID
	case "request_id":
		*k |= keyRequestID
	case "tenant_id":
		*k |= keyTenantID
	}
}

func (k contextKeys) has(key contextKeys) bool { return k&key != 0 }

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = Redact(a)
	}
	next := &Handler{sinks: make([]slog.Handler, len(h.sinks))}
	for i, s := range h.sinks {
		next.sinks[i] = s.WithAttrs(red)
	}
	return next
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	next := &Handler{sinks: make([]slog.Handler, len(h.sinks))}
	for i, s := range h.sinks {
		next.sinks[i] = s.WithGroup(name)
	}
	return next
}

var secretKeyParts = []string{"password", "secret", "token", "authorization", "api_key", "apikey", "cookie", "credential"}

// Redact resolves a's value (so slog.LogValuer types show what they choose
// to) and blanks it when its key names a credential, in groups too.
func Redact(a slog.Attr) slog.Attr {
	a.Value = a.Value.Resolve()
	switch a.Value.Kind() {
	case slog.KindString, slog.KindAny:
		// Numbers, booleans and times (token counts, "has a key") are never secrets.
		if secretKey(a.Key) {
			return slog.String(a.Key, hub.Redacted)
		}
	}
	if a.Value.Kind() == slog.KindGroup {
		group := a.Value.Group()
		red := make([]any, len(group))
		for i, g := range group {
			red[i] = Redact(g)
		}
		return slog.Group(a.Key, red...)
	}
	return a
}

func secretKey(key string) bool {
	k := strings.ToLower(key)
	for _, p := range secretKeyParts {
		if strings.Contains(k, p) {
			return true
		}
	}
	return false
}

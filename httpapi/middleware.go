package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	hub "github.com/bizoshub/bizos"
)

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// RequestID gives every request an id: the caller's X-Request-Id when it is
// well formed, a random one otherwise. It is echoed in the response header.
func RequestID() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			id := c.Request().Header.Get(echo.HeaderXRequestID)
			if !validRequestID.MatchString(id) {
				b := make([]byte, 12)
				_, _ = rand.Read(b)
				id = hex.EncodeToString(b)
			}
			c.Response().Header().Set(echo.HeaderXRequestID, id)
			ctx := hub.NewContextWithRequestMeta(c.Request().Context(), hub.RequestMeta{RequestID: id, IP: c.RealIP()})
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
}

// Recover turns a panic in a handler into an internal error, logged with its stack.
func Recover(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if r := recover(); r != nil {
					log.ErrorContext(c.Request().Context(), "handler panic", "panic", fmt.Sprint(r), "stack", string(debug.Stack()),
						"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
					err = hub.Errorf(hub.EINTERNAL, "An internal error has occurred.")
				}
			}()
			return next(c)
		}
	}
}

// Metrics are the RED metrics of one HTTP service.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
}

// NewMetrics registers the HTTP metrics of service on reg.
func NewMetrics(reg prometheus.Registerer, service string) (*Metrics, error) {
	labels := prometheus.Labels{"service": service}
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bizos_http_requests_total",
			Help: "HTTP requests served, by route, method and status.", ConstLabels: labels}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "bizos_http_request_duration_seconds",
			Help: "HTTP request latency by route and method.", ConstLabels: labels,
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"route", "method"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bizos_http_request_errors_total",
			Help: "HTTP requests that failed, by route and error code.", ConstLabels: labels}, []string{"route", "code"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.errors} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("httpapi: register metrics: %w", err)
		}
	}
	return m, nil
}

// Observe records requests in m and logs one line per request. Query strings
// are never logged: they can carry OAuth codes and tokens.
func Observe(m *Metrics, log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err) // render now so the status below is final
			}
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			status := c.Response().Status
			elapsed := time.Since(start)
			req := c.Request()
			if span := trace.SpanFromContext(req.Context()); span.IsRecording() {
				span.SetName(req.Method + " " + route)
				span.SetAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", status))
				if p, ok := hub.PrincipalFromContext(req.Context()); ok && p.TenantID != "" {
					span.SetAttributes(attribute.String("bizos.tenant_id", p.TenantID))
				}
				if status >= http.StatusInternalServerError {
					span.SetStatus(codes.Error, http.StatusText(status))
				}
			}
			m.requests.WithLabelValues(route, req.Method, strconv.Itoa(status)).Inc()
			m.duration.WithLabelValues(route, req.Method).Observe(elapsed.Seconds())
			code, _ := c.Get(ctxErrorCode).(string)
			if code != "" {
				m.errors.WithLabelValues(route, code).Inc()
			}
			attrs := []any{"method", req.Method, "route", route, "path", req.URL.Path, "status", status,
				"duration_ms", float64(elapsed.Microseconds()) / 1000, "request_id", c.Response().Header().Get(echo.HeaderXRequestID),
				"remote_ip", c.RealIP()}
			if p, ok := hub.PrincipalFromContext(req.Context()); ok {
				attrs = append(attrs, "principal", p.Subject(), "tenant_id", p.TenantID)
			}
			if code != "" {
				attrs = append(attrs, "code", code)
			}
			level := slog.LevelInfo
			if status >= http.StatusInternalServerError {
				level = slog.LevelError
			}
			log.Log(req.Context(), level, "request", attrs...)
			return nil
		}
	}
}

package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check reports whether one dependency is usable.
type Check func(ctx context.Context) error

// ServerConfig configures a service's echo instance.
type ServerConfig struct {
	Service  string
	Log      *slog.Logger
	Registry *prometheus.Registry
}

// NewEcho returns an echo instance with the hub's error mapper, request ids,
// panic recovery, access logs and metrics.
func NewEcho(cfg ServerConfig) (*echo.Echo, error) {
	m, err := NewMetrics(cfg.Registry, cfg.Service)
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = ErrorHandler(cfg.Log)
	e.Use(RequestID(), Observe(m, cfg.Log), Recover(cfg.Log))
	return e, nil
}

// Health is the body of /healthz.
type Health struct {
	Status  string `json:"status"`
	Service string `json:"service"`
}

// OpsRoutes returns the operational routes every service serves: /healthz
// (the process is up), /readyz (its dependencies answer) and /metrics.
func OpsRoutes(service string, reg *prometheus.Registry, ready map[string]Check) []Route {
	metrics := echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	return []Route{
		{Method: http.MethodGet, Path: "/healthz", Summary: "Liveness", Tag: "ops", Public: true, Response: Health{},
			Handler: func(c echo.Context) error { return c.JSON(http.StatusOK, Health{Status: "ok", Service: service}) }},
		{Method: http.MethodGet, Path: "/readyz", Summary: "Readiness: every dependency answers", Tag: "ops", Public: true,
			Response: ReadyReport{}, Handler: readyHandler(ready)},
		{Method: http.MethodGet, Path: "/metrics", Summary: "Prometheus metrics", Tag: "ops", Public: true, Handler: metrics},
	}
}

// ReadyReport is the body of /readyz.
type ReadyReport struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func readyHandler(checks map[string]Check) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
		defer cancel()
		report := ReadyReport{Status: "ok", Checks: map[string]string{}}
		var mu sync.Mutex
		var wg sync.WaitGroup
		names := make([]string, 0, len(checks))
		for n := range checks {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, name := range names {
			wg.Add(1)
			go func(name string, check Check) {
				defer wg.Done()
				res := "ok"
				if err := check(ctx); err != nil {
					res = "unavailable"
				}
				mu.Lock()
				report.Checks[name] = res
				if res != "ok" {
					report.Status = "unavailable"
				}
				mu.Unlock()
			}(name, checks[name])
		}
		wg.Wait()
		status := http.StatusOK
		if report.Status != "ok" {
			status = http.StatusServiceUnavailable
		}
		return c.JSON(status, report)
	}
}

package connectors

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	hub "github.com/bizoshub/bizos"
)

// Upstream call codes other than an HTTP status.
const (
	// UpstreamCodeError labels a call that got no answer (refused, reset, DNS).
	UpstreamCodeError = "error"
	// UpstreamCodeTimeout labels a call whose deadline passed before the answer.
	UpstreamCodeTimeout = "timeout"
	// UpstreamCodeCanceled labels a call the hub's caller gave up on (a proxy
	// client that went away); it says nothing about the platform.
	UpstreamCodeCanceled = "canceled"
)

var (
	upstreamRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bizos_upstream_requests_total",
		Help: "Calls to connected platforms' APIs, by provider and code (the HTTP status, or error, timeout, canceled).",
	}, []string{"provider", "code"})
	upstreamDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "bizos_upstream_request_duration_seconds",
		Help:    "Time from sending a call to a connected platform's API to its answer's headers, by provider.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"provider"})
)

// instrumented records every round trip of one provider's calls in the
// upstream metrics.
type instrumented struct {
	provider string
	next     http.RoundTripper
}

// RoundTrip implements http.RoundTripper. Calls refused before they leave
// (the egress guard's *hub.Error) are not platform calls and are not counted.
func (t *instrumented) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	elapsed := time.Since(start)
	var code string
	switch {
	case err == nil:
		code = strconv.Itoa(resp.StatusCode)
	case errors.As(err, new(*hub.Error)):
		return resp, err
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(req.Context().Err(), context.DeadlineExceeded):
		code = UpstreamCodeTimeout
	case errors.Is(err, context.Canceled) || req.Context().Err() != nil:
		code = UpstreamCodeCanceled
	default:
		code = UpstreamCodeError
	}
	upstreamRequests.WithLabelValues(t.provider, code).Inc()
	if code != UpstreamCodeCanceled {
		upstreamDuration.WithLabelValues(t.provider).Observe(elapsed.Seconds())
	}
	return resp, err
}

// instrument returns a client like c whose calls count as provider's in the
// upstream metrics.
func instrument(c *http.Client, provider string) *http.Client {
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	return &http.Client{Transport: &instrumented{provider: provider, next: next},
		CheckRedirect: c.CheckRedirect, Jar: c.Jar, Timeout: c.Timeout}
}

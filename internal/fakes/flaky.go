package fakes

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Flaky is a fake upstream whose behaviour is switched at run time, for the
// proxy's fault tests. Every path and method is answered according to the
// current mode:
//
//   - "ok": 200 {"ok":true,"path":...} (the default);
//   - "hang": never answers, until the client gives up (or the test ends);
//   - "500": 500 {"error":"internal server error"};
//   - "close": hijacks the connection and closes it without answering;
//   - "429": 429 with Retry-After: 1 and {"error":"rate limited"}.
type Flaky struct {
	// URL is the server root.
	URL string

	mu       sync.Mutex
	mode     string
	requests int
	quit     chan struct{}
}

// flakyModes are the modes SetMode accepts.
var flakyModes = map[string]bool{"ok": true, "hang": true, "500": true, "close": true, "429": true}

// NewFlaky starts a Flaky fake in mode "ok", closed on t.Cleanup (hanging
// requests are released first).
func NewFlaky(t testing.TB) *Flaky {
	t.Helper()
	f := &Flaky{mode: "ok", quit: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		close(f.quit)
		srv.CloseClientConnections()
		srv.Close()
	})
	f.URL = srv.URL
	return f
}

// SetMode switches the behaviour: "ok", "hang", "500", "close" or "429". It
// panics on any other mode.
func (f *Flaky) SetMode(mode string) {
	if !flakyModes[mode] {
		panic(fmt.Sprintf("fakes: unknown Flaky mode %q", mode))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mode = mode
}

// Mode returns the current mode.
func (f *Flaky) Mode() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mode
}

// Requests returns the number of requests received, whatever their outcome.
func (f *Flaky) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

func (f *Flaky) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	mode := f.mode
	f.mu.Unlock()
	switch mode {
	case "hang":
		select {
		case <-r.Context().Done():
		case <-f.quit:
		}
	case "500":
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": "internal server error"})
	case "close":
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic(http.ErrAbortHandler)
		}
		conn, _, err := hj.Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		_ = conn.Close()
	case "429":
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": "rate limited"})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "method": r.Method, "path": r.URL.Path})
	}
}

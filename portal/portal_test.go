package portal

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestAppHandler(t *testing.T) {
	files := fstest.MapFS{
		"index.html":          {Data: []byte("<!doctype html><title>BizOS Hub</title>")},
		"assets/index-abc.js": {Data: []byte("console.log(1)")},
	}
	h := newAppHandler(files)
	tests := []struct {
		path, method string
		status       int
		body, cache  string
	}{
		{"/", http.MethodGet, 200, "<title>BizOS Hub", "no-cache"},
		{"/dashboard/connectors/stripe", http.MethodGet, 200, "<title>BizOS Hub", "no-cache"},
		{"/assets/index-abc.js", http.MethodGet, 200, "console.log", "public, max-age=31536000, immutable"},
		{"/assets/missing.js", http.MethodGet, 404, "", ""},
		{"/favicon.ico", http.MethodGet, 404, "", ""},
		{"/dashboard", http.MethodPost, 405, "GET only", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
			if !strings.Contains(rec.Body.String(), tt.body) {
				t.Errorf("body = %q, want it to contain %q", rec.Body.String(), tt.body)
			}
			if got := rec.Header().Get("Cache-Control"); tt.cache != "" && got != tt.cache {
				t.Errorf("Cache-Control = %q, want %q", got, tt.cache)
			}
			if tt.status == 200 && !strings.Contains(rec.Header().Get("Content-Security-Policy"), "default-src 'self'") {
				t.Errorf("no content security policy")
			}
		})
	}
}

func TestNotBuiltPageSaysHowToBuild(t *testing.T) {
	h := newAppHandler(fstest.MapFS{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dashboard/connectors", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "make portal build") {
		t.Fatalf("got %d %q", rec.Code, rec.Body.String())
	}
}

func TestSessionCallsRefuseCrossSiteAndNonJSON(t *testing.T) {
	h := &sessionHandler{authURL: "http://127.0.0.1:1", client: http.DefaultClient}
	tests := []struct {
		name, method, ctype, origin string
		status                      int
	}{
		{"GET", http.MethodGet, "application/json", "", 405},
		{"form post", http.MethodPost, "application/x-www-form-urlencoded", "", 415},
		{"other site", http.MethodPost, "application/json", "https://evil.example", 403},
		{"no cookie", http.MethodPost, "application/json", "http://portal.test", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "http://portal.test/session/refresh", strings.NewReader(`{}`))
			req.Header.Set("Content-Type", tt.ctype)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/problem+json") {
				t.Fatalf("got %d %s %q, want %d problem", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String(), tt.status)
			}
		})
	}
}

// /healthz answers while the process runs; /readyz fails once it begins to
// stop, whatever the back ends do.
func TestProbes(t *testing.T) {
	var stopping bool
	h, err := New(Config{BrainURL: "http://127.0.0.1:1", AuthURL: "http://127.0.0.1:1",
		Ready: func(context.Context) error {
			if stopping {
				return errors.New("shutting down")
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	if r := get("/healthz"); r.Code != 200 || r.Body.String() != "ok\n" {
		t.Errorf("/healthz: %d %q", r.Code, r.Body.String())
	}
	if r := get("/readyz"); r.Code != 200 {
		t.Errorf("/readyz with unreachable back ends: %d %q", r.Code, r.Body.String())
	}
	stopping = true
	if r := get("/readyz"); r.Code != 503 || !strings.Contains(r.Body.String(), "shutting down") || r.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("/readyz while stopping: %d %q", r.Code, r.Body.String())
	}
	if r := get("/healthz"); r.Code != 200 {
		t.Errorf("/healthz while stopping: %d", r.Code)
	}
}

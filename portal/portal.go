// Package portal serves the web app: its static files, embedded in the
// binary, and a reverse proxy that sends /api to brain and /auth (with the
// JWKS and tenant administration) to authsvc.
package portal

import (
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
)

//go:embed static
var static embed.FS

// Config says where the portal's back ends are.
type Config struct {
	BrainURL string
	AuthURL  string
	Log      *slog.Logger
}

// New returns the portal's handler.
func New(cfg Config) (http.Handler, error) {
	brain, err := proxy(cfg.BrainURL, cfg.Log)
	if err != nil {
		return nil, err
	}
	auth, err := proxy(cfg.AuthURL, cfg.Log)
	if err != nil {
		return nil, err
	}
	files, err := fs.Sub(static, "static")
	if err != nil {
		return nil, fmt.Errorf("portal: static files: %w", err)
	}
	fileServer := http.FileServerFS(files)
	mux := http.NewServeMux()
	mux.Handle("/api/", brain)
	mux.Handle("/hooks/", brain)
	mux.Handle("/auth/", auth)
	mux.Handle("/tenants", auth)
	mux.Handle("/tenants/", auth)
	mux.Handle("/.well-known/", auth)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'")
		fileServer.ServeHTTP(w, r)
	})
	return mux, nil
}

func proxy(raw string, log *slog.Logger) (http.Handler, error) {
	u, err := url.Parse(strings.TrimSuffix(raw, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("portal: bad back-end URL %q", raw)
	}
	p := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.SetXForwarded()
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			log.Warn("portal proxy failed", "backend", u.Host, "path", r.URL.Path, "err", err)
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, `{"type":"about:blank","title":"Bad Gateway","status":502,"code":"unavailable","detail":"The %s service is not reachable."}`, u.Host)
		},
	}
	return p, nil
}

// Package portal serves the web app: the production build of the React
// portal embedded in the binary, its browser session (the refresh token in
// an HttpOnly cookie), and a reverse proxy that sends /api and /hooks to
// brain and /auth, /tenants and the JWKS to authsvc.
package portal

import (
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path"
	"strings"

	"github.com/bizoshub/bizos/telemetry"
)

// dist holds the Vite build in dist/app (see package.json); dist/.gitkeep
// keeps the directory in a fresh checkout so the binary builds without it.
//
//go:embed all:dist
var dist embed.FS

// Config says where the portal's back ends are.
type Config struct {
	BrainURL string
	AuthURL  string
	Log      *slog.Logger
	// Ready, when set, is the readiness check of GET /readyz (the process
	// fails it once it begins to stop); the back ends are not part of it,
	// so a slow brain does not take the portal out of rotation.
	Ready func(context.Context) error
}

// New returns the portal's handler.
func New(cfg Config) (http.Handler, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	_, brain, err := proxy(cfg.BrainURL, cfg.Log)
	if err != nil {
		return nil, err
	}
	authURL, auth, err := proxy(cfg.AuthURL, cfg.Log)
	if err != nil {
		return nil, err
	}
	app, err := fs.Sub(dist, "dist/app")
	if err != nil {
		return nil, fmt.Errorf("portal: embedded build: %w", err)
	}
	sessions := &sessionHandler{authURL: authURL.String(), client: &http.Client{Timeout: sessionCallTimeout, Transport: telemetry.ClientSpans(http.DefaultTransport)}, log: cfg.Log}
	mux := http.NewServeMux()
	mux.Handle("/api/", brain)
	mux.Handle("/hooks/", brain)
	mux.Handle("/auth/", auth)
	mux.Handle("/tenants", auth)
	mux.Handle("/tenants/", auth)
	mux.Handle("/.well-known/", auth)
	mux.Handle("/session/", sessions)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if cfg.Ready != nil {
			if err := cfg.Ready(r.Context()); err != nil {
				writeProblem(w, http.StatusServiceUnavailable, "not_ready", "serving: "+err.Error())
				return
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.Handle("/", newAppHandler(app))
	return mux, nil
}

// Built reports whether the binary carries a portal build.
func Built() bool {
	_, err := fs.Stat(dist, "dist/app/index.html")
	return err == nil
}

func proxy(raw string, log *slog.Logger) (*url.URL, http.Handler, error) {
	u, err := url.Parse(strings.TrimSuffix(raw, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, nil, fmt.Errorf("portal: bad back-end URL %q", raw)
	}
	p := &httputil.ReverseProxy{
		Transport: telemetry.ClientSpans(http.DefaultTransport),
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.SetXForwarded()
		},
		// Server-sent events (agent runs) must reach the browser as they come.
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			log.Warn("portal proxy failed", "backend", u.Host, "path", r.URL.Path, "err", err)
			writeProblem(w, http.StatusBadGateway, "unavailable", fmt.Sprintf("The %s service is not reachable.", u.Host))
		},
	}
	return u, p, nil
}

func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"type":"about:blank","title":%q,"status":%d,"code":%q,"detail":%q}`, http.StatusText(status), status, code, detail)
}

// appHandler serves the single-page app: hashed assets for a year, and
// index.html (no-cache) for every other path so client routes load.
type appHandler struct {
	files fs.FS
	index []byte
	fsrv  http.Handler
}

func newAppHandler(files fs.FS) http.Handler {
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		return http.HandlerFunc(notBuilt)
	}
	return &appHandler{files: files, index: index, fsrv: http.FileServerFS(files)}
}

const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

func securityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
}

func (a *appHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeProblem(w, http.StatusMethodNotAllowed, "invalid", "The portal serves pages with GET only.")
		return
	}
	securityHeaders(w.Header())
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
	if name != "" && name != "index.html" {
		if st, err := fs.Stat(a.files, name); err == nil && !st.IsDir() {
			if strings.HasPrefix(name, "assets/") {
				w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			}
			a.fsrv.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(name, "assets/") || path.Ext(name) != "" {
			http.NotFound(w, r)
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(a.index)
}

// notBuilt answers every page when the binary was built without the portal.
func notBuilt(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprint(w, notBuiltPage)
}

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>BizOS Hub: portal not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5}code{background:#eef;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>BizOS Hub</h1>
<p>This <code>bizos</code> binary was built without the web portal.
The API works (<code>/api/v1</code>, <code>/auth</code>); to get the portal, build it and then the binary:</p>
<pre><code>make portal build</code></pre>
<p>(<code>make run</code> does both.) The portal's sources are in <code>portal/</code>; its build goes to <code>portal/dist/app</code>, which is embedded.</p>
</body></html>`

package portal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The browser session: authsvc issues an access token and a refresh token;
// the portal keeps the refresh token in an HttpOnly, SameSite=Strict cookie
// scoped to /session, so page scripts only ever hold the short-lived access
// token (in memory) and an injected script cannot steal the session.

const (
	sessionCookie      = "bizos_session"
	sessionCookieAge   = 30 * 24 * time.Hour // authsvc's refresh-token lifetime decides validity
	sessionCallTimeout = 15 * time.Second
	maxSessionBody     = 16 << 10
)

// sessionHandler serves POST /session/login, /session/refresh and /session/logout.
type sessionHandler struct {
	authURL string
	client  *http.Client
	log     *slog.Logger
}

// tokenPair is authsvc's answer to a login or refresh.
type tokenPair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

// accessAnswer is what the browser gets: never the refresh token.
type accessAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

func (h *sessionHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodPost {
		writeProblem(w, http.StatusMethodNotAllowed, "invalid", "Session calls are POST requests.")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeProblem(w, http.StatusUnsupportedMediaType, "invalid", "Send the session call as application/json.")
		return
	}
	if origin := r.Header.Get("Origin"); origin != "" && !sameOrigin(origin, r) {
		writeProblem(w, http.StatusForbidden, "forbidden", "Session calls must come from the portal's own pages.")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSessionBody+1))
	if err != nil || len(body) > maxSessionBody {
		writeProblem(w, http.StatusBadRequest, "invalid", "The request body is unreadable or too large.")
		return
	}
	fields := map[string]any{}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &fields); err != nil {
			writeProblem(w, http.StatusBadRequest, "invalid", "The request body is not a JSON object.")
			return
		}
	}
	delete(fields, "refresh_token") // only the cookie carries it
	switch r.URL.Path {
	case "/session/login":
		h.exchange(w, r, "/auth/login", fields)
	case "/session/refresh":
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" {
			writeProblem(w, http.StatusUnauthorized, "unauthorized", "There is no session in this browser. Sign in.")
			return
		}
		fields["refresh_token"] = c.Value
		h.exchange(w, r, "/auth/refresh", fields)
	case "/session/logout":
		h.logout(w, r)
	default:
		writeProblem(w, http.StatusNotFound, "not_found", "There is no such session call.")
	}
}

// exchange forwards a login or refresh to authsvc and moves the refresh
// token of the answer into the cookie.
func (h *sessionHandler) exchange(w http.ResponseWriter, r *http.Request, path string, fields map[string]any) {
	res, err := h.forward(r, path, fields, "")
	if err != nil {
		h.log.Warn("portal session call failed", "path", path, "err", err)
		writeProblem(w, http.StatusBadGateway, "unavailable", "The auth service is not reachable.")
		return
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		if res.StatusCode == http.StatusUnauthorized && path == "/auth/refresh" {
			clearCookie(w, r)
		}
		relay(w, res)
		return
	}
	var pair tokenPair
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&pair); err != nil || pair.AccessToken == "" || pair.RefreshToken == "" {
		h.log.Error("portal session: unexpected answer of authsvc", "path", path, "err", err)
		writeProblem(w, http.StatusBadGateway, "unavailable", "The auth service answered something unexpected.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: pair.RefreshToken, Path: "/session", HttpOnly: true,
		Secure: secureRequest(r), SameSite: http.SameSiteStrictMode, MaxAge: int(sessionCookieAge.Seconds())})
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(accessAnswer{AccessToken: pair.AccessToken, TokenType: pair.TokenType, ExpiresIn: pair.ExpiresIn})
}

// logout ends the session at authsvc (when the browser still has one) and
// always clears the cookie.
func (h *sessionHandler) logout(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || r.Header.Get("Authorization") == "" {
		clearCookie(w, r)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	res, err := h.forward(r, "/auth/logout", map[string]any{"refresh_token": c.Value}, r.Header.Get("Authorization"))
	if err != nil {
		h.log.Warn("portal logout failed", "err", err)
	} else {
		res.Body.Close()
	}
	clearCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
}

func (h *sessionHandler) forward(r *http.Request, path string, fields map[string]any, authorization string) (*http.Response, error) {
	body, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("portal: encode session call: %w", err)
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, h.authURL+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("portal: session call: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	for _, k := range []string{"User-Agent", "X-Request-Id"} {
		if v := r.Header.Get(k); v != "" {
			req.Header.Set(k, v)
		}
	}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		req.Header.Set("X-Forwarded-For", ip)
	}
	req.Header.Set("X-Forwarded-Host", r.Host)
	res, err := h.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("portal: %s: %w", path, err)
	}
	return res, nil
}

// relay copies authsvc's error answer to the browser.
func relay(w http.ResponseWriter, res *http.Response) {
	for _, k := range []string{"Content-Type", "Retry-After", "X-Request-Id"} {
		if v := res.Header.Get(k); v != "" {
			w.Header().Set(k, v)
		}
	}
	w.WriteHeader(res.StatusCode)
	_, _ = io.Copy(w, io.LimitReader(res.Body, 1<<20))
}

func clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/session", HttpOnly: true,
		Secure: secureRequest(r), SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

func secureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	host := r.Host
	if fh := r.Header.Get("X-Forwarded-Host"); fh != "" {
		host = fh
	}
	return strings.EqualFold(u.Host, host)
}

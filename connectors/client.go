package connectors

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	hub "github.com/bizoshub/bizos"
)

// templateVars gathers what a connection's templates may use.
func templateVars(conn *hub.Connection, creds *hub.Credentials) map[string]string {
	vars := map[string]string{}
	for k, v := range conn.Config {
		vars[k] = v
	}
	if creds != nil {
		for k, v := range creds.Extras {
			vars[k] = v
		}
		vars["access_token"] = creds.AccessToken
		vars["refresh_token"] = creds.RefreshToken
		for k, v := range creds.Fields { // typed-in credentials, such as a private app's access_token
			vars[k] = v
		}
	}
	return vars
}

// usesEgressField reports whether the provider's base URL comes from a
// tenant-supplied URL, so calls must go through the egress guard.
func usesEgressField(p *Provider) bool {
	for _, f := range p.ConfigFields {
		if f.Egress && strings.Contains(p.API.BaseURL, "{{"+f.Name+"}}") {
			return true
		}
	}
	return false
}

// clientFor returns the client for p's API calls: the egress-guarded one
// when the base URL comes from a tenant, and in every case instrumented so
// each call counts in the upstream metrics (metrics.go).
func (s *Service) clientFor(p *Provider) *http.Client {
	if usesEgressField(p) {
		return instrument(s.guarded, p.ID)
	}
	return instrument(s.trusted, p.ID)
}

// buildURL joins the provider's base URL and a path (which may itself be a
// template or an absolute URL on a catalogue host).
func buildURL(p *Provider, vars map[string]string, path string, query url.Values) (string, error) {
	path, err := Expand(path, vars)
	if err != nil {
		return "", err
	}
	var full string
	if strings.HasPrefix(path, "https://") || strings.HasPrefix(path, "http://") {
		full = path
	} else {
		base, err := Expand(p.API.BaseURL, vars)
		if err != nil {
			return "", err
		}
		full = strings.TrimSuffix(base, "/") + "/" + strings.TrimPrefix(path, "/")
	}
	if len(query) > 0 {
		sep := "?"
		if strings.Contains(full, "?") {
			sep = "&"
		}
		full += sep + query.Encode()
	}
	return full, nil
}

// authorize puts the connection's credential on req as the mode says.
func authorize(req *http.Request, mode *AuthMode, vars map[string]string) error {
	in := mode.Inject
	switch in.Type {
	case "bearer":
		tmpl := in.Value
		if tmpl == "" {
			tmpl = "{{access_token}}"
		}
		v, err := Expand(tmpl, vars)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+v)
	case "basic":
		user, err := Expand(in.Username, vars)
		if err != nil {
			return err
		}
		pass, err := Expand(in.Password, vars)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
	case "header":
		v, err := Expand(in.Value, vars)
		if err != nil {
			return err
		}
		req.Header.Set(in.Name, v)
	case "query":
		v, err := Expand(in.Value, vars)
		if err != nil {
			return err
		}
		q := req.URL.Query()
		q.Set(in.Name, v)
		req.URL.RawQuery = q.Encode()
	default:
		return fmt.Errorf("connectors: unknown inject type %q", in.Type)
	}
	return nil
}

// send performs one request with the given credentials; no retries.
func (s *Service) send(ctx context.Context, p *Provider, conn *hub.Connection, creds *hub.Credentials,
	method, path string, query url.Values, body string) (*http.Response, error) {
	return s.sendReader(ctx, p, conn, creds, method, path, query, strings.NewReader(body), nil)
}

func (s *Service) sendReader(ctx context.Context, p *Provider, conn *hub.Connection, creds *hub.Credentials,
	method, path string, query url.Values, body io.Reader, header http.Header) (*http.Response, error) {
	mode, ok := p.Mode(conn.AuthMode)
	if !ok {
		return nil, fmt.Errorf("connectors: %s has no %s mode", p.ID, conn.AuthMode)
	}
	vars := templateVars(conn, creds)
	full, err := buildURL(p, vars, path, query)
	if err != nil {
		return nil, fmt.Errorf("connectors: %s: %w", p.ID, err)
	}
	req, err := http.NewRequestWithContext(ctx, method, full, body)
	if err != nil {
		return nil, hub.Errorf(hub.EINVALID, "The request for %s could not be built: %v", p.Name, err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	for k, tmpl := range p.API.Headers {
		v, err := Expand(tmpl, vars)
		if err != nil {
			return nil, fmt.Errorf("connectors: %s header %s: %w", p.ID, k, err)
		}
		req.Header.Set(k, v)
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	if body != nil && req.Header.Get("Content-Type") == "" && method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	if err := authorize(req, mode, vars); err != nil {
		return nil, fmt.Errorf("connectors: %s auth: %w", p.ID, err)
	}
	resp, err := s.clientFor(p).Do(req)
	if err != nil {
		var he *hub.Error
		if asHubError(err, &he) {
			return nil, he
		}
		if ctx.Err() != nil {
			return nil, &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusGatewayTimeout,
				Message: fmt.Sprintf("%s did not answer in time.", p.Name), Err: err}
		}
		return nil, &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusBadGateway,
			Message: fmt.Sprintf("%s could not be reached.", p.Name), Err: err}
	}
	return resp, nil
}

// upstreamReason extracts a short human reason from an error answer, reading
// at most 4 KiB of its body.
func upstreamReason(resp *http.Response) string {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var doc map[string]any
	if json.Unmarshal(raw, &doc) == nil {
		for _, k := range []string{"message", "error_description", "detail", "error", "errors", "title"} {
			switch v := doc[k].(type) {
			case string:
				if v != "" {
					return truncate(v, 300)
				}
			case map[string]any:
				if m, ok := v["message"].(string); ok {
					return truncate(m, 300)
				}
			}
		}
	}
	if s := strings.TrimSpace(string(raw)); s != "" {
		return truncate(s, 300)
	}
	return http.StatusText(resp.StatusCode)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// retryAfter reads Retry-After (seconds or HTTP date).
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// acquire takes one of the connection's call slots.
func (s *Service) acquire(ctx context.Context, p *Provider, connID string) (func(), error) {
	s.mu.Lock()
	slot, ok := s.slots[connID]
	if !ok {
		n := p.RateLimit.MaxConcurrency
		if n <= 0 {
			n = s.cfg.MaxConcurrency
		}
		slot = make(chan struct{}, n)
		s.slots[connID] = slot
	}
	s.mu.Unlock()
	select {
	case slot <- struct{}{}:
		return func() { <-slot }, nil
	case <-ctx.Done():
		return nil, &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusGatewayTimeout,
			Message: "Too many calls to this connection are in flight.", Err: ctx.Err()}
	}
}

// Do calls the platform for a connection: credentials are injected and
// refreshed when expired or refused, concurrency per connection is bounded,
// and idempotent calls answered 429 are retried after Retry-After (bounded).
// A body that is not nil is sent once: calls with a body are retried only
// when it is a *bytes.Reader or *strings.Reader that can be rewound.
// The caller closes the response body.
func (s *Service) Do(ctx context.Context, conn *hub.Connection, method, path string, query url.Values, body io.Reader, header http.Header) (*http.Response, error) {
	p, err := s.provider(conn.Provider)
	if err != nil {
		return nil, err
	}
	if conn.Status == hub.ConnectionExpired {
		return nil, hub.Errorf(hub.EUNAUTHORIZED, "The %s connection has expired (%s); reconnect it.", p.Name, conn.LastError)
	}
	release, err := s.acquire(ctx, p, conn.ID)
	if err != nil {
		return nil, err
	}
	defer release()
	rewind := rewinder(body)
	refreshed := false
	var renewed *hub.Credentials // credentials a refresh just produced
	for attempt := 0; ; attempt++ {
		// Each attempt has its own deadline; waits between attempts do not count.
		actx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		creds, version := renewed, int64(0)
		if creds == nil {
			creds, version, err = s.credentials(actx, p, conn, false)
			if err != nil {
				cancel()
				return nil, err
			}
		}
		if err := s.waitRateLimit(actx, p, conn.ID); err != nil {
			cancel()
			return nil, err
		}
		resp, err := s.sendReader(actx, p, conn, creds, method, path, query, body, header)
		if err != nil {
			cancel()
			return nil, err
		}
		s.noteRateLimit(p, conn.ID, resp.Header)
		if resp.StatusCode == http.StatusUnauthorized && !refreshed && canRefresh(p, conn, creds) && rewind() {
			drain(resp)
			refreshed = true
			renewed, _, err = s.refresh(actx, p, conn, version, true)
			cancel()
			if err != nil {
				return nil, err
			}
			continue
		}
		if resp.StatusCode == http.StatusTooManyRequests && attempt < s.cfg.MaxRetries && idempotent(method) && rewind() {
			wait, ok := retryAfter(resp.Header, s.cfg.Now())
			if !ok {
				wait = time.Duration(attempt+1) * 500 * time.Millisecond
			}
			if wait <= s.cfg.MaxRetryWait {
				drain(resp)
				cancel()
				select {
				case <-time.After(wait):
					continue
				case <-ctx.Done():
					return nil, &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusTooManyRequests,
						Message: fmt.Sprintf("%s is rate limiting this connection.", p.Name), Err: ctx.Err()}
				}
			}
		}
		resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
		return resp, nil
	}
}

// rewinder returns a function that prepares body for another send and
// reports whether it could.
func rewinder(body io.Reader) func() bool {
	switch b := body.(type) {
	case nil:
		return func() bool { return true }
	case *bytes.Reader:
		return func() bool { _, err := b.Seek(0, io.SeekStart); return err == nil }
	case *strings.Reader:
		return func() bool { _, err := b.Seek(0, io.SeekStart); return err == nil }
	}
	return func() bool { return false }
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

func asHubError(err error, target **hub.Error) bool { return errors.As(err, target) }

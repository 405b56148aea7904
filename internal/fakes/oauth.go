package fakes

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// OAuth is a fake OAuth 2.0 authorization server (RFC 6749 + RFC 7636 PKCE).
//
// GET {URL}/authorize auto-approves a valid request and redirects to the
// redirect_uri with a code and the state. POST {URL}/token answers the
// authorization_code and refresh_token grants, with errors per RFC 6749
// §5.2. POST {URL}/revoke revokes a token (RFC 7009).
type OAuth struct {
	// URL is the server root; the endpoints are /authorize, /token and /revoke.
	URL string
	// ClientID and ClientSecret are the client credentials the server accepts
	// (the options' values, or "fake-client-id" and "fake-client-secret").
	ClientID, ClientSecret string

	opts OAuthOptions

	mu            sync.Mutex
	codes         map[string]*authCode
	access        map[string]*accessToken
	refresh       map[string]*refreshToken
	refreshCount  int
	lastAuthorize url.Values
}

// OAuthOptions configures an OAuth fake.
type OAuthOptions struct {
	// ClientID and ClientSecret are the accepted client credentials; empty
	// values default to "fake-client-id" and "fake-client-secret".
	ClientID, ClientSecret string
	// AccessTTL is the lifetime of issued access tokens (default 1h); tests use seconds.
	AccessTTL time.Duration
	// RotateRefresh makes each refresh issue a new refresh token and invalidate the old one.
	RotateRefresh bool
	// TokenAuth is how the client must authenticate at the token endpoint:
	// "header" (client_secret_basic) or "params" (client_secret_post); "" accepts both.
	TokenAuth string
	// Extra holds extra fields of token responses (e.g. "api_domain" for Zoho).
	Extra map[string]any
}

type authCode struct {
	clientID, redirectURI, scope string
	challenge, method            string
	expires                      time.Time
	used                         bool
	issued                       []string // access and refresh tokens issued from the code
}

type accessToken struct {
	scope   string
	expires time.Time
	revoked bool
	refresh string // the refresh token of the grant
}

type refreshToken struct {
	clientID, scope string
	valid           bool
}

// NewOAuth starts a fake OAuth 2.0 authorization server, closed on t.Cleanup.
func NewOAuth(t testing.TB, opts OAuthOptions) *OAuth {
	t.Helper()
	if opts.ClientID == "" {
		opts.ClientID = "fake-client-id"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "fake-client-secret"
	}
	if opts.AccessTTL <= 0 {
		opts.AccessTTL = time.Hour
	}
	o := &OAuth{
		ClientID: opts.ClientID, ClientSecret: opts.ClientSecret, opts: opts,
		codes: map[string]*authCode{}, access: map[string]*accessToken{}, refresh: map[string]*refreshToken{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", o.serveAuthorize)
	mux.HandleFunc("/token", o.serveToken)
	mux.HandleFunc("/revoke", o.serveRevoke)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	o.URL = srv.URL
	return o
}

// AuthorizeURL returns the authorization endpoint: GET
// ?response_type=code&client_id&redirect_uri&state&scope[&code_challenge&code_challenge_method=S256].
func (o *OAuth) AuthorizeURL() string { return o.URL + "/authorize" }

// TokenURL returns the token endpoint (POST, application/x-www-form-urlencoded).
func (o *OAuth) TokenURL() string { return o.URL + "/token" }

// RevokeURL returns the revocation endpoint (POST token=...).
func (o *OAuth) RevokeURL() string { return o.URL + "/revoke" }

// Valid reports whether accessToken was issued, is not expired and is not revoked.
func (o *OAuth) Valid(accessToken string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	a, ok := o.access[accessToken]
	return ok && !a.revoked && time.Now().Before(a.expires)
}

// RefreshCount returns the number of successful refresh_token grants.
func (o *OAuth) RefreshCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.refreshCount
}

// ExpireAll makes every issued access token expired now.
func (o *OAuth) ExpireAll() {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := time.Now()
	for _, a := range o.access {
		if a.expires.After(now) {
			a.expires = now
		}
	}
}

// RevokeRefreshTokens invalidates every issued refresh token: later refreshes answer invalid_grant.
func (o *OAuth) RevokeRefreshTokens() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range o.refresh {
		r.valid = false
	}
}

// IssueToken issues an access and a refresh token directly, for tests that skip the browser step.
func (o *OAuth) IssueToken() (access, refresh string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	access, refresh = o.issueLocked(o.opts.ClientID, "", true)
	return access, refresh
}

// LastAuthorizeQuery returns a copy of the query of the last authorization request (nil if none).
func (o *OAuth) LastAuthorizeQuery() url.Values {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.lastAuthorize == nil {
		return nil
	}
	out := url.Values{}
	for k, v := range o.lastAuthorize {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// Authorizer returns an Options.Authorize function accepting exactly the
// live access tokens of o, read from header after the case-insensitive
// prefix, e.g. ("Authorization", "Bearer "), ("X-Shopify-Access-Token", "")
// or ("Authorization", "Zoho-oauthtoken ").
func (o *OAuth) Authorizer(header, prefix string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		v, ok := cutPrefixFold(r.Header.Get(header), prefix)
		if !ok {
			return false
		}
		v = strings.TrimSpace(v)
		return v != "" && o.Valid(v)
	}
}

func randomToken(prefix string) string {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return prefix + hex.EncodeToString(b)
}

// issueLocked creates an access token and, if withRefresh, a refresh token; callers hold mu.
func (o *OAuth) issueLocked(clientID, scope string, withRefresh bool) (access, refresh string) {
	access = randomToken("fake-at-")
	a := &accessToken{scope: scope, expires: time.Now().Add(o.opts.AccessTTL)}
	if withRefresh {
		refresh = randomToken("fake-rt-")
		o.refresh[refresh] = &refreshToken{clientID: clientID, scope: scope, valid: true}
		a.refresh = refresh
	}
	o.access[access] = a
	return access, refresh
}

func (o *OAuth) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "use GET")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed query")
		return
	}
	q := r.Form
	o.mu.Lock()
	o.lastAuthorize = url.Values{}
	for k, v := range r.URL.Query() {
		o.lastAuthorize[k] = append([]string(nil), v...)
	}
	o.mu.Unlock()

	// Errors about the client or the redirect URI must not redirect (RFC 6749 §4.1.2.1).
	if q.Get("client_id") != o.opts.ClientID {
		oauthError(w, http.StatusBadRequest, "invalid_client", "unknown client_id")
		return
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if q.Get("redirect_uri") == "" || err != nil || !redirect.IsAbs() || redirect.Fragment != "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "redirect_uri is missing or invalid")
		return
	}
	back := func(vals url.Values) {
		rq := redirect.Query()
		for k, v := range vals {
			rq[k] = v
		}
		if st := q.Get("state"); st != "" {
			rq.Set("state", st)
		}
		u := *redirect
		u.RawQuery = rq.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	if q.Get("response_type") != "code" {
		back(url.Values{"error": {"unsupported_response_type"}, "error_description": {"only response_type=code is supported"}})
		return
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	if challenge == "" && method != "" {
		back(url.Values{"error": {"invalid_request"}, "error_description": {"code_challenge_method without code_challenge"}})
		return
	}
	if challenge != "" {
		if method == "" {
			method = "plain" // RFC 7636 §4.3
		}
		if method != "S256" && method != "plain" {
			back(url.Values{"error": {"invalid_request"}, "error_description": {"transform algorithm not supported"}})
			return
		}
		if len(challenge) < 43 || len(challenge) > 128 {
			back(url.Values{"error": {"invalid_request"}, "error_description": {"code_challenge must be 43 to 128 characters"}})
			return
		}
	}
	code := randomToken("fake-code-")
	o.mu.Lock()
	o.codes[code] = &authCode{
		clientID: o.opts.ClientID, redirectURI: q.Get("redirect_uri"), scope: q.Get("scope"),
		challenge: challenge, method: method, expires: time.Now().Add(10 * time.Minute),
	}
	o.mu.Unlock()
	back(url.Values{"code": {code}})
}

// oauthError writes an RFC 6749 §5.2 error.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// clientAuth authenticates the client at the token or revocation endpoint.
// It returns ok=false after writing the error.
func (o *OAuth) clientAuth(w http.ResponseWriter, r *http.Request, required bool) bool {
	id, secret, basic := r.BasicAuth()
	if basic {
		// client_secret_basic: id and secret are form-urlencoded before base64 (RFC 6749 §2.3.1).
		if v, err := url.QueryUnescape(id); err == nil {
			id = v
		}
		if v, err := url.QueryUnescape(secret); err == nil {
			secret = v
		}
	}
	postID, postSecret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	hasPost := postSecret != ""
	deny := func(desc string) bool {
		if basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="fake-oauth"`)
		}
		oauthError(w, http.StatusUnauthorized, "invalid_client", desc)
		return false
	}
	switch {
	case basic && hasPost:
		return deny("the client used more than one authentication method")
	case basic:
		if o.opts.TokenAuth == "params" {
			return deny("client_secret_basic is not allowed; send client_id and client_secret in the body")
		}
	case hasPost:
		if o.opts.TokenAuth == "header" {
			return deny("client_secret_post is not allowed; use HTTP Basic authentication")
		}
		id, secret = postID, postSecret
	default:
		if !required {
			return true
		}
		return deny("client authentication failed")
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(o.opts.ClientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(o.opts.ClientSecret)) != 1 {
		return deny("client authentication failed")
	}
	return true
}

func (o *OAuth) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "the token endpoint accepts POST only")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed body")
		return
	}
	if !o.clientAuth(w, r, true) {
		return
	}
	f := r.PostForm
	o.mu.Lock()
	defer o.mu.Unlock()
	var access, refresh, scope string
	switch f.Get("grant_type") {
	case "authorization_code":
		code := f.Get("code")
		c, ok := o.codes[code]
		switch {
		case code == "":
			oauthError(w, http.StatusBadRequest, "invalid_request", "code is required")
			return
		case !ok:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown authorization code")
			return
		case c.used:
			// A reused code revokes what it granted (RFC 6749 §4.1.2).
			for _, tok := range c.issued {
				if a, ok := o.access[tok]; ok {
					a.revoked = true
				}
				if rt, ok := o.refresh[tok]; ok {
					rt.valid = false
				}
			}
			oauthError(w, http.StatusBadRequest, "invalid_grant", "authorization code already used")
			return
		case time.Now().After(c.expires):
			oauthError(w, http.StatusBadRequest, "invalid_grant", "authorization code expired")
			return
		case f.Get("redirect_uri") != c.redirectURI:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorization request")
			return
		}
		if c.challenge != "" {
			v := f.Get("code_verifier")
			if v == "" {
				oauthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier is required")
				return
			}
			want := v
			if c.method == "S256" {
				sum := sha256.Sum256([]byte(v))
				want = base64.RawURLEncoding.EncodeToString(sum[:])
			}
			if subtle.ConstantTimeCompare([]byte(want), []byte(c.challenge)) != 1 {
				c.used = true
				oauthError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
				return
			}
		} else if f.Get("code_verifier") != "" {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier sent for a code issued without code_challenge")
			return
		}
		c.used = true
		scope = c.scope
		access, refresh = o.issueLocked(c.clientID, scope, true)
		c.issued = append(c.issued, access, refresh)
	case "refresh_token":
		tok := f.Get("refresh_token")
		rt, ok := o.refresh[tok]
		switch {
		case tok == "":
			oauthError(w, http.StatusBadRequest, "invalid_request", "refresh_token is required")
			return
		case !ok || !rt.valid:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "refresh token is invalid, expired or revoked")
			return
		case rt.clientID != o.opts.ClientID:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "refresh token was issued to another client")
			return
		}
		scope = rt.scope
		if o.opts.RotateRefresh {
			rt.valid = false
			access, refresh = o.issueLocked(rt.clientID, scope, true)
		} else {
			access, _ = o.issueLocked(rt.clientID, scope, false)
			o.access[access].refresh = tok
		}
		o.refreshCount++
	case "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
		return
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type "+f.Get("grant_type")+" is not supported")
		return
	}
	resp := map[string]any{}
	for k, v := range o.opts.Extra {
		resp[k] = v
	}
	resp["access_token"] = access
	resp["token_type"] = "Bearer"
	resp["expires_in"] = int(o.opts.AccessTTL.Round(time.Second) / time.Second)
	if refresh != "" {
		resp["refresh_token"] = refresh
	}
	if scope != "" {
		resp["scope"] = scope
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

func (o *OAuth) serveRevoke(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "the revocation endpoint accepts POST only")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed body")
		return
	}
	if !o.clientAuth(w, r, false) {
		return
	}
	tok := r.Form.Get("token")
	if tok == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "token is required")
		return
	}
	o.mu.Lock()
	if a, ok := o.access[tok]; ok {
		a.revoked = true
	}
	if rt, ok := o.refresh[tok]; ok {
		// Revoking a refresh token also revokes the access tokens of its grant (RFC 7009 §2.1).
		rt.valid = false
		for _, a := range o.access {
			if a.refresh == tok {
				a.revoked = true
			}
		}
	}
	o.mu.Unlock()
	// Unknown tokens are answered 200 too (RFC 7009 §2.2).
	w.WriteHeader(http.StatusOK)
}

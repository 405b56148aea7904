package connectors

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	hub "github.com/bizoshub/bizos"
)

// StateTTL is how long an OAuth authorization may take.
const StateTTL = 10 * time.Minute

// oauthState is what the hub remembers between authorize and callback.
type oauthState struct {
	TenantID     string            `json:"tenant_id"`
	Subject      string            `json:"subject"`
	Provider     string            `json:"provider"`
	Name         string            `json:"name"`
	Config       map[string]string `json:"config"`
	Verifier     string            `json:"verifier,omitempty"`
	ReturnTo     string            `json:"return_to,omitempty"`
	ConnectionID string            `json:"connection_id,omitempty"`
}

// AuthorizeRequest starts an OAuth connection.
type AuthorizeRequest struct {
	Provider string
	Name     string
	Config   map[string]string
	// ReturnTo is a path of the portal to send the browser back to.
	ReturnTo string
	// ConnectionID reconnects an existing connection instead of creating one.
	ConnectionID string
}

// Authorization is the answer of GET /api/v1/oauth/{provider}/authorize.
type Authorization struct {
	AuthorizeURL string    `json:"authorize_url"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// RedirectURI is the callback the platforms send the browser back to.
func (s *Service) RedirectURI() string {
	return strings.TrimSuffix(s.cfg.PublicURL, "/") + "/api/v1/oauth/callback"
}

// oauthClient returns the OAuth client to use for a tenant: its own app
// when it registered one, the operator's default otherwise.
func (s *Service) oauthClient(ctx context.Context, tenantID string, prov *Provider) (clientID, secret string, err error) {
	if s.cfg.TenantApps != nil && tenantID != "" {
		app, err := s.cfg.TenantApps.OAuthApp(ctx, tenantID, prov.ID)
		if err == nil {
			return app.ClientID, app.ClientSecret, nil
		}
		if hub.ErrorCode(err) != hub.ENOTFOUND {
			return "", "", err
		}
	}
	app := s.cfg.Apps[prov.ID]
	if app.ClientID == "" || app.ClientSecret == "" {
		return "", "", hub.Errorf(hub.EINVALID, "No OAuth app is configured for %s: register your own with PUT /api/v1/oauth-apps/%s, or the operator sets client_id and client_secret for %q in BIZOS_PROVIDER_OVERRIDES.",
			prov.Name, prov.ID, prov.ID)
	}
	return app.ClientID, app.ClientSecret, nil
}

func (s *Service) oauthConfig(ctx context.Context, tenantID string, prov *Provider, mode *AuthMode, vars map[string]string) (*oauth2.Config, error) {
	clientID, clientSecret, err := s.oauthClient(ctx, tenantID, prov)
	if err != nil {
		return nil, err
	}
	authURL, err := Expand(mode.OAuth2.AuthorizeURL, vars)
	if err != nil {
		return nil, err
	}
	tokenURL, err := Expand(mode.OAuth2.TokenURL, vars)
	if err != nil {
		return nil, err
	}
	style := oauth2.AuthStyleInParams
	if mode.OAuth2.TokenAuth == "header" {
		style = oauth2.AuthStyleInHeader
	}
	scopes := mode.OAuth2.Scopes
	if sep := mode.OAuth2.ScopeSeparator; sep != " " && len(scopes) > 1 {
		scopes = []string{strings.Join(scopes, sep)}
	}
	return &oauth2.Config{ClientID: clientID, ClientSecret: clientSecret, RedirectURL: s.RedirectURI(), Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: authURL, TokenURL: tokenURL, AuthStyle: style}}, nil
}

func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("connectors: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Authorize starts the authorization-code flow and returns the platform URL
// to send the user to. The state is single use, expires after StateTTL and
// is bound to the tenant and the user who started it.
func (s *Service) Authorize(ctx context.Context, p hub.Principal, req AuthorizeRequest) (*Authorization, error) {
	prov, ok := s.cfg.Catalog.Provider(req.Provider)
	if !ok {
		return nil, hub.Errorf(hub.ENOTFOUND, "There is no connector %q.", req.Provider)
	}
	mode, ok := prov.Mode(ModeOAuth2)
	if !ok {
		return nil, hub.Errorf(hub.EINVALID, "%s connects with credentials, not OAuth; use POST /api/v1/connections.", prov.Name)
	}
	name := req.Name
	if name == "" {
		name = prov.Name
	}
	name, err := validName(name)
	if err != nil {
		return nil, err
	}
	if req.ReturnTo != "" && (!strings.HasPrefix(req.ReturnTo, "/") || strings.HasPrefix(req.ReturnTo, "//")) {
		return nil, hub.InvalidField("return_to", "must be a path of this site, such as /dashboard/connectors")
	}
	if req.ConnectionID != "" {
		conn, err := s.cfg.Store.Connection(ctx, p.TenantID, req.ConnectionID)
		if err != nil {
			return nil, err
		}
		if conn.Provider != prov.ID {
			return nil, hub.InvalidField("connection_id", "belongs to another provider")
		}
		if len(req.Config) == 0 {
			req.Config = conn.Config
		}
	}
	config, err := s.checkConfig(ctx, prov, req.Config)
	if err != nil {
		return nil, err
	}
	oc, err := s.oauthConfig(ctx, p.TenantID, prov, mode, config)
	if err != nil {
		return nil, err
	}
	state, err := randomToken(32)
	if err != nil {
		return nil, err
	}
	st := oauthState{TenantID: p.TenantID, Subject: p.Subject(), Provider: prov.ID, Name: name, Config: config,
		ReturnTo: req.ReturnTo, ConnectionID: req.ConnectionID}
	var opts []oauth2.AuthCodeOption
	if mode.OAuth2.PKCE {
		st.Verifier = oauth2.GenerateVerifier()
		opts = append(opts, oauth2.S256ChallengeOption(st.Verifier))
	}
	for k, v := range mode.OAuth2.AuthorizeParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("connectors: encode state: %w", err)
	}
	if err := s.cfg.States.Put(ctx, "oauth:"+state, raw, StateTTL); err != nil {
		return nil, &hub.Error{Code: hub.EUNAVAILABLE, Message: "Connecting is temporarily unavailable.", Err: err}
	}
	return &Authorization{AuthorizeURL: oc.AuthCodeURL(state, opts...), ExpiresAt: s.cfg.Now().Add(StateTTL)}, nil
}

// CallbackResult says where the browser goes after the callback.
type CallbackResult struct {
	Connection *hub.Connection
	ReturnTo   string
}

// Callback completes the flow: it spends the state, exchanges the code,
// checks the new credentials live and stores the connection.
func (s *Service) Callback(ctx context.Context, query url.Values) (*CallbackResult, error) {
	stateKey := query.Get("state")
	if stateKey == "" {
		return nil, hub.InvalidField("state", "is missing")
	}
	raw, ok, err := s.cfg.States.Take(ctx, "oauth:"+stateKey)
	if err != nil {
		return nil, &hub.Error{Code: hub.EUNAVAILABLE, Message: "Connecting is temporarily unavailable.", Err: err}
	}
	if !ok {
		return nil, hub.InvalidField("state", "is unknown, already used or expired; start connecting again")
	}
	var st oauthState
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("connectors: decode state: %w", err)
	}
	result := &CallbackResult{ReturnTo: st.ReturnTo}
	if e := query.Get("error"); e != "" {
		return result, hub.Errorf(hub.EINVALID, "The platform did not authorize the connection: %s %s", e, query.Get("error_description"))
	}
	code := query.Get("code")
	if code == "" {
		return result, hub.InvalidField("code", "is missing")
	}
	prov, ok := s.cfg.Catalog.Provider(st.Provider)
	if !ok {
		return result, hub.Errorf(hub.EINVALID, "The connector %q no longer exists.", st.Provider)
	}
	mode, _ := prov.Mode(ModeOAuth2)
	oc, err := s.oauthConfig(ctx, st.TenantID, prov, mode, st.Config)
	if err != nil {
		return result, err
	}
	var opts []oauth2.AuthCodeOption
	if st.Verifier != "" {
		opts = append(opts, oauth2.VerifierOption(st.Verifier))
	}
	if slices.Contains(prov.Hooks, HookShopifyRotating) {
		opts = append(opts, oauth2.SetAuthURLParam("expiring", "1")) // ask for an expiring offline token with a refresh token
	}
	tok, err := oc.Exchange(context.WithValue(ctx, oauth2.HTTPClient, s.trusted), code, opts...)
	if err != nil {
		return result, tokenError(prov, err)
	}
	creds := credentialsFromToken(prov, tok, nil)
	conn := &hub.Connection{TenantID: st.TenantID, Provider: prov.ID, Name: st.Name, AuthMode: ModeOAuth2, Config: st.Config,
		Scopes: mode.OAuth2.Scopes, CreatedBy: st.Subject}
	if err := s.runHooks(ctx, prov, conn, creds, hookConnect); err != nil {
		return result, err
	}
	started := time.Now()
	if err := s.verify(ctx, prov, conn, creds); err != nil {
		return result, err
	}
	latency := time.Since(started)
	if st.ConnectionID != "" {
		s.cache.forget(st.TenantID, st.ConnectionID)
		_, version, err := s.cfg.Store.ConnectionCredentials(ctx, st.TenantID, st.ConnectionID)
		if err != nil {
			return result, err
		}
		if _, err := s.cfg.Store.UpdateCredentials(ctx, st.TenantID, st.ConnectionID, creds, version); err != nil {
			return result, err
		}
		s.recordConnectCheck(ctx, &hub.Connection{TenantID: st.TenantID, ID: st.ConnectionID}, latency)
		result.Connection, err = s.cfg.Store.Connection(ctx, st.TenantID, st.ConnectionID)
		return result, err
	}
	if err := s.cfg.Store.CreateConnection(ctx, conn, creds); err != nil {
		return result, err
	}
	s.recordConnectCheck(ctx, conn, latency)
	s.registerWebhooks(ctx, prov, conn)
	result.Connection = conn
	return result, nil
}

// credentialsFromToken turns a token answer into stored credentials; prev
// supplies the refresh token when the platform did not send a new one.
func credentialsFromToken(prov *Provider, tok *oauth2.Token, prev *hub.Credentials) *hub.Credentials {
	c := &hub.Credentials{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, TokenType: tok.TokenType, Expiry: tok.Expiry,
		Extras: map[string]string{}}
	if prev != nil {
		for k, v := range prev.Extras {
			c.Extras[k] = v
		}
		c.Fields = prev.Fields
		if c.RefreshToken == "" {
			c.RefreshToken = prev.RefreshToken
		}
	}
	for _, name := range prov.Extras {
		if v, ok := tok.Extra(name).(string); ok && v != "" {
			c.Extras[name] = v
		}
	}
	return c
}

// tokenError describes a failed token call. invalid_grant and friends mean
// the grant is dead (EUNAUTHORIZED); anything else is the platform's failure.
func tokenError(prov *Provider, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		reason := re.ErrorCode
		if re.ErrorDescription != "" {
			reason += ": " + re.ErrorDescription
		}
		if reason == "" {
			reason = truncate(string(re.Body), 200)
		}
		if re.ErrorCode == "invalid_grant" || re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client" ||
			(re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized) {
			return &hub.Error{Code: hub.EUNAUTHORIZED, Message: fmt.Sprintf("%s refused the grant (%s); reconnect the account.", prov.Name, reason), Err: err}
		}
		status := http.StatusBadGateway
		if re.Response != nil && re.Response.StatusCode >= 400 && re.Response.StatusCode < 500 {
			status = re.Response.StatusCode
		}
		return &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: status, Message: fmt.Sprintf("%s token endpoint failed: %s", prov.Name, reason), Err: err}
	}
	return &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusBadGateway, Message: fmt.Sprintf("%s token endpoint could not be reached.", prov.Name), Err: err}
}

// refreshMargin refreshes tokens this long before they expire.
const refreshMargin = time.Minute

func canRefresh(p *Provider, conn *hub.Connection, creds *hub.Credentials) bool {
	if conn.AuthMode != ModeOAuth2 || creds == nil || creds.RefreshToken == "" {
		return false
	}
	mode, ok := p.Mode(ModeOAuth2)
	return ok && (mode.OAuth2.Refresh == "refresh_token" || mode.OAuth2.Refresh == "rotating")
}

func (s *Service) needsRefresh(p *Provider, conn *hub.Connection, creds *hub.Credentials) bool {
	return canRefresh(p, conn, creds) && !creds.Expiry.IsZero() && !s.cfg.Now().Add(refreshMargin).Before(creds.Expiry)
}

// credentials returns the connection's credentials, refreshing them first
// when they are about to expire.
func (s *Service) credentials(ctx context.Context, p *Provider, conn *hub.Connection, force bool) (*hub.Credentials, int64, error) {
	e, err := s.loadConnection(ctx, conn.TenantID, conn.ID)
	if err != nil {
		return nil, 0, err
	}
	creds, version := e.creds, e.version
	if force || s.needsRefresh(p, conn, creds) {
		return s.refresh(ctx, p, conn, version, force)
	}
	return creds, version, nil
}

type refreshed struct {
	creds   *hub.Credentials
	version int64
}

// refresh renews the access token once per connection however many callers
// ask at once: callers in this process share one flight, and replicas take
// a Redis lease, then re-read the stored credentials, so a token refreshed
// meanwhile is used instead of refreshing again.
func (s *Service) refresh(ctx context.Context, p *Provider, conn *hub.Connection, seen int64, force bool) (*hub.Credentials, int64, error) {
	v, err, _ := s.refreshes.Do(conn.ID, func() (any, error) {
		ctx := context.WithoutCancel(ctx)
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		unlock, err := s.cfg.Locks.Lock(ctx, "refresh:"+conn.ID, 30*time.Second)
		if err != nil {
			return nil, &hub.Error{Code: hub.EUNAVAILABLE, Message: "The connection's token could not be renewed right now.", Err: err}
		}
		defer unlock()
		creds, version, err := s.cfg.Store.ConnectionCredentials(ctx, conn.TenantID, conn.ID)
		if err != nil {
			return nil, err
		}
		if version != seen || (!force && !s.needsRefresh(p, conn, creds)) {
			// Someone renewed it meanwhile: use theirs, and let the cache know.
			s.cache.put(&cacheEntry{conn: conn, creds: creds, version: version}, s.cfg.Now())
			return refreshed{creds, version}, nil
		}
		if !canRefresh(p, conn, creds) {
			return refreshed{creds, version}, nil
		}
		mode, _ := p.Mode(ModeOAuth2)
		oc, err := s.oauthConfig(ctx, conn.TenantID, p, mode, templateVars(conn, creds))
		if err != nil {
			return nil, err
		}
		tok, err := oc.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, s.trusted), &oauth2.Token{RefreshToken: creds.RefreshToken}).Token()
		if err != nil {
			terr := tokenError(p, err)
			s.cache.forget(conn.TenantID, conn.ID)
			if hub.ErrorCode(terr) == hub.EUNAUTHORIZED {
				if serr := s.cfg.Store.SetConnectionStatus(ctx, conn.TenantID, conn.ID, hub.ConnectionExpired, hub.ErrorMessage(terr)); serr != nil {
					s.cfg.Log.ErrorContext(ctx, "marking connection expired failed", "connection_id", conn.ID, "err", serr)
				}
			}
			s.cfg.Log.WarnContext(ctx, "token refresh failed", "provider", p.ID, "connection_id", conn.ID, "code", hub.ErrorCode(terr))
			return nil, terr
		}
		next := credentialsFromToken(p, tok, creds)
		s.cache.forget(conn.TenantID, conn.ID)
		nextVersion, err := s.cfg.Store.UpdateCredentials(ctx, conn.TenantID, conn.ID, next, version)
		if err != nil {
			return nil, err
		}
		refreshCount.WithLabelValues(p.ID).Inc()
		s.cache.put(&cacheEntry{conn: conn, creds: next, version: nextVersion}, s.cfg.Now())
		return refreshed{next, nextVersion}, nil
	})
	if err != nil {
		return nil, 0, err
	}
	r := v.(refreshed)
	return r.creds, r.version, nil
}

// revoke asks the platform to invalidate the connection's token.
func (s *Service) revoke(ctx context.Context, prov *Provider, conn *hub.Connection) error {
	creds, _, err := s.cfg.Store.ConnectionCredentials(ctx, conn.TenantID, conn.ID)
	if err != nil {
		return err
	}
	body, err := Expand(prov.Revoke.Body, templateVars(conn, creds))
	if err != nil {
		return err
	}
	header := http.Header{}
	if body != "" && !strings.HasPrefix(body, "{") {
		header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := s.sendReader(ctx, prov, conn, creds, prov.Revoke.Method, prov.Revoke.Path, nil, strings.NewReader(body), header)
	if err != nil {
		return err
	}
	defer drain(resp)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("revoke answered HTTP %d: %s", resp.StatusCode, upstreamReason(resp))
	}
	return nil
}

package connectors

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/egress"
	"github.com/bizoshub/bizos/telemetry"
)

// StateStore keeps single-use values shared by replicas (OAuth state).
type StateStore interface {
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) error
	Take(ctx context.Context, key string) ([]byte, bool, error)
}

// Locker hands out leases shared by replicas (token refresh).
type Locker interface {
	Lock(ctx context.Context, name string, ttl time.Duration) (func(), error)
}

// Config holds the service's dependencies and settings.
type Config struct {
	Catalog *Catalog
	Store   hub.ConnectionStore
	States  StateStore
	Locks   Locker
	// Egress guards calls to tenant-supplied hosts (site URLs).
	Egress *egress.Policy
	// Apps are the operator's default OAuth clients by provider.
	Apps map[string]Override
	// TenantApps holds OAuth clients that tenants register themselves
	// (optional); they take precedence over Apps.
	TenantApps hub.OAuthAppStore
	// PublicURL is brain's external base URL; the OAuth redirect URI is
	// PublicURL + "/api/v1/oauth/callback".
	PublicURL string
	// PortalURL is the web portal's base URL; the OAuth callback sends the
	// browser to PortalURL + return_to (a bare return_to path when empty).
	PortalURL string
	Log       *slog.Logger
	// Timeout bounds one upstream call (30 s when zero).
	Timeout time.Duration
	// MaxConcurrency bounds in-flight calls per connection when the
	// catalogue does not say (8 when zero).
	MaxConcurrency int
	// MaxRetries bounds retries of idempotent calls answered 429 (2 when zero).
	MaxRetries int
	// MaxRetryWait caps how long a Retry-After is honoured (10 s when zero).
	MaxRetryWait time.Duration
	// CacheTTL is how long connections and credentials are kept in memory
	// between reads (2 s when zero; negative disables the cache).
	CacheTTL time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Service connects tenants' accounts and calls platforms on their behalf.
type Service struct {
	cfg       Config
	guarded   *http.Client // for hosts that tenants supply
	trusted   *http.Client // for catalogue and operator-configured hosts
	refreshes singleflight.Group
	cache     *connCache

	mu     sync.Mutex
	slots  map[string]chan struct{}
	paused map[string]time.Time
	tokens map[string]tokenRef
}

// New returns a Service with defaults filled in.
func New(cfg Config) *Service {
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxConcurrency == 0 {
		cfg.MaxConcurrency = 8
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 2
	}
	if cfg.MaxRetryWait == 0 {
		cfg.MaxRetryWait = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = 2 * time.Second
	}
	trustedTransport := http.DefaultTransport.(*http.Transport).Clone()
	trustedTransport.MaxIdleConnsPerHost = 64
	return &Service{
		cfg:     cfg,
		guarded: &http.Client{Transport: telemetry.ClientSpans(cfg.Egress.Transport()), CheckRedirect: noRedirects},
		trusted: &http.Client{Transport: telemetry.ClientSpans(trustedTransport), CheckRedirect: noRedirects},
		slots:   map[string]chan struct{}{},
		paused:  map[string]time.Time{},
		tokens:  map[string]tokenRef{},
		cache:   newConnCache(cfg.CacheTTL),
	}
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Catalog returns the catalogue the service uses.
func (s *Service) Catalog() *Catalog { return s.cfg.Catalog }

// ConnectRequest is the body of POST /api/v1/connections.
type ConnectRequest struct {
	Provider    string            `json:"provider"`
	Name        string            `json:"name"`
	Config      map[string]string `json:"config,omitempty"`
	Credentials map[string]string `json:"credentials,omitempty" doc:"the secret fields of the provider's api_key mode; never returned"`
}

func (s *Service) provider(id string) (*Provider, error) {
	p, ok := s.cfg.Catalog.Provider(id)
	if !ok {
		return nil, hub.InvalidField("provider", fmt.Sprintf("%q is not a known connector; see GET /api/v1/connectors", id))
	}
	return p, nil
}

// checkFields validates values against fields: required, pattern, options,
// unknown names. It fills defaults.
func checkFields(prefix string, fields []Field, values map[string]string) (map[string]string, error) {
	out := map[string]string{}
	known := map[string]bool{}
	for _, f := range fields {
		known[f.Name] = true
		v := strings.TrimSpace(values[f.Name])
		if v == "" {
			v = f.Default
		}
		if v == "" {
			if f.Required {
				return nil, hub.InvalidField(prefix+f.Name, "is required ("+f.Label+")")
			}
			continue
		}
		if f.Pattern != "" && !regexp.MustCompile(f.Pattern).MatchString(v) {
			return nil, hub.InvalidField(prefix+f.Name, "is not a valid "+f.Label)
		}
		if len(f.Options) > 0 && !contains(f.Options, v) {
			return nil, hub.InvalidField(prefix+f.Name, "must be one of "+strings.Join(f.Options, ", "))
		}
		out[f.Name] = v
	}
	for name := range values {
		if !known[name] {
			return nil, hub.InvalidField(prefix+name, "is not a field of this connector")
		}
	}
	return out, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// checkConfig validates a connection's config and the egress of URL fields.
func (s *Service) checkConfig(ctx context.Context, p *Provider, values map[string]string) (map[string]string, error) {
	cfg, err := checkFields("config.", p.ConfigFields, values)
	if err != nil {
		return nil, err
	}
	for _, f := range p.ConfigFields {
		if f.Egress && cfg[f.Name] != "" {
			u, err := s.cfg.Egress.CheckURL(ctx, "config."+f.Name, cfg[f.Name])
			if err != nil {
				return nil, err
			}
			cfg[f.Name] = strings.TrimSuffix(u.String(), "/")
		}
	}
	return cfg, nil
}

func validName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return "", hub.InvalidField("name", "is required and at most 200 characters")
	}
	return name, nil
}

// Connect creates an api_key-mode connection after checking the credentials
// live against the platform. Nothing is saved when the check fails.
func (s *Service) Connect(ctx context.Context, p hub.Principal, req ConnectRequest) (*hub.Connection, error) {
	prov, err := s.provider(req.Provider)
	if err != nil {
		return nil, err
	}
	mode, ok := prov.Mode(ModeAPIKey)
	if !ok {
		return nil, hub.InvalidField("provider", fmt.Sprintf("%s connects with OAuth; use GET /api/v1/oauth/%s/authorize", prov.Name, prov.ID))
	}
	name := req.Name
	if name == "" {
		name = prov.Name
	}
	if name, err = validName(name); err != nil {
		return nil, err
	}
	config, err := s.checkConfig(ctx, prov, req.Config)
	if err != nil {
		return nil, err
	}
	fields, err := checkFields("credentials.", mode.CredentialFields, req.Credentials)
	if err != nil {
		return nil, err
	}
	conn := &hub.Connection{TenantID: p.TenantID, Provider: prov.ID, Name: name, AuthMode: ModeAPIKey, Config: config, CreatedBy: p.Subject()}
	creds := &hub.Credentials{Fields: fields}
	if err := s.runHooks(ctx, prov, conn, creds, hookConnect); err != nil {
		return nil, err
	}
	started := time.Now()
	if err := s.verify(ctx, prov, conn, creds); err != nil {
		return nil, err
	}
	latency := time.Since(started)
	if err := s.cfg.Store.CreateConnection(ctx, conn, creds); err != nil {
		return nil, err
	}
	s.recordConnectCheck(ctx, conn, latency)
	s.registerWebhooks(ctx, prov, conn)
	return conn, nil
}

// recordConnectCheck adds the live check made while connecting to the
// connection's history. A failure is logged: the connection stands.
func (s *Service) recordConnectCheck(ctx context.Context, conn *hub.Connection, latency time.Duration) {
	chk := &hub.ConnectionCheck{ConnectionID: conn.ID, Status: hub.ConnectionConnected, OK: true,
		LatencyMS: int(latency.Milliseconds()), Source: hub.CheckSourceConnect}
	if err := s.cfg.Store.RecordConnectionCheck(ctx, conn.TenantID, chk); err != nil {
		s.cfg.Log.ErrorContext(ctx, "record connection check failed", "connection_id", conn.ID, "err", err)
		return
	}
	conn.Status, conn.LastError, conn.LastCheckedAt = chk.Status, "", &chk.CheckedAt
}

// verify runs the provider's verification call with creds; a refusal is
// EINVALID carrying the platform's reason.
func (s *Service) verify(ctx context.Context, prov *Provider, conn *hub.Connection, creds *hub.Credentials) error {
	resp, err := s.send(ctx, prov, conn, creds, prov.Verify.Method, prov.Verify.Path, nil, prov.Verify.Body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return platformOK(prov, resp)
	}
	reason := upstreamReason(resp)
	return &hub.Error{Code: hub.EINVALID, Message: fmt.Sprintf("%s refused the credentials (HTTP %d): %s", prov.Name, resp.StatusCode, reason),
		Fields: map[string]string{"credentials": reason}}
}

// Test re-runs the verification call of a connection and records the
// outcome as a check from CheckSourceTest.
func (s *Service) Test(ctx context.Context, tenantID, id string) (*hub.Connection, error) {
	return s.Check(ctx, tenantID, id, hub.CheckSourceTest)
}

// Check re-runs the verification call of a connection and records the
// outcome (its status, last error and a check in its history from source).
// It implements hub.ConnectionChecker.
func (s *Service) Check(ctx context.Context, tenantID, id, source string) (*hub.Connection, error) {
	conn, err := s.cfg.Store.Connection(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	prov, err := s.provider(conn.Provider)
	if err != nil {
		return nil, err
	}
	started := time.Now()
	resp, err := s.Do(ctx, conn, prov.Verify.Method, prov.Verify.Path, nil, strings.NewReader(prov.Verify.Body), nil)
	status, lastErr := hub.ConnectionConnected, ""
	switch {
	case hub.ErrorCode(err) == hub.EUNAUTHORIZED:
		status, lastErr = hub.ConnectionExpired, hub.ErrorMessage(err)
	case err != nil:
		status, lastErr = hub.ConnectionError, hub.ErrorMessage(err)
	default:
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			status, lastErr = hub.ConnectionExpired, fmt.Sprintf("HTTP %d: %s", resp.StatusCode, upstreamReason(resp))
		} else if resp.StatusCode >= 300 {
			status, lastErr = hub.ConnectionError, fmt.Sprintf("HTTP %d: %s", resp.StatusCode, upstreamReason(resp))
		} else if perr := platformOK(prov, resp); perr != nil {
			status, lastErr = hub.ConnectionExpired, hub.ErrorMessage(perr)
		}
	}
	latency := time.Since(started)
	if conn.Status == hub.ConnectionExpired && status != hub.ConnectionConnected {
		status = hub.ConnectionExpired // an expired connection stays expired until reconnected
	}
	s.cache.forget(tenantID, id)
	chk := &hub.ConnectionCheck{ConnectionID: id, Status: status, OK: lastErr == "", Error: lastErr,
		LatencyMS: int(latency.Milliseconds()), Source: source}
	if err := s.cfg.Store.RecordConnectionCheck(ctx, tenantID, chk); err != nil {
		return nil, err
	}
	return s.cfg.Store.Connection(ctx, tenantID, id)
}

// Disconnect revokes the credentials at the platform where it offers that,
// then deletes the connection. A failed revocation is logged, not fatal.
func (s *Service) Disconnect(ctx context.Context, tenantID, id string) error {
	conn, err := s.cfg.Store.Connection(ctx, tenantID, id)
	if err != nil {
		return err
	}
	if prov, ok := s.cfg.Catalog.Provider(conn.Provider); ok {
		s.unregisterWebhooks(ctx, prov, conn)
	}
	if prov, ok := s.cfg.Catalog.Provider(conn.Provider); ok && prov.Revoke != nil && conn.AuthMode == ModeOAuth2 {
		if err := s.revoke(ctx, prov, conn); err != nil {
			s.cfg.Log.WarnContext(ctx, "token revocation failed", "provider", prov.ID, "connection_id", id, "err", err)
		}
	}
	s.cache.forget(tenantID, id)
	return s.cfg.Store.DeleteConnection(ctx, tenantID, id)
}

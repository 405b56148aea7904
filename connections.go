package hub

import (
	"context"
	"time"
)

// Connection statuses.
const (
	ConnectionConnected = "connected"
	ConnectionExpired   = "expired" // the platform no longer accepts the credentials; reconnect
	ConnectionError     = "error"   // the last check failed for another reason; see LastError
)

// Connection is a tenant's account at one platform. Its credentials are kept
// apart (see Credentials) and never leave the hub.
type Connection struct {
	ID             string            `json:"id"`
	TenantID       string            `json:"tenant_id"`
	Provider       string            `json:"provider"`
	Name           string            `json:"name"`
	AuthMode       string            `json:"auth_mode"`
	Config         map[string]string `json:"config"`
	Scopes         []string          `json:"scopes,omitempty"`
	Status         string            `json:"status"`
	LastError      string            `json:"last_error,omitempty"`
	LastCheckedAt  *time.Time        `json:"last_checked_at,omitempty"`
	TokenExpiresAt *time.Time        `json:"token_expires_at,omitempty"`
	CreatedBy      string            `json:"created_by"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
	// InboundToken names the connection's inbound webhook endpoint,
	// /hooks/{token}; InboundWebhookURL is its public URL.
	InboundToken      string `json:"-"`
	InboundWebhookURL string `json:"inbound_webhook_url,omitempty"`
}

// Credentials are a connection's secrets, stored encrypted.
type Credentials struct {
	// Fields holds the typed-in secrets of an api_key mode (API keys,
	// application passwords, admin tokens), by catalogue field name.
	Fields map[string]string `json:"fields,omitempty"`
	// OAuth 2.0 tokens.
	AccessToken  string    `json:"access_token,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry,omitempty"`
	// Extras are values learnt while connecting that requests need, such as
	// Zoho's api_domain or Mailchimp's data centre.
	Extras map[string]string `json:"extras,omitempty"`
}

// ConnectionStore persists connections and their sealed credentials.
type ConnectionStore interface {
	// CreateConnection stores c and its credentials, filling ID and times.
	CreateConnection(ctx context.Context, c *Connection, creds *Credentials) error
	// Connection returns one of the tenant's connections or ENOTFOUND.
	Connection(ctx context.Context, tenantID, id string) (*Connection, error)
	// ListConnections pages through the tenant's connections, newest first.
	ListConnections(ctx context.Context, tenantID string, page Page) ([]*Connection, string, error)
	// ConnectionCredentials returns the credentials and their version, which
	// changes on every update.
	ConnectionCredentials(ctx context.Context, tenantID, id string) (*Credentials, int64, error)
	// UpdateCredentials replaces the credentials if their version is still
	// version (ECONFLICT otherwise) and returns the new version. The
	// connection becomes connected and its token expiry is updated.
	UpdateCredentials(ctx context.Context, tenantID, id string, creds *Credentials, version int64) (int64, error)
	// SetConnectionStatus records the outcome of a check or a refresh.
	SetConnectionStatus(ctx context.Context, tenantID, id, status, lastError string) error
	// DeleteConnection removes the connection and its credentials.
	DeleteConnection(ctx context.Context, tenantID, id string) error
	// ConnectionByInboundToken finds a connection, across tenants, by the
	// token of its inbound webhook URL, or ENOTFOUND.
	ConnectionByInboundToken(ctx context.Context, token string) (*Connection, error)
	// A connection store keeps the connections' check history too.
	ConnectionCheckStore
}

// Sources of a connection check.
const (
	CheckSourceTest      = "test"      // POST /api/v1/connections/{id}/test
	CheckSourceScheduled = "scheduled" // the worker's health sweep
	CheckSourceConnect   = "connect"   // the live check made while connecting or reconnecting
)

// ConnectionCheckHistory is how many checks are kept per connection; older
// ones are deleted as new ones are recorded.
const ConnectionCheckHistory = 100

// ConnectionCheck is one live check of a connection and its outcome.
type ConnectionCheck struct {
	ID           string    `json:"id"`
	TenantID     string    `json:"tenant_id"`
	ConnectionID string    `json:"connection_id"`
	CheckedAt    time.Time `json:"checked_at"`
	// Status is the connection's status after the check.
	Status string `json:"status"`
	// OK says whether the platform accepted the check.
	OK bool `json:"ok"`
	// Error is the reason the check failed.
	Error string `json:"error,omitempty"`
	// LatencyMS is how long the check took, in milliseconds.
	LatencyMS int `json:"latency_ms"`
	// Source is CheckSourceTest, CheckSourceScheduled or CheckSourceConnect.
	Source string `json:"source"`
}

// ConnectionCheckStore keeps the history of connections' live checks.
type ConnectionCheckStore interface {
	// RecordConnectionCheck records the outcome of a live check: the
	// connection takes chk.Status and chk.Error as its status and last error
	// (checked now), and chk joins its history, keeping the newest
	// ConnectionCheckHistory, in one transaction. It fills ID, TenantID and
	// CheckedAt; a connection that is gone is ENOTFOUND.
	RecordConnectionCheck(ctx context.Context, tenantID string, chk *ConnectionCheck) error
	// ListConnectionChecks pages through a connection's checks, newest first.
	ListConnectionChecks(ctx context.Context, tenantID, connectionID string, page Page) ([]*ConnectionCheck, string, error)
}

// ConnectionRef names one connection of one tenant.
type ConnectionRef struct {
	TenantID string `json:"tenant_id"`
	ID       string `json:"id"`
}

// ConnectionSweeper finds connections due for a health check, across tenants.
type ConnectionSweeper interface {
	// StaleConnections returns up to limit connections not checked since
	// before, oldest check first; expired connections are skipped (they
	// need a person to reconnect them).
	StaleConnections(ctx context.Context, before time.Time, limit int) ([]ConnectionRef, error)
}

// ConnectionChecker checks a connection live and records the outcome.
type ConnectionChecker interface {
	// Check runs the connection's verification call, records the outcome
	// and its source (CheckSourceTest, ...) and returns the connection.
	Check(ctx context.Context, tenantID, id, source string) (*Connection, error)
}

// OAuthApp is a tenant's own OAuth client registration at a platform, used
// instead of the operator's default app.
type OAuthApp struct {
	TenantID     string    `json:"tenant_id"`
	Provider     string    `json:"provider"`
	ClientID     string    `json:"client_id"`
	ClientSecret string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
}

// OAuthAppStore persists tenants' OAuth apps; secrets are sealed.
type OAuthAppStore interface {
	// PutOAuthApp creates or replaces the tenant's app for a provider.
	PutOAuthApp(ctx context.Context, app *OAuthApp) error
	// OAuthApp returns the tenant's app for a provider or ENOTFOUND.
	OAuthApp(ctx context.Context, tenantID, provider string) (*OAuthApp, error)
	// ListOAuthApps lists the tenant's apps (without secrets).
	ListOAuthApps(ctx context.Context, tenantID string) ([]*OAuthApp, error)
	// DeleteOAuthApp removes the tenant's app for a provider.
	DeleteOAuthApp(ctx context.Context, tenantID, provider string) error
}

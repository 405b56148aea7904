// Package mcpserver serves the hub's Model Context Protocol endpoint, /mcp:
// it exposes a tenant's connector actions and knowledge search as MCP tools
// to external AI clients (Claude Desktop, Cursor, any MCP client) over the
// streamable HTTP transport, authenticated with an API key whose scopes
// decide which tools are listed and callable.
//
// The endpoint is stateless: every HTTP request is authenticated on its own
// and gets a fresh MCP server holding exactly the tools its key may call, so
// any brain replica can serve any request and no session lives in memory.
package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/httpapi"
)

// Path is where the lead mounts the endpoint.
const Path = "/mcp"

// HeaderAPIKey carries an API key; "Authorization: Bearer bzk_..." is
// accepted as well, since that is what most MCP clients know how to send.
const HeaderAPIKey = "X-API-Key"

// Resources and actions the tools need (the API key's scopes, checked by the
// Authorizer). A read connector action needs connections:read; a write one
// needs connections:read and connections:write, like
// POST /api/v1/connections/{id}/actions/{action}; search_knowledge needs
// knowledge:read.
const (
	ResourceConnections = "connections"
	ResourceKnowledge   = "knowledge"
)

// Authorizer decides whether a principal may act on a resource inside a
// tenant; hub.Authorizer (rbac.Authorizer) satisfies it.
type Authorizer interface {
	Authorize(ctx context.Context, p hub.Principal, tenantID, resource, action string) error
}

// ConnectionLister pages through a tenant's connections;
// hub.ConnectionStore satisfies it.
type ConnectionLister interface {
	ListConnections(ctx context.Context, tenantID string, page hub.Page) ([]*hub.Connection, string, error)
}

// KnowledgeBaseLister pages through a tenant's knowledge bases;
// hub.KnowledgeStore satisfies it.
type KnowledgeBaseLister interface {
	ListKnowledgeBases(ctx context.Context, tenantID string, page hub.Page) ([]*hub.KnowledgeBase, string, error)
}

// Action describes one typed connector action: the fields of
// connectors.Action that a tool needs. Input and Output are JSON Schemas
// (draft 2020-12); Input must be an object schema.
type Action struct {
	Name        string // "<provider>.<verb_noun>", e.g. hubspot.search_contacts
	Provider    string
	Title       string
	Description string
	Write       bool // changes data at the platform
	Input       json.RawMessage
	Output      json.RawMessage
}

// ActionCatalog lists the actions of one provider, like connectors.Actions.
type ActionCatalog func(provider string) []Action

// Config holds the handler's dependencies. Authenticator, Authorizer,
// Connections, Actions and Runner are required.
type Config struct {
	// Authenticator turns the request's API key into a principal (the
	// gateway's authn.Authenticator). Only API-key principals are served.
	Authenticator httpapi.Authenticator
	// Authorizer checks the key's scopes (rbac.Authorizer).
	Authorizer Authorizer
	// Connections lists the tenant's connections.
	Connections ConnectionLister
	// Actions is the action catalogue.
	Actions ActionCatalog
	// Runner runs connector actions (connectors.Service).
	Runner hub.ConnectorActionRunner

	// Knowledge, when set, adds the search_knowledge tool.
	Knowledge hub.KnowledgeSearcher
	// KnowledgeBases, when set with Knowledge, names the tenant's
	// knowledge bases in search_knowledge's description, checks
	// knowledge_base_id against them, searches all of them when none is
	// given, and hides the tool from tenants without any. Without it the
	// searcher gets nil ids when none is given and must read that as "every
	// base of the tenant".
	KnowledgeBases KnowledgeBaseLister
	// Audit, when set, records every write action run through MCP as
	// "connection.action", like the HTTP action route does.
	Audit hub.AuditLog
	// Log receives internal errors (never shown to clients); nil discards.
	Log *slog.Logger
	// CacheTTL is how long a tenant's connection and knowledge-base lists
	// are reused across requests (5 seconds when zero; negative disables).
	CacheTTL time.Duration
	// Version is reported to clients as the server version.
	Version string
}

// Handler serves /mcp.
type Handler struct {
	cfg   Config
	mcp   *mcp.StreamableHTTPHandler
	cache *tenantCache
}

// New returns the handler, or an error naming a missing dependency.
func New(cfg Config) (*Handler, error) {
	switch {
	case cfg.Authenticator == nil:
		return nil, errors.New("mcpserver: Config.Authenticator is required")
	case cfg.Authorizer == nil:
		return nil, errors.New("mcpserver: Config.Authorizer is required")
	case cfg.Connections == nil:
		return nil, errors.New("mcpserver: Config.Connections is required")
	case cfg.Actions == nil:
		return nil, errors.New("mcpserver: Config.Actions is required")
	case cfg.Runner == nil:
		return nil, errors.New("mcpserver: Config.Runner is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = 5 * time.Second
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	h := &Handler{cfg: cfg, cache: newTenantCache(cfg.CacheTTL)}
	h.mcp = mcp.NewStreamableHTTPHandler(serverFromContext, &mcp.StreamableHTTPOptions{
		// Stateless: no Mcp-Session-Id, no session kept in memory; each
		// POST is served by the server built for it.
		Stateless: true,
		// Plain JSON answers: no tool streams progress, and JSON passes
		// every proxy and the access log unchanged.
		JSONResponse: true,
		Logger:       cfg.Log,
		// The SDK's DNS-rebinding guard refuses loopback connections whose
		// Host is not loopback, which is every request through a reverse
		// proxy on the same machine. It protects servers without
		// credentials; this one refuses any request without an API key,
		// which a rebinding page does not have.
		DisableLocalhostProtection: true,
		MaxRequestBodyBytes:        httpapi.MaxBodyBytes,
	})
	return h, nil
}

// Routes returns the /mcp route. It is Public in the route table because the
// handler authenticates itself: it takes API keys only (X-API-Key or
// Authorization: Bearer bzk_...) and answers 401 problem+json otherwise.
// GET and DELETE are not served (405): a stateless server has no stream or
// session to open or end.
func (h *Handler) Routes() []httpapi.Route {
	return []httpapi.Route{{
		Method: http.MethodPost, Path: Path, Tag: "mcp", Public: true,
		Summary: "Model Context Protocol (streamable HTTP, stateless): the tenant's connector actions and knowledge search as tools; API key only",
		Handler: h.serve,
	}}
}

func (h *Handler) serve(c echo.Context) error {
	req := c.Request()
	p, err := h.authenticate(req)
	if err != nil {
		if hub.ErrorCode(err) == hub.EUNAUTHORIZED {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="bizos"`)
		}
		return err
	}
	ctx := hub.NewContextWithPrincipal(req.Context(), p)
	srv, err := h.server(ctx, p)
	if err != nil {
		return err
	}
	req = req.WithContext(context.WithValue(ctx, serverKey{}, srv))
	c.SetRequest(req)
	h.mcp.ServeHTTP(c.Response(), req)
	return nil
}

var (
	errNoAPIKey = hub.Errorf(hub.EUNAUTHORIZED,
		"The MCP endpoint needs an API key: send it as X-API-Key or as Authorization: Bearer bzk_...")
	errAPIKeyOnly = hub.Errorf(hub.EUNAUTHORIZED,
		"The MCP endpoint accepts API keys only (bzk_...); a tenant admin creates them with POST /tenants/{id}/api-keys.")
)

// authenticate finds the request's API key, has the Authenticator check it,
// and accepts only API-key principals bound to a tenant.
func (h *Handler) authenticate(r *http.Request) (hub.Principal, error) {
	key := strings.TrimSpace(r.Header.Get(HeaderAPIKey))
	if key == "" {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		token = strings.TrimSpace(token)
		if ok && strings.EqualFold(scheme, "Bearer") && strings.HasPrefix(token, "bzk_") {
			key = token
		} else if r.Header.Get("Authorization") != "" {
			return hub.Principal{}, errAPIKeyOnly
		}
	}
	if key == "" {
		return hub.Principal{}, errNoAPIKey
	}
	// The gateway's authenticator reads API keys from X-API-Key and takes
	// any Authorization header for an access token, so it sees the key there.
	kr := r.Clone(r.Context())
	kr.Header.Del("Authorization")
	kr.Header.Set(HeaderAPIKey, key)
	p, err := h.cfg.Authenticator.Authenticate(kr)
	if err != nil {
		if code := hub.ErrorCode(err); code != hub.EINTERNAL {
			return hub.Principal{}, err
		}
		return hub.Principal{}, fmt.Errorf("mcpserver: authenticate: %w", err)
	}
	if p.Kind != hub.PrincipalAPIKey || p.TenantID == "" {
		return hub.Principal{}, errAPIKeyOnly
	}
	return p, nil
}

type serverKey struct{}

// serverFromContext hands the SDK the server built for the request.
func serverFromContext(r *http.Request) *mcp.Server {
	s, _ := r.Context().Value(serverKey{}).(*mcp.Server)
	return s
}

// Package brain is the Brain Gateway's HTTP surface: it mounts the gateway's
// routes behind authentication and authorization, and publishes the OpenAPI
// document generated from the same route table.
package brain

import (
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/httpapi"
)

// Config holds the gateway's dependencies.
type Config struct {
	Authn    httpapi.Authenticator
	Authz    hub.Authorizer
	Log      *slog.Logger
	Registry *prometheus.Registry
	// Ready lists what /readyz checks (PostgreSQL, Redis, Temporal).
	Ready map[string]httpapi.Check
	// Version is reported in the OpenAPI document.
	Version string
	// Routes are the capability route tables wired in by the caller
	// (connectors, and later integrations and agents).
	Routes []httpapi.Route
}

// Server is the gateway.
type Server struct {
	cfg    Config
	routes []httpapi.Route
}

// New builds the gateway's echo instance.
func New(cfg Config) (*echo.Echo, *Server, error) {
	s := &Server{cfg: cfg}
	e, err := httpapi.NewEcho(httpapi.ServerConfig{Service: "brain", Log: cfg.Log, Registry: cfg.Registry})
	if err != nil {
		return nil, nil, err
	}
	s.routes = append(httpapi.OpsRoutes("brain", cfg.Registry, cfg.Ready), s.apiRoutes()...)
	s.routes = append(s.routes, cfg.Routes...)
	s.routes = append(s.routes, httpapi.Route{Method: http.MethodGet, Path: "/api/openapi.json", Summary: "This document",
		Tag: "ops", Public: true, Handler: s.openapi})
	httpapi.Mount(e, s.routes, cfg.Authn, cfg.Authz)
	return e, s, nil
}

// Routes returns the gateway's route table.
func (s *Server) Routes() []httpapi.Route { return s.routes }

func (s *Server) apiRoutes() []httpapi.Route {
	return []httpapi.Route{
		{Method: http.MethodGet, Path: "/api/v1/me", Summary: "The authenticated caller as the gateway sees it", Tag: "auth",
			Response: Caller{}, Handler: s.me},
	}
}

func (s *Server) openapi(c echo.Context) error {
	return c.JSON(http.StatusOK, httpapi.OpenAPI("BizOS Hub Brain Gateway", s.cfg.Version, s.routes))
}

// Caller is the answer of GET /api/v1/me.
type Caller struct {
	Kind       hub.PrincipalKind `json:"kind"`
	ID         string            `json:"id"`
	TenantID   string            `json:"tenant_id"`
	SuperAdmin bool              `json:"super_admin"`
	Email      string            `json:"email,omitempty"`
}

func (s *Server) me(c echo.Context) error {
	p := httpapi.Principal(c)
	return c.JSON(http.StatusOK, Caller{Kind: p.Kind, ID: p.ID, TenantID: p.TenantID, SuperAdmin: p.SuperAdmin, Email: p.Email})
}

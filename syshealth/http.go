package syshealth

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/httpapi"
)

// Handler serves GET /api/v1/admin/health.
type Handler struct {
	svc   *Service
	authz hub.Authorizer
}

// NewHandler returns the HTTP handler of svc; authz confirms that the caller
// holds the super admin role.
func NewHandler(svc *Service, authz hub.Authorizer) *Handler {
	return &Handler{svc: svc, authz: authz}
}

// Routes returns the system health route. It needs a signed-in super admin:
// anyone else, API keys included, gets 403 (the route's existence is no secret).
func (h *Handler) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Method: http.MethodGet, Path: "/api/v1/admin/health", Summary: "System health (super admin): components, request and platform call figures, Temporal, webhooks",
			Tag: "admin", Response: Report{}, Handler: h.health},
	}
}

// superAdmin refuses every caller but a user holding the global super admin role.
func (h *Handler) superAdmin(ctx context.Context, p hub.Principal) error {
	refused := hub.Errorf(hub.EFORBIDDEN, "Only super admins may see system health.")
	if p.Kind != hub.PrincipalUser || !p.SuperAdmin {
		return refused
	}
	if err := h.authz.Authorize(ctx, p, httpapi.TenantGlobal, "system", hub.ActionRead); err != nil {
		switch hub.ErrorCode(err) {
		case hub.EFORBIDDEN, hub.ENOTFOUND:
			return refused
		}
		return err
	}
	return nil
}

func (h *Handler) health(c echo.Context) error {
	ctx := c.Request().Context()
	if err := h.superAdmin(ctx, httpapi.Principal(c)); err != nil {
		return err
	}
	r, err := h.svc.Report(ctx)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, r)
}

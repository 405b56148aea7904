package webhooks

import (
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/httpapi"
)

// Handler serves /api/v1/webhooks.
type Handler struct {
	svc *Service
	// Audit records changes when set.
	Audit hub.AuditLog
	// Log receives audit failures; nil discards them.
	Log *slog.Logger
}

// NewHandler returns the HTTP handler of svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Routes returns the outbound webhook routes (resource "webhooks").
func (h *Handler) Routes() []httpapi.Route {
	read, write := httpapi.Permission("webhooks", hub.ActionRead), httpapi.Permission("webhooks", hub.ActionWrite)
	page := httpapi.PageQuery
	return []httpapi.Route{
		write(httpapi.Route{Method: http.MethodPost, Path: "/api/v1/webhooks", Summary: "Register an endpoint; the answer shows its secret once",
			Request: EndpointRequest{}, Response: hub.WebhookEndpoint{}, Status: http.StatusCreated, Handler: h.create}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/webhooks", Summary: "List endpoints", Query: page,
			Response: httpapi.List[*hub.WebhookEndpoint]{}, Handler: h.list}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/webhooks/:id", Summary: "One endpoint", Response: hub.WebhookEndpoint{}, Handler: h.get}),
		write(httpapi.Route{Method: http.MethodPatch, Path: "/api/v1/webhooks/:id", Summary: "Change the URL, event types, description or enabled flag",
			Request: EndpointPatch{}, Response: hub.WebhookEndpoint{}, Handler: h.update}),
		write(httpapi.Route{Method: http.MethodDelete, Path: "/api/v1/webhooks/:id", Summary: "Delete an endpoint and its deliveries",
			Status: http.StatusNoContent, Handler: h.delete}),
		write(httpapi.Route{Method: http.MethodPost, Path: "/api/v1/webhooks/:id/rotate-secret",
			Summary: "New secret (shown once); the old one keeps signing for 24 hours", Response: hub.WebhookEndpoint{}, Handler: h.rotate}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/webhooks/:id/deliveries", Summary: "An endpoint's deliveries with their attempts",
			Query: page, Response: httpapi.List[*hub.WebhookDelivery]{}, Handler: h.deliveries}),
		write(httpapi.Route{Method: http.MethodPost, Path: "/api/v1/webhooks/:id/deliveries/:delivery_id/replay",
			Summary: "Deliver the event again", Response: hub.WebhookDelivery{}, Status: http.StatusAccepted, Handler: h.replay}),
	}
}

func (h *Handler) record(c echo.Context, action, targetID string) {
	if h.Audit == nil {
		return
	}
	p := httpapi.Principal(c)
	meta := hub.RequestMetaFromContext(c.Request().Context())
	e := &hub.AuditEntry{TenantID: p.TenantID, ActorType: string(p.Kind), ActorID: p.ID, Action: action, TargetType: "webhook_endpoint",
		TargetID: targetID, RequestID: meta.RequestID, IP: meta.IP}
	if err := h.Audit.RecordAudit(c.Request().Context(), e); err != nil && h.Log != nil {
		h.Log.ErrorContext(c.Request().Context(), "audit record failed", "action", action, "err", err)
	}
}

func (h *Handler) create(c echo.Context) error {
	var req EndpointRequest
	if err := httpapi.Bind(c, &req); err != nil {
		return err
	}
	e, err := h.svc.Create(c.Request().Context(), httpapi.Principal(c), req)
	if err != nil {
		return err
	}
	h.record(c, "webhook.create", e.ID)
	return c.JSON(http.StatusCreated, e)
}

func (h *Handler) list(c echo.Context) error {
	page, err := httpapi.PageFrom(c)
	if err != nil {
		return err
	}
	items, next, err := h.svc.cfg.Store.ListWebhookEndpoints(c.Request().Context(), httpapi.Principal(c).TenantID, page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpapi.NewList(items, next))
}

func (h *Handler) get(c echo.Context) error {
	e, err := h.svc.cfg.Store.WebhookEndpoint(c.Request().Context(), httpapi.Principal(c).TenantID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, e)
}

func (h *Handler) update(c echo.Context) error {
	var patch EndpointPatch
	if err := httpapi.Bind(c, &patch); err != nil {
		return err
	}
	e, err := h.svc.Update(c.Request().Context(), httpapi.Principal(c).TenantID, c.Param("id"), patch)
	if err != nil {
		return err
	}
	h.record(c, "webhook.update", e.ID)
	return c.JSON(http.StatusOK, e)
}

func (h *Handler) delete(c echo.Context) error {
	if err := h.svc.cfg.Store.DeleteWebhookEndpoint(c.Request().Context(), httpapi.Principal(c).TenantID, c.Param("id")); err != nil {
		return err
	}
	h.record(c, "webhook.delete", c.Param("id"))
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) rotate(c echo.Context) error {
	e, err := h.svc.RotateSecret(c.Request().Context(), httpapi.Principal(c).TenantID, c.Param("id"))
	if err != nil {
		return err
	}
	h.record(c, "webhook.rotate_secret", e.ID)
	return c.JSON(http.StatusOK, e)
}

func (h *Handler) deliveries(c echo.Context) error {
	tenantID := httpapi.Principal(c).TenantID
	if _, err := h.svc.cfg.Store.WebhookEndpoint(c.Request().Context(), tenantID, c.Param("id")); err != nil {
		return err
	}
	page, err := httpapi.PageFrom(c)
	if err != nil {
		return err
	}
	items, next, err := h.svc.cfg.Store.ListWebhookDeliveries(c.Request().Context(), tenantID, c.Param("id"), page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpapi.NewList(items, next))
}

func (h *Handler) replay(c echo.Context) error {
	d, err := h.svc.Replay(c.Request().Context(), httpapi.Principal(c).TenantID, c.Param("id"), c.Param("delivery_id"))
	if err != nil {
		return err
	}
	h.record(c, "webhook.replay", c.Param("id"))
	return c.JSON(http.StatusAccepted, d)
}

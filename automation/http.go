package automation

import (
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/httpapi"
)

// Handler serves /api/v1/rules and /api/v1/rule-runs.
type Handler struct {
	svc *Service
	// Audit records changes when set.
	Audit hub.AuditLog
	// Log receives audit failures; nil discards them.
	Log *slog.Logger
}

// NewHandler returns the HTTP handler of svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Routes returns the rule routes (resource "rules").
func (h *Handler) Routes() []httpapi.Route {
	read, write := httpapi.Permission("rules", hub.ActionRead), httpapi.Permission("rules", hub.ActionWrite)
	page := httpapi.PageQuery
	return []httpapi.Route{
		write(httpapi.Route{Method: http.MethodPost, Path: "/api/v1/rules", Summary: "Create an automation rule",
			Request: RuleRequest{}, Response: hub.Rule{}, Status: http.StatusCreated, Handler: h.create}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/rules", Summary: "List rules", Query: page,
			Response: httpapi.List[*hub.Rule]{}, Handler: h.list}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/rules/:id", Summary: "One rule", Response: hub.Rule{}, Handler: h.get}),
		write(httpapi.Route{Method: http.MethodPut, Path: "/api/v1/rules/:id", Summary: "Replace a rule",
			Request: RuleRequest{}, Response: hub.Rule{}, Handler: h.replace}),
		write(httpapi.Route{Method: http.MethodPatch, Path: "/api/v1/rules/:id", Summary: "Change some of a rule's fields",
			Request: RulePatch{}, Response: hub.Rule{}, Handler: h.update}),
		write(httpapi.Route{Method: http.MethodDelete, Path: "/api/v1/rules/:id", Summary: "Delete a rule and its runs",
			Status: http.StatusNoContent, Handler: h.delete}),
		write(httpapi.Route{Method: http.MethodPost, Path: "/api/v1/rules/:id/run", Summary: "Fire a scheduled rule now",
			Response: hub.Rule{}, Status: http.StatusAccepted, Handler: h.runNow}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/rules/:id/runs", Summary: "A rule's runs with their steps",
			Query: page, Response: httpapi.List[*hub.RuleRun]{}, Handler: h.runs}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/rule-runs/:run_id", Summary: "One rule run with its steps",
			Response: hub.RuleRun{}, Handler: h.run}),
		write(httpapi.Route{Method: http.MethodPost, Path: "/api/v1/rule-runs/:run_id/retry",
			Summary: "Run a failed run again from its first failed step", Response: hub.RuleRun{}, Status: http.StatusAccepted, Handler: h.retry}),
	}
}

func (h *Handler) record(c echo.Context, action, targetType, targetID string) {
	httpapi.Auditor{Audit: h.Audit, Log: h.Log}.Record(c, action, targetType, targetID, nil)
}

func (h *Handler) create(c echo.Context) error {
	var req RuleRequest
	if err := httpapi.Bind(c, &req); err != nil {
		return err
	}
	r, err := h.svc.Create(c.Request().Context(), httpapi.Principal(c), req)
	if err != nil {
		return err
	}
	h.record(c, "rule.create", "rule", r.ID)
	return c.JSON(http.StatusCreated, r)
}

func (h *Handler) list(c echo.Context) error {
	page, err := httpapi.PageFrom(c)
	if err != nil {
		return err
	}
	items, next, err := h.svc.cfg.Rules.ListRules(c.Request().Context(), httpapi.Principal(c).TenantID, page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpapi.NewList(items, next))
}

func (h *Handler) get(c echo.Context) error {
	r, err := h.svc.cfg.Rules.Rule(c.Request().Context(), httpapi.Principal(c).TenantID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h *Handler) replace(c echo.Context) error {
	var req RuleRequest
	if err := httpapi.Bind(c, &req); err != nil {
		return err
	}
	r, err := h.svc.Replace(c.Request().Context(), httpapi.Principal(c).TenantID, c.Param("id"), req)
	if err != nil {
		return err
	}
	h.record(c, "rule.update", "rule", r.ID)
	return c.JSON(http.StatusOK, r)
}

func (h *Handler) update(c echo.Context) error {
	var patch RulePatch
	if err := httpapi.Bind(c, &patch); err != nil {
		return err
	}
	r, err := h.svc.Update(c.Request().Context(), httpapi.Principal(c).TenantID, c.Param("id"), patch)
	if err != nil {
		return err
	}
	h.record(c, "rule.update", "rule", r.ID)
	return c.JSON(http.StatusOK, r)
}

func (h *Handler) delete(c echo.Context) error {
	if err := h.svc.Delete(c.Request().Context(), httpapi.Principal(c).TenantID, c.Param("id")); err != nil {
		return err
	}
	h.record(c, "rule.delete", "rule", c.Param("id"))
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) runs(c echo.Context) error {
	tenantID := httpapi.Principal(c).TenantID
	if _, err := h.svc.cfg.Rules.Rule(c.Request().Context(), tenantID, c.Param("id")); err != nil {
		return err
	}
	page, err := httpapi.PageFrom(c)
	if err != nil {
		return err
	}
	items, next, err := h.svc.cfg.Rules.ListRuleRuns(c.Request().Context(), tenantID, c.Param("id"), page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpapi.NewList(items, next))
}

func (h *Handler) run(c echo.Context) error {
	r, err := h.svc.cfg.Rules.RuleRun(c.Request().Context(), httpapi.Principal(c).TenantID, c.Param("run_id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h *Handler) retry(c echo.Context) error {
	r, err := h.svc.Retry(c.Request().Context(), httpapi.Principal(c).TenantID, c.Param("run_id"))
	if err != nil {
		return err
	}
	h.record(c, "rule_run.retry", "rule_run", r.ID)
	return c.JSON(http.StatusAccepted, r)
}

func (h *Handler) runNow(c echo.Context) error {
	r, err := h.svc.RunNow(c.Request().Context(), httpapi.Principal(c).TenantID, c.Param("id"))
	if err != nil {
		return err
	}
	h.record(c, "rule.run_now", "rule", r.ID)
	return c.JSON(http.StatusAccepted, r)
}

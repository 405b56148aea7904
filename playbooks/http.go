package playbooks

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"
	"gopkg.in/yaml.v3"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/httpapi"
)

// maxBody bounds a playbook definition.
const maxBody = 1 << 20

// Handler serves /api/v1/playbooks, /api/v1/playbook-runs and
// /api/v1/playbook-templates.
type Handler struct {
	svc *Service
	// Audit records changes when set.
	Audit hub.AuditLog
	// Log receives audit failures; nil discards them.
	Log *slog.Logger
}

// NewHandler returns the HTTP handler of svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Routes returns the playbook routes (resource "playbooks").
func (h *Handler) Routes() []httpapi.Route {
	read, write := httpapi.Permission("playbooks", hub.ActionRead), httpapi.Permission("playbooks", hub.ActionWrite)
	page := httpapi.PageQuery
	return []httpapi.Route{
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/playbook-templates", Summary: "Ready-made playbooks and the parameters they need",
			Response: httpapi.List[*PlaybookTemplate]{}, Handler: h.templates}),
		write(httpapi.Route{Method: http.MethodPost, Path: "/api/v1/playbooks",
			Summary: "Create a playbook from a JSON or YAML (application/yaml) definition, or from a template",
			Request: CreateRequest{}, Response: hub.Playbook{}, Status: http.StatusCreated, Handler: h.create}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/playbooks", Summary: "List playbooks", Query: page,
			Response: httpapi.List[*hub.Playbook]{}, Handler: h.list}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/playbooks/:id", Summary: "One playbook", Response: hub.Playbook{}, Handler: h.get}),
		write(httpapi.Route{Method: http.MethodPut, Path: "/api/v1/playbooks/:id", Summary: "Replace a playbook's definition (JSON or YAML)",
			Request: Definition{}, Response: hub.Playbook{}, Handler: h.replace}),
		write(httpapi.Route{Method: http.MethodDelete, Path: "/api/v1/playbooks/:id", Summary: "Delete a playbook, its runs and its schedule",
			Status: http.StatusNoContent, Handler: h.delete}),
		write(httpapi.Route{Method: http.MethodPost, Path: "/api/v1/playbooks/:id/runs", Summary: "Run a playbook now",
			Request: RunRequest{}, Response: hub.PlaybookRun{}, Status: http.StatusCreated, Handler: h.start}),
		write(httpapi.Route{Method: http.MethodPost, Path: "/api/v1/playbooks/:id/schedule/trigger", Summary: "Fire a playbook's schedule now",
			Status: http.StatusAccepted, Handler: h.trigger}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/playbooks/:id/runs", Summary: "A playbook's runs with their steps", Query: page,
			Response: httpapi.List[*hub.PlaybookRun]{}, Handler: h.runs}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/playbook-runs/:run_id", Summary: "One playbook run with its steps",
			Response: hub.PlaybookRun{}, Handler: h.run}),
		write(httpapi.Route{Method: http.MethodPost, Path: "/api/v1/playbook-runs/:run_id/approvals", Summary: "Approve or reject a waiting approval step",
			Request: DecisionRequest{}, Response: hub.PlaybookRun{}, Status: http.StatusAccepted, Handler: h.decide}),
		write(httpapi.Route{Method: http.MethodPost, Path: "/api/v1/playbook-runs/:run_id/cancel", Summary: "Cancel a playbook run",
			Response: hub.PlaybookRun{}, Status: http.StatusAccepted, Handler: h.cancel}),
	}
}

func (h *Handler) record(c echo.Context, action, targetType, targetID string) {
	httpapi.Auditor{Audit: h.Audit, Log: h.Log}.Record(c, action, targetType, targetID, nil)
}

// bind decodes a JSON or YAML body into v; YAML is turned into JSON first,
// so both are read by the same strict decoder.
func bind(c echo.Context, v any) error {
	ct, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	switch ct {
	case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml":
	default:
		return httpapi.Bind(c, v)
	}
	raw, err := io.ReadAll(io.LimitReader(c.Request().Body, maxBody+1))
	if err != nil {
		return hub.Errorf(hub.EINVALID, "The body could not be read.")
	}
	if len(raw) > maxBody {
		return hub.Errorf(hub.EINVALID, "The definition is larger than 1 MiB.")
	}
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return hub.Errorf(hub.EINVALID, "The body is not valid YAML: %s", err.Error())
	}
	js, err := json.Marshal(doc)
	if err != nil {
		return hub.Errorf(hub.EINVALID, "The YAML cannot be read as JSON (use string keys): %s", err.Error())
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return hub.Errorf(hub.EINVALID, "The definition does not fit: %s", err.Error())
	}
	return nil
}

func tenant(c echo.Context) string { return httpapi.Principal(c).TenantID }

func (h *Handler) templates(c echo.Context) error {
	ts, err := Templates()
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpapi.List[*PlaybookTemplate]{Items: ts})
}

func (h *Handler) create(c echo.Context) error {
	var req CreateRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	pb, err := h.svc.Create(c.Request().Context(), httpapi.Principal(c), req)
	if err != nil {
		return err
	}
	h.record(c, "playbook.create", "playbook", pb.ID)
	return c.JSON(http.StatusCreated, pb)
}

func (h *Handler) list(c echo.Context) error {
	page, err := httpapi.PageFrom(c)
	if err != nil {
		return err
	}
	items, next, err := h.svc.cfg.Store.ListPlaybooks(c.Request().Context(), tenant(c), page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpapi.List[*hub.Playbook]{Items: items, NextCursor: next})
}

func (h *Handler) get(c echo.Context) error {
	pb, err := h.svc.cfg.Store.Playbook(c.Request().Context(), tenant(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pb)
}

func (h *Handler) replace(c echo.Context) error {
	var def Definition
	if err := bind(c, &def); err != nil {
		return err
	}
	pb, err := h.svc.Replace(c.Request().Context(), tenant(c), c.Param("id"), def)
	if err != nil {
		return err
	}
	h.record(c, "playbook.update", "playbook", pb.ID)
	return c.JSON(http.StatusOK, pb)
}

func (h *Handler) delete(c echo.Context) error {
	if err := h.svc.Delete(c.Request().Context(), tenant(c), c.Param("id")); err != nil {
		return err
	}
	h.record(c, "playbook.delete", "playbook", c.Param("id"))
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) start(c echo.Context) error {
	var req RunRequest
	if c.Request().ContentLength != 0 {
		if err := httpapi.Bind(c, &req); err != nil {
			return err
		}
	}
	p := httpapi.Principal(c)
	run, err := h.svc.StartPlaybook(c.Request().Context(), hub.PlaybookRunRequest{TenantID: p.TenantID, PlaybookID: c.Param("id"),
		Input: req.Input, Trigger: "api", CreatedBy: p.Subject()})
	if err != nil {
		return err
	}
	h.record(c, "playbook.run", "playbook_run", run.ID)
	return c.JSON(http.StatusCreated, run)
}

func (h *Handler) trigger(c echo.Context) error {
	if err := h.svc.RunNow(c.Request().Context(), tenant(c), c.Param("id")); err != nil {
		return err
	}
	h.record(c, "playbook.trigger", "playbook", c.Param("id"))
	return c.NoContent(http.StatusAccepted)
}

func (h *Handler) runs(c echo.Context) error {
	page, err := httpapi.PageFrom(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.svc.cfg.Store.Playbook(ctx, tenant(c), c.Param("id")); err != nil {
		return err
	}
	items, next, err := h.svc.cfg.Store.ListPlaybookRuns(ctx, tenant(c), c.Param("id"), page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpapi.List[*hub.PlaybookRun]{Items: items, NextCursor: next})
}

func (h *Handler) run(c echo.Context) error {
	run, err := h.svc.cfg.Store.PlaybookRun(c.Request().Context(), tenant(c), c.Param("run_id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, run)
}

func (h *Handler) decide(c echo.Context) error {
	var req DecisionRequest
	if err := httpapi.Bind(c, &req); err != nil {
		return err
	}
	run, err := h.svc.Decide(c.Request().Context(), httpapi.Principal(c), c.Param("run_id"), req)
	if err != nil {
		return err
	}
	h.record(c, "playbook.run."+req.Decision, "playbook_run", run.ID)
	return c.JSON(http.StatusAccepted, run)
}

func (h *Handler) cancel(c echo.Context) error {
	run, err := h.svc.Cancel(c.Request().Context(), tenant(c), c.Param("run_id"))
	if err != nil {
		return err
	}
	h.record(c, "playbook.run.cancel", "playbook_run", run.ID)
	return c.JSON(http.StatusAccepted, run)
}

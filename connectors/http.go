package connectors

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/httpapi"
)

// Handler serves the connector API of the gateway.
type Handler struct {
	svc   *Service
	audit hub.AuditLog
	authz hub.Authorizer
}

// NewHandler returns the HTTP handler of svc; changes are recorded in audit,
// and authz decides on actions that write.
func NewHandler(svc *Service, audit hub.AuditLog, authz hub.Authorizer) *Handler {
	return &Handler{svc: svc, audit: audit, authz: authz}
}

// ActionRequest is the body of POST /api/v1/connections/{id}/actions/{action}.
type ActionRequest struct {
	Input json.RawMessage `json:"input"`
}

// ActionResult is the answer of an action.
type ActionResult struct {
	Action string `json:"action"`
	Output any    `json:"output"`
}

// ConnectorView is a catalogue entry with the tenant's connection state.
type ConnectorView struct {
	*Provider
	// Status is not_connected, or the worst status among the tenant's
	// connections to this provider (error, expired, connected).
	Status      string `json:"status"`
	Connections int    `json:"connections"`
	LastError   string `json:"last_error,omitempty"`
	// Actions are the typed operations available on a connection of this provider.
	Actions []*Action `json:"actions"`
}

// Routes returns the connector routes.
func (h *Handler) Routes() []httpapi.Route {
	read := func(r httpapi.Route) httpapi.Route {
		r.Resource, r.Action, r.Tag = "connections", hub.ActionRead, "connections"
		return r
	}
	write := func(r httpapi.Route) httpapi.Route {
		r.Resource, r.Action, r.Tag = "connections", hub.ActionWrite, "connections"
		return r
	}
	routes := []httpapi.Route{
		{Method: http.MethodGet, Path: "/api/v1/connectors", Summary: "The 13 platforms with this tenant's connection status", Tag: "connectors",
			Resource: "connectors", Action: hub.ActionRead, Response: httpapi.List[ConnectorView]{}, Handler: h.listConnectors},
		{Method: http.MethodGet, Path: "/api/v1/connectors/:provider", Summary: "One platform: auth modes, connect-form fields", Tag: "connectors",
			Resource: "connectors", Action: hub.ActionRead, Response: ConnectorView{}, Handler: h.getConnector},
		write(httpapi.Route{Method: http.MethodPost, Path: "/api/v1/connections", Summary: "Connect with an API key or application password (checked live)",
			Request: ConnectRequest{}, Response: hub.Connection{}, Status: http.StatusCreated, Handler: h.connect}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/connections", Summary: "List connections",
			Query:    map[string]string{"cursor": "next_cursor of the previous page", "limit": "page size, 1-200", "provider": "only this provider"},
			Response: httpapi.List[*hub.Connection]{}, Handler: h.listConnections}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/connections/:id", Summary: "One connection", Response: hub.Connection{}, Handler: h.getConnection}),
		write(httpapi.Route{Method: http.MethodDelete, Path: "/api/v1/connections/:id", Summary: "Disconnect (revoking at the platform where possible)",
			Status: http.StatusNoContent, Handler: h.disconnect}),
		write(httpapi.Route{Method: http.MethodPost, Path: "/api/v1/connections/:id/test", Summary: "Check the connection live and record the outcome",
			Response: hub.Connection{}, Handler: h.test}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/connections/:id/checks",
			Summary:  "The connection's check history (tests, scheduled health checks, connects), newest first; the newest 100 are kept",
			Query:    map[string]string{"cursor": "next_cursor of the previous page", "limit": "page size, 1-200"},
			Response: httpapi.List[*hub.ConnectionCheck]{}, Handler: h.listChecks}),
		write(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/oauth/:provider/authorize", Summary: "Start connecting with OAuth: answers the platform URL to open",
			Query: map[string]string{"name": "connection name", "return_to": "portal path to come back to", "connection_id": "reconnect this connection",
				"config.<field>": "connect-form fields, e.g. config.shop"},
			Response: Authorization{}, Handler: h.authorize}),
		{Method: http.MethodGet, Path: "/api/v1/actions", Summary: "Every connector action with its input and output JSON Schemas", Tag: "connectors",
			Resource: "connectors", Action: hub.ActionRead, Query: map[string]string{"provider": "only this provider's actions"},
			Response: httpapi.List[*Action]{}, Handler: h.listActions},
		read(httpapi.Route{Method: http.MethodPost, Path: "/api/v1/connections/:id/actions/:action",
			Summary: "Run a typed action (writes need connections:write)", Request: ActionRequest{}, Response: ActionResult{}, Handler: h.runAction}),
		read(httpapi.Route{Method: http.MethodGet, Path: "/api/v1/crm/:kind", Summary: "Contacts, companies or deals across HubSpot, Zoho CRM and FluentCRM, read live",
			Query: map[string]string{"email": "contacts with this email", "updated_since": "RFC 3339 time", "connection_id": "only this connection",
				"cursor": "next_cursor of the previous page", "limit": "page size, 1-200 (default 50)"},
			Response: CRMPage{}, Handler: h.crm}),
		{Method: http.MethodGet, Path: "/api/v1/oauth-apps", Summary: "The tenant's own OAuth apps (client ids only)", Tag: "connectors",
			Resource: "connectors", Action: hub.ActionRead, Response: httpapi.List[*hub.OAuthApp]{}, Handler: h.listApps},
		{Method: http.MethodPut, Path: "/api/v1/oauth-apps/:provider", Summary: "Use the tenant's own OAuth app for a provider (tenant admins)", Tag: "connectors",
			Resource: "connectors", Action: hub.ActionWrite, Request: OAuthAppRequest{}, Response: hub.OAuthApp{}, Handler: h.putApp},
		{Method: http.MethodDelete, Path: "/api/v1/oauth-apps/:provider", Summary: "Go back to the operator's OAuth app for a provider", Tag: "connectors",
			Resource: "connectors", Action: hub.ActionWrite, Status: http.StatusNoContent, Handler: h.deleteApp},
		{Method: http.MethodGet, Path: "/api/v1/oauth/callback", Summary: "Where the platform sends the browser back", Tag: "connections",
			Public: true, Response: hub.Connection{}, Handler: h.callback},
	}
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		routes = append(routes, read(httpapi.Route{Method: m, Path: "/api/v1/connections/:id/proxy/*",
			Summary: "Call the platform's API with the connection's credentials", Handler: h.proxy}))
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		routes = append(routes, write(httpapi.Route{Method: m, Path: "/api/v1/connections/:id/proxy/*",
			Summary: "Call the platform's API with the connection's credentials", Handler: h.proxy}))
	}
	return routes
}

func (h *Handler) record(c echo.Context, action, targetID string, details map[string]any) {
	p := httpapi.Principal(c)
	meta := hub.RequestMetaFromContext(c.Request().Context())
	e := &hub.AuditEntry{TenantID: p.TenantID, ActorType: string(p.Kind), ActorID: p.ID, Action: action, TargetType: "connection",
		TargetID: targetID, RequestID: meta.RequestID, IP: meta.IP, Details: details}
	if err := h.audit.RecordAudit(c.Request().Context(), e); err != nil {
		h.svc.cfg.Log.ErrorContext(c.Request().Context(), "audit record failed", "action", action, "err", err)
	}
}

func (h *Handler) views(c echo.Context) (map[string]*ConnectorView, []*ConnectorView, error) {
	p := httpapi.Principal(c)
	byID := map[string]*ConnectorView{}
	var out []*ConnectorView
	for _, prov := range h.svc.cfg.Catalog.Providers {
		v := &ConnectorView{Provider: prov, Status: "not_connected", Actions: Actions(prov.ID)}
		if v.Actions == nil {
			v.Actions = []*Action{}
		}
		byID[prov.ID] = v
		out = append(out, v)
	}
	rank := map[string]int{"not_connected": 0, hub.ConnectionConnected: 1, hub.ConnectionExpired: 2, hub.ConnectionError: 3}
	cursor := ""
	for {
		conns, next, err := h.svc.cfg.Store.ListConnections(c.Request().Context(), p.TenantID, hub.Page{Cursor: cursor, Limit: hub.MaxPageLimit})
		if err != nil {
			return nil, nil, err
		}
		for _, conn := range conns {
			v, ok := byID[conn.Provider]
			if !ok {
				continue
			}
			v.Connections++
			if rank[conn.Status] > rank[v.Status] {
				v.Status, v.LastError = conn.Status, conn.LastError
			}
		}
		if next == "" {
			return byID, out, nil
		}
		cursor = next
	}
}

func (h *Handler) listConnectors(c echo.Context) error {
	_, all, err := h.views(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpapi.NewList(all, ""))
}

func (h *Handler) getConnector(c echo.Context) error {
	byID, _, err := h.views(c)
	if err != nil {
		return err
	}
	v, ok := byID[c.Param("provider")]
	if !ok {
		return hub.Errorf(hub.ENOTFOUND, "There is no connector %q.", c.Param("provider"))
	}
	return c.JSON(http.StatusOK, v)
}

func (h *Handler) connect(c echo.Context) error {
	var req ConnectRequest
	if err := httpapi.Bind(c, &req); err != nil {
		return err
	}
	conn, err := h.svc.Connect(c.Request().Context(), httpapi.Principal(c), req)
	if err != nil {
		return err
	}
	h.record(c, "connection.create", conn.ID, map[string]any{"provider": conn.Provider, "auth_mode": conn.AuthMode})
	return c.JSON(http.StatusCreated, h.svc.present(conn))
}

func (h *Handler) listConnections(c echo.Context) error {
	page, err := httpapi.PageFrom(c)
	if err != nil {
		return err
	}
	items, next, err := h.svc.cfg.Store.ListConnections(c.Request().Context(), httpapi.Principal(c).TenantID, page)
	if err != nil {
		return err
	}
	if prov := c.QueryParam("provider"); prov != "" {
		kept := items[:0]
		for _, it := range items {
			if it.Provider == prov {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	for _, it := range items {
		h.svc.present(it)
	}
	return c.JSON(http.StatusOK, httpapi.NewList(items, next))
}

func (h *Handler) getConnection(c echo.Context) error {
	conn, err := h.svc.cfg.Store.Connection(c.Request().Context(), httpapi.Principal(c).TenantID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.svc.present(conn))
}

func (h *Handler) disconnect(c echo.Context) error {
	if err := h.svc.Disconnect(c.Request().Context(), httpapi.Principal(c).TenantID, c.Param("id")); err != nil {
		return err
	}
	h.record(c, "connection.delete", c.Param("id"), nil)
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) test(c echo.Context) error {
	conn, err := h.svc.Test(c.Request().Context(), httpapi.Principal(c).TenantID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.svc.present(conn))
}

func (h *Handler) listChecks(c echo.Context) error {
	page, err := httpapi.PageFrom(c)
	if err != nil {
		return err
	}
	ctx, tenantID, id := c.Request().Context(), httpapi.Principal(c).TenantID, c.Param("id")
	if _, err := h.svc.cfg.Store.Connection(ctx, tenantID, id); err != nil {
		return err
	}
	items, next, err := h.svc.cfg.Store.ListConnectionChecks(ctx, tenantID, id, page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpapi.NewList(items, next))
}

func (h *Handler) crm(c echo.Context) error {
	q := CRMQuery{Email: c.QueryParam("email"), ConnectionID: c.QueryParam("connection_id"), Cursor: c.QueryParam("cursor")}
	if v := c.QueryParam("updated_since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return hub.InvalidField("updated_since", "must be an RFC 3339 time such as 2026-01-31T00:00:00Z")
		}
		q.UpdatedSince = t
	}
	page, err := httpapi.PageFrom(c)
	if err != nil {
		return err
	}
	q.Limit = page.Limit
	out, err := h.svc.CRMList(c.Request().Context(), httpapi.Principal(c).TenantID, c.Param("kind"), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// OAuthAppRequest is the body of PUT /api/v1/oauth-apps/{provider}.
type OAuthAppRequest struct {
	ClientID     string     `json:"client_id"`
	ClientSecret hub.Secret `json:"client_secret"`
}

func (h *Handler) apps() (hub.OAuthAppStore, error) {
	if h.svc.cfg.TenantApps == nil {
		return nil, hub.Errorf(hub.ENOTFOUND, "Tenant OAuth apps are not enabled.")
	}
	return h.svc.cfg.TenantApps, nil
}

func (h *Handler) listApps(c echo.Context) error {
	store, err := h.apps()
	if err != nil {
		return err
	}
	items, err := store.ListOAuthApps(c.Request().Context(), httpapi.Principal(c).TenantID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpapi.NewList(items, ""))
}

func (h *Handler) putApp(c echo.Context) error {
	store, err := h.apps()
	if err != nil {
		return err
	}
	prov, ok := h.svc.cfg.Catalog.Provider(c.Param("provider"))
	if !ok {
		return hub.Errorf(hub.ENOTFOUND, "There is no connector %q.", c.Param("provider"))
	}
	if _, ok := prov.Mode(ModeOAuth2); !ok {
		return hub.Errorf(hub.EINVALID, "%s does not connect with OAuth.", prov.Name)
	}
	var req OAuthAppRequest
	if err := httpapi.Bind(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.ClientID) == "" || len(req.ClientID) > 500 {
		return hub.InvalidField("client_id", "is required")
	}
	if req.ClientSecret == "" || len(req.ClientSecret) > 2000 {
		return hub.InvalidField("client_secret", "is required")
	}
	app := &hub.OAuthApp{TenantID: httpapi.Principal(c).TenantID, Provider: prov.ID, ClientID: strings.TrimSpace(req.ClientID),
		ClientSecret: req.ClientSecret.Reveal()}
	if err := store.PutOAuthApp(c.Request().Context(), app); err != nil {
		return err
	}
	h.recordApp(c, "oauth_app.put", prov.ID)
	return c.JSON(http.StatusOK, app)
}

func (h *Handler) deleteApp(c echo.Context) error {
	store, err := h.apps()
	if err != nil {
		return err
	}
	if err := store.DeleteOAuthApp(c.Request().Context(), httpapi.Principal(c).TenantID, c.Param("provider")); err != nil {
		return err
	}
	h.recordApp(c, "oauth_app.delete", c.Param("provider"))
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) recordApp(c echo.Context, action, provider string) {
	p := httpapi.Principal(c)
	meta := hub.RequestMetaFromContext(c.Request().Context())
	e := &hub.AuditEntry{TenantID: p.TenantID, ActorType: string(p.Kind), ActorID: p.ID, Action: action, TargetType: "oauth_app",
		TargetID: provider, RequestID: meta.RequestID, IP: meta.IP}
	if err := h.audit.RecordAudit(c.Request().Context(), e); err != nil {
		h.svc.cfg.Log.ErrorContext(c.Request().Context(), "audit record failed", "action", action, "err", err)
	}
}

func (h *Handler) listActions(c echo.Context) error {
	return c.JSON(http.StatusOK, httpapi.NewList(Actions(c.QueryParam("provider")), ""))
}

func (h *Handler) runAction(c echo.Context) error {
	name := c.Param("action")
	a, ok := LookupAction(name)
	if !ok {
		return hub.Errorf(hub.ENOTFOUND, "There is no action %q; see GET /api/v1/actions.", name)
	}
	p := httpapi.Principal(c)
	if a.Write {
		if err := h.authz.Authorize(c.Request().Context(), p, p.TenantID, "connections", hub.ActionWrite); err != nil {
			return err
		}
	}
	var req ActionRequest
	if err := httpapi.Bind(c, &req); err != nil {
		return err
	}
	out, err := h.svc.RunAction(c.Request().Context(), p.TenantID, c.Param("id"), name, req.Input)
	if err != nil {
		return err
	}
	if a.Write {
		h.record(c, "connection.action", c.Param("id"), map[string]any{"action": name})
	}
	return c.JSON(http.StatusOK, ActionResult{Action: name, Output: out})
}

func (h *Handler) authorize(c echo.Context) error {
	q := c.QueryParams()
	req := AuthorizeRequest{Provider: c.Param("provider"), Name: q.Get("name"), ReturnTo: q.Get("return_to"),
		ConnectionID: q.Get("connection_id"), Config: map[string]string{}}
	for k, v := range q {
		if name, ok := strings.CutPrefix(k, "config."); ok && len(v) > 0 {
			req.Config[name] = v[0]
		}
	}
	auth, err := h.svc.Authorize(c.Request().Context(), httpapi.Principal(c), req)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, auth)
}

func (h *Handler) callback(c echo.Context) error {
	res, err := h.svc.Callback(c.Request().Context(), c.QueryParams())
	if res != nil && res.ReturnTo != "" {
		// return_to is a portal path (checked when the flow started); the
		// browser may have reached brain directly, so name the portal's host.
		target := strings.TrimSuffix(h.svc.cfg.PortalURL, "/") + res.ReturnTo
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		if err != nil {
			target += sep + "error=" + url.QueryEscape(hub.ErrorMessage(err))
		} else {
			target += sep + "connection_id=" + url.QueryEscape(res.Connection.ID)
		}
		return c.Redirect(http.StatusFound, target)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, h.svc.present(res.Connection))
}

// forwardedRequestHeaders are the client headers the proxy passes on.
var forwardedRequestHeaders = []string{"Accept", "Accept-Language", "Content-Type", "If-Match", "If-None-Match",
	"If-Modified-Since", "Idempotency-Key", "Prefer"}

// droppedResponseHeaders never reach the client.
var droppedResponseHeaders = map[string]bool{"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Transfer-Encoding": true, "Upgrade": true, "Set-Cookie": true, "Trailer": true, "Content-Length": true}

func (h *Handler) proxy(c echo.Context) error {
	ctx := c.Request().Context()
	conn, err := h.svc.Connection(ctx, httpapi.Principal(c).TenantID, c.Param("id"))
	if err != nil {
		return err
	}
	header := http.Header{}
	for _, k := range forwardedRequestHeaders {
		if v := c.Request().Header.Values(k); len(v) > 0 {
			header[k] = v
		}
	}
	var body io.Reader
	if c.Request().ContentLength != 0 && c.Request().Method != http.MethodGet && c.Request().Method != http.MethodHead {
		body = c.Request().Body
	}
	path := "/" + c.Param("*")
	resp, err := h.svc.Do(ctx, conn, c.Request().Method, path, c.QueryParams(), body, header)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		prov, _ := h.svc.cfg.Catalog.Provider(conn.Provider)
		return &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: resp.StatusCode,
			Message: fmt.Sprintf("%s answered HTTP %d: %s", prov.Name, resp.StatusCode, upstreamReason(resp))}
	}
	for k, vs := range resp.Header {
		if droppedResponseHeaders[k] {
			continue
		}
		for _, v := range vs {
			c.Response().Header().Add(k, v)
		}
	}
	c.Response().WriteHeader(resp.StatusCode)
	if c.Request().Method == http.MethodHead {
		return nil
	}
	if resp.ContentLength >= 0 {
		_, _ = io.Copy(c.Response(), resp.Body) // a failed write means the client went away
		return nil
	}
	// A body of unknown length may be a stream: pass each chunk on at once.
	buf := make([]byte, 32<<10)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := c.Response().Write(buf[:n]); werr != nil {
				return nil
			}
			c.Response().Flush()
		}
		if rerr != nil {
			return nil
		}
	}
}

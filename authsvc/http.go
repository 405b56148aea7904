package authsvc

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/accesstoken"
	"github.com/bizoshub/bizos/httpapi"
)

// Handler serves the service over HTTP.
type Handler struct {
	svc   *Service
	authz hub.Authorizer
}

// NewHandler returns the HTTP handler of svc.
func NewHandler(svc *Service, authz hub.Authorizer) *Handler { return &Handler{svc: svc, authz: authz} }

// Authenticate implements httpapi.Authenticator with the service's own keys.
// Only access tokens are accepted here; API keys are for the gateway.
func (h *Handler) Authenticate(r *http.Request) (hub.Principal, error) {
	auth := r.Header.Get(echo.HeaderAuthorization)
	scheme, token, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return hub.Principal{}, hub.Errorf(hub.EUNAUTHORIZED, "An access token is required (Authorization: Bearer ...).")
	}
	return h.svc.Authenticate(token)
}

// Routes returns the service's route table.
func (h *Handler) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Method: http.MethodPost, Path: "/auth/login", Summary: "Log in with email and password", Tag: "auth", Public: true,
			Request: LoginRequest{}, Response: Tokens{}, Handler: h.login},
		{Method: http.MethodPost, Path: "/auth/refresh", Summary: "Exchange a refresh token for a new token pair", Tag: "auth", Public: true,
			Request: RefreshRequest{}, Response: Tokens{}, Handler: h.refresh},
		{Method: http.MethodPost, Path: "/auth/logout", Summary: "End the session of a refresh token", Tag: "auth",
			Request: RefreshRequest{}, Status: http.StatusNoContent, Handler: h.logout},
		{Method: http.MethodGet, Path: "/auth/me", Summary: "The caller, its tenant, role and memberships", Tag: "auth",
			Response: Me{}, Handler: h.me},
		{Method: http.MethodGet, Path: "/.well-known/jwks.json", Summary: "Public keys that verify access tokens", Tag: "auth", Public: true,
			Response: accesstoken.JWKS{}, Handler: h.jwks},
		{Method: http.MethodGet, Path: "/tenants", Summary: "List tenants (super admin)", Tag: "tenants",
			Resource: "tenants", Action: hub.ActionRead, Tenant: httpapi.TenantGlobal,
			Query: pageQuery, Response: httpapi.List[*hub.Tenant]{}, Handler: h.listTenants},
		{Method: http.MethodPost, Path: "/tenants", Summary: "Create a tenant (super admin)", Tag: "tenants",
			Resource: "tenants", Action: hub.ActionWrite, Tenant: httpapi.TenantGlobal,
			Request: CreateTenantRequest{}, Response: hub.Tenant{}, Status: http.StatusCreated, Handler: h.createTenant},
		{Method: http.MethodPatch, Path: "/tenants/:id", Summary: "Suspend or reactivate a tenant (super admin)", Tag: "tenants",
			Resource: "tenants", Action: hub.ActionWrite, Tenant: httpapi.TenantGlobal,
			Request: UpdateTenantRequest{}, Response: hub.Tenant{}, Handler: h.updateTenant},
		{Method: http.MethodGet, Path: "/tenants/:id/users", Summary: "List a tenant's users", Tag: "users",
			Resource: "users", Action: hub.ActionRead, Tenant: ":id",
			Query: pageQuery, Response: httpapi.List[*hub.Membership]{}, Handler: h.listUsers},
		{Method: http.MethodPost, Path: "/tenants/:id/users", Summary: "Add a user to a tenant with a role", Tag: "users",
			Resource: "users", Action: hub.ActionWrite, Tenant: ":id",
			Request: CreateUserRequest{}, Response: hub.Membership{}, Status: http.StatusCreated, Handler: h.createUser},
		{Method: http.MethodGet, Path: "/tenants/:id/api-keys", Summary: "List a tenant's API keys", Tag: "api-keys",
			Resource: "api-keys", Action: hub.ActionRead, Tenant: ":id",
			Query: pageQuery, Response: httpapi.List[*hub.APIKey]{}, Handler: h.listAPIKeys},
		{Method: http.MethodPost, Path: "/tenants/:id/api-keys", Summary: "Create an API key (its secret is shown once)", Tag: "api-keys",
			Resource: "api-keys", Action: hub.ActionWrite, Tenant: ":id",
			Request: CreateAPIKeyRequest{}, Response: CreatedAPIKey{}, Status: http.StatusCreated, Handler: h.createAPIKey},
		{Method: http.MethodDelete, Path: "/tenants/:id/api-keys/:key_id", Summary: "Revoke an API key", Tag: "api-keys",
			Resource: "api-keys", Action: hub.ActionWrite, Tenant: ":id",
			Response: hub.APIKey{}, Handler: h.revokeAPIKey},
		{Method: http.MethodGet, Path: "/tenants/:id/audit", Summary: "Read a tenant's audit log, newest first", Tag: "audit",
			Resource: "audit", Action: hub.ActionRead, Tenant: ":id",
			Query: pageQuery, Response: httpapi.List[*hub.AuditEntry]{}, Handler: h.listAudit},
	}
}

var pageQuery = httpapi.PageQuery

func (h *Handler) login(c echo.Context) error {
	var req LoginRequest
	if err := httpapi.Bind(c, &req); err != nil {
		return err
	}
	tokens, err := h.svc.Login(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, tokens)
}

func (h *Handler) refresh(c echo.Context) error {
	var req RefreshRequest
	if err := httpapi.Bind(c, &req); err != nil {
		return err
	}
	tokens, err := h.svc.Refresh(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, tokens)
}

func (h *Handler) logout(c echo.Context) error {
	var req RefreshRequest
	if err := httpapi.Bind(c, &req); err != nil {
		return err
	}
	if err := h.svc.Logout(c.Request().Context(), httpapi.Principal(c), req); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) me(c echo.Context) error {
	me, err := h.svc.Me(c.Request().Context(), httpapi.Principal(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, me)
}

func (h *Handler) jwks(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=300")
	return c.JSON(http.StatusOK, h.svc.cfg.Keys.JWKS())
}

func (h *Handler) listTenants(c echo.Context) error {
	page, err := httpapi.PageFrom(c)
	if err != nil {
		return err
	}
	items, next, err := h.svc.ListTenants(c.Request().Context(), page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpapi.NewList(items, next))
}

func (h *Handler) createTenant(c echo.Context) error {
	var req CreateTenantRequest
	if err := httpapi.Bind(c, &req); err != nil {
		return err
	}
	t, err := h.svc.CreateTenant(c.Request().Context(), httpapi.Principal(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, t)
}

func (h *Handler) updateTenant(c echo.Context) error {
	var req UpdateTenantRequest
	if err := httpapi.Bind(c, &req); err != nil {
		return err
	}
	t, err := h.svc.UpdateTenant(c.Request().Context(), httpapi.Principal(c), c.Param("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

func (h *Handler) listUsers(c echo.Context) error {
	page, err := httpapi.PageFrom(c)
	if err != nil {
		return err
	}
	items, next, err := h.svc.ListUsers(c.Request().Context(), c.Param("id"), page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpapi.NewList(items, next))
}

func (h *Handler) createUser(c echo.Context) error {
	var req CreateUserRequest
	if err := httpapi.Bind(c, &req); err != nil {
		return err
	}
	m, err := h.svc.CreateUser(c.Request().Context(), httpapi.Principal(c), c.Param("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, m)
}

func (h *Handler) listAPIKeys(c echo.Context) error {
	page, err := httpapi.PageFrom(c)
	if err != nil {
		return err
	}
	items, next, err := h.svc.ListAPIKeys(c.Request().Context(), c.Param("id"), page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpapi.NewList(items, next))
}

func (h *Handler) createAPIKey(c echo.Context) error {
	var req CreateAPIKeyRequest
	if err := httpapi.Bind(c, &req); err != nil {
		return err
	}
	k, err := h.svc.CreateAPIKey(c.Request().Context(), httpapi.Principal(c), c.Param("id"), req)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusCreated, k)
}

func (h *Handler) revokeAPIKey(c echo.Context) error {
	k, err := h.svc.RevokeAPIKey(c.Request().Context(), httpapi.Principal(c), c.Param("id"), c.Param("key_id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, k)
}

func (h *Handler) listAudit(c echo.Context) error {
	page, err := httpapi.PageFrom(c)
	if err != nil {
		return err
	}
	items, next, err := h.svc.ListAudit(c.Request().Context(), c.Param("id"), page)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpapi.NewList(items, next))
}

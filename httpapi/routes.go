package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	hub "github.com/bizoshub/bizos"
)

// Tenant sources for Route.Tenant.
const (
	// TenantOfCaller authorizes against the tenant the credential is bound to.
	TenantOfCaller = ""
	// TenantGlobal authorizes against the global domain (super admins only).
	TenantGlobal = "*"
)

// Route is one endpoint: how it is served, who may call it, and how it is
// documented. The route table is the single source for routing,
// authorization and the OpenAPI document.
type Route struct {
	Method  string
	Path    string // echo syntax: /tenants/:id/users
	Summary string
	Tag     string
	// Public routes need no credentials.
	Public bool
	// Resource and Action name the permission the caller needs (hub.Resources,
	// hub.ActionRead/ActionWrite); empty means any authenticated caller.
	Resource string
	Action   string
	// Tenant says where the tenant id comes from: TenantOfCaller,
	// TenantGlobal, or ":name" for a path parameter.
	Tenant string
	// Request and Response are zero values of the JSON bodies, for the OpenAPI document.
	Request  any
	Response any
	// Status is the success status (200 when zero).
	Status int
	// Query documents query parameters by name.
	Query   map[string]string
	Handler echo.HandlerFunc
}

// Authenticator turns a request's credentials into a principal. A request
// without credentials, or with bad ones, yields EUNAUTHORIZED.
type Authenticator interface {
	Authenticate(r *http.Request) (hub.Principal, error)
}

// Mount registers routes on g, wrapping each non-public route with
// authentication and, when it names a permission, authorization.
func Mount(g interface {
	Add(method, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route
}, routes []Route, authn Authenticator, authz hub.Authorizer) {
	for _, r := range routes {
		var mw []echo.MiddlewareFunc
		if !r.Public {
			mw = append(mw, requireAuth(authn))
			if r.Resource != "" {
				mw = append(mw, requirePermission(authz, r))
			}
		}
		g.Add(r.Method, r.Path, r.Handler, mw...)
	}
}

func requireAuth(authn Authenticator) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p, err := authn.Authenticate(c.Request())
			if err != nil {
				if hub.ErrorCode(err) == hub.EUNAUTHORIZED {
					c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="bizos"`)
				}
				return err
			}
			c.SetRequest(c.Request().WithContext(hub.NewContextWithPrincipal(c.Request().Context(), p)))
			return next(c)
		}
	}
}

func requirePermission(authz hub.Authorizer, r Route) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p, _ := hub.PrincipalFromContext(c.Request().Context())
			tenantID := r.Tenant
			switch {
			case r.Tenant == TenantOfCaller:
				tenantID = p.TenantID
				if tenantID == "" {
					return hub.Errorf(hub.EINVALID, "This endpoint works inside a tenant; log in with a tenant selected.")
				}
			case len(r.Tenant) > 1 && r.Tenant[0] == ':':
				tenantID = c.Param(r.Tenant[1:])
			}
			if err := authz.Authorize(c.Request().Context(), p, tenantID, r.Resource, r.Action); err != nil {
				return err
			}
			return next(c)
		}
	}
}

// Principal returns the authenticated caller of c's request.
func Principal(c echo.Context) hub.Principal {
	p, _ := hub.PrincipalFromContext(c.Request().Context())
	return p
}

// Bind decodes the JSON body into v, refusing unknown fields, and turns
// decoding failures into EINVALID errors that say what is wrong.
func Bind(c echo.Context, v any) error {
	return decodeJSON(c.Request(), v)
}

// List is the shape of every list answer.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// NewList builds a list answer, never with null items.
func NewList[T any](items []T, next string) List[T] {
	if items == nil {
		items = []T{}
	}
	return List[T]{Items: items, NextCursor: next}
}

// Permission returns a function that marks routes as needing action on
// resource (and tags them with the resource when they have no tag).
func Permission(resource, action string) func(Route) Route {
	return func(r Route) Route {
		r.Resource, r.Action = resource, action
		if r.Tag == "" {
			r.Tag = resource
		}
		return r
	}
}

// PageQuery documents the cursor and limit query parameters of lists.
var PageQuery = map[string]string{"cursor": "next_cursor of the previous page", "limit": "page size, 1-200 (default 50)"}

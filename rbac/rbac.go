// Package rbac authorizes principals with casbin: roles are granted per
// tenant (the casbin domain), API keys carry their scopes as direct policies,
// and a watcher keeps every replica's in-memory policy in step.
package rbac

import (
	"context"
	"fmt"
	"strings"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"

	hub "github.com/bizoshub/bizos"
)

// modelText is the casbin model. Subjects are "user:<id>", "api_key:<id>" or
// "role:<name>"; the domain is a tenant id, or "*" for global grants (super
// admins). Objects are hub.Resources (or "*"), actions are matched as regular
// expressions so one policy can allow "(read|write)".
const modelText = `
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = (r.sub == p.sub || g(r.sub, p.sub, r.dom) || g(r.sub, p.sub, "*")) && (p.dom == "*" || p.dom == r.dom) && (p.obj == "*" || p.obj == r.obj) && regexMatch(r.act, "^" + p.act + "$")
`

// Authorizer implements hub.Authorizer on a casbin enforcer.
type Authorizer struct {
	e *casbin.SyncedEnforcer
}

var _ hub.Authorizer = (*Authorizer)(nil)

// New loads every policy through adapter. When watcher is not nil, policy
// changes made here are announced through it and changes announced by other
// replicas reload the policy.
func New(adapter persist.Adapter, watcher persist.Watcher) (*Authorizer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("rbac: model: %w", err)
	}
	e, err := casbin.NewSyncedEnforcer(m, adapter)
	if err != nil {
		return nil, fmt.Errorf("rbac: enforcer: %w", err)
	}
	if watcher != nil {
		if err := e.SetWatcher(watcher); err != nil {
			return nil, fmt.Errorf("rbac: watcher: %w", err)
		}
		if err := watcher.SetUpdateCallback(func(string) { _ = e.LoadPolicy() }); err != nil {
			return nil, fmt.Errorf("rbac: watcher callback: %w", err)
		}
	}
	return &Authorizer{e: e}, nil
}

// Reload re-reads every policy from storage.
func (a *Authorizer) Reload() error {
	if err := a.e.LoadPolicy(); err != nil {
		return fmt.Errorf("rbac: reload: %w", err)
	}
	return nil
}

func roleSubject(r hub.Role) string { return "role:" + string(r) }

// Authorize implements hub.Authorizer.
func (a *Authorizer) Authorize(ctx context.Context, p hub.Principal, tenantID, resource, action string) error {
	sub := p.Subject()
	if tenantID == "" {
		tenantID = "*"
	}
	if !a.hasStanding(p, tenantID) {
		return hub.Errorf(hub.ENOTFOUND, "Tenant not found.")
	}
	ok, err := a.e.Enforce(sub, tenantID, resource, action)
	if err != nil {
		return fmt.Errorf("rbac: enforce: %w", err)
	}
	if !ok {
		return hub.Errorf(hub.EFORBIDDEN, "You are not allowed to %s %s.", action, resource)
	}
	return nil
}

// hasStanding reports whether the principal belongs to the tenant at all.
func (a *Authorizer) hasStanding(p hub.Principal, tenantID string) bool {
	switch p.Kind {
	case hub.PrincipalAPIKey, hub.PrincipalAgent:
		return p.TenantID == tenantID
	case hub.PrincipalUser:
		if len(a.e.GetRolesForUserInDomain(p.Subject(), "*")) > 0 {
			return true
		}
		return tenantID != "*" && len(a.e.GetRolesForUserInDomain(p.Subject(), tenantID)) > 0
	}
	return false
}

// AssignRole implements hub.Authorizer. A user holds one role per tenant, so
// any earlier role there is replaced.
func (a *Authorizer) AssignRole(ctx context.Context, userID, tenantID string, role hub.Role) error {
	sub := string(hub.PrincipalUser) + ":" + userID
	for _, old := range a.e.GetRolesForUserInDomain(sub, tenantID) {
		if old == roleSubject(role) {
			return nil
		}
		if _, err := a.e.DeleteRoleForUserInDomain(sub, old, tenantID); err != nil {
			return fmt.Errorf("rbac: drop role %s: %w", old, err)
		}
	}
	if _, err := a.e.AddRoleForUserInDomain(sub, roleSubject(role), tenantID); err != nil {
		return fmt.Errorf("rbac: assign role: %w", err)
	}
	return nil
}

// GrantScopes implements hub.Authorizer.
func (a *Authorizer) GrantScopes(ctx context.Context, keyID, tenantID string, scopes []string) error {
	return a.GrantSubjectScopes(ctx, string(hub.PrincipalAPIKey)+":"+keyID, tenantID, scopes)
}

// GrantSubjectScopes grants any subject ("agent:<id>", "api_key:<id>")
// scopes ("resource:action") in a tenant.
func (a *Authorizer) GrantSubjectScopes(ctx context.Context, sub, tenantID string, scopes []string) error {
	rules := make([][]string, 0, len(scopes))
	for _, s := range scopes {
		if !hub.ValidScope(s) {
			return hub.InvalidField("scopes", fmt.Sprintf("%q is not a scope", s))
		}
		res, act, _ := strings.Cut(s, ":")
		rules = append(rules, []string{sub, tenantID, res, act})
	}
	if _, err := a.e.AddPolicies(rules); err != nil {
		return fmt.Errorf("rbac: grant scopes: %w", err)
	}
	return nil
}

// RevokePrincipal implements hub.Authorizer.
func (a *Authorizer) RevokePrincipal(ctx context.Context, subject string) error {
	if _, err := a.e.RemoveFilteredPolicy(0, subject); err != nil {
		return fmt.Errorf("rbac: revoke policies: %w", err)
	}
	if _, err := a.e.RemoveFilteredGroupingPolicy(0, subject); err != nil {
		return fmt.Errorf("rbac: revoke roles: %w", err)
	}
	return nil
}

// RolesIn returns the roles the user holds in the tenant.
func (a *Authorizer) RolesIn(userID, tenantID string) []string {
	return a.e.GetRolesForUserInDomain(string(hub.PrincipalUser)+":"+userID, tenantID)
}

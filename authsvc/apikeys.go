package authsvc

import (
	"context"
	"fmt"
	"strings"
	"time"

	hub "github.com/bizoshub/bizos"
)

// CreateAPIKeyRequest is the body of POST /tenants/{id}/api-keys.
type CreateAPIKeyRequest struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes" doc:"resource:action pairs such as users:read or *:read"`
	// ExpiresInDays, when set, makes the key stop working after that many days.
	ExpiresInDays int `json:"expires_in_days,omitempty" doc:"1 to 3650; omit for a key that does not expire"`
}

// CreatedAPIKey is the answer to a key creation: the only time the key is shown.
type CreatedAPIKey struct {
	*hub.APIKey
	Key string `json:"key" doc:"the secret key; shown only in this response"`
}

// CreateAPIKey issues a key for a tenant.
func (s *Service) CreateAPIKey(ctx context.Context, p hub.Principal, tenantID string, req CreateAPIKeyRequest) (*CreatedAPIKey, error) {
	name := strings.TrimSpace(req.Name)
	if name == "" || len(name) > 200 {
		return nil, hub.InvalidField("name", "is required and at most 200 characters")
	}
	if len(req.Scopes) == 0 {
		return nil, hub.InvalidField("scopes", "must name at least one scope, such as *:read")
	}
	for _, sc := range req.Scopes {
		if !hub.ValidScope(sc) {
			return nil, hub.InvalidField("scopes", fmt.Sprintf("%q is not a scope; use resource:action with a resource of %s or *, and action read or write",
				sc, strings.Join(hub.Resources, ", ")))
		}
	}
	if req.ExpiresInDays < 0 || req.ExpiresInDays > 3650 {
		return nil, hub.InvalidField("expires_in_days", "must be from 1 to 3650")
	}
	if _, err := s.cfg.Tenants.Tenant(ctx, tenantID); err != nil {
		return nil, err
	}
	key, prefix, hash, err := hub.NewAPIKeySecret()
	if err != nil {
		return nil, fmt.Errorf("authsvc: %w", err)
	}
	k := &hub.APIKey{TenantID: tenantID, Name: name, Prefix: prefix, Scopes: req.Scopes, CreatedBy: p.ID}
	if req.ExpiresInDays > 0 {
		exp := s.cfg.Now().Add(time.Duration(req.ExpiresInDays) * 24 * time.Hour)
		k.ExpiresAt = &exp
	}
	if err := s.cfg.APIKeys.CreateAPIKey(ctx, k, hash); err != nil {
		return nil, err
	}
	if err := s.cfg.Authz.GrantScopes(ctx, k.ID, tenantID, k.Scopes); err != nil {
		return nil, err
	}
	s.audit(ctx, tenantID, p, "api_key.create", "api_key", k.ID, map[string]any{"name": name, "scopes": k.Scopes, "prefix": prefix})
	return &CreatedAPIKey{APIKey: k, Key: key}, nil
}

// ListAPIKeys pages through a tenant's keys (never their secrets).
func (s *Service) ListAPIKeys(ctx context.Context, tenantID string, page hub.Page) ([]*hub.APIKey, string, error) {
	return s.cfg.APIKeys.ListAPIKeys(ctx, tenantID, page)
}

// RevokeAPIKey revokes a tenant's key; it stops working at once.
func (s *Service) RevokeAPIKey(ctx context.Context, p hub.Principal, tenantID, keyID string) (*hub.APIKey, error) {
	k, err := s.cfg.APIKeys.RevokeAPIKey(ctx, tenantID, keyID, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Authz.RevokePrincipal(ctx, string(hub.PrincipalAPIKey)+":"+k.ID); err != nil {
		return nil, err
	}
	s.audit(ctx, tenantID, p, "api_key.revoke", "api_key", k.ID, map[string]any{"prefix": k.Prefix})
	return k, nil
}

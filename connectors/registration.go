package connectors

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	hub "github.com/bizoshub/bizos"
)

// HookStripeWebhookEndpoint registers the connection's inbound URL at Stripe.
const HookStripeWebhookEndpoint = "stripe_webhook_endpoint"

// registerWebhooks subscribes the platform to the connection's inbound
// endpoint where the catalogue says the hub can, storing what the platform
// answers (the signing secret, the subscription id). A failure is logged
// and leaves the connection usable: the tenant can still configure the
// webhook by hand with the inbound_webhook_url.
func (s *Service) registerWebhooks(ctx context.Context, prov *Provider, conn *hub.Connection) {
	if !slices.Contains(prov.Hooks, HookStripeWebhookEndpoint) {
		return
	}
	creds, version, err := s.cfg.Store.ConnectionCredentials(ctx, conn.TenantID, conn.ID)
	if err != nil {
		s.cfg.Log.WarnContext(ctx, "webhook registration skipped", "connection_id", conn.ID, "err", err)
		return
	}
	form := url.Values{"url": {s.InboundWebhookURL(conn)}, "enabled_events[]": {"*"}, "description": {"BizOS Hub: " + conn.Name}}
	resp, err := s.sendReader(ctx, prov, conn, creds, http.MethodPost, "/v1/webhook_endpoints", nil, strings.NewReader(form.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	if err != nil {
		s.cfg.Log.WarnContext(ctx, "webhook registration failed", "provider", prov.ID, "connection_id", conn.ID, "err", err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		s.cfg.Log.WarnContext(ctx, "webhook registration refused", "provider", prov.ID, "connection_id", conn.ID,
			"status", resp.StatusCode, "reason", upstreamReason(resp))
		return
	}
	var ep struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ep); err != nil || ep.ID == "" {
		s.cfg.Log.WarnContext(ctx, "webhook registration answered no endpoint", "provider", prov.ID, "connection_id", conn.ID)
		return
	}
	next := *creds
	next.Extras = map[string]string{}
	for k, v := range creds.Extras {
		next.Extras[k] = v
	}
	next.Extras["webhook_endpoint_id"] = ep.ID
	if ep.Secret != "" {
		next.Fields = map[string]string{}
		for k, v := range creds.Fields {
			next.Fields[k] = v
		}
		next.Fields["webhook_secret"] = ep.Secret
	}
	s.cache.forget(conn.TenantID, conn.ID)
	if _, err := s.cfg.Store.UpdateCredentials(ctx, conn.TenantID, conn.ID, &next, version); err != nil {
		s.cfg.Log.WarnContext(ctx, "storing the webhook registration failed", "connection_id", conn.ID, "err", err)
	}
}

// unregisterWebhooks removes what registerWebhooks created.
func (s *Service) unregisterWebhooks(ctx context.Context, prov *Provider, conn *hub.Connection) {
	if !slices.Contains(prov.Hooks, HookStripeWebhookEndpoint) {
		return
	}
	creds, _, err := s.cfg.Store.ConnectionCredentials(ctx, conn.TenantID, conn.ID)
	if err != nil || creds.Extras["webhook_endpoint_id"] == "" {
		return
	}
	resp, err := s.sendReader(ctx, prov, conn, creds, http.MethodDelete, "/v1/webhook_endpoints/"+url.PathEscape(creds.Extras["webhook_endpoint_id"]), nil, nil, nil)
	if err != nil {
		s.cfg.Log.WarnContext(ctx, "webhook removal failed", "provider", prov.ID, "connection_id", conn.ID, "err", err)
		return
	}
	drain(resp)
	if resp.StatusCode >= 300 && resp.StatusCode != http.StatusNotFound {
		s.cfg.Log.WarnContext(ctx, "webhook removal refused", "provider", prov.ID, "connection_id", conn.ID, "status", resp.StatusCode)
	}
}

package connectors

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	hub "github.com/bizoshub/bizos"
)

// Hooks that register the connection's inbound URL at the platform.
const (
	// HookStripeWebhookEndpoint registers a Stripe webhook endpoint (all
	// events) and keeps the signing secret Stripe returns.
	HookStripeWebhookEndpoint = "stripe_webhook_endpoint"
	// HookWooCommerceWebhooks creates one WooCommerce webhook per topic in
	// WooCommerceTopics, signed with the connection's webhook secret (one
	// is generated when the tenant gave none).
	HookWooCommerceWebhooks = "woocommerce_webhooks"
)

// WooCommerceTopics are the topics a WooCommerce connection subscribes to.
var WooCommerceTopics = []string{"order.created", "order.updated", "customer.created", "customer.updated", "product.created", "product.updated"}

// registerWebhooks subscribes the platform to the connection's inbound
// endpoint where the catalogue says the hub can, storing what the platform
// answers (the signing secret, the subscription id). A failure is logged
// and leaves the connection usable: the tenant can still configure the
// webhook by hand with the inbound_webhook_url.
func (s *Service) registerWebhooks(ctx context.Context, prov *Provider, conn *hub.Connection) {
	if slices.Contains(prov.Hooks, HookWooCommerceWebhooks) {
		s.registerWooCommerce(ctx, prov, conn)
		return
	}
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
	if slices.Contains(prov.Hooks, HookWooCommerceWebhooks) {
		s.unregisterWooCommerce(ctx, prov, conn)
		return
	}
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

// registerWooCommerce creates the connection's webhooks at the store, one
// per topic, and stores their ids and the secret that signs them.
func (s *Service) registerWooCommerce(ctx context.Context, prov *Provider, conn *hub.Connection) {
	creds, version, err := s.cfg.Store.ConnectionCredentials(ctx, conn.TenantID, conn.ID)
	if err != nil {
		s.cfg.Log.WarnContext(ctx, "webhook registration skipped", "connection_id", conn.ID, "err", err)
		return
	}
	secret := creds.Fields["webhook_secret"]
	if secret == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			s.cfg.Log.WarnContext(ctx, "webhook registration skipped", "connection_id", conn.ID, "err", err)
			return
		}
		secret = base64.RawURLEncoding.EncodeToString(b)
	}
	var ids []string
	for _, topic := range WooCommerceTopics {
		body, _ := json.Marshal(map[string]string{"name": "BizOS Hub: " + conn.Name + " (" + topic + ")", "topic": topic,
			"delivery_url": s.InboundWebhookURL(conn), "secret": secret, "status": "active"})
		resp, err := s.sendReader(ctx, prov, conn, creds, http.MethodPost, "/webhooks", nil, bytes.NewReader(body),
			http.Header{"Content-Type": {"application/json"}})
		if err != nil {
			s.cfg.Log.WarnContext(ctx, "webhook registration failed", "provider", prov.ID, "connection_id", conn.ID, "topic", topic, "err", err)
			break
		}
		var hook struct {
			ID json.Number `json:"id"`
		}
		ok := resp.StatusCode < 300 && json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&hook) == nil && hook.ID != ""
		if !ok {
			s.cfg.Log.WarnContext(ctx, "webhook registration refused", "provider", prov.ID, "connection_id", conn.ID, "topic", topic,
				"status", resp.StatusCode, "reason", upstreamReason(resp))
		}
		drain(resp)
		if !ok {
			break
		}
		ids = append(ids, hook.ID.String())
	}
	if len(ids) == 0 {
		return
	}
	next := *creds
	next.Extras, next.Fields = maps.Clone(creds.Extras), maps.Clone(creds.Fields)
	if next.Extras == nil {
		next.Extras = map[string]string{}
	}
	if next.Fields == nil {
		next.Fields = map[string]string{}
	}
	next.Extras["webhook_ids"] = strings.Join(ids, ",")
	next.Fields["webhook_secret"] = secret
	s.cache.forget(conn.TenantID, conn.ID)
	if _, err := s.cfg.Store.UpdateCredentials(ctx, conn.TenantID, conn.ID, &next, version); err != nil {
		s.cfg.Log.WarnContext(ctx, "storing the webhook registration failed", "connection_id", conn.ID, "err", err)
	}
}

// unregisterWooCommerce deletes the webhooks registerWooCommerce created.
func (s *Service) unregisterWooCommerce(ctx context.Context, prov *Provider, conn *hub.Connection) {
	creds, _, err := s.cfg.Store.ConnectionCredentials(ctx, conn.TenantID, conn.ID)
	if err != nil || creds.Extras["webhook_ids"] == "" {
		return
	}
	for _, id := range strings.Split(creds.Extras["webhook_ids"], ",") {
		resp, err := s.sendReader(ctx, prov, conn, creds, http.MethodDelete, "/webhooks/"+url.PathEscape(id), url.Values{"force": {"true"}}, nil, nil)
		if err != nil {
			s.cfg.Log.WarnContext(ctx, "webhook removal failed", "provider", prov.ID, "connection_id", conn.ID, "err", err)
			continue
		}
		drain(resp)
		if resp.StatusCode >= 300 && resp.StatusCode != http.StatusNotFound {
			s.cfg.Log.WarnContext(ctx, "webhook removal refused", "provider", prov.ID, "connection_id", conn.ID, "status", resp.StatusCode)
		}
	}
}

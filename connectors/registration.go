package connectors

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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
	// HookShopifyWebhooks subscribes the shop to ShopifyTopics through the
	// GraphQL Admin API; Shopify signs deliveries with the app's secret.
	HookShopifyWebhooks = "shopify_webhooks"
)

// ShopifyTopics are the WebhookSubscriptionTopic values a Shopify
// connection subscribes to.
var ShopifyTopics = []string{"ORDERS_CREATE", "ORDERS_UPDATED", "CUSTOMERS_CREATE", "CUSTOMERS_UPDATE", "PRODUCTS_CREATE", "PRODUCTS_UPDATE"}

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
	if slices.Contains(prov.Hooks, HookShopifyWebhooks) {
		s.registerShopify(ctx, prov, conn)
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
	if slices.Contains(prov.Hooks, HookShopifyWebhooks) {
		s.unregisterShopify(ctx, prov, conn)
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

// shopifyGraphQL sends one GraphQL Admin API request and decodes data.
func (s *Service) shopifyGraphQL(ctx context.Context, prov *Provider, conn *hub.Connection, creds *hub.Credentials,
	query string, vars map[string]any, data any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	resp, err := s.sendReader(ctx, prov, conn, creds, http.MethodPost, "/graphql.json", nil, bytes.NewReader(body),
		http.Header{"Content-Type": {"application/json"}})
	if err != nil {
		return err
	}
	defer drain(resp)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, upstreamReason(resp))
	}
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return err
	}
	if len(out.Errors) > 0 {
		return errors.New(out.Errors[0].Message)
	}
	return json.Unmarshal(out.Data, data)
}

type shopifyUserError struct {
	Message string `json:"message"`
}

// registerShopify subscribes the shop's topics to the inbound URL and
// stores the subscription ids.
func (s *Service) registerShopify(ctx context.Context, prov *Provider, conn *hub.Connection) {
	creds, version, err := s.cfg.Store.ConnectionCredentials(ctx, conn.TenantID, conn.ID)
	if err != nil {
		s.cfg.Log.WarnContext(ctx, "webhook registration skipped", "connection_id", conn.ID, "err", err)
		return
	}
	const mutation = `mutation($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) { webhookSubscription { id } userErrors { field message } } }`
	var ids []string
	for _, topic := range ShopifyTopics {
		var data struct {
			Create struct {
				Sub *struct {
					ID string `json:"id"`
				} `json:"webhookSubscription"`
				UserErrors []shopifyUserError `json:"userErrors"`
			} `json:"webhookSubscriptionCreate"`
		}
		err := s.shopifyGraphQL(ctx, prov, conn, creds, mutation, map[string]any{"topic": topic,
			"sub": map[string]any{"callbackUrl": s.InboundWebhookURL(conn), "format": "JSON"}}, &data)
		if err == nil && (data.Create.Sub == nil || data.Create.Sub.ID == "") {
			err = errors.New("no subscription in the answer")
			if len(data.Create.UserErrors) > 0 {
				err = errors.New(data.Create.UserErrors[0].Message)
			}
		}
		if err != nil {
			s.cfg.Log.WarnContext(ctx, "webhook registration refused", "provider", prov.ID, "connection_id", conn.ID, "topic", topic, "err", err)
			break
		}
		ids = append(ids, data.Create.Sub.ID)
	}
	if len(ids) == 0 {
		return
	}
	next := *creds
	next.Extras = maps.Clone(creds.Extras)
	if next.Extras == nil {
		next.Extras = map[string]string{}
	}
	next.Extras["webhook_ids"] = strings.Join(ids, ",")
	s.cache.forget(conn.TenantID, conn.ID)
	if _, err := s.cfg.Store.UpdateCredentials(ctx, conn.TenantID, conn.ID, &next, version); err != nil {
		s.cfg.Log.WarnContext(ctx, "storing the webhook registration failed", "connection_id", conn.ID, "err", err)
	}
}

// unregisterShopify deletes the subscriptions registerShopify created.
func (s *Service) unregisterShopify(ctx context.Context, prov *Provider, conn *hub.Connection) {
	creds, _, err := s.cfg.Store.ConnectionCredentials(ctx, conn.TenantID, conn.ID)
	if err != nil || creds.Extras["webhook_ids"] == "" {
		return
	}
	const mutation = `mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } } }`
	for _, id := range strings.Split(creds.Extras["webhook_ids"], ",") {
		var data struct {
			Delete struct {
				UserErrors []shopifyUserError `json:"userErrors"`
			} `json:"webhookSubscriptionDelete"`
		}
		if err := s.shopifyGraphQL(ctx, prov, conn, creds, mutation, map[string]any{"id": id}, &data); err != nil {
			s.cfg.Log.WarnContext(ctx, "webhook removal failed", "provider", prov.ID, "connection_id", conn.ID, "err", err)
		}
	}
}

package connectors_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/bizoshub/bizos/connectors"
	"github.com/bizoshub/bizos/internal/fakes"
)

// TestStripeWebhookRegistration: connecting Stripe registers the
// connection's inbound URL at Stripe and keeps the signing secret Stripe
// returns; disconnecting deletes the registration.
func TestStripeWebhookRegistration(t *testing.T) {
	var mu sync.Mutex
	var registered, deleted []string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v1/webhook_endpoints":
			_ = r.ParseForm()
			registered = append(registered, r.PostForm.Get("url"))
			io.WriteString(w, `{"id":"we_1","object":"webhook_endpoint","secret":"whsec_from_stripe","url":"`+r.PostForm.Get("url")+`"}`)
		case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/v1/webhook_endpoints/"):
			deleted = append(deleted, strings.TrimPrefix(r.URL.Path, "/v1/webhook_endpoints/"))
			io.WriteString(w, `{"id":"we_1","object":"webhook_endpoint","deleted":true}`)
		default:
			io.WriteString(w, `{"object":"balance","available":[],"pending":[],"livemode":false}`)
		}
	}))
	defer upstream.Close()
	h := newHarness(t, map[string]connectors.Override{"stripe": {APIBaseURL: upstream.URL}}, nil)
	ctx := context.Background()
	conn, err := h.svc.Connect(ctx, h.user, connectors.ConnectRequest{Provider: "stripe", Credentials: map[string]string{"api_key": "sk_test_x"}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(registered) != 1 || registered[0] != h.svc.InboundWebhookURL(conn) {
		t.Errorf("registered %v, want the inbound URL %s", registered, h.svc.InboundWebhookURL(conn))
	}
	mu.Unlock()
	ep, err := h.svc.ResolveInbound(ctx, conn.InboundToken)
	if err != nil || len(ep.Secrets) == 0 || string(ep.Secrets[0]) != "whsec_from_stripe" {
		t.Fatalf("inbound secrets = %v, %v; want Stripe's signing secret", ep, err)
	}
	if err := h.svc.Disconnect(ctx, h.user.TenantID, conn.ID); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(deleted) != 1 || deleted[0] != "we_1" {
		t.Errorf("deleted %v, want [we_1]", deleted)
	}
}

// TestWooCommerceWebhookRegistration: connecting WooCommerce creates one
// webhook per topic for the connection's inbound URL, signed with a secret
// the hub generates and keeps (so deliveries verify); disconnecting deletes
// them.
func TestWooCommerceWebhookRegistration(t *testing.T) {
	wc := fakes.NewWooCommerce(t, fakes.Options{})
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	conn, err := h.svc.Connect(ctx, h.user, connectors.ConnectRequest{Provider: "woocommerce", Config: map[string]string{"site_url": wc.Root},
		Credentials: map[string]string{"consumer_key": "ck_test", "consumer_secret": "cs_test"}})
	if err != nil {
		t.Fatal(err)
	}
	hooks := wc.Records("webhooks")
	var topics []string
	secrets := map[string]bool{}
	for _, hk := range hooks {
		topics = append(topics, fmt.Sprint(hk["topic"]))
		secrets[fmt.Sprint(hk["secret"])] = true
		if hk["delivery_url"] != h.svc.InboundWebhookURL(conn) || hk["status"] != "active" {
			t.Errorf("webhook %v does not point at the inbound URL %s", hk, h.svc.InboundWebhookURL(conn))
		}
	}
	if strings.Join(topics, ",") != strings.Join(connectors.WooCommerceTopics, ",") || len(secrets) != 1 {
		t.Fatalf("topics %v with %d secrets, want %v with one", topics, len(secrets), connectors.WooCommerceTopics)
	}
	ep, err := h.svc.ResolveInbound(ctx, conn.InboundToken)
	if err != nil || len(ep.Secrets) == 0 || !secrets[string(ep.Secrets[0])] || len(ep.Secrets[0]) < 32 {
		t.Fatalf("inbound secrets = %v, %v; want the secret the webhooks are signed with", ep, err)
	}
	if err := h.svc.Disconnect(ctx, h.user.TenantID, conn.ID); err != nil {
		t.Fatal(err)
	}
	if left := wc.Records("webhooks"); len(left) != 0 {
		t.Errorf("%d webhooks left after disconnect", len(left))
	}
}

// TestShopifyWebhookRegistration: connecting Shopify subscribes the shop's
// order, customer and product topics to the connection's inbound URL
// through the GraphQL Admin API; disconnecting deletes the subscriptions.
func TestShopifyWebhookRegistration(t *testing.T) {
	sh := fakes.NewShopify(t, fakes.Options{})
	h := newHarness(t, map[string]connectors.Override{"shopify": {APIBaseURL: sh.URL + "/admin/api/2025-01"}}, nil)
	ctx := context.Background()
	conn, err := h.svc.Connect(ctx, h.user, connectors.ConnectRequest{Provider: "shopify", Config: map[string]string{"shop": "fake-shop"},
		Credentials: map[string]string{"access_token": "shpat_0123456789"}})
	if err != nil {
		t.Fatal(err)
	}
	var topics []string
	for _, sub := range sh.Records("webhookSubscriptions") {
		topics = append(topics, fmt.Sprint(sub["topic"]))
		if ep, _ := sub["endpoint"].(map[string]any); ep["callbackUrl"] != h.svc.InboundWebhookURL(conn) {
			t.Errorf("subscription %v does not point at the inbound URL %s", sub, h.svc.InboundWebhookURL(conn))
		}
	}
	if strings.Join(topics, ",") != strings.Join(connectors.ShopifyTopics, ",") {
		t.Fatalf("subscribed %v, want %v", topics, connectors.ShopifyTopics)
	}
	if err := h.svc.Disconnect(ctx, h.user.TenantID, conn.ID); err != nil {
		t.Fatal(err)
	}
	if left := sh.Records("webhookSubscriptions"); len(left) != 0 {
		t.Errorf("%d subscriptions left after disconnect", len(left))
	}
}

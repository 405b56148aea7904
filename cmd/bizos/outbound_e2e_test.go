package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/stdwebhooks"
)

// TestEventToOutboundWebhook follows one platform event through the whole
// stack: a signed Stripe webhook arrives, is stored, the worker's dispatcher
// turns it into a delivery, and the tenant's endpoint receives it signed per
// Standard Webhooks — once.
func TestEventToOutboundWebhook(t *testing.T) {
	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r)
		bodies = append(bodies, b)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	stripeURL := testenv.StripeMock(t)
	overrides := writeOverrides(t, map[string]map[string]string{"stripe": {"api_base_url": stripeURL}})
	s := startStack(t, "-provider-overrides", overrides, "-egress-allow", "127.0.0.0/8")
	root, _ := s.login(t, adminEmail, adminPassword)
	a := s.makeTenant(t, root, "alpha")

	ep := call(t, http.MethodPost, s.BrainURL+"/api/v1/webhooks", map[string]any{"url": receiver.URL + "/bizos",
		"event_types": []string{"stripe.*"}}, bearer(a.AdminToken))
	if ep.Status != 201 || !strings.HasPrefix(ep.field(t, "secret"), "whsec_") {
		t.Fatalf("register endpoint: %d %s", ep.Status, ep.Body)
	}
	secret, err := stdwebhooks.ParseSecret(ep.field(t, "secret"))
	if err != nil {
		t.Fatal(err)
	}
	if list := call(t, http.MethodGet, s.BrainURL+"/api/v1/webhooks", nil, bearer(a.AdminToken)); strings.Contains(string(list.Body), ep.field(t, "secret")) {
		t.Error("the endpoint listing shows the secret")
	}

	const hookSecret = "whsec_c3RyaXBlLWhvb2s="
	conn := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "stripe",
		"credentials": map[string]string{"api_key": "sk_test_123", "webhook_secret": hookSecret}}, bearer(a.AdminToken))
	if conn.Status != 201 {
		t.Fatalf("connect: %d %s", conn.Status, conn.Body)
	}
	hookURL := conn.field(t, "inbound_webhook_url")
	target := s.BrainURL + hookURL[strings.Index(hookURL, "/hooks/"):]
	body := []byte(`{"id":"evt_out_1","object":"event","type":"invoice.payment_failed","created":1700000000,"data":{"object":{"customer_email":"jo@acme.test"}}}`)
	for i := 0; i < 2; i++ { // the platform retries: still one delivery
		if r := post(t, target, body, map[string]string{"Stripe-Signature": stripeSignature(hookSecret, time.Now(), body)}); r.Status != 200 {
			t.Fatalf("inbound: %d %s", r.Status, r.Body)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the endpoint never received the event")
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // room for a wrong second delivery to show up
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("deliveries = %d, want 1", len(got))
	}
	if err := stdwebhooks.Verify(got[0].Header, bodies[0], secret, time.Now(), 0); err != nil {
		t.Errorf("delivery signature: %v", err)
	}
	if !strings.Contains(string(bodies[0]), `"type":"stripe.invoice.payment_failed"`) || !strings.Contains(string(bodies[0]), "jo@acme.test") {
		t.Errorf("delivery body = %s", bodies[0])
	}
}

package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/internal/testenv"
)

func stripeSignature(secret string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d.%s", ts.Unix(), body)
	return fmt.Sprintf("t=%d,v1=%s", ts.Unix(), hex.EncodeToString(mac.Sum(nil)))
}

// post sends a raw webhook delivery.
func post(t *testing.T, url string, body []byte, headers map[string]string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func TestInboundWebhooks(t *testing.T) {
	stripeURL := testenv.StripeMock(t)
	overrides := writeOverrides(t, map[string]map[string]string{"stripe": {"api_base_url": stripeURL}})
	s := startStack(t, "-provider-overrides", overrides, "-webhook-max-body", "4096")
	root, _ := s.login(t, adminEmail, adminPassword)
	a := s.makeTenant(t, root, "alpha")
	b := s.makeTenant(t, root, "beta")
	const secret = "whsec_dGVzdGFscGhh"
	r := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "stripe",
		"credentials": map[string]string{"api_key": "sk_test_123", "webhook_secret": secret}}, bearer(a.AdminToken))
	if r.Status != 201 {
		t.Fatalf("connect: %d %s", r.Status, r.Body)
	}
	hookURL := r.field(t, "inbound_webhook_url")
	if !strings.Contains(hookURL, "/hooks/") {
		t.Fatalf("inbound_webhook_url = %q", hookURL)
	}
	target := s.BrainURL + hookURL[strings.Index(hookURL, "/hooks/"):]
	now := time.Now()
	body := []byte(`{"id":"evt_1","object":"event","type":"invoice.payment_failed","created":1700000000,"data":{"object":{"customer_email":"jo@acme.test"}}}`)

	t.Run("verified delivery is stored once", func(t *testing.T) {
		first := post(t, target, body, map[string]string{"Stripe-Signature": stripeSignature(secret, now, body)})
		if first.Status != 200 || first.field(t, "event_id") == "" {
			t.Fatalf("delivery: %d %s", first.Status, first.Body)
		}
		again := post(t, target, body, map[string]string{"Stripe-Signature": stripeSignature(secret, now.Add(time.Second), body)})
		if again.Status != 200 || !strings.Contains(string(again.Body), `"duplicate":true`) {
			t.Errorf("redelivery: %d %s", again.Status, again.Body)
		}
		var list struct{ Items []hub.Event }
		call(t, http.MethodGet, s.BrainURL+"/api/v1/events?type=stripe.*", nil, bearer(a.ViewerToken)).json(t, &list)
		if len(list.Items) != 1 || list.Items[0].Type != "stripe.invoice.payment_failed" || list.Items[0].ExternalID != "evt_1" {
			t.Fatalf("events = %+v", list.Items)
		}
		ev := call(t, http.MethodGet, s.BrainURL+"/api/v1/events/"+list.Items[0].ID, nil, bearer(a.ViewerToken))
		if ev.Status != 200 || !strings.Contains(string(ev.Body), "jo@acme.test") {
			t.Errorf("event: %d %s", ev.Status, ev.Body)
		}
		wantProblem(t, call(t, http.MethodGet, s.BrainURL+"/api/v1/events/"+list.Items[0].ID, nil, bearer(b.AdminToken)), 404, hub.ENOTFOUND)
		var other struct{ Items []hub.Event }
		call(t, http.MethodGet, s.BrainURL+"/api/v1/events", nil, bearer(b.AdminToken)).json(t, &other)
		if len(other.Items) != 0 {
			t.Errorf("tenant B sees %d of A's events", len(other.Items))
		}
	})

	t.Run("bad deliveries are refused and nothing is stored", func(t *testing.T) {
		other := []byte(`{"id":"evt_2","type":"invoice.paid","created":1700000000}`)
		big := []byte(`{"id":"evt_3","type":"x","pad":"` + strings.Repeat("a", 5000) + `"}`)
		tests := []struct {
			name   string
			url    string
			body   []byte
			sig    string
			status int
		}{
			{"wrong secret", target, other, stripeSignature("whsec_other", now, other), 401},
			{"tampered body", target, []byte(strings.Replace(string(other), "paid", "void", 1)), stripeSignature(secret, now, other), 401},
			{"missing signature", target, other, "", 401},
			{"expired timestamp", target, other, stripeSignature(secret, now.Add(-time.Hour), other), 401},
			{"oversized body", target, big, stripeSignature(secret, now, big), 400},
			{"malformed json", target, []byte(`{"id":`), stripeSignature(secret, now, []byte(`{"id":`)), 400},
			{"unknown endpoint", s.BrainURL + "/hooks/" + strings.Repeat("0", 64), other, stripeSignature(secret, now, other), 404},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := map[string]string{}
				if tt.sig != "" {
					h["Stripe-Signature"] = tt.sig
				}
				got := post(t, tt.url, tt.body, h)
				if got.Status != tt.status {
					t.Errorf("status = %d, want %d (%s)", got.Status, tt.status, got.Body)
				}
			})
		}
		var list struct{ Items []hub.Event }
		call(t, http.MethodGet, s.BrainURL+"/api/v1/events", nil, bearer(a.ViewerToken)).json(t, &list)
		if len(list.Items) != 1 {
			t.Errorf("events after refused deliveries = %d, want 1", len(list.Items))
		}
		m := string(call(t, http.MethodGet, s.BrainURL+"/metrics", nil).Body)
		for _, reason := range []string{"bad_signature", "bad_timestamp", "too_large", "malformed", "unknown_endpoint"} {
			if !strings.Contains(m, `bizos_webhooks_rejected_total{reason="`+reason+`"}`) {
				t.Errorf("no rejected counter for %s", reason)
			}
		}
	})
}

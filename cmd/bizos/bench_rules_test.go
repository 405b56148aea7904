//go:build bench

package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBenchEventToAction measures, through the whole stack, the time from a
// webhook's acknowledgement to the first platform call of the rule it
// triggers (dispatcher, Temporal workflow, connector action).
func TestBenchEventToAction(t *testing.T) {
	var mu sync.Mutex
	firstCall := map[string]time.Time{}
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost && r.URL.Path == "/v1/customers" {
			_ = r.ParseForm()
			email := r.PostForm.Get("email")
			mu.Lock()
			if _, seen := firstCall[email]; !seen {
				firstCall[email] = time.Now()
			}
			mu.Unlock()
			io.WriteString(w, `{"id":"cus_1","object":"customer","email":"`+email+`","created":1700000000,"livemode":false}`)
			return
		}
		io.WriteString(w, `{"object":"balance","available":[],"pending":[],"livemode":false}`)
	}))
	defer upstream.Close()
	overrides := writeOverrides(t, map[string]map[string]string{"stripe": {"api_base_url": upstream.URL}})
	s := startStackLogging(t, io.Discard, "-provider-overrides", overrides)
	root, _ := s.login(t, adminEmail, adminPassword)
	a := s.makeTenant(t, root, "bench")
	const hookSecret = "whsec_YmVuY2gtcnVsZXM="
	conn := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "stripe",
		"credentials": map[string]string{"api_key": "sk_test_bench", "webhook_secret": hookSecret}}, bearer(a.AdminToken))
	if conn.Status != 201 {
		t.Fatalf("connect: %d %s", conn.Status, conn.Body)
	}
	rule := map[string]any{"name": "failed payments", "trigger": map[string]string{"event_type": "stripe.*"},
		"condition": `event.payload.data.object.amount_due > 100`,
		"actions": []map[string]any{{"type": "connector_action", "connection_id": conn.field(t, "id"), "action": "stripe.create_customer",
			"input": map[string]any{"email": "{{ event.payload.data.object.customer_email }}"}}}}
	if r := call(t, http.MethodPost, s.BrainURL+"/api/v1/rules", rule, bearer(a.AdminToken)); r.Status != 201 {
		t.Fatalf("rule: %d %s", r.Status, r.Body)
	}
	hookURL := conn.field(t, "inbound_webhook_url")
	target := s.BrainURL + hookURL[strings.Index(hookURL, "/hooks/"):]
	const n = 40
	acked := map[string]time.Time{}
	for i := 0; i < n; i++ {
		email := fmt.Sprintf("lead-%d@bench.test", i)
		body := []byte(fmt.Sprintf(`{"id":"evt_lat_%d","object":"event","type":"invoice.payment_failed","created":1700000000,"data":{"object":{"amount_due":5000,"customer_email":"%s"}}}`,
			i, email))
		r := post(t, target, body, map[string]string{"Stripe-Signature": stripeSignature(hookSecret, time.Now(), body)})
		if r.Status != 200 {
			t.Fatalf("inbound: %d %s", r.Status, r.Body)
		}
		acked[email] = time.Now()
		time.Sleep(100 * time.Millisecond)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		mu.Lock()
		done := len(firstCall) >= n
		mu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	var lat []float64
	for email, at := range acked {
		if c, ok := firstCall[email]; ok {
			lat = append(lat, float64(c.Sub(at).Microseconds())/1000)
		}
	}
	fmt.Printf("BENCH event to first action: %d of %d events, p50 %.0f ms, p99 %.0f ms (webhook ack -> rule's first platform call; the dispatcher polls every 200 ms)\n",
		len(lat), n, pct(lat, 50), pct(lat, 99))
}

package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/internal/testenv"
)

// TestRuleRunsOnEvent: a signed Stripe webhook becomes an event; a rule whose
// CEL condition matches runs a connector action with inputs templated from
// the event, through Temporal, and its run and steps are recorded.
func TestRuleRunsOnEvent(t *testing.T) {
	stripeURL := testenv.StripeMock(t)
	overrides := writeOverrides(t, map[string]map[string]string{"stripe": {"api_base_url": stripeURL}})
	s := startStack(t, "-provider-overrides", overrides)
	root, _ := s.login(t, adminEmail, adminPassword)
	a := s.makeTenant(t, root, "alpha")
	const hookSecret = "whsec_cnVsZXMtdGVzdA=="
	conn := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "stripe",
		"credentials": map[string]string{"api_key": "sk_test_123", "webhook_secret": hookSecret}}, bearer(a.AdminToken))
	if conn.Status != 201 {
		t.Fatalf("connect: %d %s", conn.Status, conn.Body)
	}
	connID := conn.field(t, "id")
	rule := map[string]any{
		"name":      "Big failed invoices become customers",
		"trigger":   map[string]string{"event_type": "stripe.invoice.*"},
		"condition": `event.payload.data.object.amount_due > 1000 && event.payload.data.object.customer_email != ""`,
		"actions": []map[string]any{{"type": "connector_action", "connection_id": connID, "action": "stripe.create_customer",
			"input": map[string]any{"email": "{{ event.payload.data.object.customer_email }}"}}},
	}
	bad := map[string]any{"name": "broken", "trigger": map[string]string{"event_type": "stripe.*"}, "condition": "event.payload.x >", "actions": rule["actions"]}
	r := call(t, http.MethodPost, s.BrainURL+"/api/v1/rules", bad, bearer(a.AdminToken))
	wantProblem(t, r, 400, hub.EINVALID)
	if !strings.Contains(string(r.Body), `"condition"`) {
		t.Errorf("bad condition error does not name the field: %s", r.Body)
	}
	wantProblem(t, call(t, http.MethodPost, s.BrainURL+"/api/v1/rules", rule, bearer(a.ViewerToken)), 403, hub.EFORBIDDEN)
	created := call(t, http.MethodPost, s.BrainURL+"/api/v1/rules", rule, bearer(a.AdminToken))
	if created.Status != 201 {
		t.Fatalf("create rule: %d %s", created.Status, created.Body)
	}
	ruleID := created.field(t, "id")

	hookURL := conn.field(t, "inbound_webhook_url")
	target := s.BrainURL + hookURL[strings.Index(hookURL, "/hooks/"):]
	for _, ev := range []string{
		`{"id":"evt_big","object":"event","type":"invoice.payment_failed","created":1700000000,"data":{"object":{"amount_due":5000,"customer_email":"big@acme.test"}}}`,
		`{"id":"evt_small","object":"event","type":"invoice.payment_failed","created":1700000000,"data":{"object":{"amount_due":10,"customer_email":"small@acme.test"}}}`,
	} {
		body := []byte(ev)
		if r := post(t, target, body, map[string]string{"Stripe-Signature": stripeSignature(hookSecret, time.Now(), body)}); r.Status != 200 {
			t.Fatalf("inbound: %d %s", r.Status, r.Body)
		}
	}
	var runs struct {
		Items []struct {
			Status string
			Steps  []struct {
				Status string
				Input  map[string]any
				Error  string
			}
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		call(t, http.MethodGet, s.BrainURL+"/api/v1/rules/"+ruleID+"/runs", nil, bearer(a.ViewerToken)).json(t, &runs)
		if len(runs.Items) > 0 && runs.Items[0].Status != "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no finished rule run: %+v", runs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // room for a wrong second run to show up
	call(t, http.MethodGet, s.BrainURL+"/api/v1/rules/"+ruleID+"/runs", nil, bearer(a.ViewerToken)).json(t, &runs)
	if len(runs.Items) != 1 {
		t.Fatalf("runs = %d, want 1 (only the big invoice matches)", len(runs.Items))
	}
	run := runs.Items[0]
	if run.Status != "succeeded" || len(run.Steps) != 1 || run.Steps[0].Input["email"] != "big@acme.test" {
		t.Errorf("run = %+v", run)
	}
}

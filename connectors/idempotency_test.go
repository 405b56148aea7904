package connectors_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/connectors"
)

// TestIdempotencyKeyFromContext: a caller's idempotency key (a rule step's)
// reaches Stripe unchanged on every retry of the step, so Stripe can drop
// the repeat; without one each run gets its own key.
func TestIdempotencyKeyFromContext(t *testing.T) {
	var mu sync.Mutex
	var keys []string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost && r.URL.Path == "/v1/customers" {
			mu.Lock()
			keys = append(keys, r.Header.Get("Idempotency-Key"))
			mu.Unlock()
			io.WriteString(w, `{"id":"cus_1","object":"customer","email":"a@b.test","created":1700000000,"livemode":false}`)
			return
		}
		io.WriteString(w, `{"object":"balance","available":[],"pending":[],"livemode":false}`)
	}))
	defer upstream.Close()
	h := newHarness(t, map[string]connectors.Override{"stripe": {APIBaseURL: upstream.URL}}, nil)
	ctx := context.Background()
	conn, err := h.svc.Connect(ctx, h.user, connectors.ConnectRequest{Provider: "stripe", Credentials: map[string]string{"api_key": "sk_test_x"}})
	if err != nil {
		t.Fatal(err)
	}
	input := json.RawMessage(`{"email":"a@b.test"}`)
	step := hub.NewContextWithIdempotencyKey(ctx, "rule-run1-0")
	for i := 0; i < 2; i++ { // the same step, retried
		if _, err := h.svc.RunAction(step, h.user.TenantID, conn.ID, "stripe.create_customer", input); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.svc.RunAction(ctx, h.user.TenantID, conn.ID, "stripe.create_customer", input); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(keys) != 3 || keys[0] != "bizos-rule-run1-0" || keys[1] != keys[0] || keys[2] == keys[0] || keys[2] == "" {
		t.Errorf("idempotency keys = %q", keys)
	}
}

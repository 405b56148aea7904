package connectors_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/connectors"
	"github.com/bizoshub/bizos/internal/fakes"
)

// TestUpstreamFaults points a HubSpot private-app connection at a flaky
// upstream: every fault gets a clear upstream error with a status, GETs are
// retried on 429 within bounds, and the stored credentials never change.
func TestUpstreamFaults(t *testing.T) {
	ctx := context.Background()
	flaky := fakes.NewFlaky(t)
	h := newHarness(t, map[string]connectors.Override{"hubspot": {APIBaseURL: flaky.URL}}, func(c *connectors.Config) {
		c.Timeout = 500 * time.Millisecond
		c.MaxRetries = 2
		c.MaxRetryWait = 2 * time.Second
	})
	flaky.SetMode("ok")
	conn, err := h.svc.Connect(ctx, h.user, connectors.ConnectRequest{Provider: "hubspot",
		Credentials: map[string]string{"access_token": "pat-flaky"}})
	if err != nil {
		t.Fatal(err)
	}
	before, _, _ := h.store.ConnectionCredentials(ctx, h.user.TenantID, conn.ID)
	tests := []struct {
		mode       string
		method     string
		wantStatus int // upstream status in the error (0: a response is returned)
		wantCalls  int // requests the upstream saw
		response   int // status of a returned response
	}{
		{"hang", http.MethodGet, http.StatusGatewayTimeout, 1, 0},
		{"close", http.MethodGet, http.StatusBadGateway, 1, 0},
		{"500", http.MethodGet, 0, 1, 500},
		{"429", http.MethodGet, 0, 3, 429},  // one call and two bounded retries
		{"429", http.MethodPost, 0, 1, 429}, // never retried: not idempotent
		{"ok", http.MethodGet, 0, 1, 200},
	}
	for _, tt := range tests {
		t.Run(tt.mode+" "+tt.method, func(t *testing.T) {
			flaky.SetMode(tt.mode)
			n := flaky.Requests()
			resp, err := h.svc.Do(ctx, conn, tt.method, "/crm/v3/objects/contacts", nil, nil, nil)
			if tt.wantStatus != 0 {
				var he *hub.Error
				if hub.ErrorCode(err) != hub.EUPSTREAM || !asErr(err, &he) || he.UpstreamStatus != tt.wantStatus {
					t.Fatalf("err = %v, want upstream error with status %d", err, tt.wantStatus)
				}
			} else {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				resp.Body.Close()
				if resp.StatusCode != tt.response {
					t.Errorf("status = %d, want %d", resp.StatusCode, tt.response)
				}
			}
			if got := flaky.Requests() - n; got != tt.wantCalls {
				t.Errorf("upstream saw %d requests, want %d", got, tt.wantCalls)
			}
			after, _, _ := h.store.ConnectionCredentials(ctx, h.user.TenantID, conn.ID)
			if !reflect.DeepEqual(before, after) {
				t.Error("a fault changed the stored credentials")
			}
		})
	}
	// A failing check marks the connection as errored, with the reason.
	flaky.SetMode("500")
	got, err := h.svc.Test(ctx, h.user.TenantID, conn.ID)
	if err != nil || got.Status != hub.ConnectionError || got.LastError == "" {
		t.Errorf("test on a failing platform = %+v, %v", got, err)
	}
	flaky.SetMode("ok")
	if got, _ := h.svc.Test(ctx, h.user.TenantID, conn.ID); got.Status != hub.ConnectionConnected {
		t.Errorf("test after recovery = %s", got.Status)
	}
}

// TestTokenEndpointFaults: a token endpoint answering invalid_grant or
// failing leaves the stored credentials intact.
func TestTokenEndpointDown(t *testing.T) {
	ctx := context.Background()
	o, _, overrides := hubspotFakes(t, false)
	flaky := fakes.NewFlaky(t)
	h := newHarness(t, overrides, nil)
	conn := h.oauthConnect("hubspot", nil)
	before, _, _ := h.store.ConnectionCredentials(ctx, h.user.TenantID, conn.ID)
	// Point the token endpoint at a failing server for a second service.
	broken := overrides["hubspot"]
	broken.TokenURL = flaky.URL + "/token"
	catalog, _ := connectors.LoadCatalog()
	if err := catalog.ApplyOverrides(map[string]connectors.Override{"hubspot": broken}); err != nil {
		t.Fatal(err)
	}
	svc := h.newSvc(func(c *connectors.Config) {
		c.Catalog = catalog
		c.Apps = map[string]connectors.Override{"hubspot": broken}
	})
	flaky.SetMode("500")
	o.ExpireAll()
	_, err := svc.Do(ctx, conn, http.MethodGet, "/crm/v3/objects/contacts", nil, nil, nil)
	if hub.ErrorCode(err) != hub.EUPSTREAM {
		t.Fatalf("err = %v, want upstream error", err)
	}
	got, _ := h.store.Connection(ctx, h.user.TenantID, conn.ID)
	if got.Status != hub.ConnectionConnected {
		t.Errorf("a token endpoint outage marked the connection %s", got.Status)
	}
	after, _, _ := h.store.ConnectionCredentials(ctx, h.user.TenantID, conn.ID)
	if !reflect.DeepEqual(before, after) {
		t.Error("a failed refresh changed the stored credentials")
	}
}

// TestRateLimitHeadersPauseCalls: once the platform reports no remaining
// quota, the next call waits for the window instead of hitting the
// platform; a wait beyond the bound is refused at once with 429.
func TestRateLimitHeadersPauseCalls(t *testing.T) {
	ctx := context.Background()
	var calls int
	var mu sync.Mutex
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		w.Header().Set("X-HubSpot-RateLimit-Secondly-Remaining", "0")
		io.WriteString(w, `{"results":[]}`)
	}))
	defer upstream.Close()
	h := newHarness(t, map[string]connectors.Override{"hubspot": {APIBaseURL: upstream.URL}}, func(c *connectors.Config) {
		c.MaxRetryWait = 100 * time.Millisecond
	})
	conn, err := h.svc.Connect(ctx, h.user, connectors.ConnectRequest{Provider: "hubspot", Credentials: map[string]string{"access_token": "pat"}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.svc.Do(ctx, conn, http.MethodGet, "/crm/v3/objects/contacts", nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mu.Lock()
	before := calls
	mu.Unlock()
	_, err = h.svc.Do(ctx, conn, http.MethodGet, "/crm/v3/objects/contacts", nil, nil, nil)
	var he *hub.Error
	if !asErr(err, &he) || he.UpstreamStatus != http.StatusTooManyRequests || he.RetryAfter == 0 {
		t.Fatalf("err = %v, want a 429 upstream error with Retry-After", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != before {
		t.Errorf("the platform was called %d more times while the quota was used up", calls-before)
	}
}

package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/internal/fakes"
	"github.com/bizoshub/bizos/syshealth"
	"github.com/bizoshub/bizos/workflows"
)

// TestAdminHealth runs GET /api/v1/admin/health on the whole dev stack:
// every component answers, request figures follow real traffic, a platform
// connected against a fake HubSpot (which rate-limits every third call) gets
// its row, and nobody but the super admin may look.
func TestAdminHealth(t *testing.T) {
	hs := fakes.NewHubSpot(t, fakes.Options{RateLimitEvery: 3})
	overrides := writeOverrides(t, map[string]map[string]string{"hubspot": {"api_base_url": hs.URL}})
	s := startStack(t, "-provider-overrides", overrides)
	root, _ := s.login(t, adminEmail, adminPassword)
	a := s.makeTenant(t, root, "alpha")

	// Traffic: a platform connected with a private app token (verified
	// live), proxied calls (one of them answered 429 and retried), and
	// plain API calls.
	conn := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "hubspot", "name": "CRM",
		"credentials": map[string]string{"access_token": "pat-health"}}, bearer(a.AdminToken))
	if conn.Status != http.StatusCreated {
		t.Fatalf("connect: %d %s", conn.Status, conn.Body)
	}
	for i := 0; i < 3; i++ {
		r := call(t, http.MethodGet, s.BrainURL+"/api/v1/connections/"+conn.field(t, "id")+"/proxy/crm/v3/objects/contacts?limit=1", nil, bearer(a.ViewerToken))
		if r.Status != http.StatusOK {
			t.Fatalf("proxy call %d: %d %s", i, r.Status, r.Body)
		}
	}
	for i := 0; i < 5; i++ {
		call(t, http.MethodGet, s.BrainURL+"/api/v1/me", nil, bearer(a.MemberToken))
	}
	// A workflow that fails: a delivery without ids is refused as bad input.
	tc, err := client.Dial(client.Options{HostPort: s.TemporalAddress, Namespace: s.cfg.TemporalNamespace})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "health-failing-delivery", TaskQueue: workflows.TaskQueue},
		workflows.DeliverWebhook, workflows.DeliveryInput{})
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); err == nil {
		t.Fatal("the delivery without ids did not fail")
	}

	t.Run("super admin sees every component ok", func(t *testing.T) {
		// The worker's first polls may take a moment to show; reports are
		// cached for 5 s, so ask again until everything is up.
		var rep syshealth.Report
		deadline := time.Now().Add(45 * time.Second)
		for {
			r := call(t, http.MethodGet, s.BrainURL+"/api/v1/admin/health", nil, bearer(root))
			if r.Status != http.StatusOK {
				t.Fatalf("health: %d %s", r.Status, r.Body)
			}
			if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
			rep = syshealth.Report{}
			r.json(t, &rep)
			t.Logf("report: %s", r.Body)
			// Visibility records the failure shortly after the workflow closes.
			if (rep.Status == syshealth.StatusOK && rep.Temporal.FailedWorkflows1h > 0) || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Second)
		}
		if rep.Status != syshealth.StatusOK {
			t.Errorf("status = %s, want ok: %+v", rep.Status, rep.Components)
		}
		var names []string
		for _, c := range rep.Components {
			names = append(names, c.Name)
			if c.Status != syshealth.StatusOK {
				t.Errorf("component %s = %s (%s), want ok", c.Name, c.Status, c.Detail)
			}
			if c.Name != syshealth.ComponentBrain && c.LatencyMs <= 0 {
				t.Errorf("component %s latency = %v ms, want > 0", c.Name, c.LatencyMs)
			}
		}
		if got := strings.Join(names, ","); got != "brain,authsvc,worker,postgres,redis,temporal" {
			t.Errorf("components = %s", got)
		}
		if len(rep.Unavailable) != 0 {
			t.Errorf("unavailable parts: %v", rep.Unavailable)
		}
		if time.Since(rep.GeneratedAt) > time.Minute {
			t.Errorf("generated_at = %s", rep.GeneratedAt)
		}

		// Both services, both windows, with the traffic above.
		windows := map[string]syshealth.ServiceWindow{}
		for _, w := range rep.Services {
			windows[w.Service+"/"+time.Duration(w.WindowMinutes*int(time.Minute)).String()] = w
		}
		for _, key := range []string{"brain/5m0s", "brain/1h0m0s", "authsvc/5m0s", "authsvc/1h0m0s"} {
			w, ok := windows[key]
			if !ok {
				t.Errorf("no %s window in %+v", key, rep.Services)
				continue
			}
			if w.RequestRate <= 0 || w.Requests <= 0 || w.P95Ms <= 0 {
				t.Errorf("%s = %+v, want requests, a rate and a p95", key, w)
			}
			if w.ErrorRate != 0 {
				t.Errorf("%s error rate = %v, want 0 (nothing failed)", key, w.ErrorRate)
			}
		}
		if len(rep.Series) != 2 || rep.Series["brain"] == nil || rep.Series["authsvc"] == nil {
			t.Errorf("series = %v, want brain and authsvc", rep.Series)
		}

		if rep.Temporal.TaskQueue != "bizos" || rep.Temporal.Pollers < 1 || rep.Temporal.WorkflowPollers < 1 || rep.Temporal.ActivityPollers < 1 {
			t.Errorf("temporal = %+v", rep.Temporal)
		}
		if rep.Temporal.FailedWorkflows1h != 1 || rep.Temporal.Backlog < 0 || rep.Temporal.Detail != "" {
			t.Errorf("temporal = %+v, want the one failed workflow", rep.Temporal)
		}
		if rep.Webhooks != (syshealth.WebhookStats{}) {
			t.Errorf("webhooks = %+v, want none", rep.Webhooks)
		}

		var hubspot *syshealth.ProviderStats
		for i, p := range rep.Providers {
			if p.Provider == "hubspot" {
				hubspot = &rep.Providers[i]
			}
		}
		if hubspot == nil {
			t.Fatalf("no hubspot row in %+v", rep.Providers)
		}
		if hubspot.Connections != 1 || hubspot.ConnectedConns != 1 || hubspot.ExpiredConnections != 0 || hubspot.ErrorConnections != 0 {
			t.Errorf("hubspot connections = %+v", hubspot)
		}
		// the verification, 3 proxied calls and the retry after the 429
		if n := float64(hs.Requests()); hubspot.Calls1h != n || n < 5 || hubspot.RateLimited != 1 || hubspot.CallRate <= 0 ||
			hubspot.P95Ms <= 0 || hubspot.ErrorRate != 0 {
			t.Errorf("hubspot calls = %+v, want %v calls, 1 rate-limited", hubspot, n)
		}
	})

	t.Run("reports are cached for 5 seconds", func(t *testing.T) {
		var first, second syshealth.Report
		call(t, http.MethodGet, s.BrainURL+"/api/v1/admin/health", nil, bearer(root)).json(t, &first)
		call(t, http.MethodGet, s.BrainURL+"/api/v1/admin/health", nil, bearer(root)).json(t, &second)
		if !first.GeneratedAt.Equal(second.GeneratedAt) {
			// The first may have been the last of a cached one's life; the
			// next two must then share one.
			call(t, http.MethodGet, s.BrainURL+"/api/v1/admin/health", nil, bearer(root)).json(t, &first)
			if !first.GeneratedAt.Equal(second.GeneratedAt) {
				t.Errorf("two reports in a row: %s and %s", second.GeneratedAt, first.GeneratedAt)
			}
		}
	})

	t.Run("only the super admin may look", func(t *testing.T) {
		for name, tok := range map[string]string{"tenant admin": a.AdminToken, "member": a.MemberToken} {
			r := call(t, http.MethodGet, s.BrainURL+"/api/v1/admin/health", nil, bearer(tok))
			wantProblem(t, r, http.StatusForbidden, hub.EFORBIDDEN)
			if strings.Contains(string(r.Body), "components") {
				t.Errorf("%s: answer carries the report", name)
			}
		}
		key := call(t, http.MethodPost, s.AuthURL+"/tenants/"+a.ID+"/api-keys",
			map[string]any{"name": "ops", "scopes": []string{"*:read"}}, bearer(a.AdminToken))
		if key.Status != http.StatusCreated {
			t.Fatalf("api key: %d %s", key.Status, key.Body)
		}
		wantProblem(t, call(t, http.MethodGet, s.BrainURL+"/api/v1/admin/health", nil, "X-API-Key: "+key.field(t, "key")),
			http.StatusForbidden, hub.EFORBIDDEN)
		wantProblem(t, call(t, http.MethodGet, s.BrainURL+"/api/v1/admin/health", nil), http.StatusUnauthorized, hub.EUNAUTHORIZED)
	})

	t.Run("the route is documented", func(t *testing.T) {
		var doc struct {
			Paths map[string]map[string]any `json:"paths"`
		}
		call(t, http.MethodGet, s.BrainURL+"/api/openapi.json", nil).json(t, &doc)
		if _, ok := doc.Paths["/api/v1/admin/health"]["get"]; !ok {
			t.Error("openapi lacks GET /api/v1/admin/health")
		}
	})
}

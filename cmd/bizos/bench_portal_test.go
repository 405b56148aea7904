//go:build bench

package main

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
)

// TestBenchPortal prints the portal's first-screen bundle size and the time
// to interactive of /dashboard/connectors in headless Chromium, with the 13
// connectors and 50 connections of one tenant (against stripe-mock).
func TestBenchPortal(t *testing.T) {
	dir := requireBrowserTools(t)
	p := startPortalStack(t)
	const connections = 50
	for i := range connections {
		body := map[string]any{"provider": "stripe", "name": fmt.Sprintf("Stripe account %d", i+1),
			"credentials": map[string]string{"api_key": "sk_test_bench" + strconv.Itoa(i)}}
		if r := call(t, http.MethodPost, p.BrainURL+"/api/v1/connections", body, bearer(p.Tenant.AdminToken)); r.Status != http.StatusCreated {
			t.Fatalf("connection %d: %d %s", i, r.Status, r.Body)
		}
	}
	out := runNode(t, dir, append(p.env(t.TempDir()), "E2E_CONNECTIONS="+strconv.Itoa(connections)), "bench/first-screen.mjs")
	fmt.Print(out)
}

//go:build bench

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bizoshub/bizos/internal/testenv"
)

// TestBenchInbound measures verified, durably stored webhooks per second
// with 64 concurrent senders and the p99 of their acknowledgements, and the
// throughput of plain single-row INSERTs of the same rows in the same run.
func TestBenchInbound(t *testing.T) {
	stripeURL := testenv.StripeMock(t)
	overrides := writeOverrides(t, map[string]map[string]string{"stripe": {"api_base_url": stripeURL}})
	s := startStackLogging(t, io.Discard, "-provider-overrides", overrides)
	root, _ := s.login(t, adminEmail, adminPassword)
	a := s.makeTenant(t, root, "bench")
	const secret = "whsec_YmVuY2hzZWNyZXQ="
	r := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "stripe",
		"credentials": map[string]string{"api_key": "sk_test_123", "webhook_secret": secret}}, bearer(a.AdminToken))
	if r.Status != 201 {
		t.Fatalf("connect: %d %s", r.Status, r.Body)
	}
	hookURL := r.field(t, "inbound_webhook_url")
	target := s.BrainURL + hookURL[strings.Index(hookURL, "/hooks/"):]
	tenantID, connID := a.ID, r.field(t, "id")

	const senders = 64
	d := 5 * time.Second
	var seq atomic.Int64
	var ok, failed atomic.Int64
	var mu sync.Mutex
	var lat []float64
	tr := &http.Transport{MaxIdleConnsPerHost: senders, MaxConnsPerHost: senders}
	client := &http.Client{Transport: tr}
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := 0; i < senders; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []float64
			for time.Now().Before(deadline) {
				n := seq.Add(1)
				body := []byte(fmt.Sprintf(`{"id":"evt_bench_%d","object":"event","type":"invoice.paid","created":1700000000,"data":{"object":{"amount_paid":%d}}}`, n, n))
				req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Stripe-Signature", stripeSignature(secret, time.Now(), body))
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Add(1)
					continue
				}
				ok.Add(1)
				mine = append(mine, float64(time.Since(start).Microseconds())/1000)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.Errorf("%d deliveries failed", failed.Load())
	}
	hookRate := float64(ok.Load()) / d.Seconds()

	// The same rows, inserted one per transaction by 64 writers.
	ctx := context.Background()
	// A pool whose sessions are in the system scope, so a plain INSERT passes
	// row-level security without a transaction around it.
	pcfg, err := pgxpool.ParseConfig(s.cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	pcfg.MaxConns = senders
	pcfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, "SET bizos.scope = 'system'")
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var inserted atomic.Int64
	deadline = time.Now().Add(d)
	for i := 0; i < senders; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				n := seq.Add(1)
				_, err := pool.Exec(ctx, `INSERT INTO events (id, tenant_id, type, source, external_id, occurred_at, payload)
					VALUES (gen_random_uuid(), $1, 'stripe.invoice.paid', $2, $3, now(), $4)`,
					tenantID, connID, fmt.Sprintf("evt_plain_%d", n), fmt.Sprintf(`{"id":"evt_plain_%d","amount_paid":%d}`, n, n))
				if err == nil {
					inserted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	plainRate := float64(inserted.Load()) / d.Seconds()
	fmt.Printf("BENCH inbound: %.0f verified+stored webhooks/s with %d senders, ack p50 %.1f ms p99 %.1f ms (goal >= 5000/s, p99 < 50 ms)\n",
		hookRate, senders, pct(lat, 50), pct(lat, 99))
	fmt.Printf("BENCH inbound: plain single-row INSERTs of the same rows %.0f/s; webhooks/INSERTs = %.2f\n", plainRate, hookRate/plainRate)
}

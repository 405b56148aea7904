package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/postgres"
)

// buildBizos builds the bizos binary once for the tests that need a real
// process to kill.
func buildBizos(t *testing.T, flags ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bizos")
	cmd := exec.Command("go", append(append([]string{"build"}, flags...), "-o", bin, ".")...)
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// brainProcess runs `bizos brain` as a child process on addr.
func brainProcess(t *testing.T, bin, addr string, s *testStack, overrides string, extra ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"brain", "-brain-addr", addr, "-database-url", s.cfg.DatabaseURL, "-redis-url", s.cfg.RedisURL,
		"-redis-prefix", s.cfg.RedisPrefix, "-data-dir", s.cfg.DataDir, "-auth-url", s.AuthURL,
		"-temporal-address", s.TemporalAddress, "-provider-overrides", overrides, "-egress-allow", "127.0.0.0/8"}, extra...)...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			return cmd
		}
		if time.Now().After(deadline) {
			t.Fatal("brain process did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBrainKilledWhileWebhooksArrive sends signed webhooks at a steady rate
// to a brain process, kills it with SIGKILL midway and starts it again:
// every delivery that was acknowledged is stored once and reaches the
// tenant's outbound endpoint exactly once.
func TestBrainKilledWhileWebhooksArrive(t *testing.T) {
	bin := buildBizos(t)
	var mu sync.Mutex
	received := map[string]int{}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		received[r.Header.Get("webhook-id")]++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	stripeURL := testenv.StripeMock(t)
	overrides := writeOverrides(t, map[string]map[string]string{"stripe": {"api_base_url": stripeURL}})
	s := startStack(t, "-provider-overrides", overrides, "-egress-allow", "127.0.0.0/8")
	root, _ := s.login(t, adminEmail, adminPassword)
	a := s.makeTenant(t, root, "alpha")
	if ep := call(t, http.MethodPost, s.BrainURL+"/api/v1/webhooks", map[string]any{"url": receiver.URL,
		"event_types": []string{"stripe.*"}}, bearer(a.AdminToken)); ep.Status != 201 {
		t.Fatalf("endpoint: %d %s", ep.Status, ep.Body)
	}
	const hookSecret = "whsec_a2lsbC10ZXN0"
	conn := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "stripe",
		"credentials": map[string]string{"api_key": "sk_test_123", "webhook_secret": hookSecret}}, bearer(a.AdminToken))
	if conn.Status != 201 {
		t.Fatalf("connect: %d %s", conn.Status, conn.Body)
	}
	hookURL := conn.field(t, "inbound_webhook_url")
	path := hookURL[strings.Index(hookURL, "/hooks/"):]

	addr := freeAddr(t)
	proc := brainProcess(t, bin, addr, s, overrides)
	defer func() { _ = proc.Process.Kill(); _ = proc.Wait() }()

	var ackMu sync.Mutex
	acked := map[string]bool{}
	stop := time.Now().Add(6 * time.Second)
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; time.Now().Before(stop); i++ {
				id := fmt.Sprintf("evt_kill_%d_%d", g, i)
				body := []byte(`{"id":"` + id + `","object":"event","type":"invoice.paid","created":1700000000}`)
				req, _ := http.NewRequest(http.MethodPost, "http://"+addr+path, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Stripe-Signature", stripeSignature(hookSecret, time.Now(), body))
				resp, err := client.Do(req)
				if err != nil {
					time.Sleep(20 * time.Millisecond) // the brain is down: the platform would retry later
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ackMu.Lock()
					acked[id] = true
					ackMu.Unlock()
				}
				time.Sleep(40 * time.Millisecond) // a steady rate, about 100 deliveries a second
			}
		}(g)
	}
	time.Sleep(2 * time.Second)
	if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = proc.Wait()
	proc = brainProcess(t, bin, addr, s, overrides)
	wg.Wait()

	ackMu.Lock()
	defer ackMu.Unlock()
	if len(acked) < 50 {
		t.Fatalf("only %d deliveries were acknowledged", len(acked))
	}
	// Every acknowledged delivery is stored, once.
	db, err := postgres.Open(context.Background(), s.cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stored := map[string]int{}
	err = db.InSystem(context.Background(), func(tx pgx.Tx) error {
		rows, err := tx.Query(context.Background(), `SELECT external_id, count(*) FROM events WHERE source = $1 GROUP BY external_id`, conn.field(t, "id"))
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				return err
			}
			stored[id] = n
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	for id := range acked {
		if stored[id] != 1 {
			t.Errorf("acknowledged %s stored %d times", id, stored[id])
		}
	}
	// Every stored event reaches the endpoint exactly once.
	deadline := time.Now().Add(120 * time.Second)
	for {
		mu.Lock()
		done := len(received) >= len(stored)
		mu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second)
	mu.Lock()
	defer mu.Unlock()
	if len(received) != len(stored) {
		t.Errorf("%d stored events were never delivered (delivered %d of %d)", len(stored)-len(received), len(received), len(stored))
	}
	for eventID, count := range received {
		if count != 1 {
			t.Errorf("event %s delivered %d times", eventID, count)
		}
	}
	t.Logf("acknowledged %d, stored %d, delivered %d", len(acked), len(stored), len(received))
}

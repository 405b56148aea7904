//go:build bench

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/authsvc"
	"github.com/bizoshub/bizos/httpapi"
)

// TestBenchAuthOverhead measures what authentication and authorization cost
// inside brain: requests per second of GET /api/v1/me with a bearer token,
// against the same route and handler mounted without authentication on an
// otherwise identical server. Rounds alternate so machine noise hits both.
func TestBenchAuthOverhead(t *testing.T) {
	// Access logs go nowhere on both servers: the bench measures request handling.
	s := startStackLogging(t, io.Discard)
	token, _ := s.login(t, adminEmail, adminPassword)

	// The same handler on the same middleware stack, minus authentication.
	e, err := httpapi.NewEcho(httpapi.ServerConfig{Service: "bench", Log: newLogger(s.cfg, io.Discard), Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	me := call(t, http.MethodGet, s.BrainURL+"/api/v1/me", nil, bearer(token))
	principal := hub.Principal{Kind: hub.PrincipalUser, ID: me.field(t, "id"), TenantID: me.field(t, "tenant_id"),
		SuperAdmin: true, Email: me.field(t, "email")}
	var meRoute httpapi.Route
	a, err := openApp(context.Background(), s.cfg, newLogger(s.cfg, io.Discard), false)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	_, brainSrv, err := a.brainServer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range brainSrv.Routes() {
		if r.Path == "/api/v1/me" {
			meRoute = r
		}
	}
	handler := meRoute.Handler
	meRoute.Public = true
	meRoute.Handler = func(c echo.Context) error {
		c.SetRequest(c.Request().WithContext(hub.NewContextWithPrincipal(c.Request().Context(), principal)))
		return handler(c)
	}
	httpapi.Mount(e, []httpapi.Route{meRoute}, nil, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go serveListener(ctx, newLogger(s.cfg, io.Discard), "bench", ln, e)
	plainURL := "http://" + ln.Addr().String() + "/api/v1/me"
	authURL := s.BrainURL + "/api/v1/me"

	const rounds, concurrency = 3, 8
	round := 2 * time.Second
	var authRPS, plainRPS []float64
	for i := 0; i < rounds; i++ {
		authRPS = append(authRPS, load(t, authURL, token, concurrency, round))
		plainRPS = append(plainRPS, load(t, plainURL, "", concurrency, round))
	}
	am, pm := median(authRPS), median(plainRPS)
	cost := (1 - am/pm) * 100
	fmt.Printf("BENCH auth overhead: GET /api/v1/me authenticated %.0f req/s, unauthenticated %.0f req/s (median of %d rounds of %s, %d clients)\n",
		am, pm, rounds, round, concurrency)
	fmt.Printf("BENCH auth overhead: authenticated/unauthenticated = %.3f; authentication costs %.1f%% of throughput (goal < 15%%)\n", am/pm, cost)
}

// load sends GETs from n clients for d and returns successful requests per second.
func load(t *testing.T, url, token string, n int, d time.Duration) float64 {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var ok, failed atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ok.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		t.Fatalf("%d failed requests to %s", f, url)
	}
	return float64(ok.Load()) / d.Seconds()
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// TestBenchLogin prints what one login costs with the default argon2id
// parameters: the hash alone, and the whole POST /auth/login round trip.
func TestBenchLogin(t *testing.T) {
	p := authsvc.DefaultArgon2Params
	hash, err := authsvc.HashPassword("correct horse battery staple", p)
	if err != nil {
		t.Fatal(err)
	}
	const n = 10
	var verify []float64
	for i := 0; i < n; i++ {
		start := time.Now()
		if ok, err := authsvc.VerifyPassword("correct horse battery staple", hash); !ok || err != nil {
			t.Fatal("verify failed")
		}
		verify = append(verify, float64(time.Since(start).Microseconds())/1000)
	}
	s := startStack(t, "-argon2-memory-kib", fmt.Sprint(p.MemoryKiB), "-argon2-time", fmt.Sprint(p.Time),
		"-argon2-threads", fmt.Sprint(p.Threads))
	var login []float64
	for i := 0; i < n; i++ {
		start := time.Now()
		s.login(t, adminEmail, adminPassword)
		login = append(login, float64(time.Since(start).Microseconds())/1000)
	}
	fmt.Printf("BENCH login: argon2id m=%d KiB t=%d p=%d verify median %.1f ms; POST /auth/login median %.1f ms (n=%d; goal 50-150 ms)\n",
		p.MemoryKiB, p.Time, p.Threads, median(verify), median(login), n)
	fmt.Printf("BENCH login: hash share of a login = %.2f\n", median(verify)/median(login))
}

//go:build bench

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bizoshub/bizos/internal/fakes"
)

// proxyBenchStack starts a local upstream answering a page of 20 contacts
// and a stack whose HubSpot points at it, connects a new tenant's HubSpot
// account, and returns the upstream's URL, the proxied contacts URL of the
// connection and the tenant.
func proxyBenchStack(t *testing.T) (upstreamURL, hubURL string, a *tenantFixture) {
	t.Helper()
	payload := strings.Repeat(`{"id":"1","properties":{"email":"a@b.test"}},`, 20)
	upstream := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"results":[`+payload+`{}]}`)
	})}
	uln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go upstream.Serve(uln)
	t.Cleanup(func() { upstream.Close() })
	upstreamURL = "http://" + uln.Addr().String()

	overrides := writeOverrides(t, map[string]map[string]string{"hubspot": {"api_base_url": upstreamURL}})
	s := startStackLogging(t, io.Discard, "-provider-overrides", overrides)
	root, _ := s.login(t, adminEmail, adminPassword)
	a = s.makeTenant(t, root, "bench")
	r := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "hubspot",
		"credentials": map[string]string{"access_token": "pat-bench"}}, bearer(a.AdminToken))
	if r.Status != 201 {
		t.Fatalf("connect: %d %s", r.Status, r.Body)
	}
	return upstreamURL, s.BrainURL + "/api/v1/connections/" + r.field(t, "id") + "/proxy/crm/v3/objects/contacts?limit=20", a
}

// TestBenchProxy compares the gateway's proxy with a bare
// httputil.ReverseProxy in front of the same local upstream: peak
// throughput, then p50/p99 latency of both at half the bare proxy's peak.
func TestBenchProxy(t *testing.T) {
	upstreamURL, hubURL, a := proxyBenchStack(t)

	target, _ := url.Parse(upstreamURL)
	bare := httputil.NewSingleHostReverseProxy(target)
	bln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bareSrv := &http.Server{Handler: bare}
	go bareSrv.Serve(bln)
	defer bareSrv.Close()
	bareURL := "http://" + bln.Addr().String() + "/crm/v3/objects/contacts?limit=20"

	const rounds, clients = 3, 8
	round := 2 * time.Second
	var hubPeak, barePeak []float64
	for i := 0; i < rounds; i++ {
		hubPeak = append(hubPeak, load(t, hubURL, a.ViewerToken, clients, round))
		barePeak = append(barePeak, load(t, bareURL, "", clients, round))
	}
	hp, bp := median(hubPeak), median(barePeak)
	fmt.Printf("BENCH proxy peak: gateway %.0f req/s, bare ReverseProxy %.0f req/s, ratio %.2f (goal >= 0.70)\n", hp, bp, hp/bp)

	rate := bp / 2
	hubLat := paced(t, hubURL, a.ViewerToken, rate, 3*time.Second)
	bareLat := paced(t, bareURL, "", rate, 3*time.Second)
	fmt.Printf("BENCH proxy latency at %.0f req/s: gateway p50 %.2f ms p99 %.2f ms; bare p50 %.2f ms p99 %.2f ms; added p99 %.2f ms (goal < 1 ms)\n",
		rate, pct(hubLat, 50), pct(hubLat, 99), pct(bareLat, 50), pct(bareLat, 99), pct(hubLat, 99)-pct(bareLat, 99))
}

// paced offers requests at a fixed rate for d from a bounded pool of
// clients and returns their latencies in ms (from the scheduled send time,
// so queueing behind a slow answer counts).
func paced(t *testing.T, url, token string, rate float64, d time.Duration) []float64 {
	t.Helper()
	const workers = 64
	tr := &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	jobs := make(chan time.Time, 4096)
	var mu sync.Mutex
	var lat []float64
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for scheduled := range jobs {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				ms := float64(time.Since(scheduled).Microseconds()) / 1000
				mu.Lock()
				lat = append(lat, ms)
				mu.Unlock()
			}
		}()
	}
	// Every millisecond, release the requests due by then: the offered load
	// stays at rate however the answers come back.
	start := time.Now()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	sent := 0
	for now := range tick.C {
		elapsed := now.Sub(start)
		if elapsed >= d {
			break
		}
		for due := int(elapsed.Seconds() * rate); sent < due; sent++ {
			jobs <- start.Add(time.Duration(float64(sent) / rate * float64(time.Second)))
		}
	}
	close(jobs)
	wg.Wait()
	return lat
}

func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

// TestBenchRefreshStorm sends 500 concurrent proxied calls on an expired
// token, split over two brain instances, and counts refreshes at the platform.
func TestBenchRefreshStorm(t *testing.T) {
	o := fakes.NewOAuth(t, fakes.OAuthOptions{ClientID: "c", ClientSecret: "s", RotateRefresh: true})
	hs := fakes.NewHubSpot(t, fakes.Options{Authorize: o.Authorizer("Authorization", "Bearer ")})
	overrides := writeOverrides(t, map[string]map[string]string{"hubspot": {"api_base_url": hs.URL,
		"authorization_url": o.AuthorizeURL(), "token_url": o.TokenURL(), "client_id": "c", "client_secret": "s"}})
	s := startStackLogging(t, io.Discard, "-provider-overrides", overrides, "-public-url", "http://hub.test")
	root, _ := s.login(t, adminEmail, adminPassword)
	a := s.makeTenant(t, root, "storm")
	connID := s.oauthConnect(t, a.AdminToken, "hubspot")

	// A second brain replica on the same database and Redis.
	app2, err := openApp(context.Background(), s.cfg, newLogger(s.cfg, io.Discard), false)
	if err != nil {
		t.Fatal(err)
	}
	defer app2.close()
	e2, _, err := app2.brainServer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go serveListener(ctx, newLogger(s.cfg, io.Discard), "brain-2", ln, e2)
	brains := []string{s.BrainURL, "http://" + ln.Addr().String()}

	const storms, calls = 3, 500
	for i := 0; i < storms; i++ {
		o.ExpireAll()
		before := o.RefreshCount()
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[int]int{}
		for j := 0; j < calls; j++ {
			wg.Add(1)
			go func(base string) {
				defer wg.Done()
				req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/connections/"+connID+"/proxy/crm/v3/objects/contacts?limit=1", nil)
				req.Header.Set("Authorization", "Bearer "+a.ViewerToken)
				resp, err := http.DefaultClient.Do(req)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					codes[0]++
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				codes[resp.StatusCode]++
			}(brains[j%2])
		}
		wg.Wait()
		fmt.Printf("BENCH refresh storm %d: %d calls over 2 brains, upstream refresh calls = %d (goal 1); answers %v\n",
			i+1, calls, o.RefreshCount()-before, codes)
	}
}

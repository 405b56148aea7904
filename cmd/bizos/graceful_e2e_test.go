package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/bizoshub/bizos/internal/testenv"
)

// TestGracefulStop sends SIGTERM to a brain process while a slow platform
// call is in flight: readiness fails at once, the call still completes, and
// the process exits cleanly.
func TestGracefulStop(t *testing.T) {
	bin := buildBizos(t)
	stripe, _ := url.Parse(testenv.StripeMock(t))
	forward := httputil.NewSingleHostReverseProxy(stripe)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/slow" {
			time.Sleep(2 * time.Second)
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"object":"slow","done":true}`)
			return
		}
		forward.ServeHTTP(w, r)
	}))
	defer upstream.Close()
	overrides := writeOverrides(t, map[string]map[string]string{"stripe": {"api_base_url": upstream.URL}})
	s := startStack(t, "-provider-overrides", overrides, "-egress-allow", "127.0.0.0/8")
	root, _ := s.login(t, adminEmail, adminPassword)
	a := s.makeTenant(t, root, "graceful")
	conn := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "stripe",
		"credentials": map[string]string{"api_key": "sk_test_graceful"}}, bearer(a.AdminToken))
	if conn.Status != http.StatusCreated {
		t.Fatalf("connect: %d %s", conn.Status, conn.Body)
	}
	addr := freeAddr(t)
	proc := brainProcess(t, bin, addr, s, overrides, "-shutdown-delay", "1s", "-shutdown-timeout", "10s")
	defer func() { _ = proc.Process.Kill() }()
	if r := call(t, http.MethodGet, "http://"+addr+"/readyz", nil); r.Status != http.StatusOK {
		t.Fatalf("readyz before the stop: %d %s", r.Status, r.Body)
	}

	done := make(chan response, 1)
	go func() {
		done <- call(t, http.MethodGet, "http://"+addr+"/api/v1/connections/"+conn.field(t, "id")+"/proxy/v1/slow", nil, bearer(a.AdminToken))
	}()
	time.Sleep(300 * time.Millisecond) // the call is now waiting on the platform
	if err := proc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// During the drain delay the listener still answers, but not ready.
	time.Sleep(200 * time.Millisecond)
	r := call(t, http.MethodGet, "http://"+addr+"/readyz", nil)
	var ready struct{ Checks map[string]string }
	_ = json.Unmarshal(r.Body, &ready)
	if r.Status != http.StatusServiceUnavailable || ready.Checks["serving"] != "unavailable" {
		t.Fatalf("readyz while stopping: %d %s", r.Status, r.Body)
	}
	slow := <-done
	if slow.Status != http.StatusOK || !json.Valid(slow.Body) {
		t.Fatalf("the in-flight call was cut off: %d %s", slow.Status, slow.Body)
	}
	exited := make(chan error, 1)
	go func() { exited <- proc.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("brain exited with %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("brain did not exit after SIGTERM")
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Fatal("brain still accepts connections after its stop")
	}
}

//go:build bench

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/bizoshub/bizos/telemetry"
)

// switchTracing lets one running stack alternate between tracer providers,
// so every configuration is measured on the same servers.
type switchTracing struct {
	embedded.TracerProvider
	mode      atomic.Int32
	providers []trace.TracerProvider
}

func (s *switchTracing) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	st := &switchTracer{s: s}
	for _, p := range s.providers {
		st.tracers = append(st.tracers, p.Tracer(name, opts...))
	}
	return st
}

type switchTracer struct {
	embedded.Tracer
	s       *switchTracing
	tracers []trace.Tracer
}

func (t *switchTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	return t.tracers[t.s.mode.Load()].Start(ctx, name, opts...)
}

// TestBenchTelemetryOverhead measures the proxy benchmark's throughput in
// four tracing configurations on the same servers, in alternating rounds:
// no tracing at all (a no-op provider), the default without an exporter
// (spans with ids, nothing recorded), every span exported over OTLP to a
// local collector stub, and 10% of traces exported. Metrics are recorded in
// all of them (they cannot be switched off; their cost is inside the proxy
// benchmark's ratio to a bare ReverseProxy).
func TestBenchTelemetryOverhead(t *testing.T) {
	var batches atomic.Int64
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		batches.Add(1)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	newTelemetry := func() *telemetry.Telemetry {
		tel, err := telemetry.New(context.Background(), telemetry.Config{Service: "bench", Output: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
		return tel
	}
	idsOnly := newTelemetry()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	exported := newTelemetry()
	t.Setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
	t.Setenv("OTEL_TRACES_SAMPLER_ARG", "0.1")
	sampled := newTelemetry()
	modes := []string{"tracing off", "default, no exporter", "all exported", "10% exported"}
	sw := &switchTracing{providers: []trace.TracerProvider{noop.NewTracerProvider(), idsOnly.TracerProvider,
		exported.TracerProvider, sampled.TracerProvider}}
	otel.SetTracerProvider(sw)
	defer otel.SetTracerProvider(noop.NewTracerProvider())

	_, url, a := proxyBenchStack(t)

	// Each round measures every mode once, in an order rotated from round
	// to round; a mode's figure is the median over rounds of its ratio to
	// the tracing-off run of the same round, so drift in the machine's
	// speed cancels out.
	const rounds, clients, span = 20, 8, time.Second
	rates := make([][]float64, len(modes))
	ratios := make([][]float64, len(modes))
	for i := 0; i < rounds; i++ {
		got := make([]float64, len(modes))
		for j := range modes {
			m := (i + j) % len(modes)
			sw.mode.Store(int32(m))
			got[m] = load(t, url, a.ViewerToken, clients, span)
		}
		for m := range modes {
			rates[m] = append(rates[m], got[m])
			ratios[m] = append(ratios[m], got[m]/got[0])
		}
	}
	flush, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = exported.Shutdown(flush)
	_ = sampled.Shutdown(flush)
	var parts []string
	for m := 1; m < len(modes); m++ {
		parts = append(parts, fmt.Sprintf("%s %.0f req/s (ratio %.3f, loss %.1f%%)", modes[m], median(rates[m]), median(ratios[m]), (1-median(ratios[m]))*100))
	}
	loss := 1 - median(ratios[2])
	verdict := "met"
	if loss >= 0.05 {
		verdict = "MISSED"
	}
	fmt.Printf("BENCH telemetry overhead on the proxy (%d rounds of %s, %d clients; medians): tracing off %.0f req/s; %s; goal < 5%% loss with every span exported: %s (%d span batches received)\n",
		rounds, span, clients, median(rates[0]), strings.Join(parts, "; "), verdict, batches.Load())
}

// TestBenchIdleProcesses starts authsvc, brain and worker as separate
// processes against the test stack's databases and Temporal server and
// prints how long each takes from exec to ready and its idle resident
// memory, for the deployment build (-tags nodevtemporal, as the Dockerfile
// builds it) and, side by side, for the full build that embeds the Temporal
// dev server for `bizos dev`.
func TestBenchIdleProcesses(t *testing.T) {
	s := startStack(t)
	builds := []struct{ name, bin string }{
		{"deployment build (-tags nodevtemporal, the image's)", buildBizos(t, "-tags", "nodevtemporal", "-ldflags", "-s -w")},
		{"full build (embeds the Temporal dev server)", buildBizos(t)},
	}
	for i, b := range builds {
		st, err := os.Stat(b.bin)
		if err != nil {
			t.Fatal(err)
		}
		parts, starts, memOK, startOK := idleProcesses(t, s, b.bin)
		if i > 0 {
			memOK = "informational: the goal is for the deployed processes; this binary's file-backed pages, shared by its processes, are most of it"
		}
		fmt.Printf("BENCH idle resident memory, %s, %.0f MB binary: %s (goal < 80 MB each: %s)\n", b.name, float64(st.Size())/1e6, parts, memOK)
		fmt.Printf("BENCH start to ready, %s (exec to /readyz 200, Temporal and databases already up): %s (goal < 2 s: %s)\n", b.name, starts, startOK)
	}
}

// idleProcesses runs authsvc, brain and worker from bin, waits until each
// is ready and then idle, and reports their resident memory (with its
// anonymous and file-backed parts) and start-up times.
func idleProcesses(t *testing.T, s *testStack, bin string) (mem, starts, memOK, startOK string) {
	t.Helper()
	common := []string{"-database-url", s.cfg.DatabaseURL, "-redis-url", s.cfg.RedisURL, "-redis-prefix", s.cfg.RedisPrefix,
		"-data-dir", s.cfg.DataDir, "-temporal-address", s.TemporalAddress, "-auth-url", s.AuthURL}
	type proc struct {
		name, addrFlag string
		cmd            *exec.Cmd
		ready          time.Duration
	}
	procs := []*proc{{name: "authsvc", addrFlag: "-auth-addr"}, {name: "brain", addrFlag: "-brain-addr"}, {name: "worker", addrFlag: "-metrics-addr"}}
	defer func() {
		for _, p := range procs {
			if p.cmd != nil {
				_ = p.cmd.Process.Kill()
				_ = p.cmd.Wait()
			}
		}
	}()
	for _, p := range procs {
		addr := freeAddr(t)
		start := time.Now()
		cmd := exec.Command(bin, append([]string{p.name, p.addrFlag, addr}, common...)...)
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		p.cmd = cmd
		for {
			resp, err := http.Get("http://" + addr + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Since(start) > 60*time.Second {
				t.Fatalf("%s did not become ready", p.name)
			}
			time.Sleep(5 * time.Millisecond)
		}
		p.ready = time.Since(start)
	}
	time.Sleep(5 * time.Second) // idle: pollers waiting, no requests
	var parts, ready []string
	memOK, startOK = "met", "met"
	for _, p := range procs {
		rss, anon, file := residentMB(t, p.cmd.Process.Pid)
		if rss >= 80 {
			memOK = "MISSED"
		}
		if p.ready >= 2*time.Second {
			startOK = "MISSED"
		}
		parts = append(parts, fmt.Sprintf("%s %.1f MB (anonymous %.1f, file %.1f)", p.name, rss, anon, file))
		ready = append(ready, fmt.Sprintf("%s %d ms", p.name, p.ready.Milliseconds()))
	}
	return strings.Join(parts, ", "), strings.Join(ready, ", "), memOK, startOK
}

// residentMB reads a process's resident set size from /proc, in total and
// its anonymous and file-backed parts, in MB.
func residentMB(t *testing.T, pid int) (rss, anon, file float64) {
	t.Helper()
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fields := map[string]*float64{"VmRSS:": &rss, "RssAnon:": &anon, "RssFile:": &file}
	found := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, rest, _ := strings.Cut(sc.Text(), "\t")
		if dst, ok := fields[key]; ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				t.Fatal(err)
			}
			*dst = kb / 1024
			found++
		}
	}
	if found != len(fields) {
		t.Fatalf("pid %d: /proc status lacks VmRSS, RssAnon or RssFile", pid)
	}
	return rss, anon, file
}

package devtemporal_test

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/bizoshub/bizos/devtemporal"
)

// testTimeout only guards against a hung test; no assertion depends on it.
const testTimeout = 3 * time.Minute

const signalName = "name"

// Greet is a tiny activity.
func Greet(_ context.Context, name string) (string, error) {
	return "hello " + name, nil
}

// GreetWorkflow runs Greet on its input.
func GreetWorkflow(ctx workflow.Context, name string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	var out string
	err := workflow.ExecuteActivity(ctx, Greet, name).Get(ctx, &out)
	return out, err
}

// WaitForNameWorkflow waits for a signal carrying a name, then greets it.
func WaitForNameWorkflow(ctx workflow.Context, greeting string) (string, error) {
	var name string
	workflow.GetSignalChannel(ctx, signalName).Receive(ctx, &name)
	return greeting + " " + name, nil
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// testLogger sends server warnings and errors to the test log, until the
// test ends.
func testLogger(t *testing.T) *slog.Logger {
	w := &tWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.done = true
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// tWriter writes to t.Log; it drops writes once the test has ended, because
// t.Log panics then.
type tWriter struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

func (w *tWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startServer(t *testing.T, ctx context.Context, cfg devtemporal.Config) *devtemporal.Server {
	t.Helper()
	srv, err := devtemporal.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("Start(%+v): %v", cfg, err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return srv
}

func dial(t *testing.T, srv *devtemporal.Server) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort:  srv.Address(),
		Namespace: srv.Namespace(),
		Logger:    sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	if err != nil {
		t.Fatalf("client.Dial(%s): %v", srv.Address(), err)
	}
	t.Cleanup(c.Close)
	return c
}

func startWorker(t *testing.T, c client.Client, taskQueue string) {
	t.Helper()
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflow(GreetWorkflow)
	w.RegisterWorkflow(WaitForNameWorkflow)
	w.RegisterActivityWithOptions(Greet, activity.RegisterOptions{Name: "Greet"})
	if err := w.Start(); err != nil {
		t.Fatalf("worker.Start: %v", err)
	}
	t.Cleanup(w.Stop)
}

func TestExecuteWorkflow(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(t *testing.T) devtemporal.Config
		want string
	}{
		{
			name: "data file, defaults",
			cfg: func(t *testing.T) devtemporal.Config {
				return devtemporal.Config{DataFile: filepath.Join(t.TempDir(), "temporal.db"), Logger: testLogger(t)}
			},
			want: "hello file",
		},
		{
			name: "existing data file, new namespace",
			cfg: func(t *testing.T) devtemporal.Config {
				cfg := devtemporal.Config{DataFile: filepath.Join(t.TempDir(), "temporal.db"), Namespace: "first", Logger: testLogger(t)}
				srv, err := devtemporal.Start(testContext(t), cfg)
				if err != nil {
					t.Fatalf("Start(%+v): %v", cfg, err)
				}
				if err := srv.Stop(); err != nil {
					t.Fatalf("Stop: %v", err)
				}
				cfg.Namespace = "second"
				return cfg
			},
			want: "hello again",
		},
		{
			name: "in memory, custom namespace and port",
			cfg: func(t *testing.T) devtemporal.Config {
				return devtemporal.Config{Namespace: "bizos-test", Port: freePort(t), Logger: testLogger(t)}
			},
			want: "hello memory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			cfg := tt.cfg(t)
			srv := startServer(t, ctx, cfg)

			wantNS := cfg.Namespace
			if wantNS == "" {
				wantNS = "default"
			}
			if got := srv.Namespace(); got != wantNS {
				t.Errorf("Namespace() = %q, want %q", got, wantNS)
			}
			if got := srv.Address(); !strings.HasPrefix(got, "127.0.0.1:") {
				t.Errorf("Address() = %q, want prefix %q", got, "127.0.0.1:")
			}
			if cfg.Port != 0 {
				if got, want := srv.Address(), "127.0.0.1:"+strconv.Itoa(cfg.Port); got != want {
					t.Errorf("Address() = %q, want %q", got, want)
				}
			}

			c := dial(t, srv)
			startWorker(t, c, "greet")
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "greet"},
				GreetWorkflow, strings.TrimPrefix(tt.want, "hello "))
			if err != nil {
				t.Fatalf("ExecuteWorkflow: %v", err)
			}
			var got string
			if err := run.Get(ctx, &got); err != nil {
				t.Fatalf("workflow result: %v", err)
			}
			if got != tt.want {
				t.Errorf("workflow result = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRestartKeepsState starts a workflow that waits for a signal, restarts
// the server on the same data file, then signals the workflow: it must
// complete, so both the workflow and the namespace survived the restart.
func TestRestartKeepsState(t *testing.T) {
	ctx := testContext(t)
	cfg := devtemporal.Config{
		DataFile:  filepath.Join(t.TempDir(), "temporal.db"),
		Namespace: "restart",
		Logger:    testLogger(t),
	}
	const (
		taskQueue  = "restart"
		workflowID = "wait-for-name"
	)

	// First run: start the workflow and let a worker take its first task.
	first, err := devtemporal.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("first Start: %v", err)
	}
	c1, err := client.Dial(client.Options{
		HostPort:  first.Address(),
		Namespace: first.Namespace(),
		Logger:    sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	if err != nil {
		t.Fatalf("first client.Dial: %v", err)
	}
	w1 := worker.New(c1, taskQueue, worker.Options{})
	w1.RegisterWorkflow(WaitForNameWorkflow)
	if err := w1.Start(); err != nil {
		t.Fatalf("first worker.Start: %v", err)
	}
	run, err := c1.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflowID, TaskQueue: taskQueue},
		WaitForNameWorkflow, "hi")
	if err != nil {
		t.Fatalf("ExecuteWorkflow: %v", err)
	}
	firstRunID := run.GetRunID()
	w1.Stop()
	c1.Close()
	if err := first.Stop(); err != nil {
		t.Fatalf("first Stop: %v", err)
	}

	// Second run on the same file: the namespace and the workflow are back.
	// The Temporal sqlite plugin keeps one connection per DSN open for the
	// life of the process; spelling the path differently gives a new DSN, so
	// the second server reads the file afresh instead of reusing the first
	// server's connection.
	dir, file := filepath.Split(cfg.DataFile)
	cfg.DataFile = dir + "." + string(filepath.Separator) + file
	second := startServer(t, ctx, cfg)
	c2 := dial(t, second)

	desc, err := c2.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		t.Fatalf("DescribeWorkflowExecution after restart: %v", err)
	}
	if got, want := desc.GetWorkflowExecutionInfo().GetExecution().GetRunId(), firstRunID; got != want {
		t.Errorf("run ID after restart = %q, want %q", got, want)
	}

	startWorker(t, c2, taskQueue)
	if err := c2.SignalWorkflow(ctx, workflowID, "", signalName, "bizos"); err != nil {
		t.Fatalf("SignalWorkflow: %v", err)
	}
	var got string
	if err := c2.GetWorkflow(ctx, workflowID, firstRunID).Get(ctx, &got); err != nil {
		t.Fatalf("workflow result: %v", err)
	}
	if want := "hi bizos"; got != want {
		t.Errorf("workflow result = %q, want %q", got, want)
	}
}

func TestStartErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port

	tests := []struct {
		name    string
		cfg     devtemporal.Config
		wantErr string
	}{
		{name: "bad IP", cfg: devtemporal.Config{IP: "not-an-ip"}, wantErr: "invalid IP"},
		{name: "bad port", cfg: devtemporal.Config{Port: -1}, wantErr: "invalid port"},
		{name: "frontend port in use", cfg: devtemporal.Config{Port: busyPort}, wantErr: "not free"},
		{name: "data file is a directory", cfg: devtemporal.Config{DataFile: t.TempDir()}, wantErr: "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := devtemporal.Start(testContext(t), tt.cfg)
			if err == nil {
				_ = srv.Stop()
				t.Fatalf("Start(%+v) = nil error, want one containing %q", tt.cfg, tt.wantErr)
			}
			if got := err.Error(); !strings.Contains(got, tt.wantErr) || !strings.HasPrefix(got, "devtemporal: ") {
				t.Errorf("Start(%+v) error = %q, want %q prefixed by %q", tt.cfg, got, tt.wantErr, "devtemporal: ")
			}
		})
	}
}

package main

import (
	"context"
	"io"
	"os"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/workflows"
)

// TestWorkerRunsMaintenance runs the purge workflow on the stack's embedded
// Temporal server and worker against the real database, and checks that the
// worker registered its hourly schedule. With BIZOS_RECORD_HISTORY=1 it
// rewrites the history the replay test in workflows/ uses.
func TestWorkerRunsMaintenance(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Expired refresh tokens to purge: log in, then age the session.
	s.login(t, adminEmail, adminPassword)
	a, err := openApp(ctx, s.cfg, newLogger(s.cfg, io.Discard), false)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if _, err := a.db.Pool.Exec(ctx, `UPDATE refresh_tokens SET expires_at = now() - interval '30 days'`); err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(client.Options{HostPort: s.TemporalAddress, Namespace: s.cfg.TemporalNamespace})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "purge-test", TaskQueue: workflows.TaskQueue},
		workflows.PurgeExpiredCredentials, workflows.PurgeInput{Retention: 7 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.PurgeResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.RefreshTokensDeleted != 1 {
		t.Errorf("deleted %d refresh tokens, want 1", res.RefreshTokensDeleted)
	}
	var left int
	if err := a.db.Pool.QueryRow(ctx, `SELECT count(*) FROM refresh_tokens`).Scan(&left); err != nil || left != 0 {
		t.Errorf("refresh tokens left = %d, %v; want 0", left, err)
	}
	desc, err := c.ScheduleClient().GetHandle(ctx, purgeScheduleID).Describe(ctx)
	if err != nil {
		t.Fatalf("schedule: %v", err)
	}
	if got := desc.Schedule.Spec.Intervals; len(got) != 1 || got[0].Every != time.Hour {
		t.Errorf("schedule intervals = %+v, want every hour", got)
	}
	if os.Getenv("BIZOS_RECORD_HISTORY") == "1" {
		testenv.RecordHistory(t, ctx, c, run.GetID(), run.GetRunID(), "../../workflows/testdata/purge_expired_credentials.json")
	}

	// The connection health check runs on the same worker; with no
	// connection yet it checks nothing and succeeds.
	check, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "check-test", TaskQueue: workflows.TaskQueue},
		workflows.CheckConnections, workflows.HealthCheckInput{MaxAge: time.Minute, Batch: 10})
	if err != nil {
		t.Fatal(err)
	}
	var checked workflows.HealthCheckResult
	if err := check.Get(ctx, &checked); err != nil {
		t.Fatal(err)
	}
	if checked.Checked != 0 || checked.Failed != 0 {
		t.Errorf("health check on no connections = %+v", checked)
	}
	if _, err := c.ScheduleClient().GetHandle(ctx, healthCheckScheduleID).Describe(ctx); err != nil {
		t.Errorf("health check schedule: %v", err)
	}
}

package main

import (
	"context"
	"strings"
	"time"

	"github.com/bizoshub/bizos/httpapi"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/syshealth"
	"github.com/bizoshub/bizos/workflows"
)

// healthRoutes builds the super admin's system health API and starts its
// metrics sampler for the life of ctx. When authsvc runs in this process
// (`bizos dev`) its metrics are in the shared registry; otherwise brain
// scrapes authsvc's /metrics.
func (a *app) healthRoutes(ctx context.Context) ([]httpapi.Route, error) {
	tc, err := a.temporalClient()
	if err != nil {
		return nil, err
	}
	authURL := strings.TrimSuffix(a.cfg.AuthURL, "/")
	remote := map[string]string{}
	if !a.authLocal {
		remote["authsvc"] = authURL + "/metrics"
	}
	if err := registerCollectors(a.registry, a.databaseGauges()); err != nil {
		return nil, err
	}
	sampler := syshealth.NewSampler(syshealth.SamplerConfig{Gatherer: a.registry, Remote: remote, Log: a.log})
	go sampler.Run(ctx)
	svc := syshealth.NewService(syshealth.Config{
		Metrics:      sampler,
		Store:        healthStore{postgres.NewSystemHealthStore(a.db)},
		Temporal:     syshealth.NewTemporal(tc, a.cfg.TemporalNamespace),
		Postgres:     a.db.Ping,
		Redis:        func(ctx context.Context) error { return a.rdb.Ping(ctx).Err() },
		AuthReadyURL: authURL + "/readyz",
		TaskQueue:    workflows.TaskQueue,
		Log:          a.log,
	})
	return syshealth.NewHandler(svc, a.authz).Routes(), nil
}

// healthStore adapts the PostgreSQL queries to syshealth.Store.
type healthStore struct{ s *postgres.SystemHealthStore }

func (h healthStore) ConnectionCounts(ctx context.Context) ([]syshealth.ConnectionCount, error) {
	rows, err := h.s.ConnectionStatusCounts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]syshealth.ConnectionCount, len(rows))
	for i, r := range rows {
		out[i] = syshealth.ConnectionCount{Provider: r.Provider, Status: r.Status, Count: r.Count}
	}
	return out, nil
}

func (h healthStore) WebhookCounts(ctx context.Context, since time.Time) (syshealth.WebhookCounts, error) {
	c, err := h.s.WebhookDeliveryCounts(ctx, since)
	if err != nil {
		return syshealth.WebhookCounts{}, err
	}
	return syshealth.WebhookCounts{Pending: c.Pending, Attempts: c.Attempts, FailedAttempts: c.FailedAttempts, Dead: c.Dead}, nil
}

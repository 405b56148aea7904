package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bizoshub/bizos/agents"
	"github.com/bizoshub/bizos/agents/llm"
	"github.com/bizoshub/bizos/automation"
	"github.com/bizoshub/bizos/httpapi"
	"github.com/bizoshub/bizos/knowledge"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/syshealth"
	"github.com/bizoshub/bizos/webhooks"
)

// workerOps is the worker's operational side: its metrics on the process
// registry and, in `bizos worker`, the listener on BIZOS_METRICS_ADDR
// serving /metrics, /healthz and /readyz.
type workerOps struct {
	started atomic.Bool
	cancel  context.CancelFunc
	done    sync.WaitGroup
}

var errWorkerNotStarted = errors.New("the worker is not polling")

// startWorkerOps registers what the worker records on the process registry
// and, when MetricsAddr is set, starts serving until ctx ends or stop is
// called. /readyz needs PostgreSQL, Redis and Temporal to answer and the
// worker to be polling (markStarted).
func (a *app) startWorkerOps(ctx context.Context) (*workerOps, error) {
	if err := a.registerWorkerMetrics(); err != nil {
		return nil, err
	}
	ops := &workerOps{cancel: func() {}}
	if a.cfg.MetricsAddr == "" {
		return ops, nil
	}
	ln, err := net.Listen("tcp", a.cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("worker: metrics listener %s: %w", a.cfg.MetricsAddr, err)
	}
	e, err := httpapi.NewEcho(httpapi.ServerConfig{Service: "worker", Log: a.log, Registry: a.registry})
	if err != nil {
		ln.Close()
		return nil, err
	}
	checks := a.readyChecks()
	checks["worker"] = func(context.Context) error {
		if !ops.started.Load() {
			return errWorkerNotStarted
		}
		return nil
	}
	httpapi.Mount(e, httpapi.OpsRoutes("worker", a.registry, checks), nil, nil)
	ctx, ops.cancel = context.WithCancel(ctx)
	ops.done.Add(1)
	go func() {
		defer ops.done.Done()
		if err := serveListener(ctx, a.log, "worker", ln, e); err != nil {
			a.log.Error("worker metrics listener stopped", "err", err)
		}
	}()
	return ops, nil
}

// markStarted tells /readyz the worker polls its task queue.
func (o *workerOps) markStarted() { o.started.Store(true) }

// stop makes the worker unready and shuts the listener down.
func (o *workerOps) stop() {
	o.started.Store(false)
	o.cancel()
	o.done.Wait()
}

// registerWorkerMetrics registers the collectors of what the worker does
// (webhook deliveries, rule runs, agent steps and model calls, knowledge
// ingestion) and the database gauges. A collector the registry has already
// (in `dev`, brain registered the database gauges) is skipped.
func (a *app) registerWorkerMetrics() error {
	var cs []prometheus.Collector
	for _, group := range [][]prometheus.Collector{webhooks.Collectors(), automation.Collectors(), agents.Collectors(),
		llm.Collectors(), knowledge.Collectors()} {
		cs = append(cs, group...)
	}
	cs = append(cs, a.databaseGauges())
	return registerCollectors(a.registry, cs...)
}

// databaseGauges is the collector of bizos_connections and
// bizos_webhook_deliveries_pending, queried at scrape time (cached 15 s).
func (a *app) databaseGauges() prometheus.Collector {
	c := syshealth.NewCollector(healthStore{postgres.NewSystemHealthStore(a.db)})
	c.Log = a.log
	return c
}

// registerCollectors registers cs on reg, skipping those registered already.
func registerCollectors(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			if errors.As(err, new(prometheus.AlreadyRegisteredError)) {
				continue
			}
			return fmt.Errorf("metrics: %w", err)
		}
	}
	return nil
}

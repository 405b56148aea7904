package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/bizoshub/bizos/automation"
	"github.com/bizoshub/bizos/egress"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/webhooks"
	"github.com/bizoshub/bizos/workflows"
)

// Schedule ids of the worker's recurring workflows.
const (
	purgeScheduleID       = "bizos-purge-expired-credentials"
	healthCheckScheduleID = "bizos-check-connections"
)

// runWorker polls the hub's task queue until ctx ends.
func (a *app) runWorker(ctx context.Context) error {
	c, err := a.temporalClient()
	if err != nil {
		return err
	}
	conns, err := a.connectorService()
	if err != nil {
		return err
	}
	if err := a.initAuthz(ctx); err != nil {
		return err
	}
	ops, err := a.startWorkerOps(ctx)
	if err != nil {
		return err
	}
	defer ops.stop()
	// On a stop, running activities get the drain timeout to finish (or
	// heartbeat out and move to another worker).
	w := worker.New(c, workflows.TaskQueue, worker.Options{WorkerStopTimeout: a.drain.Timeout})
	if err := a.registerAgents(w, c); err != nil {
		return err
	}
	if err := a.registerPlaybooks(w, c); err != nil {
		return err
	}
	if err := a.registerKnowledge(w); err != nil {
		return err
	}
	w.RegisterWorkflow(workflows.PurgeExpiredCredentials)
	w.RegisterActivity(&workflows.Activities{RefreshTokens: postgres.NewRefreshTokenStore(a.db), Events: postgres.NewEventStore(a.db)})
	w.RegisterWorkflow(workflows.CheckConnections)
	w.RegisterActivity(&workflows.HealthCheckActivities{Sweeper: postgres.NewConnectionStore(a.db, a.keyring), Checker: conns})
	policy, err := egress.ParsePolicy(a.cfg.EgressAllow)
	if err != nil {
		return err
	}
	whStore := postgres.NewWebhookStore(a.db, a.keyring)
	deliverer := webhooks.NewDeliverer(whStore, postgres.NewEventStore(a.db), policy)
	deliverer.Log = a.log
	w.RegisterWorkflow(workflows.DeliverWebhook)
	w.RegisterActivity(&workflows.DeliveryActivities{Deliverer: deliverer})
	ruleStore, eventStore := postgres.NewRuleStore(a.db), postgres.NewEventStore(a.db)
	w.RegisterWorkflow(workflows.RunRule)
	w.RegisterWorkflow(workflows.FireRuleSchedule)
	w.RegisterActivity(&workflows.RuleActivities{Rules: automation.MeteredRuleStore{RuleStore: ruleStore}, Events: eventStore, Runner: conns,
		Webhooks: &automation.WebhookEnqueuer{Webhooks: whStore, Events: eventStore, Temporal: c}, Agents: a.agentService(c), Playbooks: a.playbookService(c)})
	if err := ensureSchedules(ctx, c, a.cfg.EventRetention); err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("worker: start: %w", err)
	}
	ops.markStarted()
	// Events become webhook deliveries; an advisory lock lets any number of
	// workers run this, one at a time.
	dispatcher := webhooks.NewDispatcher(whStore, c)
	dispatcher.Log = a.log
	go func() {
		if err := dispatcher.Run(ctx); err != nil {
			a.log.Error("webhook dispatcher stopped", "err", err)
		}
	}()
	ruleDispatcher := automation.NewDispatcher(whStore, ruleStore, c)
	ruleDispatcher.Log = a.log
	go func() {
		if err := ruleDispatcher.Run(ctx); err != nil {
			a.log.Error("rule dispatcher stopped", "err", err)
		}
	}()
	a.log.Info("worker polling", "task_queue", workflows.TaskQueue, "namespace", a.cfg.TemporalNamespace)
	<-ctx.Done()
	w.Stop()
	return nil
}

// ensureSchedules creates the hub's maintenance schedules unless they exist.
// Any number of worker replicas may race here; the schedule id makes it idempotent.
func ensureSchedules(ctx context.Context, c client.Client, eventRetention time.Duration) error {
	schedules := []client.ScheduleOptions{
		{
			ID:   purgeScheduleID,
			Spec: client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Hour}}},
			Action: &client.ScheduleWorkflowAction{ID: purgeScheduleID, Workflow: workflows.PurgeExpiredCredentials,
				Args: []any{workflows.PurgeInput{Retention: 7 * 24 * time.Hour, EventRetention: eventRetention}}, TaskQueue: workflows.TaskQueue},
		},
		{
			ID:   healthCheckScheduleID,
			Spec: client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: 15 * time.Minute}}},
			Action: &client.ScheduleWorkflowAction{ID: healthCheckScheduleID, Workflow: workflows.CheckConnections,
				Args: []any{workflows.HealthCheckInput{MaxAge: 15 * time.Minute, Batch: 500}}, TaskQueue: workflows.TaskQueue},
		},
	}
	for _, opts := range schedules {
		_, err := c.ScheduleClient().Create(ctx, opts)
		if err != nil && !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
			return fmt.Errorf("worker: create schedule %s: %w", opts.ID, err)
		}
	}
	return nil
}

package syshealth

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// Poller is a worker that polled a task queue.
type Poller struct {
	Identity   string
	LastAccess time.Time
}

// TaskQueueInfo is what Temporal tells about a task queue.
type TaskQueueInfo struct {
	WorkflowPollers []Poller
	ActivityPollers []Poller
	// Backlog is the approximate number of workflow and activity tasks
	// waiting for a worker.
	Backlog int64
}

// activePollers counts the pollers seen since: of workflow tasks, of
// activity tasks, and distinct workers in all.
func (tq TaskQueueInfo) activePollers(since time.Time) (workflow, activity, all int) {
	ids := map[string]bool{}
	count := func(ps []Poller) int {
		n := 0
		for _, p := range ps {
			if !p.LastAccess.Before(since) {
				n++
				ids[p.Identity] = true
			}
		}
		return n
	}
	workflow, activity = count(tq.WorkflowPollers), count(tq.ActivityPollers)
	return workflow, activity, len(ids)
}

// Temporal is what the report asks Temporal.
type Temporal interface {
	// CheckHealth reports whether the frontend answers.
	CheckHealth(ctx context.Context) error
	// DescribeTaskQueue returns the queue's pollers and backlog.
	DescribeTaskQueue(ctx context.Context, name string) (TaskQueueInfo, error)
	// CountFailedWorkflows counts the workflows that failed since.
	CountFailedWorkflows(ctx context.Context, since time.Time) (int64, error)
}

// TemporalClient implements Temporal with the SDK client.
type TemporalClient struct {
	c         client.Client
	namespace string
}

// NewTemporal returns the Temporal source on c for namespace.
func NewTemporal(c client.Client, namespace string) *TemporalClient {
	return &TemporalClient{c: c, namespace: namespace}
}

// CheckHealth implements Temporal.
func (t *TemporalClient) CheckHealth(ctx context.Context) error {
	_, err := t.c.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err
}

// DescribeTaskQueue implements Temporal: one DescribeTaskQueue per task type
// with report_stats, which carries the pollers and the approximate backlog.
func (t *TemporalClient) DescribeTaskQueue(ctx context.Context, name string) (TaskQueueInfo, error) {
	var info TaskQueueInfo
	for _, typ := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
		resp, err := t.c.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
			Namespace:     t.namespace,
			TaskQueue:     &taskqueuepb.TaskQueue{Name: name, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
			TaskQueueType: typ,
			ReportStats:   true,
		})
		if err != nil {
			return TaskQueueInfo{}, fmt.Errorf("syshealth: describe task queue %s (%s): %w", name, typ, err)
		}
		pollers := make([]Poller, 0, len(resp.GetPollers()))
		for _, p := range resp.GetPollers() {
			pollers = append(pollers, Poller{Identity: p.GetIdentity(), LastAccess: p.GetLastAccessTime().AsTime()})
		}
		if typ == enumspb.TASK_QUEUE_TYPE_WORKFLOW {
			info.WorkflowPollers = pollers
		} else {
			info.ActivityPollers = pollers
		}
		info.Backlog += resp.GetStats().GetApproximateBacklogCount()
	}
	return info, nil
}

// CountFailedWorkflows implements Temporal through visibility.
func (t *TemporalClient) CountFailedWorkflows(ctx context.Context, since time.Time) (int64, error) {
	resp, err := t.c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
		Namespace: t.namespace,
		Query:     fmt.Sprintf(`ExecutionStatus = "Failed" AND CloseTime > "%s"`, since.UTC().Format(time.RFC3339Nano)),
	})
	if err != nil {
		return 0, fmt.Errorf("syshealth: count failed workflows: %w", err)
	}
	return resp.GetCount(), nil
}

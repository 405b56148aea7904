package automation

import (
	"context"
	"errors"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/workflows"
)

// WebhookEnqueuer implements hub.WebhookEnqueuer: it ensures the delivery
// row of (endpoint, event) and starts DeliverWebhook with
// workflows.DeliveryWorkflowID, so the event reaches the endpoint once even
// when the endpoint also subscribes to it.
type WebhookEnqueuer struct {
	Webhooks hub.WebhookStore
	Events   hub.EventStore
	Temporal client.Client
	// Limits are copied into the delivery workflow's input.
	Limits workflows.DeliveryInput
}

var _ hub.WebhookEnqueuer = (*WebhookEnqueuer)(nil)

// EnqueueWebhookDelivery implements hub.WebhookEnqueuer.
func (q *WebhookEnqueuer) EnqueueWebhookDelivery(ctx context.Context, tenantID, endpointID, eventID string) (string, error) {
	ep, err := q.Webhooks.WebhookEndpoint(ctx, tenantID, endpointID)
	if err != nil {
		return "", err
	}
	if !ep.Enabled {
		return "", hub.Errorf(hub.EINVALID, "The webhook endpoint is disabled.")
	}
	ev, err := q.Events.Event(ctx, tenantID, eventID)
	if err != nil {
		return "", err
	}
	d, created, err := q.Webhooks.EnsureWebhookDelivery(ctx, &hub.WebhookDelivery{TenantID: tenantID, EndpointID: endpointID,
		EventID: eventID, EventType: ev.Type})
	if err != nil {
		return "", err
	}
	if !created && d.Status != hub.DeliveryPending {
		return d.ID, nil // delivered (or given up) before
	}
	in := q.Limits
	in.TenantID, in.EndpointID, in.EventID, in.DeliveryID = tenantID, endpointID, eventID, d.ID
	_, err = q.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.DeliveryWorkflowID(endpointID, eventID, 0),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
	}, workflows.DeliverWebhook, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return "", err
	}
	return d.ID, nil
}

package knowledge

import (
	"context"
	"errors"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/bizoshub/bizos/workflows"
)

// TemporalIngester starts IngestDocument workflows: run n of a document
// has id workflows.IngestWorkflowID(doc, n), so every run (the first,
// re-embedding after a model change, a requested re-ingestion) has its own
// id and none is started twice.
type TemporalIngester struct {
	Client client.Client
	// TaskQueue is the worker's queue (workflows.TaskQueue when empty).
	TaskQueue string
	// EmbedGroup is copied into the workflows' input (chunks per embedding
	// activity); 0 takes the workflow default.
	EmbedGroup int
}

var _ Ingester = (*TemporalIngester)(nil)

// NewTemporalIngester returns an Ingester on c.
func NewTemporalIngester(c client.Client) *TemporalIngester { return &TemporalIngester{Client: c} }

// StartIngestion implements Ingester. A run that already started counts as
// started.
func (t *TemporalIngester) StartIngestion(ctx context.Context, req IngestRequest) error {
	queue := t.TaskQueue
	if queue == "" {
		queue = workflows.TaskQueue
	}
	in := workflows.IngestInput{TenantID: req.TenantID, KnowledgeBaseID: req.KnowledgeBaseID, DocumentID: req.DocumentID,
		EmbeddingVersion: req.EmbeddingVersion, Rechunk: req.Rechunk, EmbedGroup: t.EmbedGroup}
	_, err := t.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.IngestWorkflowID(req.DocumentID, req.Run),
		TaskQueue:                queue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
	}, workflows.IngestDocument, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil
	}
	return err
}

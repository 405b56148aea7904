package workflows

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	hub "github.com/bizoshub/bizos"
)

// Ingestion defaults, used when inputs leave a field zero.
const (
	DefaultEmbedGroup = 256 // chunks per EmbedChunks activity
	DefaultEmbedBatch = 32  // chunks per call to the embedding model
)

// Outcomes of an ingestion run besides the document statuses ready and
// failed: the run stopped because the document no longer needs it.
const (
	IngestSuperseded = "superseded" // the base's embedding model changed; a newer run owns the document
	IngestDeleted    = "deleted"    // the document or its base was deleted
)

// Application error types of ingestion activities.
const (
	ErrTypeInvalidDocument      = "invalid_document"      // the document cannot be read; not retried
	ErrTypeEmbeddingFailed      = "embedding_failed"      // the embedding model refused; not retried
	ErrTypeEmbeddingUnavailable = "embedding_unavailable" // the embedding model is unreachable; retried
)

// IngestInput names a document and how to ingest it. Its bytes and text
// stay in PostgreSQL; activities read them by id.
type IngestInput struct {
	TenantID        string `json:"tenant_id"`
	KnowledgeBaseID string `json:"knowledge_base_id"`
	DocumentID      string `json:"document_id"`
	// EmbeddingVersion is the base's embedding version the run is for; 0
	// means the version current when the run begins.
	EmbeddingVersion int `json:"embedding_version,omitempty"`
	// Rechunk extracts and chunks the document again although it has chunks.
	Rechunk bool `json:"rechunk,omitempty"`
	// EmbedGroup is how many chunks one EmbedChunks activity embeds
	// (DefaultEmbedGroup when 0).
	EmbedGroup int `json:"embed_group,omitempty"`
}

// IngestResult says how a run ended.
type IngestResult struct {
	// Status is hub.DocumentReady, hub.DocumentFailed, IngestSuperseded or IngestDeleted.
	Status   string `json:"status"`
	Chunks   int    `json:"chunks"`
	Embedded int    `json:"embedded"`
	Error    string `json:"error,omitempty"`
}

// IngestWorkflowID is the id of a document's n-th ingestion run: the first
// is "ingest-<doc>", later ones (re-embedding, retries) "ingest-<doc>-run-<n>".
func IngestWorkflowID(documentID string, run int) string {
	if run <= 1 {
		return "ingest-" + documentID
	}
	return "ingest-" + documentID + "-run-" + strconv.Itoa(run)
}

// BeginResult is what a run finds at its start.
type BeginResult struct {
	// EmbeddingVersion is the version the run works for.
	EmbeddingVersion int `json:"embedding_version"`
	// Chunks is the number of stored chunks (0: not chunked yet).
	Chunks int `json:"chunks"`
	// Embed is true when the base has an embedding model.
	Embed bool `json:"embed"`
	// Outcome is IngestSuperseded or IngestDeleted when there is nothing to do.
	Outcome string `json:"outcome,omitempty"`
}

// ChunkRequest asks for a document's text to be extracted and chunked.
type ChunkRequest struct {
	TenantID         string `json:"tenant_id"`
	KnowledgeBaseID  string `json:"knowledge_base_id"`
	DocumentID       string `json:"document_id"`
	EmbeddingVersion int    `json:"embedding_version"`
	Embed            bool   `json:"embed"`
}

// ChunkResult is what chunking stored.
type ChunkResult struct {
	Chunks  int    `json:"chunks"`
	Outcome string `json:"outcome,omitempty"`
}

// EmbedRequest asks for the chunks at positions [From, To) of a document
// to be embedded.
type EmbedRequest struct {
	TenantID         string `json:"tenant_id"`
	KnowledgeBaseID  string `json:"knowledge_base_id"`
	DocumentID       string `json:"document_id"`
	EmbeddingVersion int    `json:"embedding_version"`
	From             int    `json:"from"`
	To               int    `json:"to"`
}

// EmbedResult is what an EmbedChunks activity stored.
type EmbedResult struct {
	Embedded int    `json:"embedded"`
	Outcome  string `json:"outcome,omitempty"`
}

// FinishRequest marks a document ready (Error empty) or failed.
type FinishRequest struct {
	TenantID         string `json:"tenant_id"`
	DocumentID       string `json:"document_id"`
	EmbeddingVersion int    `json:"embedding_version"`
	Error            string `json:"error,omitempty"`
}

// IngestActivities holds what ingesting documents into knowledge bases needs.
type IngestActivities struct {
	Store    hub.KnowledgeStore
	Splitter hub.DocumentSplitter
	// Embedder computes vectors; nil fails documents of bases with a model.
	Embedder hub.Embedder
	// BatchSize is how many chunks go to the embedding model per call
	// (DefaultEmbedBatch when 0).
	BatchSize int
}

// outcomeOf turns the store's "gone" and "superseded" answers into outcomes.
func outcomeOf(err error) (string, bool) {
	switch hub.ErrorCode(err) {
	case hub.ENOTFOUND:
		return IngestDeleted, true
	case hub.ECONFLICT:
		return IngestSuperseded, true
	}
	return "", false
}

// progressOf is a document's progress once chunked, with embedded of its
// chunks embedded.
func progressOf(embed bool, chunks, embedded int) float64 {
	if !embed {
		return 0.9
	}
	if chunks <= 0 {
		return 0.1
	}
	return 0.1 + 0.9*float64(min(embedded, chunks))/float64(chunks)
}

// BeginIngestion resolves the run's embedding version and marks the
// document processing.
func (a *IngestActivities) BeginIngestion(ctx context.Context, in IngestInput) (BeginResult, error) {
	kb, err := a.Store.KnowledgeBase(ctx, in.TenantID, in.KnowledgeBaseID)
	if o, ok := outcomeOf(err); ok && o == IngestDeleted {
		return BeginResult{Outcome: o}, nil
	} else if err != nil {
		return BeginResult{}, fmt.Errorf("begin ingestion: %w", err)
	}
	res := BeginResult{EmbeddingVersion: in.EmbeddingVersion, Embed: kb.Embedding != nil}
	if res.EmbeddingVersion == 0 {
		res.EmbeddingVersion = kb.EmbeddingVersion
	}
	if res.EmbeddingVersion != kb.EmbeddingVersion {
		return BeginResult{Outcome: IngestSuperseded}, nil
	}
	doc, err := a.Store.Document(ctx, in.TenantID, in.KnowledgeBaseID, in.DocumentID)
	if o, ok := outcomeOf(err); ok {
		return BeginResult{Outcome: o}, nil
	} else if err != nil {
		return BeginResult{}, fmt.Errorf("begin ingestion: %w", err)
	}
	stage, progress := hub.StageExtracting, 0.0
	if doc.ChunkCount > 0 && !in.Rechunk {
		res.Chunks = doc.ChunkCount
		stage, progress = hub.StageEmbedding, progressOf(res.Embed, doc.ChunkCount, doc.EmbeddedCount)
	}
	if err := a.Store.SetDocumentStage(ctx, in.TenantID, in.DocumentID, res.EmbeddingVersion, stage, progress); err != nil {
		if o, ok := outcomeOf(err); ok {
			return BeginResult{Outcome: o}, nil
		}
		return BeginResult{}, fmt.Errorf("begin ingestion: %w", err)
	}
	return res, nil
}

// ExtractAndChunk reads the document's bytes from the store, extracts its
// text, cuts it into chunks and stores them (replacing any). A document
// that cannot be read is a non-retryable ErrTypeInvalidDocument error.
func (a *IngestActivities) ExtractAndChunk(ctx context.Context, req ChunkRequest) (ChunkResult, error) {
	stop := heartbeatWhile(ctx)
	defer stop()
	doc, err := a.Store.Document(ctx, req.TenantID, req.KnowledgeBaseID, req.DocumentID)
	if o, ok := outcomeOf(err); ok {
		return ChunkResult{Outcome: o}, nil
	} else if err != nil {
		return ChunkResult{}, fmt.Errorf("extract: %w", err)
	}
	content, err := a.Store.DocumentContent(ctx, req.TenantID, req.DocumentID)
	if o, ok := outcomeOf(err); ok {
		return ChunkResult{Outcome: o}, nil
	} else if err != nil {
		return ChunkResult{}, fmt.Errorf("extract: %w", err)
	}
	chunks, err := a.Splitter.Split(ctx, doc, content)
	if err != nil {
		if hub.ErrorCode(err) == hub.EINVALID {
			return ChunkResult{}, temporal.NewNonRetryableApplicationError(hub.ErrorMessage(err), ErrTypeInvalidDocument, nil)
		}
		return ChunkResult{}, fmt.Errorf("extract %s: %w", req.DocumentID, err)
	}
	if err := a.Store.ReplaceChunks(ctx, req.TenantID, req.DocumentID, req.EmbeddingVersion, chunks); err != nil {
		if o, ok := outcomeOf(err); ok {
			return ChunkResult{Outcome: o}, nil
		}
		return ChunkResult{}, fmt.Errorf("store chunks: %w", err)
	}
	stage := hub.StageExtracting
	if req.Embed {
		stage = hub.StageEmbedding
	}
	if err := a.Store.SetDocumentStage(ctx, req.TenantID, req.DocumentID, req.EmbeddingVersion, stage,
		progressOf(req.Embed, len(chunks), 0)); err != nil {
		if o, ok := outcomeOf(err); ok {
			return ChunkResult{Outcome: o}, nil
		}
		return ChunkResult{}, fmt.Errorf("store chunks: %w", err)
	}
	return ChunkResult{Chunks: len(chunks)}, nil
}

// EmbedChunks embeds the chunks of positions [From, To) that have no vector
// yet, in batches, storing each batch and the document's progress. Its
// heartbeats carry the next position, so a retry resumes there.
func (a *IngestActivities) EmbedChunks(ctx context.Context, req EmbedRequest) (EmbedResult, error) {
	kb, err := a.Store.KnowledgeBase(ctx, req.TenantID, req.KnowledgeBaseID)
	if o, ok := outcomeOf(err); ok {
		return EmbedResult{Outcome: o}, nil
	} else if err != nil {
		return EmbedResult{}, fmt.Errorf("embed: %w", err)
	}
	if kb.EmbeddingVersion != req.EmbeddingVersion || kb.Embedding == nil {
		return EmbedResult{Outcome: IngestSuperseded}, nil
	}
	if a.Embedder == nil {
		return EmbedResult{}, temporal.NewNonRetryableApplicationError("The worker has no embedding provider configured.", ErrTypeEmbeddingFailed, nil)
	}
	key, err := a.Store.EmbeddingAPIKey(ctx, req.TenantID, req.KnowledgeBaseID)
	if err != nil {
		return EmbedResult{}, fmt.Errorf("embed: %w", err)
	}
	cfg := kb.Embedding.LLM(key)
	batch := a.BatchSize
	if batch <= 0 {
		batch = DefaultEmbedBatch
	}
	from := req.From
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		var resume int
		if err := activity.GetHeartbeatDetails(ctx, &resume); err == nil && resume > from && resume <= req.To {
			from = resume
		}
	}
	setPosition, stop := heartbeatPosition(ctx, from)
	defer stop()
	var res EmbedResult
	for from < req.To {
		to := min(from+batch, req.To)
		chunks, err := a.Store.UnembeddedChunks(ctx, req.TenantID, req.DocumentID, from, to)
		if err != nil {
			return res, fmt.Errorf("embed: %w", err)
		}
		if len(chunks) > 0 {
			texts := make([]string, len(chunks))
			for i, c := range chunks {
				texts[i] = c.Text
			}
			vectors, err := a.Embedder.Embed(ctx, cfg, texts)
			if err != nil {
				return res, embedError(err)
			}
			if len(vectors) != len(texts) {
				return res, temporal.NewApplicationError(fmt.Sprintf("The embedding model returned %d vectors for %d texts.", len(vectors), len(texts)),
					ErrTypeEmbeddingUnavailable)
			}
			embs := make([]hub.ChunkEmbedding, len(chunks))
			for i, c := range chunks {
				embs[i] = hub.ChunkEmbedding{Position: c.Position, Embedding: vectors[i]}
			}
			if err := a.Store.StoreEmbeddings(ctx, req.TenantID, req.DocumentID, req.EmbeddingVersion, embs); err != nil {
				if o, ok := outcomeOf(err); ok {
					return EmbedResult{Embedded: res.Embedded, Outcome: o}, nil
				}
				if hub.ErrorCode(err) == hub.EINVALID {
					return res, temporal.NewNonRetryableApplicationError(hub.ErrorMessage(err), ErrTypeEmbeddingFailed, nil)
				}
				return res, fmt.Errorf("store embeddings: %w", err)
			}
			res.Embedded += len(chunks)
		}
		from = to
		setPosition(from)
	}
	return res, nil
}

// embedError classifies an embedding model's error: refusals (bad input,
// credentials, unknown model) are not retried; outages are, with a message
// safe to show the document's owner.
func embedError(err error) error {
	msg := hub.ErrorMessage(err)
	var he *hub.Error
	switch code := hub.ErrorCode(err); code {
	case hub.EINVALID, hub.EUNAUTHORIZED, hub.EFORBIDDEN, hub.ENOTFOUND:
		return temporal.NewNonRetryableApplicationError("The embedding model refused the request: "+msg, ErrTypeEmbeddingFailed, nil)
	case hub.EUPSTREAM:
		if errors.As(err, &he) && he.UpstreamStatus >= 400 && he.UpstreamStatus < 500 && he.UpstreamStatus != 408 && he.UpstreamStatus != 429 {
			return temporal.NewNonRetryableApplicationError("The embedding model refused the request: "+msg, ErrTypeEmbeddingFailed, nil)
		}
		fallthrough
	case hub.EUNAVAILABLE, hub.ERATELIMITED:
		return temporal.NewApplicationError("The embedding model is unavailable: "+msg, ErrTypeEmbeddingUnavailable)
	}
	return fmt.Errorf("embed: %w", err)
}

// FinishIngestion marks the document ready or failed and returns its
// status, or the outcome when a newer run owns the document.
func (a *IngestActivities) FinishIngestion(ctx context.Context, req FinishRequest) (string, error) {
	err := a.Store.FinishDocument(ctx, req.TenantID, req.DocumentID, req.EmbeddingVersion, req.Error)
	if o, ok := outcomeOf(err); ok {
		return o, nil
	} else if err != nil {
		return "", fmt.Errorf("finish ingestion: %w", err)
	}
	if req.Error != "" {
		return hub.DocumentFailed, nil
	}
	return hub.DocumentReady, nil
}

// heartbeatPosition heartbeats the latest position every third of the
// heartbeat timeout (and on each set), so a retried activity resumes there.
func heartbeatPosition(ctx context.Context, start int) (set func(int), stop func()) {
	if !activity.IsActivity(ctx) {
		return func(int) {}, func() {}
	}
	var pos atomic.Int64
	pos.Store(int64(start))
	every := activity.GetInfo(ctx).HeartbeatTimeout / 3
	if every <= 0 {
		return func(p int) { activity.RecordHeartbeat(ctx, p) }, func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx, int(pos.Load()))
			}
		}
	}()
	return func(p int) {
		pos.Store(int64(p))
		activity.RecordHeartbeat(ctx, p)
	}, func() { close(done) }
}

// failureMessage is what a failed document says: the activity's message
// for the errors written for owners, a generic one otherwise.
func failureMessage(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		switch appErr.Type() {
		case ErrTypeInvalidDocument, ErrTypeEmbeddingFailed, ErrTypeEmbeddingUnavailable:
			return appErr.Message()
		}
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "Ingestion timed out; ask for a new run."
	}
	return "Ingestion failed after several attempts; ask for a new run."
}

// IngestDocument turns a document into searchable chunks: it begins (marks
// the document processing under the base's embedding version), extracts
// and chunks the text unless chunks are stored already, embeds them in
// groups when the base has an embedding model, and marks the document
// ready, or failed with a message for its owner. A run whose document was
// deleted, or whose embedding version was superseded by a newer run, stops
// quietly. Start it with IngestWorkflowID.
func IngestDocument(ctx workflow.Context, in IngestInput) (IngestResult, error) {
	if in.TenantID == "" || in.KnowledgeBaseID == "" || in.DocumentID == "" {
		return IngestResult{}, temporal.NewNonRetryableApplicationError("tenant, knowledge base and document ids are required", "invalid_input", nil)
	}
	if in.EmbeddingVersion < 0 || in.EmbedGroup < 0 {
		return IngestResult{}, temporal.NewNonRetryableApplicationError("version and group must not be negative", "invalid_input", nil)
	}
	group := in.EmbedGroup
	if group == 0 {
		group = DefaultEmbedGroup
	}
	short := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: 10},
	})
	chunkCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    StepHeartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: 5},
	})
	embedCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Minute,
		HeartbeatTimeout:    StepHeartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2,
			MaximumInterval: 2 * time.Minute, MaximumAttempts: 8},
	})
	var a *IngestActivities
	res := IngestResult{}
	finish := func(version int, failure error) (IngestResult, error) {
		req := FinishRequest{TenantID: in.TenantID, DocumentID: in.DocumentID, EmbeddingVersion: version}
		if failure != nil {
			req.Error = failureMessage(failure)
			res.Error = req.Error
		}
		if err := workflow.ExecuteActivity(short, a.FinishIngestion, req).Get(ctx, &res.Status); err != nil {
			return res, fmt.Errorf("finish: %w", err)
		}
		return res, nil
	}

	var begin BeginResult
	if err := workflow.ExecuteActivity(short, a.BeginIngestion, in).Get(ctx, &begin); err != nil {
		return finish(in.EmbeddingVersion, err)
	}
	if begin.Outcome != "" {
		res.Status = begin.Outcome
		return res, nil
	}
	version := begin.EmbeddingVersion
	res.Chunks = begin.Chunks
	if begin.Chunks == 0 || in.Rechunk {
		var cr ChunkResult
		req := ChunkRequest{TenantID: in.TenantID, KnowledgeBaseID: in.KnowledgeBaseID, DocumentID: in.DocumentID,
			EmbeddingVersion: version, Embed: begin.Embed}
		if err := workflow.ExecuteActivity(chunkCtx, a.ExtractAndChunk, req).Get(ctx, &cr); err != nil {
			return finish(version, err)
		}
		if cr.Outcome != "" {
			res.Status = cr.Outcome
			return res, nil
		}
		res.Chunks = cr.Chunks
	}
	if begin.Embed {
		for from := 0; from < res.Chunks; from += group {
			req := EmbedRequest{TenantID: in.TenantID, KnowledgeBaseID: in.KnowledgeBaseID, DocumentID: in.DocumentID,
				EmbeddingVersion: version, From: from, To: min(from+group, res.Chunks)}
			var er EmbedResult
			if err := workflow.ExecuteActivity(embedCtx, a.EmbedChunks, req).Get(ctx, &er); err != nil {
				return finish(version, err)
			}
			res.Embedded += er.Embedded
			if er.Outcome != "" {
				res.Status = er.Outcome
				return res, nil
			}
		}
	}
	return finish(version, nil)
}

package workflows_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/workflows"
)

// ingestScript says what each mocked ingestion activity answers.
type ingestScript struct {
	begin      workflows.BeginResult
	beginErr   error
	chunk      workflows.ChunkResult
	chunkErr   error
	embed      func(req workflows.EmbedRequest) (workflows.EmbedResult, error)
	finishWith string // FinishIngestion's answer (the document's status by default)
}

// ingestCalls records the activity calls of a run.
type ingestCalls struct {
	begins  []workflows.IngestInput
	chunks  []workflows.ChunkRequest
	embeds  []workflows.EmbedRequest
	finish  []workflows.FinishRequest
	attempt map[string]int
}

func runIngest(t *testing.T, in workflows.IngestInput, sc ingestScript) (workflows.IngestResult, *ingestCalls, error) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var a *workflows.IngestActivities
	env.RegisterActivity(a)
	calls := &ingestCalls{attempt: map[string]int{}}
	env.OnActivity(a.BeginIngestion, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.IngestInput) (workflows.BeginResult, error) {
			calls.begins = append(calls.begins, in)
			return sc.begin, sc.beginErr
		})
	env.OnActivity(a.ExtractAndChunk, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req workflows.ChunkRequest) (workflows.ChunkResult, error) {
			calls.chunks = append(calls.chunks, req)
			return sc.chunk, sc.chunkErr
		})
	env.OnActivity(a.EmbedChunks, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req workflows.EmbedRequest) (workflows.EmbedResult, error) {
			calls.embeds = append(calls.embeds, req)
			if sc.embed != nil {
				return sc.embed(req)
			}
			return workflows.EmbedResult{Embedded: req.To - req.From}, nil
		})
	env.OnActivity(a.FinishIngestion, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req workflows.FinishRequest) (string, error) {
			calls.finish = append(calls.finish, req)
			if sc.finishWith != "" {
				return sc.finishWith, nil
			}
			if req.Error != "" {
				return hub.DocumentFailed, nil
			}
			return hub.DocumentReady, nil
		})
	env.ExecuteWorkflow(workflows.IngestDocument, in)
	var res workflows.IngestResult
	err := env.GetWorkflowError()
	if err == nil {
		err = env.GetWorkflowResult(&res)
	}
	return res, calls, err
}

var ingestIn = workflows.IngestInput{TenantID: "t1", KnowledgeBaseID: "kb1", DocumentID: "d1"}

func TestIngestDocumentChunksAndEmbedsInGroups(t *testing.T) {
	res, calls, err := runIngest(t, ingestIn, ingestScript{
		begin: workflows.BeginResult{EmbeddingVersion: 3, Embed: true},
		chunk: workflows.ChunkResult{Chunks: 600},
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(workflows.IngestResult{Status: hub.DocumentReady, Chunks: 600, Embedded: 600}, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	wantChunk := []workflows.ChunkRequest{{TenantID: "t1", KnowledgeBaseID: "kb1", DocumentID: "d1", EmbeddingVersion: 3, Embed: true}}
	if diff := cmp.Diff(wantChunk, calls.chunks); diff != "" {
		t.Errorf("chunk requests (-want +got):\n%s", diff)
	}
	var ranges [][2]int
	for _, e := range calls.embeds {
		if e.EmbeddingVersion != 3 || e.DocumentID != "d1" {
			t.Errorf("embed request = %+v", e)
		}
		ranges = append(ranges, [2]int{e.From, e.To})
	}
	if diff := cmp.Diff([][2]int{{0, 256}, {256, 512}, {512, 600}}, ranges); diff != "" {
		t.Errorf("embed groups (-want +got):\n%s", diff)
	}
	wantFinish := []workflows.FinishRequest{{TenantID: "t1", DocumentID: "d1", EmbeddingVersion: 3}}
	if diff := cmp.Diff(wantFinish, calls.finish); diff != "" {
		t.Errorf("finish (-want +got):\n%s", diff)
	}
}

func TestIngestDocumentWithoutEmbeddingModel(t *testing.T) {
	res, calls, err := runIngest(t, ingestIn, ingestScript{
		begin: workflows.BeginResult{EmbeddingVersion: 1},
		chunk: workflows.ChunkResult{Chunks: 12},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != hub.DocumentReady || res.Chunks != 12 || len(calls.embeds) != 0 || len(calls.finish) != 1 {
		t.Errorf("result = %+v, %d embed calls", res, len(calls.embeds))
	}
}

func TestIngestDocumentReembedsStoredChunks(t *testing.T) {
	in := ingestIn
	in.EmbeddingVersion, in.EmbedGroup = 2, 10
	res, calls, err := runIngest(t, in, ingestScript{begin: workflows.BeginResult{EmbeddingVersion: 2, Chunks: 15, Embed: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls.chunks) != 0 {
		t.Errorf("stored chunks were extracted again: %+v", calls.chunks)
	}
	if diff := cmp.Diff(workflows.IngestResult{Status: hub.DocumentReady, Chunks: 15, Embedded: 15}, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if len(calls.embeds) != 2 || calls.embeds[1].From != 10 || calls.embeds[1].To != 15 {
		t.Errorf("embeds = %+v", calls.embeds)
	}
	if calls.begins[0].EmbeddingVersion != 2 {
		t.Errorf("begin = %+v", calls.begins[0])
	}

	// Rechunk extracts again although chunks are stored.
	in.Rechunk = true
	_, calls, err = runIngest(t, in, ingestScript{begin: workflows.BeginResult{EmbeddingVersion: 2, Chunks: 15, Embed: true},
		chunk: workflows.ChunkResult{Chunks: 3}})
	if err != nil || len(calls.chunks) != 1 || len(calls.embeds) != 1 || calls.embeds[0].To != 3 {
		t.Errorf("rechunk: %v, %+v, %+v", err, calls.chunks, calls.embeds)
	}
}

func TestIngestDocumentFailsWithOwnersMessage(t *testing.T) {
	tests := []struct {
		name      string
		sc        ingestScript
		wantError string
		attempts  int // embedding attempts
	}{
		{
			name: "unreadable document",
			sc: ingestScript{begin: workflows.BeginResult{EmbeddingVersion: 1, Embed: true},
				chunkErr: temporal.NewNonRetryableApplicationError("The PDF is encrypted; upload it without a password.", workflows.ErrTypeInvalidDocument, nil)},
			wantError: "The PDF is encrypted; upload it without a password.",
		},
		{
			name: "embedding model refuses",
			sc: ingestScript{begin: workflows.BeginResult{EmbeddingVersion: 1, Embed: true}, chunk: workflows.ChunkResult{Chunks: 5},
				embed: func(workflows.EmbedRequest) (workflows.EmbedResult, error) {
					return workflows.EmbedResult{}, temporal.NewNonRetryableApplicationError("The embedding model refused the request: bad key", workflows.ErrTypeEmbeddingFailed, nil)
				}},
			wantError: "The embedding model refused the request: bad key",
			attempts:  1,
		},
		{
			name: "embedding model down through every retry",
			sc: ingestScript{begin: workflows.BeginResult{EmbeddingVersion: 1, Embed: true}, chunk: workflows.ChunkResult{Chunks: 5},
				embed: func(workflows.EmbedRequest) (workflows.EmbedResult, error) {
					return workflows.EmbedResult{}, temporal.NewApplicationError("The embedding model is unavailable: 503", workflows.ErrTypeEmbeddingUnavailable)
				}},
			wantError: "The embedding model is unavailable: 503",
			attempts:  8,
		},
		{
			name: "internal errors stay internal",
			sc: ingestScript{begin: workflows.BeginResult{EmbeddingVersion: 1}, chunk: workflows.ChunkResult{Chunks: 5},
				chunkErr: errors.New("postgres: connection refused to 10.0.0.7")},
			wantError: "Ingestion failed after several attempts; ask for a new run.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, calls, err := runIngest(t, ingestIn, tt.sc)
			if err != nil {
				t.Fatal(err)
			}
			want := workflows.IngestResult{Status: hub.DocumentFailed, Chunks: res.Chunks, Error: tt.wantError}
			if diff := cmp.Diff(want, res); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if len(calls.finish) != 1 || calls.finish[0].Error != tt.wantError || calls.finish[0].EmbeddingVersion != 1 {
				t.Errorf("finish = %+v", calls.finish)
			}
			if len(calls.embeds) != tt.attempts {
				t.Errorf("%d embedding attempts, want %d", len(calls.embeds), tt.attempts)
			}
		})
	}
}

func TestIngestDocumentStopsWhenNotNeeded(t *testing.T) {
	tests := []struct {
		name string
		sc   ingestScript
		want string
	}{
		{"superseded at the start", ingestScript{begin: workflows.BeginResult{Outcome: workflows.IngestSuperseded}}, workflows.IngestSuperseded},
		{"deleted while chunking", ingestScript{begin: workflows.BeginResult{EmbeddingVersion: 1, Embed: true},
			chunk: workflows.ChunkResult{Outcome: workflows.IngestDeleted}}, workflows.IngestDeleted},
		{"superseded while embedding", ingestScript{begin: workflows.BeginResult{EmbeddingVersion: 1, Embed: true, Chunks: 600},
			embed: func(req workflows.EmbedRequest) (workflows.EmbedResult, error) {
				if req.From > 0 {
					return workflows.EmbedResult{Outcome: workflows.IngestSuperseded}, nil
				}
				return workflows.EmbedResult{Embedded: 256}, nil
			}}, workflows.IngestSuperseded},
		{"superseded at the finish", ingestScript{begin: workflows.BeginResult{EmbeddingVersion: 1, Chunks: 3},
			finishWith: workflows.IngestSuperseded}, workflows.IngestSuperseded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, calls, err := runIngest(t, ingestIn, tt.sc)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tt.want {
				t.Errorf("status = %q, want %q", res.Status, tt.want)
			}
			if tt.sc.finishWith == "" && len(calls.finish) != 0 {
				t.Errorf("a run that was not needed finished the document: %+v", calls.finish)
			}
		})
	}
}

func TestIngestDocumentRefusesBadInput(t *testing.T) {
	for name, in := range map[string]workflows.IngestInput{
		"no ids":           {},
		"negative version": {TenantID: "t", KnowledgeBaseID: "k", DocumentID: "d", EmbeddingVersion: -1},
	} {
		var s testsuite.WorkflowTestSuite
		env := s.NewTestWorkflowEnvironment()
		env.ExecuteWorkflow(workflows.IngestDocument, in)
		if env.GetWorkflowError() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestIngestWorkflowID(t *testing.T) {
	for run, want := range map[int]string{0: "ingest-d1", 1: "ingest-d1", 2: "ingest-d1-run-2", 10: "ingest-d1-run-10"} {
		if got := workflows.IngestWorkflowID("d1", run); got != want {
			t.Errorf("run %d: id %q, want %q", run, got, want)
		}
	}
}

// TestReplayIngestDocument replays a history recorded from a real run on
// the embedded Temporal server (knowledge TestIngestionEndToEnd with
// BIZOS_RECORD_HISTORY=1): a Markdown document chunked and embedded in
// three groups by the real activities against PostgreSQL.
func TestReplayIngestDocument(t *testing.T) {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflow(workflows.IngestDocument)
	if err := r.ReplayWorkflowHistoryFromJSONFile(nil, "testdata/ingest_document.json"); err != nil {
		t.Fatal(err)
	}
}

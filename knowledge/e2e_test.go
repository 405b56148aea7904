package knowledge_test

import (
	"context"
	"os"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/devtemporal"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/knowledge"
	"github.com/bizoshub/bizos/workflows"
)

// TestIngestionEndToEnd runs ingestion through a real (embedded) Temporal
// server and worker: upload, IngestDocument with the real activities on
// PostgreSQL, hybrid search, then a model change that re-embeds in a new
// run. With BIZOS_RECORD_HISTORY=1 it records the first run's history for
// the workflows package's replay test.
func TestIngestionEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	f := newFixture(t, knowledge.Config{})
	srv, err := devtemporal.Start(ctx, devtemporal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	c, err := client.Dial(client.Options{HostPort: srv.Address(), Namespace: srv.Namespace()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	w.RegisterWorkflow(workflows.IngestDocument)
	w.RegisterActivity(&workflows.IngestActivities{Store: f.store, Splitter: knowledge.NewSplitter(knowledge.ChunkOptions{Size: 120, Overlap: 30}),
		Embedder: f.embedder, BatchSize: 2})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	ingester := knowledge.NewTemporalIngester(c)
	ingester.EmbedGroup = 2
	svc := knowledge.NewService(knowledge.Config{Store: f.store, Ingester: ingester, Embedder: f.embedder})
	p := hub.Principal{Kind: hub.PrincipalUser, ID: "u1", TenantID: f.tenantA}
	kb, err := svc.CreateKnowledgeBase(ctx, p, knowledge.KnowledgeBaseRequest{Name: "Help",
		Embedding: &knowledge.EmbeddingRequest{Provider: "ollama", Model: "bag"}})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := svc.Upload(ctx, p, kb.ID, knowledge.Upload{Name: "refunds.md", Data: []byte(refundsMarkdown)})
	if err != nil {
		t.Fatal(err)
	}
	wait := func(run int) workflows.IngestResult {
		t.Helper()
		var res workflows.IngestResult
		if err := c.GetWorkflow(ctx, workflows.IngestWorkflowID(doc.ID, run), "").Get(ctx, &res); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		return res
	}
	res := wait(1)
	if res.Status != hub.DocumentReady || res.Chunks < 5 || res.Embedded != res.Chunks {
		t.Fatalf("run 1 = %+v", res)
	}
	d, err := svc.Document(ctx, f.tenantA, kb.ID, doc.ID)
	if err != nil || d.Status != hub.DocumentReady || d.Progress != 1 || d.ChunkCount != res.Chunks || d.EmbeddedCount != res.Chunks {
		t.Fatalf("document = %+v, %v", d, err)
	}
	found, err := svc.Search(ctx, f.tenantA, []string{kb.ID}, "express shipping price", 3)
	if err != nil || found.Mode != hub.SearchModeHybrid || len(found.Items) == 0 || found.Items[0].Heading != "Shipping" {
		t.Fatalf("search = %+v, %v", found, err)
	}

	// A new model: a second run re-embeds the stored chunks.
	if _, err := svc.UpdateKnowledgeBase(ctx, f.tenantA, kb.ID, knowledge.KnowledgeBasePatch{
		Embedding: &knowledge.EmbeddingRequest{Provider: "ollama", Model: "bag-2"}}); err != nil {
		t.Fatal(err)
	}
	if res2 := wait(2); res2.Status != hub.DocumentReady || res2.Embedded != res.Chunks {
		t.Errorf("run 2 = %+v", res2)
	}
	if d, _ = svc.Document(ctx, f.tenantA, kb.ID, doc.ID); d.Status != hub.DocumentReady || d.EmbeddingVersion != 2 {
		t.Errorf("re-embedded document = %+v", d)
	}
	if got := f.embedder.calls("bag-2"); got != res.Chunks {
		t.Errorf("the new model embedded %d chunks, want %d", got, res.Chunks)
	}

	if os.Getenv("BIZOS_RECORD_HISTORY") == "1" {
		testenv.RecordHistory(t, ctx, c, workflows.IngestWorkflowID(doc.ID, 1), "", "../workflows/testdata/ingest_document.json")
	}
}

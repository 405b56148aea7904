package knowledge_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/knowledge"
)

// ingestMetrics reads documents ingested by status and chunks ingested.
func ingestMetrics(t *testing.T, reg *prometheus.Registry) (map[string]float64, float64) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	docs, chunks := map[string]float64{}, 0.0
	for _, mf := range mfs {
		switch mf.GetName() {
		case "bizos_knowledge_documents_ingested_total":
			for _, m := range mf.GetMetric() {
				docs[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
			}
		case "bizos_knowledge_chunks_ingested_total":
			chunks = mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return docs, chunks
}

// TestIngestionMetrics ingests a readable and a broken document with the
// real IngestDocument workflow and activities on PostgreSQL, the store
// wrapped in MeteredStore as the worker does: one ready, one failed, and
// the ready one's chunks.
func TestIngestionMetrics(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, knowledge.Config{})
	f.ingester.activities.Store = knowledge.MeteredStore{KnowledgeStore: f.store}
	reg := prometheus.NewRegistry()
	for _, c := range knowledge.Collectors() {
		reg.MustRegister(c)
	}
	p := hub.Principal{Kind: hub.PrincipalUser, ID: "u1", TenantID: f.tenantA}
	kb, err := f.svc.CreateKnowledgeBase(ctx, p, knowledge.KnowledgeBaseRequest{Name: "Help",
		Embedding: &knowledge.EmbeddingRequest{Provider: "ollama", Model: "bag"}})
	if err != nil {
		t.Fatal(err)
	}
	docsBefore, chunksBefore := ingestMetrics(t, reg)
	good, err := f.svc.Upload(ctx, p, kb.ID, knowledge.Upload{Name: "refunds.md", Data: []byte(refundsMarkdown)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Upload(ctx, p, kb.ID, knowledge.Upload{Name: "broken.pdf", Data: []byte("%PDF-1.4\n1 0 obj garbage")}); err != nil {
		t.Fatal(err)
	}
	d, err := f.svc.Document(ctx, f.tenantA, kb.ID, good.ID)
	if err != nil || d.Status != hub.DocumentReady || d.ChunkCount == 0 {
		t.Fatalf("document = %+v, %v", d, err)
	}
	docs, chunks := ingestMetrics(t, reg)
	got := map[string]float64{}
	for k, v := range docs {
		got[k] = v - docsBefore[k]
	}
	if diff := cmp.Diff(map[string]float64{hub.DocumentReady: 1, hub.DocumentFailed: 1}, got); diff != "" {
		t.Errorf("documents by status (-want +got):\n%s", diff)
	}
	if n := chunks - chunksBefore; n != float64(d.ChunkCount) {
		t.Errorf("chunks ingested = %v, want %d", n, d.ChunkCount)
	}
}

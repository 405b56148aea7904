package knowledge

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	hub "github.com/bizoshub/bizos"
)

var (
	documentsIngested = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bizos_knowledge_documents_ingested_total",
		Help: "Documents whose ingestion ended, by status (ready, failed).",
	}, []string{"status"})
	chunksIngested = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "bizos_knowledge_chunks_ingested_total",
		Help: "Chunks stored by document ingestion (a re-ingested document counts its chunks again).",
	})
)

// Collectors returns the package's Prometheus collectors.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{documentsIngested, chunksIngested}
}

// MeteredStore is a hub.KnowledgeStore that counts ingestion as it is
// stored: the chunks of every ReplaceChunks, and every document
// FinishDocument marks ready or failed (a run superseded by a newer one,
// or of a deleted document, is not counted). The worker gives it to the
// ingestion activities.
type MeteredStore struct {
	hub.KnowledgeStore
}

// ReplaceChunks implements hub.KnowledgeStore.
func (s MeteredStore) ReplaceChunks(ctx context.Context, tenantID, id string, version int, chunks []hub.Chunk) error {
	if err := s.KnowledgeStore.ReplaceChunks(ctx, tenantID, id, version, chunks); err != nil {
		return err
	}
	chunksIngested.Add(float64(len(chunks)))
	return nil
}

// FinishDocument implements hub.KnowledgeStore.
func (s MeteredStore) FinishDocument(ctx context.Context, tenantID, id string, version int, errMsg string) error {
	if err := s.KnowledgeStore.FinishDocument(ctx, tenantID, id, version, errMsg); err != nil {
		return err
	}
	status := hub.DocumentReady
	if errMsg != "" {
		status = hub.DocumentFailed
	}
	documentsIngested.WithLabelValues(status).Inc()
	return nil
}

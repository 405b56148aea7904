package hub

import (
	"context"
	"time"
)

// Knowledge document statuses. A document is ready when its text is chunked
// and, if its knowledge base has an embedding model, every chunk is embedded
// with the base's current model.
const (
	DocumentPending    = "pending"    // waiting for an ingestion run
	DocumentProcessing = "processing" // an ingestion run is extracting or embedding it
	DocumentReady      = "ready"      // searchable
	DocumentFailed     = "failed"     // see Error; upload again or ask for a new run
)

// Stages of a processing document.
const (
	StageExtracting = "extracting" // text extraction and chunking
	StageEmbedding  = "embedding"  // computing the chunks' vectors
)

// Content types knowledge bases accept.
const (
	ContentTypePDF      = "application/pdf"
	ContentTypeMarkdown = "text/markdown"
	ContentTypeHTML     = "text/html"
	ContentTypeText     = "text/plain"
)

// KnowledgeSearchModes say how a search ranked its results.
const (
	SearchModeHybrid   = "hybrid"    // full-text and vector rankings fused by reciprocal rank
	SearchModeFullText = "full_text" // full-text ranking only (no embedding model, or it failed)
)

// EmbeddingConfig names the embedding model of a knowledge base. Its API key
// is stored sealed and never returned; HasAPIKey says whether there is one.
type EmbeddingConfig struct {
	Provider string `json:"provider"` // LLMProviderOllama or LLMProviderOpenAI
	Model    string `json:"model"`
	// BaseURL is the provider's address; empty means the provider default.
	BaseURL string `json:"base_url,omitempty"`
	// Dimension is the length of the model's vectors; 0 until the first
	// vectors are computed when it was not given.
	Dimension int  `json:"dimension"`
	HasAPIKey bool `json:"has_api_key"`
}

// LLM returns the model as an LLMConfig with the given API key.
func (e *EmbeddingConfig) LLM(apiKey Secret) LLMConfig {
	return LLMConfig{Provider: e.Provider, Model: e.Model, BaseURL: e.BaseURL, APIKey: apiKey}
}

// SameModel reports whether e and o produce comparable vectors: the same
// provider, model and dimension (nil is "no model").
func (e *EmbeddingConfig) SameModel(o *EmbeddingConfig) bool {
	if e == nil || o == nil {
		return e == nil && o == nil
	}
	return e.Provider == o.Provider && e.Model == o.Model && e.Dimension == o.Dimension
}

// KnowledgeBase is a tenant's collection of documents that agents and the
// search API look things up in.
type KnowledgeBase struct {
	ID          string `json:"id"`
	TenantID    string `json:"tenant_id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// Language is the PostgreSQL text search configuration of full-text
	// ranking ("english", "german", "simple", ...).
	Language string `json:"language"`
	// Embedding is the embedding model; nil means full-text search only.
	Embedding *EmbeddingConfig `json:"embedding"`
	// EmbeddingVersion counts changes of the embedding model or dimension;
	// each change clears the stored vectors and re-embeds every document.
	EmbeddingVersion int       `json:"embedding_version"`
	DocumentCount    int       `json:"document_count"`
	ChunkCount       int       `json:"chunk_count"`
	CreatedBy        string    `json:"created_by"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// Document is one uploaded file of a knowledge base. Its bytes are stored
// beside it; its text lives in its chunks.
type Document struct {
	ID              string `json:"id"`
	TenantID        string `json:"tenant_id"`
	KnowledgeBaseID string `json:"knowledge_base_id"`
	Name            string `json:"name"`
	ContentType     string `json:"content_type"`
	Size            int64  `json:"size"`
	SHA256          string `json:"sha256"`
	Status          string `json:"status"`
	// Stage is what a processing document is doing (StageExtracting, StageEmbedding).
	Stage string `json:"stage,omitempty"`
	// Progress runs from 0 to 1.
	Progress float64 `json:"progress"`
	// Error says why a failed document failed.
	Error         string `json:"error,omitempty"`
	ChunkCount    int    `json:"chunk_count"`
	EmbeddedCount int    `json:"embedded_count"`
	// EmbeddingVersion is the knowledge base's embedding version the
	// document was last made ready under.
	EmbeddingVersion int `json:"embedding_version"`
	// Runs counts the ingestion runs started for the document.
	Runs      int       `json:"runs"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Chunk is a passage of a document's extracted text, the unit of search.
type Chunk struct {
	ID              string `json:"id"`
	KnowledgeBaseID string `json:"knowledge_base_id"`
	DocumentID      string `json:"document_id"`
	// Position is the chunk's index in its document, from 0.
	Position int `json:"position"`
	// StartOffset and EndOffset delimit the chunk in the document's
	// extracted text, in bytes of UTF-8. Neighbouring chunks overlap.
	StartOffset int `json:"start_offset"`
	EndOffset   int `json:"end_offset"`
	// Heading is the section heading the chunk starts under, if known.
	Heading string `json:"heading,omitempty"`
	// Page is the PDF page the chunk starts on, from 1 (0 when not a PDF).
	Page int    `json:"page,omitempty"`
	Text string `json:"text"`
}

// SearchResult is one chunk found by a search, with what a citation needs.
type SearchResult struct {
	ChunkID         string `json:"chunk_id"`
	KnowledgeBaseID string `json:"knowledge_base_id"`
	DocumentID      string `json:"document_id"`
	DocumentName    string `json:"document_name"`
	Position        int    `json:"position"`
	StartOffset     int    `json:"start_offset"`
	EndOffset       int    `json:"end_offset"`
	Heading         string `json:"heading,omitempty"`
	Page            int    `json:"page,omitempty"`
	Text            string `json:"text"`
	// Score orders results, highest first: the fused reciprocal-rank score
	// of a search; the store's ts_rank_cd or cosine similarity in a single
	// ranking.
	Score float64 `json:"score"`
	// FullTextRank and VectorRank are the result's 1-based ranks in the
	// full-text and vector rankings (0 when absent from one).
	FullTextRank int `json:"full_text_rank,omitempty"`
	VectorRank   int `json:"vector_rank,omitempty"`
	// Similarity is the cosine similarity of the chunk to the query, when
	// it was ranked by vector.
	Similarity float64 `json:"similarity,omitempty"`
}

// TextQuery asks for a full-text ranking.
type TextQuery struct {
	KnowledgeBaseIDs []string
	// Query is user text in web-search syntax ("quoted phrases", -excluded,
	// OR); each knowledge base's Language parses it.
	Query string
	Limit int
}

// VectorQuery asks for a ranking by cosine similarity to Embedding among
// the chunks embedded with one model.
type VectorQuery struct {
	KnowledgeBaseIDs []string
	Embedding        []float32
	Limit            int
	// Candidates are chunk ids (typically the full-text hits) that a store
	// without a vector index scores when the knowledge bases hold too many
	// chunks to score them all.
	Candidates []string
}

// ChunkEmbedding is one chunk's vector, by position in its document.
type ChunkEmbedding struct {
	Position  int
	Embedding []float32
}

// KnowledgeStore persists knowledge bases (embedding API keys sealed),
// documents with their bytes, chunks with their vectors, and searches them.
// Every method is scoped to one tenant.
type KnowledgeStore interface {
	// CreateKnowledgeBase stores kb with the embedding API key (may be
	// empty), filling ID, EmbeddingVersion and times. A duplicate name is
	// ECONFLICT.
	CreateKnowledgeBase(ctx context.Context, kb *KnowledgeBase, apiKey Secret) error
	// KnowledgeBase returns one of the tenant's knowledge bases or ENOTFOUND.
	KnowledgeBase(ctx context.Context, tenantID, id string) (*KnowledgeBase, error)
	// ListKnowledgeBases pages through the tenant's knowledge bases, newest first.
	ListKnowledgeBases(ctx context.Context, tenantID string, page Page) ([]*KnowledgeBase, string, error)
	// UpdateKnowledgeBase saves kb's name, description, language and
	// embedding settings; apiKey nil keeps the stored key, and dimension 0
	// with the same model keeps the recorded dimension. When the
	// embedding model or dimension change it bumps EmbeddingVersion,
	// clears every stored vector of the base and sets its documents
	// pending, and reembed is true. kb is refreshed from the stored row.
	UpdateKnowledgeBase(ctx context.Context, kb *KnowledgeBase, apiKey *Secret) (reembed bool, err error)
	// DeleteKnowledgeBase removes the base with its documents and chunks.
	DeleteKnowledgeBase(ctx context.Context, tenantID, id string) error
	// EmbeddingAPIKey returns the base's embedding API key ("" when none).
	EmbeddingAPIKey(ctx context.Context, tenantID, kbID string) (Secret, error)

	// CreateDocument stores d (pending) with its bytes, filling ID, Size,
	// SHA256 and times.
	CreateDocument(ctx context.Context, d *Document, content []byte) error
	// Document returns one document of one of the tenant's bases or ENOTFOUND.
	Document(ctx context.Context, tenantID, kbID, id string) (*Document, error)
	// ListDocuments pages through a base's documents, newest first.
	ListDocuments(ctx context.Context, tenantID, kbID string, page Page) ([]*Document, string, error)
	// DeleteDocument removes a document with its chunks.
	DeleteDocument(ctx context.Context, tenantID, kbID, id string) error
	// DocumentContent returns the document's uploaded bytes.
	DocumentContent(ctx context.Context, tenantID, id string) ([]byte, error)
	// StartDocumentRun counts a new ingestion run of the document, sets it
	// pending and returns the run's number (1 for the first).
	StartDocumentRun(ctx context.Context, tenantID, id string) (int, error)
	// StaleDocuments lists the ids of a base's pending documents, oldest
	// first, and its failed ones too with includeFailed.
	StaleDocuments(ctx context.Context, tenantID, kbID string, includeFailed bool) ([]string, error)

	// SetDocumentStage marks a document processing in a stage with a
	// progress, if the base's embedding version is still version
	// (ECONFLICT otherwise: a newer run owns the document).
	SetDocumentStage(ctx context.Context, tenantID, id string, version int, stage string, progress float64) error
	// ReplaceChunks replaces the document's chunks (positions 0..n-1) and
	// records their count, if the embedding version is still version.
	ReplaceChunks(ctx context.Context, tenantID, id string, version int, chunks []Chunk) error
	// UnembeddedChunks returns the document's chunks with positions in
	// [from, to) that have no vector yet, by position.
	UnembeddedChunks(ctx context.Context, tenantID, id string, from, to int) ([]Chunk, error)
	// StoreEmbeddings stores vectors of the document's chunks if the
	// embedding version is still version (ECONFLICT otherwise), records the
	// base's dimension when it had none (a vector of another length is
	// EINVALID), and advances the document's progress.
	StoreEmbeddings(ctx context.Context, tenantID, id string, version int, vectors []ChunkEmbedding) error
	// FinishDocument marks a document ready (errMsg empty) or failed under
	// the embedding version (0: the current one); ECONFLICT when a newer
	// version owns it.
	FinishDocument(ctx context.Context, tenantID, id string, version int, errMsg string) error

	// FullTextSearch ranks chunks by ts_rank_cd for the query, best first.
	FullTextSearch(ctx context.Context, tenantID string, q TextQuery) ([]*SearchResult, error)
	// VectorSearch ranks embedded chunks by cosine similarity, best first.
	VectorSearch(ctx context.Context, tenantID string, q VectorQuery) ([]*SearchResult, error)
}

// DocumentSplitter extracts a document's text and cuts it into chunks
// (positions and offsets filled; ids left to the store). A document that
// cannot be read is EINVALID with a message for its owner.
type DocumentSplitter interface {
	Split(ctx context.Context, doc *Document, content []byte) ([]Chunk, error)
}

// KnowledgeSearcher searches a tenant's knowledge bases; agents' search
// tool uses it and cites the chunks it returns.
type KnowledgeSearcher interface {
	SearchKnowledge(ctx context.Context, tenantID string, kbIDs []string, query string, limit int) ([]*SearchResult, error)
}

// Package knowledge turns tenants' documents into searchable chunks and
// searches them: text extraction (PDF, Markdown, HTML, plain text),
// chunking with overlap, the knowledge-base API (Service and HTTP
// Handler), the Temporal starter of ingestion runs, and hybrid search that
// fuses PostgreSQL full-text ranking with vector similarity by reciprocal
// rank. The IngestDocument workflow and its activities live in workflows.
package knowledge

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"
	"unicode"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/egress"
)

// Service defaults and limits.
const (
	DefaultMaxDocumentBytes  = 20 << 20 // 20 MiB
	DefaultQueryEmbedTimeout = 10 * time.Second
	DefaultSearchLimit       = 10
	MaxSearchLimit           = 50
	// DefaultCandidates is how many results each ranking contributes to
	// the fusion.
	DefaultCandidates = 50
	// RRFK is the k of reciprocal rank fusion: score = Σ 1/(k + rank).
	RRFK = 60

	maxName        = 200
	maxDocName     = 300
	maxDescription = 2000
	maxQuery       = 1000
	maxModel       = 200
	maxAPIKey      = 4096
	maxDimension   = 16000
	maxSearchBases = 20
)

// Languages are the text search configurations a knowledge base may use
// (PostgreSQL's built-in ones).
var Languages = []string{"simple", "arabic", "armenian", "basque", "catalan", "danish", "dutch", "english", "finnish",
	"french", "german", "greek", "hindi", "hungarian", "indonesian", "irish", "italian", "lithuanian", "nepali",
	"norwegian", "portuguese", "romanian", "russian", "serbian", "spanish", "swedish", "tamil", "turkish", "yiddish"}

// IngestRequest asks for one ingestion run of a document.
type IngestRequest struct {
	TenantID        string
	KnowledgeBaseID string
	DocumentID      string
	// Run is the run's number from hub.KnowledgeStore.StartDocumentRun.
	Run int
	// EmbeddingVersion is the base's embedding version the run is for; 0
	// means the version current when the run begins (uploads).
	EmbeddingVersion int
	// Rechunk extracts and chunks again although chunks are stored.
	Rechunk bool
}

// Ingester starts ingestion runs; TemporalIngester is the real one.
type Ingester interface {
	StartIngestion(ctx context.Context, req IngestRequest) error
}

// Config holds a Service's dependencies.
type Config struct {
	Store hub.KnowledgeStore
	// Ingester starts ingestion runs; nil answers EUNAVAILABLE to uploads.
	Ingester Ingester
	// Embedder embeds search queries; nil ranks by full text only.
	Embedder hub.Embedder
	// Egress checks embedding base URLs when set.
	Egress *egress.Policy
	// MaxDocumentBytes bounds uploads (DefaultMaxDocumentBytes when 0).
	MaxDocumentBytes int64
	// QueryEmbedTimeout bounds embedding a search query
	// (DefaultQueryEmbedTimeout when 0); past it the search is full-text.
	QueryEmbedTimeout time.Duration
	// Candidates is how many results each ranking contributes to the
	// fusion (DefaultCandidates when 0).
	Candidates int
	// Log receives embedding failures of searches; nil discards them.
	Log *slog.Logger
}

// Service manages knowledge bases and documents and searches them.
type Service struct{ cfg Config }

var _ hub.KnowledgeSearcher = (*Service)(nil)

// NewService returns a Service.
func NewService(cfg Config) *Service {
	if cfg.MaxDocumentBytes <= 0 {
		cfg.MaxDocumentBytes = DefaultMaxDocumentBytes
	}
	if cfg.QueryEmbedTimeout <= 0 {
		cfg.QueryEmbedTimeout = DefaultQueryEmbedTimeout
	}
	if cfg.Candidates <= 0 {
		cfg.Candidates = DefaultCandidates
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg}
}

// MaxDocumentBytes is the upload limit.
func (s *Service) MaxDocumentBytes() int64 { return s.cfg.MaxDocumentBytes }

// EmbeddingRequest sets a knowledge base's embedding model.
type EmbeddingRequest struct {
	Provider string `json:"provider"`
	Model    string `json:"model"`
	BaseURL  string `json:"base_url"`
	// APIKey authenticates to OpenAI-compatible endpoints. In a PATCH an
	// absent key keeps the stored one and "" removes it.
	APIKey *hub.Secret `json:"api_key"`
	// Dimension is the model's vector length; 0 records it from the
	// model's first vectors.
	Dimension int `json:"dimension"`
}

// KnowledgeBaseRequest is the body of POST /api/v1/knowledge-bases.
type KnowledgeBaseRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Language is the full-text configuration ("english" when empty).
	Language string `json:"language"`
	// Embedding is the embedding model; absent means full-text search only.
	Embedding *EmbeddingRequest `json:"embedding"`
}

// KnowledgeBasePatch is the body of PATCH /api/v1/knowledge-bases/{id};
// absent fields stay. "embedding": null removes the model. A changed
// provider, model or dimension re-embeds every document.
type KnowledgeBasePatch struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Language    *string `json:"language"`
	// Embedding is set when the field was present (RemoveEmbedding when null).
	Embedding       *EmbeddingRequest `json:"-"`
	RemoveEmbedding bool              `json:"-"`
}

// Upload is a document to add.
type Upload struct {
	Name        string
	ContentType string // as declared; empty to decide from the name and bytes
	Data        []byte
}

// SearchRequest is the body of POST /api/v1/knowledge-bases/{id}/search.
type SearchRequest struct {
	Query string `json:"query"`
	Limit int    `json:"limit"`
}

// SearchResponse is a search's answer.
type SearchResponse struct {
	Items []*hub.SearchResult `json:"items"`
	// Mode is hub.SearchModeHybrid or hub.SearchModeFullText.
	Mode string `json:"mode"`
	// Warnings say why a search fell back to full text.
	Warnings []string `json:"warnings,omitempty"`
}

func checkName(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len([]rune(s)) > max || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", hub.InvalidField(field, fmt.Sprintf("is required: up to %d characters, no control characters", max))
	}
	return s, nil
}

func checkDescription(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len([]rune(s)) > maxDescription {
		return "", hub.InvalidField("description", fmt.Sprintf("must be at most %d characters", maxDescription))
	}
	return s, nil
}

func checkLanguage(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "english", nil
	}
	for _, l := range Languages {
		if l == s {
			return s, nil
		}
	}
	return "", hub.InvalidField("language", "must be one of "+strings.Join(Languages, ", "))
}

// checkEmbedding validates an embedding request.
func (s *Service) checkEmbedding(ctx context.Context, e *EmbeddingRequest) (*hub.EmbeddingConfig, error) {
	cfg := &hub.EmbeddingConfig{Provider: strings.ToLower(strings.TrimSpace(e.Provider)), Model: strings.TrimSpace(e.Model),
		Dimension: e.Dimension}
	if cfg.Provider != hub.LLMProviderOllama && cfg.Provider != hub.LLMProviderOpenAI {
		return nil, hub.InvalidField("embedding.provider", `must be "ollama" or "openai" (any OpenAI-compatible endpoint)`)
	}
	if cfg.Model == "" || len(cfg.Model) > maxModel || strings.IndexFunc(cfg.Model, unicode.IsControl) >= 0 {
		return nil, hub.InvalidField("embedding.model", fmt.Sprintf("is required (up to %d characters)", maxModel))
	}
	if cfg.Dimension < 0 || cfg.Dimension > maxDimension {
		return nil, hub.InvalidField("embedding.dimension", fmt.Sprintf("must be from 1 to %d, or 0 to record the model's", maxDimension))
	}
	if raw := strings.TrimSpace(e.BaseURL); raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || len(raw) > 2000 {
			return nil, hub.InvalidField("embedding.base_url", "must be an http or https URL without credentials")
		}
		if s.cfg.Egress != nil {
			if _, err := s.cfg.Egress.CheckURL(ctx, "embedding.base_url", raw); err != nil {
				return nil, err
			}
		}
		cfg.BaseURL = strings.TrimRight(u.String(), "/")
	}
	if e.APIKey != nil && len(*e.APIKey) > maxAPIKey {
		return nil, hub.InvalidField("embedding.api_key", fmt.Sprintf("must be at most %d characters", maxAPIKey))
	}
	return cfg, nil
}

// CreateKnowledgeBase creates a knowledge base for p's tenant.
func (s *Service) CreateKnowledgeBase(ctx context.Context, p hub.Principal, req KnowledgeBaseRequest) (*hub.KnowledgeBase, error) {
	name, err := checkName("name", req.Name, maxName)
	if err != nil {
		return nil, err
	}
	desc, err := checkDescription(req.Description)
	if err != nil {
		return nil, err
	}
	lang, err := checkLanguage(req.Language)
	if err != nil {
		return nil, err
	}
	kb := &hub.KnowledgeBase{TenantID: p.TenantID, Name: name, Description: desc, Language: lang, CreatedBy: p.Subject()}
	var key hub.Secret
	if req.Embedding != nil {
		if kb.Embedding, err = s.checkEmbedding(ctx, req.Embedding); err != nil {
			return nil, err
		}
		if req.Embedding.APIKey != nil {
			key = *req.Embedding.APIKey
		}
	}
	if err := s.cfg.Store.CreateKnowledgeBase(ctx, kb, key); err != nil {
		return nil, err
	}
	return kb, nil
}

// KnowledgeBase returns one of the tenant's knowledge bases.
func (s *Service) KnowledgeBase(ctx context.Context, tenantID, id string) (*hub.KnowledgeBase, error) {
	return s.cfg.Store.KnowledgeBase(ctx, tenantID, id)
}

// ListKnowledgeBases pages through the tenant's knowledge bases.
func (s *Service) ListKnowledgeBases(ctx context.Context, tenantID string, page hub.Page) ([]*hub.KnowledgeBase, string, error) {
	return s.cfg.Store.ListKnowledgeBases(ctx, tenantID, page)
}

// DeleteKnowledgeBase deletes a knowledge base with its documents.
func (s *Service) DeleteKnowledgeBase(ctx context.Context, tenantID, id string) error {
	return s.cfg.Store.DeleteKnowledgeBase(ctx, tenantID, id)
}

// UpdateKnowledgeBase applies a patch. When the embedding model or
// dimension change, every document is re-embedded. Whenever the patch sets
// the embedding, the base's pending and failed documents get a new
// ingestion run: repeating it retries runs that could not start, and a
// corrected API key retries documents its predecessor failed.
func (s *Service) UpdateKnowledgeBase(ctx context.Context, tenantID, id string, patch KnowledgeBasePatch) (*hub.KnowledgeBase, error) {
	kb, err := s.cfg.Store.KnowledgeBase(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if patch.Name != nil {
		if kb.Name, err = checkName("name", *patch.Name, maxName); err != nil {
			return nil, err
		}
	}
	if patch.Description != nil {
		if kb.Description, err = checkDescription(*patch.Description); err != nil {
			return nil, err
		}
	}
	if patch.Language != nil {
		if kb.Language, err = checkLanguage(*patch.Language); err != nil {
			return nil, err
		}
	}
	var key *hub.Secret
	embeddingPatched := patch.Embedding != nil || patch.RemoveEmbedding
	switch {
	case patch.RemoveEmbedding:
		kb.Embedding = nil
		empty := hub.Secret("")
		key = &empty
	case patch.Embedding != nil:
		cfg, err := s.checkEmbedding(ctx, patch.Embedding)
		if err != nil {
			return nil, err
		}
		// Dimension 0 with the same model keeps the recorded dimension.
		if old := kb.Embedding; cfg.Dimension == 0 && old != nil && old.Provider == cfg.Provider && old.Model == cfg.Model {
			cfg.Dimension = old.Dimension
		}
		kb.Embedding = cfg
		key = patch.Embedding.APIKey
	}
	if _, err := s.cfg.Store.UpdateKnowledgeBase(ctx, kb, key); err != nil {
		return nil, err
	}
	if !embeddingPatched {
		return kb, nil
	}
	if err := s.restartStale(ctx, kb); err != nil {
		return kb, err
	}
	return kb, nil
}

// restartStale starts runs for the base's pending and failed documents.
func (s *Service) restartStale(ctx context.Context, kb *hub.KnowledgeBase) error {
	ids, err := s.cfg.Store.StaleDocuments(ctx, kb.TenantID, kb.ID, true)
	if err != nil || len(ids) == 0 {
		return err
	}
	var notStarted int
	for _, id := range ids {
		if err := s.startRun(ctx, kb.TenantID, kb.ID, id, kb.EmbeddingVersion, false); err != nil {
			s.cfg.Log.ErrorContext(ctx, "knowledge: ingestion run not started", "document", id, "err", err)
			notStarted++
		}
	}
	if notStarted > 0 {
		return hub.Errorf(hub.EUNAVAILABLE, "The changes are saved, but %d of %d documents could not be queued for ingestion; repeat the request to retry.",
			notStarted, len(ids))
	}
	return nil
}

func (s *Service) startRun(ctx context.Context, tenantID, kbID, docID string, version int, rechunk bool) error {
	if s.cfg.Ingester == nil {
		return hub.Errorf(hub.EUNAVAILABLE, "Ingestion is not available right now.")
	}
	run, err := s.cfg.Store.StartDocumentRun(ctx, tenantID, docID)
	if err != nil {
		return err
	}
	err = s.cfg.Ingester.StartIngestion(ctx, IngestRequest{TenantID: tenantID, KnowledgeBaseID: kbID, DocumentID: docID, Run: run,
		EmbeddingVersion: version, Rechunk: rechunk})
	if err != nil {
		return &hub.Error{Code: hub.EUNAVAILABLE, Message: "The ingestion run could not be started; try again.", Err: err}
	}
	return nil
}

// documentName keeps the base name of an uploaded file's name.
func documentName(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	if b := path.Base(name); b != "." && b != "/" {
		name = b
	}
	return strings.TrimSpace(name)
}

// Upload stores a document in a knowledge base and starts its ingestion.
// The document answers pending; its progress shows in Document.
func (s *Service) Upload(ctx context.Context, p hub.Principal, kbID string, up Upload) (*hub.Document, error) {
	name, err := checkName("name", documentName(up.Name), maxDocName)
	if err != nil {
		return nil, err
	}
	if int64(len(up.Data)) > s.cfg.MaxDocumentBytes {
		return nil, hub.InvalidField("file", fmt.Sprintf("is larger than the %s limit", byteSize(s.cfg.MaxDocumentBytes)))
	}
	ct, err := ContentType(up.ContentType, name, up.Data)
	if err != nil {
		return nil, err
	}
	if err := CheckContent(ct, up.Data); err != nil {
		return nil, err
	}
	if s.cfg.Ingester == nil {
		return nil, hub.Errorf(hub.EUNAVAILABLE, "Ingestion is not available right now.")
	}
	d := &hub.Document{TenantID: p.TenantID, KnowledgeBaseID: kbID, Name: name, ContentType: ct, CreatedBy: p.Subject()}
	if err := s.cfg.Store.CreateDocument(ctx, d, up.Data); err != nil {
		return nil, err
	}
	if err := s.startRun(ctx, p.TenantID, kbID, d.ID, 0, false); err != nil {
		// Nothing will process it: take it back so the upload can be repeated.
		_ = s.cfg.Store.DeleteDocument(context.WithoutCancel(ctx), p.TenantID, kbID, d.ID)
		return nil, err
	}
	return s.cfg.Store.Document(ctx, p.TenantID, kbID, d.ID)
}

// Reingest starts a new run that extracts, chunks and embeds a document
// again (after a failure, or to apply new chunk sizes).
func (s *Service) Reingest(ctx context.Context, tenantID, kbID, docID string) (*hub.Document, error) {
	kb, err := s.cfg.Store.KnowledgeBase(ctx, tenantID, kbID)
	if err != nil {
		return nil, err
	}
	d, err := s.cfg.Store.Document(ctx, tenantID, kbID, docID)
	if err != nil {
		return nil, err
	}
	if d.Status == hub.DocumentProcessing {
		return nil, hub.Errorf(hub.ECONFLICT, "The document is being processed; wait for it to finish.")
	}
	if err := s.startRun(ctx, tenantID, kbID, docID, kb.EmbeddingVersion, true); err != nil {
		return nil, err
	}
	return s.cfg.Store.Document(ctx, tenantID, kbID, docID)
}

// Document returns one document of a knowledge base.
func (s *Service) Document(ctx context.Context, tenantID, kbID, id string) (*hub.Document, error) {
	return s.cfg.Store.Document(ctx, tenantID, kbID, id)
}

// ListDocuments pages through a knowledge base's documents.
func (s *Service) ListDocuments(ctx context.Context, tenantID, kbID string, page hub.Page) ([]*hub.Document, string, error) {
	if _, err := s.cfg.Store.KnowledgeBase(ctx, tenantID, kbID); err != nil {
		return nil, "", err
	}
	return s.cfg.Store.ListDocuments(ctx, tenantID, kbID, page)
}

// DeleteDocument deletes a document and its chunks. A run still working
// on it stops at its next step.
func (s *Service) DeleteDocument(ctx context.Context, tenantID, kbID, id string) error {
	return s.cfg.Store.DeleteDocument(ctx, tenantID, kbID, id)
}

// SearchKnowledge implements hub.KnowledgeSearcher.
func (s *Service) SearchKnowledge(ctx context.Context, tenantID string, kbIDs []string, query string, limit int) ([]*hub.SearchResult, error) {
	res, err := s.Search(ctx, tenantID, kbIDs, query, limit)
	if err != nil {
		return nil, err
	}
	return res.Items, nil
}

// embeddingGroup is the knowledge bases searched with one query vector.
type embeddingGroup struct {
	cfg   hub.LLMConfig
	dim   int
	kbIDs []string
}

// Search ranks the chunks of the tenant's knowledge bases for a query:
// full-text ranking (every word, then any word) and, for bases with an
// embedding model, cosine similarity to the query's vector, fused by
// reciprocal rank (k = 60). Without an Embedder, or when embedding the
// query fails, it ranks by full text only and says why in Warnings.
func (s *Service) Search(ctx context.Context, tenantID string, kbIDs []string, query string, limit int) (*SearchResponse, error) {
	query = strings.TrimSpace(query)
	if query == "" || len([]rune(query)) > maxQuery {
		return nil, hub.InvalidField("query", fmt.Sprintf("is required (up to %d characters)", maxQuery))
	}
	switch {
	case limit == 0:
		limit = DefaultSearchLimit
	case limit < 0 || limit > MaxSearchLimit:
		return nil, hub.InvalidField("limit", fmt.Sprintf("must be from 1 to %d", MaxSearchLimit))
	}
	kbIDs = dedupe(kbIDs)
	if len(kbIDs) == 0 {
		return nil, hub.InvalidField("knowledge_base_ids", "must name at least one knowledge base")
	}
	if len(kbIDs) > maxSearchBases {
		return nil, hub.InvalidField("knowledge_base_ids", fmt.Sprintf("may name at most %d knowledge bases", maxSearchBases))
	}
	var groups []*embeddingGroup
	resp := &SearchResponse{Mode: hub.SearchModeFullText}
	anyModel := false
	for _, id := range kbIDs {
		kb, err := s.cfg.Store.KnowledgeBase(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		anyModel = anyModel || kb.Embedding != nil
		if kb.Embedding == nil || s.cfg.Embedder == nil {
			continue
		}
		key, err := s.cfg.Store.EmbeddingAPIKey(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		cfg := kb.Embedding.LLM(key)
		found := false
		for _, g := range groups {
			if g.cfg.Provider == cfg.Provider && g.cfg.Model == cfg.Model && g.cfg.BaseURL == cfg.BaseURL &&
				g.cfg.APIKey == cfg.APIKey && g.dim == kb.Embedding.Dimension {
				g.kbIDs, found = append(g.kbIDs, id), true
				break
			}
		}
		if !found {
			groups = append(groups, &embeddingGroup{cfg: cfg, dim: kb.Embedding.Dimension, kbIDs: []string{id}})
		}
	}
	cand := max(s.cfg.Candidates, limit)
	text, err := s.cfg.Store.FullTextSearch(ctx, tenantID, hub.TextQuery{KnowledgeBaseIDs: kbIDs, Query: query, Limit: cand})
	if err != nil {
		return nil, err
	}
	if s.cfg.Embedder == nil && anyModel {
		resp.Warnings = append(resp.Warnings, "No embedding provider is configured; results are ranked by full text only.")
	}
	candidates := make([]string, len(text))
	for i, r := range text {
		candidates[i] = r.ChunkID
	}
	var vectors [][]*hub.SearchResult
	for _, g := range groups {
		vec, err := s.embedQuery(ctx, g, query)
		if err != nil {
			s.cfg.Log.WarnContext(ctx, "knowledge: query embedding failed; full-text ranking only", "model", g.cfg.Model, "err", err)
			resp.Warnings = append(resp.Warnings, fmt.Sprintf("The embedding model %q could not embed the query (%s); its knowledge bases are ranked by full text only.",
				g.cfg.Model, hub.ErrorMessage(err)))
			continue
		}
		hits, err := s.cfg.Store.VectorSearch(ctx, tenantID, hub.VectorQuery{KnowledgeBaseIDs: g.kbIDs, Embedding: vec, Limit: cand,
			Candidates: candidates})
		if err != nil {
			return nil, err
		}
		vectors = append(vectors, hits)
		resp.Mode = hub.SearchModeHybrid
	}
	items := ReciprocalRankFusion(RRFK, text, vectors...)
	if len(items) > limit {
		items = items[:limit]
	}
	resp.Items = items
	if resp.Items == nil {
		resp.Items = []*hub.SearchResult{}
	}
	return resp, nil
}

func (s *Service) embedQuery(ctx context.Context, g *embeddingGroup, query string) ([]float32, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryEmbedTimeout)
	defer cancel()
	vecs, err := s.cfg.Embedder.Embed(ctx, g.cfg, []string{query})
	if err != nil {
		return nil, err
	}
	if len(vecs) != 1 || len(vecs[0]) == 0 {
		return nil, hub.Errorf(hub.EUPSTREAM, "The embedding model returned no vector.")
	}
	if g.dim > 0 && len(vecs[0]) != g.dim {
		return nil, hub.Errorf(hub.EINVALID, "The embedding model returned %d dimensions, not the recorded %d.", len(vecs[0]), g.dim)
	}
	return vecs[0], nil
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// ReciprocalRankFusion merges rankings: each result scores Σ 1/(k + rank)
// over the rankings it appears in (rank from 1), best first; ties go to the
// better full-text rank, then the chunk id. Results carry their
// FullTextRank, VectorRank and Similarity.
func ReciprocalRankFusion(k int, fullText []*hub.SearchResult, vector ...[]*hub.SearchResult) []*hub.SearchResult {
	byID := map[string]*hub.SearchResult{}
	var out []*hub.SearchResult
	add := func(r *hub.SearchResult, rank int, isVector bool) {
		f := byID[r.ChunkID]
		if f == nil {
			c := *r
			c.Score, c.FullTextRank, c.VectorRank, c.Similarity = 0, 0, 0, 0
			f = &c
			byID[r.ChunkID] = f
			out = append(out, f)
		}
		f.Score += 1 / float64(k+rank)
		if isVector {
			if f.VectorRank == 0 || rank < f.VectorRank {
				f.VectorRank, f.Similarity = rank, r.Similarity
			}
		} else if f.FullTextRank == 0 {
			f.FullTextRank = rank
		}
	}
	for i, r := range fullText {
		add(r, i+1, false)
	}
	for _, list := range vector {
		for i, r := range list {
			add(r, i+1, true)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		ar, br := a.FullTextRank, b.FullTextRank
		if ar == 0 {
			ar = 1 << 30
		}
		if br == 0 {
			br = 1 << 30
		}
		if ar != br {
			return ar < br
		}
		return a.ChunkID < b.ChunkID
	})
	for _, r := range out {
		r.Score = float64(int64(r.Score*1e6+0.5)) / 1e6
	}
	return out
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	hub "github.com/bizoshub/bizos"
)

// Defaults of a KnowledgeStore.
const (
	// DefaultExactScanLimit is how many embedded chunks a store without
	// pgvector scores exactly, in Go, per search; above it only the
	// query's candidates are scored.
	DefaultExactScanLimit = 20000
	// DefaultEFSearch is pgvector's hnsw.ef_search used by searches (the
	// candidate list size of the HNSW scan; pgvector's own default is 40).
	DefaultEFSearch = 100
	// DefaultExactVectorLimit is the most embedded chunks searched exactly.
	DefaultExactVectorLimit = 2000
	// DefaultIndexBuildMemory is the maintenance_work_mem of index builds.
	DefaultIndexBuildMemory = "256MB"
	// DefaultTextCandidates is how many matches a full-text step ranks.
	DefaultTextCandidates = 1000
	// DefaultCommonLexemeShare: words in more than 2% of the chunks do not
	// widen a query.
	DefaultCommonLexemeShare = 0.02
	// lexemeStatsTTL is how long lexeme statistics are cached.
	lexemeStatsTTL = 5 * time.Minute
	// maxIndexedDimension is the longest vector pgvector's HNSW indexes as
	// vector; up to maxHalfvecDimension they are indexed as halfvec.
	maxIndexedDimension = 2000
	maxHalfvecDimension = 4000
	// chunkInsertBatch bounds the rows of one chunk INSERT.
	chunkInsertBatch = 1000
)

// KnowledgeStore implements hub.KnowledgeStore. Embedding API keys are
// sealed bound to the knowledge base id. Vectors live in a pgvector column
// with one HNSW index per dimension when the extension is installed, and in
// a real[] column scored in Go otherwise (see docs/knowledge.md).
type KnowledgeStore struct {
	db     *DB
	cipher hub.Cipher
	// ExactScanLimit bounds exact scoring without pgvector
	// (DefaultExactScanLimit when 0).
	ExactScanLimit int
	// EFSearch is the HNSW candidate list size (DefaultEFSearch when 0).
	EFSearch int
	// ExactVectorLimit: bases with at most this many embedded chunks are
	// scored exactly rather than through the HNSW index
	// (DefaultExactVectorLimit when 0).
	ExactVectorLimit int
	// TextCandidates bounds the matches one full-text step ranks
	// (DefaultTextCandidates when 0).
	TextCandidates int
	// CommonLexemeShare is the share of chunks above which a word is too
	// common to widen a query with (DefaultCommonLexemeShare when 0).
	CommonLexemeShare float64
	// IndexBuildMemory is the maintenance_work_mem of HNSW index builds
	// (DefaultIndexBuildMemory when empty); a graph that does not fit
	// builds much more slowly.
	IndexBuildMemory string
	// Log receives vector index failures; nil discards them.
	Log *slog.Logger

	mu      sync.Mutex
	mode    *vectorMode
	indexed map[int]bool // dimensions whose index exists (or cannot)
	lexFreq map[string]float64
	lexAt   time.Time
}

// vectorMode is how the database stores vectors.
type vectorMode struct {
	pgvector  bool // the embedding column is pgvector's vector
	version   string
	iterative bool // hnsw.iterative_scan exists (pgvector 0.8+)
	halfvec   bool // halfvec exists (pgvector 0.7+)
}

// NewKnowledgeStore returns a KnowledgeStore on db that seals with cipher.
func NewKnowledgeStore(db *DB, cipher hub.Cipher) *KnowledgeStore {
	return &KnowledgeStore{db: db, cipher: cipher, indexed: map[int]bool{}}
}

var _ hub.KnowledgeStore = (*KnowledgeStore)(nil)

func knowledgeKeyAAD(id string) []byte { return []byte("knowledge_bases:" + id) }

// VectorIndexed reports whether the store keeps vectors in pgvector (with
// HNSW indexes) rather than scoring real[] in Go.
func (s *KnowledgeStore) VectorIndexed(ctx context.Context) (bool, error) {
	m, err := s.vectorMode(ctx)
	if err != nil {
		return false, err
	}
	return m.pgvector, nil
}

// vectorMode finds out, once, how the embedding column is stored.
func (s *KnowledgeStore) vectorMode(ctx context.Context) (*vectorMode, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mode != nil {
		return s.mode, nil
	}
	var typ string
	var version *string
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT format_type(a.atttypid, a.atttypmod),
				(SELECT extversion FROM pg_extension WHERE extname = 'vector')
			FROM pg_attribute a WHERE a.attrelid = 'knowledge_chunks'::regclass AND a.attname = 'embedding'`).Scan(&typ, &version)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: knowledge vector mode: %w", err)
	}
	m := &vectorMode{pgvector: typ == "vector"}
	if m.pgvector && version != nil {
		m.version = *version
		m.iterative = versionAtLeast(m.version, 0, 8)
		m.halfvec = versionAtLeast(m.version, 0, 7)
	}
	s.mode = m
	return m, nil
}

// versionAtLeast compares a "major.minor[.patch]" version.
func versionAtLeast(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || (ma == major && mi >= minor)
}

// Prepare readies the vector storage at start: when pgvector was installed
// in the database after the knowledge migration stored vectors as real[],
// it converts the column to vector (rewriting the table once); then it
// makes sure every dimension in use has its HNSW index. Run it from one
// process at start; it is safe to run again.
func (s *KnowledgeStore) Prepare(ctx context.Context) error {
	conn, err := s.db.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: knowledge prepare: %w", err)
	}
	defer conn.Release()
	const lockID = 0x6b6e6f77 // "know"
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, lockID); err != nil {
		return fmt.Errorf("postgres: knowledge prepare: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockID) //nolint:errcheck
	var typ string
	var hasExt bool
	if err := conn.QueryRow(ctx, `SELECT format_type(a.atttypid, a.atttypmod), EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector')
		FROM pg_attribute a WHERE a.attrelid = 'knowledge_chunks'::regclass AND a.attname = 'embedding'`).Scan(&typ, &hasExt); err != nil {
		return fmt.Errorf("postgres: knowledge prepare: %w", err)
	}
	if typ == "real[]" && hasExt {
		if _, err := conn.Exec(ctx, `ALTER TABLE knowledge_chunks ALTER COLUMN embedding TYPE vector USING embedding::vector`); err != nil {
			return fmt.Errorf("postgres: knowledge prepare: convert embeddings to vector: %w", err)
		}
	}
	s.mu.Lock()
	s.mode, s.indexed = nil, map[int]bool{}
	s.mu.Unlock()
	m, err := s.vectorMode(ctx)
	if err != nil || !m.pgvector {
		return err
	}
	var dims []int
	err = s.db.InSystem(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT DISTINCT embedding_dimension FROM knowledge_bases WHERE embedding_dimension > 0`)
		if err != nil {
			return err
		}
		dims, err = pgx.CollectRows(rows, pgx.RowTo[int])
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: knowledge prepare: dimensions: %w", err)
	}
	for _, d := range dims {
		if err := s.EnsureVectorIndex(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// vectorCast is the SQL type a vector of dimension dim is indexed and
// compared as ("vector(768)", "halfvec(3072)"), and whether an index is
// possible.
func (m *vectorMode) vectorCast(dim int) (cast string, indexable bool) {
	switch {
	case dim <= maxIndexedDimension:
		return "vector(" + strconv.Itoa(dim) + ")", true
	case dim <= maxHalfvecDimension && m.halfvec:
		return "halfvec(" + strconv.Itoa(dim) + ")", true
	}
	return "vector(" + strconv.Itoa(dim) + ")", false
}

func vectorIndexName(dim int) string { return "knowledge_chunks_hnsw_" + strconv.Itoa(dim) + "_idx" }

// EnsureVectorIndex creates the HNSW index of one dimension if missing
// (concurrently, so writes go on). Without pgvector, or for dimensions
// HNSW cannot index, it does nothing.
func (s *KnowledgeStore) EnsureVectorIndex(ctx context.Context, dim int) error {
	m, err := s.vectorMode(ctx)
	if err != nil || !m.pgvector || dim <= 0 {
		return err
	}
	s.mu.Lock()
	done := s.indexed[dim]
	s.mu.Unlock()
	if done {
		return nil
	}
	cast, ok := m.vectorCast(dim)
	if ok {
		if err := s.createVectorIndex(ctx, dim, cast); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.indexed[dim] = true
	s.mu.Unlock()
	return nil
}

func (s *KnowledgeStore) createVectorIndex(ctx context.Context, dim int, cast string) error {
	conn, err := s.db.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: vector index: %w", err)
	}
	defer conn.Release()
	lockID := int64(0x6b6e0000) + int64(dim)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, lockID); err != nil {
		return fmt.Errorf("postgres: vector index: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockID) //nolint:errcheck
	name := vectorIndexName(dim)
	var valid *bool
	if err := conn.QueryRow(ctx, `SELECT (SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1))`, name).Scan(&valid); err != nil {
		return fmt.Errorf("postgres: vector index: %w", err)
	}
	if valid != nil && *valid {
		return nil
	}
	if valid != nil { // a concurrent build that was interrupted
		if _, err := conn.Exec(ctx, `DROP INDEX CONCURRENTLY IF EXISTS `+name); err != nil {
			return fmt.Errorf("postgres: vector index: drop invalid %s: %w", name, err)
		}
	}
	ops := "vector_cosine_ops"
	if strings.HasPrefix(cast, "halfvec") {
		ops = "halfvec_cosine_ops"
	}
	mem := s.IndexBuildMemory
	if mem == "" {
		mem = DefaultIndexBuildMemory
	}
	if _, err := conn.Exec(ctx, `SELECT set_config('maintenance_work_mem', $1, false)`, mem); err != nil {
		return fmt.Errorf("postgres: vector index: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `RESET maintenance_work_mem`) //nolint:errcheck
	sql := fmt.Sprintf(`CREATE INDEX CONCURRENTLY IF NOT EXISTS %s ON knowledge_chunks USING hnsw ((embedding::%s) %s) WHERE embedding_dim = %d`,
		name, cast, ops, dim)
	if _, err := conn.Exec(ctx, sql); err != nil {
		if s.Log != nil {
			s.Log.ErrorContext(ctx, "knowledge vector index not created; searches of this dimension scan exactly", "dimension", dim, "err", err)
		}
		return nil
	}
	return nil
}

// --- knowledge bases ---

const kbColumns = `kb.id, kb.tenant_id, kb.name, kb.description, kb.language, kb.embedding_provider, kb.embedding_model,
	kb.embedding_base_url, kb.embedding_dimension, kb.embedding_key_sealed IS NOT NULL, kb.embedding_version,
	kb.created_by, kb.created_at, kb.updated_at, s.documents, s.chunks`

const kbFrom = ` FROM knowledge_bases kb LEFT JOIN LATERAL (SELECT count(*)::int AS documents, coalesce(sum(d.chunk_count), 0)::int AS chunks
	FROM knowledge_documents d WHERE d.tenant_id = kb.tenant_id AND d.kb_id = kb.id) s ON true`

func scanKnowledgeBase(r pgx.CollectableRow) (*hub.KnowledgeBase, error) {
	var kb hub.KnowledgeBase
	var e hub.EmbeddingConfig
	err := r.Scan(&kb.ID, &kb.TenantID, &kb.Name, &kb.Description, &kb.Language, &e.Provider, &e.Model, &e.BaseURL,
		&e.Dimension, &e.HasAPIKey, &kb.EmbeddingVersion, &kb.CreatedBy, &kb.CreatedAt, &kb.UpdatedAt, &kb.DocumentCount, &kb.ChunkCount)
	if e.Model != "" {
		kb.Embedding = &e
	}
	return &kb, err
}

// embeddingColumns returns the stored form of an embedding config.
func embeddingColumns(e *hub.EmbeddingConfig) (provider, model, baseURL string, dim int) {
	if e == nil || e.Model == "" {
		return "", "", "", 0
	}
	return e.Provider, e.Model, e.BaseURL, e.Dimension
}

func (s *KnowledgeStore) sealKey(id string, key hub.Secret) ([]byte, error) {
	if key == "" {
		return nil, nil
	}
	return s.cipher.Encrypt([]byte(key.Reveal()), knowledgeKeyAAD(id))
}

func knowledgeConflict(err error, name string) error {
	if isUniqueViolation(err) {
		return hub.Errorf(hub.ECONFLICT, "A knowledge base named %q exists already.", name)
	}
	return err
}

// CreateKnowledgeBase implements hub.KnowledgeStore.
func (s *KnowledgeStore) CreateKnowledgeBase(ctx context.Context, kb *hub.KnowledgeBase, apiKey hub.Secret) error {
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("postgres: knowledge base id: %w", err)
	}
	kb.ID = id.String()
	sealed, err := s.sealKey(kb.ID, apiKey)
	if err != nil {
		return fmt.Errorf("postgres: create knowledge base: seal key: %w", err)
	}
	if kb.Language == "" {
		kb.Language = "english"
	}
	provider, model, baseURL, dim := embeddingColumns(kb.Embedding)
	err = s.db.InTenant(ctx, kb.TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO knowledge_bases (id, tenant_id, name, description, language, embedding_provider,
				embedding_model, embedding_base_url, embedding_dimension, embedding_key_sealed, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING embedding_version, created_at, updated_at`,
			kb.ID, kb.TenantID, kb.Name, kb.Description, kb.Language, provider, model, baseURL, dim, sealed, kb.CreatedBy).
			Scan(&kb.EmbeddingVersion, &kb.CreatedAt, &kb.UpdatedAt)
	})
	if err != nil {
		return fmt.Errorf("postgres: create knowledge base: %w", notFound(knowledgeConflict(err, kb.Name), "Tenant"))
	}
	if kb.Embedding != nil {
		kb.Embedding.HasAPIKey = sealed != nil
		if err := s.EnsureVectorIndex(ctx, dim); err != nil {
			return err
		}
	}
	return nil
}

func (s *KnowledgeStore) knowledgeBase(ctx context.Context, tx pgx.Tx, tenantID, id string) (*hub.KnowledgeBase, error) {
	rows, err := tx.Query(ctx, `SELECT `+kbColumns+kbFrom+` WHERE kb.tenant_id = $1 AND kb.id = $2`, tenantID, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectExactlyOneRow(rows, scanKnowledgeBase)
}

// KnowledgeBase implements hub.KnowledgeStore.
func (s *KnowledgeStore) KnowledgeBase(ctx context.Context, tenantID, id string) (*hub.KnowledgeBase, error) {
	var kb *hub.KnowledgeBase
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		kb, err = s.knowledgeBase(ctx, tx, tenantID, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: knowledge base: %w", notFound(err, "Knowledge base"))
	}
	return kb, nil
}

// ListKnowledgeBases implements hub.KnowledgeStore.
func (s *KnowledgeStore) ListKnowledgeBases(ctx context.Context, tenantID string, page hub.Page) ([]*hub.KnowledgeBase, string, error) {
	page = page.Normalize()
	cur, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	at, id := pageArgs(cur)
	var out []*hub.KnowledgeBase
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+kbColumns+kbFrom+`
			WHERE kb.tenant_id = $1 AND (kb.created_at, kb.id) < ($2, $3::uuid) ORDER BY kb.created_at DESC, kb.id DESC LIMIT $4`,
			tenantID, at, id, page.Limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanKnowledgeBase)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list knowledge bases: %w", notFound(err, "Tenant"))
	}
	next := ""
	if n := len(out); n > 0 {
		next = nextCursor(n, page.Limit, out[n-1].CreatedAt, out[n-1].ID)
	}
	return out, next, nil
}

// UpdateKnowledgeBase implements hub.KnowledgeStore.
func (s *KnowledgeStore) UpdateKnowledgeBase(ctx context.Context, kb *hub.KnowledgeBase, apiKey *hub.Secret) (bool, error) {
	var sealed []byte
	if apiKey != nil {
		var err error
		if sealed, err = s.sealKey(kb.ID, *apiKey); err != nil {
			return false, fmt.Errorf("postgres: update knowledge base: seal key: %w", err)
		}
	}
	provider, model, baseURL, dim := embeddingColumns(kb.Embedding)
	reembed := false
	err := s.db.InTenant(ctx, kb.TenantID, func(tx pgx.Tx) error {
		var old hub.EmbeddingConfig
		var oldLanguage string
		if err := tx.QueryRow(ctx, `SELECT embedding_provider, embedding_model, embedding_dimension, language
			FROM knowledge_bases WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, kb.TenantID, kb.ID).
			Scan(&old.Provider, &old.Model, &old.Dimension, &oldLanguage); err != nil {
			return err
		}
		oldCfg := &old
		if old.Model == "" {
			oldCfg = nil
		}
		if dim == 0 && model != "" && provider == old.Provider && model == old.Model {
			dim = old.Dimension // 0 keeps the dimension recorded for the same model
		}
		newCfg := &hub.EmbeddingConfig{Provider: provider, Model: model, Dimension: dim}
		if model == "" {
			newCfg = nil
		}
		reembed = !oldCfg.SameModel(newCfg)
		if _, err := tx.Exec(ctx, `UPDATE knowledge_bases SET name = $3, description = $4, language = $5, embedding_provider = $6,
				embedding_model = $7, embedding_base_url = $8, embedding_dimension = $9,
				embedding_key_sealed = CASE WHEN $10 THEN $11 ELSE embedding_key_sealed END,
				embedding_version = embedding_version + CASE WHEN $12 THEN 1 ELSE 0 END, updated_at = now()
			WHERE tenant_id = $1 AND id = $2`,
			kb.TenantID, kb.ID, kb.Name, kb.Description, kb.Language, provider, model, baseURL, dim, apiKey != nil, sealed, reembed); err != nil {
			return knowledgeConflict(err, kb.Name)
		}
		if kb.Language != oldLanguage {
			if _, err := tx.Exec(ctx, `UPDATE knowledge_chunks SET language = $3 WHERE tenant_id = $1 AND kb_id = $2`,
				kb.TenantID, kb.ID, kb.Language); err != nil {
				return err
			}
		}
		if reembed {
			if _, err := tx.Exec(ctx, `UPDATE knowledge_chunks SET embedding = NULL, embedding_dim = 0
				WHERE tenant_id = $1 AND kb_id = $2 AND embedding_dim <> 0`, kb.TenantID, kb.ID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE knowledge_documents SET status = 'pending', stage = '', progress = 0, error = '',
					embedded_count = 0, updated_at = now()
				WHERE tenant_id = $1 AND kb_id = $2`, kb.TenantID, kb.ID); err != nil {
				return err
			}
		}
		got, err := s.knowledgeBase(ctx, tx, kb.TenantID, kb.ID)
		if err == nil {
			*kb = *got
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("postgres: update knowledge base: %w", notFound(err, "Knowledge base"))
	}
	if err := s.EnsureVectorIndex(ctx, dim); err != nil {
		return reembed, err
	}
	return reembed, nil
}

// DeleteKnowledgeBase implements hub.KnowledgeStore.
func (s *KnowledgeStore) DeleteKnowledgeBase(ctx context.Context, tenantID, id string) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM knowledge_bases WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err == nil && tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: delete knowledge base: %w", notFound(err, "Knowledge base"))
	}
	return nil
}

// EmbeddingAPIKey implements hub.KnowledgeStore.
func (s *KnowledgeStore) EmbeddingAPIKey(ctx context.Context, tenantID, kbID string) (hub.Secret, error) {
	var sealed []byte
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT embedding_key_sealed FROM knowledge_bases WHERE tenant_id = $1 AND id = $2`, tenantID, kbID).Scan(&sealed)
	})
	if err != nil {
		return "", fmt.Errorf("postgres: embedding key: %w", notFound(err, "Knowledge base"))
	}
	if sealed == nil {
		return "", nil
	}
	plain, err := s.cipher.Decrypt(sealed, knowledgeKeyAAD(kbID))
	if err != nil {
		return "", fmt.Errorf("postgres: open embedding key of %s: %w", kbID, err)
	}
	return hub.Secret(plain), nil
}

// ReencryptKnowledgeKeys re-seals embedding API keys not sealed under the
// current master key version.
func (s *KnowledgeStore) ReencryptKnowledgeKeys(ctx context.Context) (int, error) {
	n := 0
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, embedding_key_sealed FROM knowledge_bases WHERE embedding_key_sealed IS NOT NULL
			ORDER BY id FOR UPDATE SKIP LOCKED`)
		if err != nil {
			return err
		}
		type sealedRow struct {
			id     string
			sealed []byte
		}
		all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sealedRow, error) {
			var x sealedRow
			return x, r.Scan(&x.id, &x.sealed)
		})
		if err != nil {
			return err
		}
		for _, row := range all {
			if s.cipher.Current(row.sealed) {
				continue
			}
			plain, err := s.cipher.Decrypt(row.sealed, knowledgeKeyAAD(row.id))
			if err != nil {
				return fmt.Errorf("open key of %s: %w", row.id, err)
			}
			resealed, err := s.cipher.Encrypt(plain, knowledgeKeyAAD(row.id))
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE knowledge_bases SET embedding_key_sealed = $2 WHERE id = $1`, row.id, resealed); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: reencrypt knowledge keys: %w", err)
	}
	return n, nil
}

// --- documents ---

const documentColumns = `id, tenant_id, kb_id, name, content_type, size_bytes, sha256, status, stage, progress, error,
	chunk_count, embedded_count, embedding_version, runs, created_by, created_at, updated_at`

func scanDocument(r pgx.CollectableRow) (*hub.Document, error) {
	var d hub.Document
	var progress float32
	err := r.Scan(&d.ID, &d.TenantID, &d.KnowledgeBaseID, &d.Name, &d.ContentType, &d.Size, &d.SHA256, &d.Status, &d.Stage,
		&progress, &d.Error, &d.ChunkCount, &d.EmbeddedCount, &d.EmbeddingVersion, &d.Runs, &d.CreatedBy, &d.CreatedAt, &d.UpdatedAt)
	d.Progress = math.Round(float64(progress)*1000) / 1000
	return &d, err
}

// CreateDocument implements hub.KnowledgeStore.
func (s *KnowledgeStore) CreateDocument(ctx context.Context, d *hub.Document, content []byte) error {
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("postgres: document id: %w", err)
	}
	d.ID = id.String()
	d.Size = int64(len(content))
	sum := sha256.Sum256(content)
	d.SHA256 = hex.EncodeToString(sum[:])
	d.Status = hub.DocumentPending
	err = s.db.InTenant(ctx, d.TenantID, func(tx pgx.Tx) error {
		// Selecting the base through the tenant's scope keeps a document
		// from being attached to another tenant's base (foreign keys see
		// through row-level security).
		rows, err := tx.Query(ctx, `INSERT INTO knowledge_documents (id, tenant_id, kb_id, name, content_type, size_bytes, sha256,
				status, created_by)
			SELECT $1, kb.tenant_id, kb.id, $4, $5, $6, $7, 'pending', $8 FROM knowledge_bases kb WHERE kb.tenant_id = $2 AND kb.id = $3
			RETURNING `+documentColumns,
			d.ID, d.TenantID, d.KnowledgeBaseID, d.Name, d.ContentType, d.Size, d.SHA256, d.CreatedBy)
		if err != nil {
			return err
		}
		got, err := pgx.CollectExactlyOneRow(rows, scanDocument)
		if err != nil {
			return err
		}
		*d = *got
		_, err = tx.Exec(ctx, `INSERT INTO knowledge_document_contents (document_id, tenant_id, content) VALUES ($1, $2, $3)`,
			d.ID, d.TenantID, content)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: create document: %w", notFound(err, "Knowledge base"))
	}
	return nil
}

// Document implements hub.KnowledgeStore.
func (s *KnowledgeStore) Document(ctx context.Context, tenantID, kbID, id string) (*hub.Document, error) {
	var d *hub.Document
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+documentColumns+` FROM knowledge_documents WHERE tenant_id = $1 AND kb_id = $2 AND id = $3`,
			tenantID, kbID, id)
		if err != nil {
			return err
		}
		d, err = pgx.CollectExactlyOneRow(rows, scanDocument)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: document: %w", notFound(err, "Document"))
	}
	return d, nil
}

// ListDocuments implements hub.KnowledgeStore.
func (s *KnowledgeStore) ListDocuments(ctx context.Context, tenantID, kbID string, page hub.Page) ([]*hub.Document, string, error) {
	page = page.Normalize()
	cur, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	at, id := pageArgs(cur)
	var out []*hub.Document
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+documentColumns+` FROM knowledge_documents
			WHERE tenant_id = $1 AND kb_id = $2 AND (created_at, id) < ($3, $4::uuid) ORDER BY created_at DESC, id DESC LIMIT $5`,
			tenantID, kbID, at, id, page.Limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanDocument)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list documents: %w", notFound(err, "Knowledge base"))
	}
	next := ""
	if n := len(out); n > 0 {
		next = nextCursor(n, page.Limit, out[n-1].CreatedAt, out[n-1].ID)
	}
	return out, next, nil
}

// DeleteDocument implements hub.KnowledgeStore.
func (s *KnowledgeStore) DeleteDocument(ctx context.Context, tenantID, kbID, id string) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM knowledge_documents WHERE tenant_id = $1 AND kb_id = $2 AND id = $3`, tenantID, kbID, id)
		if err == nil && tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: delete document: %w", notFound(err, "Document"))
	}
	return nil
}

// DocumentContent implements hub.KnowledgeStore.
func (s *KnowledgeStore) DocumentContent(ctx context.Context, tenantID, id string) ([]byte, error) {
	var content []byte
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT content FROM knowledge_document_contents WHERE tenant_id = $1 AND document_id = $2`,
			tenantID, id).Scan(&content)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: document content: %w", notFound(err, "Document"))
	}
	return content, nil
}

// StartDocumentRun implements hub.KnowledgeStore.
func (s *KnowledgeStore) StartDocumentRun(ctx context.Context, tenantID, id string) (int, error) {
	var n int
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `UPDATE knowledge_documents SET runs = runs + 1, status = 'pending', stage = '', error = '',
			updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING runs`, tenantID, id).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: start document run: %w", notFound(err, "Document"))
	}
	return n, nil
}

// StaleDocuments implements hub.KnowledgeStore.
func (s *KnowledgeStore) StaleDocuments(ctx context.Context, tenantID, kbID string, includeFailed bool) ([]string, error) {
	var ids []string
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id::text FROM knowledge_documents WHERE tenant_id = $1 AND kb_id = $2
			AND (status = 'pending' OR ($3 AND status = 'failed')) ORDER BY created_at, id`, tenantID, kbID, includeFailed)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: stale documents: %w", notFound(err, "Knowledge base"))
	}
	return ids, nil
}

// --- ingestion ---

// errSuperseded answers writes of an ingestion run whose embedding version
// is no longer the knowledge base's.
var errSuperseded = hub.Errorf(hub.ECONFLICT, "The knowledge base's embedding model changed; a newer ingestion run owns the document.")

// docState locks the document's knowledge base against embedding changes
// for the transaction (FOR SHARE) and checks the run's version.
type docState struct {
	kbID      string
	language  string
	version   int
	dimension int
	chunks    int
}

func lockDocument(ctx context.Context, tx pgx.Tx, tenantID, id string, version int, lockDoc bool) (*docState, error) {
	lock := `FOR SHARE OF kb`
	if lockDoc {
		lock = `FOR SHARE OF kb FOR UPDATE OF d`
	}
	var st docState
	err := tx.QueryRow(ctx, `SELECT kb.id, kb.language, kb.embedding_version, kb.embedding_dimension, d.chunk_count
		FROM knowledge_documents d JOIN knowledge_bases kb ON kb.id = d.kb_id
		WHERE d.tenant_id = $1 AND d.id = $2 `+lock, tenantID, id).Scan(&st.kbID, &st.language, &st.version, &st.dimension, &st.chunks)
	if err != nil {
		return nil, notFound(err, "Document")
	}
	if version != 0 && st.version != version {
		return nil, errSuperseded
	}
	return &st, nil
}

// SetDocumentStage implements hub.KnowledgeStore.
func (s *KnowledgeStore) SetDocumentStage(ctx context.Context, tenantID, id string, version int, stage string, progress float64) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if _, err := lockDocument(ctx, tx, tenantID, id, version, false); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE knowledge_documents SET status = 'processing', stage = $3, progress = $4, error = '', updated_at = now()
			WHERE tenant_id = $1 AND id = $2`, tenantID, id, stage, progress)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: set document stage: %w", err)
	}
	return nil
}

// cleanText makes s storable as PostgreSQL text (valid UTF-8, no NUL).
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "")
}

// ReplaceChunks implements hub.KnowledgeStore.
func (s *KnowledgeStore) ReplaceChunks(ctx context.Context, tenantID, id string, version int, chunks []hub.Chunk) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		st, err := lockDocument(ctx, tx, tenantID, id, version, true)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM knowledge_chunks WHERE tenant_id = $1 AND document_id = $2`, tenantID, id); err != nil {
			return err
		}
		for start := 0; start < len(chunks); start += chunkInsertBatch {
			batch := chunks[start:min(start+chunkInsertBatch, len(chunks))]
			ids := make([]string, len(batch))
			pos, starts, ends, pages := make([]int32, len(batch)), make([]int32, len(batch)), make([]int32, len(batch)), make([]int32, len(batch))
			headings, texts := make([]string, len(batch)), make([]string, len(batch))
			for i, c := range batch {
				u, err := uuid.NewV7()
				if err != nil {
					return err
				}
				ids[i] = u.String()
				pos[i], starts[i], ends[i], pages[i] = int32(start+i), int32(c.StartOffset), int32(c.EndOffset), int32(c.Page)
				headings[i], texts[i] = cleanText(c.Heading), cleanText(c.Text)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO knowledge_chunks (id, tenant_id, kb_id, document_id, position, start_offset,
					end_offset, heading, page, content, language)
				SELECT u.id, $1, $2, $3, u.position, u.start_offset, u.end_offset, u.heading, u.page, u.content, $4
				FROM unnest($5::uuid[], $6::int[], $7::int[], $8::int[], $9::text[], $10::int[], $11::text[])
					AS u(id, position, start_offset, end_offset, heading, page, content)`,
				tenantID, st.kbID, id, st.language, ids, pos, starts, ends, headings, pages, texts); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE knowledge_documents SET chunked = true, chunk_count = $3, embedded_count = 0, updated_at = now()
			WHERE tenant_id = $1 AND id = $2`, tenantID, id, len(chunks))
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: replace chunks: %w", err)
	}
	return nil
}

const chunkColumns = `c.id, c.kb_id, c.document_id, c.position, c.start_offset, c.end_offset, c.heading, c.page, c.content`

func scanChunk(r pgx.CollectableRow) (hub.Chunk, error) {
	var c hub.Chunk
	err := r.Scan(&c.ID, &c.KnowledgeBaseID, &c.DocumentID, &c.Position, &c.StartOffset, &c.EndOffset, &c.Heading, &c.Page, &c.Text)
	return c, err
}

// UnembeddedChunks implements hub.KnowledgeStore.
func (s *KnowledgeStore) UnembeddedChunks(ctx context.Context, tenantID, id string, from, to int) ([]hub.Chunk, error) {
	var out []hub.Chunk
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+chunkColumns+` FROM knowledge_chunks c
			WHERE c.tenant_id = $1 AND c.document_id = $2 AND c.position >= $3 AND c.position < $4 AND c.embedding IS NULL
			ORDER BY c.position`, tenantID, id, from, to)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanChunk)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: unembedded chunks: %w", err)
	}
	return out, nil
}

// vectorLiteral renders v as pgvector ("[1,2]") or array ("{1,2}") text.
func vectorLiteral(v []float32, pgvector bool) (string, error) {
	var b strings.Builder
	b.Grow(len(v) * 10)
	if pgvector {
		b.WriteByte('[')
	} else {
		b.WriteByte('{')
	}
	for i, f := range v {
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return "", hub.Errorf(hub.EINVALID, "The embedding model returned a vector with a non-finite value.")
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatFloat(float64(f), 'g', -1, 32))
	}
	if pgvector {
		b.WriteByte(']')
	} else {
		b.WriteByte('}')
	}
	return b.String(), nil
}

// errNoDimension asks StoreEmbeddings to record the base's dimension first.
var errNoDimension = errors.New("knowledge base has no dimension yet")

// StoreEmbeddings implements hub.KnowledgeStore.
func (s *KnowledgeStore) StoreEmbeddings(ctx context.Context, tenantID, id string, version int, vectors []hub.ChunkEmbedding) error {
	if len(vectors) == 0 {
		return nil
	}
	dim := len(vectors[0].Embedding)
	for _, v := range vectors {
		if len(v.Embedding) != dim || dim == 0 {
			return hub.Errorf(hub.EINVALID, "The embedding model returned vectors of different lengths.")
		}
	}
	m, err := s.vectorMode(ctx)
	if err != nil {
		return err
	}
	positions := make([]int32, len(vectors))
	literals := make([]string, len(vectors))
	for i, v := range vectors {
		positions[i] = int32(v.Position)
		if literals[i], err = vectorLiteral(v.Embedding, m.pgvector); err != nil {
			return err
		}
	}
	if err := s.EnsureVectorIndex(ctx, dim); err != nil {
		return err
	}
	cast := "real[]"
	if m.pgvector {
		cast = "vector"
	}
	store := func() error {
		return s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
			st, err := lockDocument(ctx, tx, tenantID, id, version, false)
			if err != nil {
				return err
			}
			if st.dimension == 0 {
				return errNoDimension
			}
			if st.dimension != dim {
				return hub.Errorf(hub.EINVALID, "The embedding model returns %d-dimensional vectors but the knowledge base records dimension %d; change its dimension to %d.",
					dim, st.dimension, dim)
			}
			tag, err := tx.Exec(ctx, `UPDATE knowledge_chunks c SET embedding = u.e::`+cast+`, embedding_dim = $3
				FROM unnest($4::int[], $5::text[]) AS u(position, e)
				WHERE c.tenant_id = $1 AND c.document_id = $2 AND c.position = u.position AND c.embedding IS NULL`,
				tenantID, id, dim, positions, literals)
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `UPDATE knowledge_documents SET status = 'processing', stage = 'embedding',
					embedded_count = least(chunk_count, embedded_count + $3),
					progress = 0.1 + 0.9 * least(1, (embedded_count + $3)::real / greatest(chunk_count, 1)), updated_at = now()
				WHERE tenant_id = $1 AND id = $2`, tenantID, id, tag.RowsAffected())
			return err
		})
	}
	err = store()
	if errors.Is(err, errNoDimension) {
		// Record the dimension the model returns, in its own short
		// transaction (others may hold the base FOR SHARE), then store.
		err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE knowledge_bases kb SET embedding_dimension = $3, updated_at = now()
				FROM knowledge_documents d WHERE d.tenant_id = $1 AND d.id = $2 AND kb.id = d.kb_id
					AND kb.embedding_dimension = 0 AND kb.embedding_version = $4`, tenantID, id, dim, version)
			return err
		})
		if err == nil {
			err = store()
		}
	}
	if err != nil {
		return fmt.Errorf("postgres: store embeddings: %w", err)
	}
	return nil
}

// FinishDocument implements hub.KnowledgeStore.
func (s *KnowledgeStore) FinishDocument(ctx context.Context, tenantID, id string, version int, errMsg string) error {
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		st, err := lockDocument(ctx, tx, tenantID, id, version, false)
		if err != nil {
			return err
		}
		if errMsg == "" {
			_, err = tx.Exec(ctx, `UPDATE knowledge_documents SET status = 'ready', stage = '', progress = 1, error = '',
				embedding_version = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`, tenantID, id, st.version)
		} else {
			_, err = tx.Exec(ctx, `UPDATE knowledge_documents SET status = 'failed', stage = '', error = $3, updated_at = now()
				WHERE tenant_id = $1 AND id = $2`, tenantID, id, cleanText(errMsg))
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: finish document: %w", err)
	}
	return nil
}

// --- search ---

func scanResult(r pgx.CollectableRow) (*hub.SearchResult, error) {
	var res hub.SearchResult
	err := r.Scan(&res.ChunkID, &res.KnowledgeBaseID, &res.DocumentID, &res.DocumentName, &res.Position, &res.StartOffset,
		&res.EndOffset, &res.Heading, &res.Page, &res.Text, &res.Score)
	return &res, err
}

// looseQueryOK reports whether a query may be widened to any of its words:
// not when it uses phrases, exclusions or OR, whose meaning widening would
// lose.
func looseQueryOK(q string) bool {
	if strings.Contains(q, `"`) {
		return false
	}
	for _, w := range strings.Fields(q) {
		if strings.HasPrefix(w, "-") || w == "or" || w == "OR" {
			return false
		}
	}
	return true
}

// tsqueryOf joins lexemes with op ("&", "|") as tsquery text.
func tsqueryOf(lexemes []string, op string) string {
	quoted := make([]string, len(lexemes))
	for i, l := range lexemes {
		quoted[i] = "'" + strings.ReplaceAll(strings.ReplaceAll(l, `\`, `\\`), "'", "''") + "'"
	}
	return strings.Join(quoted, " "+op+" ")
}

// lexemeFrequencies returns the share of chunks holding each common lexeme,
// from PostgreSQL's statistics of knowledge_fts (refreshed by ANALYZE,
// across tenants), cached for a few minutes. Lexemes it does not list are
// rarer than every listed one.
func (s *KnowledgeStore) lexemeFrequencies(ctx context.Context, tx pgx.Tx) map[string]float64 {
	s.mu.Lock()
	if s.lexFreq != nil && time.Since(s.lexAt) < lexemeStatsTTL {
		f := s.lexFreq
		s.mu.Unlock()
		return f
	}
	s.mu.Unlock()
	var elems []string
	var freqs []float32
	err := tx.QueryRow(ctx, `SELECT coalesce(most_common_elems::text::text[], '{}'), coalesce(most_common_elem_freqs, '{}')
		FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'knowledge_fts' AND attname = 'tsv'`).Scan(&elems, &freqs)
	f := map[string]float64{}
	if err == nil {
		for i, e := range elems {
			if i < len(freqs) {
				f[e] = float64(freqs[i])
			}
		}
	}
	s.mu.Lock()
	s.lexFreq, s.lexAt = f, time.Now()
	s.mu.Unlock()
	return f
}

// rankText ranks at most candidates chunks of the bases matching match by
// ts_rank_cd against rank, skipping the chunks in seen.
const rankText = `WITH m AS (
		SELECT f.chunk_id, f.tsv FROM knowledge_fts f
		WHERE f.tenant_id = $1 AND f.kb_id = ANY($2::uuid[]) AND f.tsv @@ $3::tsquery AND f.chunk_id <> ALL($6::uuid[])
		LIMIT $5
	), top AS (
		SELECT chunk_id, ts_rank_cd(tsv, $4::tsquery)::float8 AS score FROM m ORDER BY score DESC, chunk_id LIMIT $7
	)
	SELECT c.id, c.kb_id, c.document_id, d.name, c.position, c.start_offset, c.end_offset, c.heading, c.page, c.content, top.score
	FROM top JOIN knowledge_chunks c ON c.id = top.chunk_id JOIN knowledge_documents d ON d.id = c.document_id
	ORDER BY top.score DESC, c.id`

// FullTextSearch implements hub.KnowledgeStore: chunks matching every word
// of the query (web-search syntax) ranked by ts_rank_cd; when those are
// fewer than the limit, chunks holding any of its informative words (those
// in at most CommonLexemeShare of the chunks) follow, ranked by all its
// words. Each step ranks at most TextCandidates matches (PostgreSQL cannot
// read matches in rank order), so very common words cost no more than rare
// ones.
func (s *KnowledgeStore) FullTextSearch(ctx context.Context, tenantID string, q hub.TextQuery) ([]*hub.SearchResult, error) {
	if len(q.KnowledgeBaseIDs) == 0 || strings.TrimSpace(q.Query) == "" || q.Limit <= 0 {
		return nil, nil
	}
	candidates := s.TextCandidates
	if candidates <= 0 {
		candidates = DefaultTextCandidates
	}
	common := s.CommonLexemeShare
	if common <= 0 {
		common = DefaultCommonLexemeShare
	}
	var out []*hub.SearchResult
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id::text, language FROM knowledge_bases WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY id`,
			tenantID, q.KnowledgeBaseIDs)
		if err != nil {
			return err
		}
		byLanguage := map[string][]string{}
		var languages []string
		var id, lang string
		if _, err := pgx.ForEachRow(rows, []any{&id, &lang}, func() error {
			if byLanguage[lang] == nil {
				languages = append(languages, lang)
			}
			byLanguage[lang] = append(byLanguage[lang], id)
			return nil
		}); err != nil {
			return err
		}
		for _, lang := range languages {
			ids := byLanguage[lang]
			var strict string
			var lexemes []string
			if err := tx.QueryRow(ctx, `SELECT websearch_to_tsquery(knowledge_ts_config($1), $2)::text,
					tsvector_to_array(to_tsvector(knowledge_ts_config($1), $2))`, lang, q.Query).Scan(&strict, &lexemes); err != nil {
				return err
			}
			if strict == "" {
				continue // only stop words
			}
			rows, err := tx.Query(ctx, rankText, tenantID, ids, strict, strict, candidates, []string{}, q.Limit)
			if err != nil {
				return err
			}
			hits, err := pgx.CollectRows(rows, scanResult)
			if err != nil {
				return err
			}
			if len(hits) < q.Limit && len(lexemes) > 1 && looseQueryOK(q.Query) {
				freq := s.lexemeFrequencies(ctx, tx)
				var informative []string
				for _, l := range lexemes {
					if freq[l] <= common {
						informative = append(informative, l)
					}
				}
				if len(informative) == 0 {
					informative = lexemes
				}
				seen := make([]string, len(hits))
				for i, h := range hits {
					seen[i] = h.ChunkID
				}
				rows, err := tx.Query(ctx, rankText, tenantID, ids, tsqueryOf(informative, "|"), tsqueryOf(lexemes, "|"), candidates, seen,
					q.Limit-len(hits))
				if err != nil {
					return err
				}
				more, err := pgx.CollectRows(rows, scanResult)
				if err != nil {
					return err
				}
				hits = append(hits, more...)
			}
			out = append(out, hits...)
		}
		return nil
	})
	if err != nil {
		if isInvalidText(err) {
			return nil, hub.Errorf(hub.ENOTFOUND, "Knowledge base not found.")
		}
		return nil, fmt.Errorf("postgres: full-text search: %w", err)
	}
	if len(out) > q.Limit {
		// Bases of several languages: the best of each, by score.
		sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
		out = out[:q.Limit]
	}
	return out, nil
}

// VectorSearch implements hub.KnowledgeStore. With pgvector the HNSW index
// of the query's dimension answers (iterative scans keep filtered results
// complete); without, similarities are computed here over every embedded
// chunk of the bases when they hold at most ExactScanLimit, and over the
// query's candidates otherwise.
func (s *KnowledgeStore) VectorSearch(ctx context.Context, tenantID string, q hub.VectorQuery) ([]*hub.SearchResult, error) {
	dim := len(q.Embedding)
	if len(q.KnowledgeBaseIDs) == 0 || dim == 0 || q.Limit <= 0 {
		return nil, nil
	}
	m, err := s.vectorMode(ctx)
	if err != nil {
		return nil, err
	}
	var out []*hub.SearchResult
	if m.pgvector {
		out, err = s.indexedVectorSearch(ctx, tenantID, m, q)
	} else {
		out, err = s.exactVectorSearch(ctx, tenantID, q)
	}
	if err != nil {
		if isInvalidText(err) {
			return nil, hub.Errorf(hub.ENOTFOUND, "Knowledge base not found.")
		}
		return nil, fmt.Errorf("postgres: vector search: %w", err)
	}
	return out, nil
}

func (s *KnowledgeStore) indexedVectorSearch(ctx context.Context, tenantID string, m *vectorMode, q hub.VectorQuery) ([]*hub.SearchResult, error) {
	dim := len(q.Embedding)
	lit, err := vectorLiteral(q.Embedding, true)
	if err != nil {
		return nil, err
	}
	cast, indexable := m.vectorCast(dim)
	ef := s.EFSearch
	if ef <= 0 {
		ef = DefaultEFSearch
	}
	ef = max(ef, q.Limit)
	exactLimit := s.ExactVectorLimit
	if exactLimit <= 0 {
		exactLimit = DefaultExactVectorLimit
	}
	// The planner cannot tell how many rows row-level security leaves, so
	// the strategy is chosen here: small bases are scored exactly (through
	// the knowledge-base index), large ones through the HNSW index, whose
	// order makes every explicit sort unnecessary.
	order := fmt.Sprintf(`c.embedding::%[1]s <=> $3::%[1]s`, cast)
	sql := fmt.Sprintf(`SELECT v.id, v.kb_id, v.document_id, d.name, v.position, v.start_offset, v.end_offset, v.heading, v.page,
			v.content, 1 - v.distance AS score
		FROM (SELECT `+chunkColumns+`, (%[1]s)::float8 AS distance FROM knowledge_chunks c
			WHERE c.tenant_id = $1 AND c.kb_id = ANY($2::uuid[]) AND c.embedding_dim = %[2]d
			ORDER BY %[3]s LIMIT $4) v
		JOIN knowledge_documents d ON d.id = v.document_id`, order, dim, "%s")
	var out []*hub.SearchResult
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var n int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(sum(embedded_count), 0) FROM knowledge_documents WHERE tenant_id = $1 AND kb_id = ANY($2::uuid[])`,
			tenantID, q.KnowledgeBaseIDs).Scan(&n); err != nil || n == 0 {
			return err
		}
		var settings string
		if n <= int64(exactLimit) || !indexable {
			sql = fmt.Sprintf(sql, "("+order+") + 0") // not an index order: exact
			settings = `SELECT set_config('enable_seqscan', 'off', true)`
		} else {
			sql = fmt.Sprintf(sql, order)
			settings = `SELECT set_config('enable_sort', 'off', true), set_config('hnsw.ef_search', $1, true)`
			if m.iterative {
				settings += `, set_config('hnsw.iterative_scan', 'relaxed_order', true)`
			}
		}
		if strings.Contains(settings, "$1") {
			_, err = tx.Exec(ctx, settings, strconv.Itoa(ef))
		} else {
			_, err = tx.Exec(ctx, settings)
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, sql, tenantID, q.KnowledgeBaseIDs, lit, q.Limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanResult)
		return err
	})
	if err != nil {
		return nil, err
	}
	// Relaxed-order iterative scans may return neighbours slightly out of order.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	for _, r := range out {
		r.Similarity = r.Score
	}
	return out, nil
}

// scored is a chunk id with its similarity.
type scored struct {
	id    string
	score float64
}

func (s *KnowledgeStore) exactVectorSearch(ctx context.Context, tenantID string, q hub.VectorQuery) ([]*hub.SearchResult, error) {
	dim := len(q.Embedding)
	limit := s.ExactScanLimit
	if limit <= 0 {
		limit = DefaultExactScanLimit
	}
	qnorm := norm(q.Embedding)
	if qnorm == 0 {
		return nil, nil
	}
	var out []*hub.SearchResult
	err := s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM knowledge_chunks WHERE tenant_id = $1 AND kb_id = ANY($2::uuid[]) AND embedding_dim = $3`,
			tenantID, q.KnowledgeBaseIDs, dim).Scan(&n); err != nil {
			return err
		}
		var rows pgx.Rows
		var err error
		if n <= limit {
			rows, err = tx.Query(ctx, `SELECT id::text, embedding FROM knowledge_chunks WHERE tenant_id = $1 AND kb_id = ANY($2::uuid[]) AND embedding_dim = $3`,
				tenantID, q.KnowledgeBaseIDs, dim)
		} else {
			if len(q.Candidates) == 0 {
				return nil
			}
			rows, err = tx.Query(ctx, `SELECT id::text, embedding FROM knowledge_chunks WHERE tenant_id = $1 AND kb_id = ANY($2::uuid[])
				AND embedding_dim = $3 AND id = ANY($4::uuid[])`, tenantID, q.KnowledgeBaseIDs, dim, q.Candidates)
		}
		if err != nil {
			return err
		}
		var top []scored
		var id string
		var vec []float32
		_, err = pgx.ForEachRow(rows, []any{&id, &vec}, func() error {
			if len(vec) != dim {
				return nil
			}
			top = pushTop(top, scored{id: id, score: cosine(q.Embedding, vec, qnorm)}, q.Limit)
			return nil
		})
		if err != nil || len(top) == 0 {
			return err
		}
		ids := make([]string, len(top))
		for i, t := range top {
			ids[i] = t.id
		}
		rows, err = tx.Query(ctx, `SELECT c.id, c.kb_id, c.document_id, d.name, c.position, c.start_offset, c.end_offset, c.heading,
				c.page, c.content, 0::float8 FROM knowledge_chunks c JOIN knowledge_documents d ON d.id = c.document_id
			WHERE c.tenant_id = $1 AND c.id = ANY($2::uuid[])`, tenantID, ids)
		if err != nil {
			return err
		}
		found, err := pgx.CollectRows(rows, scanResult)
		if err != nil {
			return err
		}
		byID := make(map[string]*hub.SearchResult, len(found))
		for _, r := range found {
			byID[r.ChunkID] = r
		}
		for _, t := range top {
			if r := byID[t.id]; r != nil {
				r.Score, r.Similarity = t.score, t.score
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}

// pushTop keeps the k best of top plus c, best first.
func pushTop(top []scored, c scored, k int) []scored {
	if len(top) == k && c.score <= top[k-1].score {
		return top
	}
	i := sort.Search(len(top), func(i int) bool { return top[i].score < c.score })
	if len(top) < k {
		top = append(top, scored{})
	}
	copy(top[i+1:], top[i:len(top)-1])
	top[i] = c
	return top
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// cosine returns the cosine similarity of a (whose norm is anorm) and b.
func cosine(a, b []float32, anorm float64) float64 {
	var dot, bb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		bb += float64(b[i]) * float64(b[i])
	}
	if bb == 0 {
		return 0
	}
	return dot / (anorm * math.Sqrt(bb))
}

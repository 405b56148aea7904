package postgres_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/secrets"
)

// newDBWithoutPgvector creates a migrated database from template0, which
// has no extensions: the knowledge migration then stores vectors as real[].
func newDBWithoutPgvector(t *testing.T) *postgres.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, testenv.AdminDatabaseURL())
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer admin.Close(ctx)
	name := testenv.UniqueName("bizos_test_")
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if conn, err := pgx.Connect(ctx, testenv.AdminDatabaseURL()); err == nil {
			_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			conn.Close(ctx)
		}
	})
	u, _ := url.Parse(testenv.AdminDatabaseURL())
	u.Path = "/" + name
	db, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// knowledgeModes are the two ways the store keeps vectors.
func knowledgeModes(t *testing.T) map[string]func(t *testing.T) *postgres.DB {
	return map[string]func(t *testing.T) *postgres.DB{
		"pgvector": func(t *testing.T) *postgres.DB {
			db := testenv.NewDB(t)
			on, err := postgres.NewKnowledgeStore(db, nil).VectorIndexed(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !on {
				t.Skip("pgvector is not installed in template1 (run scripts/pgvector.sh); the real[] mode is tested")
			}
			return db
		},
		"real[]": newDBWithoutPgvector,
	}
}

func testKeyring(t *testing.T) hub.Cipher {
	t.Helper()
	spec, _ := secrets.NewKeySpec(1)
	ring, err := secrets.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

func chunkIDs(rs []*hub.SearchResult) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = r.Position
	}
	return out
}

func TestKnowledgeStore(t *testing.T) {
	for mode, newDB := range knowledgeModes(t) {
		t.Run(mode, func(t *testing.T) { testKnowledgeStore(t, newDB(t), mode == "pgvector") })
	}
}

func testKnowledgeStore(t *testing.T, db *postgres.DB, pgvector bool) {
	ctx := context.Background()
	store := postgres.NewKnowledgeStore(db, testKeyring(t))
	if on, err := store.VectorIndexed(ctx); err != nil || on != pgvector {
		t.Fatalf("VectorIndexed = %v, %v; want %v", on, err, pgvector)
	}
	tenants := postgres.NewTenantStore(db)
	a, b := mustTenant(t, tenants, "alpha"), mustTenant(t, tenants, "beta")

	// Knowledge bases, with a sealed API key.
	kb := &hub.KnowledgeBase{TenantID: a.ID, Name: "Help centre", Language: "english", CreatedBy: "user:u1",
		Embedding: &hub.EmbeddingConfig{Provider: hub.LLMProviderOpenAI, Model: "bag", BaseURL: "http://llm.example/v1"}}
	if err := store.CreateKnowledgeBase(ctx, kb, "sk-secret-key"); err != nil {
		t.Fatal(err)
	}
	if kb.EmbeddingVersion != 1 || !kb.Embedding.HasAPIKey {
		t.Errorf("created = %+v", kb)
	}
	if err := store.CreateKnowledgeBase(ctx, &hub.KnowledgeBase{TenantID: a.ID, Name: "Help centre", CreatedBy: "u"}, ""); hub.ErrorCode(err) != hub.ECONFLICT {
		t.Errorf("duplicate name: %v", err)
	}
	var sealed []byte
	if err := db.InSystem(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT embedding_key_sealed FROM knowledge_bases WHERE id = $1`, kb.ID).Scan(&sealed)
	}); err != nil || strings.Contains(string(sealed), "sk-secret-key") {
		t.Fatalf("key stored in the clear or missing: %v", err)
	}
	if key, err := store.EmbeddingAPIKey(ctx, a.ID, kb.ID); err != nil || key.Reveal() != "sk-secret-key" {
		t.Errorf("key = %v, %v", key == "sk-secret-key", err)
	}
	if _, err := store.KnowledgeBase(ctx, b.ID, kb.ID); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("B reads A's knowledge base: %v", err)
	}
	if _, err := store.EmbeddingAPIKey(ctx, b.ID, kb.ID); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("B reads A's key: %v", err)
	}
	if list, _, _ := store.ListKnowledgeBases(ctx, b.ID, hub.Page{}); len(list) != 0 {
		t.Errorf("B lists %d knowledge bases", len(list))
	}

	// Documents cannot be attached to another tenant's base.
	if err := store.CreateDocument(ctx, &hub.Document{TenantID: b.ID, KnowledgeBaseID: kb.ID, Name: "x", ContentType: hub.ContentTypeText,
		CreatedBy: "u"}, []byte("x")); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("B uploads into A's base: %v", err)
	}
	doc := &hub.Document{TenantID: a.ID, KnowledgeBaseID: kb.ID, Name: "refunds.md", ContentType: hub.ContentTypeMarkdown, CreatedBy: "user:u1"}
	if err := store.CreateDocument(ctx, doc, []byte("# Refunds\n\nbody")); err != nil {
		t.Fatal(err)
	}
	if doc.Status != hub.DocumentPending || doc.Size != 15 || len(doc.SHA256) != 64 {
		t.Errorf("document = %+v", doc)
	}
	if content, err := store.DocumentContent(ctx, a.ID, doc.ID); err != nil || string(content) != "# Refunds\n\nbody" {
		t.Errorf("content = %q, %v", content, err)
	}
	if _, err := store.DocumentContent(ctx, b.ID, doc.ID); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("B reads A's content: %v", err)
	}
	if n, err := store.StartDocumentRun(ctx, a.ID, doc.ID); err != nil || n != 1 {
		t.Errorf("run = %d, %v", n, err)
	}

	// Ingestion writes are checked against the embedding version.
	if err := store.SetDocumentStage(ctx, a.ID, doc.ID, 1, hub.StageExtracting, 0); err != nil {
		t.Fatal(err)
	}
	if err := store.SetDocumentStage(ctx, a.ID, doc.ID, 7, hub.StageExtracting, 0); hub.ErrorCode(err) != hub.ECONFLICT {
		t.Errorf("stale version: %v", err)
	}
	chunks := []hub.Chunk{
		{StartOffset: 0, EndOffset: 40, Heading: "Refunds", Text: "Damaged items are refunded within thirty days."},
		{StartOffset: 30, EndOffset: 80, Heading: "Refunds", Text: "Refunds go back to the card that paid\x00."},
		{StartOffset: 70, EndOffset: 120, Heading: "Shipping", Page: 2, Text: "Shipping takes two days in Europe."},
	}
	if err := store.ReplaceChunks(ctx, a.ID, doc.ID, 1, chunks); err != nil {
		t.Fatal(err)
	}
	if err := store.ReplaceChunks(ctx, a.ID, doc.ID, 1, chunks); err != nil { // replacing is idempotent
		t.Fatal(err)
	}
	pending, err := store.UnembeddedChunks(ctx, a.ID, doc.ID, 0, 10)
	if err != nil || len(pending) != 3 || pending[1].Text != "Refunds go back to the card that paid." || pending[2].Page != 2 {
		t.Fatalf("unembedded = %+v, %v", pending, err)
	}
	vec := func(x, y, z float32) []float32 { return []float32{x, y, z, 0, 0, 0, 0, 0} }
	embs := []hub.ChunkEmbedding{{Position: 0, Embedding: vec(1, 0, 0)}, {Position: 1, Embedding: vec(0.8, 0.6, 0)}}
	if err := store.StoreEmbeddings(ctx, a.ID, doc.ID, 1, embs); err != nil {
		t.Fatal(err)
	}
	got, _ := store.KnowledgeBase(ctx, a.ID, kb.ID)
	if got.Embedding.Dimension != 8 || got.ChunkCount != 3 || got.DocumentCount != 1 {
		t.Errorf("after the first vectors: %+v %+v", got, got.Embedding)
	}
	if err := store.StoreEmbeddings(ctx, a.ID, doc.ID, 1, []hub.ChunkEmbedding{{Position: 2, Embedding: []float32{1, 2}}}); hub.ErrorCode(err) != hub.EINVALID {
		t.Errorf("wrong dimension: %v", err)
	}
	if err := store.StoreEmbeddings(ctx, a.ID, doc.ID, 1, []hub.ChunkEmbedding{{Position: 2, Embedding: vec(0, 0, 1)}}); err != nil {
		t.Fatal(err)
	}
	d, _ := store.Document(ctx, a.ID, kb.ID, doc.ID)
	if d.Status != hub.DocumentProcessing || d.EmbeddedCount != 3 || d.Progress != 1 || d.Stage != hub.StageEmbedding {
		t.Errorf("while embedding: %+v", d)
	}
	if err := store.FinishDocument(ctx, a.ID, doc.ID, 1, ""); err != nil {
		t.Fatal(err)
	}
	if d, _ = store.Document(ctx, a.ID, kb.ID, doc.ID); d.Status != hub.DocumentReady || d.EmbeddingVersion != 1 || d.Stage != "" {
		t.Errorf("finished: %+v", d)
	}

	// Full-text search: every word first, then any word.
	search := func(tenantID, query string, limit int) []int {
		t.Helper()
		rs, err := store.FullTextSearch(ctx, tenantID, hub.TextQuery{KnowledgeBaseIDs: []string{kb.ID}, Query: query, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		return chunkIDs(rs)
	}
	for _, tt := range []struct {
		query string
		limit int
		want  []int
	}{
		{"refunded damaged", 1, []int{0}},            // stems: refund, damag
		{"refunds card", 10, []int{1, 0}},            // every word, then any word
		{"refunds card", 1, []int{1}},                // the limit holds
		{"refund -card", 10, []int{0}},               // exclusions are not widened
		{`"back to the card"`, 10, []int{1}},         // phrases
		{"shipping OR damaged", 10, []int{0, 2}},     // web-search OR
		{"the and of", 10, []int{}},                  // only stop words
		{"it's o'clock \\ refunds", 10, []int{0, 1}}, // quotes and backslashes do not break the query
	} {
		if diff := cmp.Diff(tt.want, search(a.ID, tt.query, tt.limit)); diff != "" {
			t.Errorf("search %q (-want +got):\n%s", tt.query, diff)
		}
	}
	rs, _ := store.FullTextSearch(ctx, a.ID, hub.TextQuery{KnowledgeBaseIDs: []string{kb.ID}, Query: "shipping", Limit: 5})
	want := &hub.SearchResult{ChunkID: rs[0].ChunkID, KnowledgeBaseID: kb.ID, DocumentID: doc.ID, DocumentName: "refunds.md", Position: 2,
		StartOffset: 70, EndOffset: 120, Heading: "Shipping", Page: 2, Text: "Shipping takes two days in Europe.", Score: rs[0].Score}
	if diff := cmp.Diff(want, rs[0]); diff != "" || rs[0].Score <= 0 {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if got := search(b.ID, "refunds", 10); len(got) != 0 {
		t.Errorf("B finds %v in A's base", got)
	}
	if _, err := store.FullTextSearch(ctx, a.ID, hub.TextQuery{KnowledgeBaseIDs: []string{"nope"}, Query: "x", Limit: 5}); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("malformed id: %v", err)
	}

	// Vector search: nearest first.
	vsearch := func(tenantID string, q []float32, limit int) []int {
		t.Helper()
		rs, err := store.VectorSearch(ctx, tenantID, hub.VectorQuery{KnowledgeBaseIDs: []string{kb.ID}, Embedding: q, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		return chunkIDs(rs)
	}
	if diff := cmp.Diff([]int{1, 0, 2}, vsearch(a.ID, vec(0.6, 0.8, 0), 10)); diff != "" {
		t.Errorf("vector search (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{2}, vsearch(a.ID, vec(0, 0.1, 1), 1)); diff != "" {
		t.Errorf("vector search, limit 1 (-want +got):\n%s", diff)
	}
	if got := vsearch(b.ID, vec(1, 0, 0), 10); len(got) != 0 {
		t.Errorf("B finds %v by vector", got)
	}
	if got := vsearch(a.ID, []float32{1, 0}, 10); len(got) != 0 {
		t.Errorf("another dimension finds %v", got)
	}
	vrs, _ := store.VectorSearch(ctx, a.ID, hub.VectorQuery{KnowledgeBaseIDs: []string{kb.ID}, Embedding: vec(1, 0, 0), Limit: 1})
	if len(vrs) != 1 || vrs[0].Similarity < 0.999 || vrs[0].DocumentName != "refunds.md" {
		t.Errorf("nearest = %+v", vrs)
	}
	if pgvector {
		// Through the HNSW index (bases above the exact limit) the order is the same.
		indexed := postgres.NewKnowledgeStore(db, testKeyring(t))
		indexed.ExactVectorLimit = 1
		rs, err := indexed.VectorSearch(ctx, a.ID, hub.VectorQuery{KnowledgeBaseIDs: []string{kb.ID}, Embedding: vec(0.6, 0.8, 0), Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int{1, 0, 2}, chunkIDs(rs)); diff != "" {
			t.Errorf("HNSW search (-want +got):\n%s", diff)
		}
	}
	if !pgvector {
		// Above the exact-scan limit only the candidates are scored.
		small := postgres.NewKnowledgeStore(db, testKeyring(t))
		small.ExactScanLimit = 2
		rs, err := small.VectorSearch(ctx, a.ID, hub.VectorQuery{KnowledgeBaseIDs: []string{kb.ID}, Embedding: vec(0.6, 0.8, 0), Limit: 10,
			Candidates: []string{want.ChunkID}})
		if err != nil || len(rs) != 1 || rs[0].Position != 2 {
			t.Errorf("candidates only = %v, %v", chunkIDs(rs), err)
		}
	}

	// Changing the description keeps the vectors.
	kb.Description = "Answers for customers"
	if reembed, err := store.UpdateKnowledgeBase(ctx, kb, nil); err != nil || reembed {
		t.Fatalf("description update: reembed %v, %v", reembed, err)
	}
	if key, _ := store.EmbeddingAPIKey(ctx, a.ID, kb.ID); key.Reveal() != "sk-secret-key" {
		t.Error("a nil key in an update dropped the stored key")
	}
	// Changing the model clears them, bumps the version and resets documents.
	kb.Embedding = &hub.EmbeddingConfig{Provider: hub.LLMProviderOllama, Model: "bag-2", Dimension: 8}
	newKey := hub.Secret("")
	reembed, err := store.UpdateKnowledgeBase(ctx, kb, &newKey)
	if err != nil || !reembed || kb.EmbeddingVersion != 2 || kb.Embedding.HasAPIKey {
		t.Fatalf("model update: reembed %v, %+v, %v", reembed, kb, err)
	}
	if got := vsearch(a.ID, vec(1, 0, 0), 10); len(got) != 0 {
		t.Errorf("vectors of the old model are still found: %v", got)
	}
	if got := search(a.ID, "shipping", 10); len(got) != 1 {
		t.Errorf("full text after a model change = %v", got)
	}
	if d, _ = store.Document(ctx, a.ID, kb.ID, doc.ID); d.Status != hub.DocumentPending || d.EmbeddedCount != 0 || d.ChunkCount != 3 {
		t.Errorf("document after a model change: %+v", d)
	}
	if ids, err := store.StaleDocuments(ctx, a.ID, kb.ID, false); err != nil || len(ids) != 1 || ids[0] != doc.ID {
		t.Errorf("stale = %v, %v", ids, err)
	}
	if err := store.StoreEmbeddings(ctx, a.ID, doc.ID, 1, embs); hub.ErrorCode(err) != hub.ECONFLICT {
		t.Errorf("old-version vectors: %v", err)
	}
	if err := store.FinishDocument(ctx, a.ID, doc.ID, 1, ""); hub.ErrorCode(err) != hub.ECONFLICT {
		t.Errorf("old-version finish: %v", err)
	}
	if err := store.FinishDocument(ctx, a.ID, doc.ID, 0, "it broke"); err != nil {
		t.Fatal(err)
	}
	if d, _ = store.Document(ctx, a.ID, kb.ID, doc.ID); d.Status != hub.DocumentFailed || d.Error != "it broke" {
		t.Errorf("failed: %+v", d)
	}
	if ids, _ := store.StaleDocuments(ctx, a.ID, kb.ID, false); len(ids) != 0 {
		t.Errorf("failed documents listed without includeFailed: %v", ids)
	}
	if ids, _ := store.StaleDocuments(ctx, a.ID, kb.ID, true); len(ids) != 1 {
		t.Errorf("failed documents not listed with includeFailed: %v", ids)
	}

	// The language re-parses the chunks: German stems "Häuser" to "haus".
	if err := store.ReplaceChunks(ctx, a.ID, doc.ID, 2, []hub.Chunk{{Text: "Die Häuser sind groß."}}); err != nil {
		t.Fatal(err)
	}
	if got := search(a.ID, "Haus", 10); len(got) != 0 {
		t.Errorf("english stemming matched German: %v", got)
	}
	kb.Language = "german"
	if _, err := store.UpdateKnowledgeBase(ctx, kb, nil); err != nil {
		t.Fatal(err)
	}
	if got := search(a.ID, "Haus", 10); len(got) != 1 {
		t.Errorf("german stemming: %v", got)
	}

	// Row-level security hides chunks without a tenant scope.
	var n int
	if err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM knowledge_chunks`).Scan(&n)
	}); err != nil || n != 0 {
		t.Errorf("chunks visible without a scope: %d, %v", n, err)
	}

	// Pages, deletes.
	for i := 0; i < 3; i++ {
		if err := store.CreateKnowledgeBase(ctx, &hub.KnowledgeBase{TenantID: a.ID, Name: "kb" + string(rune('a'+i)), CreatedBy: "u"}, ""); err != nil {
			t.Fatal(err)
		}
	}
	page1, next, err := store.ListKnowledgeBases(ctx, a.ID, hub.Page{Limit: 3})
	if err != nil || len(page1) != 3 || next == "" || page1[0].Name != "kbc" {
		t.Fatalf("page 1 = %d, %q, %v", len(page1), next, err)
	}
	page2, next, _ := store.ListKnowledgeBases(ctx, a.ID, hub.Page{Limit: 3, Cursor: next})
	if len(page2) != 1 || next != "" || page2[0].ID != kb.ID || page2[0].Description != "Answers for customers" {
		t.Errorf("page 2 = %+v, %q", page2, next)
	}
	docs, _, err := store.ListDocuments(ctx, a.ID, kb.ID, hub.Page{})
	if err != nil || len(docs) != 1 {
		t.Errorf("documents = %d, %v", len(docs), err)
	}
	if err := store.DeleteDocument(ctx, b.ID, kb.ID, doc.ID); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("B deletes A's document: %v", err)
	}
	if err := store.DeleteDocument(ctx, a.ID, kb.ID, doc.ID); err != nil {
		t.Fatal(err)
	}
	if err := store.DeleteKnowledgeBase(ctx, a.ID, kb.ID); err != nil {
		t.Fatal(err)
	}
	if err := store.DeleteKnowledgeBase(ctx, a.ID, kb.ID); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("second delete: %v", err)
	}
}

func TestKnowledgeKeysReencrypted(t *testing.T) {
	ctx := context.Background()
	db := newDBWithoutPgvector(t)
	v1, _ := secrets.NewKeySpec(1)
	v2, _ := secrets.NewKeySpec(2)
	ring1, _ := secrets.ParseKeyring(v1)
	ring12, _ := secrets.ParseKeyring(v1 + "," + v2)
	ring2, _ := secrets.ParseKeyring(v2)
	tn := mustTenant(t, postgres.NewTenantStore(db), "alpha")
	kb := &hub.KnowledgeBase{TenantID: tn.ID, Name: "k", CreatedBy: "u", Embedding: &hub.EmbeddingConfig{Provider: "openai", Model: "m"}}
	if err := postgres.NewKnowledgeStore(db, ring1).CreateKnowledgeBase(ctx, kb, "sk-1"); err != nil {
		t.Fatal(err)
	}
	if n, err := postgres.NewKnowledgeStore(db, ring12).ReencryptKnowledgeKeys(ctx); err != nil || n != 1 {
		t.Fatalf("reencrypt = %d, %v", n, err)
	}
	if key, err := postgres.NewKnowledgeStore(db, ring2).EmbeddingAPIKey(ctx, tn.ID, kb.ID); err != nil || key.Reveal() != "sk-1" {
		t.Errorf("key under v2 = %v, %v", key == "sk-1", err)
	}
}

// TestKnowledgePrepareConvertsToPgvector: vectors stored as real[] (the
// extension was installed after the migration ran) become pgvector vectors
// with an HNSW index when the store prepares.
func TestKnowledgePrepareConvertsToPgvector(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	if on, _ := postgres.NewKnowledgeStore(db, nil).VectorIndexed(ctx); !on {
		t.Skip("pgvector is not installed (run scripts/pgvector.sh)")
	}
	// Make it look like a database migrated before pgvector was installed.
	if _, err := db.Pool.Exec(ctx, `ALTER TABLE knowledge_chunks ALTER COLUMN embedding TYPE real[] USING embedding::real[]`); err != nil {
		t.Fatal(err)
	}
	store := postgres.NewKnowledgeStore(db, testKeyring(t))
	if on, _ := store.VectorIndexed(ctx); on {
		t.Fatal("real[] column reported as pgvector")
	}
	tn := mustTenant(t, postgres.NewTenantStore(db), "alpha")
	kb := &hub.KnowledgeBase{TenantID: tn.ID, Name: "k", CreatedBy: "u", Embedding: &hub.EmbeddingConfig{Provider: "ollama", Model: "m", Dimension: 3}}
	if err := store.CreateKnowledgeBase(ctx, kb, ""); err != nil {
		t.Fatal(err)
	}
	doc := &hub.Document{TenantID: tn.ID, KnowledgeBaseID: kb.ID, Name: "d", ContentType: hub.ContentTypeText, CreatedBy: "u"}
	if err := store.CreateDocument(ctx, doc, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := store.ReplaceChunks(ctx, tn.ID, doc.ID, 1, []hub.Chunk{{Text: "a"}, {Text: "b"}}); err != nil {
		t.Fatal(err)
	}
	if err := store.StoreEmbeddings(ctx, tn.ID, doc.ID, 1, []hub.ChunkEmbedding{{Position: 0, Embedding: []float32{1, 0, 0}},
		{Position: 1, Embedding: []float32{0, 1, 0}}}); err != nil {
		t.Fatal(err)
	}
	if err := store.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	if on, _ := store.VectorIndexed(ctx); !on {
		t.Fatal("Prepare did not convert the column")
	}
	var index string
	if err := db.Pool.QueryRow(ctx, `SELECT coalesce(to_regclass('knowledge_chunks_hnsw_3_idx')::text, '')`).Scan(&index); err != nil || index == "" {
		t.Errorf("no HNSW index for dimension 3: %q, %v", index, err)
	}
	rs, err := store.VectorSearch(ctx, tn.ID, hub.VectorQuery{KnowledgeBaseIDs: []string{kb.ID}, Embedding: []float32{0.1, 1, 0}, Limit: 2})
	if err != nil || len(rs) != 2 || rs[0].Text != "b" {
		t.Errorf("search after conversion = %+v, %v", rs, err)
	}
	if err := store.Prepare(ctx); err != nil {
		t.Errorf("second Prepare: %v", err)
	}
}

package knowledge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/knowledge"
	"github.com/bizoshub/bizos/workflows"
)

type kbJSON struct {
	ID               string               `json:"id"`
	Name             string               `json:"name"`
	Description      string               `json:"description"`
	Language         string               `json:"language"`
	Embedding        *hub.EmbeddingConfig `json:"embedding"`
	EmbeddingVersion int                  `json:"embedding_version"`
	DocumentCount    int                  `json:"document_count"`
	ChunkCount       int                  `json:"chunk_count"`
}

type problem struct {
	Status int               `json:"status"`
	Code   string            `json:"code"`
	Detail string            `json:"detail"`
	Errors map[string]string `json:"errors"`
}

type searchJSON struct {
	Items    []*hub.SearchResult `json:"items"`
	Mode     string              `json:"mode"`
	Warnings []string            `json:"warnings"`
}

func decode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

// multipartBody builds a multipart/form-data body with a file part and
// extra fields.
func multipartBody(t *testing.T, filename, contentType string, data []byte, fields map[string]string) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filename))
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	part, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	w.Close()
	return w.FormDataContentType(), &buf
}

const refundsMarkdown = `# Refund policy

Damaged items are refunded within thirty days of delivery. Send a photo of the damage with the order number.

Refunds go back to the card that paid for the order; bank transfers take five working days.

## Shipping

Parcels ship within two days from our warehouse in Lyon. Express shipping costs twelve euros.

## Warranty

Every kettle carries a two-year warranty against defects of the heating element.
`

func TestKnowledgeBaseAPI(t *testing.T) {
	f := newFixture(t, knowledge.Config{})
	srv := f.server(t)
	A, B := f.tenantA, f.tenantB
	const base = "/api/v1/knowledge-bases"
	jsonCT := "application/json"

	// Validation.
	for name, tc := range map[string]struct{ body, field string }{
		"no name":        {`{}`, "name"},
		"bad language":   {`{"name":"x","language":"klingon"}`, "language"},
		"bad provider":   {`{"name":"x","embedding":{"provider":"acme","model":"m"}}`, "embedding.provider"},
		"no model":       {`{"name":"x","embedding":{"provider":"ollama"}}`, "embedding.model"},
		"bad dimension":  {`{"name":"x","embedding":{"provider":"ollama","model":"m","dimension":-3}}`, "embedding.dimension"},
		"bad base url":   {`{"name":"x","embedding":{"provider":"openai","model":"m","base_url":"ftp://x"}}`, "embedding.base_url"},
		"unknown fields": {`{"name":"x","colour":"red"}`, "colour"},
	} {
		status, raw := call(t, srv, A, http.MethodPost, base, jsonCT, strings.NewReader(tc.body))
		p := decode[problem](t, raw)
		if status != http.StatusBadRequest || p.Errors[tc.field] == "" {
			t.Errorf("%s: %d %s", name, status, raw)
		}
	}

	// A full-text base and a hybrid one; the API key is never returned.
	status, raw := call(t, srv, A, http.MethodPost, base, jsonCT, strings.NewReader(`{"name":"FAQ","description":"Plain"}`))
	if status != http.StatusCreated {
		t.Fatalf("create = %d %s", status, raw)
	}
	plain := decode[kbJSON](t, raw)
	status, raw = call(t, srv, A, http.MethodPost, base, jsonCT, strings.NewReader(
		`{"name":"Help","embedding":{"provider":"openai","model":"bag-64","base_url":"https://llm.example/v1/","api_key":"sk-live-123"}}`))
	if status != http.StatusCreated || strings.Contains(string(raw), "sk-live-123") {
		t.Fatalf("create hybrid = %d %s", status, raw)
	}
	hybrid := decode[kbJSON](t, raw)
	wantEmb := &hub.EmbeddingConfig{Provider: "openai", Model: "bag-64", BaseURL: "https://llm.example/v1", HasAPIKey: true}
	if diff := cmp.Diff(wantEmb, hybrid.Embedding); diff != "" || hybrid.EmbeddingVersion != 1 || hybrid.Language != "english" {
		t.Errorf("embedding (-want +got):\n%s\n%s", diff, raw)
	}
	if status, _ := call(t, srv, A, http.MethodPost, base, jsonCT, strings.NewReader(`{"name":"FAQ"}`)); status != http.StatusConflict {
		t.Errorf("duplicate name = %d", status)
	}
	if status, _ := call(t, srv, B, http.MethodGet, base+"/"+plain.ID, "", nil); status != http.StatusNotFound {
		t.Errorf("B reads A's base = %d", status)
	}
	status, raw = call(t, srv, A, http.MethodGet, base, "", nil)
	if list := decode[struct{ Items []kbJSON }](t, raw); status != http.StatusOK || len(list.Items) != 2 {
		t.Errorf("list = %d %s", status, raw)
	}

	// Uploads: multipart Markdown, JSON text, a PDF.
	ct, body := multipartBody(t, "refunds.md", "text/plain", []byte(refundsMarkdown), nil)
	status, raw = call(t, srv, A, http.MethodPost, base+"/"+hybrid.ID+"/documents", ct, body)
	if status != http.StatusAccepted {
		t.Fatalf("upload = %d %s", status, raw)
	}
	md := decode[hub.Document](t, raw)
	if md.ContentType != hub.ContentTypeMarkdown || md.Status != hub.DocumentReady || md.ChunkCount < 3 || md.EmbeddedCount != md.ChunkCount ||
		md.Progress != 1 || md.Name != "refunds.md" || md.Runs != 1 {
		t.Errorf("markdown document = %+v", md)
	}
	status, raw = call(t, srv, A, http.MethodPost, base+"/"+hybrid.ID+"/documents", jsonCT,
		strings.NewReader(`{"name":"notes.txt","text":"The office cat is called Biscuit. Biscuit likes the warehouse in Lyon."}`))
	if status != http.StatusAccepted {
		t.Fatalf("JSON upload = %d %s", status, raw)
	}
	txt := decode[hub.Document](t, raw)
	pdfCT, pdfBody := multipartBody(t, "C:\\Users\\me\\manual.pdf", "application/pdf",
		makePDF([][]string{{"Kettle manual"}, {"Descale the kettle every month with citric acid."}}, true), map[string]string{"name": "Kettle manual.pdf"})
	status, raw = call(t, srv, A, http.MethodPost, base+"/"+plain.ID+"/documents", pdfCT, pdfBody)
	if status != http.StatusAccepted {
		t.Fatalf("PDF upload = %d %s", status, raw)
	}
	pdfDoc := decode[hub.Document](t, raw)
	if pdfDoc.Name != "Kettle manual.pdf" || pdfDoc.Status != hub.DocumentReady || pdfDoc.EmbeddedCount != 0 {
		t.Errorf("pdf document = %+v", pdfDoc)
	}

	// Upload errors.
	for name, tc := range map[string]struct {
		ct     string
		body   string
		status int
	}{
		"unsupported type": {"application/json", `{"name":"x.png","content_type":"image/png","text":"x"}`, http.StatusBadRequest},
		"empty text":       {"application/json", `{"name":"x.txt","text":""}`, http.StatusBadRequest},
		"no name":          {"application/json", `{"text":"hello"}`, http.StatusBadRequest},
		"not a pdf":        {"application/json", `{"name":"x.pdf","content_type":"application/pdf","text":"hello"}`, http.StatusBadRequest},
		"form without file": {"multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n--X--\r\n",
			http.StatusBadRequest},
		"other body": {"text/plain", "hello", http.StatusBadRequest},
	} {
		status, raw := call(t, srv, A, http.MethodPost, base+"/"+plain.ID+"/documents", tc.ct, strings.NewReader(tc.body))
		if status != tc.status || !strings.Contains(string(raw), `"code":"invalid"`) {
			t.Errorf("%s: %d %s", name, status, raw)
		}
	}
	if status, _ := call(t, srv, B, http.MethodPost, base+"/"+plain.ID+"/documents", jsonCT,
		strings.NewReader(`{"name":"x.txt","text":"hi"}`)); status != http.StatusNotFound {
		t.Errorf("B uploads into A's base = %d", status)
	}

	// Documents.
	status, raw = call(t, srv, A, http.MethodGet, base+"/"+hybrid.ID+"/documents", "", nil)
	docs := decode[struct{ Items []hub.Document }](t, raw)
	if status != http.StatusOK || len(docs.Items) != 2 || docs.Items[0].ID != txt.ID {
		t.Errorf("documents = %d %s", status, raw)
	}
	if status, _ := call(t, srv, A, http.MethodGet, base+"/"+plain.ID+"/documents/"+md.ID, "", nil); status != http.StatusNotFound {
		t.Errorf("document through the wrong base = %d", status)
	}
	if status, _ := call(t, srv, B, http.MethodGet, base+"/"+hybrid.ID+"/documents", "", nil); status != http.StatusNotFound {
		t.Errorf("B lists A's documents = %d", status)
	}

	// Search: hybrid, with what citations need.
	status, raw = call(t, srv, A, http.MethodPost, base+"/"+hybrid.ID+"/search", jsonCT, strings.NewReader(`{"query":"refund for a damaged item","limit":3}`))
	if status != http.StatusOK {
		t.Fatalf("search = %d %s", status, raw)
	}
	res := decode[searchJSON](t, raw)
	if res.Mode != hub.SearchModeHybrid || len(res.Items) == 0 || len(res.Items) > 3 {
		t.Fatalf("search = %s", raw)
	}
	top := res.Items[0]
	if top.DocumentID != md.ID || top.DocumentName != "refunds.md" || top.ChunkID == "" || !strings.Contains(top.Text, "Damaged items") ||
		top.Heading != "Refund policy" || top.Position != 0 || top.FullTextRank != 1 || top.VectorRank == 0 || top.Similarity <= 0 || top.Score <= 0 {
		t.Errorf("top result = %+v", top)
	}
	body2, _ := json.Marshal(top)
	for _, key := range []string{"chunk_id", "document_id", "document_name", "position", "text", "score"} {
		if !strings.Contains(string(body2), `"`+key+`"`) {
			t.Errorf("result JSON lacks %s: %s", key, body2)
		}
	}
	status, raw = call(t, srv, A, http.MethodGet, base+"/"+hybrid.ID+"/search?q=Biscuit+cat&limit=1", "", nil)
	if res := decode[searchJSON](t, raw); status != http.StatusOK || len(res.Items) != 1 || res.Items[0].DocumentID != txt.ID {
		t.Errorf("GET search = %d %s", status, raw)
	}
	status, raw = call(t, srv, A, http.MethodGet, base+"/"+plain.ID+"/search?q=descale+kettle", "", nil)
	if res := decode[searchJSON](t, raw); status != http.StatusOK || res.Mode != hub.SearchModeFullText || len(res.Items) != 1 || res.Items[0].Page != 1 {
		t.Errorf("full-text search = %d %s", status, raw)
	}
	for name, q := range map[string]string{"no query": "", "bad limit": "q=x&limit=99", "bad limit text": "q=x&limit=ten"} {
		if status, _ := call(t, srv, A, http.MethodGet, base+"/"+plain.ID+"/search?"+q, "", nil); status != http.StatusBadRequest {
			t.Errorf("%s = %d", name, status)
		}
	}
	if status, _ := call(t, srv, B, http.MethodGet, base+"/"+hybrid.ID+"/search?q=refund", "", nil); status != http.StatusNotFound {
		t.Errorf("B searches A's base = %d", status)
	}

	// The model is unreachable at query time: full text, with a warning.
	f.embedder.mu.Lock()
	f.embedder.Fail = hub.Errorf(hub.EUNAVAILABLE, "Ollama is not answering.")
	f.embedder.mu.Unlock()
	status, raw = call(t, srv, A, http.MethodGet, base+"/"+hybrid.ID+"/search?q=refund", "", nil)
	if res := decode[searchJSON](t, raw); status != http.StatusOK || res.Mode != hub.SearchModeFullText || len(res.Warnings) != 1 || len(res.Items) == 0 {
		t.Errorf("search without the model = %d %s", status, raw)
	}
	f.embedder.mu.Lock()
	f.embedder.Fail = nil
	f.embedder.mu.Unlock()

	// Renaming keeps the vectors; a new model re-embeds every document.
	status, raw = call(t, srv, A, http.MethodPatch, base+"/"+hybrid.ID, jsonCT, strings.NewReader(`{"name":"Help centre"}`))
	if kb := decode[kbJSON](t, raw); status != http.StatusOK || kb.Name != "Help centre" || kb.EmbeddingVersion != 1 || !kb.Embedding.HasAPIKey {
		t.Errorf("rename = %d %s", status, raw)
	}
	before := f.embedder.calls("bag-64-v2")
	status, raw = call(t, srv, A, http.MethodPatch, base+"/"+hybrid.ID, jsonCT,
		strings.NewReader(`{"embedding":{"provider":"openai","model":"bag-64-v2","base_url":"https://llm.example/v1"}}`))
	kb := decode[kbJSON](t, raw)
	if status != http.StatusOK || kb.EmbeddingVersion != 2 || kb.Embedding.Model != "bag-64-v2" || !kb.Embedding.HasAPIKey {
		t.Fatalf("model change = %d %s", status, raw)
	}
	req, result := f.ingester.last()
	if req.EmbeddingVersion != 2 || req.Run != 2 || req.Rechunk {
		t.Errorf("re-embedding run = %+v", req)
	}
	if result.Status != hub.DocumentReady {
		t.Errorf("re-embedding result = %+v", result)
	}
	if got := f.embedder.calls("bag-64-v2") - before; got != md.ChunkCount+txt.ChunkCount {
		t.Errorf("re-embedded %d chunks, want %d", got, md.ChunkCount+txt.ChunkCount)
	}
	status, raw = call(t, srv, A, http.MethodGet, base+"/"+hybrid.ID+"/documents/"+md.ID, "", nil)
	if d := decode[hub.Document](t, raw); d.Status != hub.DocumentReady || d.EmbeddingVersion != 2 || d.EmbeddedCount != md.ChunkCount {
		t.Errorf("re-embedded document = %+v", d)
	}
	// The model's dimension was recorded by the run; it survives a PATCH
	// that does not give one.
	_, raw = call(t, srv, A, http.MethodGet, base+"/"+hybrid.ID, "", nil)
	if kb = decode[kbJSON](t, raw); kb.Embedding.Dimension != 64 {
		t.Errorf("dimension = %d, want 64 recorded from the model", kb.Embedding.Dimension)
	}
	status, raw = call(t, srv, A, http.MethodPatch, base+"/"+hybrid.ID, jsonCT,
		strings.NewReader(`{"embedding":{"provider":"openai","model":"bag-64-v2","base_url":"https://llm.example/v1","api_key":""}}`))
	if kb := decode[kbJSON](t, raw); status != http.StatusOK || kb.EmbeddingVersion != 2 || kb.Embedding.HasAPIKey {
		t.Errorf("key removal = %d %s", status, raw)
	}
	// Removing the model: full text only.
	status, raw = call(t, srv, A, http.MethodPatch, base+"/"+hybrid.ID, jsonCT, strings.NewReader(`{"embedding":null}`))
	if kb := decode[kbJSON](t, raw); status != http.StatusOK || kb.Embedding != nil || kb.EmbeddingVersion != 3 {
		t.Errorf("model removal = %d %s", status, raw)
	}
	status, raw = call(t, srv, A, http.MethodGet, base+"/"+hybrid.ID+"/search?q=refund", "", nil)
	if res := decode[searchJSON](t, raw); res.Mode != hub.SearchModeFullText || len(res.Warnings) != 0 || len(res.Items) == 0 {
		t.Errorf("search without a model = %s", raw)
	}

	// Re-ingesting chunks again; deleting removes from search.
	status, raw = call(t, srv, A, http.MethodPost, base+"/"+hybrid.ID+"/documents/"+txt.ID+"/reingest", "", nil)
	if d := decode[hub.Document](t, raw); status != http.StatusAccepted || d.Status != hub.DocumentReady || d.Runs != 4 {
		t.Errorf("reingest = %d %s", status, raw)
	}
	if req, _ := f.ingester.last(); !req.Rechunk {
		t.Errorf("reingest run = %+v", req)
	}
	if status, _ := call(t, srv, A, http.MethodDelete, base+"/"+hybrid.ID+"/documents/"+txt.ID, "", nil); status != http.StatusNoContent {
		t.Errorf("delete document = %d", status)
	}
	status, raw = call(t, srv, A, http.MethodGet, base+"/"+hybrid.ID+"/search?q=Biscuit", "", nil)
	if res := decode[searchJSON](t, raw); len(res.Items) != 0 {
		t.Errorf("a deleted document is found: %s", raw)
	}
	if status, _ := call(t, srv, B, http.MethodDelete, base+"/"+hybrid.ID, "", nil); status != http.StatusNotFound {
		t.Errorf("B deletes A's base = %d", status)
	}
	if status, _ := call(t, srv, A, http.MethodDelete, base+"/"+hybrid.ID, "", nil); status != http.StatusNoContent {
		t.Errorf("delete base = %d", status)
	}
	if status, _ := call(t, srv, A, http.MethodGet, base+"/"+hybrid.ID, "", nil); status != http.StatusNotFound {
		t.Errorf("deleted base = %d", status)
	}
}

func TestUploadLimitsAndFailures(t *testing.T) {
	f := newFixture(t, knowledge.Config{MaxDocumentBytes: 1024})
	srv := f.server(t)
	A := f.tenantA
	kb, err := f.svc.CreateKnowledgeBase(context.Background(), hub.Principal{Kind: hub.PrincipalUser, ID: "u", TenantID: A},
		knowledge.KnowledgeBaseRequest{Name: "kb"})
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/knowledge-bases/" + kb.ID + "/documents"
	big := strings.Repeat("word ", 300) // 1500 bytes

	ct, body := multipartBody(t, "big.txt", "text/plain", []byte(big), nil)
	status, raw := call(t, srv, A, http.MethodPost, path, ct, body)
	p := decode[problem](t, raw)
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(p.Detail, "1 KiB") {
		t.Errorf("multipart too large = %d %s", status, raw)
	}
	jb, _ := json.Marshal(knowledge.TextUpload{Name: "big.txt", Text: big})
	if status, raw := call(t, srv, A, http.MethodPost, path, "application/json", bytes.NewReader(jb)); status != http.StatusRequestEntityTooLarge {
		t.Errorf("JSON too large = %d %s", status, raw)
	}
	if status, raw := call(t, srv, A, http.MethodPost, path, "application/json",
		strings.NewReader(`{"name":"ok.txt","text":"small enough"}`)); status != http.StatusAccepted {
		t.Errorf("small upload = %d %s", status, raw)
	}

	// A document that cannot be read fails with a message for its owner.
	ct, body = multipartBody(t, "broken.pdf", "application/pdf", []byte("%PDF-1.4\n1 0 obj garbage"), nil)
	status, raw = call(t, srv, A, http.MethodPost, path, ct, body)
	d := decode[hub.Document](t, raw)
	if status != http.StatusAccepted || d.Status != hub.DocumentFailed || !strings.Contains(d.Error, "PDF") {
		t.Errorf("broken PDF = %d %s", status, raw)
	}
	if _, res := f.ingester.last(); res.Status != hub.DocumentFailed {
		t.Errorf("run = %+v", res)
	}

	// Temporal down: 503 and nothing left behind.
	f.ingester.mu.Lock()
	f.ingester.Down = true
	f.ingester.mu.Unlock()
	status, raw = call(t, srv, A, http.MethodPost, path, "application/json", strings.NewReader(`{"name":"later.txt","text":"hello"}`))
	if status != http.StatusServiceUnavailable {
		t.Errorf("upload with Temporal down = %d %s", status, raw)
	}
	docs, _, _ := f.store.ListDocuments(context.Background(), A, kb.ID, hub.Page{})
	if len(docs) != 2 {
		t.Errorf("%d documents after a refused upload, want 2", len(docs))
	}
}

// TestEmbeddingFailureAndRecovery: a base whose model refuses fails its
// documents; fixing the key in a PATCH runs them again.
func TestEmbeddingFailureAndRecovery(t *testing.T) {
	f := newFixture(t, knowledge.Config{})
	ctx := context.Background()
	p := hub.Principal{Kind: hub.PrincipalUser, ID: "u", TenantID: f.tenantA}
	key := hub.Secret("sk-wrong")
	kb, err := f.svc.CreateKnowledgeBase(ctx, p, knowledge.KnowledgeBaseRequest{Name: "kb",
		Embedding: &knowledge.EmbeddingRequest{Provider: "openai", Model: "bag", APIKey: &key}})
	if err != nil {
		t.Fatal(err)
	}
	f.embedder.Fail = &hub.Error{Code: hub.EUPSTREAM, Message: "The provider answered 401: invalid API key.", UpstreamStatus: 401}
	d, err := f.svc.Upload(ctx, p, kb.ID, knowledge.Upload{Name: "a.txt", Data: []byte("Refunds take five days.")})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != hub.DocumentFailed || !strings.Contains(d.Error, "invalid API key") || d.ChunkCount != 1 {
		t.Errorf("document = %+v", d)
	}
	f.embedder.Fail = nil
	good := hub.Secret("sk-right")
	if _, err := f.svc.UpdateKnowledgeBase(ctx, f.tenantA, kb.ID, knowledge.KnowledgeBasePatch{
		Embedding: &knowledge.EmbeddingRequest{Provider: "openai", Model: "bag", APIKey: &good}}); err != nil {
		t.Fatal(err)
	}
	d, _ = f.svc.Document(ctx, f.tenantA, kb.ID, d.ID)
	if d.Status != hub.DocumentReady || d.EmbeddedCount != 1 || d.Runs != 2 {
		t.Errorf("after fixing the key: %+v", d)
	}
	res, err := f.svc.SearchKnowledge(ctx, f.tenantA, []string{kb.ID}, "refunds", 5)
	if err != nil || len(res) != 1 || res[0].VectorRank != 1 {
		t.Errorf("search = %+v, %v", res, err)
	}
}

func TestSearchAcrossKnowledgeBases(t *testing.T) {
	f := newFixture(t, knowledge.Config{})
	ctx := context.Background()
	p := hub.Principal{Kind: hub.PrincipalUser, ID: "u", TenantID: f.tenantA}
	var ids []string
	for i, req := range []knowledge.KnowledgeBaseRequest{
		{Name: "one", Embedding: &knowledge.EmbeddingRequest{Provider: "ollama", Model: "bag"}},
		{Name: "two", Embedding: &knowledge.EmbeddingRequest{Provider: "ollama", Model: "bag"}},
		{Name: "three"},
	} {
		kb, err := f.svc.CreateKnowledgeBase(ctx, p, req)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, kb.ID)
		if _, err := f.svc.Upload(ctx, p, kb.ID, knowledge.Upload{Name: "d.txt",
			Data: []byte(fmt.Sprintf("Base %d says: the warehouse opens at nine.", i+1))}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := f.svc.Search(ctx, f.tenantA, append(ids, ids[0]), "warehouse opens", 10)
	if err != nil {
		t.Fatal(err)
	}
	bases := map[string]bool{}
	for _, r := range res.Items {
		bases[r.KnowledgeBaseID] = true
	}
	if len(res.Items) != 3 || len(bases) != 3 || res.Mode != hub.SearchModeHybrid {
		t.Errorf("search = %+v", res)
	}
	if _, err := f.svc.Search(ctx, f.tenantB, ids, "warehouse", 10); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("B searches A's bases: %v", err)
	}
	if _, err := f.svc.Search(ctx, f.tenantA, nil, "warehouse", 10); hub.ErrorCode(err) != hub.EINVALID {
		t.Errorf("no bases: %v", err)
	}
}

func TestReciprocalRankFusion(t *testing.T) {
	r := func(id string) *hub.SearchResult { return &hub.SearchResult{ChunkID: id, Similarity: 0.5} }
	text := []*hub.SearchResult{r("a"), r("b"), r("c")}
	vec := []*hub.SearchResult{r("c"), r("d"), r("a")}
	got := knowledge.ReciprocalRankFusion(60, text, vec)
	type row struct {
		ID         string
		Text, Vect int
	}
	var rows []row
	for _, x := range got {
		rows = append(rows, row{x.ChunkID, x.FullTextRank, x.VectorRank})
	}
	// a: 1/61+1/63, c: 1/63+1/61 (tie: better full-text rank first), b: 1/62, d: 1/62 (tie: full-text rank first).
	want := []row{{"a", 1, 3}, {"c", 3, 1}, {"b", 2, 0}, {"d", 0, 2}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("fusion (-want +got):\n%s", diff)
	}
	if want := 1.0/61 + 1.0/63; got[0].Score < want-1e-6 || got[0].Score > want+1e-6 {
		t.Errorf("score = %v, want %v", got[0].Score, want)
	}
	if text[0].Score != 0 || text[0].VectorRank != 0 {
		t.Error("fusion changed its inputs")
	}
	_ = workflows.IngestDeleted
}

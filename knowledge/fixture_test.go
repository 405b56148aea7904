package knowledge_test

import (
	"context"
	"errors"
	"hash/fnv"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/testsuite"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/httpapi"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/knowledge"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/secrets"
	"github.com/bizoshub/bizos/workflows"
)

// bagEmbedder is a deterministic embedding model: a hashed bag of words
// (lower-cased letters and digits), L2-normalised, of Dim dimensions. Texts
// sharing words get similar vectors. Fail, when set, answers every call.
type bagEmbedder struct {
	Dim  int
	mu   sync.Mutex
	Fail error
	// Calls counts texts embedded per model.
	Calls map[string]int
}

func (e *bagEmbedder) Embed(ctx context.Context, cfg hub.LLMConfig, texts []string) ([][]float32, error) {
	e.mu.Lock()
	fail := e.Fail
	if e.Calls == nil {
		e.Calls = map[string]int{}
	}
	e.Calls[cfg.Model] += len(texts)
	e.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = bagVector(t, e.Dim)
	}
	return out, nil
}

func (e *bagEmbedder) calls(model string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.Calls[model]
}

func bagVector(text string, dim int) []float32 {
	v := make([]float32, dim)
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		h := fnv.New32a()
		h.Write([]byte(w))
		x := h.Sum32()
		if x&(1<<31) != 0 {
			v[int(x%uint32(dim))] -= 1
		} else {
			v[int(x%uint32(dim))] += 1
		}
	}
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n == 0 {
		v[0] = 1
		return v
	}
	for i := range v {
		v[i] = float32(float64(v[i]) / math.Sqrt(n))
	}
	return v
}

// suiteIngester runs each ingestion synchronously: the real IngestDocument
// workflow with the real activities, in the Temporal test environment.
type suiteIngester struct {
	t          *testing.T
	activities *workflows.IngestActivities
	mu         sync.Mutex
	requests   []knowledge.IngestRequest
	results    []workflows.IngestResult
	// Down makes StartIngestion fail, like an unreachable Temporal.
	Down bool
}

func (s *suiteIngester) StartIngestion(ctx context.Context, req knowledge.IngestRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Down {
		return errors.New("temporal: connection refused")
	}
	s.requests = append(s.requests, req)
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(quietLogger{})
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterActivity(s.activities)
	env.ExecuteWorkflow(workflows.IngestDocument, workflows.IngestInput{TenantID: req.TenantID, KnowledgeBaseID: req.KnowledgeBaseID,
		DocumentID: req.DocumentID, EmbeddingVersion: req.EmbeddingVersion, Rechunk: req.Rechunk, EmbedGroup: 4})
	if err := env.GetWorkflowError(); err != nil {
		s.t.Errorf("IngestDocument(%+v): %v", req, err)
		return nil
	}
	var res workflows.IngestResult
	if err := env.GetWorkflowResult(&res); err != nil {
		s.t.Error(err)
	}
	s.results = append(s.results, res)
	return nil
}

func (s *suiteIngester) last() (knowledge.IngestRequest, workflows.IngestResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[len(s.requests)-1], s.results[len(s.results)-1]
}

// quietLogger drops the test environment's logs.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}

type fixture struct {
	db       *postgres.DB
	store    *postgres.KnowledgeStore
	embedder *bagEmbedder
	ingester *suiteIngester
	svc      *knowledge.Service
	tenantA  string
	tenantB  string
}

func newFixture(t *testing.T, cfg knowledge.Config) *fixture {
	t.Helper()
	db := testenv.NewDB(t)
	spec, _ := secrets.NewKeySpec(1)
	ring, err := secrets.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, store: postgres.NewKnowledgeStore(db, ring), embedder: &bagEmbedder{Dim: 64}}
	f.ingester = &suiteIngester{t: t, activities: &workflows.IngestActivities{Store: f.store,
		Splitter: knowledge.NewSplitter(knowledge.ChunkOptions{Size: 200, Overlap: 40}), Embedder: f.embedder, BatchSize: 3}}
	cfg.Store, cfg.Ingester = f.store, f.ingester
	if cfg.Embedder == nil {
		cfg.Embedder = f.embedder
	}
	f.svc = knowledge.NewService(cfg)
	tenants := postgres.NewTenantStore(db)
	for i, slug := range []string{"alpha", "beta"} {
		tn := &hub.Tenant{Name: slug, Slug: testenv.UniqueName(slug)}
		if err := tenants.CreateTenant(context.Background(), tn); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			f.tenantA = tn.ID
		} else {
			f.tenantB = tn.ID
		}
	}
	return f
}

// headerAuth authenticates "X-Tenant: <tenant id>" as a user of that tenant.
type headerAuth struct{}

func (headerAuth) Authenticate(r *http.Request) (hub.Principal, error) {
	t := r.Header.Get("X-Tenant")
	if t == "" {
		return hub.Principal{}, hub.Errorf(hub.EUNAUTHORIZED, "no credentials")
	}
	return hub.Principal{Kind: hub.PrincipalUser, ID: "u-" + t, TenantID: t}, nil
}

// allowAll lets every principal do everything inside its own tenant.
type allowAll struct{}

func (allowAll) Authorize(_ context.Context, p hub.Principal, tenantID, _, _ string) error {
	if p.TenantID != tenantID {
		return hub.Errorf(hub.ENOTFOUND, "Tenant not found.")
	}
	return nil
}
func (allowAll) AssignRole(context.Context, string, string, hub.Role) error  { return nil }
func (allowAll) GrantScopes(context.Context, string, string, []string) error { return nil }
func (allowAll) RevokePrincipal(context.Context, string) error               { return nil }

func (f *fixture) server(t *testing.T) *httptest.Server {
	t.Helper()
	e, err := httpapi.NewEcho(httpapi.ServerConfig{Service: "test", Log: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	httpapi.Mount(e, knowledge.NewHandler(f.svc).Routes(), headerAuth{}, allowAll{})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

// call sends a request as a user of tenant and returns the status and the
// raw answer.
func call(t *testing.T, srv *httptest.Server, tenant, method, path, contentType string, body io.Reader) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, body)
	req.Header.Set("X-Tenant", tenant)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

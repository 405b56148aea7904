package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/agents/llm"
	"github.com/bizoshub/bizos/egress"
	"github.com/bizoshub/bizos/internal/fakes"
)

const testKey = "sk-test-0123456789abcdef"

// setup is one provider pointed at a fake.
type setup struct {
	provider string
	client   *llm.Client
	cfg      hub.LLMConfig
	fake     *fakes.LLM
}

// providers returns an Ollama and an OpenAI setup, each with its own fake:
// Ollama as the operator's OLLAMA_HOST, OpenAI as a tenant BaseURL with a key
// (loopback allowed by the egress policy).
func providers(t *testing.T) []setup {
	t.Helper()
	of := fakes.NewLLM(t)
	oc := llm.New(of.URL)

	af := fakes.NewLLM(t)
	af.RequireKey(testKey)
	ac := llm.New("")
	ac.Egress = loopbackPolicy(t)
	return []setup{
		{provider: "ollama", client: oc, fake: of, cfg: hub.LLMConfig{Provider: hub.LLMProviderOllama, Model: "llama3.2"}},
		{provider: "openai", client: ac, fake: af, cfg: hub.LLMConfig{Provider: hub.LLMProviderOpenAI, Model: "gpt-4o-mini",
			BaseURL: af.OpenAIURL, APIKey: testKey}},
	}
}

func loopbackPolicy(t *testing.T) *egress.Policy {
	t.Helper()
	p, err := egress.ParsePolicy("127.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

var conversation = []hub.ChatMessage{
	{Role: hub.RoleSystem, Content: "You are a CRM assistant."},
	{Role: hub.RoleUser, Content: "Who is ada@example.com?"},
}

var searchTool = hub.ToolSpec{Name: "crm_search", Description: "Search CRM contacts by e-mail.",
	Parameters: json.RawMessage(`{"type":"object","properties":{"email":{"type":"string"}},"required":["email"]}`)}

// wantMessages is the fake's view of conversation.
var wantMessages = []fakes.LLMMessage{
	{Role: "system", Content: "You are a CRM assistant."},
	{Role: "user", Content: "Who is ada@example.com?"},
}

func temp(v float64) *float64 { return &v }

func TestChatText(t *testing.T) {
	for _, s := range providers(t) {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%v", s.provider, stream), func(t *testing.T) {
				s.fake.Script(fakes.LLMText("Ada Lovelace is a customer since 2024."))
				var tokens []string
				var onToken func(string)
				if stream {
					onToken = func(tok string) { tokens = append(tokens, tok) }
				}
				got, err := s.client.Chat(ctx(t), hub.ChatRequest{LLM: s.cfg, Messages: conversation, Temperature: 0.3, MaxTokens: 200}, onToken)
				if err != nil {
					t.Fatalf("Chat: %v", err)
				}
				want := &hub.ChatResponse{
					Message: hub.ChatMessage{Role: hub.RoleAssistant, Content: "Ada Lovelace is a customer since 2024."},
					// the fake counts 1 + words per message, and the answer's words
					PromptTokens: 1 + 5 + 1 + 5, CompletionTokens: 7, StopReason: "stop",
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("response mismatch (-want +got):\n%s", diff)
				}
				var wantTokens []string
				if stream {
					wantTokens = []string{"Ada ", "Lovelace ", "is ", "a ", "customer ", "since ", "2024."}
				}
				if diff := cmp.Diff(wantTokens, tokens); diff != "" {
					t.Errorf("streamed tokens mismatch (-want +got):\n%s", diff)
				}
				reqs := s.fake.Requests()
				wantReq := fakes.LLMRequest{API: s.provider, Model: s.cfg.Model, Messages: wantMessages,
					Temperature: temp(0.3), MaxTokens: 200, Stream: stream}
				if s.provider == "openai" {
					wantReq.Key = testKey
				}
				if diff := cmp.Diff(wantReq, reqs[len(reqs)-1]); diff != "" {
					t.Errorf("request mismatch (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestChatTemperatureZeroIsSent(t *testing.T) {
	for _, s := range providers(t) {
		t.Run(s.provider, func(t *testing.T) {
			if _, err := s.client.Chat(ctx(t), hub.ChatRequest{LLM: s.cfg, Messages: conversation}, nil); err != nil {
				t.Fatalf("Chat: %v", err)
			}
			reqs := s.fake.Requests()
			if diff := cmp.Diff(temp(0), reqs[len(reqs)-1].Temperature); diff != "" {
				t.Errorf("temperature mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChatToolRoundTrip(t *testing.T) {
	for _, s := range providers(t) {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%v", s.provider, stream), func(t *testing.T) {
				s.fake.Script(fakes.LLMCall("crm_search", map[string]string{"email": "ada@example.com"}))
				s.fake.Respond(func(r fakes.LLMRequest) fakes.LLMTurn {
					if last := r.LastMessage(); last.Role == "tool" {
						return fakes.LLMText("Found: " + last.Content)
					}
					return fakes.LLMText("no tool result seen")
				})
				t.Cleanup(func() { s.fake.Respond(nil) })
				var tokens []string
				var onToken func(string)
				if stream {
					onToken = func(tok string) { tokens = append(tokens, tok) }
				}
				req := hub.ChatRequest{LLM: s.cfg, Messages: conversation, Tools: []hub.ToolSpec{searchTool}}

				first, err := s.client.Chat(ctx(t), req, onToken)
				if err != nil {
					t.Fatalf("Chat (tool call): %v", err)
				}
				if len(first.Message.ToolCalls) != 1 || first.Message.ToolCalls[0].ID == "" {
					t.Fatalf("want one tool call with an id, got %+v", first.Message)
				}
				call := first.Message.ToolCalls[0]
				wantFirst := hub.ChatMessage{Role: hub.RoleAssistant, ToolCalls: []hub.ToolCall{
					{ID: call.ID, Name: "crm_search", Arguments: json.RawMessage(`{"email":"ada@example.com"}`)}}}
				if diff := cmp.Diff(wantFirst, first.Message); diff != "" {
					t.Errorf("tool call mismatch (-want +got):\n%s", diff)
				}
				if first.StopReason != "tool_calls" {
					t.Errorf("StopReason = %q, want tool_calls", first.StopReason)
				}
				if len(tokens) != 0 {
					t.Errorf("a tool call streamed text: %q", tokens)
				}

				req.Messages = append(append([]hub.ChatMessage(nil), conversation...), first.Message,
					hub.ChatMessage{Role: hub.RoleTool, ToolCallID: call.ID, Name: "crm_search", Content: `{"name":"Ada Lovelace"}`})
				second, err := s.client.Chat(ctx(t), req, onToken)
				if err != nil {
					t.Fatalf("Chat (answer): %v", err)
				}
				if diff := cmp.Diff(hub.ChatMessage{Role: hub.RoleAssistant, Content: `Found: {"name":"Ada Lovelace"}`}, second.Message); diff != "" {
					t.Errorf("answer mismatch (-want +got):\n%s", diff)
				}

				reqs := s.fake.Requests()
				gotReq := reqs[len(reqs)-1]
				wantMsgs := append(append([]fakes.LLMMessage(nil), wantMessages...),
					fakes.LLMMessage{Role: "assistant", ToolCalls: []fakes.LLMToolCall{{Name: "crm_search", Arguments: `{"email":"ada@example.com"}`}}},
					fakes.LLMMessage{Role: "tool", Content: `{"name":"Ada Lovelace"}`, ToolCallID: call.ID})
				if s.provider == "ollama" {
					wantMsgs[3].Name = "crm_search" // Ollama matches results by tool_name
				} else {
					wantMsgs[2].ToolCalls[0].ID = call.ID // OpenAI by id
				}
				if diff := cmp.Diff(wantMsgs, gotReq.Messages); diff != "" {
					t.Errorf("messages sent mismatch (-want +got):\n%s", diff)
				}
				wantTools := []fakes.LLMTool{{Name: searchTool.Name, Description: searchTool.Description, Parameters: searchTool.Parameters}}
				if diff := cmp.Diff(wantTools, gotReq.Tools, cmp.Transformer("json", func(r json.RawMessage) any {
					var v any
					_ = json.Unmarshal(r, &v)
					return v
				})); diff != "" {
					t.Errorf("tools offered mismatch (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestChatParallelToolCalls(t *testing.T) {
	for _, s := range providers(t) {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%v", s.provider, stream), func(t *testing.T) {
				s.fake.Script(fakes.LLMTurn{Text: "Looking both up.", ToolCalls: []fakes.LLMToolCall{
					{Name: "crm_search", Arguments: `{"email":"ada@example.com"}`},
					{Name: "crm_search", Arguments: `{"email":"alan@example.com"}`},
				}})
				var onToken func(string)
				var streamed strings.Builder
				if stream {
					onToken = func(tok string) { streamed.WriteString(tok) }
				}
				got, err := s.client.Chat(ctx(t), hub.ChatRequest{LLM: s.cfg, Messages: conversation, Tools: []hub.ToolSpec{searchTool}}, onToken)
				if err != nil {
					t.Fatalf("Chat: %v", err)
				}
				want := hub.ChatMessage{Role: hub.RoleAssistant, Content: "Looking both up.", ToolCalls: []hub.ToolCall{
					{Name: "crm_search", Arguments: json.RawMessage(`{"email":"ada@example.com"}`)},
					{Name: "crm_search", Arguments: json.RawMessage(`{"email":"alan@example.com"}`)},
				}}
				if diff := cmp.Diff(want, got.Message, cmpopts.IgnoreFields(hub.ToolCall{}, "ID")); diff != "" {
					t.Errorf("message mismatch (-want +got):\n%s", diff)
				}
				if len(got.Message.ToolCalls) == 2 && (got.Message.ToolCalls[0].ID == "" || got.Message.ToolCalls[0].ID == got.Message.ToolCalls[1].ID) {
					t.Errorf("tool call ids must be set and distinct: %+v", got.Message.ToolCalls)
				}
				if stream && streamed.String() != "Looking both up." {
					t.Errorf("streamed %q, want the text only", streamed.String())
				}
			})
		}
	}
}

func TestChatTokenCounts(t *testing.T) {
	for _, s := range providers(t) {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%v", s.provider, stream), func(t *testing.T) {
				s.fake.Script(fakes.LLMTurn{Text: "Fine.", PromptTokens: 1234, CompletionTokens: 56})
				var onToken func(string)
				if stream {
					onToken = func(string) {}
				}
				got, err := s.client.Chat(ctx(t), hub.ChatRequest{LLM: s.cfg, Messages: conversation}, onToken)
				if err != nil {
					t.Fatalf("Chat: %v", err)
				}
				if diff := cmp.Diff([2]int{1234, 56}, [2]int{got.PromptTokens, got.CompletionTokens}); diff != "" {
					t.Errorf("token counts mismatch (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}

func TestEmbed(t *testing.T) {
	texts := []string{"Refund policy for Shopify orders", "shopify refund orders", "Quarterly Google Ads budget"}
	for _, s := range providers(t) {
		t.Run(s.provider, func(t *testing.T) {
			cfg := s.cfg
			cfg.Model = "nomic-embed-text"
			got, err := s.client.Embed(ctx(t), cfg, texts)
			if err != nil {
				t.Fatalf("Embed: %v", err)
			}
			want := make([][]float32, len(texts))
			for i, text := range texts {
				want[i] = fakes.HashEmbedding(text, 64)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("vectors mismatch (-want +got):\n%s", diff)
			}
			if len(got) == 3 && cosine(got[0], got[1]) <= cosine(got[0], got[2]) {
				t.Errorf("related texts are not closer: %v vs %v", cosine(got[0], got[1]), cosine(got[0], got[2]))
			}
			var inputs []string
			for _, r := range s.fake.EmbedRequests() {
				if r.Model != "nomic-embed-text" {
					t.Errorf("embedding model = %q", r.Model)
				}
				inputs = append(inputs, r.Inputs...)
			}
			if diff := cmp.Diff(texts, inputs); diff != "" {
				t.Errorf("texts sent mismatch (-want +got):\n%s", diff)
			}

			empty, err := s.client.Embed(ctx(t), cfg, nil)
			if err != nil || len(empty) != 0 {
				t.Errorf("Embed(nil) = %v, %v; want no vectors, no error", empty, err)
			}
		})
	}
}

func TestEmbedBatches(t *testing.T) {
	s := providers(t)[1]
	texts := make([]string, 300)
	for i := range texts {
		texts[i] = fmt.Sprintf("document %d", i)
	}
	got, err := s.client.Embed(ctx(t), s.cfg, texts)
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	var sizes []int
	for _, r := range s.fake.EmbedRequests() {
		sizes = append(sizes, len(r.Inputs))
	}
	if diff := cmp.Diff([]int{128, 128, 44}, sizes); diff != "" {
		t.Errorf("batch sizes mismatch (-want +got):\n%s", diff)
	}
	if len(got) != 300 || cmp.Diff(fakes.HashEmbedding("document 299", 64), got[299]) != "" {
		t.Errorf("vectors out of order or missing (%d)", len(got))
	}
}

// wantError checks an error's code, and that its message mentions want.
func wantError(t *testing.T, err error, code, mention string) *hub.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", code)
	}
	if got := hub.ErrorCode(err); got != code {
		t.Fatalf("code = %s, want %s (%v)", got, code, err)
	}
	if !strings.Contains(hub.ErrorMessage(err), mention) {
		t.Errorf("message %q does not mention %q", hub.ErrorMessage(err), mention)
	}
	var e *hub.Error
	errors.As(err, &e)
	return e
}

func TestInvalidRequests(t *testing.T) {
	c := llm.New("")
	tests := []struct {
		name    string
		req     hub.ChatRequest
		mention string
	}{
		{"unknown provider", hub.ChatRequest{LLM: hub.LLMConfig{Provider: "anthropic", Model: "claude"}, Messages: conversation}, "llm.provider"},
		{"no provider", hub.ChatRequest{LLM: hub.LLMConfig{Model: "x"}, Messages: conversation}, "llm.provider"},
		{"no model", hub.ChatRequest{LLM: hub.LLMConfig{Provider: "ollama"}, Messages: conversation}, "llm.model"},
		{"bad base URL", hub.ChatRequest{LLM: hub.LLMConfig{Provider: "openai", Model: "m", BaseURL: "ftp://x"}, Messages: conversation}, "llm.base_url"},
		{"credentials in base URL", hub.ChatRequest{LLM: hub.LLMConfig{Provider: "openai", Model: "m", BaseURL: "https://u:p@x.test/v1"}, Messages: conversation}, "llm.base_url"},
		{"temperature too high", hub.ChatRequest{LLM: hub.LLMConfig{Provider: "openai", Model: "m", APIKey: "k"}, Messages: conversation, Temperature: 2.5}, "temperature"},
		{"negative temperature", hub.ChatRequest{LLM: hub.LLMConfig{Provider: "ollama", Model: "m"}, Messages: conversation, Temperature: -1}, "temperature"},
		{"no messages", hub.ChatRequest{LLM: hub.LLMConfig{Provider: "ollama", Model: "m"}}, "messages"},
		{"bad role", hub.ChatRequest{LLM: hub.LLMConfig{Provider: "ollama", Model: "m"}, Messages: []hub.ChatMessage{{Role: "robot"}}}, "messages[0].role"},
		{"bad tool schema", hub.ChatRequest{LLM: hub.LLMConfig{Provider: "ollama", Model: "m"}, Messages: conversation,
			Tools: []hub.ToolSpec{{Name: "t", Parameters: json.RawMessage(`[1]`)}}}, "tools[0].parameters"},
		{"OpenAI without key", hub.ChatRequest{LLM: hub.LLMConfig{Provider: "openai", Model: "gpt-4o"}, Messages: conversation}, "llm.api_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Chat(ctx(t), tt.req, nil)
			wantError(t, err, hub.EINVALID, tt.mention)
		})
	}
	t.Run("embed unknown provider", func(t *testing.T) {
		_, err := c.Embed(ctx(t), hub.LLMConfig{Provider: "cohere", Model: "embed"}, []string{"x"})
		wantError(t, err, hub.EINVALID, "llm.provider")
	})
}

func TestCheckConfigAndTemperatureRange(t *testing.T) {
	tests := []struct {
		cfg  hub.LLMConfig
		want string // error code, "" for valid
	}{
		{hub.LLMConfig{Provider: "ollama", Model: "llama3.2"}, ""},
		{hub.LLMConfig{Provider: "openai", Model: "gpt-4o", BaseURL: "https://openrouter.ai/api/v1"}, ""},
		{hub.LLMConfig{Provider: "openai", Model: " "}, hub.EINVALID},
		{hub.LLMConfig{Provider: "vertex", Model: "gemini"}, hub.EINVALID},
		{hub.LLMConfig{Provider: "ollama", Model: "m", BaseURL: "localhost:11434"}, hub.EINVALID},
	}
	for _, tt := range tests {
		if got := hub.ErrorCode(llm.CheckConfig(tt.cfg)); got != tt.want {
			t.Errorf("CheckConfig(%+v) = %q, want %q", tt.cfg, got, tt.want)
		}
	}
	ranges := map[string][2]float64{}
	for _, p := range []string{"ollama", "openai", "other"} {
		lo, hi := llm.TemperatureRange(p)
		ranges[p] = [2]float64{lo, hi}
	}
	if diff := cmp.Diff(map[string][2]float64{"ollama": {0, 2}, "openai": {0, 2}, "other": {0, 0}}, ranges); diff != "" {
		t.Errorf("ranges mismatch (-want +got):\n%s", diff)
	}
}

func TestServerDown(t *testing.T) {
	srv := httptest.NewServer(nil)
	down := srv.URL
	srv.Close()
	oc := llm.New(down)
	ac := llm.New("")
	ac.Egress = loopbackPolicy(t)
	tests := []struct {
		name string
		c    *llm.Client
		cfg  hub.LLMConfig
	}{
		{"ollama", oc, hub.LLMConfig{Provider: "ollama", Model: "llama3.2"}},
		{"openai", ac, hub.LLMConfig{Provider: "openai", Model: "gpt-4o", BaseURL: down + "/v1", APIKey: testKey}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.Chat(ctx(t), hub.ChatRequest{LLM: tt.cfg, Messages: conversation}, nil)
			wantError(t, err, hub.EUNAVAILABLE, "cannot be reached")
			_, err = tt.c.Chat(ctx(t), hub.ChatRequest{LLM: tt.cfg, Messages: conversation}, func(string) {})
			wantError(t, err, hub.EUNAVAILABLE, "cannot be reached")
			_, err = tt.c.Embed(ctx(t), tt.cfg, []string{"x"})
			wantError(t, err, hub.EUNAVAILABLE, "cannot be reached")
		})
	}
}

func TestBadKey(t *testing.T) {
	s := providers(t)[1]
	const wrong = "sk-wrong-key-zyxwvuts"
	cfg := s.cfg
	cfg.APIKey = wrong
	check := func(t *testing.T, err error) {
		t.Helper()
		e := wantError(t, err, hub.EUNAUTHORIZED, "refused the API key (HTTP 401); check llm.api_key")
		if e != nil && e.UpstreamStatus != 401 {
			t.Errorf("UpstreamStatus = %d, want 401", e.UpstreamStatus)
		}
		for _, leak := range []string{wrong, testKey, wrong[len(wrong)-4:]} {
			if strings.Contains(err.Error(), leak) || strings.Contains(fmt.Sprintf("%+v", err), leak) {
				t.Errorf("error leaks key material %q: %v", leak, err)
			}
		}
	}
	t.Run("chat", func(t *testing.T) {
		_, err := s.client.Chat(ctx(t), hub.ChatRequest{LLM: cfg, Messages: conversation}, nil)
		check(t, err)
	})
	t.Run("chat streamed", func(t *testing.T) {
		_, err := s.client.Chat(ctx(t), hub.ChatRequest{LLM: cfg, Messages: conversation}, func(string) {})
		check(t, err)
	})
	t.Run("embed", func(t *testing.T) {
		_, err := s.client.Embed(ctx(t), cfg, []string{"x"})
		check(t, err)
	})
	t.Run("no key at a key-protected endpoint", func(t *testing.T) {
		cfg := s.cfg
		cfg.APIKey = ""
		_, err := s.client.Chat(ctx(t), hub.ChatRequest{LLM: cfg, Messages: conversation}, nil)
		wantError(t, err, hub.EUNAUTHORIZED, "API key")
	})
}

func TestUpstreamErrors(t *testing.T) {
	tests := []struct {
		turn    fakes.LLMTurn
		code    string
		status  int
		mention string
	}{
		{fakes.LLMError(500, "CUDA out of memory"), hub.EUNAVAILABLE, 500, "CUDA out of memory"},
		{fakes.LLMError(503, ""), hub.EUNAVAILABLE, 503, "HTTP 503"},
		{fakes.LLMError(404, `model "llama9" not found, try pulling it first`), hub.EINVALID, 404, "llama9"},
		{fakes.LLMError(429, "slow down"), hub.EUPSTREAM, 429, "rate limiting"},
		{fakes.LLMError(400, "registry.ollama.ai/library/gemma does not support tools"), hub.EUPSTREAM, 400, "does not support tools"},
		{fakes.LLMError(401, "unauthorized"), hub.EUNAUTHORIZED, 401, "API key"},
	}
	for _, s := range providers(t) {
		for _, stream := range []bool{false, true} {
			for _, tt := range tests {
				t.Run(fmt.Sprintf("%s/stream=%v/%d", s.provider, stream, tt.status), func(t *testing.T) {
					s.fake.Script(tt.turn)
					var onToken func(string)
					if stream {
						onToken = func(string) {}
					}
					_, err := s.client.Chat(ctx(t), hub.ChatRequest{LLM: s.cfg, Messages: conversation}, onToken)
					e := wantError(t, err, tt.code, tt.mention)
					if e != nil && e.UpstreamStatus != tt.status {
						t.Errorf("UpstreamStatus = %d, want %d", e.UpstreamStatus, tt.status)
					}
					if tt.status == 429 && e != nil && e.RetryAfter < 1 {
						t.Errorf("RetryAfter = %d, want ≥ 1", e.RetryAfter)
					}
				})
			}
		}
	}
}

func TestEgressGuardsTenantBaseURL(t *testing.T) {
	f := fakes.NewLLM(t)
	c := llm.New("") // no Egress: private and loopback addresses are refused
	for _, cfg := range []hub.LLMConfig{
		{Provider: "openai", Model: "m", BaseURL: f.OpenAIURL, APIKey: testKey},
		{Provider: "ollama", Model: "m", BaseURL: f.URL},
	} {
		t.Run(cfg.Provider, func(t *testing.T) {
			_, err := c.Chat(ctx(t), hub.ChatRequest{LLM: cfg, Messages: conversation}, nil)
			wantError(t, err, hub.EINVALID, "llm.base_url")
			_, err = c.Embed(ctx(t), cfg, []string{"x"})
			wantError(t, err, hub.EINVALID, "llm.base_url")
		})
	}
	if n := len(f.Requests()) + len(f.EmbedRequests()); n != 0 {
		t.Errorf("the fake received %d requests", n)
	}
	// The operator's own OLLAMA_HOST is trusted, also when a config names it.
	trusted := llm.New(f.URL)
	if _, err := trusted.Chat(ctx(t), hub.ChatRequest{LLM: hub.LLMConfig{Provider: "ollama", Model: "m", BaseURL: f.URL}, Messages: conversation}, nil); err != nil {
		t.Errorf("Chat at the operator's Ollama: %v", err)
	}
}

func TestDeadline(t *testing.T) {
	s := providers(t)[0]
	c, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-c.Done()
	_, err := s.client.Chat(c, hub.ChatRequest{LLM: s.cfg, Messages: conversation}, nil)
	wantError(t, err, hub.EUNAVAILABLE, "did not answer in time")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error does not wrap context.DeadlineExceeded: %v", err)
	}
}

func TestConcurrentChats(t *testing.T) {
	for _, s := range providers(t) {
		t.Run(s.provider, func(t *testing.T) {
			s.fake.Respond(func(r fakes.LLMRequest) fakes.LLMTurn {
				return fakes.LLMText("echo: " + r.LastMessage().Content)
			})
			var wg sync.WaitGroup
			errs := make([]error, 50)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					msg := fmt.Sprintf("run %d", i)
					var onToken func(string)
					if i%2 == 0 {
						onToken = func(string) {}
					}
					resp, err := s.client.Chat(ctx(t), hub.ChatRequest{LLM: s.cfg, Messages: []hub.ChatMessage{{Role: hub.RoleUser, Content: msg}}}, onToken)
					if err == nil && resp.Message.Content != "echo: "+msg {
						err = fmt.Errorf("answer %q for %q", resp.Message.Content, msg)
					}
					errs[i] = err
				}()
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Error(err)
			}
		})
	}
}

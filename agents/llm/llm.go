// Package llm calls chat and embedding models for the hub: Ollama and any
// OpenAI-compatible endpoint (OpenAI, OpenRouter, vLLM), through langchaingo.
//
// Client implements hub.ChatModel and hub.Embedder and routes each call by
// LLMConfig.Provider. OpenAI-compatible calls go through langchaingo's
// llms/openai; Ollama embeddings through langchaingo's llms/ollama. Ollama
// chat uses this package's own langchaingo llms.Model speaking Ollama's
// native /api/chat, because langchaingo v0.1.14's llms/ollama has no tool
// calling: it sends no tools, drops message.tool_calls from answers and
// refuses tool-call and tool-result message parts. See ollama.go.
//
// Errors are *hub.Error: an unreachable server, a 5xx or a timeout is
// EUNAVAILABLE, a refused API key EUNAUTHORIZED, a 429 EUPSTREAM with
// RetryAfter, an unknown model (404) or bad configuration EINVALID, anything
// else the provider refused EUPSTREAM. The API key never appears in an error.
package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/egress"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/ollama"
	"github.com/tmc/langchaingo/llms/openai"
)

// DefaultOllamaURL is the Ollama server used when neither the config's
// BaseURL nor the OLLAMA_HOST given to New names one.
const DefaultOllamaURL = "http://127.0.0.1:11434"

// DefaultOpenAIURL is the OpenAI-compatible base URL used when the config's
// BaseURL is empty.
const DefaultOpenAIURL = "https://api.openai.com/v1"

// embedBatch is the most texts sent in one embedding request.
const embedBatch = 128

// noKey is the bearer token sent to an OpenAI-compatible BaseURL when the
// config has no API key (a local vLLM, say): langchaingo refuses an empty
// token and would otherwise fall back to the process's OPENAI_API_KEY, which
// must never reach a tenant-supplied endpoint.
const noKey = "no-key"

// Client calls chat and embedding models; it implements hub.ChatModel and
// hub.Embedder and is safe for concurrent use. The zero value is not usable;
// call New.
type Client struct {
	// Transport carries calls to the operator's endpoints: the Ollama host
	// given to New (or DefaultOllamaURL) and DefaultOpenAIURL. nil means a
	// pooled transport of this package.
	Transport http.RoundTripper
	// Egress guards calls to an LLMConfig.BaseURL, which tenants supply: its
	// addresses are checked at connect time. nil refuses private, loopback,
	// link-local and metadata addresses; an operator who runs Ollama or vLLM
	// on a private network allows it with BIZOS_EGRESS_ALLOW's policy.
	Egress *egress.Policy

	ollamaURL string // normalised OLLAMA_HOST, or DefaultOllamaURL

	once    sync.Once
	trusted http.RoundTripper
	guarded http.RoundTripper
}

// New returns a Client whose default Ollama server is ollamaHost (the
// OLLAMA_HOST setting: "host", "host:port" or a URL; empty means
// DefaultOllamaURL). A config's BaseURL takes precedence over it.
func New(ollamaHost string) *Client {
	return &Client{ollamaURL: normalizeOllamaHost(ollamaHost)}
}

var (
	_ hub.ChatModel = (*Client)(nil)
	_ hub.Embedder  = (*Client)(nil)
)

// normalizeOllamaHost turns an OLLAMA_HOST value into a base URL the way
// Ollama's own client does: scheme http and port 11434 unless given.
func normalizeOllamaHost(h string) string {
	h = strings.TrimRight(strings.TrimSpace(h), "/")
	if h == "" {
		return DefaultOllamaURL
	}
	if !strings.Contains(h, "://") {
		h = "http://" + h
	}
	u, err := url.Parse(h)
	if err != nil || u.Host == "" {
		return DefaultOllamaURL
	}
	if u.Port() == "" && u.Scheme == "http" {
		u.Host = net.JoinHostPort(u.Hostname(), "11434")
	}
	return strings.TrimRight(u.String(), "/")
}

// TemperatureRange returns the sampling temperatures a provider accepts.
// OpenAI documents 0 to 2 for chat completions; Ollama documents no bound
// (its runners accept any value ≥ 0, 0.8 by default), and the hub uses the
// same 0 to 2 there, since higher values produce noise. An unknown provider
// yields 0, 0.
func TemperatureRange(provider string) (lo, hi float64) {
	switch provider {
	case hub.LLMProviderOllama, hub.LLMProviderOpenAI:
		return 0, 2
	}
	return 0, 0
}

// CheckConfig validates a model configuration without calling it: the
// provider is known, the model is named, and a BaseURL, when set, is an http
// or https URL without credentials. Failures are EINVALID naming the field
// ("llm.provider", "llm.model", "llm.base_url").
func CheckConfig(cfg hub.LLMConfig) error {
	switch cfg.Provider {
	case hub.LLMProviderOllama, hub.LLMProviderOpenAI:
	case "":
		return hub.InvalidField("llm.provider", "is required (ollama or openai)")
	default:
		return hub.InvalidField("llm.provider", fmt.Sprintf("%q is not a known provider (ollama or openai)", cfg.Provider))
	}
	if strings.TrimSpace(cfg.Model) == "" {
		return hub.InvalidField("llm.model", "is required")
	}
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return hub.InvalidField("llm.base_url", "must be an http or https URL without credentials")
		}
	}
	return nil
}

// target is where one call goes.
type target struct {
	provider string
	baseURL  string
	trusted  bool // an operator endpoint, not a tenant-supplied one
}

func (c *Client) target(cfg hub.LLMConfig) target {
	t := target{provider: cfg.Provider, baseURL: strings.TrimRight(cfg.BaseURL, "/")}
	switch {
	case cfg.Provider == hub.LLMProviderOllama && (t.baseURL == "" || t.baseURL == c.ollamaURL):
		t.baseURL, t.trusted = c.ollamaURL, true
	case cfg.Provider == hub.LLMProviderOpenAI && (t.baseURL == "" || t.baseURL == DefaultOpenAIURL):
		t.baseURL, t.trusted = DefaultOpenAIURL, true
	}
	return t
}

// host is the target's host for messages (no credentials, no path).
func (t target) host() string {
	if u, err := url.Parse(t.baseURL); err == nil && u.Host != "" {
		return u.Host
	}
	return t.baseURL
}

func (c *Client) transports() (trusted, guarded http.RoundTripper) {
	c.once.Do(func() {
		c.trusted = c.Transport
		if c.trusted == nil {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.MaxIdleConnsPerHost = 64
			c.trusted = tr
		}
		policy := c.Egress
		if policy == nil {
			policy, _ = egress.ParsePolicy("")
		}
		tr := policy.Transport()
		// A non-streamed answer arrives only when the model has finished;
		// the caller's context bounds the wait instead.
		tr.ResponseHeaderTimeout = 0
		c.guarded = tr
	})
	return c.trusted, c.guarded
}

// httpClient returns a client for one call whose transport records the
// answer's status (see recorder).
func (c *Client) httpClient(t target) (*http.Client, *recorder) {
	trusted, guarded := c.transports()
	base := guarded
	if t.trusted {
		base = trusted
	}
	rec := &recorder{base: base}
	return &http.Client{Transport: rec}, rec
}

// chatModel builds the langchaingo model for one call.
func (c *Client) chatModel(t target, cfg hub.LLMConfig, hc *http.Client) (llms.Model, error) {
	if t.provider == hub.LLMProviderOllama {
		return &ollamaChat{baseURL: t.baseURL, model: cfg.Model, http: hc}, nil
	}
	return c.openai(t, cfg, hc)
}

func (c *Client) openai(t target, cfg hub.LLMConfig, hc *http.Client) (*openai.LLM, error) {
	key := cfg.APIKey.Reveal()
	if key == "" {
		if t.trusted {
			return nil, hub.InvalidField("llm.api_key", "is required for "+DefaultOpenAIURL)
		}
		key = noKey
	}
	m, err := openai.New(openai.WithToken(key), openai.WithBaseURL(t.baseURL), openai.WithModel(cfg.Model),
		openai.WithEmbeddingModel(cfg.Model), openai.WithOrganization(""), openai.WithHTTPClient(hc))
	if err != nil {
		return nil, &hub.Error{Code: hub.EINTERNAL, Message: "The OpenAI client could not be built.", Err: err}
	}
	return m, nil
}

// Chat sends a conversation to the configured model and returns its answer.
// onToken, when not nil, receives the answer's text as it streams (tool calls
// are not streamed; they arrive in the response).
func (c *Client) Chat(ctx context.Context, req hub.ChatRequest, onToken func(string)) (*hub.ChatResponse, error) {
	if err := CheckConfig(req.LLM); err != nil {
		return nil, err
	}
	if lo, hi := TemperatureRange(req.LLM.Provider); req.Temperature < lo || req.Temperature > hi {
		return nil, hub.InvalidField("temperature", fmt.Sprintf("must be between %g and %g for %s", lo, hi, req.LLM.Provider))
	}
	if req.MaxTokens < 0 {
		return nil, hub.InvalidField("max_tokens", "must not be negative")
	}
	msgs, err := toMessages(req.Messages)
	if err != nil {
		return nil, err
	}
	tools, err := toTools(req.Tools)
	if err != nil {
		return nil, err
	}
	t := c.target(req.LLM)
	opts := []llms.CallOption{llms.WithModel(req.LLM.Model), llms.WithTemperature(req.Temperature)}
	if req.MaxTokens > 0 {
		opts = append(opts, llms.WithMaxTokens(req.MaxTokens))
		if t.provider == hub.LLMProviderOpenAI && !t.trusted {
			// OpenAI itself wants max_completion_tokens (langchaingo's
			// default); compatible servers (OpenRouter, vLLM, Ollama's /v1)
			// all know max_tokens, not all the newer field.
			opts = append(opts, llms.WithMetadata(map[string]any{"openai:use_legacy_max_tokens": true}))
		}
	}
	if len(tools) > 0 {
		opts = append(opts, llms.WithTools(tools))
	}
	if onToken != nil {
		opts = append(opts, llms.WithStreamingFunc(func(_ context.Context, chunk []byte) error {
			// langchaingo's OpenAI client also passes streamed tool-call
			// deltas here, as JSON; only text is the caller's.
			if len(chunk) > 0 && !isToolCallDelta(chunk) {
				onToken(string(chunk))
			}
			return nil
		}))
	}

	hc, rec := c.httpClient(t)
	model, err := c.chatModel(t, req.LLM, hc)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	resp, err := model.GenerateContent(ctx, msgs, opts...)
	elapsed := time.Since(start)
	if err != nil {
		observeChat(t.provider, req.LLM.Model, elapsed, 0, 0)
		return nil, classify(ctx, "chat", t, req.LLM, rec, err)
	}
	if len(resp.Choices) == 0 {
		observeChat(t.provider, req.LLM.Model, elapsed, 0, 0)
		return nil, classify(ctx, "chat", t, req.LLM, rec, openai.ErrEmptyResponse)
	}
	out := fromChoice(resp.Choices[0])
	observeChat(t.provider, req.LLM.Model, elapsed, out.PromptTokens, out.CompletionTokens)
	return out, nil
}

// Embed turns texts into vectors with the configured embedding model, in
// the order of texts. Texts are sent in batches of up to 128 (Ollama: one
// request per text, as langchaingo's llms/ollama does).
func (c *Client) Embed(ctx context.Context, cfg hub.LLMConfig, texts []string) ([][]float32, error) {
	if err := CheckConfig(cfg); err != nil {
		return nil, err
	}
	if len(texts) == 0 {
		return [][]float32{}, nil
	}
	t := c.target(cfg)
	hc, rec := c.httpClient(t)
	var embed func(context.Context, []string) ([][]float32, error)
	if t.provider == hub.LLMProviderOllama {
		m, err := ollama.New(ollama.WithServerURL(t.baseURL), ollama.WithModel(cfg.Model), ollama.WithHTTPClient(hc))
		if err != nil {
			return nil, &hub.Error{Code: hub.EINTERNAL, Message: "The Ollama client could not be built.", Err: err}
		}
		embed = m.CreateEmbedding
	} else {
		m, err := c.openai(t, cfg, hc)
		if err != nil {
			return nil, err
		}
		embed = m.CreateEmbedding
	}
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += embedBatch {
		batch := texts[start:min(start+embedBatch, len(texts))]
		vecs, err := embed(ctx, batch)
		if err != nil {
			return nil, classify(ctx, "embed", t, cfg, rec, err)
		}
		if len(vecs) != len(batch) {
			return nil, &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusBadGateway,
				Message: fmt.Sprintf("The %s provider returned %d embeddings for %d texts.", t.provider, len(vecs), len(batch))}
		}
		for i, v := range vecs {
			if len(v) == 0 {
				return nil, &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusBadGateway,
					Message: fmt.Sprintf("The %s provider returned an empty embedding for text %d.", t.provider, start+i)}
			}
		}
		out = append(out, vecs...)
	}
	return out, nil
}

// ---- hub ⇄ langchaingo ----

// toMessages maps hub messages to langchaingo's: assistant tool calls become
// llms.ToolCall parts, tool results one llms.ToolCallResponse part.
func toMessages(msgs []hub.ChatMessage) ([]llms.MessageContent, error) {
	if len(msgs) == 0 {
		return nil, hub.InvalidField("messages", "at least one message is required")
	}
	out := make([]llms.MessageContent, 0, len(msgs))
	for i, m := range msgs {
		switch m.Role {
		case hub.RoleSystem:
			out = append(out, llms.TextParts(llms.ChatMessageTypeSystem, m.Content))
		case hub.RoleUser:
			out = append(out, llms.TextParts(llms.ChatMessageTypeHuman, m.Content))
		case hub.RoleAssistant:
			mc := llms.MessageContent{Role: llms.ChatMessageTypeAI}
			if m.Content != "" || len(m.ToolCalls) == 0 {
				mc.Parts = append(mc.Parts, llms.TextPart(m.Content))
			}
			for _, tc := range m.ToolCalls {
				args := strings.TrimSpace(string(tc.Arguments))
				if args == "" || args == "null" {
					args = "{}"
				}
				mc.Parts = append(mc.Parts, llms.ToolCall{ID: tc.ID, Type: "function",
					FunctionCall: &llms.FunctionCall{Name: tc.Name, Arguments: args}})
			}
			out = append(out, mc)
		case hub.RoleTool:
			out = append(out, llms.MessageContent{Role: llms.ChatMessageTypeTool, Parts: []llms.ContentPart{
				llms.ToolCallResponse{ToolCallID: m.ToolCallID, Name: m.Name, Content: m.Content}}})
		default:
			return nil, hub.InvalidField(fmt.Sprintf("messages[%d].role", i), "must be system, user, assistant or tool")
		}
	}
	return out, nil
}

// emptySchema is the parameters of a tool that declares none.
var emptySchema = json.RawMessage(`{"type":"object","properties":{}}`)

func toTools(specs []hub.ToolSpec) ([]llms.Tool, error) {
	out := make([]llms.Tool, 0, len(specs))
	for i, s := range specs {
		if s.Name == "" {
			return nil, hub.InvalidField(fmt.Sprintf("tools[%d].name", i), "is required")
		}
		params := emptySchema
		if p := strings.TrimSpace(string(s.Parameters)); p != "" && p != "null" {
			var obj map[string]any
			if json.Unmarshal(s.Parameters, &obj) != nil {
				return nil, hub.InvalidField(fmt.Sprintf("tools[%d].parameters", i), "must be a JSON Schema object")
			}
			params = s.Parameters
		}
		out = append(out, llms.Tool{Type: "function", Function: &llms.FunctionDefinition{
			Name: s.Name, Description: s.Description, Parameters: params}})
	}
	return out, nil
}

// fromChoice maps langchaingo's answer back to the hub's.
func fromChoice(ch *llms.ContentChoice) *hub.ChatResponse {
	resp := &hub.ChatResponse{
		Message:          hub.ChatMessage{Role: hub.RoleAssistant, Content: ch.Content},
		PromptTokens:     intInfo(ch.GenerationInfo, "PromptTokens"),
		CompletionTokens: intInfo(ch.GenerationInfo, "CompletionTokens"),
		StopReason:       ch.StopReason,
	}
	for _, tc := range ch.ToolCalls {
		if tc.FunctionCall == nil {
			continue
		}
		id := tc.ID
		if id == "" {
			id = newCallID()
		}
		resp.Message.ToolCalls = append(resp.Message.ToolCalls, hub.ToolCall{ID: id, Name: tc.FunctionCall.Name,
			Arguments: rawArgs(tc.FunctionCall.Arguments)})
	}
	if len(resp.Message.ToolCalls) > 0 && (resp.StopReason == "" || resp.StopReason == "stop") {
		resp.StopReason = "tool_calls"
	}
	return resp
}

// rawArgs turns a model's argument text into JSON: "{}" when empty, the text
// itself when it is valid JSON, and otherwise the text as a JSON string, so
// that the tool layer reports the malformed arguments to the model instead of
// the answer failing to serialise.
func rawArgs(s string) json.RawMessage {
	s = strings.TrimSpace(s)
	if s == "" {
		return json.RawMessage("{}")
	}
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	b, _ := json.Marshal(s)
	return b
}

// intInfo reads a token count from langchaingo's generation info.
func intInfo(info map[string]any, key string) int {
	switch v := info[key].(type) {
	case int:
		return v
	case int32:
		return int(v)
	case int64:
		return int(v)
	case float64:
		return int(v)
	}
	return 0
}

// isToolCallDelta reports whether a streamed chunk is langchaingo's JSON
// rendering of streamed tool-call deltas rather than text: a JSON array of
// objects that each carry "type" and "function" (openaiclient.ToolCall always
// marshals both). A text token of that shape does not occur in practice.
func isToolCallDelta(b []byte) bool {
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return false
	}
	var calls []map[string]json.RawMessage
	if json.Unmarshal(b, &calls) != nil || len(calls) == 0 {
		return false
	}
	for _, c := range calls {
		if _, ok := c["function"]; !ok {
			return false
		}
		if _, ok := c["type"]; !ok {
			return false
		}
	}
	return true
}

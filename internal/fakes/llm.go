package fakes

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
)

// LLM is a scripted fake of an LLM server that speaks both the Ollama API and
// the OpenAI chat-completions API, so one fake serves either provider.
//
// Routes (base URL = server root for Ollama, OpenAIURL = root + "/v1"):
//   - POST /api/chat: Ollama chat; NDJSON stream unless "stream": false (an
//     absent "stream" streams, as Ollama does); tool calls in
//     message.tool_calls with object arguments; counts in prompt_eval_count
//     and eval_count on the final (done) object.
//   - POST /api/embed ("input": string or array → "embeddings") and the legacy
//     POST /api/embeddings ("prompt" → "embedding").
//   - POST /v1/chat/completions: OpenAI chat; "stream": true answers SSE
//     chunks ending in "data: [DONE]", with a usage chunk when
//     stream_options.include_usage is set; tool calls carry ids and string
//     arguments (streamed in pieces, as OpenAI does); usage on every
//     non-streamed answer.
//   - POST /v1/embeddings ("input": string or array; "dimensions";
//     "encoding_format": "float" or "base64").
//
// When RequireKey has set a key, the /v1 routes demand "Authorization: Bearer
// <key>" and answer OpenAI's 401 invalid_api_key error otherwise; the Ollama
// routes are open, like Ollama.
//
// Each chat request takes the next scripted turn (Script); when the script is
// used up, the Respond hook decides; without a hook the answer is the text
// "ok". Every request is recorded (Requests, EmbedRequests). Embeddings are
// HashEmbedding vectors. The fake is safe for concurrent use and answers at
// once; with concurrent conversations, prefer Respond over Script, since
// scripted turns are handed out in arrival order.
type LLM struct {
	// URL is the server root: the Ollama base URL.
	URL string
	// OpenAIURL is the OpenAI-compatible base URL (URL + "/v1").
	OpenAIURL string

	mu      sync.Mutex
	turns   []LLMTurn
	respond func(LLMRequest) LLMTurn
	key     string
	dims    int
	reqs    []LLMRequest
	embeds  []LLMEmbedRequest
	nextID  int
}

// LLMTurn is one scripted answer of the model: text, tool calls, or both; or,
// when Status is set, an HTTP error in the API's own shape.
type LLMTurn struct {
	// Text is the answer's text (streamed word by word when asked to stream).
	Text string
	// ToolCalls are the tools the model calls, in order.
	ToolCalls []LLMToolCall
	// PromptTokens and CompletionTokens are the reported counts; 0 means
	// counted by the fake (word tokens of the conversation and of the answer).
	PromptTokens, CompletionTokens int
	// Status, when not 0, makes the fake answer this HTTP status with Error as
	// the message (a default message when empty) instead of an answer.
	Status int
	Error  string
}

// LLMToolCall is a tool call of a scripted turn, or one seen in a request.
type LLMToolCall struct {
	// ID is the call's id; the fake assigns "call_<n>" to OpenAI answers when
	// empty. Ollama answers carry it only when set (Ollama's own ids are recent
	// and optional).
	ID string
	// Name is the tool's name.
	Name string
	// Arguments is the JSON object of arguments ("{}" when empty).
	Arguments string
}

// LLMMessage is one message of a recorded request, in a shape common to both
// APIs: tool results have Role "tool" with ToolCallID (OpenAI tool_call_id,
// Ollama tool_call_id) and Name (Ollama tool_name or name).
type LLMMessage struct {
	Role       string
	Content    string
	ToolCalls  []LLMToolCall
	ToolCallID string
	Name       string
}

// LLMTool is a tool offered in a recorded request.
type LLMTool struct {
	Name        string
	Description string
	Parameters  json.RawMessage
}

// LLMRequest is a recorded chat request.
type LLMRequest struct {
	// API is "ollama" or "openai".
	API      string
	Model    string
	Messages []LLMMessage
	Tools    []LLMTool
	// Temperature is nil when the request did not set one.
	Temperature *float64
	// MaxTokens is Ollama's options.num_predict, or OpenAI's
	// max_completion_tokens (else max_tokens); 0 when absent.
	MaxTokens int
	Stream    bool
	// Key is the Bearer token the request carried ("" when none).
	Key string
}

// LastMessage returns the request's last message (a zero message when there is none).
func (r LLMRequest) LastMessage() LLMMessage {
	if len(r.Messages) == 0 {
		return LLMMessage{}
	}
	return r.Messages[len(r.Messages)-1]
}

// LLMEmbedRequest is a recorded embedding request.
type LLMEmbedRequest struct {
	// API is "ollama" or "openai".
	API    string
	Model  string
	Inputs []string
}

// LLMText is a turn that answers text.
func LLMText(text string) LLMTurn { return LLMTurn{Text: text} }

// LLMCall is a turn that calls one tool; args is marshalled to JSON unless it
// is already a string or json.RawMessage holding JSON.
func LLMCall(name string, args any) LLMTurn {
	return LLMTurn{ToolCalls: []LLMToolCall{{Name: name, Arguments: jsonArgs(args)}}}
}

// LLMError is a turn that answers an HTTP error in the API's shape.
func LLMError(status int, message string) LLMTurn {
	return LLMTurn{Status: status, Error: message}
}

// NewLLM starts an LLM fake with no script, no key and 64-dimensional
// embeddings, closed on t.Cleanup.
func NewLLM(t testing.TB) *LLM {
	t.Helper()
	l := &LLM{dims: 64}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/chat", l.ollamaChat)
	mux.HandleFunc("POST /api/embed", l.ollamaEmbed)
	mux.HandleFunc("POST /api/embeddings", l.ollamaEmbeddings)
	mux.HandleFunc("POST /v1/chat/completions", l.openaiAuth(l.openaiChat))
	mux.HandleFunc("POST /v1/embeddings", l.openaiAuth(l.openaiEmbed))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			openaiFail(w, http.StatusNotFound, "Unknown request URL: "+r.Method+" "+r.URL.Path+".", "invalid_request_error", "unknown_url")
			return
		}
		ollamaFail(w, http.StatusNotFound, "404 page not found")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	l.URL = srv.URL
	l.OpenAIURL = srv.URL + "/v1"
	return l
}

// Script appends turns to the script; each chat request takes the next one.
func (l *LLM) Script(turns ...LLMTurn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.turns = append(l.turns, turns...)
}

// Respond sets the hook that answers chat requests once the script is used
// up; nil removes it. The hook runs outside the fake's lock and may be called
// concurrently.
func (l *LLM) Respond(fn func(req LLMRequest) LLMTurn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.respond = fn
}

// RequireKey makes the OpenAI routes demand "Authorization: Bearer <key>";
// "" accepts any request.
func (l *LLM) RequireKey(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.key = key
}

// SetDimensions sets the length of embedding vectors (default 64); an OpenAI
// request's "dimensions" overrides it.
func (l *LLM) SetDimensions(n int) {
	if n < 1 {
		panic("fakes: embedding dimensions must be positive")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dims = n
}

// Requests returns copies of the chat requests received, in arrival order.
func (l *LLM) Requests() []LLMRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]LLMRequest, len(l.reqs))
	for i, r := range l.reqs {
		out[i] = r.clone()
	}
	return out
}

// EmbedRequests returns copies of the embedding requests received, in arrival order.
func (l *LLM) EmbedRequests() []LLMEmbedRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]LLMEmbedRequest, len(l.embeds))
	for i, e := range l.embeds {
		out[i] = LLMEmbedRequest{API: e.API, Model: e.Model, Inputs: append([]string(nil), e.Inputs...)}
	}
	return out
}

// Pending returns the number of scripted turns not yet used.
func (l *LLM) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.turns)
}

func (r LLMRequest) clone() LLMRequest {
	c := r
	c.Messages = make([]LLMMessage, len(r.Messages))
	for i, m := range r.Messages {
		m.ToolCalls = append([]LLMToolCall(nil), m.ToolCalls...)
		c.Messages[i] = m
	}
	c.Tools = append([]LLMTool(nil), r.Tools...)
	if r.Temperature != nil {
		t := *r.Temperature
		c.Temperature = &t
	}
	return c
}

// record stores a request and returns the turn that answers it and the
// numbering base for generated tool-call ids.
func (l *LLM) record(req LLMRequest) (LLMTurn, int) {
	l.mu.Lock()
	l.reqs = append(l.reqs, req.clone())
	var turn LLMTurn
	scripted := len(l.turns) > 0
	if scripted {
		turn = l.turns[0]
		l.turns = l.turns[1:]
	}
	hook := l.respond
	l.mu.Unlock()
	if !scripted {
		if hook != nil {
			turn = hook(req.clone())
		} else {
			turn = LLMText("ok")
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	base := l.nextID
	l.nextID += len(turn.ToolCalls) + 1
	return turn, base
}

// counts returns the turn's token counts, computing those left at 0.
func (t LLMTurn) counts(req LLMRequest) (prompt, completion int) {
	prompt, completion = t.PromptTokens, t.CompletionTokens
	if prompt == 0 {
		for _, m := range req.Messages {
			prompt += 1 + len(wordTokens(m.Content))
			for _, c := range m.ToolCalls {
				prompt += 1 + len(wordTokens(c.Arguments))
			}
		}
	}
	if completion == 0 {
		completion = len(wordTokens(t.Text))
		for _, c := range t.ToolCalls {
			completion += 1 + len(wordTokens(c.Arguments))
		}
		if completion == 0 {
			completion = 1
		}
	}
	return prompt, completion
}

// textChunks splits text into streamed pieces (words with their following
// space), whose concatenation is text.
func textChunks(text string) []string {
	if text == "" {
		return nil
	}
	return strings.SplitAfter(text, " ")
}

// jsonArgs renders tool arguments as a JSON object text ("{}" when empty).
func jsonArgs(args any) string {
	switch a := args.(type) {
	case nil:
		return "{}"
	case string:
		if strings.TrimSpace(a) == "" {
			return "{}"
		}
		return a
	case json.RawMessage:
		if len(bytes.TrimSpace(a)) == 0 {
			return "{}"
		}
		return string(a)
	}
	b, err := json.Marshal(args)
	if err != nil {
		panic(fmt.Sprintf("fakes: tool arguments: %v", err))
	}
	return string(b)
}

// ---- Ollama ----

type ollamaWireMessage struct {
	Role      string `json:"role"`
	Content   string `json:"content"`
	Images    []any  `json:"images,omitempty"`
	ToolCalls []struct {
		ID       string `json:"id,omitempty"`
		Function struct {
			Name      string          `json:"name"`
			Arguments json.RawMessage `json:"arguments"`
		} `json:"function"`
	} `json:"tool_calls,omitempty"`
	ToolName   string `json:"tool_name,omitempty"`
	Name       string `json:"name,omitempty"`
	ToolCallID string `json:"tool_call_id,omitempty"`
}

type wireTool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	} `json:"function"`
}

func (t wireTool) tool() LLMTool {
	return LLMTool{Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters}
}

func ollamaFail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": msg})
}

func (l *LLM) ollamaChat(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Model    string              `json:"model"`
		Messages []ollamaWireMessage `json:"messages"`
		Tools    []wireTool          `json:"tools"`
		Stream   *bool               `json:"stream"`
		Options  struct {
			Temperature *float64 `json:"temperature"`
			NumPredict  int      `json:"num_predict"`
		} `json:"options"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		ollamaFail(w, http.StatusBadRequest, "invalid request body: "+err.Error())
		return
	}
	if in.Model == "" {
		ollamaFail(w, http.StatusBadRequest, "model is required")
		return
	}
	req := LLMRequest{API: "ollama", Model: in.Model, Temperature: in.Options.Temperature,
		MaxTokens: in.Options.NumPredict, Stream: in.Stream == nil || *in.Stream, Key: bearerToken(r)}
	for _, m := range in.Messages {
		msg := LLMMessage{Role: m.Role, Content: m.Content, ToolCallID: m.ToolCallID, Name: m.ToolName}
		if msg.Name == "" {
			msg.Name = m.Name
		}
		for _, c := range m.ToolCalls {
			msg.ToolCalls = append(msg.ToolCalls, LLMToolCall{ID: c.ID, Name: c.Function.Name, Arguments: compactJSON(c.Function.Arguments)})
		}
		req.Messages = append(req.Messages, msg)
	}
	for _, t := range in.Tools {
		req.Tools = append(req.Tools, t.tool())
	}
	turn, _ := l.record(req)
	if turn.Status != 0 {
		msg := turn.Error
		if msg == "" {
			msg = http.StatusText(turn.Status)
		}
		ollamaFail(w, turn.Status, msg)
		return
	}

	var calls []map[string]any
	for i, c := range turn.ToolCalls {
		fn := map[string]any{"index": i, "name": c.Name, "arguments": json.RawMessage(jsonArgs(c.Arguments))}
		call := map[string]any{"function": fn}
		if c.ID != "" {
			call["id"] = c.ID
		}
		calls = append(calls, call)
	}
	prompt, completion := turn.counts(req)
	created := time.Now().UTC().Format(time.RFC3339Nano)
	final := map[string]any{
		"model": in.Model, "created_at": created, "done": true, "done_reason": "stop",
		"total_duration": 1000000, "load_duration": 1000, "prompt_eval_count": prompt,
		"prompt_eval_duration": 100000, "eval_count": completion, "eval_duration": 800000,
	}
	if !req.Stream {
		msg := map[string]any{"role": "assistant", "content": turn.Text}
		if len(calls) > 0 {
			msg["tool_calls"] = calls
		}
		final["message"] = msg
		writeJSON(w, http.StatusOK, final)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	flusher, _ := w.(http.Flusher)
	line := func(v any) {
		_ = enc.Encode(v)
		if flusher != nil {
			flusher.Flush()
		}
	}
	for _, chunk := range textChunks(turn.Text) {
		line(map[string]any{"model": in.Model, "created_at": created, "done": false,
			"message": map[string]any{"role": "assistant", "content": chunk}})
	}
	if len(calls) > 0 {
		line(map[string]any{"model": in.Model, "created_at": created, "done": false,
			"message": map[string]any{"role": "assistant", "content": "", "tool_calls": calls}})
	}
	final["message"] = map[string]any{"role": "assistant", "content": ""}
	line(final)
}

func (l *LLM) ollamaEmbed(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Model string          `json:"model"`
		Input json.RawMessage `json:"input"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		ollamaFail(w, http.StatusBadRequest, "invalid request body: "+err.Error())
		return
	}
	inputs, ok := stringOrList(in.Input)
	if in.Model == "" || !ok {
		ollamaFail(w, http.StatusBadRequest, "model and input (a string or an array of strings) are required")
		return
	}
	dims := l.recordEmbed("ollama", in.Model, inputs)
	vecs := make([][]float32, len(inputs))
	tokens := 0
	for i, s := range inputs {
		vecs[i] = HashEmbedding(s, dims)
		tokens += len(wordTokens(s))
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": in.Model, "embeddings": vecs,
		"total_duration": 100000, "load_duration": 1000, "prompt_eval_count": tokens})
}

func (l *LLM) ollamaEmbeddings(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Model  string `json:"model"`
		Prompt string `json:"prompt"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Model == "" {
		ollamaFail(w, http.StatusBadRequest, "model and prompt are required")
		return
	}
	dims := l.recordEmbed("ollama", in.Model, []string{in.Prompt})
	writeJSON(w, http.StatusOK, map[string]any{"embedding": HashEmbedding(in.Prompt, dims)})
}

// recordEmbed stores an embedding request and returns the configured dimensions.
func (l *LLM) recordEmbed(api, model string, inputs []string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.embeds = append(l.embeds, LLMEmbedRequest{API: api, Model: model, Inputs: append([]string(nil), inputs...)})
	return l.dims
}

// ---- OpenAI ----

func openaiFail(w http.ResponseWriter, status int, msg, typ, code string) {
	var c any
	if code != "" {
		c = code
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": c}})
}

// openaiAuth checks the Bearer key when one is required.
func (l *LLM) openaiAuth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		key := l.key
		l.mu.Unlock()
		if key == "" {
			next(w, r)
			return
		}
		got := bearerToken(r)
		switch {
		case got == "":
			openaiFail(w, http.StatusUnauthorized, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", "invalid_request_error", "")
		case subtle.ConstantTimeCompare([]byte(got), []byte(key)) != 1:
			openaiFail(w, http.StatusUnauthorized, "Incorrect API key provided: "+maskKey(got)+". You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key")
		default:
			next(w, r)
		}
	}
}

// maskKey shows a key the way OpenAI's error messages do.
func maskKey(k string) string {
	if len(k) <= 8 {
		return "***"
	}
	return k[:3] + "*****" + k[len(k)-4:]
}

type openaiWireMessage struct {
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	Name      string          `json:"name"`
	ToolCalls []struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		Function struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"function"`
	} `json:"tool_calls"`
	ToolCallID string `json:"tool_call_id"`
}

// openaiContent flattens a message content (a string, null, or an array of
// parts) to its text.
func openaiContent(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) == nil {
		var b strings.Builder
		for _, p := range parts {
			if p.Type == "text" {
				b.WriteString(p.Text)
			}
		}
		return b.String()
	}
	return ""
}

func (l *LLM) openaiChat(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Model               string              `json:"model"`
		Messages            []openaiWireMessage `json:"messages"`
		Tools               []wireTool          `json:"tools"`
		Temperature         *float64            `json:"temperature"`
		MaxTokens           int                 `json:"max_tokens"`
		MaxCompletionTokens int                 `json:"max_completion_tokens"`
		Stream              bool                `json:"stream"`
		StreamOptions       *struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		openaiFail(w, http.StatusBadRequest, "We could not parse the JSON body of your request.", "invalid_request_error", "")
		return
	}
	if in.Model == "" || len(in.Messages) == 0 {
		openaiFail(w, http.StatusBadRequest, "you must provide a model parameter and at least one message", "invalid_request_error", "")
		return
	}
	req := LLMRequest{API: "openai", Model: in.Model, Temperature: in.Temperature, MaxTokens: in.MaxCompletionTokens,
		Stream: in.Stream, Key: bearerToken(r)}
	if req.MaxTokens == 0 {
		req.MaxTokens = in.MaxTokens
	}
	for i, m := range in.Messages {
		msg := LLMMessage{Role: m.Role, Content: openaiContent(m.Content), ToolCallID: m.ToolCallID, Name: m.Name}
		if m.Role == "tool" && m.ToolCallID == "" {
			openaiFail(w, http.StatusBadRequest, fmt.Sprintf("Missing parameter 'tool_call_id': messages[%d] with role 'tool' must have a 'tool_call_id'.", i), "invalid_request_error", "missing_required_parameter")
			return
		}
		for _, c := range m.ToolCalls {
			msg.ToolCalls = append(msg.ToolCalls, LLMToolCall{ID: c.ID, Name: c.Function.Name, Arguments: c.Function.Arguments})
		}
		req.Messages = append(req.Messages, msg)
	}
	for _, t := range in.Tools {
		req.Tools = append(req.Tools, t.tool())
	}
	turn, base := l.record(req)
	if turn.Status != 0 {
		msg := turn.Error
		if msg == "" {
			msg = http.StatusText(turn.Status)
		}
		typ := "invalid_request_error"
		if turn.Status >= 500 {
			typ = "server_error"
		} else if turn.Status == http.StatusTooManyRequests {
			typ = "rate_limit_exceeded"
			w.Header().Set("Retry-After", "1")
		}
		openaiFail(w, turn.Status, msg, typ, "")
		return
	}

	ids := make([]string, len(turn.ToolCalls))
	for i, c := range turn.ToolCalls {
		ids[i] = c.ID
		if ids[i] == "" {
			ids[i] = fmt.Sprintf("call_%d", base+i+1)
		}
	}
	finish := "stop"
	if len(turn.ToolCalls) > 0 {
		finish = "tool_calls"
	}
	prompt, completion := turn.counts(req)
	usage := map[string]any{"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
		"prompt_tokens_details": map[string]any{"cached_tokens": 0, "audio_tokens": 0},
		"completion_tokens_details": map[string]any{"reasoning_tokens": 0, "audio_tokens": 0,
			"accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}
	id := fmt.Sprintf("chatcmpl-fake%d", base)
	created := time.Now().Unix()

	if !in.Stream {
		msg := map[string]any{"role": "assistant", "content": nil, "refusal": nil}
		if turn.Text != "" || len(turn.ToolCalls) == 0 {
			msg["content"] = turn.Text
		}
		if len(turn.ToolCalls) > 0 {
			var calls []map[string]any
			for i, c := range turn.ToolCalls {
				calls = append(calls, map[string]any{"id": ids[i], "type": "function",
					"function": map[string]any{"name": c.Name, "arguments": jsonArgs(c.Arguments)}})
			}
			msg["tool_calls"] = calls
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"id": id, "object": "chat.completion", "created": created, "model": in.Model,
			"system_fingerprint": "fp_fake",
			"choices":            []any{map[string]any{"index": 0, "message": msg, "logprobs": nil, "finish_reason": finish}},
			"usage":              usage,
		})
		return
	}

	includeUsage := in.StreamOptions != nil && in.StreamOptions.IncludeUsage
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	event := func(v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", b)
		if flusher != nil {
			flusher.Flush()
		}
	}
	chunk := func(delta map[string]any, finishReason any) {
		c := map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": in.Model,
			"system_fingerprint": "fp_fake",
			"choices":            []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finishReason}}}
		if includeUsage {
			c["usage"] = nil
		}
		event(c)
	}
	chunk(map[string]any{"role": "assistant", "content": "", "refusal": nil}, nil)
	for _, piece := range textChunks(turn.Text) {
		chunk(map[string]any{"content": piece}, nil)
	}
	for i, c := range turn.ToolCalls {
		chunk(map[string]any{"tool_calls": []any{map[string]any{"index": i, "id": ids[i], "type": "function",
			"function": map[string]any{"name": c.Name, "arguments": ""}}}}, nil)
		args := jsonArgs(c.Arguments)
		for _, part := range []string{args[:len(args)/2], args[len(args)/2:]} {
			if part == "" {
				continue
			}
			chunk(map[string]any{"tool_calls": []any{map[string]any{"index": i, "function": map[string]any{"arguments": part}}}}, nil)
		}
	}
	chunk(map[string]any{}, finish)
	if includeUsage {
		event(map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": in.Model,
			"system_fingerprint": "fp_fake", "choices": []any{}, "usage": usage})
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	if flusher != nil {
		flusher.Flush()
	}
}

func (l *LLM) openaiEmbed(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Model          string          `json:"model"`
		Input          json.RawMessage `json:"input"`
		Dimensions     int             `json:"dimensions"`
		EncodingFormat string          `json:"encoding_format"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		openaiFail(w, http.StatusBadRequest, "We could not parse the JSON body of your request.", "invalid_request_error", "")
		return
	}
	inputs, ok := stringOrList(in.Input)
	if in.Model == "" || !ok || len(inputs) == 0 {
		openaiFail(w, http.StatusBadRequest, "'input' must be a string or a non-empty array of strings, and 'model' is required.", "invalid_request_error", "")
		return
	}
	dims := l.recordEmbed("openai", in.Model, inputs)
	if in.Dimensions > 0 {
		dims = in.Dimensions
	}
	data := make([]any, len(inputs))
	tokens := 0
	for i, s := range inputs {
		vec := HashEmbedding(s, dims)
		tokens += len(wordTokens(s))
		var emb any = vec
		if in.EncodingFormat == "base64" {
			b := make([]byte, 4*len(vec))
			for j, f := range vec {
				binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(f))
			}
			emb = base64.StdEncoding.EncodeToString(b)
		}
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": emb}
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data, "model": in.Model,
		"usage": map[string]any{"prompt_tokens": tokens, "total_tokens": tokens}})
}

// stringOrList decodes a JSON string or array of strings.
func stringOrList(raw json.RawMessage) ([]string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, true
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list, true
	}
	return nil, false
}

// compactJSON renders a JSON value compactly ("{}" when empty or invalid).
func compactJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if len(bytes.TrimSpace(raw)) == 0 || json.Compact(&b, raw) != nil {
		return "{}"
	}
	return b.String()
}

// ---- embeddings ----

// wordTokens lowercases text and splits it into runs of letters and digits.
func wordTokens(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// HashEmbedding is the fake's embedding of text: a hashed bag of words. Each
// lowercased word token (a run of letters and digits) adds ±1 to the
// dimension its FNV-1a hash selects (the sign is another bit of the hash), and
// the vector is L2-normalised. Texts sharing words are close in cosine
// similarity; texts sharing none are near-orthogonal. A text without words
// embeds as the first unit vector. dims < 1 means 64.
func HashEmbedding(text string, dims int) []float32 {
	if dims < 1 {
		dims = 64
	}
	v := make([]float64, dims)
	for _, tok := range wordTokens(text) {
		h := fnv.New64a()
		_, _ = h.Write([]byte(tok))
		sum := h.Sum64()
		sign := 1.0
		if sum>>63 == 1 {
			sign = -1
		}
		v[sum%uint64(dims)] += sign
	}
	var norm float64
	for _, x := range v {
		norm += x * x
	}
	out := make([]float32, dims)
	if norm == 0 {
		out[0] = 1
		return out
	}
	norm = math.Sqrt(norm)
	for i, x := range v {
		out[i] = float32(x / norm)
	}
	return out
}

package fakes

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// postRaw POSTs JSON and returns the answer's content type and body
// (call would try to decode NDJSON as one JSON value).
func postRaw(t *testing.T, url, body string) (string, []byte) {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.Header.Get("Content-Type"), raw
}

// ndjson decodes newline-delimited JSON objects.
func ndjson(t *testing.T, raw []byte) []any {
	t.Helper()
	var out []any
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var v any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("invalid NDJSON line %q: %v", line, err)
		}
		out = append(out, v)
	}
	return out
}

// sse decodes the data lines of a server-sent event stream; "[DONE]" stays a string.
func sse(t *testing.T, raw []byte) []any {
	t.Helper()
	var out []any
	for _, line := range strings.Split(string(raw), "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		if data == "[DONE]" {
			out = append(out, data)
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			t.Fatalf("invalid SSE data %q: %v", data, err)
		}
		out = append(out, v)
	}
	return out
}

func TestLLMOllamaChat(t *testing.T) {
	l := NewLLM(t)
	l.Script(LLMText("Hello there"), LLMCall("lookup", map[string]int{"id": 7}), LLMText("streamed answer"))

	// "stream": false answers one object.
	r := call(t, req{method: "POST", url: l.URL + "/api/chat", body: `{"model":"llama3.2","stream":false,"options":{"temperature":0.5},
		"messages":[{"role":"user","content":"hi you"}]}`})
	wantEq(t, "status", r.status, 200)
	wantEq(t, "message", at(r.json, "message"), map[string]any{"role": "assistant", "content": "Hello there"})
	wantEq(t, "counts", []any{at(r.json, "done"), at(r.json, "prompt_eval_count"), at(r.json, "eval_count")}, []any{true, 3.0, 2.0})

	// Tool calls carry object arguments; a tool result is recorded with its name.
	r = call(t, req{method: "POST", url: l.URL + "/api/chat", body: `{"model":"llama3.2","stream":false,
		"tools":[{"type":"function","function":{"name":"lookup","description":"Look up.","parameters":{"type":"object"}}}],
		"messages":[{"role":"user","content":"find 7"},{"role":"assistant","content":"","tool_calls":[{"function":{"name":"lookup","arguments":{"id": 7}}}]},
		{"role":"tool","content":"{\"ok\":true}","tool_name":"lookup"}]}`})
	wantEq(t, "tool calls", at(r.json, "message", "tool_calls"), []any{map[string]any{"function": map[string]any{"index": 0.0, "name": "lookup", "arguments": map[string]any{"id": 7.0}}}})

	// An absent "stream" streams, as Ollama does: NDJSON, counts on the last line.
	ct, raw := postRaw(t, l.URL+"/api/chat", `{"model":"llama3.2","messages":[{"role":"user","content":"go"}]}`)
	wantEq(t, "content type", ct, "application/x-ndjson")
	lines := ndjson(t, raw)
	var text []string
	for _, line := range lines[:len(lines)-1] {
		text = append(text, at(line, "message", "content").(string))
		wantEq(t, "done", at(line, "done"), false)
	}
	wantEq(t, "chunks", text, []string{"streamed ", "answer"})
	last := lines[len(lines)-1]
	wantEq(t, "final", []any{at(last, "done"), at(last, "done_reason"), at(last, "eval_count")}, []any{true, "stop", 2.0})

	got := l.Requests()
	temp := 0.5
	want := []LLMRequest{
		{API: "ollama", Model: "llama3.2", Temperature: &temp, Messages: []LLMMessage{{Role: "user", Content: "hi you"}}},
		{API: "ollama", Model: "llama3.2", Tools: []LLMTool{{Name: "lookup", Description: "Look up.", Parameters: json.RawMessage(`{"type":"object"}`)}},
			Messages: []LLMMessage{{Role: "user", Content: "find 7"}, {Role: "assistant", ToolCalls: []LLMToolCall{{Name: "lookup", Arguments: `{"id":7}`}}},
				{Role: "tool", Content: `{"ok":true}`, Name: "lookup"}}},
		{API: "ollama", Model: "llama3.2", Stream: true, Messages: []LLMMessage{{Role: "user", Content: "go"}}},
	}
	wantEq(t, "requests", got, want)
	wantEq(t, "pending", l.Pending(), 0)
}

func TestLLMOpenAIChat(t *testing.T) {
	l := NewLLM(t)
	l.RequireKey("sk-secret-abcdefgh")
	auth := map[string]string{"Authorization": "Bearer sk-secret-abcdefgh"}
	body := `{"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"temperature":0}`

	r := call(t, req{method: "POST", url: l.OpenAIURL + "/chat/completions", body: body})
	wantEq(t, "no key", []any{r.status, at(r.json, "error", "type")}, []any{401, "invalid_request_error"})
	r = call(t, req{method: "POST", url: l.OpenAIURL + "/chat/completions", body: body, header: map[string]string{"Authorization": "Bearer sk-wrong-key-xyz"}})
	wantEq(t, "wrong key", []any{r.status, at(r.json, "error", "code")}, []any{401, "invalid_api_key"})
	if strings.Contains(string(r.raw), "sk-wrong-key-xyz") {
		t.Errorf("the 401 quotes the whole key: %s", r.raw)
	}

	l.Script(LLMCall("lookup", `{"id":7}`))
	r = call(t, req{method: "POST", url: l.OpenAIURL + "/chat/completions", body: body, header: auth})
	wantEq(t, "choice", at(r.json, "choices", 0), map[string]any{"index": 0.0, "logprobs": nil, "finish_reason": "tool_calls",
		"message": map[string]any{"role": "assistant", "content": nil, "refusal": nil, "tool_calls": []any{
			map[string]any{"id": "call_1", "type": "function", "function": map[string]any{"name": "lookup", "arguments": `{"id":7}`}}}}})
	wantEq(t, "usage", []any{at(r.json, "usage", "prompt_tokens"), at(r.json, "usage", "completion_tokens")}, []any{2.0, 3.0})

	// Streaming: a role chunk, text chunks, tool-call pieces, the finish, usage, [DONE].
	l.Script(LLMTurn{Text: "one two", ToolCalls: []LLMToolCall{{ID: "call_x", Name: "lookup", Arguments: `{"id":7}`}}})
	r = call(t, req{method: "POST", url: l.OpenAIURL + "/chat/completions", header: auth,
		body: `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`})
	wantEq(t, "content type", r.header.Get("Content-Type"), "text/event-stream")
	events := sse(t, r.raw)
	var deltas []any
	for _, e := range events[:len(events)-2] {
		deltas = append(deltas, at(e, "choices", 0, "delta"))
	}
	wantEq(t, "deltas", deltas, []any{
		map[string]any{"role": "assistant", "content": "", "refusal": nil},
		map[string]any{"content": "one "},
		map[string]any{"content": "two"},
		map[string]any{"tool_calls": []any{map[string]any{"index": 0.0, "id": "call_x", "type": "function", "function": map[string]any{"name": "lookup", "arguments": ""}}}},
		map[string]any{"tool_calls": []any{map[string]any{"index": 0.0, "function": map[string]any{"arguments": `{"id`}}}},
		map[string]any{"tool_calls": []any{map[string]any{"index": 0.0, "function": map[string]any{"arguments": `":7}`}}}},
		map[string]any{},
	})
	wantEq(t, "finish", at(events[len(events)-3], "choices", 0, "finish_reason"), "tool_calls")
	wantEq(t, "usage chunk", []any{length(at(events[len(events)-2], "choices")), at(events[len(events)-2], "usage", "completion_tokens")}, []any{0, 5.0})
	wantEq(t, "done", events[len(events)-1], "[DONE]")

	// A scripted error answers OpenAI's error shape.
	l.Script(LLMError(429, "Rate limit reached"))
	r = call(t, req{method: "POST", url: l.OpenAIURL + "/chat/completions", body: body, header: auth})
	wantEq(t, "429", []any{r.status, r.header.Get("Retry-After"), at(r.json, "error", "message")}, []any{429, "1", "Rate limit reached"})

	// A tool message without tool_call_id is refused, as OpenAI does.
	r = call(t, req{method: "POST", url: l.OpenAIURL + "/chat/completions", header: auth,
		body: `{"model":"gpt-4o","messages":[{"role":"tool","content":"x"}]}`})
	wantEq(t, "missing tool_call_id", r.status, 400)

	reqs := l.Requests()
	zero := 0.0
	wantEq(t, "first recorded", reqs[0], LLMRequest{API: "openai", Model: "gpt-4o", Temperature: &zero, Key: "sk-secret-abcdefgh",
		Messages: []LLMMessage{{Role: "user", Content: "hi"}}})
	wantEq(t, "recorded", len(reqs), 3)
}

func TestLLMRespondHook(t *testing.T) {
	l := NewLLM(t)
	l.Script(LLMText("scripted"))
	l.Respond(func(r LLMRequest) LLMTurn { return LLMText("hook saw " + r.LastMessage().Content) })
	var answers []any
	for _, msg := range []string{"a", "b"} {
		r := call(t, req{method: "POST", url: l.URL + "/api/chat", body: `{"model":"m","stream":false,"messages":[{"role":"user","content":"` + msg + `"}]}`})
		answers = append(answers, at(r.json, "message", "content"))
	}
	l.Respond(nil)
	r := call(t, req{method: "POST", url: l.URL + "/api/chat", body: `{"model":"m","stream":false,"messages":[{"role":"user","content":"c"}]}`})
	answers = append(answers, at(r.json, "message", "content"))
	wantEq(t, "answers", answers, []any{"scripted", "hook saw b", "ok"})
}

func TestLLMConcurrent(t *testing.T) {
	l := NewLLM(t)
	l.Respond(func(r LLMRequest) LLMTurn { return LLMText("echo " + r.LastMessage().Content) })
	var wg sync.WaitGroup
	got := make([]any, 100)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := call(t, req{method: "POST", url: l.OpenAIURL + "/chat/completions",
				body: fmt.Sprintf(`{"model":"m","messages":[{"role":"user","content":"n%d"}]}`, i)})
			got[i] = at(r.json, "choices", 0, "message", "content")
		}()
	}
	wg.Wait()
	for i, g := range got {
		if g != fmt.Sprintf("echo n%d", i) {
			t.Errorf("answer %d = %v", i, g)
		}
	}
	wantEq(t, "recorded", len(l.Requests()), 100)
}

func TestLLMEmbeddings(t *testing.T) {
	l := NewLLM(t)
	r := call(t, req{method: "POST", url: l.URL + "/api/embed", body: `{"model":"nomic-embed-text","input":["red apple","apple"]}`})
	var embed struct{ Embeddings [][]float32 }
	_ = json.Unmarshal(r.raw, &embed)
	wantEq(t, "ollama embed", embed.Embeddings, [][]float32{HashEmbedding("red apple", 64), HashEmbedding("apple", 64)})

	r = call(t, req{method: "POST", url: l.URL + "/api/embeddings", body: `{"model":"nomic-embed-text","prompt":"apple"}`})
	var legacy struct{ Embedding []float32 }
	_ = json.Unmarshal(r.raw, &legacy)
	wantEq(t, "ollama embeddings", legacy.Embedding, HashEmbedding("apple", 64))

	l.SetDimensions(16)
	r = call(t, req{method: "POST", url: l.OpenAIURL + "/embeddings", body: `{"model":"text-embedding-3-small","input":"apple pie","encoding_format":"base64"}`})
	b, err := base64.StdEncoding.DecodeString(at(r.json, "data", 0, "embedding").(string))
	if err != nil {
		t.Fatal(err)
	}
	vec := make([]float32, len(b)/4)
	for i := range vec {
		vec[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	wantEq(t, "openai base64", vec, HashEmbedding("apple pie", 16))

	r = call(t, req{method: "POST", url: l.OpenAIURL + "/embeddings", body: `{"model":"text-embedding-3-small","input":["x"],"dimensions":8}`})
	wantEq(t, "dimensions", length(at(r.json, "data", 0, "embedding")), 8)

	wantEq(t, "recorded", l.EmbedRequests(), []LLMEmbedRequest{
		{API: "ollama", Model: "nomic-embed-text", Inputs: []string{"red apple", "apple"}},
		{API: "ollama", Model: "nomic-embed-text", Inputs: []string{"apple"}},
		{API: "openai", Model: "text-embedding-3-small", Inputs: []string{"apple pie"}},
		{API: "openai", Model: "text-embedding-3-small", Inputs: []string{"x"}},
	})
}

func TestHashEmbedding(t *testing.T) {
	cos := func(a, b []float32) float64 {
		var d float64
		for i := range a {
			d += float64(a[i]) * float64(b[i])
		}
		return d
	}
	a := HashEmbedding("Refund policy for Shopify orders", 64)
	var norm float64
	for _, x := range a {
		norm += float64(x) * float64(x)
	}
	if math.Abs(norm-1) > 1e-6 {
		t.Errorf("norm² = %v, want 1", norm)
	}
	wantEq(t, "deterministic and case-insensitive", HashEmbedding("refund POLICY for shopify orders!", 64), a)
	if near, far := cos(a, HashEmbedding("shopify refund", 64)), cos(a, HashEmbedding("quarterly ads budget", 64)); near <= far {
		t.Errorf("shared words are not closer: %v <= %v", near, far)
	}
	wantEq(t, "no words", HashEmbedding(" !? ", 4), []float32{1, 0, 0, 0})
	wantEq(t, "default dimensions", len(HashEmbedding("x", 0)), 64)
}

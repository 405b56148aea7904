package llm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	hub "github.com/bizoshub/bizos"
	"github.com/tmc/langchaingo/llms"
)

// ollamaChat is a langchaingo llms.Model for Ollama's native chat API
// (POST /api/chat). It exists because langchaingo v0.1.14's llms/ollama has
// no tool calling (its request type has no "tools", its message type no
// "tool_calls", and GenerateContent refuses llms.ToolCall and
// llms.ToolCallResponse parts), also omits "stream": false (so Ollama streams
// even when no streaming was asked for) and hides HTTP statuses in internal
// error types. ollamaChat honours llms.WithTools, llms.WithStreamingFunc
// (text only), WithModel, WithTemperature (always sent, so 0 means 0 and not
// Ollama's default 0.8), WithMaxTokens (num_predict), WithStopWords, WithSeed,
// WithTopP, WithTopK and WithJSONMode; it reports PromptTokens and
// CompletionTokens (prompt_eval_count, eval_count) in GenerationInfo.
type ollamaChat struct {
	baseURL string
	model   string
	http    *http.Client
}

var _ llms.Model = (*ollamaChat)(nil)

// ollamaMessage is a message of Ollama's chat API.
type ollamaMessage struct {
	Role      string           `json:"role"`
	Content   string           `json:"content"`
	Images    []string         `json:"images,omitempty"`
	ToolCalls []ollamaToolCall `json:"tool_calls,omitempty"`
	// ToolName names the tool a "tool" message answers (Ollama ≥ 0.9);
	// ToolCallID is sent too for servers that match results by id.
	ToolName   string `json:"tool_name,omitempty"`
	ToolCallID string `json:"tool_call_id,omitempty"`
}

type ollamaToolCall struct {
	ID       string `json:"id,omitempty"`
	Function struct {
		Index     int             `json:"index,omitempty"`
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	} `json:"function"`
}

type ollamaChatRequest struct {
	Model    string          `json:"model"`
	Messages []ollamaMessage `json:"messages"`
	Tools    []llms.Tool     `json:"tools,omitempty"`
	Stream   bool            `json:"stream"`
	Format   string          `json:"format,omitempty"`
	Options  map[string]any  `json:"options"`
}

type ollamaChatResponse struct {
	Model           string         `json:"model"`
	Message         *ollamaMessage `json:"message"`
	Done            bool           `json:"done"`
	DoneReason      string         `json:"done_reason"`
	PromptEvalCount int            `json:"prompt_eval_count"`
	EvalCount       int            `json:"eval_count"`
	Error           string         `json:"error"`
}

// Call implements llms.Model.
func (m *ollamaChat) Call(ctx context.Context, prompt string, options ...llms.CallOption) (string, error) {
	return llms.GenerateFromSinglePrompt(ctx, m, prompt, options...)
}

// GenerateContent implements llms.Model.
func (m *ollamaChat) GenerateContent(ctx context.Context, messages []llms.MessageContent, options ...llms.CallOption) (*llms.ContentResponse, error) {
	opts := llms.CallOptions{}
	for _, o := range options {
		o(&opts)
	}
	req := ollamaChatRequest{Model: m.model, Tools: opts.Tools, Stream: opts.StreamingFunc != nil,
		Options: map[string]any{"temperature": opts.Temperature}}
	if opts.Model != "" {
		req.Model = opts.Model
	}
	if opts.JSONMode {
		req.Format = "json"
	}
	if opts.MaxTokens > 0 {
		req.Options["num_predict"] = opts.MaxTokens
	}
	if len(opts.StopWords) > 0 {
		req.Options["stop"] = opts.StopWords
	}
	if opts.Seed != 0 {
		req.Options["seed"] = opts.Seed
	}
	if opts.TopP > 0 {
		req.Options["top_p"] = opts.TopP
	}
	if opts.TopK > 0 {
		req.Options["top_k"] = opts.TopK
	}
	for _, f := range opts.Functions { // the deprecated form of tools
		req.Tools = append(req.Tools, llms.Tool{Type: "function", Function: &f})
	}
	for _, mc := range messages {
		msg, err := toOllamaMessage(mc)
		if err != nil {
			return nil, err
		}
		req.Messages = append(req.Messages, msg)
	}

	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("ollama: encode request: %w", err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, m.baseURL+"/api/chat", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("ollama: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json, application/x-ndjson")
	resp, err := m.http.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("ollama: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= http.StatusBadRequest {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return nil, fmt.Errorf("ollama: HTTP %d: %s", resp.StatusCode, upstreamMessage(b))
	}

	// A streamed answer is NDJSON; an unstreamed one a single object. A JSON
	// decoder reads both.
	var (
		content strings.Builder
		calls   []llms.ToolCall
		final   *ollamaChatResponse
	)
	dec := json.NewDecoder(resp.Body)
	for final == nil {
		var chunk ollamaChatResponse
		if err := dec.Decode(&chunk); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusBadGateway,
					Message: "The ollama server ended its answer early."}
			}
			return nil, fmt.Errorf("ollama: decode answer: %w", err)
		}
		if chunk.Error != "" {
			return nil, &hub.Error{Code: hub.EUPSTREAM, UpstreamStatus: http.StatusBadGateway,
				Message: "The ollama server failed while answering: " + chunk.Error}
		}
		if chunk.Message != nil {
			if text := chunk.Message.Content; text != "" {
				content.WriteString(text)
				if opts.StreamingFunc != nil {
					if err := opts.StreamingFunc(ctx, []byte(text)); err != nil {
						return nil, err
					}
				}
			}
			for _, tc := range chunk.Message.ToolCalls {
				calls = append(calls, llms.ToolCall{ID: tc.ID, Type: "function",
					FunctionCall: &llms.FunctionCall{Name: tc.Function.Name, Arguments: string(tc.Function.Arguments)}})
			}
		}
		if chunk.Done {
			final = &chunk
		}
	}
	for i := range calls {
		if calls[i].ID == "" {
			calls[i].ID = newCallID()
		}
	}
	stop := final.DoneReason
	if len(calls) > 0 && (stop == "" || stop == "stop") {
		stop = "tool_calls"
	}
	return &llms.ContentResponse{Choices: []*llms.ContentChoice{{
		Content:    content.String(),
		StopReason: stop,
		ToolCalls:  calls,
		GenerationInfo: map[string]any{
			"PromptTokens":     final.PromptEvalCount,
			"CompletionTokens": final.EvalCount,
			"TotalTokens":      final.PromptEvalCount + final.EvalCount,
		},
	}}}, nil
}

// toOllamaMessage maps one langchaingo message to Ollama's shape.
func toOllamaMessage(mc llms.MessageContent) (ollamaMessage, error) {
	msg := ollamaMessage{}
	switch mc.Role {
	case llms.ChatMessageTypeSystem:
		msg.Role = "system"
	case llms.ChatMessageTypeAI:
		msg.Role = "assistant"
	case llms.ChatMessageTypeHuman, llms.ChatMessageTypeGeneric:
		msg.Role = "user"
	case llms.ChatMessageTypeTool, llms.ChatMessageTypeFunction:
		msg.Role = "tool"
	default:
		return msg, fmt.Errorf("ollama: message role %q is not supported", mc.Role)
	}
	var text []string
	for _, p := range mc.Parts {
		switch p := p.(type) {
		case llms.TextContent:
			text = append(text, p.Text)
		case llms.BinaryContent:
			msg.Images = append(msg.Images, base64.StdEncoding.EncodeToString(p.Data))
		case llms.ToolCall:
			var tc ollamaToolCall
			if p.FunctionCall != nil {
				tc.Function.Name = p.FunctionCall.Name
				tc.Function.Arguments = objectArgs(p.FunctionCall.Arguments)
			}
			msg.ToolCalls = append(msg.ToolCalls, tc)
		case llms.ToolCallResponse:
			text = append(text, p.Content)
			msg.ToolName, msg.ToolCallID = p.Name, p.ToolCallID
		default:
			return msg, fmt.Errorf("ollama: message part %T is not supported", p)
		}
	}
	msg.Content = strings.Join(text, "\n")
	return msg, nil
}

// objectArgs returns tool-call arguments as the JSON object Ollama requires;
// anything that is not an object (a model's malformed arguments) becomes {}.
func objectArgs(s string) json.RawMessage {
	var obj map[string]any
	if json.Unmarshal([]byte(s), &obj) != nil || obj == nil {
		return json.RawMessage("{}")
	}
	return json.RawMessage(s)
}

// newCallID returns an id for a tool call the provider did not name.
func newCallID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "call_" + hex.EncodeToString(b[:])
}

package hub

import (
	"context"
	"encoding/json"
)

// LLM provider kinds.
const (
	LLMProviderOllama = "ollama" // an Ollama server (OLLAMA_HOST or the config's BaseURL)
	LLMProviderOpenAI = "openai" // any OpenAI-compatible endpoint (OpenAI, OpenRouter, vLLM) by base URL and key
)

// Chat message roles.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool"
)

// LLMConfig names a model at a provider.
type LLMConfig struct {
	Provider string `json:"provider"`
	Model    string `json:"model"`
	// BaseURL is the provider's address; empty means the default (OLLAMA_HOST
	// for Ollama, https://api.openai.com/v1 for OpenAI-compatible).
	BaseURL string `json:"base_url,omitempty"`
	// APIKey authenticates to OpenAI-compatible endpoints. Never returned.
	APIKey Secret `json:"-"`
}

// ToolCall is a model's request to call one tool.
type ToolCall struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

// ChatMessage is one message of a conversation.
type ChatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content,omitempty"`
	// ToolCalls are set on assistant messages that call tools.
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// ToolCallID and Name are set on tool messages (the answer to a call).
	ToolCallID string `json:"tool_call_id,omitempty"`
	Name       string `json:"name,omitempty"`
}

// ToolSpec describes a tool offered to a model; Parameters is a JSON Schema.
type ToolSpec struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
}

// ChatRequest is one call to a chat model.
type ChatRequest struct {
	LLM         LLMConfig     `json:"llm"`
	Messages    []ChatMessage `json:"messages"`
	Tools       []ToolSpec    `json:"tools,omitempty"`
	Temperature float64       `json:"temperature"`
	// MaxTokens bounds the answer; 0 leaves it to the provider.
	MaxTokens int `json:"max_tokens,omitempty"`
}

// ChatResponse is a model's answer: text, tool calls, or both.
type ChatResponse struct {
	Message          ChatMessage `json:"message"`
	PromptTokens     int         `json:"prompt_tokens"`
	CompletionTokens int         `json:"completion_tokens"`
	StopReason       string      `json:"stop_reason,omitempty"`
}

// ChatModel calls chat models. onToken, when not nil, receives the answer's
// text as it streams.
type ChatModel interface {
	Chat(ctx context.Context, req ChatRequest, onToken func(string)) (*ChatResponse, error)
}

// Embedder turns texts into vectors with an embedding model.
type Embedder interface {
	Embed(ctx context.Context, cfg LLMConfig, texts []string) ([][]float32, error)
}

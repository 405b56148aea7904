package agents

import (
	"context"

	"github.com/google/uuid"

	hub "github.com/bizoshub/bizos"
)

// Resolver completes an agent's model configuration: the base URL and key
// come from the agent itself, else from the tenant's provider settings,
// else from the operator (OLLAMA_HOST). Brain uses it to refuse a run that
// could not reach a model; the worker uses it before every model call, so
// keys never travel through Temporal.
type Resolver struct {
	Store hub.AgentStore
	// OllamaHost is the operator's Ollama (OLLAMA_HOST); empty means none.
	OllamaHost string
}

// Resolve returns the model configuration of a, or EINVALID naming what
// to set.
func (r *Resolver) Resolve(ctx context.Context, a *hub.Agent) (hub.LLMConfig, error) {
	cfg := hub.LLMConfig{Provider: a.LLM.Provider, Model: a.LLM.Model, BaseURL: a.LLM.BaseURL}
	if cfg.Provider == "" || cfg.Model == "" {
		return cfg, hub.InvalidField("llm", `this agent has no model: set llm.provider ("ollama" or "openai") and llm.model on the agent`)
	}
	key, err := r.Store.AgentAPIKey(ctx, a.TenantID, a.ID)
	if err != nil && hub.ErrorCode(err) != hub.ENOTFOUND {
		return cfg, err
	}
	cfg.APIKey = key
	tenant, err := r.Store.LLMProvider(ctx, a.TenantID, cfg.Provider)
	switch {
	case hub.ErrorCode(err) == hub.ENOTFOUND:
	case err != nil:
		return cfg, err
	default:
		if cfg.BaseURL == "" {
			cfg.BaseURL = tenant.BaseURL
		}
		if cfg.APIKey == "" {
			cfg.APIKey = tenant.APIKey
		}
	}
	switch cfg.Provider {
	case hub.LLMProviderOllama:
		if cfg.BaseURL == "" && r.OllamaHost == "" {
			return cfg, hub.InvalidField("llm.base_url", `no Ollama server is configured: set OLLAMA_HOST for the hub, PUT /api/v1/llm-providers/ollama {"base_url"}, or llm.base_url on the agent`)
		}
	case hub.LLMProviderOpenAI:
		if cfg.APIKey == "" && cfg.BaseURL == "" {
			return cfg, hub.InvalidField("llm.api_key", `no OpenAI API key is configured: PUT /api/v1/llm-providers/openai {"api_key"} or set llm.api_key on the agent (or llm.base_url for a keyless OpenAI-compatible server)`)
		}
	default:
		return cfg, hub.InvalidField("llm.provider", `must be "ollama" or "openai"`)
	}
	return cfg, nil
}

func newRunID() string { return uuid.Must(uuid.NewV7()).String() }

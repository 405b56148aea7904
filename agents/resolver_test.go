package agents_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/agents"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/secrets"
)

// TestResolver checks where a run's model configuration comes from (the
// agent, then the tenant's provider settings, then the operator) and that
// what is missing is named, on the real store with sealed keys.
func TestResolver(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	spec, _ := secrets.NewKeySpec(1)
	ring, err := secrets.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	store := postgres.NewAgentStore(db, ring)
	tenant := &hub.Tenant{Name: "Acme", Slug: "acme"}
	if err := postgres.NewTenantStore(db).CreateTenant(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	agent := func(llm hub.AgentLLM, key hub.Secret) *hub.Agent {
		a := &hub.Agent{TenantID: tenant.ID, Name: "a", LLM: llm, CreatedBy: "user:u"}
		if err := store.CreateAgent(ctx, a, key); err != nil {
			t.Fatal(err)
		}
		return a
	}
	openai := hub.AgentLLM{Provider: hub.LLMProviderOpenAI, Model: "gpt-4o-mini"}
	ollama := hub.AgentLLM{Provider: hub.LLMProviderOllama, Model: "llama3.2"}
	for _, tc := range []struct {
		name       string
		agent      *hub.Agent
		tenantKey  hub.Secret
		ollamaHost string
		wantKey    hub.Secret
		wantURL    string
		wantField  string
	}{
		{name: "no model", agent: agent(hub.AgentLLM{}, ""), wantField: "llm"},
		{name: "openai without a key", agent: agent(openai, ""), wantField: "llm.api_key"},
		{name: "openai with its own key", agent: agent(openai, "sk-agent"), wantKey: "sk-agent"},
		{name: "openai with the tenant's key", agent: agent(openai, ""), tenantKey: "sk-tenant", wantKey: "sk-tenant", wantURL: "https://llm.acme.test/v1"},
		{name: "the agent's key wins", agent: agent(openai, "sk-agent"), tenantKey: "sk-tenant", wantKey: "sk-agent", wantURL: "https://llm.acme.test/v1"},
		{name: "ollama without a server", agent: agent(ollama, ""), wantField: "llm.base_url"},
		{name: "ollama on the operator's server", agent: agent(ollama, ""), ollamaHost: "127.0.0.1:11434"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_ = store.DeleteLLMProvider(ctx, tenant.ID, hub.LLMProviderOpenAI)
			if tc.tenantKey != "" {
				if err := store.PutLLMProvider(ctx, &hub.LLMProviderSettings{TenantID: tenant.ID, Provider: hub.LLMProviderOpenAI,
					BaseURL: "https://llm.acme.test/v1", APIKey: tc.tenantKey}); err != nil {
					t.Fatal(err)
				}
			}
			r := &agents.Resolver{Store: store, OllamaHost: tc.ollamaHost}
			cfg, err := r.Resolve(ctx, tc.agent)
			if tc.wantField != "" {
				var he *hub.Error
				if !errors.As(err, &he) || he.Code != hub.EINVALID || he.Fields[tc.wantField] == "" {
					t.Fatalf("error = %v, want EINVALID naming %s", err, tc.wantField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.APIKey != tc.wantKey || cfg.BaseURL != tc.wantURL || cfg.Model != tc.agent.LLM.Model {
				t.Errorf("config = %+v (key %q), want key %q, base URL %q", cfg, string(cfg.APIKey), tc.wantKey, tc.wantURL)
			}
		})
	}
	// Keys are sealed: the stored bytes do not hold them.
	var raw []byte
	if err := db.InSystem(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT api_key_sealed FROM agents WHERE api_key_sealed IS NOT NULL LIMIT 1`).Scan(&raw)
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "sk-agent") {
		t.Error("an agent's key is stored in the clear")
	}
}

package main

import (
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/bizoshub/bizos/agents/llm"
	"github.com/bizoshub/bizos/connectors"
	"github.com/bizoshub/bizos/egress"
	"github.com/bizoshub/bizos/httpapi"
	"github.com/bizoshub/bizos/knowledge"
	"github.com/bizoshub/bizos/mcpserver"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/workflows"
)

// models returns the chat and embedding client, guarding tenant-given base
// URLs with the egress policy.
func (a *app) models() (*llm.Client, error) {
	policy, err := egress.ParsePolicy(a.cfg.EgressAllow)
	if err != nil {
		return nil, err
	}
	m := llm.New(a.cfg.OllamaHost)
	m.Egress = policy
	return m, nil
}

// knowledgeService builds the knowledge bases service on Temporal client c.
func (a *app) knowledgeService(c client.Client) (*knowledge.Service, error) {
	policy, err := egress.ParsePolicy(a.cfg.EgressAllow)
	if err != nil {
		return nil, err
	}
	m, err := a.models()
	if err != nil {
		return nil, err
	}
	return knowledge.NewService(knowledge.Config{Store: postgres.NewKnowledgeStore(a.db, a.keyring),
		Ingester: knowledge.NewTemporalIngester(c), Embedder: m, Egress: policy, Log: a.log}), nil
}

// knowledgeRoutes builds the knowledge bases API and the MCP server.
func (a *app) knowledgeRoutes(conns *connectors.Service, authenticator httpapi.Authenticator) ([]httpapi.Route, error) {
	tc, err := a.temporalClient()
	if err != nil {
		return nil, err
	}
	svc, err := a.knowledgeService(tc)
	if err != nil {
		return nil, err
	}
	h := knowledge.NewHandler(svc)
	h.Audit, h.Log = postgres.NewAuditLog(a.db), a.log
	mcp, err := mcpserver.New(mcpserver.Config{
		Authenticator:  authenticator,
		Authorizer:     a.authz,
		Connections:    postgres.NewConnectionStore(a.db, a.keyring),
		Actions:        mcpActions,
		Runner:         conns,
		Knowledge:      svc,
		KnowledgeBases: postgres.NewKnowledgeStore(a.db, a.keyring),
		Audit:          postgres.NewAuditLog(a.db),
		Log:            a.log,
		Version:        version,
	})
	if err != nil {
		return nil, err
	}
	return append(h.Routes(), mcp.Routes()...), nil
}

// mcpActions lists a provider's connector actions for the MCP server.
func mcpActions(provider string) []mcpserver.Action {
	var out []mcpserver.Action
	for _, act := range connectors.Actions(provider) {
		out = append(out, mcpserver.Action{Name: act.Name, Provider: act.Provider, Title: act.Title,
			Description: act.Description, Write: act.Write, Input: act.Input, Output: act.Output})
	}
	return out
}

// registerKnowledge registers IngestDocument and its activities on w.
func (a *app) registerKnowledge(w worker.Worker) error {
	m, err := a.models()
	if err != nil {
		return err
	}
	w.RegisterWorkflow(workflows.IngestDocument)
	w.RegisterActivity(&workflows.IngestActivities{Store: knowledge.MeteredStore{KnowledgeStore: postgres.NewKnowledgeStore(a.db, a.keyring)},
		Splitter: knowledge.NewSplitter(knowledge.ChunkOptions{}), Embedder: m})
	return nil
}

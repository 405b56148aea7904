package main

import (
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/bizoshub/bizos/agents"
	"github.com/bizoshub/bizos/agents/llm"
	"github.com/bizoshub/bizos/connectors"
	"github.com/bizoshub/bizos/httpapi"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/redisstore"
	"github.com/bizoshub/bizos/workflows"
)

// agentAction tells the agents service about a connector action.
func agentAction(name string) (agents.ActionInfo, bool) {
	act, ok := connectors.LookupAction(name)
	if !ok {
		return agents.ActionInfo{}, false
	}
	return agents.ActionInfo{Provider: act.Provider, Write: act.Write, Title: act.Title, Description: act.Description,
		Input: act.Input}, true
}

// agentService builds the agents service on Temporal client c.
func (a *app) agentService(c client.Client) *agents.Service {
	store := postgres.NewAgentStore(a.db, a.keyring)
	return agents.NewService(agents.Config{
		Store:       store,
		Connections: postgres.NewConnectionStore(a.db, a.keyring),
		Actions:     agentAction,
		Grants:      a.authz,
		Resolver:    &agents.Resolver{Store: store, OllamaHost: a.cfg.OllamaHost},
		Models:      agents.ModelCheck{Check: llm.CheckConfig, TemperatureRange: llm.TemperatureRange},
		Knowledge:   postgres.NewKnowledgeStore(a.db, a.keyring),
		Temporal:    c,
	})
}

// agentRoutes builds the agents API.
func (a *app) agentRoutes() ([]httpapi.Route, error) {
	tc, err := a.temporalClient()
	if err != nil {
		return nil, err
	}
	h := agents.NewHandler(a.agentService(tc))
	h.Live = redisstore.NewRunEvents(a.rdb, a.cfg.RedisPrefix)
	h.Audit, h.Log = postgres.NewAuditLog(a.db), a.log
	return h.Routes(), nil
}

// registerAgents registers RunAgent and its activities on w.
func (a *app) registerAgents(w worker.Worker, c client.Client) error {
	conns, err := a.connectorService()
	if err != nil {
		return err
	}
	model, err := a.models()
	if err != nil {
		return err
	}
	kb, err := a.knowledgeService(c)
	if err != nil {
		return err
	}
	store := postgres.NewAgentStore(a.db, a.keyring)
	resolver := &agents.Resolver{Store: store, OllamaHost: a.cfg.OllamaHost}
	w.RegisterWorkflow(workflows.RunAgent)
	w.RegisterActivity(&workflows.AgentActivities{Store: agents.MeteredStore{AgentStore: store}, Model: model, Runner: conns, Authz: a.authz, Knowledge: kb,
		Publisher: redisstore.NewRunEvents(a.rdb, a.cfg.RedisPrefix), Events: postgres.NewEventStore(a.db),
		ResolveLLM: resolver.Resolve})
	return nil
}

package main

import (
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/bizoshub/bizos/httpapi"
	"github.com/bizoshub/bizos/playbooks"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/workflows"
)

// playbookService builds the playbooks service on Temporal client c.
func (a *app) playbookService(c client.Client) *playbooks.Service {
	return playbooks.NewService(playbooks.Config{
		Store:       postgres.NewPlaybookStore(a.db),
		Connections: postgres.NewConnectionStore(a.db, a.keyring),
		Agents:      postgres.NewAgentStore(a.db, a.keyring),
		Actions:     connectorAction,
		Temporal:    c,
	})
}

// playbookRoutes builds the playbooks API.
func (a *app) playbookRoutes() ([]httpapi.Route, error) {
	tc, err := a.temporalClient()
	if err != nil {
		return nil, err
	}
	h := playbooks.NewHandler(a.playbookService(tc))
	h.Audit, h.Log = postgres.NewAuditLog(a.db), a.log
	return h.Routes(), nil
}

// registerPlaybooks registers RunPlaybook and its activities on w.
func (a *app) registerPlaybooks(w worker.Worker, c client.Client) error {
	conns, err := a.connectorService()
	if err != nil {
		return err
	}
	w.RegisterWorkflow(workflows.RunPlaybook)
	w.RegisterActivity(&workflows.PlaybookActivities{Store: postgres.NewPlaybookStore(a.db), Runner: conns,
		Agents: a.agentService(c), AgentRuns: postgres.NewAgentStore(a.db, a.keyring)})
	return nil
}

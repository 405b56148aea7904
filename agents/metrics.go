package agents

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	hub "github.com/bizoshub/bizos"
)

// Step kinds in bizos_agent_steps_total.
const (
	StepModel = "model" // one answer of the model stored
	StepTool  = "tool"  // one tool call's result stored
)

var agentSteps = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "bizos_agent_steps_total",
	Help: "Agent run steps recorded, by kind (model: a model answer; tool: a tool call's result).",
}, []string{"kind"})

// Collectors returns the package's Prometheus collectors. The model calls'
// own metrics (tokens, latency) are in agents/llm.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{agentSteps}
}

// MeteredStore is a hub.AgentStore that counts the steps of agent runs as
// they are recorded: a change carrying usage is a model step (a retried
// step that reuses a stored answer carries none), a change that settles a
// tool call (succeeded or failed) is a tool step. The worker gives it to
// the agent activities.
type MeteredStore struct {
	hub.AgentStore
}

// RecordRunChanges implements hub.AgentStore.
func (s MeteredStore) RecordRunChanges(ctx context.Context, tenantID string, ch hub.RunChanges) ([]*hub.RunEvent, error) {
	evs, err := s.AgentStore.RecordRunChanges(ctx, tenantID, ch)
	if err != nil {
		return evs, err
	}
	if ch.Usage != nil && ch.Usage.Steps > 0 {
		agentSteps.WithLabelValues(StepModel).Add(float64(ch.Usage.Steps))
	}
	if c := ch.UpdateCall; c != nil && (c.Status == hub.ToolCallSucceeded || c.Status == hub.ToolCallFailed) {
		agentSteps.WithLabelValues(StepTool).Inc()
	}
	return evs, nil
}

package agents_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/testsuite"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/agents"
	"github.com/bizoshub/bizos/agents/llm"
	"github.com/bizoshub/bizos/internal/fakes"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/postgres"
	"github.com/bizoshub/bizos/secrets"
	"github.com/bizoshub/bizos/workflows"
)

// invoices answers every connector action with an empty list.
type invoices struct{}

func (invoices) RunAction(context.Context, string, string, string, json.RawMessage) (any, error) {
	return map[string]any{"data": []any{}}, nil
}

// agentSteps reads bizos_agent_steps_total by kind.
func agentSteps(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() == "bizos_agent_steps_total" {
			for _, m := range mf.GetMetric() {
				out[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}

// TestAgentStepMetrics runs an agent run's activities (model step, tool
// call, model step) on the real store through MeteredStore, with a fake
// model: two model steps and one tool step count; a retried model step
// that reuses its stored answer does not count again.
func TestAgentStepMetrics(t *testing.T) {
	ctx := context.Background()
	db := testenv.NewDB(t)
	spec, _ := secrets.NewKeySpec(1)
	ring, err := secrets.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	store := postgres.NewAgentStore(db, ring)
	tenant := &hub.Tenant{Name: "Acme", Slug: testenv.UniqueName("acme")}
	if err := postgres.NewTenantStore(db).CreateTenant(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	ag := &hub.Agent{TenantID: tenant.ID, Name: "biller", LLM: hub.AgentLLM{Provider: hub.LLMProviderOllama, Model: "llama3.2"}, MaxSteps: 5,
		Tools:     []hub.AgentTool{{Action: "stripe.list_invoices", ConnectionID: "c1", Approval: hub.ApprovalAuto, Name: "stripe_list_invoices"}},
		CreatedBy: "user:u"}
	if err := store.CreateAgent(ctx, ag, ""); err != nil {
		t.Fatal(err)
	}
	run := &hub.AgentRun{TenantID: tenant.ID, AgentID: ag.ID, WorkflowID: "agent-metrics", Input: "Any open invoices?", Agent: *ag, CreatedBy: "user:u"}
	if err := store.CreateAgentRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	model := fakes.NewLLM(t)
	model.Script(fakes.LLMTurn{ToolCalls: []fakes.LLMToolCall{{Name: "stripe_list_invoices", Arguments: "{}"}}},
		fakes.LLMTurn{Text: "None are open."})

	reg := prometheus.NewRegistry()
	for _, c := range agents.Collectors() {
		reg.MustRegister(c)
	}
	acts := &workflows.AgentActivities{Store: agents.MeteredStore{AgentStore: store}, Model: llm.New(model.URL), Runner: invoices{},
		ResolveLLM: func(_ context.Context, a *hub.Agent) (hub.LLMConfig, error) {
			return hub.LLMConfig{Provider: a.LLM.Provider, Model: a.LLM.Model}, nil
		}}
	env := (&testsuite.WorkflowTestSuite{}).NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	before := agentSteps(t, reg)
	if _, err := env.ExecuteActivity(acts.BeginAgentRun, workflows.AgentRunInput{TenantID: tenant.ID, RunID: run.ID}); err != nil {
		t.Fatal(err)
	}
	step := func(n int) workflows.AgentStepResult {
		t.Helper()
		v, err := env.ExecuteActivity(acts.AgentLLMStep, workflows.AgentStepRequest{TenantID: tenant.ID, RunID: run.ID, Step: n})
		if err != nil {
			t.Fatalf("step %d: %v", n, err)
		}
		var res workflows.AgentStepResult
		if err := v.Get(&res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := step(1)
	if len(first.Calls) != 1 {
		t.Fatalf("step 1 calls = %+v", first.Calls)
	}
	step(1) // retried: the stored answer is reused
	if _, err := env.ExecuteActivity(acts.RunAgentTool, workflows.ToolCallRequest{TenantID: tenant.ID, RunID: run.ID,
		CallID: first.Calls[0].CallID}); err != nil {
		t.Fatalf("tool: %v", err)
	}
	if res := step(2); !res.Final {
		t.Fatalf("step 2 = %+v", res)
	}
	got := map[string]float64{}
	for k, v := range agentSteps(t, reg) {
		got[k] = v - before[k]
	}
	if diff := cmp.Diff(map[string]float64{agents.StepModel: 2, agents.StepTool: 1}, got); diff != "" {
		t.Errorf("agent steps (-want +got):\n%s", diff)
	}
}

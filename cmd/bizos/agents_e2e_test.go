package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/internal/fakes"
	"github.com/bizoshub/bizos/internal/testenv"
)

// scriptedStripeAgent answers like a model that looks a customer up,
// creates one, and reports what happened; a task mentioning "loop" makes it
// call the same tool with the same input forever.
func scriptedStripeAgent(req fakes.LLMRequest) fakes.LLMTurn {
	task, tools, last := "", 0, req.LastMessage()
	for _, m := range req.Messages {
		if m.Role == "user" {
			task = m.Content
		}
		if m.Role == "tool" {
			tools++
		}
	}
	switch {
	case strings.Contains(task, "loop"):
		return fakes.LLMCall("stripe_list_customers", map[string]any{"limit": 1})
	case tools == 0:
		return fakes.LLMCall("stripe_list_customers", map[string]any{"limit": 1})
	case tools == 1:
		return fakes.LLMCall("stripe_create_customer", map[string]any{"email": "new@acme.test", "name": "New Customer"})
	case strings.HasPrefix(last.Content, "A person rejected"):
		return fakes.LLMText("I did not create the customer: the call was rejected.")
	default:
		return fakes.LLMText("Created the customer new@acme.test.")
	}
}

// agentRun is the part of a run the tests read.
type agentRun struct {
	ID               string `json:"id"`
	Status           string `json:"status"`
	Output           string `json:"output"`
	Error            string `json:"error"`
	WorkflowID       string `json:"workflow_id"`
	Trigger          string `json:"trigger"`
	Steps            int    `json:"steps"`
	PromptTokens     int    `json:"prompt_tokens"`
	CompletionTokens int    `json:"completion_tokens"`
	PendingCalls     []struct {
		CallID string         `json:"call_id"`
		Tool   string         `json:"tool"`
		Input  map[string]any `json:"input"`
	} `json:"pending_calls"`
}

func (s *testStack) waitRun(t *testing.T, token, id string, until func(agentRun) bool) agentRun {
	t.Helper()
	var run agentRun
	deadline := time.Now().Add(90 * time.Second)
	for {
		call(t, http.MethodGet, s.BrainURL+"/api/v1/runs/"+id, nil, bearer(token)).json(t, &run)
		if until(run) {
			return run
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s stuck at %+v", id, run)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func status(want string) func(agentRun) bool {
	return func(r agentRun) bool { return r.Status == want }
}

// streamRun reads a run's server-sent events until "end" and returns their types.
func streamRun(t *testing.T, url, token string) <-chan []string {
	out := make(chan []string, 1)
	go func() {
		var types []string
		defer func() { out <- types }()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if typ, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				types = append(types, typ)
				if typ == "end" {
					return
				}
			}
		}
	}()
	return out
}

// TestAgentRunEndToEnd configures an agent with Stripe tools (on
// stripe-mock) and a scripted Ollama model, and runs it through Temporal:
// a read runs at once, the write waits for approval, the transcript
// streams over SSE; a rejection is reported to the model; a run is
// cancelled; a looping agent is stopped; a rule starts a run.
func TestAgentRunEndToEnd(t *testing.T) {
	stripeURL := testenv.StripeMock(t)
	model := fakes.NewLLM(t)
	model.Respond(scriptedStripeAgent)
	overrides := writeOverrides(t, map[string]map[string]string{"stripe": {"api_base_url": stripeURL}})
	s := startStack(t, "-provider-overrides", overrides, "-ollama-host", model.URL)
	root, _ := s.login(t, adminEmail, adminPassword)
	a := s.makeTenant(t, root, "alpha")
	b := s.makeTenant(t, root, "beta")
	const hookSecret = "whsec_YWdlbnRzLXRlc3Q="
	conn := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "stripe",
		"credentials": map[string]string{"api_key": "sk_test_agents", "webhook_secret": hookSecret}}, bearer(a.AdminToken))
	if conn.Status != 201 {
		t.Fatalf("connect: %d %s", conn.Status, conn.Body)
	}
	connID := conn.field(t, "id")
	otherConn := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "stripe",
		"credentials": map[string]string{"api_key": "sk_test_beta"}}, bearer(b.AdminToken)).field(t, "id")

	agent := map[string]any{
		"name": "Billing Agent", "role": "billing assistant", "goal": "keep Stripe customers complete",
		"backstory": "Ten years in accounts receivable.", "instructions": "Check before you create.",
		"llm":         map[string]any{"provider": "ollama", "model": "llama3.2"},
		"temperature": 0.3, "max_steps": 6,
		"tools": []map[string]any{{"action": "stripe.list_customers", "connection_id": connID},
			{"action": "stripe.create_customer", "connection_id": connID}},
	}
	// Validation: nothing is stored for bad input.
	for name, tc := range map[string]struct {
		patch map[string]any
		field string
	}{
		"temperature":       {map[string]any{"temperature": 3.5}, "temperature"},
		"other tenant":      {map[string]any{"tools": []map[string]any{{"action": "stripe.list_customers", "connection_id": otherConn}}}, "tools[0].connection_id"},
		"wrong provider":    {map[string]any{"tools": []map[string]any{{"action": "hubspot.search_contacts", "connection_id": connID}}}, "tools[0].action"},
		"unknown action":    {map[string]any{"tools": []map[string]any{{"action": "stripe.delete_everything", "connection_id": connID}}}, "tools[0].action"},
		"bad approval":      {map[string]any{"tools": []map[string]any{{"action": "stripe.list_customers", "connection_id": connID, "approval": "maybe"}}}, "tools[0].approval"},
		"unknown provider":  {map[string]any{"llm": map[string]any{"provider": "skynet", "model": "x"}}, "llm.provider"},
		"max steps":         {map[string]any{"max_steps": 500}, "max_steps"},
		"unknown knowledge": {map[string]any{"knowledge_base_ids": []string{"0190f000-0000-7000-8000-000000000000"}}, "knowledge_base_ids[0]"},
	} {
		body := map[string]any{}
		for k, v := range agent {
			body[k] = v
		}
		for k, v := range tc.patch {
			body[k] = v
		}
		r := call(t, http.MethodPost, s.BrainURL+"/api/v1/agents", body, bearer(a.AdminToken))
		wantProblem(t, r, 400, hub.EINVALID)
		if !strings.Contains(string(r.Body), `"`+tc.field+`"`) {
			t.Errorf("%s: error does not name %s: %s", name, tc.field, r.Body)
		}
	}
	wantProblem(t, call(t, http.MethodPost, s.BrainURL+"/api/v1/agents", agent, bearer(a.ViewerToken)), 403, hub.EFORBIDDEN)
	var listed struct{ Items []any }
	call(t, http.MethodGet, s.BrainURL+"/api/v1/agents", nil, bearer(a.ViewerToken)).json(t, &listed)
	if len(listed.Items) != 0 {
		t.Fatalf("refused agents were stored: %+v", listed.Items)
	}

	created := call(t, http.MethodPost, s.BrainURL+"/api/v1/agents", agent, bearer(a.AdminToken))
	if created.Status != 201 {
		t.Fatalf("create agent: %d %s", created.Status, created.Body)
	}
	var ag struct {
		ID    string
		Tools []struct{ Name, Approval string }
	}
	created.json(t, &ag)
	if len(ag.Tools) != 2 || ag.Tools[0].Approval != "auto" || ag.Tools[1].Approval != "required" || ag.Tools[1].Name != "stripe_create_customer" {
		t.Errorf("tools = %+v (reads auto, writes need approval)", ag.Tools)
	}
	wantProblem(t, call(t, http.MethodGet, s.BrainURL+"/api/v1/agents/"+ag.ID, nil, bearer(b.AdminToken)), 404, hub.ENOTFOUND)

	// No model configured: a clear error naming what to set.
	bare := call(t, http.MethodPost, s.BrainURL+"/api/v1/agents", map[string]any{"name": "No model"}, bearer(a.AdminToken)).field(t, "id")
	r := call(t, http.MethodPost, s.BrainURL+"/api/v1/agents/"+bare+"/runs", map[string]any{"input": "hello"}, bearer(a.MemberToken))
	wantProblem(t, r, 400, hub.EINVALID)
	if !strings.Contains(string(r.Body), "llm.provider") {
		t.Errorf("no-model error does not say what to set: %s", r.Body)
	}

	// A tenant's provider key is sealed: never answered, never logged.
	const providerKey = "sk-agents-e2e-0123456789abcdef"
	if r := call(t, http.MethodPut, s.BrainURL+"/api/v1/llm-providers/openai", map[string]any{"api_key": providerKey}, bearer(a.AdminToken)); r.Status != 200 ||
		strings.Contains(string(r.Body), providerKey) {
		t.Fatalf("put provider: %d %s", r.Status, r.Body)
	}
	providers := call(t, http.MethodGet, s.BrainURL+"/api/v1/llm-providers", nil, bearer(a.ViewerToken))
	if !strings.Contains(string(providers.Body), `"has_api_key":true`) || strings.Contains(string(providers.Body), providerKey) {
		t.Errorf("providers = %s", providers.Body)
	}
	wantProblem(t, call(t, http.MethodPut, s.BrainURL+"/api/v1/llm-providers/openai", map[string]any{"api_key": "x"}, bearer(a.ViewerToken)), 403, hub.EFORBIDDEN)
	defer func() {
		if strings.Contains(s.logs.String(), providerKey) {
			t.Error("the provider key appears in the logs")
		}
	}()

	// Run 1: approve the write.
	start := call(t, http.MethodPost, s.BrainURL+"/api/v1/agents/"+ag.ID+"/runs", map[string]any{"input": "Make sure new@acme.test is a customer."}, bearer(a.MemberToken))
	if start.Status != 201 {
		t.Fatalf("start run: %d %s", start.Status, start.Body)
	}
	runID := start.field(t, "id")
	stream := streamRun(t, s.BrainURL+"/api/v1/runs/"+runID+"/events", a.ViewerToken)
	waiting := s.waitRun(t, a.ViewerToken, runID, status("waiting_approval"))
	if len(waiting.PendingCalls) != 1 || waiting.PendingCalls[0].Tool != "stripe_create_customer" || waiting.PendingCalls[0].Input["email"] != "new@acme.test" {
		t.Fatalf("pending = %+v", waiting.PendingCalls)
	}
	wantProblem(t, call(t, http.MethodPost, s.BrainURL+"/api/v1/runs/"+runID+"/approvals", map[string]any{"decision": "approve"}, bearer(a.ViewerToken)), 403, hub.EFORBIDDEN)
	wantProblem(t, call(t, http.MethodPost, s.BrainURL+"/api/v1/runs/"+runID+"/approvals", map[string]any{"decision": "approve"}, bearer(b.AdminToken)), 404, hub.ENOTFOUND)
	wantProblem(t, call(t, http.MethodPost, s.BrainURL+"/api/v1/runs/"+runID+"/approvals", map[string]any{"decision": "perhaps"}, bearer(a.MemberToken)), 400, hub.EINVALID)
	if r := call(t, http.MethodPost, s.BrainURL+"/api/v1/runs/"+runID+"/approvals", map[string]any{"decision": "approve", "comment": "fine"}, bearer(a.MemberToken)); r.Status != 202 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	done := s.waitRun(t, a.ViewerToken, runID, status("succeeded"))
	if done.Output != "Created the customer new@acme.test." || done.Steps != 3 || done.PromptTokens == 0 || done.CompletionTokens == 0 {
		t.Errorf("run = %+v", done)
	}
	var calls struct {
		Items []struct {
			Tool, Status string
			Output       map[string]any
		}
	}
	call(t, http.MethodGet, s.BrainURL+"/api/v1/runs/"+runID+"/tool-calls", nil, bearer(a.ViewerToken)).json(t, &calls)
	if len(calls.Items) != 2 || calls.Items[0].Status != "succeeded" || calls.Items[1].Status != "succeeded" ||
		!strings.HasPrefix(calls.Items[1].Output["id"].(string), "cus_") {
		t.Errorf("tool calls = %+v", calls.Items)
	}
	types := strings.Join(<-stream, ",")
	for _, want := range []string{"message", "llm", "tool_call", "tool_result", "approval_required", "approval", "status", "end"} {
		if !strings.Contains(types, want) {
			t.Errorf("SSE stream lacks %q: %s", want, types)
		}
	}
	// The model saw the agent's persona, its tools and its temperature.
	first := model.Requests()[0]
	if !strings.Contains(first.Messages[0].Content, "Billing Agent") || !strings.Contains(first.Messages[0].Content, "Ten years") ||
		len(first.Tools) != 2 || first.Temperature == nil || *first.Temperature != 0.3 {
		t.Errorf("first model request = %+v", first)
	}
	if os.Getenv("BIZOS_RECORD_HISTORY") == "1" {
		recordAgentHistory(t, s, done.WorkflowID)
	}

	// Run 2: reject; the model is told and answers.
	runID = call(t, http.MethodPost, s.BrainURL+"/api/v1/agents/"+ag.ID+"/runs", map[string]any{"input": "Add new@acme.test."}, bearer(a.MemberToken)).field(t, "id")
	s.waitRun(t, a.ViewerToken, runID, status("waiting_approval"))
	call(t, http.MethodPost, s.BrainURL+"/api/v1/runs/"+runID+"/approvals", map[string]any{"decision": "reject", "comment": "not this one"}, bearer(a.MemberToken))
	done = s.waitRun(t, a.ViewerToken, runID, status("succeeded"))
	if !strings.Contains(done.Output, "rejected") {
		t.Errorf("rejected run = %+v", done)
	}

	// Run 3: cancel while it waits.
	runID = call(t, http.MethodPost, s.BrainURL+"/api/v1/agents/"+ag.ID+"/runs", map[string]any{"input": "Add new@acme.test."}, bearer(a.MemberToken)).field(t, "id")
	s.waitRun(t, a.ViewerToken, runID, status("waiting_approval"))
	if r := call(t, http.MethodPost, s.BrainURL+"/api/v1/runs/"+runID+"/cancel", nil, bearer(a.MemberToken)); r.Status != 202 {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	s.waitRun(t, a.ViewerToken, runID, status("cancelled"))
	wantProblem(t, call(t, http.MethodPost, s.BrainURL+"/api/v1/runs/"+runID+"/approvals", map[string]any{"decision": "approve"}, bearer(a.MemberToken)), 409, hub.ECONFLICT)

	// Run 4: the loop guard stops an agent repeating itself.
	runID = call(t, http.MethodPost, s.BrainURL+"/api/v1/agents/"+ag.ID+"/runs", map[string]any{"input": "loop please"}, bearer(a.MemberToken)).field(t, "id")
	done = s.waitRun(t, a.ViewerToken, runID, status("failed"))
	if !strings.Contains(done.Error, "loop guard") {
		t.Errorf("looping run = %+v", done)
	}

	// A rule starts a run of the agent for an event, once.
	rule := call(t, http.MethodPost, s.BrainURL+"/api/v1/rules", map[string]any{"name": "paid invoice -> agent",
		"trigger": map[string]string{"event_type": "stripe.invoice.paid"},
		"actions": []map[string]any{{"type": "agent_run", "agent_id": ag.ID, "input": "Thank {{ event.payload.data.object.customer_email }}"}}},
		bearer(a.AdminToken))
	if rule.Status != 201 {
		t.Fatalf("rule: %d %s", rule.Status, rule.Body)
	}
	hookURL := conn.field(t, "inbound_webhook_url")
	body := []byte(`{"id":"evt_agent","object":"event","type":"invoice.paid","created":1700000000,"data":{"object":{"customer_email":"paid@acme.test"}}}`)
	if r := post(t, s.BrainURL+hookURL[strings.Index(hookURL, "/hooks/"):], body, map[string]string{"Stripe-Signature": stripeSignature(hookSecret, time.Now(), body)}); r.Status != 200 {
		t.Fatalf("inbound: %d %s", r.Status, r.Body)
	}
	var runs struct{ Items []agentRun }
	deadline := time.Now().Add(60 * time.Second)
	for {
		call(t, http.MethodGet, s.BrainURL+"/api/v1/agents/"+ag.ID+"/runs", nil, bearer(a.ViewerToken)).json(t, &runs)
		if len(runs.Items) == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rule started no agent run: %d runs", len(runs.Items))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.HasPrefix(runs.Items[0].Trigger, "rule:") {
		t.Errorf("rule-started run = %+v", runs.Items[0])
	}
	var events struct{ Items []struct{ Type string } }
	call(t, http.MethodGet, s.BrainURL+"/api/v1/events?type=agent.run.completed", nil, bearer(a.ViewerToken)).json(t, &events)
	if len(events.Items) < 4 {
		t.Errorf("%d agent.run.completed events, want 4 or more", len(events.Items))
	}
}

// recordAgentHistory writes a RunAgent history for the replay test.
func recordAgentHistory(t *testing.T, s *testStack, workflowID string) {
	c, err := client.Dial(client.Options{HostPort: s.TemporalAddress, Namespace: s.cfg.TemporalNamespace})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	testenv.RecordHistory(t, context.Background(), c, workflowID, "", "../../workflows/testdata/run_agent.json")
}

// TestWorkerKilledMidAgentRun kills the only worker while an agent's write
// is in flight at the platform and starts another: the run completes, and
// the customer is created once (the retried call carries the same
// Idempotency-Key, and a call recorded as done is never run again).
func TestWorkerKilledMidAgentRun(t *testing.T) {
	bin := buildBizos(t)
	model := fakes.NewLLM(t)
	model.Respond(scriptedStripeAgent)
	var mu sync.Mutex
	created := map[string]int{} // by idempotency key
	writes := make(chan struct{}, 10)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost && r.URL.Path == "/v1/customers" {
			key := r.Header.Get("Idempotency-Key")
			mu.Lock()
			created[key]++
			first := created[key] == 1
			mu.Unlock()
			if first {
				writes <- struct{}{}
				time.Sleep(2 * time.Second) // the worker dies while this call is in flight
			}
			io.WriteString(w, `{"id":"cus_killed","object":"customer","email":"new@acme.test","created":1700000000,"livemode":false}`)
			return
		}
		io.WriteString(w, `{"object":"list","data":[],"has_more":false,"url":"/v1/customers"}`)
	}))
	defer upstream.Close()
	overrides := writeOverrides(t, map[string]map[string]string{"stripe": {"api_base_url": upstream.URL}})
	s := startStack(t, "-provider-overrides", overrides, "-egress-allow", "127.0.0.0/8", "-dev-worker=false", "-ollama-host", model.URL)
	root, _ := s.login(t, adminEmail, adminPassword)
	a := s.makeTenant(t, root, "alpha")
	connID := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "stripe",
		"credentials": map[string]string{"api_key": "sk_test_kill"}}, bearer(a.AdminToken)).field(t, "id")
	ag := call(t, http.MethodPost, s.BrainURL+"/api/v1/agents", map[string]any{"name": "Writer",
		"llm": map[string]any{"provider": "ollama", "model": "llama3.2"},
		"tools": []map[string]any{{"action": "stripe.list_customers", "connection_id": connID},
			{"action": "stripe.create_customer", "connection_id": connID, "approval": "auto"}}}, bearer(a.AdminToken))
	if ag.Status != 201 {
		t.Fatalf("agent: %d %s", ag.Status, ag.Body)
	}
	worker := workerProcess(t, bin, s, overrides, "-ollama-host", model.URL)
	defer func() { _ = worker.Process.Kill(); _ = worker.Wait() }()
	runID := call(t, http.MethodPost, s.BrainURL+"/api/v1/agents/"+ag.field(t, "id")+"/runs",
		map[string]any{"input": "Make sure new@acme.test is a customer."}, bearer(a.MemberToken)).field(t, "id")
	select {
	case <-writes:
	case <-time.After(60 * time.Second):
		t.Fatal("the agent never wrote")
	}
	if err := worker.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = worker.Wait()
	worker = workerProcess(t, bin, s, overrides, "-ollama-host", model.URL)
	done := s.waitRun(t, a.ViewerToken, runID, func(r agentRun) bool { return r.Status != "running" })
	if done.Status != "succeeded" || done.Output != "Created the customer new@acme.test." {
		t.Fatalf("run after the kill = %+v", done)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(created) != 1 {
		t.Errorf("customers created under %d idempotency keys, want 1: %v", len(created), created)
	}
	t.Logf("create calls per idempotency key after the kill: %v", created)
	var calls struct {
		Items []struct{ Tool, Status string }
	}
	call(t, http.MethodGet, s.BrainURL+"/api/v1/runs/"+runID+"/tool-calls", nil, bearer(a.ViewerToken)).json(t, &calls)
	if len(calls.Items) != 2 || calls.Items[1].Status != "succeeded" {
		t.Errorf("tool calls = %+v", calls.Items)
	}
}

// TestAgentSearchesKnowledge uploads documents to a knowledge base
// (ingested by the Temporal workflow, full-text only: no embedding model),
// and runs an agent whose model asks search_knowledge a question: the
// right chunk comes back, and the run cites it.
func TestAgentSearchesKnowledge(t *testing.T) {
	model := fakes.NewLLM(t)
	model.Respond(func(req fakes.LLMRequest) fakes.LLMTurn {
		last := req.LastMessage()
		if last.Role != "tool" {
			return fakes.LLMCall("search_knowledge", map[string]any{"query": "how many days for a refund"})
		}
		var out struct {
			Chunks []struct {
				ChunkID string `json:"chunk_id"`
				Text    string
			}
		}
		if err := json.Unmarshal([]byte(last.Content), &out); err != nil || len(out.Chunks) == 0 {
			return fakes.LLMText("I found nothing.")
		}
		return fakes.LLMText("Refunds are accepted within 30 days [chunk:" + out.Chunks[0].ChunkID + "].")
	})
	s := startStack(t, "-ollama-host", model.URL)
	root, _ := s.login(t, adminEmail, adminPassword)
	a := s.makeTenant(t, root, "alpha")
	kb := call(t, http.MethodPost, s.BrainURL+"/api/v1/knowledge-bases", map[string]any{"name": "Support policies"}, bearer(a.AdminToken))
	if kb.Status != 201 {
		t.Fatalf("knowledge base: %d %s", kb.Status, kb.Body)
	}
	kbID := kb.field(t, "id")
	docs := map[string]string{
		"refunds.md":  "# Refunds\n\nCustomers may return any product and get a full refund within 30 days of delivery.",
		"shipping.md": "# Shipping\n\nOrders leave our warehouse within two working days and arrive by courier.",
		"privacy.txt": "We keep customer data in the EU and delete it on request.",
	}
	var refundDoc string
	for name, text := range docs {
		r := call(t, http.MethodPost, s.BrainURL+"/api/v1/knowledge-bases/"+kbID+"/documents",
			map[string]any{"name": name, "content_type": "text/markdown", "text": text}, bearer(a.AdminToken))
		if r.Status != 201 && r.Status != 202 {
			t.Fatalf("upload %s: %d %s", name, r.Status, r.Body)
		}
		if name == "refunds.md" {
			refundDoc = r.field(t, "id")
		}
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		var list struct{ Items []struct{ Status string } }
		call(t, http.MethodGet, s.BrainURL+"/api/v1/knowledge-bases/"+kbID+"/documents", nil, bearer(a.ViewerToken)).json(t, &list)
		ready := 0
		for _, d := range list.Items {
			if d.Status == "ready" {
				ready++
			}
		}
		if ready == len(docs) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("documents not ingested: %+v", list.Items)
		}
	}
	ag := call(t, http.MethodPost, s.BrainURL+"/api/v1/agents", map[string]any{"name": "Support Agent",
		"llm": map[string]any{"provider": "ollama", "model": "llama3.2"}, "knowledge_base_ids": []string{kbID}}, bearer(a.AdminToken))
	if ag.Status != 201 {
		t.Fatalf("agent: %d %s", ag.Status, ag.Body)
	}
	runID := call(t, http.MethodPost, s.BrainURL+"/api/v1/agents/"+ag.field(t, "id")+"/runs",
		map[string]any{"input": "A customer asks how long they have to ask for a refund."}, bearer(a.MemberToken)).field(t, "id")
	s.waitRun(t, a.ViewerToken, runID, status("succeeded"))
	var run struct {
		Output    string
		Citations []struct {
			ChunkID    string `json:"chunk_id"`
			DocumentID string `json:"document_id"`
			Text       string
		}
	}
	call(t, http.MethodGet, s.BrainURL+"/api/v1/runs/"+runID, nil, bearer(a.ViewerToken)).json(t, &run)
	if len(run.Citations) != 1 || run.Citations[0].DocumentID != refundDoc || !strings.Contains(run.Citations[0].Text, "30 days") ||
		!strings.Contains(run.Output, run.Citations[0].ChunkID) {
		t.Errorf("run output %q cites %+v, want the refunds chunk", run.Output, run.Citations)
	}
	// The model was offered search_knowledge and told to cite.
	first := model.Requests()[0]
	if len(first.Tools) != 1 || first.Tools[0].Name != "search_knowledge" || !strings.Contains(first.Messages[0].Content, "[chunk:") {
		t.Errorf("first request tools %+v, system %q", first.Tools, first.Messages[0].Content)
	}
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/internal/fakes"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/playbooks"
)

type playbookRun struct {
	ID       string         `json:"id"`
	Status   string         `json:"status"`
	Error    string         `json:"error"`
	Trigger  string         `json:"trigger"`
	Input    map[string]any `json:"input"`
	StepRuns []struct {
		StepID     string         `json:"step_id"`
		Status     string         `json:"status"`
		Output     map[string]any `json:"output"`
		Input      map[string]any `json:"input"`
		AgentRunID string         `json:"agent_run_id"`
	} `json:"step_runs"`
}

func (s *testStack) waitPlaybookRun(t *testing.T, token, id string, until func(playbookRun) bool) playbookRun {
	t.Helper()
	var run playbookRun
	deadline := time.Now().Add(90 * time.Second)
	for {
		call(t, http.MethodGet, s.BrainURL+"/api/v1/playbook-runs/"+id, nil, bearer(token)).json(t, &run)
		if until(run) {
			return run
		}
		if time.Now().After(deadline) {
			t.Fatalf("playbook run %s stuck at %+v", id, run)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func postYAML(t *testing.T, url, token, body string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/yaml")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// TestPlaybooksEndToEnd runs a YAML playbook through the interpreter
// workflow (a Stripe action on stripe-mock, an agent run waited for as a
// child workflow, a skipped conditional step, an approval, a wait, a write
// templated from earlier steps), fires a scheduled playbook, starts one
// from a rule, and refuses bad definitions with the field at fault.
func TestPlaybooksEndToEnd(t *testing.T) {
	stripeURL := testenv.StripeMock(t)
	model := fakes.NewLLM(t)
	model.Respond(func(req fakes.LLMRequest) fakes.LLMTurn { return fakes.LLMText("Summary: the account has customers.") })
	overrides := writeOverrides(t, map[string]map[string]string{"stripe": {"api_base_url": stripeURL}})
	s := startStack(t, "-provider-overrides", overrides, "-ollama-host", model.URL)
	root, _ := s.login(t, adminEmail, adminPassword)
	a := s.makeTenant(t, root, "alpha")
	b := s.makeTenant(t, root, "beta")
	const hookSecret = "whsec_cGxheWJvb2tzLXRlc3Q="
	conn := call(t, http.MethodPost, s.BrainURL+"/api/v1/connections", map[string]any{"provider": "stripe",
		"credentials": map[string]string{"api_key": "sk_test_playbooks", "webhook_secret": hookSecret}}, bearer(a.AdminToken))
	connID := conn.field(t, "id")
	agentID := call(t, http.MethodPost, s.BrainURL+"/api/v1/agents", map[string]any{"name": "Summariser",
		"llm": map[string]any{"provider": "ollama", "model": "llama3.2"}}, bearer(a.AdminToken)).field(t, "id")

	definition := fmt.Sprintf(`
name: Customer check
description: look up, think, ask, create
steps:
  - id: lookup
    type: action
    connection_id: %[1]s
    action: stripe.list_customers
    input: {limit: 1}
  - id: think
    type: agent
    agent_id: %[2]s
    input: "Summarise {{ event.payload.steps.lookup.output }} for {{ event.payload.input.email }}"
  - id: never
    type: action
    when: 'event.payload.input.email == "nobody@acme.test"'
    connection_id: %[1]s
    action: stripe.create_customer
    input: {email: nobody@acme.test}
  - id: review
    type: approval
    message: "Create {{ event.payload.input.email }}?"
  - id: pause
    type: wait
    seconds: 1
  - id: create
    type: action
    connection_id: %[1]s
    action: stripe.create_customer
    input:
      email: "{{ event.payload.input.email }}"
      description: "{{ event.payload.steps.think.output.text }}"
`, connID, agentID)
	// Bad definitions change nothing and name the field.
	for name, tc := range map[string]struct{ body, field string }{
		"bad condition":  {strings.Replace(definition, `event.payload.input.email == "nobody@acme.test"`, `event.payload.input.email ==`, 1), "steps[2].when"},
		"unknown type":   {strings.Replace(definition, "type: wait", "type: sleep", 1), "steps[4].type"},
		"duplicate id":   {strings.Replace(definition, "id: pause", "id: review", 1), "steps[4].id"},
		"wrong provider": {strings.Replace(definition, "action: stripe.list_customers", "action: hubspot.list_contacts", 1), "steps[0].action"},
		"bad template":   {strings.Replace(definition, "{{ event.payload.input.email }}?", "{{ payload.email }}?", 1), "steps[3].message"},
		"unknown agent":  {strings.Replace(definition, agentID, "0190f000-0000-7000-8000-000000000000", 1), "steps[1].agent_id"},
	} {
		r := postYAML(t, s.BrainURL+"/api/v1/playbooks", a.AdminToken, tc.body)
		wantProblem(t, r, 400, hub.EINVALID)
		if !strings.Contains(string(r.Body), `"`+tc.field+`"`) {
			t.Errorf("%s: error does not name %s: %s", name, tc.field, r.Body)
		}
	}
	wantProblem(t, postYAML(t, s.BrainURL+"/api/v1/playbooks", a.AdminToken, "steps: [unclosed"), 400, hub.EINVALID)
	wantProblem(t, call(t, http.MethodPost, s.BrainURL+"/api/v1/playbooks", map[string]any{"template": "weekly-ads-report",
		"params": map[string]string{"ads_connection": connID}}, bearer(a.AdminToken)), 400, hub.EINVALID)
	var none struct{ Items []any }
	call(t, http.MethodGet, s.BrainURL+"/api/v1/playbooks", nil, bearer(a.ViewerToken)).json(t, &none)
	if len(none.Items) != 0 {
		t.Fatalf("refused playbooks were stored: %d", len(none.Items))
	}
	var templates struct{ Items []struct{ ID string } }
	call(t, http.MethodGet, s.BrainURL+"/api/v1/playbook-templates", nil, bearer(a.ViewerToken)).json(t, &templates)
	if len(templates.Items) != 3 {
		t.Errorf("templates = %+v", templates.Items)
	}

	created := postYAML(t, s.BrainURL+"/api/v1/playbooks", a.AdminToken, definition)
	if created.Status != 201 {
		t.Fatalf("create playbook: %d %s", created.Status, created.Body)
	}
	pbID := created.field(t, "id")
	wantProblem(t, call(t, http.MethodGet, s.BrainURL+"/api/v1/playbooks/"+pbID, nil, bearer(b.AdminToken)), 404, hub.ENOTFOUND)
	start := call(t, http.MethodPost, s.BrainURL+"/api/v1/playbooks/"+pbID+"/runs", map[string]any{"input": map[string]string{"email": "pb@acme.test"}}, bearer(a.MemberToken))
	if start.Status != 201 {
		t.Fatalf("start: %d %s", start.Status, start.Body)
	}
	runID := start.field(t, "id")
	waiting := s.waitPlaybookRun(t, a.ViewerToken, runID, func(r playbookRun) bool { return r.Status == "waiting_approval" })
	steps := map[string]string{}
	for _, st := range waiting.StepRuns {
		steps[st.StepID] = st.Status
	}
	if steps["lookup"] != "succeeded" || steps["think"] != "succeeded" || steps["never"] != "skipped" || steps["review"] != "waiting_approval" {
		t.Fatalf("steps before approval = %v", steps)
	}
	if r := call(t, http.MethodPost, s.BrainURL+"/api/v1/playbook-runs/"+runID+"/approvals", map[string]any{"decision": "approve"}, bearer(a.MemberToken)); r.Status != 202 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	done := s.waitPlaybookRun(t, a.ViewerToken, runID, func(r playbookRun) bool { return r.Status != "running" && r.Status != "waiting_approval" })
	if done.Status != "succeeded" || len(done.StepRuns) != 6 {
		t.Fatalf("run = %+v", done)
	}
	last := done.StepRuns[5]
	if last.StepID != "create" || last.Input["email"] != "pb@acme.test" || last.Input["description"] != "Summary: the account has customers." ||
		!strings.HasPrefix(fmt.Sprint(last.Output["id"]), "cus_") {
		t.Errorf("create step = %+v", last)
	}
	if done.StepRuns[1].AgentRunID == "" {
		t.Error("the agent step names no agent run")
	}
	if os.Getenv("BIZOS_RECORD_HISTORY") == "1" {
		hc, err := client.Dial(client.Options{HostPort: s.TemporalAddress, Namespace: s.cfg.TemporalNamespace})
		if err != nil {
			t.Fatal(err)
		}
		testenv.RecordHistory(t, context.Background(), hc, "playbook-run-"+runID, "", "../../workflows/testdata/run_playbook.json")
		hc.Close()
	}

	// A rejected approval ends the run failed.
	runID = call(t, http.MethodPost, s.BrainURL+"/api/v1/playbooks/"+pbID+"/runs", map[string]any{"input": map[string]string{"email": "no@acme.test"}}, bearer(a.MemberToken)).field(t, "id")
	s.waitPlaybookRun(t, a.ViewerToken, runID, func(r playbookRun) bool { return r.Status == "waiting_approval" })
	call(t, http.MethodPost, s.BrainURL+"/api/v1/playbook-runs/"+runID+"/approvals", map[string]any{"decision": "reject"}, bearer(a.MemberToken))
	rejected := s.waitPlaybookRun(t, a.ViewerToken, runID, func(r playbookRun) bool { return r.Status == "failed" })
	if !strings.Contains(rejected.Error, "rejected") {
		t.Errorf("rejected run = %+v", rejected)
	}

	// A scheduled playbook: its Temporal Schedule fires Saturdays 08:00 in Berlin; firing it now runs it.
	scheduled := call(t, http.MethodPost, s.BrainURL+"/api/v1/playbooks", map[string]any{"name": "Weekly lookup",
		"schedule": map[string]any{"cron": "0 8 * * 6", "timezone": "Europe/Berlin", "input": map[string]string{"email": "sched@acme.test"}},
		"steps":    []map[string]any{{"id": "lookup", "type": "action", "connection_id": connID, "action": "stripe.list_customers", "input": map[string]any{"limit": 1}}}},
		bearer(a.AdminToken))
	if scheduled.Status != 201 {
		t.Fatalf("scheduled playbook: %d %s", scheduled.Status, scheduled.Body)
	}
	schedID := scheduled.field(t, "id")
	c, err := client.Dial(client.Options{HostPort: s.TemporalAddress, Namespace: s.cfg.TemporalNamespace})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	desc, err := c.ScheduleClient().GetHandle(context.Background(), playbooks.ScheduleID(schedID)).Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	if len(desc.Info.NextActionTimes) == 0 {
		t.Fatal("the schedule has no next fire time")
	}
	if next := desc.Info.NextActionTimes[0].In(berlin); next.Weekday() != time.Saturday || next.Hour() != 8 || next.Minute() != 0 {
		t.Errorf("next fire = %v, want a Saturday 08:00 in Berlin", next)
	}
	if r := call(t, http.MethodPost, s.BrainURL+"/api/v1/playbooks/"+schedID+"/schedule/trigger", nil, bearer(a.MemberToken)); r.Status != 202 {
		t.Fatalf("trigger: %d %s", r.Status, r.Body)
	}
	var runs struct{ Items []playbookRun }
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		call(t, http.MethodGet, s.BrainURL+"/api/v1/playbooks/"+schedID+"/runs", nil, bearer(a.ViewerToken)).json(t, &runs)
		if len(runs.Items) == 1 && runs.Items[0].Status == "succeeded" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the scheduled run did not finish: %+v", runs.Items)
		}
	}
	if runs.Items[0].Trigger != "schedule" || runs.Items[0].Input["email"] != "sched@acme.test" {
		t.Errorf("scheduled run = %+v", runs.Items[0])
	}

	// A rule starts the playbook with the event as input.event.
	rule := call(t, http.MethodPost, s.BrainURL+"/api/v1/rules", map[string]any{"name": "paid -> playbook",
		"trigger": map[string]string{"event_type": "stripe.invoice.paid"},
		"actions": []map[string]any{{"type": "playbook", "playbook_id": schedID, "input": map[string]any{"email": "{{ event.payload.data.object.customer_email }}"}}}},
		bearer(a.AdminToken))
	if rule.Status != 201 {
		t.Fatalf("rule: %d %s", rule.Status, rule.Body)
	}
	hookURL := conn.field(t, "inbound_webhook_url")
	body := []byte(`{"id":"evt_pb","object":"event","type":"invoice.paid","created":1700000000,"data":{"object":{"customer_email":"rule@acme.test"}}}`)
	if r := post(t, s.BrainURL+hookURL[strings.Index(hookURL, "/hooks/"):], body, map[string]string{"Stripe-Signature": stripeSignature(hookSecret, time.Now(), body)}); r.Status != 200 {
		t.Fatalf("inbound: %d %s", r.Status, r.Body)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		call(t, http.MethodGet, s.BrainURL+"/api/v1/playbooks/"+schedID+"/runs", nil, bearer(a.ViewerToken)).json(t, &runs)
		if len(runs.Items) == 2 && runs.Items[0].Status == "succeeded" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rule did not run the playbook: %+v", runs.Items)
		}
	}
	ev, _ := runs.Items[0].Input["event"].(map[string]any)
	if !strings.HasPrefix(runs.Items[0].Trigger, "rule:") || runs.Items[0].Input["email"] != "rule@acme.test" || ev["type"] != "stripe.invoice.paid" {
		t.Errorf("rule-started run = %+v", runs.Items[0])
	}
}

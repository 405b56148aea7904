package automation_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/automation"
)

func TestRuleAPI(t *testing.T) {
	f := newFixture(t)
	srv := f.server(t, f.service(automation.Config{}))
	A, B := f.tenantA, f.tenantB
	action := func(conn string) string {
		return fmt.Sprintf(`{"type":"connector_action","connection_id":%q,"action":"hubspot.update_contact","input":{"email":"{{ event.payload.email }}"}}`, conn)
	}
	body := func(eventType, cond, actions string) string {
		return fmt.Sprintf(`{"name":"Hot lead","trigger":{"event_type":%q},"condition":%q,"actions":[%s],"enabled":true}`, eventType, cond, actions)
	}

	st, r := call(t, srv, A, http.MethodPost, "/api/v1/rules", body("hubspot.contact.*", "event.payload.lead_score > 50", action(f.connA.ID)))
	if st != http.StatusCreated || r["id"] == nil || r["version"] != float64(1) {
		t.Fatalf("create = %d %v", st, r)
	}
	id := r["id"].(string)

	for name, tc := range map[string]struct {
		body, field, want string
		status            int
	}{
		"bad CEL":          {body("a.b", "event.payload.x >", action(f.connA.ID)), "condition", "line 1, column 18", 400},
		"unknown field":    {body("a.b", "event.paylod.x == 1", action(f.connA.ID)), "condition", "paylod", 400},
		"non-bool":         {body("a.b", "event.type + 'x'", action(f.connA.ID)), "condition", "true or false", 400},
		"bad event type":   {body("Stripe Invoice", "", action(f.connA.ID)), "trigger.event_type", "not an event type", 400},
		"star in middle":   {body("stripe.*.paid", "", action(f.connA.ID)), "trigger.event_type", "not an event type", 400},
		"unknown action":   {body("a.b", "", strings.Replace(action(f.connA.ID), "hubspot.update_contact", "hubspot.nope", 1)), "actions[0].action", "unknown action", 400},
		"wrong provider":   {body("a.b", "", strings.Replace(action(f.connA.ID), "hubspot.update_contact", "stripe.list_invoices", 1)), "actions[0].action", "belongs to stripe", 400},
		"other tenant":     {body("a.b", "", action(f.connB.ID)), "actions[0].connection_id", "not found", 400},
		"unknown agent":    {body("a.b", "", `{"type":"agent_run","agent_id":"0190f000-0000-7000-8000-000000000000","input":"hi"}`), "actions[0].agent_id", "not found", 400},
		"agent no input":   {body("a.b", "", `{"type":"agent_run"}`), "actions[0].agent_id", "is required", 400},
		"unknown playbook": {body("a.b", "", `{"type":"playbook","playbook_id":"0190f000-0000-7000-8000-000000000000"}`), "actions[0].playbook_id", "not found", 400},
		"bad template":     {body("a.b", "", strings.Replace(action(f.connA.ID), "event.payload.email", "payload.email", 1)), "actions[0].input", "must start with", 400},
		"delay too long":   {body("a.b", "", `{"type":"delay","seconds":604801}`), "actions[0].seconds", "between 1 and", 400},
		"unknown webhook":  {body("a.b", "", `{"type":"webhook","webhook_id":"0190f000-0000-7000-8000-000000000000"}`), "actions[0].webhook_id", "not found", 400},
		"no actions":       {body("a.b", "", ""), "actions", "at least one", 400},
		"bad cron":         {`{"name":"x","trigger":{"schedule":"0 25 * * *"},"actions":[{"type":"delay","seconds":1}]}`, "trigger.schedule", "not a cron expression", 400},
		"every":            {`{"name":"x","trigger":{"schedule":"@every 5m"},"actions":[{"type":"delay","seconds":1}]}`, "trigger.schedule", "five cron fields", 400},
		"bad zone":         {`{"name":"x","trigger":{"schedule":"0 9 * * 1","timezone":"Mars/Olympus"},"actions":[{"type":"delay","seconds":1}]}`, "trigger.timezone", "IANA time zone", 400},
		"both triggers":    {`{"name":"x","trigger":{"event_type":"a.b","schedule":"0 9 * * 1"},"actions":[{"type":"delay","seconds":1}]}`, "trigger", "not both", 400},
		"zone alone":       {`{"name":"x","trigger":{"event_type":"a.b","timezone":"UTC"},"actions":[{"type":"delay","seconds":1}]}`, "trigger.timezone", "only to a schedule", 400},
	} {
		st, p := call(t, srv, A, http.MethodPost, "/api/v1/rules", tc.body)
		errs, _ := p["errors"].(map[string]any)
		msg, _ := errs[tc.field].(string)
		if st != tc.status || p["code"] != hub.EINVALID || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d %v (want field %s containing %q)", name, st, p, tc.field, tc.want)
		}
	}
	// The CEL message names line and column.
	_, p := call(t, srv, A, http.MethodPost, "/api/v1/rules", body("a.b", "event.payload.x ==", action(f.connA.ID)))
	if msg := p["errors"].(map[string]any)["condition"].(string); !strings.Contains(msg, "line 1") && !strings.Contains(msg, "1:") {
		t.Errorf("condition error without a position: %q", msg)
	}
	// More than 20 actions.
	many := strings.TrimSuffix(strings.Repeat(`{"type":"delay","seconds":1},`, 21), ",")
	if st, p := call(t, srv, A, http.MethodPost, "/api/v1/rules", body("a.b", "", many)); st != 400 || p["errors"].(map[string]any)["actions"] == nil {
		t.Errorf("21 actions = %d %v", st, p)
	}

	// Read, list, update.
	if st, r := call(t, srv, A, http.MethodGet, "/api/v1/rules/"+id, ""); st != 200 || r["name"] != "Hot lead" {
		t.Errorf("get = %d %v", st, r)
	}
	if st, r := call(t, srv, A, http.MethodGet, "/api/v1/rules", ""); st != 200 || len(r["items"].([]any)) != 1 {
		t.Errorf("list = %d %v", st, r)
	}
	if st, r := call(t, srv, A, http.MethodPatch, "/api/v1/rules/"+id, `{"enabled":false,"condition":"event.payload.lead_score > 80"}`); st != 200 ||
		r["enabled"] != false || r["version"] != float64(2) || r["condition"] != "event.payload.lead_score > 80" {
		t.Errorf("patch = %d %v", st, r)
	}
	if st, p := call(t, srv, A, http.MethodPatch, "/api/v1/rules/"+id, `{"condition":"event.nope"}`); st != 400 || p["errors"].(map[string]any)["condition"] == nil {
		t.Errorf("bad patch = %d %v", st, p)
	}
	if st, r := call(t, srv, A, http.MethodPut, "/api/v1/rules/"+id, body("hubspot.*", "", `{"type":"delay","seconds":5}`)); st != 200 ||
		r["enabled"] != true || len(r["actions"].([]any)) != 1 {
		t.Errorf("put = %d %v", st, r)
	}
	if st, r := call(t, srv, A, http.MethodGet, "/api/v1/rules/"+id+"/runs", ""); st != 200 || len(r["items"].([]any)) != 0 {
		t.Errorf("runs = %d %v", st, r)
	}

	// Tenant isolation.
	for _, c := range []struct{ method, path, body string }{
		{http.MethodGet, "/api/v1/rules/" + id, ""},
		{http.MethodPatch, "/api/v1/rules/" + id, `{"enabled":true}`},
		{http.MethodDelete, "/api/v1/rules/" + id, ""},
		{http.MethodGet, "/api/v1/rules/" + id + "/runs", ""},
		{http.MethodGet, "/api/v1/rule-runs/" + id, ""},
	} {
		if st, _ := call(t, srv, B, c.method, c.path, c.body); st != http.StatusNotFound {
			t.Errorf("B %s %s = %d", c.method, c.path, st)
		}
	}
	if st, r := call(t, srv, B, http.MethodGet, "/api/v1/rules", ""); st != 200 || len(r["items"].([]any)) != 0 {
		t.Errorf("B list = %d %v", st, r)
	}
	// Retry without Temporal.
	if st, _ := call(t, srv, A, http.MethodPost, "/api/v1/rule-runs/"+id+"/retry", ""); st != http.StatusServiceUnavailable {
		t.Errorf("retry without temporal = %d", st)
	}
	if st, _ := call(t, srv, A, http.MethodDelete, "/api/v1/rules/"+id, ""); st != http.StatusNoContent {
		t.Errorf("delete = %d", st)
	}
	if st, _ := call(t, srv, A, http.MethodGet, "/api/v1/rules/"+id, ""); st != http.StatusNotFound {
		t.Errorf("get deleted = %d", st)
	}
}

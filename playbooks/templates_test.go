package playbooks_test

import (
	"encoding/json"
	"strings"
	"testing"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/automation"
	"github.com/bizoshub/bizos/connectors"
	"github.com/bizoshub/bizos/playbooks"
	"github.com/bizoshub/bizos/rules"
)

// TestTemplates checks every shipped template: its parameters fill in,
// each step names a real action of the provider its connection parameter
// declares, and every condition and input template compiles.
func TestTemplates(t *testing.T) {
	ts, err := playbooks.Templates()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"hot-lead-to-zoho", "shopify-order-to-crm", "weekly-ads-report"}
	var got []string
	for _, tpl := range ts {
		got = append(got, tpl.ID)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("templates = %v, want %v", got, want)
	}
	for _, tpl := range ts {
		t.Run(tpl.ID, func(t *testing.T) {
			params, providers := map[string]string{}, map[string]string{}
			for _, p := range tpl.Params {
				params[p.Name] = "param-" + p.Name
				providers["param-"+p.Name] = p.Provider
			}
			if _, err := tpl.Instantiate(map[string]string{}); hub.ErrorCode(err) != hub.EINVALID && len(tpl.Params) > 0 {
				t.Errorf("missing params = %v, want EINVALID", err)
			}
			def, err := tpl.Instantiate(params)
			if err != nil {
				t.Fatal(err)
			}
			if def.Name == "" || len(def.Steps) == 0 {
				t.Fatalf("definition = %+v", def)
			}
			if strings.Contains(mustMarshal(t, def), "${") {
				t.Errorf("unfilled parameter in %s", mustMarshal(t, def))
			}
			if def.Schedule != nil {
				if _, _, err := automation.CheckSchedule(def.Schedule.Cron, def.Schedule.Timezone); err != nil {
					t.Errorf("schedule: %v", err)
				}
			}
			for _, st := range def.Steps {
				if _, err := rules.Compile(st.When); err != nil {
					t.Errorf("step %s: when: %v", st.ID, err)
				}
				var input any
				if len(st.Input) > 0 {
					if err := json.Unmarshal(st.Input, &input); err != nil {
						t.Fatal(err)
					}
				}
				if err := rules.CheckTemplate(input); err != nil {
					t.Errorf("step %s: input: %v", st.ID, err)
				}
				if st.Type != hub.PlaybookStepAction {
					continue
				}
				act, ok := connectors.LookupAction(st.Action)
				if !ok {
					t.Errorf("step %s: unknown action %s", st.ID, st.Action)
					continue
				}
				if act.Provider != providers[st.ConnectionID] {
					t.Errorf("step %s: action %s of %s on a %s connection parameter", st.ID, st.Action, act.Provider, providers[st.ConnectionID])
				}
			}
		})
	}
}

func mustMarshal(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

package mcpserver_test

import (
	"context"
	"net/http"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bizoshub/bizos/connectors"
	"github.com/bizoshub/bizos/mcpserver"
)

// connectorActions adapts the real catalogue, as cmd/bizos does.
func connectorActions(provider string) []mcpserver.Action {
	var out []mcpserver.Action
	for _, a := range connectors.Actions(provider) {
		out = append(out, mcpserver.Action{Name: a.Name, Provider: a.Provider, Title: a.Title, Description: a.Description,
			Write: a.Write, Input: a.Input, Output: a.Output})
	}
	return out
}

// Claude's and OpenAI's APIs take tool names of this shape; MCP's own rule is looser.
var portableToolName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// TestRealCatalog lists every real connector action as a tool: each schema
// is one the SDK and its clients accept, and each name is portable.
func TestRealCatalog(t *testing.T) {
	f := newFixtureWith(t, connectorActions)
	// The fixture connected Stripe once and HubSpot twice; add every other platform.
	providers := map[string]bool{"stripe": true, "hubspot": true}
	for _, a := range connectors.Actions("") {
		if !providers[a.Provider] {
			providers[a.Provider] = true
			f.connect(t, f.tenantA, a.Provider, a.Provider+" account")
		}
	}
	cs, err := session(t, f.srv, http.Header{"X-Api-Key": {f.key(t, f.tenantA, "connections:read", "connections:write")}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{} // action → tools
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		if !portableToolName.MatchString(tool.Name) {
			t.Errorf("tool name %q is not portable", tool.Name)
		}
		if typ := tool.InputSchema.(map[string]any)["type"]; typ != "object" {
			t.Errorf("%s: input schema type %v", tool.Name, typ)
		}
		if tool.OutputSchema == nil {
			t.Errorf("%s: no output schema", tool.Name)
		}
		action, _ := tool.Meta["bizos/action"].(string)
		got[action]++
	}
	want := map[string]int{}
	for _, a := range connectors.Actions("") {
		want[a.Name] = 1
		if a.Provider == "hubspot" {
			want[a.Name] = 2
		}
	}
	if len(want) < 13*2 {
		t.Fatalf("only %d actions in the catalogue", len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tools per action (-want +got):\n%s", diff)
	}
}

package rules

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testEvent builds an event the way the hub does: top-level fields plus a payload decoded
// from JSON (so every number is a float64).
func testEvent(t testing.TB, payloadJSON string) map[string]any {
	t.Helper()
	var payload map[string]any
	if err := json.Unmarshal([]byte(payloadJSON), &payload); err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"id":          "evt_1",
		"type":        "hubspot.contact.propertyChange",
		"tenant_id":   "ten_1",
		"source":      "conn_1",
		"occurred_at": time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
		"received_at": "2024-05-01T12:00:03Z", // RFC 3339 strings are accepted too
		"payload":     payload,
	}
}

const samplePayload = `{
	"email": "Ada@Example.com",
	"lead_score": 51,
	"amount": 6,
	"price": 2.5,
	"count": 3,
	"vip": true,
	"tags": ["new", "b2b"],
	"items": [{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}],
	"contact": {"name": "Ada", "address": {"city": "London"}},
	"nothing": null
}`

func TestEval(t *testing.T) {
	ev := testEvent(t, samplePayload)
	tests := []struct {
		expr string
		want bool
	}{
		{``, true},
		{`   `, true},
		{`event.payload.lead_score > 50 && event.payload.email != ""`, true},
		{`event.type == "stripe.invoice.payment_failed"`, false},
		{`event.type == "hubspot.contact.propertyChange"`, true},
		{`event.type.startsWith("hubspot.")`, true},
		{`has(event.payload.email)`, true},
		{`has(event.payload.phone)`, false},
		{`has(event.payload.phone) && event.payload.phone != ""`, false},
		{`!has(event.payload.phone) || event.payload.phone.startsWith("+44")`, true},
		{`event.payload.email.startsWith("Ada")`, true},
		{`event.payload.email.contains("@example")`, false},
		{`event.payload.email.lowerAscii().contains("@example")`, true},
		{`event.payload.email.matches("^[^@]+@[^@]+\\.com$")`, true},
		{`event.payload.email.endsWith(".org")`, false},
		{`"b2b" in event.payload.tags`, true},
		{`event.payload.tags.exists(t, t == "vip")`, false},
		{`event.payload.items.exists(i, i.sku == "B" && i.qty >= 1)`, true},
		{`event.payload.items.all(i, i.qty > 0)`, true},
		{`size(event.payload.items) == 2`, true},
		{`event.payload.contact.address.city == "London"`, true},
		{`event.payload.vip`, true}, // a dyn that is a bool at run time is fine
		{`event.payload.nothing == null`, true},
		{`event.source == "conn_1" && event.tenant_id == "ten_1" && event.id == "evt_1"`, true},
		{`event.occurred_at > timestamp("2024-01-01T00:00:00Z")`, true},
		{`event.received_at - event.occurred_at < duration("5s")`, true},
		// JSON numbers are doubles. Comparison and equality with int literals work...
		{`event.payload.lead_score > 50`, true},
		{`event.payload.count == 3`, true},
		{`event.payload.count in [1, 2, 3]`, true},
		{`event.payload.price < 3`, true},
		// ...and arithmetic works with double literals or explicit conversions.
		{`event.payload.amount * 2.0 > 10.0`, true},
		{`event.payload.amount * 2.0 > 10`, true},
		{`int(event.payload.amount) * 2 == 12`, true},
		{`event.payload.price * double(event.payload.count) == 7.5`, true},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			c, err := Compile(tt.expr)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if c.Source() != tt.expr {
				t.Errorf("Source() = %q", c.Source())
			}
			got, err := c.Eval(ev)
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if got != tt.want {
				t.Errorf("Eval = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name      string
		expr      string
		line, col int
		wantInMsg []string
	}{
		{
			name: "syntax", expr: `event.type ==`, line: 1, col: 14,
			wantInMsg: []string{"line 1, column 14", "Syntax error", "\n | event.type ==\n | .............^"},
		},
		{
			name: "syntax on line 2", expr: "event.type == \"a\" &&\n  (event.id == \"b\"", line: 2, col: 19,
			wantInMsg: []string{"line 2, column 19", "missing ')'", "\n |   (event.id == \"b\"\n | ..................^"},
		},
		{
			name: "unknown top-level field", expr: `event.paylod.email == "x"`, line: 1, col: 6,
			wantInMsg: []string{"undefined field 'paylod'", " | event.paylod.email"},
		},
		{
			name: "unknown field in has", expr: `has(event.emial)`, line: 1, col: 4,
			wantInMsg: []string{"undefined field 'emial'"},
		},
		{
			name: "unknown variable", expr: `payload.email == "x"`, line: 1, col: 1,
			wantInMsg: []string{"undeclared reference to 'payload'"},
		},
		{
			name: "typed top-level field", expr: `event.type == 5`, line: 1, col: 12,
			wantInMsg: []string{"no matching overload", "(string, int)"},
		},
		{
			name: "non-bool result", expr: `event.type`,
			wantInMsg: []string{"must be true or false", "string"},
		},
		{
			name: "non-bool arithmetic", expr: `1 + 2`,
			wantInMsg: []string{"must be true or false", "int"},
		},
		{
			name: "too long", expr: `event.type == "` + strings.Repeat("x", MaxSourceLength) + `"`,
			wantInMsg: []string{"too long", "4096"},
		},
		{
			name: "comprehension nesting",
			expr: `event.payload.items.all(x, event.payload.items.all(y, event.payload.items.all(z, true)))`,
			line: 1, col: 78,
			wantInMsg: []string{"nesting limit"},
		},
		{
			name:      "estimated cost",
			expr:      `event.payload.tags.all(x, event.payload.tags.all(y, x.matches(y)))`,
			wantInMsg: []string{"too expensive", "nested loops"},
		},
		{
			name: "bad regex literal", expr: `event.payload.email.matches("(")`, line: 1, col: 29,
			wantInMsg: []string{"invalid matches argument"},
		},
		{
			name: "bad timestamp literal", expr: `event.occurred_at > timestamp("yesterday")`, line: 1, col: 31,
			wantInMsg: []string{"timestamp"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Compile(tt.expr)
			if err == nil {
				t.Fatalf("Compile succeeded: %+v", c)
			}
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("error is %T, want *CompileError: %v", err, err)
			}
			if diff := cmp.Diff([2]int{tt.line, tt.col}, [2]int{ce.Line, ce.Column}); diff != "" {
				t.Errorf("position (-want +got):\n%s\nmessage: %s", diff, ce.Message)
			}
			for _, s := range tt.wantInMsg {
				if !strings.Contains(ce.Error(), s) {
					t.Errorf("message %q does not contain %q", ce.Error(), s)
				}
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	big := make([]any, 1000)
	for i := range big {
		big[i] = float64(i)
	}
	ev := testEvent(t, samplePayload)
	ev["payload"].(map[string]any)["big"] = big
	noTime := testEvent(t, `{}`)
	delete(noTime, "occurred_at")
	badType := testEvent(t, `{}`)
	badType["type"] = 42

	tests := []struct {
		name  string
		expr  string
		event map[string]any
		want  string
	}{
		{
			name: "missing key without has", expr: `event.payload.phone == "+44"`, event: ev,
			want: `condition failed: key "phone" is not in the event (guard it with has(...))`,
		},
		{
			name: "missing nested key", expr: `event.payload.contact.age > 18`, event: ev,
			want: `condition failed: key "age" is not in the event (guard it with has(...))`,
		},
		{
			name: "int arithmetic on a JSON number", expr: `event.payload.amount * 2 > 10`, event: ev,
			want: "JSON numbers are doubles",
		},
		{
			name: "string function on a number", expr: `event.payload.amount.startsWith("1")`, event: ev,
			want: "no such overload",
		},
		{
			name: "non-bool dyn result", expr: `event.payload.email`, event: ev,
			want: "condition yielded string, not true or false",
		},
		{
			name: "runtime cost limit", expr: `event.payload.big.all(x, event.payload.big.all(y, true))`, event: ev,
			want: "exceeded the cost limit",
		},
		{
			name: "absent timestamp", expr: `event.occurred_at > timestamp("2024-01-01T00:00:00Z")`, event: noTime,
			want: "event.occurred_at is not set",
		},
		{
			name: "top-level field of the wrong type", expr: `event.type == "x"`, event: badType,
			want: "event.type is int, not a string",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Compile(tt.expr)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			got, err := c.Eval(tt.event)
			if err == nil {
				t.Fatalf("Eval = %v, want error containing %q", got, tt.want)
			}
			if got {
				t.Errorf("Eval returned true with an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestCostTracking(t *testing.T) {
	tests := []struct {
		expr string
		want bool
	}{
		{`event.type == "a" && event.payload.lead_score > 50 && has(event.payload.email)`, false},
		{`event.payload.email.endsWith("@example.com")`, false},
		{`event.payload.items.exists(i, i.sku == "B")`, true},
		{`event.payload.email.matches(event.payload.pattern)`, true},
	}
	for _, tt := range tests {
		c, err := Compile(tt.expr)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tt.expr, err)
		}
		if c.tracked != tt.want {
			t.Errorf("Compile(%q): cost tracked = %v, want %v", tt.expr, c.tracked, tt.want)
		}
	}
}

func TestConditionConcurrent(t *testing.T) {
	c, err := Compile(`event.payload.lead_score > 50 && event.payload.email.contains("@")`)
	if err != nil {
		t.Fatal(err)
	}
	ev := testEvent(t, samplePayload)
	done := make(chan error, 8)
	for range 8 {
		go func() {
			for range 200 {
				if ok, err := c.Eval(ev); err != nil || !ok {
					done <- errors.Join(err, errors.New("unexpected result"))
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestRender(t *testing.T) {
	ev := testEvent(t, samplePayload)
	tests := []struct {
		name  string
		input any
		want  any
	}{
		{
			name:  "no placeholders unchanged",
			input: map[string]any{"channel": "#sales", "n": 3.0, "ok": true, "x": nil, "list": []any{"a", 1.0}},
			want:  map[string]any{"channel": "#sales", "n": 3.0, "ok": true, "x": nil, "list": []any{"a", 1.0}},
		},
		{
			name:  "single placeholder keeps the JSON type",
			input: map[string]any{"score": "{{ event.payload.lead_score }}", "vip": "{{event.payload.vip}}", "email": "{{ event.payload.email }}", "nothing": "{{ event.payload.nothing }}"},
			want:  map[string]any{"score": 51.0, "vip": true, "email": "Ada@Example.com", "nothing": nil},
		},
		{
			name:  "single placeholder with an object or array",
			input: map[string]any{"contact": "{{ event.payload.contact }}", "tags": "{{ event.payload.tags }}"},
			want: map[string]any{
				"contact": map[string]any{"name": "Ada", "address": map[string]any{"city": "London"}},
				"tags":    []any{"new", "b2b"},
			},
		},
		{
			name:  "embedded placeholders are stringified",
			input: "Lead {{ event.payload.contact.name }} <{{event.payload.email}}> scored {{ event.payload.lead_score }} (vip={{ event.payload.vip }}, price {{ event.payload.price }}, tags {{ event.payload.tags }}, none={{ event.payload.nothing }})",
			want:  `Lead Ada <Ada@Example.com> scored 51 (vip=true, price 2.5, tags ["new","b2b"], none=)`,
		},
		{
			name:  "top-level fields",
			input: "{{ event.type }} from {{ event.source }} at {{ event.occurred_at }}",
			want:  "hubspot.contact.propertyChange from conn_1 at 2024-05-01T12:00:00Z",
		},
		{
			name: "nested maps and arrays, array indexes",
			input: map[string]any{
				"properties": map[string]any{
					"city":  "{{ event.payload.contact.address.city }}",
					"first": []any{"{{ event.payload.items[0].sku }}", "qty {{ event.payload.items[1].qty }}", 7.0},
				},
				"tag": `{{ event.payload["tags"][1] }}`,
			},
			want: map[string]any{
				"properties": map[string]any{
					"city":  "London",
					"first": []any{"A", "qty 1", 7.0},
				},
				"tag": "b2b",
			},
		},
		{
			name:  "defaults",
			input: []any{`{{ event.payload.phone | default: "n/a" }}`, `Hi {{ event.payload.first_name | default: "there" }}!`, `{{ event.payload.missing|default:0 }}`, `{{ event.payload.nothing | default: "none" }}`, `{{ event.payload.email | default: "x" }}`},
			want:  []any{"n/a", "Hi there!", 0.0, "none", "Ada@Example.com"},
		},
		{
			name:  "non-string scalars untouched",
			input: 42.0,
			want:  42.0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckTemplate(tt.input); err != nil {
				t.Fatalf("CheckTemplate: %v", err)
			}
			got, err := Render(tt.input, ev)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Render (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderDoesNotAlias(t *testing.T) {
	ev := testEvent(t, samplePayload)
	input := map[string]any{"contact": "{{ event.payload.contact }}", "keep": "x"}
	got, err := Render(input, ev)
	if err != nil {
		t.Fatal(err)
	}
	got.(map[string]any)["contact"].(map[string]any)["name"] = "changed"
	got.(map[string]any)["keep"] = "changed"
	if name := ev["payload"].(map[string]any)["contact"].(map[string]any)["name"]; name != "Ada" {
		t.Errorf("event modified through rendered output: name = %v", name)
	}
	if input["keep"] != "x" {
		t.Errorf("input modified: %v", input["keep"])
	}
}

func TestRenderErrors(t *testing.T) {
	ev := testEvent(t, samplePayload)
	tests := []struct {
		name  string
		input any
		want  string
	}{
		{
			name:  "unknown key",
			input: map[string]any{"to": "{{ event.payload.phone }}"},
			want:  `input.to: {{ event.payload.phone }}: unknown path event.payload.phone`,
		},
		{
			name:  "unknown nested key inside text",
			input: map[string]any{"body": []any{"ok", "Hello {{ event.payload.contact.surname }}"}},
			want:  `input.body[1]: {{ event.payload.contact.surname }}: unknown path event.payload.contact.surname`,
		},
		{
			name:  "index out of range",
			input: "{{ event.payload.items[5].sku }}",
			want:  `input: {{ event.payload.items[5].sku }}: unknown path event.payload.items[5] (the array has 2 elements)`,
		},
		{
			name:  "field of a string",
			input: "{{ event.payload.email.domain }}",
			want:  `input: {{ event.payload.email.domain }}: unknown path event.payload.email.domain (its parent is a string)`,
		},
		{
			name:  "syntax errors are reported too",
			input: "{{ event.payload.email",
			want:  "input: placeholder opened at character 1 is not closed with }}",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render(tt.input, ev)
			if err == nil {
				t.Fatalf("Render = %v, want error", got)
			}
			var te *TemplateError
			if !errors.As(err, &te) {
				t.Errorf("error is %T, want *TemplateError", err)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckTemplateErrors(t *testing.T) {
	tests := []struct {
		name  string
		input any
		want  string
	}{
		{"unclosed", map[string]any{"to": "Hi {{ event.payload.name"}, `input.to: placeholder opened at character 4 is not closed with }}`},
		{"empty", "{{ }}", `input: {{ }}: empty placeholder`},
		{"not under event", "{{ payload.email }}", `input: {{ payload.email }}: path must start with "event."`},
		{"bare event", "{{ event }}", `input: {{ event }}: path must start with "event."`},
		{"unknown top-level field", "{{ event.paylod.email }}", `input: {{ event.paylod.email }}: event has no field "paylod" (fields: id, type, tenant_id, source, occurred_at, received_at, payload)`},
		{"trailing dot", "{{ event.payload. }}", `input: {{ event.payload. }}: expected a field name after "event.payload."`},
		{"bad index", "{{ event.payload.items[x] }}", `input: {{ event.payload.items[x] }}: index [x] must be a non-negative number or a quoted key`},
		{"unknown filter", "{{ event.payload.email | upper }}", `input: {{ event.payload.email | upper }}: unknown filter "upper" (only default: "value" is supported)`},
		{"bad default", "{{ event.payload.email | default: n/a }}", `input: {{ event.payload.email | default: n/a }}: default must be a JSON literal such as "n/a", 0 or false, got "n/a"`},
		{"junk after path", "{{ event.payload.email + 1 }}", `input: {{ event.payload.email + 1 }}: unexpected "+ 1" after the path (filters start with |)`},
		{"nested in array", []any{"ok", map[string]any{"x": []any{"{{ event.id }}", "{{ event.nope }}"}}}, `input[1].x[1]: {{ event.nope }}: event has no field "nope" (fields: id, type, tenant_id, source, occurred_at, received_at, payload)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckTemplate(tt.input)
			if err == nil {
				t.Fatal("CheckTemplate succeeded")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

package rules

import "testing"

// BenchmarkEval measures one evaluation of a typical rule condition on a JSON-decoded event.
// The hub's target is at least 200,000 evaluations per second on one core (≤ 5 µs/op); this
// benchmark reports the figure and asserts nothing about time.
func BenchmarkEval(b *testing.B) {
	c, err := Compile(`event.type == "hubspot.contact.propertyChange" && event.payload.lead_score > 50 && has(event.payload.email) && event.payload.email.endsWith("@example.com")`)
	if err != nil {
		b.Fatal(err)
	}
	ev := testEvent(b, `{"email": "ada@example.com", "lead_score": 51, "tags": ["new"], "contact": {"name": "Ada"}}`)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ok, err := c.Eval(ev)
		if err != nil || !ok {
			b.Fatalf("Eval = %v, %v", ok, err)
		}
	}
}

// BenchmarkEvalComprehension measures a condition that loops over a payload list.
func BenchmarkEvalComprehension(b *testing.B) {
	c, err := Compile(`event.payload.items.exists(i, i.sku == "B" && i.qty >= 1)`)
	if err != nil {
		b.Fatal(err)
	}
	ev := testEvent(b, samplePayload)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if ok, err := c.Eval(ev); err != nil || !ok {
			b.Fatalf("Eval = %v, %v", ok, err)
		}
	}
}

// BenchmarkRender measures rendering a small action input.
func BenchmarkRender(b *testing.B) {
	ev := testEvent(b, samplePayload)
	input := map[string]any{
		"to":      "{{ event.payload.email }}",
		"subject": "Lead {{ event.payload.contact.name }} scored {{ event.payload.lead_score }}",
		"score":   "{{ event.payload.lead_score }}",
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Render(input, ev); err != nil {
			b.Fatal(err)
		}
	}
}

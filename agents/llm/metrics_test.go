package llm_test

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/agents/llm"
	"github.com/bizoshub/bizos/internal/fakes"
)

// llmMetrics reads the token counters of model (by provider and kind) and
// the number of timed calls by provider.
func llmMetrics(t *testing.T, reg *prometheus.Registry, model string) (map[string]float64, map[string]uint64) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	tokens, calls := map[string]float64{}, map[string]uint64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range m.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			switch mf.GetName() {
			case "bizos_llm_tokens_total":
				if l["model"] == model {
					tokens[l["provider"]+"/"+l["kind"]] = m.GetCounter().GetValue()
				}
			case "bizos_llm_request_duration_seconds":
				calls[l["provider"]] = m.GetHistogram().GetSampleCount()
			}
		}
	}
	return tokens, calls
}

// TestChatMetrics calls both providers' fakes: the reported tokens count by
// provider, model and kind, and every call is timed, failed ones included.
func TestChatMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	for _, c := range llm.Collectors() {
		reg.MustRegister(c)
	}
	for _, s := range providers(t) {
		t.Run(s.provider, func(t *testing.T) {
			cfg := s.cfg
			cfg.Model = "metrics-" + s.provider // a model of its own: its series start at zero
			_, callsBefore := llmMetrics(t, reg, cfg.Model)
			s.fake.Script(fakes.LLMTurn{Text: "Fine.", PromptTokens: 120, CompletionTokens: 8},
				fakes.LLMTurn{Text: "Again.", PromptTokens: 30, CompletionTokens: 2})
			for range 2 {
				if _, err := s.client.Chat(ctx(t), hub.ChatRequest{LLM: cfg, Messages: conversation}, nil); err != nil {
					t.Fatalf("Chat: %v", err)
				}
			}
			tokens, calls := llmMetrics(t, reg, cfg.Model)
			want := map[string]float64{s.provider + "/prompt": 150, s.provider + "/completion": 10}
			if diff := cmp.Diff(want, tokens); diff != "" {
				t.Errorf("tokens (-want +got):\n%s", diff)
			}
			if n := calls[s.provider] - callsBefore[s.provider]; n != 2 {
				t.Errorf("timed calls = %d, want 2", n)
			}
		})
	}
	t.Run("failed call", func(t *testing.T) {
		srv := httptest.NewServer(nil)
		down := srv.URL
		srv.Close()
		_, before := llmMetrics(t, reg, "")
		cfg := hub.LLMConfig{Provider: hub.LLMProviderOllama, Model: "metrics-down"}
		if _, err := llm.New(down).Chat(ctx(t), hub.ChatRequest{LLM: cfg, Messages: conversation}, nil); err == nil {
			t.Fatal("Chat of a server that is down succeeded")
		}
		tokens, after := llmMetrics(t, reg, cfg.Model)
		if len(tokens) != 0 {
			t.Errorf("tokens of a failed call = %v", tokens)
		}
		if n := after["ollama"] - before["ollama"]; n != 1 {
			t.Errorf("timed calls = %d, want 1 (%s)", n, fmt.Sprint(after))
		}
	})
}

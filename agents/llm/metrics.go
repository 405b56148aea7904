package llm

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Token kinds in bizos_llm_tokens_total.
const (
	TokensPrompt     = "prompt"
	TokensCompletion = "completion"
)

var (
	llmTokens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bizos_llm_tokens_total",
		Help: "Tokens of chat model calls as the provider reported them, by provider, model and kind (prompt, completion).",
	}, []string{"provider", "model", "kind"})
	llmDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "bizos_llm_request_duration_seconds",
		Help:    "Time of one chat model call, answered or failed, by provider.",
		Buckets: []float64{.1, .25, .5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300},
	}, []string{"provider"})
)

// Collectors returns the package's Prometheus collectors.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{llmTokens, llmDuration}
}

// observeChat records one chat call of provider and model.
func observeChat(provider, model string, elapsed time.Duration, prompt, completion int) {
	llmDuration.WithLabelValues(provider).Observe(elapsed.Seconds())
	if prompt > 0 {
		llmTokens.WithLabelValues(provider, model, TokensPrompt).Add(float64(prompt))
	}
	if completion > 0 {
		llmTokens.WithLabelValues(provider, model, TokensCompletion).Add(float64(completion))
	}
}

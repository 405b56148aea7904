package automation

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	hub "github.com/bizoshub/bizos"
)

var ruleRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "bizos_rule_runs_total",
	Help: "Rule runs finished, by final status (succeeded, failed).",
}, []string{"status"})

// Collectors returns the package's Prometheus collectors.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{ruleRuns}
}

// MeteredRuleStore is a hub.RuleStore that counts every run it finishes in
// bizos_rule_runs_total{status}. The worker gives it to the rule
// activities, so runs count where they end, in the process that ran them.
// A finish the activity repeats (Temporal retrying it after the store
// answered) counts again.
type MeteredRuleStore struct {
	hub.RuleStore
}

// FinishRuleRun implements hub.RuleStore.
func (s MeteredRuleStore) FinishRuleRun(ctx context.Context, tenantID, runID, status, errMsg string) error {
	if err := s.RuleStore.FinishRuleRun(ctx, tenantID, runID, status, errMsg); err != nil {
		return err
	}
	ruleRuns.WithLabelValues(status).Inc()
	return nil
}

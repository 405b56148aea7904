package webhooks

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	hub "github.com/bizoshub/bizos"
)

// Outcomes of a delivery attempt in bizos_webhook_delivery_attempts_total.
const (
	AttemptSucceeded = "succeeded" // the endpoint answered 2xx
	AttemptFailed    = "failed"    // it did not; another attempt follows unless the endpoint was disabled
	AttemptDead      = "dead"      // the last allowed attempt failed: the delivery is a dead letter
)

var (
	deliveryAttempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bizos_webhook_delivery_attempts_total",
		Help: "Outbound webhook delivery attempts recorded, by outcome (succeeded, failed, dead).",
	}, []string{"outcome"})
	deliveryDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "bizos_webhook_delivery_duration_seconds",
		Help:    "Time of one outbound webhook delivery attempt, from sending the request to reading the answer.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	})
)

// Collectors returns the package's Prometheus collectors.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{deliveryAttempts, deliveryDuration}
}

// observeAttempt records one attempt that was sent and stored with the
// delivery status the store gave it.
func observeAttempt(succeeded bool, status string, elapsed time.Duration) {
	outcome := AttemptFailed
	switch {
	case succeeded:
		outcome = AttemptSucceeded
	case status == hub.DeliveryDead:
		outcome = AttemptDead
	}
	deliveryAttempts.WithLabelValues(outcome).Inc()
	deliveryDuration.Observe(elapsed.Seconds())
}

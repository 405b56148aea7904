package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// SystemHealthStore answers the cross-tenant figures of the super admin's
// system health report. Every query runs in the system scope.
type SystemHealthStore struct{ db *DB }

// NewSystemHealthStore returns a SystemHealthStore on db.
func NewSystemHealthStore(db *DB) *SystemHealthStore { return &SystemHealthStore{db: db} }

// ProviderStatusCount is how many connections of one provider are in one
// status, across tenants.
type ProviderStatusCount struct {
	Provider string
	Status   string
	Count    int64
}

// ConnectionStatusCounts counts connections by provider and status, across tenants.
func (s *SystemHealthStore) ConnectionStatusCounts(ctx context.Context) ([]ProviderStatusCount, error) {
	var out []ProviderStatusCount
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT provider, status, count(*) FROM connections GROUP BY provider, status ORDER BY provider, status`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ProviderStatusCount, error) {
			var c ProviderStatusCount
			return c, r.Scan(&c.Provider, &c.Status, &c.Count)
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: connection status counts: %w", err)
	}
	return out, nil
}

// WebhookDeliveryCounts are outbound webhook figures across tenants.
type WebhookDeliveryCounts struct {
	Pending        int64 // deliveries waiting for their first or next attempt
	Attempts       int64 // attempts made since the time asked for
	FailedAttempts int64 // of those, the ones that did not succeed
	Dead           int64 // deliveries that gave up (dead letter) since then
}

// WebhookDeliveryCounts counts pending deliveries, and the attempts and dead
// letters since the given time, across tenants.
func (s *SystemHealthStore) WebhookDeliveryCounts(ctx context.Context, since time.Time) (WebhookDeliveryCounts, error) {
	var c WebhookDeliveryCounts
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT
				(SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'),
				(SELECT count(*) FROM webhook_deliveries WHERE status = 'dead' AND updated_at >= $1),
				count(*), count(*) FILTER (WHERE NOT succeeded)
			FROM webhook_attempts WHERE attempted_at >= $1`, since).Scan(&c.Pending, &c.Dead, &c.Attempts, &c.FailedAttempts)
	})
	if err != nil {
		return WebhookDeliveryCounts{}, fmt.Errorf("postgres: webhook delivery counts: %w", err)
	}
	return c, nil
}

package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	"github.com/jackc/pgx/v5"
)

// CasbinAdapter stores casbin policy rules in the casbin_rules table. It
// implements persist.Adapter and persist.BatchAdapter.
type CasbinAdapter struct {
	db *DB
	// Timeout bounds each storage call; casbin's adapter API carries no context.
	Timeout time.Duration
}

// NewCasbinAdapter returns an adapter on db.
func NewCasbinAdapter(db *DB) *CasbinAdapter {
	return &CasbinAdapter{db: db, Timeout: 10 * time.Second}
}

var _ persist.BatchAdapter = (*CasbinAdapter)(nil)

func (a *CasbinAdapter) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), a.Timeout)
}

// LoadPolicy implements persist.Adapter.
func (a *CasbinAdapter) LoadPolicy(m model.Model) error {
	ctx, cancel := a.ctx()
	defer cancel()
	var rules [][]string
	err := a.db.InSystem(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT ptype, v0, v1, v2, v3, v4, v5 FROM casbin_rules ORDER BY id`)
		if err != nil {
			return err
		}
		rules, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]string, error) {
			v := make([]string, 7)
			if err := r.Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]); err != nil {
				return nil, err
			}
			for len(v) > 1 && v[len(v)-1] == "" {
				v = v[:len(v)-1]
			}
			return v, nil
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: casbin load: %w", err)
	}
	for _, rule := range rules {
		if err := persist.LoadPolicyArray(rule, m); err != nil {
			return fmt.Errorf("postgres: casbin load rule %s: %w", strings.Join(rule, ","), err)
		}
	}
	return nil
}

func ruleArgs(ptype string, rule []string) []any {
	args := []any{ptype, "", "", "", "", "", ""}
	for i, v := range rule {
		if i < 6 {
			args[i+1] = v
		}
	}
	return args
}

const insertRule = `INSERT INTO casbin_rules (ptype, v0, v1, v2, v3, v4, v5) VALUES ($1, $2, $3, $4, $5, $6, $7)
	ON CONFLICT (ptype, v0, v1, v2, v3, v4, v5) DO NOTHING`

// SavePolicy implements persist.Adapter: it replaces every stored rule.
func (a *CasbinAdapter) SavePolicy(m model.Model) error {
	ctx, cancel := a.ctx()
	defer cancel()
	err := a.db.InSystem(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM casbin_rules`); err != nil {
			return err
		}
		for _, sec := range []string{"p", "g"} {
			for ptype, ast := range m[sec] {
				for _, rule := range ast.Policy {
					if _, err := tx.Exec(ctx, insertRule, ruleArgs(ptype, rule)...); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: casbin save: %w", err)
	}
	return nil
}

// AddPolicy implements persist.Adapter.
func (a *CasbinAdapter) AddPolicy(sec, ptype string, rule []string) error {
	return a.AddPolicies(sec, ptype, [][]string{rule})
}

// AddPolicies implements persist.BatchAdapter.
func (a *CasbinAdapter) AddPolicies(sec, ptype string, rules [][]string) error {
	ctx, cancel := a.ctx()
	defer cancel()
	err := a.db.InSystem(ctx, func(tx pgx.Tx) error {
		for _, rule := range rules {
			if _, err := tx.Exec(ctx, insertRule, ruleArgs(ptype, rule)...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: casbin add: %w", err)
	}
	return nil
}

// RemovePolicy implements persist.Adapter.
func (a *CasbinAdapter) RemovePolicy(sec, ptype string, rule []string) error {
	return a.RemovePolicies(sec, ptype, [][]string{rule})
}

// RemovePolicies implements persist.BatchAdapter.
func (a *CasbinAdapter) RemovePolicies(sec, ptype string, rules [][]string) error {
	ctx, cancel := a.ctx()
	defer cancel()
	err := a.db.InSystem(ctx, func(tx pgx.Tx) error {
		for _, rule := range rules {
			if _, err := tx.Exec(ctx, `DELETE FROM casbin_rules WHERE ptype = $1 AND v0 = $2 AND v1 = $3
				AND v2 = $4 AND v3 = $5 AND v4 = $6 AND v5 = $7`, ruleArgs(ptype, rule)...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: casbin remove: %w", err)
	}
	return nil
}

// RemoveFilteredPolicy implements persist.Adapter: rules whose fields from
// fieldIndex on equal fieldValues (an empty value matches anything).
func (a *CasbinAdapter) RemoveFilteredPolicy(sec, ptype string, fieldIndex int, fieldValues ...string) error {
	ctx, cancel := a.ctx()
	defer cancel()
	query := `DELETE FROM casbin_rules WHERE ptype = $1`
	args := []any{ptype}
	for i, v := range fieldValues {
		col := fieldIndex + i
		if v == "" || col > 5 {
			continue
		}
		args = append(args, v)
		query += fmt.Sprintf(" AND v%d = $%d", col, len(args))
	}
	err := a.db.InSystem(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, query, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: casbin remove filtered: %w", err)
	}
	return nil
}

// Package postgres implements the hub's stores on PostgreSQL through pgx.
//
// Every tenant-owned query runs inside a transaction whose row-level-security
// scope is set first (see migrations/0001_auth.sql): InTenant for one tenant,
// InSystem for the few deliberate cross-tenant operations.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/migrations"
)

// DB is a pool of connections to the hub's database.
type DB struct {
	Pool *pgxpool.Pool
}

// DefaultMaxConns is the connection pool size of a process unless the
// database URL sets pool_max_conns.
const DefaultMaxConns = 10

// Open connects to the database at url and checks the connection.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse url: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgx's default (the number of CPUs, at least 4) starves a process
		// whose dispatchers each hold a connection for their advisory lock
		// while the API, the worker's activities and the event writer share
		// the rest. pool_max_conns in the URL overrides this.
		cfg.MaxConns = DefaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: ping %s@%s/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	return &DB{Pool: pool}, nil
}

// Close releases every connection.
func (db *DB) Close() { db.Pool.Close() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.Pool.Ping(ctx) }

// InTenant runs fn in a transaction that sees only tenantID's rows.
func (db *DB) InTenant(ctx context.Context, tenantID string, fn func(pgx.Tx) error) error {
	if tenantID == "" {
		return hub.Errorf(hub.ENOTFOUND, "Tenant not found.")
	}
	return db.inTx(ctx, "bizos.tenant_id", tenantID, fn)
}

// InSystem runs fn in a transaction that sees every tenant's rows. Use it only
// for operations that are cross-tenant by nature (authentication lookups,
// purges, super-admin views).
func (db *DB) InSystem(ctx context.Context, fn func(pgx.Tx) error) error {
	return db.inTx(ctx, "bizos.scope", "system", fn)
}

func (db *DB) inTx(ctx context.Context, setting, value string, fn func(pgx.Tx) error) (err error) {
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if _, err = tx.Exec(ctx, "SELECT set_config($1, $2, true)", setting, value); err != nil {
		return fmt.Errorf("postgres: set %s: %w", setting, err)
	}
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// Migrate applies every migration not applied yet, in order, each in its own
// transaction, holding an advisory lock so concurrent starts are safe. It
// returns the names of the migrations it applied.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate: acquire: %w", err)
	}
	defer conn.Release()
	const lockID = 0x62697a6f73 // "bizos"
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockID); err != nil {
		return nil, fmt.Errorf("postgres: migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockID) //nolint:errcheck
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("postgres: migrate: create schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate: list: %w", err)
	}
	sort.Strings(names)
	var applied []string
	for _, name := range names {
		var done bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE name = $1)", name).Scan(&done); err != nil {
			return applied, fmt.Errorf("postgres: migrate: check %s: %w", name, err)
		}
		if done {
			continue
		}
		sql, err := fs.ReadFile(migrations.FS, name)
		if err != nil {
			return applied, fmt.Errorf("postgres: migrate: read %s: %w", name, err)
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (name) VALUES ($1)", name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("postgres: migrate: apply %s: %w", name, err)
		}
		applied = append(applied, name)
	}
	return applied, nil
}

// isUniqueViolation reports whether err is a unique-constraint violation.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// isInvalidText reports whether err is a malformed-value error such as a bad uuid.
func isInvalidText(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "22P02" || strings.HasPrefix(pgErr.Code, "22"))
}

// notFound converts pgx.ErrNoRows into an ENOTFOUND error about what.
func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) || isInvalidText(err) {
		return hub.Errorf(hub.ENOTFOUND, "%s not found.", what)
	}
	return err
}

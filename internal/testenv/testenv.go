// Package testenv gives tests their own fresh database on the real PostgreSQL
// and an isolated key space on the real Redis that scripts/services.sh starts.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/bizoshub/bizos/postgres"
)

// AdminDatabaseURL is the URL tests use to create their databases; the
// BIZOS_TEST_DATABASE_URL environment variable overrides it.
func AdminDatabaseURL() string {
	if u := os.Getenv("BIZOS_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://bizos:bizos@127.0.0.1:5432/bizos?sslmode=disable"
}

// RedisURL is the Redis tests use; BIZOS_TEST_REDIS_URL overrides it.
func RedisURL() string {
	if u := os.Getenv("BIZOS_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// UniqueName returns prefix followed by random hex, safe as an identifier.
func UniqueName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// NewDatabaseURL creates an empty database for the test, drops it when the
// test ends, and returns its URL.
func NewDatabaseURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, AdminDatabaseURL())
	if err != nil {
		t.Fatalf("testenv: connect to PostgreSQL (run scripts/services.sh): %v", err)
	}
	defer admin.Close(ctx)
	name := UniqueName("bizos_test_")
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("testenv: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, AdminDatabaseURL())
		if err != nil {
			t.Logf("testenv: drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("testenv: drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(AdminDatabaseURL())
	if err != nil {
		t.Fatalf("testenv: parse admin url: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// NewDB creates a fresh migrated database and returns it open.
func NewDB(t testing.TB) *postgres.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, NewDatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// NewRedis returns a client on the test Redis and a key prefix unique to the
// test; keys under the prefix are deleted when the test ends.
func NewRedis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	opts, err := redis.ParseURL(RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("testenv: connect to Redis (run scripts/services.sh): %v", err)
	}
	prefix := UniqueName("bizos-test-") + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		rdb.Close()
	})
	return rdb, prefix
}

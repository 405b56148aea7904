// Package redisstore implements the hub's Redis-backed pieces: the rate
// limiter, a small byte cache, and the policy-change watcher that keeps
// replicas' authorization policies in step.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	hub "github.com/bizoshub/bizos"
)

// Open connects to Redis at url (redis://host:port/db) and checks the connection.
func Open(ctx context.Context, url string) (*redis.Client, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redisstore: parse url: %w", err)
	}
	c := redis.NewClient(opts)
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("redisstore: ping %s: %w", opts.Addr, err)
	}
	return c, nil
}

// RateLimiter implements hub.RateLimiter with a fixed window counter per key:
// the first event starts a window of the given length, and events past the
// limit inside it are refused until it ends.
type RateLimiter struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRateLimiter returns a limiter whose keys live under prefix.
func NewRateLimiter(rdb redis.UniversalClient, prefix string) *RateLimiter {
	return &RateLimiter{rdb: rdb, prefix: prefix}
}

var _ hub.RateLimiter = (*RateLimiter)(nil)

// allowScript increments the counter, starting the window on the first hit,
// and returns the count and the window's remaining milliseconds.
var allowScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
`)

// Allow implements hub.RateLimiter.
func (l *RateLimiter) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, time.Duration, error) {
	res, err := allowScript.Run(ctx, l.rdb, []string{l.prefix + key}, window.Milliseconds()).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("redisstore: rate limit: %w", err)
	}
	if res[0] > int64(limit) {
		return false, time.Duration(res[1]) * time.Millisecond, nil
	}
	return true, 0, nil
}

// Reset implements hub.RateLimiter.
func (l *RateLimiter) Reset(ctx context.Context, key string) error {
	if err := l.rdb.Del(ctx, l.prefix+key).Err(); err != nil {
		return fmt.Errorf("redisstore: rate limit reset: %w", err)
	}
	return nil
}

// Cache stores small byte values with a time to live.
type Cache struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewCache returns a cache whose keys live under prefix.
func NewCache(rdb redis.UniversalClient, prefix string) *Cache {
	return &Cache{rdb: rdb, prefix: prefix}
}

// Get returns the value for key and whether it was present.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	b, err := c.rdb.Get(ctx, c.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("redisstore: cache get: %w", err)
	}
	return b, true, nil
}

// Set stores value under key for ttl.
func (c *Cache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := c.rdb.Set(ctx, c.prefix+key, value, ttl).Err(); err != nil {
		return fmt.Errorf("redisstore: cache set: %w", err)
	}
	return nil
}

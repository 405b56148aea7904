package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// States keeps short-lived single-use values, such as OAuth state, shared by
// every replica.
type States struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewStates returns a state store whose keys live under prefix.
func NewStates(rdb redis.UniversalClient, prefix string) *States {
	return &States{rdb: rdb, prefix: prefix}
}

// Put stores value under key for ttl.
func (s *States) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, s.prefix+key, value, ttl).Err(); err != nil {
		return fmt.Errorf("redisstore: put state: %w", err)
	}
	return nil
}

// Take returns the value under key and deletes it atomically, so a value is
// taken at most once; ok is false when it is absent or expired.
func (s *States) Take(ctx context.Context, key string) ([]byte, bool, error) {
	b, err := s.rdb.GetDel(ctx, s.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("redisstore: take state: %w", err)
	}
	return b, true, nil
}

// Locker hands out leases on names across replicas.
type Locker struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewLocker returns a locker whose keys live under prefix.
func NewLocker(rdb redis.UniversalClient, prefix string) *Locker {
	return &Locker{rdb: rdb, prefix: prefix}
}

var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// Lock waits until it holds the lease on name (for at most ttl, in case the
// holder dies) or ctx ends. The returned function releases the lease if it
// is still ours.
func (l *Locker) Lock(ctx context.Context, name string, ttl time.Duration) (func(), error) {
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return nil, fmt.Errorf("redisstore: lock token: %w", err)
	}
	token := hex.EncodeToString(tok)
	key := l.prefix + name
	wait := 5 * time.Millisecond
	for {
		ok, err := l.rdb.SetNX(ctx, key, token, ttl).Result()
		if err != nil {
			return nil, fmt.Errorf("redisstore: lock %s: %w", name, err)
		}
		if ok {
			return func() { _ = unlockScript.Run(context.WithoutCancel(ctx), l.rdb, []string{key}, token).Err() }, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("redisstore: lock %s: %w", name, ctx.Err())
		case <-time.After(wait):
		}
		if wait < 100*time.Millisecond {
			wait *= 2
		}
	}
}

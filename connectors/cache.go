package connectors

import (
	"context"
	"sync"
	"time"

	hub "github.com/bizoshub/bizos"
)

// connCache keeps connections and their credentials in memory for a short
// time so that a burst of proxied calls does not read and decrypt them from
// PostgreSQL on every request. Entries are dropped on every local change; a
// change made by another replica is seen within the TTL, and a token that
// another replica refreshed meanwhile costs at most one 401 and a re-read
// (refresh compares credential versions under the lease).
type connCache struct {
	ttl time.Duration

	mu      sync.RWMutex
	entries map[string]*cacheEntry
}

type cacheEntry struct {
	conn    *hub.Connection
	creds   *hub.Credentials
	version int64
	expires time.Time
}

func newConnCache(ttl time.Duration) *connCache {
	return &connCache{ttl: ttl, entries: map[string]*cacheEntry{}}
}

func cacheKey(tenantID, id string) string { return tenantID + "/" + id }

func (c *connCache) get(tenantID, id string, now time.Time) (*cacheEntry, bool) {
	if c.ttl <= 0 {
		return nil, false
	}
	c.mu.RLock()
	e, ok := c.entries[cacheKey(tenantID, id)]
	c.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		return nil, false
	}
	return e, true
}

func (c *connCache) put(e *cacheEntry, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	e.expires = now.Add(c.ttl)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) > 10_000 {
		for k, old := range c.entries {
			if !now.Before(old.expires) {
				delete(c.entries, k)
			}
		}
	}
	key := cacheKey(e.conn.TenantID, e.conn.ID)
	if old, ok := c.entries[key]; ok && old.version > e.version && now.Before(old.expires) {
		return // a slower reader must not replace newer credentials
	}
	c.entries[key] = e
}

func (c *connCache) forget(tenantID, id string) {
	c.mu.Lock()
	delete(c.entries, cacheKey(tenantID, id))
	c.mu.Unlock()
}

// loadConnection returns a connection with its credentials, from the cache
// when fresh.
func (s *Service) loadConnection(ctx context.Context, tenantID, id string) (*cacheEntry, error) {
	now := s.cfg.Now()
	if e, ok := s.cache.get(tenantID, id, now); ok {
		return e, nil
	}
	conn, err := s.cfg.Store.Connection(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	creds, version, err := s.cfg.Store.ConnectionCredentials(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	e := &cacheEntry{conn: conn, creds: creds, version: version}
	s.cache.put(e, now)
	return e, nil
}

// Connection returns one of the tenant's connections (briefly cached).
func (s *Service) Connection(ctx context.Context, tenantID, id string) (*hub.Connection, error) {
	e, err := s.loadConnection(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return e.conn, nil
}

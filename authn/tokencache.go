package authn

import (
	"sync"
	"time"

	hub "github.com/bizoshub/bizos"
)

// tokenCache remembers access tokens whose signature and claims verified,
// until they expire. It is bounded: when full, arbitrary entries are dropped
// (Go's map iteration order is random), which costs at most a re-verification.
type tokenCache struct {
	max int

	mu      sync.RWMutex
	entries map[string]cachedToken
}

type cachedToken struct {
	principal hub.Principal
	expires   time.Time
}

func newTokenCache(max int) *tokenCache {
	return &tokenCache{max: max, entries: make(map[string]cachedToken)}
}

func (c *tokenCache) get(token string, now time.Time) (hub.Principal, bool) {
	c.mu.RLock()
	e, ok := c.entries[token]
	c.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		return hub.Principal{}, false
	}
	return e.principal, true
}

func (c *tokenCache) put(token string, p hub.Principal, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		now := time.Now()
		for k, e := range c.entries {
			if len(c.entries) < c.max*9/10 && now.Before(e.expires) {
				continue
			}
			delete(c.entries, k)
		}
	}
	c.entries[token] = cachedToken{principal: p, expires: expires}
}

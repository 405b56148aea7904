// Package authn authenticates requests to the gateway: access tokens are
// verified against authsvc's JWKS (cached in memory and Redis, refetched when
// an unknown key id shows up), and API keys against their stored hashes.
package authn

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/accesstoken"
	"github.com/bizoshub/bizos/telemetry"
)

// Cache is a shared byte cache (Redis in production).
type Cache interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
}

// JWKS fetches and caches authsvc's public keys.
type JWKS struct {
	url    string
	client *http.Client
	cache  Cache
	// TTL is how long a fetched key set is trusted before it is fetched again.
	TTL time.Duration
	// MinRefresh bounds how often an unknown kid may trigger a fetch, so a
	// flood of forged kids cannot hammer authsvc.
	MinRefresh time.Duration

	mu          sync.Mutex
	keys        map[string]ed25519.PublicKey
	fetchedAt   time.Time
	lastAttempt time.Time
}

// NewJWKS returns a key source for the JWKS at url; cache may be nil.
func NewJWKS(url string, client *http.Client, cache Cache) *JWKS {
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second, Transport: telemetry.ClientSpans(http.DefaultTransport)}
	}
	return &JWKS{url: url, client: client, cache: cache, TTL: 5 * time.Minute, MinRefresh: 5 * time.Second}
}

const cacheKey = "jwks"

// PublicKey implements accesstoken.KeyLookup.
func (j *JWKS) PublicKey(kid string) (ed25519.PublicKey, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	fresh := time.Since(j.fetchedAt) < j.TTL
	if k, ok := j.keys[kid]; ok && fresh {
		return k, nil
	}
	if !fresh || time.Since(j.lastAttempt) >= j.MinRefresh {
		j.lastAttempt = time.Now()
		if err := j.refresh(kid); err != nil && len(j.keys) == 0 {
			return nil, err
		}
	}
	if k, ok := j.keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("kid %q: %w", kid, accesstoken.ErrUnknownKey)
}

// refresh loads the key set, from the shared cache when it already knows kid
// (another replica fetched it), from authsvc otherwise.
func (j *JWKS) refresh(kid string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if j.cache != nil {
		if raw, ok, err := j.cache.Get(ctx, cacheKey); err == nil && ok {
			var set accesstoken.JWKS
			if json.Unmarshal(raw, &set) == nil {
				if keys := set.PublicKeys(); keys[kid] != nil {
					j.keys, j.fetchedAt = keys, time.Now()
					return nil
				}
			}
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return fmt.Errorf("authn: jwks request: %w", err)
	}
	resp, err := j.client.Do(req)
	if err != nil {
		return &hub.Error{Code: hub.EUNAVAILABLE, Message: "Token verification is temporarily unavailable.", Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return &hub.Error{Code: hub.EUNAVAILABLE, Message: "Token verification is temporarily unavailable.",
			Err: fmt.Errorf("jwks: status %d: %v", resp.StatusCode, err)}
	}
	var set accesstoken.JWKS
	if err := json.Unmarshal(raw, &set); err != nil {
		return fmt.Errorf("authn: decode jwks: %w", err)
	}
	j.keys, j.fetchedAt = set.PublicKeys(), time.Now()
	if j.cache != nil {
		_ = j.cache.Set(ctx, cacheKey, raw, j.TTL)
	}
	return nil
}

// Authenticator implements httpapi.Authenticator for the gateway.
type Authenticator struct {
	keys     accesstoken.KeyLookup
	apiKeys  hub.APIKeyStore
	now      func() time.Time
	verified *tokenCache
}

// NewAuthenticator verifies access tokens with keys and API keys with apiKeys.
// Tokens that verified once are remembered until they expire, so a client
// reusing its token costs a map lookup instead of a signature check.
func NewAuthenticator(keys accesstoken.KeyLookup, apiKeys hub.APIKeyStore) *Authenticator {
	return &Authenticator{keys: keys, apiKeys: apiKeys, now: time.Now, verified: newTokenCache(50_000)}
}

// HeaderAPIKey carries an API key.
const HeaderAPIKey = "X-API-Key"

var errNoCredentials = hub.Errorf(hub.EUNAUTHORIZED, "Credentials are required: Authorization: Bearer <access token> or X-API-Key.")

// Authenticate implements httpapi.Authenticator.
func (a *Authenticator) Authenticate(r *http.Request) (hub.Principal, error) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, token, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			return hub.Principal{}, hub.Errorf(hub.EUNAUTHORIZED, "The Authorization header must be 'Bearer <access token>'.")
		}
		now := a.now()
		if p, ok := a.verified.get(token, now); ok {
			return p, nil
		}
		claims, err := accesstoken.Verify(token, a.keys)
		if err != nil {
			return hub.Principal{}, err
		}
		p := claims.Principal()
		a.verified.put(token, p, claims.ExpiresAt.Time)
		return p, nil
	}
	if key := r.Header.Get(HeaderAPIKey); key != "" {
		return a.authenticateAPIKey(r.Context(), key)
	}
	return hub.Principal{}, errNoCredentials
}

var errBadAPIKey = hub.Errorf(hub.EUNAUTHORIZED, "The API key is invalid, revoked or expired.")

func (a *Authenticator) authenticateAPIKey(ctx context.Context, key string) (hub.Principal, error) {
	prefix, hash, ok := hub.ParseAPIKey(key)
	if !ok {
		return hub.Principal{}, errBadAPIKey
	}
	k, stored, err := a.apiKeys.APIKeyByPrefix(ctx, prefix)
	if hub.ErrorCode(err) == hub.ENOTFOUND {
		return hub.Principal{}, errBadAPIKey
	}
	if err != nil {
		return hub.Principal{}, fmt.Errorf("authn: api key: %w", err)
	}
	now := a.now()
	if !hub.EqualHashes(hash, stored) || !k.Usable(now) {
		return hub.Principal{}, errBadAPIKey
	}
	_ = a.apiKeys.TouchAPIKey(ctx, k.TenantID, k.ID, now)
	return hub.Principal{Kind: hub.PrincipalAPIKey, ID: k.ID, TenantID: k.TenantID}, nil
}

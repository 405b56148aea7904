package authsvc

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"sync"
	"time"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/accesstoken"
)

// KeyManager keeps the signing keys in memory: the newest signs, and every
// key retired less than a token lifetime ago still verifies (and stays in the
// JWKS). It re-reads the store periodically so a rotation made by
// `bizos keys rotate` or another replica is picked up.
type KeyManager struct {
	store hub.SigningKeyStore
	// grace is how long a retired key stays published: the access-token lifetime plus leeway.
	grace time.Duration

	mu     sync.RWMutex
	keys   []*hub.SigningKey
	loaded time.Time
}

// NewKeyManager returns a manager on store; tokenTTL is the access-token lifetime.
func NewKeyManager(store hub.SigningKeyStore, tokenTTL time.Duration) *KeyManager {
	return &KeyManager{store: store, grace: tokenTTL + time.Minute}
}

// NewSigningKey generates a fresh Ed25519 key with a random kid.
func NewSigningKey(now time.Time) (*hub.SigningKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("authsvc: generate signing key: %w", err)
	}
	kidBytes := make([]byte, 9)
	if _, err := rand.Read(kidBytes); err != nil {
		return nil, fmt.Errorf("authsvc: kid: %w", err)
	}
	kid := now.UTC().Format("20060102") + "-" + base64.RawURLEncoding.EncodeToString(kidBytes)
	return &hub.SigningKey{KID: kid, PrivateKey: priv, PublicKey: pub, CreatedAt: now}, nil
}

// Init makes sure a signing key exists and loads the keys.
func (m *KeyManager) Init(ctx context.Context) error {
	k, err := NewSigningKey(time.Now())
	if err != nil {
		return err
	}
	if _, err := m.store.EnsureSigningKey(ctx, k); err != nil {
		return fmt.Errorf("authsvc: ensure signing key (if the database was used with another master key, set BIZOS_MASTER_KEYS or restore that DATA_DIR/master.key): %w", err)
	}
	return m.Reload(ctx)
}

// Reload re-reads the keys from the store.
func (m *KeyManager) Reload(ctx context.Context) error {
	keys, err := m.store.SigningKeys(ctx, time.Now().Add(-m.grace))
	if err != nil {
		return fmt.Errorf("authsvc: load signing keys: %w", err)
	}
	m.mu.Lock()
	m.keys, m.loaded = keys, time.Now()
	m.mu.Unlock()
	return nil
}

// Current returns the key that signs new tokens.
func (m *KeyManager) Current() (*hub.SigningKey, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, k := range m.keys {
		if k.RetiredAt == nil {
			return k, nil
		}
	}
	return nil, hub.Errorf(hub.EUNAVAILABLE, "No signing key is available.")
}

// PublicKey implements accesstoken.KeyLookup.
func (m *KeyManager) PublicKey(kid string) (ed25519.PublicKey, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, k := range m.keys {
		if k.KID == kid {
			return k.PublicKey, nil
		}
	}
	return nil, fmt.Errorf("kid %q: %w", kid, accesstoken.ErrUnknownKey)
}

// JWKS returns the published key set.
func (m *KeyManager) JWKS() accesstoken.JWKS {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return accesstoken.NewJWKS(m.keys)
}

// Rotate creates a new signing key, retires the others, and reloads.
func (m *KeyManager) Rotate(ctx context.Context) (*hub.SigningKey, error) {
	k, err := NewSigningKey(time.Now())
	if err != nil {
		return nil, err
	}
	if err := m.store.RotateSigningKey(ctx, k); err != nil {
		return nil, err
	}
	return k, m.Reload(ctx)
}

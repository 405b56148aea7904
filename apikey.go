package hub

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"strings"
)

// API keys look like "bzk_<8-char prefix>_<secret>". The prefix is public and
// indexes the key; only the SHA-256 of the whole key is stored (the secret
// carries 256 random bits, so a slow hash adds nothing).
const apiKeyTag = "bzk_"

var prefixEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewAPIKeySecret returns a fresh API key, its public prefix and its hash.
func NewAPIKeySecret() (key, prefix string, hash []byte, err error) {
	p := make([]byte, 5)
	secret := make([]byte, 32)
	if _, err := rand.Read(p); err != nil {
		return "", "", nil, fmt.Errorf("api key prefix: %w", err)
	}
	if _, err := rand.Read(secret); err != nil {
		return "", "", nil, fmt.Errorf("api key secret: %w", err)
	}
	prefix = apiKeyTag + prefixEncoding.EncodeToString(p)
	key = prefix + "_" + base64.RawURLEncoding.EncodeToString(secret)
	return key, prefix, HashAPIKey(key), nil
}

// ParseAPIKey splits a presented key into its prefix and hash; ok is false
// when it does not have the API-key shape.
func ParseAPIKey(key string) (prefix string, hash []byte, ok bool) {
	if !strings.HasPrefix(key, apiKeyTag) || len(key) != len(apiKeyTag)+8+1+43 || key[len(apiKeyTag)+8] != '_' {
		return "", nil, false
	}
	return key[:len(apiKeyTag)+8], HashAPIKey(key), true
}

// HashAPIKey returns the stored form of a key.
func HashAPIKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// EqualHashes compares two hashes in constant time.
func EqualHashes(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

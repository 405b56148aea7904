// Package stdwebhooks signs and verifies outbound webhooks per the Standard Webhooks specification.
//
// A message carries three headers: webhook-id (the message id, stable across retries),
// webhook-timestamp (integer unix seconds) and webhook-signature, a space-separated list of
// "v1,<base64 signature>" entries. Each signature is base64(HMAC-SHA256(secret, content)) where
// content is id + "." + timestamp + "." + body. Secrets are written "whsec_" + base64(key bytes).
// See https://www.standardwebhooks.com/ and github.com/standard-webhooks/standard-webhooks.
package stdwebhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names defined by the Standard Webhooks specification.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every secret in its textual form.
const SecretPrefix = "whsec_"

// DefaultTolerance is the timestamp tolerance Verify applies when given 0.
const DefaultTolerance = 5 * time.Minute

// secretBytes is the size of the random key NewSecret makes (the spec asks for 24 to 64 bytes).
const secretBytes = 24

// Errors returned by ParseSecret and Verify; test with errors.Is.
var (
	// ErrSecret reports a secret that is not "whsec_" followed by non-empty base64.
	ErrSecret = errors.New("stdwebhooks: malformed secret")
	// ErrMissingHeader reports a message without webhook-id, webhook-timestamp or webhook-signature.
	ErrMissingHeader = errors.New("stdwebhooks: missing webhook header")
	// ErrTimestamp reports a webhook-timestamp that does not parse or lies outside the tolerance.
	ErrTimestamp = errors.New("stdwebhooks: timestamp outside the tolerance")
	// ErrSignature reports that no v1 signature in webhook-signature matches.
	ErrSignature = errors.New("stdwebhooks: no matching signature")
)

// NewSecret returns a fresh secret: "whsec_" + base64 of 24 random bytes.
func NewSecret() (string, error) {
	key := make([]byte, secretBytes)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("stdwebhooks: generating secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(key), nil
}

// ParseSecret returns the key bytes of a "whsec_..." secret. It errors (ErrSecret) when the
// prefix is missing or what follows is not non-empty standard base64 (padded or not).
func ParseSecret(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: want prefix %q", ErrSecret, SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(rest)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSecret, err)
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("%w: empty key", ErrSecret)
	}
	return key, nil
}

// mac returns HMAC-SHA256(secret, msgID + "." + ts + "." + body).
func mac(secret []byte, msgID, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(msgID))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Sign returns the webhook-signature header value for one or more secrets (space-separated
// "v1,<base64 sig>" entries, one per secret, so receivers accept during rotation). It returns
// "" when given no secrets.
func Sign(msgID string, ts time.Time, body []byte, secrets ...[]byte) string {
	unix := strconv.FormatInt(ts.Unix(), 10)
	parts := make([]string, 0, len(secrets))
	for _, s := range secrets {
		parts = append(parts, "v1,"+base64.StdEncoding.EncodeToString(mac(s, msgID, unix, body)))
	}
	return strings.Join(parts, " ")
}

// Headers returns webhook-id, webhook-timestamp, webhook-signature for a message.
func Headers(msgID string, ts time.Time, body []byte, secrets ...[]byte) http.Header {
	h := make(http.Header, 3)
	h.Set(HeaderID, msgID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, Sign(msgID, ts, body, secrets...))
	return h
}

// Verify checks headers against secret with a timestamp tolerance (default 5 min when tolerance
// is 0). The timestamp may be at most tolerance before or after now. Any one "v1," entry of
// webhook-signature that matches is enough; entries of other versions are ignored. Signatures
// are compared in constant time.
func Verify(h http.Header, body []byte, secret []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: empty key", ErrSecret)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	msgID, ts, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Values(HeaderSignature)
	switch {
	case msgID == "":
		return fmt.Errorf("%w: %s", ErrMissingHeader, HeaderID)
	case ts == "":
		return fmt.Errorf("%w: %s", ErrMissingHeader, HeaderTimestamp)
	case len(sigs) == 0:
		return fmt.Errorf("%w: %s", ErrMissingHeader, HeaderSignature)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not unix seconds", ErrTimestamp, ts)
	}
	// Compare in seconds so that huge values cannot overflow time.Duration.
	tolSec := int64(tolerance / time.Second)
	if d := now.Unix() - sec; d > tolSec || d < -tolSec {
		return fmt.Errorf("%w: %s is %ds from now", ErrTimestamp, ts, d)
	}
	want := mac(secret, msgID, ts, body)
	ok := false
	for _, v := range sigs {
		for _, entry := range strings.Fields(v) {
			version, sig, found := strings.Cut(entry, ",")
			if !found || version != "v1" {
				continue
			}
			got, err := base64.StdEncoding.DecodeString(sig)
			if err != nil {
				continue
			}
			// Keep checking after a match so the time taken does not depend on which entry matched.
			if hmac.Equal(got, want) {
				ok = true
			}
		}
	}
	if !ok {
		return ErrSignature
	}
	return nil
}

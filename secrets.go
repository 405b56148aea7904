package hub

import "log/slog"

// Cipher encrypts secrets at rest. aad binds a ciphertext to where it is
// stored (for example "signing_keys:<kid>") so it cannot be moved elsewhere.
type Cipher interface {
	// Encrypt seals plaintext under the current key version.
	Encrypt(plaintext, aad []byte) ([]byte, error)
	// Decrypt opens a ciphertext sealed under any known key version.
	Decrypt(ciphertext, aad []byte) ([]byte, error)
	// Current reports whether ciphertext is sealed under the current key version.
	Current(ciphertext []byte) bool
}

// Secret is a string that must never be printed or logged: its log value and
// every fmt verb show "[REDACTED]". JSON decoding fills it normally.
type Secret string

// Redacted is what a Secret shows instead of its value.
const Redacted = "[REDACTED]"

// String implements fmt.Stringer.
func (Secret) String() string { return Redacted }

// GoString implements fmt.GoStringer.
func (Secret) GoString() string { return Redacted }

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalText renders the redaction marker, so a Secret that is accidentally
// serialised (in a log line or an error) does not leak.
func (Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// UnmarshalText fills the secret from text.
func (s *Secret) UnmarshalText(b []byte) error { *s = Secret(b); return nil }

// Reveal returns the value for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

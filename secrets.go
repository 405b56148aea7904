package hub

import (
	"log/slog"
	"sort"
)

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

// LogValue implements slog.LogValuer: a connection's secrets never reach a
// log line, whatever the attribute is called; only their shape is shown.
func (c Credentials) LogValue() slog.Value {
	fields := make([]string, 0, len(c.Fields))
	for k := range c.Fields {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	return slog.GroupValue(slog.Any("fields", fields), slog.Bool("has_access_token", c.AccessToken != ""),
		slog.Bool("has_refresh_token", c.RefreshToken != ""), slog.Time("expiry", c.Expiry))
}

// LogValue implements slog.LogValuer: signing secrets are never logged.
func (s WebhookSecrets) LogValue() slog.Value {
	return slog.GroupValue(slog.String("current", Redacted), slog.Bool("previous", s.Previous != ""))
}

// LogValue implements slog.LogValuer: the client secret is never logged.
func (a OAuthApp) LogValue() slog.Value {
	return slog.GroupValue(slog.String("provider", a.Provider), slog.String("client_id", a.ClientID), slog.String("client_secret", Redacted))
}

// LogValue implements slog.LogValuer: the one-time secret of a new
// endpoint is never logged.
func (e WebhookEndpoint) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", e.ID), slog.String("tenant_id", e.TenantID), slog.String("url", e.URL),
		slog.Bool("enabled", e.Enabled))
}

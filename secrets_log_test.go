package hub

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// Secrets are redacted by their type, whatever the attribute is called.
func TestSecretsNeverReachLogs(t *testing.T) {
	values := map[string]any{
		"note":        Secret("s3cr3t-secret-value"),
		"conn":        Credentials{Fields: map[string]string{"api_key": "sk_live_s3cr3t"}, AccessToken: "at-s3cr3t", RefreshToken: "rt-s3cr3t", Expiry: time.Unix(0, 0)},
		"connPointer": &Credentials{AccessToken: "at-s3cr3t-2"},
		"signing":     WebhookSecrets{Current: "whsec_s3cr3t", Previous: "whsec_old_s3cr3t"},
		"app":         OAuthApp{Provider: "hubspot", ClientID: "client-1", ClientSecret: "cs-s3cr3t"},
		"endpoint":    WebhookEndpoint{ID: "e1", URL: "https://example.com/hook", Secret: "whsec_new_s3cr3t"},
	}
	for _, format := range []string{"json", "text"} {
		var buf bytes.Buffer
		var h slog.Handler = slog.NewJSONHandler(&buf, nil)
		if format == "text" {
			h = slog.NewTextHandler(&buf, nil)
		}
		log := slog.New(h)
		for name, v := range values {
			log.Info("value", "x", v)
			log.Info("group", slog.Group("g", name, v))
		}
		if strings.Contains(buf.String(), "s3cr3t") {
			t.Errorf("%s logs leak a secret:\n%s", format, buf.String())
		}
		if !strings.Contains(buf.String(), "client-1") || !strings.Contains(buf.String(), "api_key") {
			t.Errorf("%s logs lost the non-secret parts:\n%s", format, buf.String())
		}
	}
}

package hub_test

import (
	"errors"
	"fmt"
	"testing"

	hub "github.com/bizoshub/bizos"
)

func TestErrorCodeAndMessage(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		code, msg string
	}{
		{"nil", nil, "", ""},
		{"hub error", hub.Errorf(hub.ENOTFOUND, "Tenant not found."), hub.ENOTFOUND, "Tenant not found."},
		{"wrapped", fmt.Errorf("store: %w", hub.Errorf(hub.ECONFLICT, "dup")), hub.ECONFLICT, "dup"},
		{"plain error hides detail", errors.New("pq: password=x"), hub.EINTERNAL, "An internal error has occurred."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hub.ErrorCode(tt.err); got != tt.code {
				t.Errorf("code = %q, want %q", got, tt.code)
			}
			if got := hub.ErrorMessage(tt.err); got != tt.msg {
				t.Errorf("message = %q, want %q", got, tt.msg)
			}
		})
	}
}

func TestValidScope(t *testing.T) {
	tests := map[string]bool{
		"users:read": true, "*:write": true, "api-keys:write": true,
		"users": false, "users:delete": false, "nope:read": false, ":read": false, "": false,
	}
	for scope, want := range tests {
		if got := hub.ValidScope(scope); got != want {
			t.Errorf("ValidScope(%q) = %v, want %v", scope, got, want)
		}
	}
}

func TestAPIKeyFormat(t *testing.T) {
	key, prefix, hash, err := hub.NewAPIKeySecret()
	if err != nil {
		t.Fatal(err)
	}
	gotPrefix, gotHash, ok := hub.ParseAPIKey(key)
	if !ok || gotPrefix != prefix || !hub.EqualHashes(gotHash, hash) {
		t.Fatalf("ParseAPIKey(%q) = %q, %x, %v", key, gotPrefix, gotHash, ok)
	}
	for _, bad := range []string{"", "bzk_", prefix, key + "x", "xxx" + key[3:], key[:12] + "-" + key[13:]} {
		if _, _, ok := hub.ParseAPIKey(bad); ok {
			t.Errorf("ParseAPIKey(%q) accepted", bad)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func tokenKid(t *testing.T, token string) string {
	t.Helper()
	header, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		t.Fatal(err)
	}
	var h struct{ Kid string }
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	return h.Kid
}

// TestKeysRotate rotates the signing key with `bizos keys rotate` while the
// stack runs: tokens signed by the old key keep working, authsvc signs with
// the new key at once, and brain learns the new kid from the JWKS.
func TestKeysRotate(t *testing.T) {
	s := startStack(t)
	oldToken, _ := s.login(t, adminEmail, adminPassword)
	var out bytes.Buffer
	if err := runKeysRotate(context.Background(), s.cfg, newLogger(s.cfg, io.Discard), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "new signing key") {
		t.Errorf("rotate printed %q", out.String())
	}
	var newToken string
	deadline := time.Now().Add(30 * time.Second)
	for {
		newToken, _ = s.login(t, adminEmail, adminPassword)
		if tokenKid(t, newToken) != tokenKid(t, oldToken) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("authsvc still signs with the old key")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for name, tok := range map[string]string{"old": oldToken, "new": newToken} {
		if r := call(t, http.MethodGet, s.BrainURL+"/api/v1/me", nil, bearer(tok)); r.Status != http.StatusOK {
			t.Errorf("%s token at brain: %d %s", name, r.Status, r.Body)
		}
	}
	var jwks struct{ Keys []struct{ Kid string } }
	call(t, http.MethodGet, s.AuthURL+"/.well-known/jwks.json", nil).json(t, &jwks)
	if len(jwks.Keys) != 2 {
		t.Errorf("jwks has %d keys, want the new and the retired one", len(jwks.Keys))
	}
}

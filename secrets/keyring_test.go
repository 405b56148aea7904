package secrets

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyringRoundTripAndRotation(t *testing.T) {
	v1, _ := NewKeySpec(1)
	v2, _ := NewKeySpec(2)
	old, err := ParseKeyring(v1)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := old.Encrypt([]byte("s3cret"), []byte("row:1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("s3cret")) {
		t.Fatal("ciphertext contains the plaintext")
	}
	both, err := ParseKeyring(v1 + "," + v2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := both.CurrentVersion(), uint32(2); got != want {
		t.Fatalf("current version = %d, want %d", got, want)
	}
	if both.Current(sealed) {
		t.Error("a v1 ciphertext reports current under a v2 keyring")
	}
	got, err := both.Decrypt(sealed, []byte("row:1"))
	if err != nil || string(got) != "s3cret" {
		t.Fatalf("decrypt old ciphertext = %q, %v", got, err)
	}
	resealed, _ := both.Encrypt(got, []byte("row:1"))
	if !both.Current(resealed) {
		t.Error("a fresh ciphertext is not current")
	}
	if _, err := old.Decrypt(resealed, []byte("row:1")); err == nil {
		t.Error("keyring without v2 opened a v2 ciphertext")
	}
}

func TestDecryptRejectsTampering(t *testing.T) {
	spec, _ := NewKeySpec(1)
	k, _ := ParseKeyring(spec)
	sealed, _ := k.Encrypt([]byte("token"), []byte("a"))
	tests := []struct {
		name string
		ct   []byte
		aad  string
	}{
		{"other aad", sealed, "b"},
		{"flipped byte", func() []byte { c := bytes.Clone(sealed); c[len(c)-1] ^= 1; return c }(), "a"},
		{"truncated", sealed[:10], "a"},
		{"unknown version", func() []byte { c := bytes.Clone(sealed); c[3] = 9; return c }(), "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := k.Decrypt(tt.ct, []byte(tt.aad)); err == nil {
				t.Error("Decrypt succeeded, want error")
			}
		})
	}
}

func TestParseKeyringRejectsBadSpecs(t *testing.T) {
	for _, spec := range []string{"", "abc", "1:short", "0:" + strings.Repeat("A", 44), "1:!!!!"} {
		if _, err := ParseKeyring(spec); err == nil {
			t.Errorf("ParseKeyring(%q) succeeded, want error", spec)
		}
	}
}

func TestKeyFileCreateAndAddVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	if _, err := LoadOrCreateKeyFile(path, false); err == nil {
		t.Fatal("loading a missing file without create succeeded")
	}
	k1, err := LoadOrCreateKeyFile(path, true)
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := k1.Encrypt([]byte("x"), nil)
	k2, err := AddKeyVersion(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := k2.Versions(), []uint32{1, 2}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("versions = %v, want %v", got, want)
	}
	again, err := LoadOrCreateKeyFile(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := again.Decrypt(sealed, nil); err != nil || string(plain) != "x" {
		t.Fatalf("decrypt after reload = %q, %v", plain, err)
	}
}

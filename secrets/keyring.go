// Package secrets seals secrets at rest with AES-256-GCM under versioned
// master keys, so a new key can be introduced and old ciphertexts re-sealed
// without downtime.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	hub "github.com/bizoshub/bizos"
)

// Ciphertext layout: 4-byte big-endian key version, 12-byte nonce, sealed data.
const headerSize = 4 + 12

// Keyring holds every known master key version; the highest one seals.
type Keyring struct {
	current uint32
	aeads   map[uint32]cipher.AEAD
}

var _ hub.Cipher = (*Keyring)(nil)

// ParseKeyring reads "VERSION:BASE64KEY" entries separated by commas, for
// example "1:...,2:...". Each key is 32 random bytes in standard base64.
func ParseKeyring(spec string) (*Keyring, error) {
	k := &Keyring{aeads: map[uint32]cipher.AEAD{}}
	for _, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		vs, b64, ok := strings.Cut(entry, ":")
		v, err := strconv.ParseUint(strings.TrimPrefix(vs, "v"), 10, 32)
		if !ok || err != nil || v == 0 {
			return nil, fmt.Errorf("secrets: key entry must look like VERSION:BASE64KEY with VERSION >= 1")
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("secrets: key version %d must be 32 bytes in standard base64", v)
		}
		if _, dup := k.aeads[uint32(v)]; dup {
			return nil, fmt.Errorf("secrets: key version %d appears twice", v)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("secrets: key version %d: %w", v, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secrets: key version %d: %w", v, err)
		}
		k.aeads[uint32(v)] = aead
		k.current = max(k.current, uint32(v))
	}
	if len(k.aeads) == 0 {
		return nil, errors.New("secrets: no master key given")
	}
	return k, nil
}

// NewKeySpec returns a keyring spec entry with a fresh random key.
func NewKeySpec(version uint32) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("secrets: random key: %w", err)
	}
	return fmt.Sprintf("%d:%s", version, base64.StdEncoding.EncodeToString(raw)), nil
}

// Versions lists the known key versions in ascending order.
func (k *Keyring) Versions() []uint32 {
	out := make([]uint32, 0, len(k.aeads))
	for v := range k.aeads {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// CurrentVersion is the version new ciphertexts are sealed under.
func (k *Keyring) CurrentVersion() uint32 { return k.current }

// Encrypt implements hub.Cipher.
func (k *Keyring) Encrypt(plaintext, aad []byte) ([]byte, error) {
	aead := k.aeads[k.current]
	out := make([]byte, headerSize, headerSize+len(plaintext)+aead.Overhead())
	binary.BigEndian.PutUint32(out, k.current)
	if _, err := rand.Read(out[4:headerSize]); err != nil {
		return nil, fmt.Errorf("secrets: nonce: %w", err)
	}
	return aead.Seal(out, out[4:headerSize], plaintext, aad), nil
}

// Decrypt implements hub.Cipher.
func (k *Keyring) Decrypt(ciphertext, aad []byte) ([]byte, error) {
	if len(ciphertext) < headerSize {
		return nil, errors.New("secrets: ciphertext too short")
	}
	v := binary.BigEndian.Uint32(ciphertext)
	aead, ok := k.aeads[v]
	if !ok {
		return nil, fmt.Errorf("secrets: ciphertext sealed under unknown key version %d", v)
	}
	plain, err := aead.Open(nil, ciphertext[4:headerSize], ciphertext[headerSize:], aad)
	if err != nil {
		return nil, fmt.Errorf("secrets: open (key version %d): %w", v, err)
	}
	return plain, nil
}

// Current implements hub.Cipher.
func (k *Keyring) Current(ciphertext []byte) bool {
	return len(ciphertext) >= headerSize && binary.BigEndian.Uint32(ciphertext) == k.current
}

// LoadOrCreateKeyFile reads a keyring spec from path, creating the file with
// one fresh key (mode 0600) when it does not exist and create is true.
func LoadOrCreateKeyFile(path string, create bool) (*Keyring, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		spec, err := NewKeySpec(1)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("secrets: create key dir: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return LoadOrCreateKeyFile(path, false)
		}
		if err != nil {
			return nil, fmt.Errorf("secrets: create key file: %w", err)
		}
		if _, err := f.WriteString(spec + "\n"); err != nil {
			f.Close()
			return nil, fmt.Errorf("secrets: write key file: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("secrets: write key file: %w", err)
		}
		return ParseKeyring(spec)
	}
	if err != nil {
		return nil, fmt.Errorf("secrets: read key file: %w", err)
	}
	return ParseKeyring(strings.TrimSpace(string(data)))
}

// AddKeyVersion appends a fresh key, one version above the highest, to the
// key file at path and returns the new keyring.
func AddKeyVersion(path string) (*Keyring, error) {
	k, err := LoadOrCreateKeyFile(path, false)
	if err != nil {
		return nil, err
	}
	spec, err := NewKeySpec(k.current + 1)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secrets: read key file: %w", err)
	}
	updated := strings.TrimSpace(string(data)) + "," + spec
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(updated+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("secrets: write key file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("secrets: replace key file: %w", err)
	}
	return ParseKeyring(updated)
}

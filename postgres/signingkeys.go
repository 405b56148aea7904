package postgres

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	hub "github.com/bizoshub/bizos"
)

// SigningKeyStore implements hub.SigningKeyStore. Private keys are sealed by
// the Cipher, bound to their kid.
type SigningKeyStore struct {
	db     *DB
	cipher hub.Cipher
}

// NewSigningKeyStore returns a SigningKeyStore on db that seals keys with cipher.
func NewSigningKeyStore(db *DB, cipher hub.Cipher) *SigningKeyStore {
	return &SigningKeyStore{db: db, cipher: cipher}
}

var _ hub.SigningKeyStore = (*SigningKeyStore)(nil)

func signingKeyAAD(kid string) []byte { return []byte("signing_keys:" + kid) }

// SigningKeys implements hub.SigningKeyStore.
func (s *SigningKeyStore) SigningKeys(ctx context.Context, retiredAfter time.Time) ([]*hub.SigningKey, error) {
	var out []*hub.SigningKey
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT kid, private_key_encrypted, public_key, created_at, retired_at
			FROM signing_keys WHERE retired_at IS NULL OR retired_at > $1 ORDER BY created_at DESC, kid DESC`, retiredAfter)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*hub.SigningKey, error) {
			var k hub.SigningKey
			var sealed, pub []byte
			if err := r.Scan(&k.KID, &sealed, &pub, &k.CreatedAt, &k.RetiredAt); err != nil {
				return nil, err
			}
			priv, err := s.cipher.Decrypt(sealed, signingKeyAAD(k.KID))
			if err != nil {
				return nil, fmt.Errorf("decrypt signing key %s: %w", k.KID, err)
			}
			if len(priv) != ed25519.PrivateKeySize {
				return nil, fmt.Errorf("signing key %s has size %d", k.KID, len(priv))
			}
			k.PrivateKey, k.PublicKey = priv, pub
			return &k, nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: signing keys: %w", err)
	}
	return out, nil
}

func (s *SigningKeyStore) insert(ctx context.Context, tx pgx.Tx, k *hub.SigningKey) error {
	sealed, err := s.cipher.Encrypt(k.PrivateKey, signingKeyAAD(k.KID))
	if err != nil {
		return fmt.Errorf("encrypt signing key: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO signing_keys (kid, private_key_encrypted, public_key, created_at) VALUES ($1, $2, $3, $4)`,
		k.KID, sealed, []byte(k.PublicKey), k.CreatedAt)
	return err
}

// RotateSigningKey implements hub.SigningKeyStore.
func (s *SigningKeyStore) RotateSigningKey(ctx context.Context, k *hub.SigningKey) error {
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE signing_keys IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL`, k.CreatedAt); err != nil {
			return err
		}
		return s.insert(ctx, tx, k)
	})
	if err != nil {
		return fmt.Errorf("postgres: rotate signing key: %w", err)
	}
	return nil
}

// EnsureSigningKey implements hub.SigningKeyStore.
func (s *SigningKeyStore) EnsureSigningKey(ctx context.Context, k *hub.SigningKey) (*hub.SigningKey, error) {
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE signing_keys IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM signing_keys WHERE retired_at IS NULL)`).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return nil
		}
		return s.insert(ctx, tx, k)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: ensure signing key: %w", err)
	}
	keys, err := s.SigningKeys(ctx, time.Now())
	if err != nil {
		return nil, err
	}
	for _, key := range keys {
		if key.RetiredAt == nil {
			return key, nil
		}
	}
	return nil, fmt.Errorf("postgres: ensure signing key: no active key after insert")
}

// ReencryptSigningKeys re-seals every signing key that is not sealed under the
// cipher's current key version, and returns how many it re-sealed.
func (s *SigningKeyStore) ReencryptSigningKeys(ctx context.Context) (int, error) {
	n := 0
	err := s.db.InSystem(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT kid, private_key_encrypted FROM signing_keys FOR UPDATE`)
		if err != nil {
			return err
		}
		type sealedKey struct {
			kid    string
			sealed []byte
		}
		keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sealedKey, error) {
			var k sealedKey
			return k, r.Scan(&k.kid, &k.sealed)
		})
		if err != nil {
			return err
		}
		for _, k := range keys {
			if s.cipher.Current(k.sealed) {
				continue
			}
			plain, err := s.cipher.Decrypt(k.sealed, signingKeyAAD(k.kid))
			if err != nil {
				return fmt.Errorf("decrypt %s: %w", k.kid, err)
			}
			resealed, err := s.cipher.Encrypt(plain, signingKeyAAD(k.kid))
			if err != nil {
				return fmt.Errorf("encrypt %s: %w", k.kid, err)
			}
			if _, err := tx.Exec(ctx, `UPDATE signing_keys SET private_key_encrypted = $2 WHERE kid = $1`, k.kid, resealed); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: reencrypt signing keys: %w", err)
	}
	return n, nil
}

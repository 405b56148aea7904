// Package accesstoken defines the hub's access-token format: JWTs signed with
// Ed25519 (alg EdDSA) carrying the user, the tenant and a key id, and the JWKS
// document that publishes the verification keys.
package accesstoken

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	hub "github.com/bizoshub/bizos"
)

// Issuer and Audience are fixed claim values of every access token.
const (
	Issuer   = "bizos-authsvc"
	Audience = "bizos"
)

// Claims are the claims of an access token.
type Claims struct {
	jwt.RegisteredClaims
	TenantID   string `json:"tid,omitempty"`
	SuperAdmin bool   `json:"sa,omitempty"`
	Email      string `json:"email,omitempty"`
}

// Principal returns the authenticated user the claims describe.
func (c *Claims) Principal() hub.Principal {
	return hub.Principal{Kind: hub.PrincipalUser, ID: c.Subject, TenantID: c.TenantID, SuperAdmin: c.SuperAdmin, Email: c.Email}
}

// Sign returns the compact JWT for claims signed with key.
func Sign(key *hub.SigningKey, claims *Claims) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = key.KID
	s, err := tok.SignedString(key.PrivateKey)
	if err != nil {
		return "", fmt.Errorf("accesstoken: sign: %w", err)
	}
	return s, nil
}

// KeyLookup returns the public key for a key id, or an error when unknown.
type KeyLookup func(kid string) (ed25519.PublicKey, error)

// ErrUnknownKey is returned (wrapped) by Verify when the token names a key id
// the lookup does not know; callers may refresh their keys and retry.
var ErrUnknownKey = errors.New("unknown signing key")

var parser = jwt.NewParser(
	jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
	jwt.WithIssuer(Issuer),
	jwt.WithAudience(Audience),
	jwt.WithExpirationRequired(),
	jwt.WithIssuedAt(),
	jwt.WithLeeway(30*time.Second),
)

// Verify parses and checks token: signature by a known key, algorithm EdDSA
// only, issuer, audience, expiry. Every failure is EUNAUTHORIZED; a token
// signed by an unknown kid also wraps ErrUnknownKey.
func Verify(token string, lookup KeyLookup) (*Claims, error) {
	var claims Claims
	_, err := parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("token has no kid")
		}
		return lookup(kid)
	})
	var lookupErr *hub.Error
	if errors.As(err, &lookupErr) {
		return nil, lookupErr // the key source itself failed (e.g. unavailable)
	}
	if err != nil {
		msg := "The access token is invalid."
		if errors.Is(err, jwt.ErrTokenExpired) {
			msg = "The access token has expired."
		}
		return nil, &hub.Error{Code: hub.EUNAUTHORIZED, Message: msg, Err: err}
	}
	if claims.Subject == "" {
		return nil, hub.Errorf(hub.EUNAUTHORIZED, "The access token is invalid.")
	}
	return &claims, nil
}

// JWK is one public key of a JWKS document (RFC 8037 OKP key).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// JWKS is a JSON Web Key Set.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// NewJWKS publishes the public halves of keys.
func NewJWKS(keys []*hub.SigningKey) JWKS {
	set := JWKS{Keys: make([]JWK, 0, len(keys))}
	for _, k := range keys {
		set.Keys = append(set.Keys, JWK{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k.PublicKey),
			Kid: k.KID, Alg: "EdDSA", Use: "sig"})
	}
	return set
}

// PublicKeys returns the Ed25519 keys of the set by kid, skipping entries of
// other types.
func (s JWKS) PublicKeys() map[string]ed25519.PublicKey {
	out := make(map[string]ed25519.PublicKey, len(s.Keys))
	for _, k := range s.Keys {
		if k.Kty != "OKP" || k.Crv != "Ed25519" || k.Kid == "" {
			continue
		}
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			continue
		}
		out[k.Kid] = ed25519.PublicKey(x)
	}
	return out
}

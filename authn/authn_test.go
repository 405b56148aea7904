package authn_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	hub "github.com/bizoshub/bizos"
	"github.com/bizoshub/bizos/accesstoken"
	"github.com/bizoshub/bizos/authn"
	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/redisstore"
)

// keyServer serves a JWKS whose keys the test can change, counting fetches.
type keyServer struct {
	mu      sync.Mutex
	keys    []*hub.SigningKey
	fetches atomic.Int64
	down    atomic.Bool
}

func (s *keyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.fetches.Add(1)
	if s.down.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = json.NewEncoder(w).Encode(accesstoken.NewJWKS(s.keys))
}

func (s *keyServer) add(t *testing.T, kid string) *hub.SigningKey {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k := &hub.SigningKey{KID: kid, PrivateKey: priv, PublicKey: pub}
	s.mu.Lock()
	s.keys = append(s.keys, k)
	s.mu.Unlock()
	return k
}

func token(t *testing.T, k *hub.SigningKey, sub string) string {
	t.Helper()
	c := &accesstoken.Claims{TenantID: "t1"}
	c.Issuer, c.Subject, c.Audience = accesstoken.Issuer, sub, jwt.ClaimStrings{accesstoken.Audience}
	c.IssuedAt, c.ExpiresAt = jwt.NewNumericDate(time.Now()), jwt.NewNumericDate(time.Now().Add(time.Minute))
	s, err := accesstoken.Sign(k, c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func authenticate(a *authn.Authenticator, tok string) (hub.Principal, error) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	return a.Authenticate(req)
}

func TestJWKSRefetchesOnUnknownKid(t *testing.T) {
	ks := &keyServer{}
	k1 := ks.add(t, "k1")
	srv := httptest.NewServer(ks)
	defer srv.Close()
	jwks := authn.NewJWKS(srv.URL, nil, nil)
	jwks.MinRefresh = 0
	a := authn.NewAuthenticator(jwks.PublicKey, nil)

	p, err := authenticate(a, token(t, k1, "alice"))
	if err != nil || p.ID != "alice" || p.TenantID != "t1" {
		t.Fatalf("k1 token: %+v, %v", p, err)
	}
	// Same token again: served from the verified-token cache.
	if _, err := authenticate(a, token(t, k1, "alice")); err != nil {
		t.Fatal(err)
	}
	if got := ks.fetches.Load(); got != 1 {
		t.Errorf("fetches after two k1 tokens = %d, want 1", got)
	}
	k2 := ks.add(t, "k2") // a rotation
	if _, err := authenticate(a, token(t, k2, "bob")); err != nil {
		t.Fatalf("k2 token after rotation: %v", err)
	}
	if got := ks.fetches.Load(); got != 2 {
		t.Errorf("fetches after rotation = %d, want 2", got)
	}
}

func TestJWKSBoundsRefetchesOfForgedKids(t *testing.T) {
	ks := &keyServer{}
	ks.add(t, "k1")
	srv := httptest.NewServer(ks)
	defer srv.Close()
	jwks := authn.NewJWKS(srv.URL, nil, nil)
	jwks.MinRefresh = time.Hour
	a := authn.NewAuthenticator(jwks.PublicKey, nil)
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	for i := 0; i < 20; i++ {
		forged := token(t, &hub.SigningKey{KID: "forged-" + string(rune('a'+i)), PrivateKey: priv, PublicKey: pub}, "eve")
		if _, err := authenticate(a, forged); hub.ErrorCode(err) != hub.EUNAUTHORIZED {
			t.Fatalf("forged token: err = %v, want unauthorized", err)
		}
	}
	if got := ks.fetches.Load(); got != 1 {
		t.Errorf("20 forged kids caused %d fetches, want 1", got)
	}
}

func TestJWKSUnavailable(t *testing.T) {
	ks := &keyServer{}
	k1 := ks.add(t, "k1")
	ks.down.Store(true)
	srv := httptest.NewServer(ks)
	defer srv.Close()
	a := authn.NewAuthenticator(authn.NewJWKS(srv.URL, nil, nil).PublicKey, nil)
	if _, err := authenticate(a, token(t, k1, "alice")); hub.ErrorCode(err) != hub.EUNAVAILABLE {
		t.Errorf("err = %v, want unavailable", err)
	}
}

func TestJWKSSharedThroughRedis(t *testing.T) {
	rdb, prefix := testenv.NewRedis(t)
	cache := redisstore.NewCache(rdb, prefix)
	ks := &keyServer{}
	k1 := ks.add(t, "k1")
	srv := httptest.NewServer(ks)
	defer srv.Close()
	for _, name := range []string{"replica one", "replica two"} {
		a := authn.NewAuthenticator(authn.NewJWKS(srv.URL, nil, cache).PublicKey, nil)
		if _, err := authenticate(a, token(t, k1, "alice")); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if got := ks.fetches.Load(); got != 1 {
		t.Errorf("two replicas fetched %d times, want 1 (the second reads Redis)", got)
	}
}

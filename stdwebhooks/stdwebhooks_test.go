package stdwebhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The test vector published with the Standard Webhooks specification and its libraries.
const (
	vecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vecMsgID  = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vecTS     = 1614265330
	vecBody   = `{"test": 2432232314}`
	vecSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func mustParse(t *testing.T, s string) []byte {
	t.Helper()
	k, err := ParseSecret(s)
	if err != nil {
		t.Fatalf("ParseSecret(%q): %v", s, err)
	}
	return k
}

func TestSpecVector(t *testing.T) {
	key := mustParse(t, vecSecret)
	ts := time.Unix(vecTS, 0)
	if got := Sign(vecMsgID, ts, []byte(vecBody), key); got != vecSig {
		t.Errorf("Sign = %q, want %q", got, vecSig)
	}
	h := http.Header{}
	h.Set("webhook-id", vecMsgID)
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", vecSig)
	if err := Verify(h, []byte(vecBody), key, ts.Add(time.Minute), 0); err != nil {
		t.Errorf("Verify(spec vector) = %v, want nil", err)
	}
}

func TestHeaders(t *testing.T) {
	key := mustParse(t, vecSecret)
	got := Headers(vecMsgID, time.Unix(vecTS, 0), []byte(vecBody), key)
	want := http.Header{
		"Webhook-Id":        {vecMsgID},
		"Webhook-Timestamp": {"1614265330"},
		"Webhook-Signature": {vecSig},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Headers mismatch (-want +got):\n%s", diff)
	}
}

func TestNewSecret(t *testing.T) {
	s1, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	s2, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if s1 == s2 {
		t.Errorf("two NewSecret calls returned the same %q", s1)
	}
	if !strings.HasPrefix(s1, "whsec_") {
		t.Errorf("NewSecret = %q, want whsec_ prefix", s1)
	}
	key := mustParse(t, s1)
	if len(key) != 24 {
		t.Errorf("key length = %d, want 24", len(key))
	}
}

func TestParseSecret(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []byte
		wantErr bool
	}{
		{name: "spec", in: vecSecret, want: mustDecode(t, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")},
		{name: "padded", in: "whsec_YWJj", want: []byte("abc")},
		{name: "unpadded", in: "whsec_YWJjZA", want: []byte("abcd")},
		{name: "no prefix", in: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", wantErr: true},
		{name: "other prefix", in: "whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "prefix only", in: "whsec_", wantErr: true},
		{name: "bad base64", in: "whsec_!!!not-base64!!!", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSecret(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrSecret) {
					t.Errorf("ParseSecret(%q) error = %v, want ErrSecret", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSecret(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseSecret(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// independentSig computes a v1 entry without the package's code.
func independentSig(key []byte, id string, ts string, body string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "." + body))
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	keyA := []byte("secret-key-A-0123456789ab")
	keyB := []byte("secret-key-B-0123456789ab")
	body := `{"type":"contact.created","data":{"id":1}}`
	hdr := func(id, ts, sig string) http.Header {
		h := http.Header{}
		if id != "" {
			h.Set("webhook-id", id)
		}
		if ts != "" {
			h.Set("webhook-timestamp", ts)
		}
		if sig != "" {
			h.Set("webhook-signature", sig)
		}
		return h
	}
	const ts = "1700000000"
	sigA := independentSig(keyA, "msg_1", ts, body)
	sigB := independentSig(keyB, "msg_1", ts, body)
	tests := []struct {
		name      string
		h         http.Header
		body      string
		secret    []byte
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{name: "valid", h: hdr("msg_1", ts, sigA), body: body, secret: keyA, now: now},
		{name: "round trip Headers", h: Headers("msg_1", now, []byte(body), keyA), body: body, secret: keyA, now: now},
		{name: "rotation: old secret", h: Headers("msg_1", now, []byte(body), keyA, keyB), body: body, secret: keyA, now: now},
		{name: "rotation: new secret", h: Headers("msg_1", now, []byte(body), keyA, keyB), body: body, secret: keyB, now: now},
		{name: "several entries, second matches", h: hdr("msg_1", ts, sigB+" "+sigA), body: body, secret: keyA, now: now},
		{name: "unknown version ignored", h: hdr("msg_1", ts, "v1a,AAAA "+sigA), body: body, secret: keyA, now: now},
		{name: "only other version", h: hdr("msg_1", ts, "v2,"+strings.TrimPrefix(sigA, "v1,")), body: body, secret: keyA, now: now, want: ErrSignature},
		{name: "wrong secret", h: hdr("msg_1", ts, sigA), body: body, secret: keyB, now: now, want: ErrSignature},
		{name: "tampered body", h: hdr("msg_1", ts, sigA), body: body + " ", secret: keyA, now: now, want: ErrSignature},
		{name: "other message id", h: hdr("msg_2", ts, sigA), body: body, secret: keyA, now: now, want: ErrSignature},
		{name: "garbage signature", h: hdr("msg_1", ts, "v1,***"), body: body, secret: keyA, now: now, want: ErrSignature},
		{name: "old timestamp", h: hdr("msg_1", ts, sigA), body: body, secret: keyA, now: now.Add(5*time.Minute + time.Second), want: ErrTimestamp},
		{name: "future timestamp", h: hdr("msg_1", ts, sigA), body: body, secret: keyA, now: now.Add(-5*time.Minute - time.Second), want: ErrTimestamp},
		{name: "edge of default tolerance", h: hdr("msg_1", ts, sigA), body: body, secret: keyA, now: now.Add(5 * time.Minute)},
		{name: "custom tolerance", h: hdr("msg_1", ts, sigA), body: body, secret: keyA, now: now.Add(time.Hour), tolerance: 2 * time.Hour},
		{name: "custom tolerance exceeded", h: hdr("msg_1", ts, sigA), body: body, secret: keyA, now: now.Add(time.Minute), tolerance: 30 * time.Second, want: ErrTimestamp},
		{name: "malformed timestamp", h: hdr("msg_1", "yesterday", sigA), body: body, secret: keyA, now: now, want: ErrTimestamp},
		{name: "missing id", h: hdr("", ts, sigA), body: body, secret: keyA, now: now, want: ErrMissingHeader},
		{name: "missing timestamp", h: hdr("msg_1", "", sigA), body: body, secret: keyA, now: now, want: ErrMissingHeader},
		{name: "missing signature", h: hdr("msg_1", ts, ""), body: body, secret: keyA, now: now, want: ErrMissingHeader},
		{name: "nil headers", h: nil, body: body, secret: keyA, now: now, want: ErrMissingHeader},
		{name: "empty secret", h: hdr("msg_1", ts, sigA), body: body, secret: nil, now: now, want: ErrSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.h, []byte(tt.body), tt.secret, tt.now, tt.tolerance)
			if tt.want == nil {
				if err != nil {
					t.Errorf("Verify = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSignSeveralSecrets(t *testing.T) {
	ka, kb := []byte("k-a"), []byte("k-b")
	ts := time.Unix(1_700_000_000, 0)
	got := Sign("msg_9", ts, []byte("x"), ka, kb)
	want := independentSig(ka, "msg_9", "1700000000", "x") + " " + independentSig(kb, "msg_9", "1700000000", "x")
	if got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
	if got := Sign("msg_9", ts, []byte("x")); got != "" {
		t.Errorf("Sign with no secrets = %q, want empty", got)
	}
}

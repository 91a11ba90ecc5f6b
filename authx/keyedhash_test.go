package authx

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// The store and counter keys are persisted (Redis) and shared between
// instances: they must stay exactly hex(HMAC-SHA256(secret, message)),
// however they are computed.
func TestKeysAreHMACsOfTheCredential(t *testing.T) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	want := func(msg string, n int) string {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(msg))
		return hex.EncodeToString(m.Sum(nil)[:n])
	}
	v := NewAPIKeyVerifier(nil, nil, secret)
	for _, tc := range []struct{ scheme, value string }{{"Bearer", "k-123"}, {"Basic", "dTpw"}, {"Bearer", ""}} {
		// Twice: the second sum comes from a recycled hasher.
		for range 2 {
			if got, w := v.CredKey(tc.scheme, tc.value), want(tc.scheme+" "+tc.value, sha256.Size); got != w {
				t.Errorf("CredKey(%q, %q) = %s, want %s", tc.scheme, tc.value, got, w)
			}
		}
	}
	a := &Authenticator{hmac: newKeyedHash(secret)}
	if got, w := a.mac("cred", "Bearer k-123"), want("cred\x00Bearer k-123\x00", 16); got != w {
		t.Errorf("mac = %s, want %s", got, w)
	}
}

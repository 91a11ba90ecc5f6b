package authx

import (
	"context"
	"testing"
	"time"
)

func BenchmarkVerifyCiviJWT(b *testing.B) {
	keys, err := ParseSignKeys("jwt-hs256:hkdf-sha256:new jwt-hs256:hkdf-sha256:test-secret-123")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Unix(1800000000, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := VerifyCiviJWT(vector34Token, keys, now, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRememberedAPIKeyLookup is the hot path for API-key clients: an
// HMAC of the key and a verdict store hit, no call to CiviCRM.
func BenchmarkRememberedAPIKeyLookup(b *testing.B) {
	res := &fakeResolver{ids: map[string]Identity{"Bearer " + akUser: {ContactID: 3, UserID: i64(1), Cred: "api_key"}}}
	v := NewAPIKeyVerifier(res, NewMemoryVerdicts(), []byte("secret"))
	ctx := context.Background()
	if _, err := v.Verify(ctx, "", "Bearer", akUser); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		vd, err := v.Verify(ctx, "", "Bearer", akUser)
		if err != nil || !vd.OK {
			b.Fatal(vd, err)
		}
	}
	if res.calls.Load() != 1 {
		b.Fatalf("resolver called %d times", res.calls.Load())
	}
}

// BenchmarkAuthenticateAPIKey is a whole Authenticate for a remembered key
// with memory counters and site key.
func BenchmarkAuthenticateAPIKey(b *testing.B) {
	e := newEnv(b, nil)
	call := contactGet()
	call.Credentials = credsWith("Bearer " + akUser)
	req := Request{Call: call, ClientIP: mustAddr("192.0.2.1")}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, rej := e.a.Authenticate(ctx, req); rej != nil {
			b.Fatal(rej)
		}
	}
}

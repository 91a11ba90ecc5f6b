package authx

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/civigate/civigate/translate"
)

func TestPassForKeysOnly(t *testing.T) {
	now := testNow
	e := newEnv(t, func(c *Config) { c.Now = func() time.Time { return now } })
	admit := func(cred translate.Credentials) *Principal {
		t.Helper()
		call := contactGet()
		call.Credentials = cred
		p, rej := e.a.Authenticate(context.Background(), Request{Call: call, ClientIP: netip.MustParseAddr("192.0.2.1")})
		if rej != nil {
			t.Fatalf("refused: %s", rej.Detail)
		}
		return p
	}
	key := admit(translate.Credentials{XCiviAuth: "Bearer " + akUser})
	pass, ok := e.a.PassFor(key)
	if !ok || !e.a.Readmit(context.Background(), pass, now) {
		t.Fatal("an API key's principal gets no pass, or it is refused at once")
	}
	now = now.Add(PassTTL)
	if e.a.Readmit(context.Background(), pass, now) {
		t.Error("a pass outlives PassTTL")
	}
	jwt := admit(translate.Credentials{XCiviAuth: "Bearer " + e.jwt(t, map[string]any{"sub": "cid:3", "scope": "authx", "exp": now.Add(time.Minute).Unix()})})
	if _, ok := e.a.PassFor(jwt); ok {
		t.Error("a JWT's principal gets a pass: its expiry would not be checked")
	}
	if _, ok := e.a.PassFor(&Principal{ContactID: 3, CredType: CredAPIKey}); ok {
		t.Error("a principal Authenticate did not return gets a pass")
	}
}

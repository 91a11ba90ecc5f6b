package authx

import (
	"context"
	"net/netip"
	"testing"

	"github.com/civigate/civigate/translate"
)

// Moving the verdicts' generation on forgets every remembered verdict (the
// credential is asked about again, once) and ends the passes issued for
// credentials verified before.
func TestGenerationForgetsVerdictsAndPasses(t *testing.T) {
	gen := new(MemoryGeneration)
	e := newEnv(t, func(c *Config) { c.APIKeys.Generation = gen })
	ctx := context.Background()
	admit := func() *Principal {
		t.Helper()
		call := contactGet()
		call.Credentials = translate.Credentials{XCiviAuth: "Bearer " + akUser}
		p, rej := e.a.Authenticate(ctx, Request{Call: call, ClientIP: netip.MustParseAddr("192.0.2.1")})
		if rej != nil {
			t.Fatalf("refused: %s", rej.Detail)
		}
		return p
	}
	p := admit()
	asked := e.res.calls.Load()
	admit()
	if n := e.res.calls.Load(); n != asked {
		t.Fatalf("a remembered verdict was asked again (%d)", n-asked)
	}
	pass, ok := e.a.PassFor(p)
	if !ok || !e.a.Readmit(ctx, pass, testNow) {
		t.Fatal("no pass")
	}
	_ = gen.Forget(ctx)
	if e.a.Readmit(ctx, pass, testNow) {
		t.Error("a pass outlives the forgetting of its credential's verdict")
	}
	p = admit()
	if n := e.res.calls.Load(); n != asked+1 {
		t.Errorf("after forgetting, the credential was asked about %d times, want once", n-asked)
	}
	admit()
	if n := e.res.calls.Load(); n != asked+1 {
		t.Errorf("the verdict asked after forgetting is not remembered (%d questions)", n-asked)
	}
	if pass, ok := e.a.PassFor(p); !ok || !e.a.Readmit(ctx, pass, testNow) {
		t.Error("a pass for a credential verified after forgetting is refused")
	}
}

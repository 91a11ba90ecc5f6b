package authx

import (
	"context"
	"encoding/base64"
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

// Moving the passwords' generation on forgets the verdicts on Basic
// credentials (each asked about again, once) and ends their passes, and
// leaves every other verdict and pass as it was; moving the verdicts'
// generation on forgets the verdicts on passwords too.
func TestPasswordGenerationForgetsPasswordsOnly(t *testing.T) {
	gen, pw := new(MemoryGeneration), new(MemoryGeneration)
	e := newEnv(t, func(c *Config) { c.APIKeys.Generation, c.APIKeys.PasswordGeneration = gen, pw })
	ctx := context.Background()
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:pw"))
	admit := func(cred string) (*Principal, int64) {
		t.Helper()
		call := contactGet()
		call.Credentials = credsWith(cred)
		before := e.res.calls.Load()
		p, rej := e.a.Authenticate(ctx, Request{Call: call, ClientIP: netip.MustParseAddr("192.0.2.1")})
		if rej != nil {
			t.Fatalf("%.6s refused: %s", cred, rej.Detail)
		}
		return p, e.res.calls.Load() - before
	}
	pass := func(p *Principal) Pass {
		t.Helper()
		ps, ok := e.a.PassFor(p)
		if !ok || !e.a.Readmit(ctx, ps, testNow) {
			t.Fatal("no pass")
		}
		return ps
	}
	pb, _ := admit(basic)
	pk, _ := admit("Bearer " + akUser)
	passB, passK := pass(pb), pass(pk)
	_ = pw.Forget(ctx)
	if e.a.Readmit(ctx, passB, testNow) {
		t.Error("a password's pass outlives the forgetting of the verdicts on passwords")
	}
	if !e.a.Readmit(ctx, passK, testNow) {
		t.Error("forgetting the verdicts on passwords ended an API key's pass")
	}
	if _, n := admit("Bearer " + akUser); n != 0 {
		t.Errorf("forgetting the verdicts on passwords made the API key be asked about %d times", n)
	}
	pb, n := admit(basic)
	if n != 1 {
		t.Errorf("after forgetting the verdicts on passwords, the password was asked about %d times, want once", n)
	}
	if _, n := admit(basic); n != 0 {
		t.Errorf("the verdict on the password asked after forgetting is not remembered (%d questions)", n)
	}
	passB = pass(pb)
	_ = gen.Forget(ctx)
	if e.a.Readmit(ctx, passB, testNow) || e.a.Readmit(ctx, passK, testNow) {
		t.Error("a pass outlives the forgetting of every verdict")
	}
	if _, n := admit(basic); n != 1 {
		t.Errorf("after forgetting every verdict, the password was asked about %d times, want once", n)
	}
}

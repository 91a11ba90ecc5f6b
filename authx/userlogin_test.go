package authx

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/civigate/civigate/translate"
)

// An APIv4 User.login's identifier and password are authenticated as
// civicrm/authx/login's password is: checked as AuthX's Basic
// credential with no site key (Login::passwordCheck reads none), failures
// counted per address and user name, and the principal's session refused
// where its rules are stricter than anonymous callers'.
func TestUserLoginCredentials(t *testing.T) {
	login := func(id, pw string) *translate.Call {
		return translate.UserLoginCall(&translate.Call{Form: translate.FormAPI4, Method: "POST"}, translate.UserLogin{Identifier: id, Password: pw})
	}
	ip := netip.MustParseAddr("192.0.2.7")
	e := newEnv(t, func(c *Config) { c.AllowAnonymous = true; c.SiteKeyModern = SiteKeyRequire })
	p, rej := e.a.AuthenticateRoute(context.Background(), Request{Call: login("admin", "pw"), ClientIP: ip})
	if rej != nil || p == nil || p.ContactID != 3 || p.CredType != CredPass || p.Flow != FlowUserLogin {
		t.Fatalf("the right password, no site key: %+v %+v", p, rej)
	}
	if _, rej := e.a.AuthenticateRoute(context.Background(), Request{Call: login("ad:min", "pw"), ClientIP: ip}); rej == nil || rej.Reason != ReasonInvalid {
		t.Errorf("an identifier holding ':': %+v", rej)
	}
	for i := range 5 {
		if _, rej := e.a.AuthenticateRoute(context.Background(), Request{Call: login("admin", fmt.Sprint("guess", i)), ClientIP: netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})}); rej == nil || rej.Reason != ReasonInvalid {
			t.Fatalf("guess %d: %+v", i, rej)
		}
	}
	asked := e.res.calls.Load()
	if _, rej := e.a.AuthenticateRoute(context.Background(), Request{Call: login("ADMIN ", "guess9"), ClientIP: ip}); rej == nil || rej.Reason != ReasonRateLimited {
		t.Errorf("a sixth guess for admin: %+v, want a 429", rej)
	}
	if n := e.res.calls.Load() - asked; n != 0 {
		t.Errorf("CiviCRM was asked %d times about a blocked user's password", n)
	}

	for _, tc := range []struct {
		rule Rule
		msg  string
	}{
		{Rule{Effect: "deny", Contacts: []int64{3}}, MsgPolicy},
		{Rule{Effect: "deny", Contacts: []int64{3}, Entities: []string{"Activity"}}, MsgSessionPolicy},
	} {
		e = newEnv(t, func(c *Config) { c.AllowAnonymous, c.Policy = true, &Policy{Rules: []Rule{tc.rule}} })
		if _, rej := e.a.AuthenticateRoute(context.Background(), Request{Call: login("admin", "pw"), ClientIP: ip}); rej == nil || rej.Message != tc.msg {
			t.Errorf("%+v: %+v, want %q", tc.rule, rej, tc.msg)
		}
	}
}

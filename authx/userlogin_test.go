package authx

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/civigate/civigate/translate"
)

// sessionResolver answers civicrm/authx/id's session questions: cookie →
// contact; ended lists the sessions logged out.
type sessionResolver struct {
	*fakeResolver
	sessions map[string]int64
	ended    []string
	down     bool
}

func (s *sessionResolver) ResolveSession(_ context.Context, cookie string) (Identity, error) {
	if s.down {
		return Identity{}, ErrUnavailable
	}
	if cid := s.sessions[cookie]; cid > 0 {
		return Identity{ContactID: cid, UserID: i64(1)}, nil
	}
	return Identity{}, nil
}

func (s *sessionResolver) EndSession(_ context.Context, cookie string) error {
	s.ended = append(s.ended, cookie)
	delete(s.sessions, cookie)
	return nil
}

// Standalone's User.login is judged by its answer: guessing protection
// admits it (per address and per identifier, a 429 when blocked, before
// CiviCRM is asked), "Invalid credentials" is a failure, a session
// logged in is a proof, and the session's principal is refused as
// civicrm/authx/login's would be (the policy allows it no call; with
// anonymous, its rules are stricter than anonymous callers'). An answer
// that logs nobody in (an MFA step pending) counts nothing.
func TestUserLoginAnswers(t *testing.T) {
	ctx := context.Background()
	ip := netip.MustParseAddr("192.0.2.7")
	setup := func(mod func(*Config)) (*env, *sessionResolver) {
		var sr *sessionResolver
		e := newEnv(t, func(c *Config) {
			sr = &sessionResolver{fakeResolver: &fakeResolver{}, sessions: map[string]int64{"S=admin": 3}}
			c.APIKeys = NewAPIKeyVerifier(sr, nil, []byte("verdict-secret"))
			if mod != nil {
				mod(c)
			}
		})
		return e, sr
	}
	login := func(id, pw string) translate.UserLogin { return translate.UserLogin{Identifier: id, Password: pw} }

	e, _ := setup(nil)
	tr, rej := e.a.BeginUserLogin(ctx, login("admin@example.org", "pw"), ip, "site")
	if rej != nil {
		t.Fatal(rej)
	}
	p, rej := e.a.EndUserLogin(ctx, tr, translate.LoginURL, "S=admin", ip)
	if rej != nil || p == nil || p.ContactID != 3 || p.Flow != FlowUserLogin || p.CredType != CredPass {
		t.Fatalf("a log-in by e-mail CiviCRM accepted: %+v %+v", p, rej)
	}

	// Wrong passwords are counted per identifier (folded as a user name)
	// from any address, then refused before CiviCRM is asked.
	for i := range 5 {
		tr, rej := e.a.BeginUserLogin(ctx, login("admin", fmt.Sprint("guess", i)), netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), "site")
		if rej != nil {
			t.Fatalf("guess %d: %+v", i, rej)
		}
		if p, rej := e.a.EndUserLogin(ctx, tr, translate.LoginInvalid, "", ip); p != nil || rej != nil {
			t.Fatalf("guess %d: %+v %+v", i, p, rej)
		}
	}
	if _, rej := e.a.BeginUserLogin(ctx, login(" ADMIN", "guess9"), ip, "site"); rej == nil || rej.Reason != ReasonRateLimited || rej.Status != 429 {
		t.Errorf("a sixth guess for admin: %+v, want a 429", rej)
	}
	// ... and per address, whatever the identifier.
	e, _ = setup(nil)
	for i := range 5 {
		tr, _ := e.a.BeginUserLogin(ctx, login(fmt.Sprint("user", i), "x"), ip, "site")
		e.a.EndUserLogin(ctx, tr, translate.LoginInvalid, "", ip)
	}
	if _, rej := e.a.BeginUserLogin(ctx, login("admin", "pw"), ip, "site"); rej == nil || rej.Status != 429 {
		t.Errorf("a blocked address: %+v, want a 429", rej)
	}
	// An MFA step from a blocked address is refused too.
	if _, rej := e.a.BeginUserLogin(ctx, translate.UserLogin{}, ip, "site"); rej == nil || rej.Status != 429 {
		t.Errorf("an MFA step from a blocked address: %+v, want a 429", rej)
	}

	// Answers that judge nothing count nothing: an MFA step pending (a
	// url, nobody logged in), no answer, an attempt never run.
	e, _ = setup(nil)
	for i := range 8 {
		tr, rej := e.a.BeginUserLogin(ctx, login("admin", fmt.Sprint("pw", i)), ip, "site")
		if rej != nil {
			t.Fatalf("unjudged attempt %d counted: %+v", i, rej)
		}
		switch i % 3 {
		case 0:
			if p, rej := e.a.EndUserLogin(ctx, tr, translate.LoginURL, "S=pending", ip); p != nil || rej != nil {
				t.Fatalf("nobody logged in: %+v %+v", p, rej)
			}
		case 1:
			e.a.EndUserLogin(ctx, tr, translate.LoginUnanswered, "S=admin", ip)
		default:
			tr.Close(ctx)
		}
	}

	// An answer the edge cannot read is a failure: the client may read
	// it.
	e, _ = setup(nil)
	for i := range 5 {
		tr, _ := e.a.BeginUserLogin(ctx, login("admin", fmt.Sprint("x", i)), netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), "site")
		e.a.EndUserLogin(ctx, tr, translate.LoginUnread, "S=admin", ip)
	}
	if _, rej := e.a.BeginUserLogin(ctx, login("admin", "pw"), ip, "site"); rej == nil || rej.Status != 429 {
		t.Errorf("after 5 unread answers: %+v, want a 429", rej)
	}

	// CiviCRM not answering who logged in: no session handed out.
	e, sr := setup(nil)
	sr.down = true
	tr, _ = e.a.BeginUserLogin(ctx, login("admin", "pw"), ip, "site")
	if _, rej := e.a.EndUserLogin(ctx, tr, translate.LoginURL, "S=admin", ip); rej == nil || rej.Status != 503 {
		t.Errorf("session question unanswered: %+v, want a 503", rej)
	}

	for _, tc := range []struct {
		rule Rule
		msg  string
	}{
		{Rule{Effect: "deny", Contacts: []int64{3}}, MsgPolicy},
		{Rule{Effect: "deny", Contacts: []int64{3}, Entities: []string{"Activity"}}, MsgSessionPolicy},
	} {
		e, _ := setup(func(c *Config) { c.AllowAnonymous, c.Policy = true, &Policy{Rules: []Rule{tc.rule}} })
		// Whatever the answer said (an answer lost on the way too), the
		// session it ran in is refused to its principal.
		for _, out := range []translate.LoginOutcome{translate.LoginURL, translate.LoginUnanswered, translate.LoginUnread} {
			for _, l := range []translate.UserLogin{login("admin", "pw"), {}} {
				tr, rej := e.a.BeginUserLogin(ctx, l, ip, "site")
				if rej != nil {
					t.Fatal(rej)
				}
				if p, rej := e.a.EndUserLogin(ctx, tr, out, "S=admin", ip); p != nil || rej == nil || rej.Message != tc.msg || rej.Status != 403 {
					t.Errorf("%+v, %v, %+v: %+v %+v, want %q", tc.rule, out, l, p, rej, tc.msg)
				}
			}
		}
	}
}

// An actorPassword check (Standalone's User.update and save) is counted
// as User.login's password check is: a reservation per address and per
// user the call runs as (the principal's contact, else the session's,
// asked of civicrm/authx/id), a failure unless CiviCRM accepted the call,
// a 429 once either is full; a right one releases its reservation, an
// unanswered one counts nothing.
func TestActorPasswordCounted(t *testing.T) {
	ctx := context.Background()
	var sr *sessionResolver
	e := newEnv(t, func(c *Config) {
		sr = &sessionResolver{fakeResolver: &fakeResolver{}, sessions: map[string]int64{"S=admin": 3, "S=other": 4}}
		c.APIKeys = NewAPIKeyVerifier(sr, nil, []byte("verdict-secret"))
	})
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}) }
	end := func(tr *UserLoginAttempt, out translate.LoginOutcome) {
		t.Helper()
		if p, rej := e.a.EndUserLogin(ctx, tr, out, "S=admin", addr(0)); p != nil || rej != nil {
			t.Fatalf("EndUserLogin of an actorPassword check: %v %v, want nothing", p, rej)
		}
	}
	// Right ones and unanswered ones count nothing.
	for i := range 5 {
		tr, rej := e.a.BeginActorPassword(ctx, addr(1), nil, "S=admin")
		if rej != nil {
			t.Fatalf("check %d: %v", i, rej)
		}
		end(tr, []translate.LoginOutcome{translate.LoginURL, translate.LoginUnanswered}[i%2])
	}
	// Wrong ones from many addresses fill the session user's counter.
	for i := range e.a.cfg.MaxFailures {
		tr, rej := e.a.BeginActorPassword(ctx, addr(10+i), nil, "S=admin")
		if rej != nil {
			t.Fatalf("wrong check %d: %v", i, rej)
		}
		end(tr, translate.LoginUnread)
	}
	if _, rej := e.a.BeginActorPassword(ctx, addr(99), nil, "S=admin"); rej == nil || rej.Status != 429 {
		t.Errorf("the session's user past MaxFailures from a fresh address: %v, want a 429", rej)
	}
	if _, rej := e.a.BeginActorPassword(ctx, addr(98), &Principal{ContactID: 3}, ""); rej == nil || rej.Status != 429 {
		t.Errorf("the same contact as a verified principal: %v, want a 429", rej)
	}
	if tr, rej := e.a.BeginActorPassword(ctx, addr(97), nil, "S=other"); rej != nil {
		t.Errorf("another session's user from a fresh address: %v, want admitted", rej)
	} else {
		tr.Close(ctx)
	}
	// Without a user to name, the address alone.
	for i := range e.a.cfg.MaxFailures {
		tr, rej := e.a.BeginActorPassword(ctx, addr(50), nil, "")
		if rej != nil {
			t.Fatalf("wrong check %d with no user: %v", i, rej)
		}
		end(tr, translate.LoginUnread)
	}
	if _, rej := e.a.BeginActorPassword(ctx, addr(50), nil, "S=other"); rej == nil || rej.Status != 429 {
		t.Errorf("a blocked address: %v, want a 429", rej)
	}
}

package authx

import (
	"context"
	"encoding/base64"
	"errors"
	"net/netip"
	"strconv"

	"github.com/civigate/civigate/translate"
)

// Standalone's log-in is an APIv4 call, User.login
// (Civi\Api4\Action\User\Login: passwordCheck checks the identifier's
// password, Security::checkPassword, and logs the session in, loginUser
// -> _authx_uf()->loginSession; an MFA step, mfaClass, logs in a session
// whose password was checked). The edge does not check the password
// itself (AuthX would have to take passwords in X-Civi-Auth, and it
// finds users by name only, where passwordCheck takes an e-mail too): the
// call goes to CiviCRM alone, and the edge reads its answer
// (translate.UserLoginAnswer) and asks who the session is logged in as.
// Around it, the same guessing protection as every credential's
// (admit: the address's and the identifier's counters, a reservation
// that stays a failure unless the log-in succeeds, proofs), and the
// same refusals as civicrm/authx/login's (refusePrincipal).

// UserLoginAttempt is one User.login the edge lets through to CiviCRM
// (BeginUserLogin), until its answer is read (EndUserLogin) or it ends
// without one (Close).
type UserLoginAttempt struct {
	a       *Authenticator
	login   translate.UserLogin
	cred    *presented // nil: an MFA step, no password; or an actorPassword check
	ipKey   string
	credKey string
	site    string
	release func(context.Context)
	land    func(firstOutcome)
	settled bool
}

// BeginUserLogin admits one User.login's password check from ip on site
// (Request.Site) before it runs: a 429 when the address or the
// identifier is blocked (the identifier counted as a Basic user name is,
// userLimitKey: trimmed, case and accents folded; an e-mail address is
// an identifier of its own), else an attempt reserved against both. An
// MFA step (no identifier or password) has only its address checked.
func (a *Authenticator) BeginUserLogin(ctx context.Context, l translate.UserLogin, ip netip.Addr, site string) (*UserLoginAttempt, *Rejection) {
	t := &UserLoginAttempt{a: a, login: l, site: site, ipKey: a.ipKey(ip)}
	if l.Identifier != "" || l.Password != "" {
		// Keyed as the Basic credential of the same name and password, so
		// a proof of either stands for the other.
		t.cred = &presented{FlowUserLogin, "Basic " + base64.StdEncoding.EncodeToString([]byte(l.Identifier+":"+l.Password))}
		t.credKey = a.userLimitKey(l.Identifier)
	}
	jctx := context.WithoutCancel(ctx)
	release, land, rej := a.admit(ctx, jctx, a.countersQuiet(), func() string { return t.ipKey }, &t.credKey, t.cred, "", site)
	if rej != nil {
		if land != nil {
			if rej.Reason == ReasonUnavailable {
				land(firstUnjudged)
			} else {
				land(firstJudged)
			}
		}
		rej.Flow = FlowUserLogin
		return nil, rej
	}
	t.release, t.land = release, land
	return t, nil
}

// BeginActorPassword admits one actorPassword check (UserLogin.Actor:
// Standalone's User.create, update or save, whose
// WriteTrait::validateValues checks it against the password of the user
// the call runs as, _authx_uf()->checkPassword) from ip before it runs,
// with the same guessing protection as User.login's password check: a
// 429 when the address or the user is blocked, else an attempt reserved
// against both, which stays a failure unless CiviCRM accepts the call
// (EndUserLogin). The user is the principal's contact when the edge
// verified one, else the contact the session in cookie is logged in as
// (civicrm/authx/id, SessionResolver), so guesses through one stolen
// session from many addresses are counted together; when neither can be
// named (no session, CiviCRM not answering), the address alone.
func (a *Authenticator) BeginActorPassword(ctx context.Context, ip netip.Addr, p *Principal, cookie string) (*UserLoginAttempt, *Rejection) {
	t := &UserLoginAttempt{a: a, login: translate.UserLogin{Actor: true}, ipKey: a.ipKey(ip)}
	if a.cfg.Failures == nil {
		return t, nil
	}
	jctx := context.WithoutCancel(ctx)
	var contact int64
	switch sr, ok := a.sessionResolver(); {
	case p != nil && p.ContactID > 0:
		contact = p.ContactID
	case cookie != "" && ok:
		vctx, cancel := judgeContext(jctx)
		if id, err := sr.ResolveSession(vctx, cookie); err == nil {
			contact = id.ContactID
		}
		cancel()
	}
	if contact > 0 {
		t.credKey = "actor:" + a.mac("actor", strconv.FormatInt(contact, 10))
	}
	release, full, wait := a.cfg.Failures.Reserve(jctx, a.cfg.MaxFailures, a.cfg.FailureWindow, nonEmpty([]string{t.credKey, t.ipKey})...)
	switch {
	case full == "":
		t.release = release
		return t, nil
	case full == t.credKey:
		a.observe(GuessCredentialBlocked)
	default:
		a.observe(GuessAddressBlocked)
	}
	rej := rateLimited(wait)
	rej.Flow = FlowUserLogin
	return nil, rej
}

// Login is the check the attempt stands for (BeginUserLogin's UserLogin;
// BeginActorPassword's has Actor set and no password).
func (t *UserLoginAttempt) Login() translate.UserLogin { return t.login }

// Close ends an attempt whose answer was not read (the call never ran,
// or no answer came): nothing was judged, so nothing is counted.
func (t *UserLoginAttempt) Close(ctx context.Context) {
	t.settle(ctx, firstUnjudged, nil)
}

// settle lands the attempt once: judged (a failure, counted), proved
// as p, or unjudged (its reservation released).
func (t *UserLoginAttempt) settle(ctx context.Context, o firstOutcome, p *Principal) {
	if t == nil || t.settled {
		return
	}
	t.settled = true
	jctx := context.WithoutCancel(ctx)
	a := t.a
	switch o {
	case firstJudged:
		if t.cred != nil || t.login.Actor {
			a.failed(jctx, t.release, t.ipKey, t.credKey)
		}
	case firstProved:
		if t.release != nil {
			t.release(jctx)
		}
		a.prove(jctx, t.cred, "", t.site, p)
	default:
		if t.release != nil {
			t.release(jctx)
		}
	}
	if t.land != nil {
		t.land(o)
	}
}

// EndUserLogin reads what the User.login did (out: its answer; cookie:
// the Cookie its session goes by, the client's with CiviCRM's Set-Cookie
// over it) and settles the attempt:
//   - "Invalid credentials": a failure for the address and the
//     identifier (the reservation stays counted; a proven credential's
//     is counted now), and nobody logged in;
//   - an answer in no shape passwordCheck gives (an error, another
//     publicError: LoginUnread): a failure too, since the client may tell
//     from it what the edge cannot;
//   - no answer (LoginUnanswered): nothing judged, nothing counted.
//
// Whatever the answer but "Invalid credentials", the session may be
// logged in (a url; and an answer lost on the way does not mean the
// log-in did not happen), so CiviCRM is asked who it is logged in as
// (SessionResolver: civicrm/authx/id with the cookie). Someone, after a
// url: the password was right (a proof, as a verified credential's).
// Someone, whatever the answer: that principal keeps the session only if
// the policy allows it a call and, with anonymous, holds it to no
// stricter rules than anonymous callers (refusePrincipal); otherwise the
// Rejection, and the caller must not hand out the session and ends it
// (EndSession). Nobody (an MFA step pending, an extension's stop):
// nothing more. No answer about the session: unavailable, and the
// session is not handed out either. Without a cookie the session, if
// any, is one the client never holds (a caller Civigate vouches for: no
// Cookie goes upstream, no Set-Cookie comes back).
func (a *Authenticator) EndUserLogin(ctx context.Context, t *UserLoginAttempt, out translate.LoginOutcome, cookie string, ip netip.Addr) (*Principal, *Rejection) {
	failed := firstUnjudged
	if out == translate.LoginInvalid || out == translate.LoginUnread {
		failed = firstJudged
	}
	if t.login.Actor {
		// An actorPassword check logs nobody in: its answer
		// (translate.ActorPasswordAnswer) is all there is to read.
		t.settle(ctx, failed, nil)
		return nil, nil
	}
	if out == translate.LoginInvalid || cookie == "" {
		t.settle(ctx, failed, nil)
		return nil, nil
	}
	sr, ok := a.sessionResolver()
	if !ok {
		t.settle(ctx, failed, nil)
		return nil, unavailableLogin("no civicrm/authx/id to ask who User.login logged in (no_resolve)")
	}
	vctx, cancel := judgeContext(context.WithoutCancel(ctx))
	defer cancel()
	id, err := sr.ResolveSession(vctx, cookie)
	switch {
	case err != nil:
		t.settle(ctx, failed, nil)
		return nil, unavailableLogin("who User.login logged in: " + err.Error())
	case id.ContactID <= 0:
		t.settle(ctx, failed, nil)
		return nil, nil
	}
	p := &Principal{ContactID: id.ContactID, UserID: id.UserID, CredType: CredPass, Flow: FlowUserLogin}
	if out == translate.LoginURL && t.cred != nil {
		t.settle(ctx, firstProved, p)
	} else {
		t.settle(ctx, failed, nil)
	}
	if rej := a.refusePrincipal(p, ip, FlowUserLogin, true); rej != nil {
		return nil, rej
	}
	return p, nil
}

// EndSession logs out the session in cookie, which a User.login logged in
// for a principal EndUserLogin refused.
func (a *Authenticator) EndSession(ctx context.Context, cookie string) error {
	sr, ok := a.sessionResolver()
	if !ok {
		return errors.New("no civicrm/authx/logout to ask (no_resolve)")
	}
	vctx, cancel := judgeContext(context.WithoutCancel(ctx))
	defer cancel()
	return sr.EndSession(vctx, cookie)
}

func (a *Authenticator) sessionResolver() (SessionResolver, bool) {
	if a.cfg.APIKeys == nil {
		return nil, false
	}
	sr, ok := a.cfg.APIKeys.Resolver.(SessionResolver)
	return sr, ok
}

func unavailableLogin(detail string) *Rejection {
	r := unavailable(detail)
	r.Flow = FlowUserLogin
	return r
}

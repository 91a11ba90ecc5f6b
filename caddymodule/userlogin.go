package caddymodule

import (
	"bytes"
	"context"
	"net/http"
	"net/netip"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/cache"
	"github.com/civigate/civigate/translate"
)

// checkUserLogins is the edge's word, before anything runs, on the
// log-ins a request's calls make (translate.UserLogins: Standalone's
// APIv4 User.login, whose Login::passwordCheck checks a user's password
// and logs the session in, for anonymous callers too, and whose MFA step
// logs in a session whose password was checked). CiviCRM checks the
// password; the edge reads its answer (serveUserLogin), which it can
// only do for a User.login that is the request's only call
// (translate.OnlyCall): one in a calls= batch or a chain, two, or one
// whose parameters CiviCRM fills in at run time is refused. A lone one is
// admitted by guessing protection (authx.BeginUserLogin: a 429 when the
// address or the identifier is blocked, before CiviCRM is asked), and
// the attempt returned is settled by serveUserLogin (or Close). nil, nil:
// the request logs nobody in.
//
// User.create, update and save with an actorPassword
// (WriteTrait::validateValues checks it against the password of the
// user the call runs as) are password checks too, judged alike: alone in
// the request, admitted by authx.BeginActorPassword (the address and the
// user the call runs as), their answer read.
//
// An MFA step runs on the session the client sends, which holds the
// pending log-in (Login::_run, MFABase::getPendingLogin): a Cookie naming
// one cookie twice (as PHP reads the names: translate.PHPVarName) is
// refused, since PHP takes the first of a name (php_register_variable_ex
// skips a duplicate cookie) and the edge could not tell which session
// CiviCRM logs in.
func (h *Handler) checkUserLogins(ctx context.Context, call *translate.Call, r *http.Request, principal *authx.Principal, clientIP netip.Addr,
	site string) (*authx.UserLoginAttempt, *authx.Rejection) {
	logins, unknown := translate.UserLogins(call)
	refuse := func(detail string) *authx.Rejection {
		return &authx.Rejection{Reason: authx.ReasonPolicy, Message: authx.MsgPolicy, Status: http.StatusForbidden, Flow: authx.FlowUserLogin, Detail: detail}
	}
	switch {
	case len(logins) == 0 && !unknown:
		return nil, nil
	case unknown || len(logins) > 1 || !translate.OnlyCall(call):
		return nil, refuse("a User.login or actorPassword is judged by its answer, so it must be the request's only call, its parameters known")
	case logins[0].Actor:
		cookie := ""
		if sessionCaller(principal) {
			cookie = sessionAfter(r.Header["Cookie"], nil)
		}
		return h.auth.BeginActorPassword(ctx, clientIP, principal, cookie)
	case logins[0].IsMFAStep() && duplicateCookie(r.Header["Cookie"]):
		return nil, refuse("an MFA step's Cookie names a cookie twice: which session CiviCRM logs in cannot be told")
	}
	return h.auth.BeginUserLogin(ctx, logins[0], clientIP, site)
}

// serveUserLogin runs a lone User.login (checkUserLogins admitted it as
// t) and holds CiviCRM's answer back until it is read
// (translate.UserLoginAnswer, authx.EndUserLogin): "Invalid credentials"
// is counted as a failure for the address and the identifier; any other
// answer has the edge ask civicrm/authx/id, with the session the call ran
// in (the client's Cookie as it went upstream, CiviCRM's Set-Cookie over
// it), who is logged in. A principal the policy refuses a session gets the 403 and
// not CiviCRM's Set-Cookie, and the session is logged out
// (civicrm/authx/logout with that Cookie): Standalone logs the client's
// own session in when it sent one (loginAuthenticatedUserRecord sets the
// session's ufID and userID, with no new id), which withholding the
// cookie alone would leave logged in. Anything else goes to the client as
// CiviCRM answered.
func (h *Handler) serveUserLogin(ctx context.Context, w http.ResponseWriter, r *http.Request, call *translate.Call,
	principal *authx.Principal, next caddyhttp.Handler, req *cache.Request, clientIP netip.Addr, t *authx.UserLoginAttempt) error {
	held := &heldAnswer{header: w.Header().Clone()}
	// The call runs to its end even if the client leaves: a log-in whose
	// answer was lost would otherwise go unread, and a client holding
	// the session it ran in (its own Cookie) would keep it.
	login := t.Login()
	up := r
	if login.IsPasswordLogin() && sessionCaller(principal) {
		// A password log-in goes without the client's Cookie: PHP starts
		// a fresh session, which loginSession logs in
		// (loginAuthenticatedUserRecord keeps the id it runs in) and
		// CiviCRM hands out in its Set-Cookie, which reaches the client
		// only when the principal is admitted. Run on the client's own
		// session, the log-in would hold for a refused principal from
		// CiviCRM's answer until the edge's logout, on a cookie the
		// client knows, and with two of them PHP logs in the first
		// (php_register_variable_ex) where the edge would ask about
		// another.
		up = r.Clone(r.Context())
		up.Header.Del("Cookie")
	}
	ans, err := h.serveCall(context.WithoutCancel(ctx), held, up, call, principal, next, req, nil)
	if err := h.answer(held, r, call, ans, err, nil); err != nil {
		return err
	}
	if held.status == 0 {
		held.status = http.StatusOK
	}
	out := translate.UserLoginAnswer(held.status, held.body.Bytes())
	if login.Actor {
		out = translate.ActorPasswordAnswer(held.status)
	}
	cookie := ""
	if sessionCaller(principal) && !login.Actor {
		// Only a call that ran on the client's session has one the
		// client can hold (ask: passCookies).
		cookie = sessionAfter(up.Header["Cookie"], held.header["Set-Cookie"])
	}
	if _, rej := h.auth.EndUserLogin(ctx, t, out, cookie, clientIP); rej != nil {
		if cookie != "" {
			if err := h.auth.EndSession(ctx, cookie); err != nil {
				h.logger.Warn("a session User.login logged in for a refused principal was not logged out", zap.Error(err))
			}
		}
		return h.refuseAuth(w, call, rej, clientIP)
	}
	dst := w.Header()
	clear(dst)
	for name, vs := range held.header {
		dst[name] = vs
	}
	w.WriteHeader(held.status)
	_, err = w.Write(held.body.Bytes())
	return err
}

// heldAnswer is a ResponseWriter that keeps an answer for the edge to
// read before the client gets it (serveUserLogin).
type heldAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (a *heldAnswer) Header() http.Header { return a.header }

func (a *heldAnswer) WriteHeader(status int) {
	if a.status == 0 && status >= 200 {
		a.status = status
	}
}

func (a *heldAnswer) Write(p []byte) (int, error) {
	if a.status == 0 {
		a.status = http.StatusOK
	}
	return a.body.Write(p)
}

// sessionAfter is the Cookie a client holds after a call: the cookies of
// its Cookie header as they went upstream (withoutRequestVarCookies),
// those CiviCRM set in its answer (setCookies) replacing or adding to
// them, those it deleted left out. "": none.
func sessionAfter(client, setCookies []string) string {
	sent := (&http.Request{Header: http.Header{"Cookie": withoutRequestVarCookies(client)}}).Cookies()
	set := (&http.Response{Header: http.Header{"Set-Cookie": setCookies}}).Cookies()
	var names []string
	values := map[string]string{}
	put := func(name, value string, drop bool) {
		if _, ok := values[name]; !ok {
			names = append(names, name)
		}
		values[name] = value
		if drop {
			values[name] = "\x00"
		}
	}
	for _, c := range sent {
		put(c.Name, c.Value, false)
	}
	for _, c := range set {
		put(c.Name, c.Value, c.MaxAge < 0 || c.Value == "" || c.Value == "deleted")
	}
	var b strings.Builder
	for _, n := range names {
		if v := values[n]; v != "\x00" {
			if b.Len() > 0 {
				b.WriteString("; ")
			}
			b.WriteString(n + "=" + v)
		}
	}
	return b.String()
}

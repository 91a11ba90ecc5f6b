package civicrmsim

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/civigate/civigate/translate"
)

// Logged-in sessions. headers.go gives every answer a PHP session; a
// session holds a login only after civicrm/authx/login (obs auth-38), and
// then authenticates requests that send its cookie back (with
// X-Requested-With: the CSRF rule, auth-39/40) until civicrm/authx/logout
// (auth-42). Stateless AuthX flows never log a session in (auth-43).

// logins maps session ids to the contact logged in. The zero value is
// ready to use.
type logins struct {
	mu sync.Mutex
	by map[string]int64
}

func (l *logins) set(id string, cid int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.by == nil {
		l.by = map[string]int64{}
	}
	if len(l.by) >= maxSessions {
		for k := range l.by { // forget one: PHP's session GC
			delete(l.by, k)
			break
		}
	}
	l.by[id] = cid
}

func (l *logins) get(id string) (int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cid, ok := l.by[id]
	return cid, ok
}

func (l *logins) end(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.by, id)
}

// forget ends a session id: PHP's session_destroy.
func (s *sessions) forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.known, id)
}

// requestSession is the id of the valid session the request sent back, or
// "".
func (s *Simulator) requestSession(r *http.Request) string {
	if !s.sessions.valid(r) {
		return ""
	}
	c, _ := r.Cookie(SessionCookie)
	return c.Value
}

// sessionPrincipal is who the request's session is logged in as, or nil.
func (s *Simulator) sessionPrincipal(r *http.Request) *principal {
	id := s.requestSession(r)
	if id == "" {
		return nil
	}
	cid, ok := s.logins.get(id)
	if !ok {
		return nil
	}
	p := &principal{contactID: cid, flow: "login", cred: "session", user: s.userByContact(cid)}
	if p.user != nil && p.user.UserID == 0 {
		p.user = nil
	}
	return p
}

// newSession starts a new session for this answer (the old one, if any,
// ends): its cookie goes out whether or not the request sent a valid one.
// It returns the new id.
func (s *Simulator) newSession(w http.ResponseWriter, r *http.Request) string {
	if old := s.requestSession(r); old != "" {
		s.logins.end(old)
		s.sessions.forget(old)
	}
	id := s.sessions.issue()
	w.Header().Add("Set-Cookie", SessionCookie+"="+id+sessionCookieAttrs)
	if sw, ok := w.(*sessionWriter); ok {
		sw.resume = true // its cookie is the one just set
	}
	return id
}

// noSession keeps PHP's session headers off an answer given before
// CiviCRM boots (Standalone's "Path not found", route-8).
func noSession(w http.ResponseWriter) {
	if sw, ok := w.(*sessionWriter); ok {
		sw.written = true
	}
}

// serveAuthxLogin is civicrm/authx/login: AuthX's login flow takes the
// _authx credential (a JWT by default; authx_login_cred is jwt and pass)
// of a contact with a user and logs a new session in (obs auth-38).
func (s *Simulator) serveAuthxLogin(w http.ResponseWriter, r *http.Request) {
	q := s.parseAPI4Request(r)
	cred := q.authxParam("_authx")
	p, rej := s.check("login", cred, r.Header.Get("X-Civi-Key"))
	switch {
	case rej != nil:
	case p.cred == "api_key" || p.cred == "pass" && !s.opts.AllowPassword:
		rej = &rejection{msg: `Authentication type "` + p.cred + `" with flow "login" is not allowed for this principal.`}
	case p.user == nil:
		rej = &rejection{msg: msgNoUser}
	}
	if rej != nil {
		rej.write(w)
		return
	}
	s.logins.set(s.newSession(w, r), p.contactID)
	out := translate.NewArray()
	out.Set("contact_id", translate.Number(strconv.FormatInt(p.contactID, 10)))
	out.Set("user_id", translate.Number(strconv.FormatInt(p.user.UserID, 10)))
	out.Set("flow", "login")
	out.Set("cred", p.cred)
	writeBody(w, 200, "application/json", s.encodeJSON(out, false))
}

// serveAuthxLogout is civicrm/authx/logout: the session ends and a new,
// empty one starts (obs auth-42: Set-Cookie, body []).
func (s *Simulator) serveAuthxLogout(w http.ResponseWriter, r *http.Request) {
	s.newSession(w, r)
	writeBody(w, 200, "application/json", []byte("[]"))
}

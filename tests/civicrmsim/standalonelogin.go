package civicrmsim

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/civigate/civigate/translate"
)

// serveUserLogin is Standalone's APIv4 User.login
// (ext/standaloneusers/Civi/Api4/Action/User/Login.php), the call
// Standalone's login page makes anonymously (its crmLogin component:
// crmApi4('User', 'login', {identifier, password, originalUrl})). Its
// permission, 'access password resets' (Civi\Api4\User::permissions), is
// public. passwordCheck trims the identifier, finds the active user by
// username, else by uf_name (the e-mail), checks the password
// (Security::checkPassword) and, without MFA, logs a session in
// (loginUser: _authx_uf()->loginSession): the result holds url (the
// originalUrl unless its path is /civicrm/login, else /civicrm/home); a
// wrong identifier or password gives publicError "Invalid credentials",
// an empty() one "Missing password/username". The session logged in is
// the request's own when it sent one (loginAuthenticatedUserRecord
// changes no id). Single calls only; no MFA,
// no login events (flood control by extensions), user names compared as
// given.
func (s *Simulator) serveUserLogin(w http.ResponseWriter, r *http.Request, q *request) {
	params := translate.NewArray()
	if raw, _ := stringParam(q.req, "params"); raw != "" {
		if d, err := translate.DecodeJSON([]byte(raw)); err == nil {
			if a, ok := d.(*arr); ok {
				params = a
			}
		}
	}
	id := strings.Trim(scalarString(params, "identifier"), " \t\n\r\x00\x0b") // PHP's trim()
	pw := scalarString(params, "password")
	values := translate.NewArray()
	if phpEmpty(id) || phpEmpty(pw) {
		values.Set("publicError", "Missing password/username")
	} else {
		u := s.userByLogin(id)
		if u == nil {
			s.mu.Lock()
			for _, c := range s.users {
				if c.UserID != 0 && c.email != "" && strings.EqualFold(c.email, id) {
					u = c
				}
			}
			s.mu.Unlock()
		}
		if u == nil || u.UserID == 0 || !constEq(u.Password, pw) {
			values.Set("publicError", "Invalid credentials")
		} else {
			// loginAuthenticatedUserRecord sets the user on the session
			// the request is in (no new id): one the client sent, else
			// the one PHP starts.
			id := s.requestSession(r)
			if id == "" {
				id = s.newSession(w, r)
			}
			s.logins.set(id, u.ContactID)
			values.Set("url", successURL(scalarString(params, "originalUrl")))
		}
	}
	out := translate.NewArray()
	out.Set("values", values)
	out.Set("entity", "User")
	out.Set("action", "login")
	out.Set("debug", nil)
	out.Set("version", num(4))
	out.Set("count", num(int64(values.Len())))
	out.Set("countFetched", num(int64(values.Len())))
	s.api4JSON(w, 200, out)
}

// successURL is passwordCheck's $successUrl: originalUrl when it is not
// empty and its path is not /civicrm/login.
func successURL(original string) string {
	if original != "" && original != "0" {
		if u, err := url.Parse(original); err != nil || u.Path != "/civicrm/login" {
			return original
		}
	}
	return "/civicrm/home"
}

// serveUserActorPassword is the password check of Standalone's User
// update and save (ext/standaloneusers/Civi/Api4/Action/User/WriteTrait.php
// validateValues): with checkPermissions, an actorPassword is checked
// against the logged-in user's password (_authx_uf()->checkPassword on
// the session's user name) and a wrong one throws UnauthorizedException
// "Incorrect password", which CRM_Api4_Page_AJAX answers with 403 (the
// message itself only with 'view debug output'). It reports whether it
// answered: only calls with a non-empty actorPassword are modelled, and a
// right one changes nothing here (the write itself is not modelled).
func (s *Simulator) serveUserActorPassword(w http.ResponseWriter, r *http.Request, q *request) bool {
	params := translate.NewArray()
	if raw, _ := stringParam(q.req, "params"); raw != "" {
		if d, err := translate.DecodeJSON([]byte(raw)); err == nil {
			if a, ok := d.(*arr); ok {
				params = a
			}
		}
	}
	actor := scalarString(params, "actorPassword")
	if phpEmpty(actor) {
		return false
	}
	p := s.sessionPrincipal(r)
	if p == nil || p.user == nil || !constEq(p.user.Password, actor) {
		out := translate.NewArray()
		out.Set("error_code", "1")
		out.Set("error_message", "Sorry an error occurred and your request was not completed. (Error ID: "+newErrorID()+")")
		out.Set("status", num(403))
		s.api4JSON(w, 403, out)
		return true
	}
	out := translate.NewArray()
	out.Set("values", translate.NewArray())
	out.Set("entity", "User")
	out.Set("action", "update")
	out.Set("debug", nil)
	out.Set("version", num(4))
	out.Set("count", num(0))
	out.Set("countFetched", num(0))
	s.api4JSON(w, 200, out)
	return true
}

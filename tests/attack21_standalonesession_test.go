package tests

// Attack 21: Standalone's User.login logs a session in for a principal
// the edge holds to stricter rules than anonymous callers (see
// attack21_standalonelogin_test.go for the CiviCRM code path).

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// TestA21StandaloneUserLoginSessionForStricterPrincipal: with anonymous,
// the README refuses "a request that may create a session" to a principal
// held to stricter rules than anonymous callers (here deny { contact 2 }:
// the admin), since the session's API calls reach the edge without a
// credential and are judged as anonymous callers' while CiviCRM runs them
// as the session's user. civicrm/authx/login with the admin's password is
// refused so; User.login with the same password logs the admin's session
// in, and that session's calls then run in CiviCRM as contact 2, whom
// every rule refuses.
func TestA21StandaloneUserLoginSessionForStricterPrincipal(t *testing.T) {
	opts := civicrmsim.Options{Passwords: map[string]string{"admin": a21LoginPassword}, AllowPassword: true}
	_, u, inst, _ := a20Setup(t, opts, "auth {", "anonymous", "deny {", "contact 2", "}", "}")

	// Control: AuthX's log-in with the same password is refused at the edge.
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:"+a21LoginPassword))
	ctl := a10bDo(t, "POST", inst.URL+"/civicrm/authx/login", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		url.Values{"_authx": {basic}}.Encode())
	if ctl.status != 403 || len(u.reached("/civicrm/authx/login")) != 0 {
		t.Fatalf("precondition: civicrm/authx/login with the admin's password answered %d %.120q (reached CiviCRM %d times), want the edge's 403",
			ctl.status, ctl.body, len(u.reached("/civicrm/authx/login")))
	}

	r := a21UserLogin(t, inst.URL, "admin", a21LoginPassword, nil)
	var session string
	for _, c := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, civicrmsim.SessionCookie+"=") {
			session = strings.SplitN(c, ";", 2)[0]
		}
	}
	if len(u.reached("/civicrm/ajax/api4/User/login")) == 0 {
		return // refused at the edge: fixed
	}
	if r.status == 403 && session == "" {
		// Refused once CiviCRM's answer was read (the password is CiviCRM's
		// to check): the client got no session, and the one CiviCRM logged
		// in was logged out (TestStandaloneUserLoginRefusedSessionLoggedOut).
		return
	}
	if session == "" || !strings.Contains(r.body, `"url"`) {
		t.Fatalf("User.login reached CiviCRM but logged no session in: %d %.200q", r.status, r.body)
	}
	get := a10bDo(t, "POST", inst.URL+"/civicrm/ajax/api4/Contact/get",
		map[string]string{"X-Requested-With": "XMLHttpRequest", "Content-Type": "application/x-www-form-urlencoded", "Cookie": session},
		url.Values{"params": {`{"select":["id","display_name"],"where":[["id","=",2]]}`}}.Encode())
	t.Errorf("APIv4 User.login with the admin's password (contact 2, refused every call by deny { contact 2 }) reached CiviCRM, "+
		"which logged the admin's session in (Login::passwordCheck -> loginUser -> loginSession; answered %d %.80q), while "+
		"civicrm/authx/login with the same password is refused (403: the admin's rules are stricter than anonymous callers'); "+
		"the session's Contact.get, judged as an anonymous caller's, then ran in CiviCRM as contact 2: %d %.160q",
		r.status, r.body, get.status, get.body)
}

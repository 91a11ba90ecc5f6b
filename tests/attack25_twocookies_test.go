package tests

// Attack 25: Standalone's APIv4 User.login sent with two SESSCIVISO
// cookies. PHP registers the first cookie of a name and skips the later
// ones (php-src main/php_variables.c, php_register_variable_ex: "If we
// encounter a duplicate cookie name, we should skip it"), and the session
// module takes its id from $_COOKIE[session_name()] (ext/session:
// php_session_start); Standalone names its session SESSCIVISO
// (CRM_Utils_System_Standalone::sessionStart, use_only_cookies). So
// Login::passwordCheck -> loginUser -> _authx_uf()->loginSession ->
// loginAuthenticatedUserRecord sets ufID/userID on the FIRST cookie's
// session (no new id, no Set-Cookie). The edge then asks civicrm/authx/id
// about a session cookie of its own choosing.

import (
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// TestA25UserLoginTwoSessionCookies: with anonymous and deny { contact 2 }
// (the admin may not have a session: its session's calls would be judged
// as anonymous callers'), User.login with the admin's password and
// "Cookie: SESSCIVISO=<a>; SESSCIVISO=<b>" (two anonymous sessions the
// client got from CiviCRM) logs session a in as the admin, while the edge
// asks authx/id (and would log out) session b, finds nobody, and passes
// CiviCRM's answer. Session a then runs API calls as contact 2.
func TestA25UserLoginTwoSessionCookies(t *testing.T) {
	const pw = "Standalone-Login-atk25-cookies"
	opts := civicrmsim.Options{Passwords: map[string]string{"admin": pw}}
	_, u, inst, _ := a20Setup(t, opts, "auth {", "anonymous", "deny {", "contact 2", "}", "}")

	// Two anonymous sessions, as any visit hands out.
	a := loginSession(a21UserLogin(t, inst.URL, "nobody", "x", nil))
	b := loginSession(a21UserLogin(t, inst.URL, "nobody", "y", nil))
	c := loginSession(a21UserLogin(t, inst.URL, "nobody", "z", nil))
	if a == "" || b == "" || c == "" {
		t.Fatalf("precondition: no anonymous sessions handed out (%q, %q, %q)", a, b, c)
	}
	// Control: the same log-in with one cookie is refused and logged out.
	if r := a21UserLogin(t, inst.URL, "admin", pw, map[string]string{"Cookie": c}); r.status != 403 {
		t.Fatalf("precondition: User.login for contact 2 with one session cookie answered %d %.120q, want the edge's 403", r.status, r.body)
	}

	before := len(u.reached("/civicrm/authx/id"))
	r := a21UserLogin(t, inst.URL, "admin", pw, map[string]string{"Cookie": a + "; " + b})
	asked := []string{}
	for _, q := range u.reached("/civicrm/authx/id")[before:] {
		asked = append(asked, q.Header.Get("Cookie"))
	}
	who := sessionContact(t, inst.URL, a)
	if !strings.Contains(who, `"contact_id":2`) && r.status == 403 {
		return // fixed: refused, and PHP's session (the first cookie) is not the admin's
	}
	contactGet := func(cookie string) a10bResp {
		return a10bDo(t, "POST", inst.URL+"/civicrm/ajax/api4/Contact/get",
			map[string]string{"X-Requested-With": "XMLHttpRequest", "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
			url.Values{"params": {`{"select":["id","display_name"],"where":[["id","=",2]]}`}}.Encode())
	}
	get, anon := contactGet(a), contactGet(b)
	t.Errorf("User.login with the admin's password (contact 2, whom deny { contact 2 } keeps from sessions) and two session cookies "+
		"\"%s; %s\" answered %d %.80q: PHP registers the first SESSCIVISO (php_register_variable_ex skips a duplicate cookie name), "+
		"so Login::passwordCheck -> loginUser -> loginSession logged session %s in, while the edge asked civicrm/authx/id with %q "+
		"(a session nobody is logged in to) and let the answer through; session %s is now %s, and its Contact.get, judged as an "+
		"anonymous caller's, ran in CiviCRM as contact 2: %d %.120q (with session %s: %d %.80q)",
		a, b, r.status, r.body, a, asked, a, who, get.status, get.body, b, anon.status, anon.body)
}

package tests

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// loginSession is the session cookie ("name=value") an answer sets, or "".
func loginSession(r a10bResp) string {
	for _, c := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, civicrmsim.SessionCookie+"=") {
			return strings.SplitN(c, ";", 2)[0]
		}
	}
	return ""
}

// sessionContact is what civicrm/authx/id, asked through the edge with
// the session cookie alone, says the session is logged in as.
func sessionContact(t *testing.T, base, cookie string) string {
	t.Helper()
	r := a10bDo(t, "GET", base+"/civicrm/authx/id", map[string]string{"Cookie": cookie}, "")
	return r.body
}

// Standalone's log-in (APIv4 User.login: Login::passwordCheck, then
// loginUser -> loginSession) works through the edge on a site whose
// AuthX takes no password in X-Civi-Auth (CiviCRM's default
// authx_xheader_cred), by user name and by e-mail: CiviCRM checks the
// password and the edge reads its answer. "Invalid credentials" is
// counted per address and identifier, and a blocked one gets a 429
// before CiviCRM is asked. A
// User.login in a batch or a chain, whose answer cannot be told from its
// neighbours', is refused.
func TestStandaloneUserLoginJudgedByAnswer(t *testing.T) {
	const pw = "Standalone-Login-answer"
	opts := civicrmsim.Options{Passwords: map[string]string{"admin": pw}}
	_, u, inst, _ := a20Setup(t, opts, "auth {", "anonymous", "max_failures 3 5m", "}")
	logins := func() int { return len(u.reached("/User/login")) }
	for _, id := range []string{"admin", " admin@example.org "} {
		r := a21UserLogin(t, inst.URL, id, pw, nil)
		s := loginSession(r)
		if r.status != 200 || s == "" || !strings.Contains(r.body, `"url"`) {
			t.Fatalf("User.login as %q with the right password: %d %.200q", id, r.status, r.body)
		}
		if got := sessionContact(t, inst.URL, s); !strings.Contains(got, `"contact_id":2`) {
			t.Errorf("the session User.login as %q set is logged in as %.120q, want contact 2", id, got)
		}
	}

	hdr := map[string]string{"X-Requested-With": "XMLHttpRequest", "Content-Type": "application/x-www-form-urlencoded"}
	login := `{"identifier":"admin","password":"` + pw + `"}`
	for _, v := range []struct{ name, path, body string }{
		{"a batch member", "/civicrm/ajax/api4", url.Values{"calls": {`[["User","login",` + login + `]]`}}.Encode()},
		{"beside another call", "/civicrm/ajax/api4", url.Values{"calls": {`[["Contact","get",{}],["User","login",` + login + `]]`}}.Encode()},
		{"a chain", "/civicrm/ajax/api4/Contact/get", url.Values{"params": {`{"chain":{"x":["User","login",` + login + `]}}`}}.Encode()},
		{"with a chain", "/civicrm/ajax/api4/User/login", url.Values{"params": {`{"identifier":"admin","password":"` + pw + `","chain":{"x":["Contact","get",{}]}}`}}.Encode()},
		{"an APIv3 chain with version 4", "/civicrm/ajax/rest", url.Values{"entity": {"Contact"}, "action": {"get"},
			"json": {`{"api.User.login":{"version":4,"identifier":"admin","password":"x"}}`}}.Encode()},
		{"a password from the parent row", "/civicrm/ajax/api4/Contact/get", url.Values{"params": {`{"chain":{"x":["User","login",{"identifier":"admin","password":"$display_name"}]}}`}}.Encode()},
	} {
		before := len(u.reached("/civicrm/ajax/"))
		r := a10bDo(t, "POST", inst.URL+v.path, hdr, v.body)
		if r.status != 403 || len(u.reached("/civicrm/ajax/")) > before || loginSession(r) != "" {
			t.Errorf("%s: answered %d %.160q (reached CiviCRM: %v), want the edge's 403", v.name, r.status, r.body, len(u.reached("/civicrm/ajax/")) > before)
		}
	}

	for i := range 5 {
		before := logins()
		r := a21UserLogin(t, inst.URL, "Admin", fmt.Sprint("guess-", i), nil)
		switch {
		case i < 3 && (r.status != 200 || !strings.Contains(r.body, "Invalid credentials") || logins() != before+1):
			t.Errorf("wrong password %d: %d %.160q, want CiviCRM's Invalid credentials", i+1, r.status, r.body)
		case i >= 3 && (r.status != 429 || logins() != before):
			t.Errorf("wrong password %d past max_failures 3: %d %.160q (reached CiviCRM: %v), want the edge's 429", i+1, r.status, r.body, logins() != before)
		}
	}
	if r := a21UserLogin(t, inst.URL, "admin@example.org", pw, nil); r.status != 429 {
		t.Errorf("another identifier from the blocked address: %d %.160q, want a 429", r.status, r.body)
	}
}

// With anonymous, a principal held to stricter rules than anonymous
// callers gets no session from User.login: the 403, no Set-Cookie, and
// the session it ran in (the client's own, which Standalone logs in
// without a new id) logged out again.
func TestStandaloneUserLoginRefusedSessionLoggedOut(t *testing.T) {
	const pw = "Standalone-Login-refused"
	opts := civicrmsim.Options{Passwords: map[string]string{"admin": pw}}
	_, u, inst, _ := a20Setup(t, opts, "auth {", "anonymous", "deny {", "contact 2", "entity Activity", "}", "}")
	r0 := a21UserLogin(t, inst.URL, "admin", "wrong", nil)
	own := loginSession(r0)
	if own == "" || !strings.Contains(r0.body, "Invalid credentials") {
		t.Fatalf("precondition: a wrong password answered %d %.160q with no session", r0.status, r0.body)
	}
	for _, c := range []string{"", own} {
		r := a21UserLogin(t, inst.URL, "admin@example.org", pw, map[string]string{"Cookie": c})
		if r.status != 403 || loginSession(r) != "" || strings.Contains(r.body, `"url"`) {
			t.Errorf("User.login (Cookie %q) for contact 2, held to stricter rules: %d %q %.160q, want the 403 without a session", c, r.status, r.header.Values("Set-Cookie"), r.body)
		}
	}
	if len(u.reached("/civicrm/authx/logout")) < 2 {
		t.Errorf("the refused sessions were not logged out (authx/logout asked %d times)", len(u.reached("/civicrm/authx/logout")))
	}
	if got := sessionContact(t, inst.URL, own); strings.Contains(got, `"contact_id":2`) {
		t.Errorf("the client's own session is still logged in as contact 2 after the 403: %.120q", got)
	}
}

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

// A password log-in goes to CiviCRM without the client's Cookie, so PHP
// logs in a fresh session it hands out only through the edge: the
// client's own session (sent once, or twice under one name) is never
// the one logged in. An MFA step, which needs the pending session, keeps
// the Cookie, and one naming a cookie twice is refused before CiviCRM.
func TestStandaloneUserLoginFreshSession(t *testing.T) {
	const pw = "Standalone-Login-fresh"
	opts := civicrmsim.Options{Passwords: map[string]string{"admin": pw}}
	_, u, inst, _ := a20Setup(t, opts, "auth {", "anonymous", "}")
	own := loginSession(a21UserLogin(t, inst.URL, "nobody", "x", nil))
	if own == "" {
		t.Fatal("precondition: no anonymous session handed out")
	}
	for _, c := range []string{own, own + "; " + own + "x", " " + own + "; other=1"} {
		before := len(u.reached("/User/login"))
		r := a21UserLogin(t, inst.URL, "admin", pw, map[string]string{"Cookie": c})
		got := loginSession(r)
		seen := u.reached("/User/login")
		if len(seen) != before+1 {
			t.Fatalf("Cookie %q: User.login did not reach CiviCRM: %d %.160q", c, r.status, r.body)
		}
		if sent := seen[len(seen)-1].Header.Get("Cookie"); sent != "" {
			t.Errorf("Cookie %q: the password log-in reached CiviCRM with Cookie %q, want none", c, sent)
		}
		if r.status != 200 || got == "" || got == own || !strings.Contains(sessionContact(t, inst.URL, got), `"contact_id":2`) {
			t.Errorf("Cookie %q: User.login answered %d %.120q with session %q, want a fresh one logged in as contact 2", c, r.status, r.body, got)
		}
		if who := sessionContact(t, inst.URL, own); strings.Contains(who, `"contact_id":2`) {
			t.Errorf("Cookie %q: the client's own session %s was logged in: %.120q", c, own, who)
		}
	}
	hdr := map[string]string{"X-Requested-With": "XMLHttpRequest", "Content-Type": "application/x-www-form-urlencoded"}
	mfa := url.Values{"params": {`{"mfaClass":"Civi\\Standalone\\MFA\\TOTP","mfaData":"123456"}`}}.Encode()
	for _, c := range []string{own + "; " + own + "x", own + "; " + strings.Replace(own, "=", "[a]=", 1), own + "; SESS.CIVISO=1; SESS_CIVISO=2"} {
		before := len(u.reached("/civicrm/ajax/"))
		h := map[string]string{"Cookie": c}
		for k, v := range hdr {
			h[k] = v
		}
		r := a10bDo(t, "POST", inst.URL+"/civicrm/ajax/api4/User/login", h, mfa)
		if r.status != 403 || len(u.reached("/civicrm/ajax/")) != before {
			t.Errorf("an MFA step with Cookie %q: %d %.120q (reached CiviCRM: %v), want the edge's 403", c, r.status, r.body, len(u.reached("/civicrm/ajax/")) != before)
		}
	}
}

// Standalone's User.update and save check an actorPassword against the
// password of the user the call runs as (WriteTrait::validateValues):
// each wrong one is counted, for the address and for the session's user
// (so a stolen session guessing from many addresses is stopped too),
// and past max_failures the edge answers 429 before CiviCRM is asked. A
// right one goes through; one in a batch or a chain is refused.
func TestStandaloneActorPasswordCounted(t *testing.T) {
	const pw = "Standalone-Actor-counted"
	opts := civicrmsim.Options{Passwords: map[string]string{"admin": pw}}
	_, u, inst, _ := a20Setup(t, opts, "auth {", "anonymous", "max_failures 3 5m", "}")
	sess := loginSession(a21UserLogin(t, inst.URL, "admin", pw, nil))
	if sess == "" {
		t.Fatal("precondition: no session")
	}
	hdr := map[string]string{"X-Requested-With": "XMLHttpRequest", "Content-Type": "application/x-www-form-urlencoded", "Cookie": sess}
	update := func(last byte, action, actor string) a10bResp {
		params := fmt.Sprintf(`{"where":[["id","=",1]],"values":{"password":"new-one"},"actorPassword":%q}`, actor)
		if action == "save" {
			params = fmt.Sprintf(`{"records":[{"id":1,"password":"new-one"}],"actorPassword":%q}`, actor)
		}
		return a25From(t, last, "POST", inst.URL+"/civicrm/ajax/api4/User/"+action, hdr, url.Values{"params": {params}}.Encode())
	}
	if r := update(10, "update", pw); r.status != 200 {
		t.Fatalf("User.update with the right actorPassword: %d %.160q", r.status, r.body)
	}
	for _, v := range []struct{ name, path, body string }{
		{"a batch member", "/civicrm/ajax/api4", url.Values{"calls": {`[["User","update",{"values":{},"actorPassword":"x"}]]`}}.Encode()},
		{"a chain", "/civicrm/ajax/api4/Contact/get", url.Values{"params": {`{"chain":{"x":["User","save",{"records":[],"actorPassword":"x"}]}}`}}.Encode()},
	} {
		before := len(u.reached("/civicrm/ajax/"))
		if r := a25From(t, 10, "POST", inst.URL+v.path, hdr, v.body); r.status != 403 || len(u.reached("/civicrm/ajax/")) != before {
			t.Errorf("an actorPassword in %s: %d %.120q, want the edge's 403", v.name, r.status, r.body)
		}
	}
	for i := range 3 {
		action := []string{"update", "save"}[i%2]
		if r := update(byte(11+i), action, fmt.Sprint("guess-", i)); r.status != 403 {
			t.Errorf("wrong actorPassword %d (%s): %d %.120q, want CiviCRM's 403", i+1, action, r.status, r.body)
		}
	}
	before := len(u.reached("/User/"))
	// A fourth address: the session's user is blocked.
	if r := update(20, "update", pw); r.status != 429 || len(u.reached("/User/")) != before {
		t.Errorf("an actorPassword for the session's user past max_failures 3, from a fresh address: %d %.120q, want the edge's 429", r.status, r.body)
	}
}

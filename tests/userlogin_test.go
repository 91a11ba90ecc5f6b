package tests

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// Standalone's log-in (APIv4 User.login: Login::passwordCheck, then
// loginUser -> loginSession) works through the edge with the right
// password, and every way to a User.login (the route in any name case,
// a batch member, a chain, an APIv3 chain with version 4, params in the
// query) has its password checked at the edge first: a wrong one never
// reaches CiviCRM, and guesses are counted.
func TestStandaloneUserLoginCheckedAtEdge(t *testing.T) {
	const pw = "Standalone-Login-edge"
	opts := civicrmsim.Options{Passwords: map[string]string{"admin": pw}, AllowPassword: true}
	_, u, inst, _ := a20Setup(t, opts, "auth {", "anonymous", "max_failures 3 5m", "}")
	ran := func() int { // requests CiviCRM ran, Civigate's questions to authx/id aside
		u.mu.Lock()
		defer u.mu.Unlock()
		n := 0
		for _, r := range u.seen {
			if !strings.Contains(r.URL.Path, "/civicrm/authx/") {
				n++
			}
		}
		return n
	}
	loggedIn := func(r a10bResp) bool {
		for _, c := range r.header.Values("Set-Cookie") {
			if strings.HasPrefix(c, civicrmsim.SessionCookie+"=") {
				return strings.Contains(r.body, `"url":"\/civicrm\/home"`) || strings.Contains(r.body, `"url":"/civicrm/home"`)
			}
		}
		return false
	}
	if r := a21UserLogin(t, inst.URL, "admin", pw, nil); r.status != 200 || !loggedIn(r) {
		t.Fatalf("the login page's User.login with the right password: %d %.200q", r.status, r.body)
	}

	hdr := map[string]string{"X-Requested-With": "XMLHttpRequest", "Content-Type": "application/x-www-form-urlencoded"}
	login := func(guess string) string { return fmt.Sprintf(`{"identifier":"admin","password":%q}`, guess) }
	for i, v := range []struct{ name, path, body string }{
		{"the route", "/civicrm/ajax/api4/User/login", url.Values{"params": {login("g0")}}.Encode()},
		{"names in another case", "/civicrm/ajax/api4/user/LOGIN", url.Values{"params": {login("g1")}}.Encode()},
		{"a batch member", "/civicrm/ajax/api4", url.Values{"calls": {`[["Contact","get",{}],["User","login",` + login("g2") + `]]`}}.Encode()},
		{"a chain", "/civicrm/ajax/api4/Contact/get", url.Values{"params": {`{"chain":{"x":["User","login",` + login("g3") + `]}}`}}.Encode()},
		{"an APIv3 chain with version 4", "/civicrm/ajax/rest", url.Values{"entity": {"Contact"}, "action": {"get"},
			"json": {`{"api.User.login":{"version":4,"identifier":"admin","password":"g4"}}`}}.Encode()},
		{"params in the query", "/civicrm/ajax/api4/User/login?" + url.Values{"params": {login("g5")}}.Encode(), ""},
	} {
		before := ran()
		r := a10bDo(t, "POST", inst.URL+v.path, hdr, v.body)
		if ran() > before || r.status != 401 && r.status != 429 {
			t.Errorf("%s: a wrong password answered %d %.160q, reached CiviCRM %v", v.name, r.status, r.body, ran() > before)
		}
		if i >= 3 && r.status != 429 {
			t.Errorf("%s: guess %d from one address past max_failures 3 answered %d, want 429", v.name, i+1, r.status)
		}
	}
}

package tests

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// A principal the policy allows no call gets no CiviCRM session through
// civicrm/authx/login, no answer from authx/id and no CiviCRM page (attack
// r4 F2: `deny { contact 2 }` refused the API, while authx/login handed
// out a session cookie the contact then used as an anonymous caller).
// Refusals take AuthX's text/plain shape. A principal the rules allow some
// call logs in as before. Each row names its class.
func TestAttackAuthxRoutesPolicy(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	ada, grace := sim.ACLUsers()
	if ada == nil {
		t.Fatal("the simulator's fixture has no ACL users")
	}
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), "site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys(), "cache off",
		"auth {\n\t\t\tanonymous\n\t\t\tdeny {\n\t\t\t\tcontact "+strconv.FormatInt(ada.ContactID, 10)+"\n\t\t\t}\n\t\t\tdeny {\n\t\t\t\tcontact "+
			strconv.FormatInt(grace.ContactID, 10)+"\n\t\t\t\tentity Note\n\t\t\t}\n\t\t}"))
	adaJWT, graceJWT := sim.MintJWT(ada.ContactID, time.Hour), sim.MintJWT(grace.ContactID, time.Hour)
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for _, row := range []struct {
		class, method, path, body string
		header                    http.Header
		status                    int
		part                      string
	}{
		{"login with the JWT of a contact denied everything", "POST", "/civicrm/authx/login", "_authx=" + url.QueryEscape("Bearer "+adaJWT), form,
			403, "HTTP 403 Forbidden by gateway policy"},
		{"authx/id with it", "GET", "/civicrm/authx/id", "", http.Header{"X-Civi-Auth": {"Bearer " + adaJWT}},
			403, "HTTP 403 Forbidden by gateway policy"},
		{"a CiviCRM page with it", "GET", "/civicrm/dashboard", "", http.Header{"X-Civi-Auth": {"Bearer " + adaJWT}},
			403, "HTTP 403 Forbidden by gateway policy"},
		{"the API with it, as before", "GET", "/civicrm/ajax/rest?entity=Contact&action=getcount&json=1", "", http.Header{"X-Civi-Auth": {"Bearer " + adaJWT}},
			403, "Forbidden by gateway policy"},
		// With anonymous on, a session's API calls are judged as
		// anonymous's: a contact held to stricter rules gets no session
		// (attack 9, TestA9SessionEscapesPrincipalRules), in any of
		// AuthX's ways to make one, and keeps its stateless ones.
		{"login with the JWT of a contact denied one entity", "POST", "/civicrm/authx/login", "_authx=" + url.QueryEscape("Bearer "+graceJWT), form,
			403, "HTTP 403 Forbidden by gateway policy: this credential's rules are stricter than anonymous callers'"},
		{"login by GET in the ?q= form", "GET", "/index.php?q=civicrm/authx/login&_authx=" + url.QueryEscape("Bearer "+graceJWT), "", nil,
			403, "stricter than anonymous callers'"},
		{"the auto flow: _authx and _authxSes on a page", "GET", "/civicrm/dashboard?_authxSes=1&_authx=" + url.QueryEscape("Bearer "+graceJWT), "", nil,
			403, "stricter than anonymous callers'"},
		{"the auto flow in a form body", "POST", "/civicrm/dashboard", "_authx=" + url.QueryEscape("Bearer "+graceJWT) + "&.authxSes=1", form,
			403, "stricter than anonymous callers'"},
		{"the auto flow on authx/id", "POST", "/civicrm/authx/id", "_authxSes=1&_authx=" + url.QueryEscape("Bearer "+graceJWT), form,
			403, "stricter than anonymous callers'"},
		{"authx/id without a session", "POST", "/civicrm/authx/id", "_authxSes=0&_authx=" + url.QueryEscape("Bearer "+graceJWT), form,
			200, `"contact_id":` + strconv.FormatInt(grace.ContactID, 10)},
		{"a page with X-Civi-Auth, which AuthX never turns into a session", "GET", "/civicrm/dashboard?_authxSes=1", "", http.Header{"X-Civi-Auth": {"Bearer " + graceJWT}},
			200, ""},
		{"login with the admin's JWT, held to no stricter rule", "POST", "/civicrm/authx/login", "_authx=" + url.QueryEscape("Bearer "+sim.MintJWT(sim.Admin().ContactID, time.Hour)), form,
			200, `"flow":"login"`},
	} {
		t.Run(row.class, func(t *testing.T) {
			a := do(t, row.method, inst.URL+row.path, row.body, row.header)
			if a.status != row.status || !strings.Contains(a.body, row.part) {
				t.Errorf("%d %.300s, want %d with %q", a.status, a.body, row.status, row.part)
			}
			if cookie := a.header.Get("Set-Cookie"); row.status != 200 && strings.Contains(cookie, "SESS") {
				t.Errorf("refused, yet a session cookie: %s", cookie)
			}
		})
	}
}

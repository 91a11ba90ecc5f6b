package tests

// Attack 9, policy: a principal's rules escaped through an AuthX session.
//
// With `auth { anonymous }`, a request without a credential is judged as no
// principal, and goes on with its Cookie: CiviCRM runs it as whoever the
// session belongs to. AuthX's login flow (civicrm/authx/login, and `_authx`
// with `_authxSes` on any page: ext/authx Authenticator, flows `login` and
// `auto`) turns a credential into such a session. Civigate checks the
// credential on those routes and refuses it when the policy refuses the
// principal every call, but a principal refused only some calls (`deny {
// contact 3 entity Contact }`) logs in, and its session cookie then runs
// exactly the calls the rule refuses it, judged as anonymous.

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/tests/civicrmsim"
)

func TestA9SessionEscapesPrincipalRules(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	up := httptest.NewServer(sim)
	t.Cleanup(up.Close)
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(up.URL, "http://"),
		"site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys(), "cache off",
		"auth {", "anonymous", "deny {", "contact 3", "entity Contact", "}", "}"))
	ada := sim.MintJWT(3, time.Hour) // contact 3
	params := url.Values{"params": {`{"select":["id","display_name"]}`}}.Encode()

	// Control: ada's credential is refused Contact.get.
	st, body := a7Req(t, "POST", inst.URL+"/civicrm/ajax/api4/Contact/get",
		map[string]string{"X-Civi-Auth": "Bearer " + ada}, params)
	if !a9PolicyRefused(st, body) {
		t.Fatalf("control: contact 3's Contact.get: %d %s", st, body)
	}

	// ada logs in with the same credential and calls with the session.
	req, _ := http.NewRequest("POST", inst.URL+"/civicrm/authx/login",
		strings.NewReader(url.Values{"_authx": {"Bearer " + ada}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == "SESSCIVISO" {
			cookie = c.Name + "=" + c.Value
		}
	}
	st, body = a7Req(t, "POST", inst.URL+"/civicrm/ajax/api4/Contact/get",
		map[string]string{"Cookie": cookie, "X-Requested-With": "XMLHttpRequest"}, params)
	if st == 200 && strings.Contains(body, "Lovelace") {
		t.Errorf("login %d, then Contact.get with the session ran as contact 3, whom deny { contact 3 entity Contact } refuses it: %d %.200s",
			resp.StatusCode, st, body)
	}
}

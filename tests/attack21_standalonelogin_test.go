package tests

// Attack 21: Standalone's log-in is an APIv4 call, User.login, which the
// edge passes on as any anonymous call.
//
// CiviCRM Standalone's login page (ext/standaloneusers: the crmLogin
// component, and templates/CRM/Standaloneusers/Page/Login.tpl before it)
// logs in with crmApi4('User', 'login', {identifier, password,
// originalUrl}): POST civicrm/ajax/api4/User/login from an anonymous
// browser. Civi\Api4\User::permissions() gives login 'access password
// resets', a public permission (the ext's own words: "intended to be
// public"). Login::passwordCheck trims the identifier, finds the active
// user by username or else by uf_name (the e-mail), checks the password
// (Security::checkPassword) and answers publicError "Invalid credentials"
// or, without MFA, logs the user in for the session (loginUser ->
// _authx_uf()->loginSession) and answers the url to go to. It is a
// password check and a session log-in, like AuthX's civicrm/authx/login,
// which the README says Standalone's page uses ("Standalone's page posts
// to authx/login and is covered"); Standalone has called User.login since
// its login page moved to APIv4.

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

const a21LoginPassword = "Standalone-Login-atk21"

func a21UserLogin(t *testing.T, base, identifier, password string, hdr map[string]string) a10bResp {
	t.Helper()
	h := map[string]string{"X-Requested-With": "XMLHttpRequest", "Content-Type": "application/x-www-form-urlencoded"}
	for k, v := range hdr {
		h[k] = v
	}
	params := fmt.Sprintf(`{"identifier":%q,"password":%q,"originalUrl":"/civicrm/login"}`, identifier, password)
	return a10bDo(t, "POST", base+"/civicrm/ajax/api4/User/login", h, url.Values{"params": {params}}.Encode())
}

// TestA21StandaloneUserLoginGuessesUncounted: with anonymous (which a
// Standalone site behind Civigate needs for its own login page to work:
// User.login is a credential-less API call), every password guess through
// User.login reaches CiviCRM, and guessing protection never counts one:
// max_failures 3 from one address still lets the tenth guess be tried. The
// same guess sent as a Basic credential is counted and gets a 429 after 3.
func TestA21StandaloneUserLoginGuessesUncounted(t *testing.T) {
	opts := civicrmsim.Options{Passwords: map[string]string{"admin": a21LoginPassword}}
	_, u, inst, _ := a20Setup(t, opts, "auth {", "anonymous", "max_failures 3 5m", "}")
	const guesses = 6
	for i := 0; i < guesses; i++ {
		a21UserLogin(t, inst.URL, "admin", fmt.Sprintf("guess-%d", i), nil)
	}
	if n := len(u.reached("/civicrm/ajax/api4/User/login")); n > 3 {
		t.Errorf("%d of %d wrong passwords for admin sent to APIv4 User.login from one address reached CiviCRM past max_failures 3: "+
			"Standalone's Login::passwordCheck checks each (Security::checkPassword) and answers publicError \"Invalid credentials\" "+
			"or logs the session in (loginUser), a password oracle open to anonymous callers ('access password resets') that "+
			"guessing protection never counts, while the same guess in Authorization/X-Civi-Auth Basic or _authx is counted", n, guesses)
	}
	r := a21UserLogin(t, inst.URL, "admin", a21LoginPassword, nil)
	if strings.Contains(r.body, `"url"`) {
		t.Errorf("after %d wrong guesses from this address, the right password logged admin in through User.login (answered %d %.120q)", guesses, r.status, r.body)
	}
}

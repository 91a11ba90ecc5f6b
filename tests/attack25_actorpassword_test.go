package tests

// Attack 25: Standalone's User.update/save take the logged-in user's
// password as actorPassword and check it (WriteTrait::validateValues:
// _authx_uf()->checkPassword($user['username'], $this->actorPassword), a
// wrong one throws UnauthorizedException "Incorrect password": 403 from
// CRM_Api4_Page_AJAX; a right one lets the write, a new password
// included, go on). Civi\Api4\User::permissions gives update and save
// 'access CiviCRM'. It is a password check of the session's user.

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// TestA25UserUpdateActorPasswordGuessesUncounted: whoever holds a logged-in
// Standalone session (a shared computer, a stolen cookie) can guess its
// user's password through User.update's actorPassword from one address
// without limit: max_failures 3 never stops it, while the same guesses as
// User.login or Basic credentials get 429 after 3. The right one then
// changes the password (WriteTrait::write hashes the new one).
func TestA25UserUpdateActorPasswordGuessesUncounted(t *testing.T) {
	const pw = "Standalone-Login-atk25-actor"
	opts := civicrmsim.Options{Passwords: map[string]string{"admin": pw}}
	_, u, inst, _ := a20Setup(t, opts, "auth {", "anonymous", "max_failures 3 5m", "}")
	r := a21UserLogin(t, inst.URL, "admin", pw, nil)
	sess := loginSession(r)
	if sess == "" || !strings.Contains(r.body, `"url"`) {
		t.Fatalf("precondition: User.login answered %d %.160q with no session", r.status, r.body)
	}
	update := func(actor string) a10bResp {
		params := fmt.Sprintf(`{"where":[["id","=",1]],"values":{"password":"taken-over"},"actorPassword":%q}`, actor)
		return a10bDo(t, "POST", inst.URL+"/civicrm/ajax/api4/User/update",
			map[string]string{"X-Requested-With": "XMLHttpRequest", "Content-Type": "application/x-www-form-urlencoded", "Cookie": sess},
			url.Values{"params": {params}}.Encode())
	}
	const guesses = 6
	var statuses []int
	for i := 0; i < guesses; i++ {
		statuses = append(statuses, update(fmt.Sprintf("guess-%d", i)).status)
	}
	reached := len(u.reached("/civicrm/ajax/api4/User/update"))
	right := update(pw)
	if reached > 3 {
		t.Errorf("%d of %d wrong actorPasswords sent to APIv4 User.update on a logged-in Standalone session from one address reached "+
			"CiviCRM past max_failures 3 (answers %v): WriteTrait::validateValues checks each against the session user's password "+
			"(_authx_uf()->checkPassword; 403 'Incorrect password' when wrong), a password oracle guessing protection never counts; "+
			"the right one then answered %d %.100q (the password changed)", reached, guesses, statuses, right.status, right.body)
	}
}

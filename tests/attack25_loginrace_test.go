package tests

// Attack 25: the window between Standalone's User.login logging the
// client's own session in and the edge logging it out again.
//
// Login::passwordCheck -> loginUser -> _authx_uf()->loginSession ->
// CRM_Utils_System_Standalone / Standalone Security
// loginAuthenticatedUserRecord sets ufID and userID on the session the
// request runs in: the SESSCIVISO id the client sent (use_strict_mode
// keeps a known id; no session_regenerate_id), and PHP writes the session
// at the end of that request. From then on every request carrying that
// cookie runs in CiviCRM as the user (CRM_Core_Session::getLoggedInContactID).
// The edge only then asks civicrm/authx/id who the session is and, for a
// principal kept from sessions, calls civicrm/authx/logout: two more
// CiviCRM bootstraps. The client knows its own cookie all along.

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// TestA25UserLoginRaceBeforeLogout: with anonymous and deny { contact 2 },
// the admin's User.login sent with the client's own anonymous session
// cookie is refused (403, session logged out), but while the edge asks
// authx/id (held here as long as a CiviCRM bootstrap may take) the same
// client's Contact.get with that cookie, judged as an anonymous caller's,
// runs in CiviCRM as contact 2.
func TestA25UserLoginRaceBeforeLogout(t *testing.T) {
	const pw = "Standalone-Login-atk25-race"
	var (
		armed   sync.Mutex
		on      bool
		once    sync.Once
		entered = make(chan struct{})
		release = make(chan struct{})
	)
	hold := func(r *http.Request) {
		if !strings.Contains(r.URL.Path, "/civicrm/authx/id") && !strings.Contains(r.URL.RawQuery, "authx/id") {
			return
		}
		armed.Lock()
		isOn := on
		armed.Unlock()
		if !isOn {
			return
		}
		first := false
		once.Do(func() { first = true; close(entered) })
		if first {
			select {
			case <-release:
			case <-time.After(3 * time.Second):
			}
		}
	}
	opts := civicrmsim.Options{Passwords: map[string]string{"admin": pw}}
	_, u, inst := a25Setup(t, opts, hold, "auth {", "anonymous", "deny {", "contact 2", "}", "}")

	own := loginSession(a21UserLogin(t, inst.URL, "nobody", "x", nil))
	if own == "" {
		t.Fatal("precondition: no anonymous session handed out")
	}
	armed.Lock()
	on = true
	armed.Unlock()
	done := make(chan a10bResp, 1)
	go func() { done <- a21UserLogin(t, inst.URL, "admin", pw, map[string]string{"Cookie": own}) }()

	var get a10bResp
	select {
	case <-entered:
		// CiviCRM has answered the log-in; the edge is asking who the
		// session is. The client uses its cookie meanwhile.
		get = a10bDo(t, "POST", inst.URL+"/civicrm/ajax/api4/Contact/get",
			map[string]string{"X-Requested-With": "XMLHttpRequest", "Content-Type": "application/x-www-form-urlencoded", "Cookie": own},
			url.Values{"params": {`{"select":["id","display_name"],"where":[["id","=",2]]}`}}.Encode())
		close(release)
	case <-time.After(10 * time.Second):
		close(release)
	}
	r := <-done
	if len(u.reached("/User/login")) < 2 {
		return // refused before CiviCRM was asked
	}
	if strings.Contains(get.body, `"id":2`) {
		t.Errorf("APIv4 User.login with the admin's password (contact 2, kept from sessions by deny { contact 2 }) on the client's own "+
			"session %s answered %d %.80q, yet before the edge had logged the session out, the same client's Contact.get with that cookie "+
			"(judged as an anonymous caller's) ran in CiviCRM as contact 2 (loginSession -> loginAuthenticatedUserRecord set userID on "+
			"the client's own session id): %d %.160q", own, r.status, r.body, get.status, get.body)
	}
}

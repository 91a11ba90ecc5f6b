package tests

import (
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// TestA20CronScriptPasswordInAccessLog: bin/cron.php takes the CMS user's
// password in the query, as pass (CRM_Utils_System::authenticateScript
// reads trim($_REQUEST['pass'])), next to name and the site key, and the
// URL CiviCRM documents for running cron over HTTP carries all three. The
// civicrm_credentials filter, which Caddyfile.example puts on the access
// log, redacts key but leaves pass: the password of a CMS account that may
// run every scheduled job is written to the access log in clear. (The
// README: "A credential is never echoed or logged".)
func TestA20CronScriptPasswordInAccessLog(t *testing.T) {
	opts := civicrmsim.Options{Passwords: map[string]string{"admin": a20CronPassword}, AllowPassword: true}
	sim, _, inst, logf := a20Setup(t, opts)
	a10bDo(t, "GET", inst.URL+a20CronURL("admin", a20CronPassword, sim.SiteKey()), nil, "")
	log := a20ReadLog(t, logf)
	if strings.Contains(log, sim.SiteKey()) {
		t.Errorf("the site key is in the access log")
	}
	if strings.Contains(log, a20CronPassword) {
		for _, l := range strings.Split(log, "\n") {
			if strings.Contains(l, a20CronPassword) {
				t.Errorf("the access log (civicrm_credentials on request>uri) holds the admin's CMS password that bin/cron.php "+
					"reads as pass: %s", a20Hide(l, sim))
			}
		}
	}
}

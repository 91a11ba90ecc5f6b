package tests

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// a20CronPassword is the admin's CMS password in the cron tests.
const a20CronPassword = "Cr0n-Passw0rd-atk20"

// a20CronURL is the URL CiviCRM's documentation gives for running
// scheduled jobs over HTTP ("Managing scheduled jobs", URL method), under
// Drupal 7's module path, for one job with its parameters.
func a20CronURL(name, pass, key string, extra ...string) string {
	q := url.Values{"name": {name}, "pass": {pass}, "key": {key}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return "/sites/all/modules/civicrm/bin/cron.php?" + q.Encode()
}

// a20Hide keeps the test's secrets out of its messages.
func a20Hide(s string, sim *civicrmsim.Simulator) string {
	return strings.NewReplacer(a20CronPassword, "<password>", sim.SiteKey(), "<site key>").Replace(s)
}

// TestA20CronScriptRunsJobsPastPolicy: bin/cron.php is CiviCRM's other
// HTTP entry to its API. It calls CRM_Utils_System::authenticateScript(),
// which reads name, pass and key from $_REQUEST, checks the site key
// (authenticateKey: hash_equals(CIVICRM_SITE_KEY, trim($_REQUEST['key'])))
// and the CMS password (CRM_Utils_System::authenticate), then
// CRM_Core_JobManager runs a job: with job=X, every other $_REQUEST entry
// becomes the parameters (setSingleRunParams) of civicrm_api('job', X,
// $params) in executeJob, an APIv3 call with no permission check; without
// job, every due scheduled job. So job=process_batch_merge&mode=aggressive
// merges contacts (Job.process_batch_merge), group_rebuild, mail_report,
// send_reminder… run with parameters the client picks.
//
// Civigate recognises extern/rest.php, WordPress REST and the AJAX routes,
// but passes bin/cron.php on untouched: a deny rule on Job (which refuses
// the same call on civicrm/ajax/rest), the site-key check ("a wrong one is
// refused wherever the client sends it") and guessing protection (a
// password guessed with a valid site key, never counted) all miss it, and
// the site key and password travel upstream in the URL.
func TestA20CronScriptRunsJobsPastPolicy(t *testing.T) {
	opts := civicrmsim.Options{Passwords: map[string]string{"admin": a20CronPassword}, AllowPassword: true}

	t.Run("deny entity Job", func(t *testing.T) {
		sim, u, inst, _ := a20Setup(t, opts, "auth {", "deny {", "entity Job", "}", "}")
		// Control: the same call through the API route is refused at the edge.
		f := url.Values{"entity": {"Job"}, "action": {"process_batch_merge"}, "json": {`{"mode":"aggressive"}`}}
		r := a10bDo(t, "POST", inst.URL+"/civicrm/ajax/rest", a10bAuth(sim), f.Encode())
		if n := len(u.reached("/civicrm/ajax/rest")); n != 0 {
			t.Fatalf("precondition: deny { entity Job } let Job.process_batch_merge through civicrm/ajax/rest (%d %s)", r.status, r.body)
		}
		p := a20CronURL("admin", a20CronPassword, sim.SiteKey(), "job", "process_batch_merge", "mode", "aggressive")
		r = a10bDo(t, "GET", inst.URL+p, nil, "")
		if got := u.reached("/bin/cron.php"); len(got) != 0 {
			t.Errorf("GET %s answered %d %q: CiviCRM got %s and runs civicrm_api('job', 'process_batch_merge', {mode: aggressive}) "+
				"(bin/cron.php -> CRM_Core_JobManager::executeJob), the APIv3 Job.process_batch_merge that deny { entity Job } refuses "+
				"on civicrm/ajax/rest, with no permission check, and merges contacts unseen by the verdict forgetting",
				a20Hide(p, sim), r.status, r.body, a20Hide(got[0].URL.RequestURI(), sim))
		}
	})

	t.Run("wrong site key and password guesses reach CiviCRM", func(t *testing.T) {
		sim, u, inst, _ := a20Setup(t, opts, "auth {", "max_failures 3 5m", "}")
		wrongKey := a10bDo(t, "GET", inst.URL+a20CronURL("admin", a20CronPassword, "not-the-site-key"), nil, "")
		if got := u.reached("/bin/cron.php"); len(got) != 0 {
			t.Errorf("a wrong site key on bin/cron.php reached CiviCRM (answered %d), which compares it "+
				"(CRM_Utils_System::authenticateKey) and tells the client: the README says a wrong site key is refused "+
				"wherever the client sends it", wrongKey.status)
		}
		before := len(u.reached("/bin/cron.php"))
		for i := 0; i < 10; i++ {
			a10bDo(t, "GET", inst.URL+a20CronURL("admin", fmt.Sprintf("guess-%d", i), sim.SiteKey()), nil, "")
		}
		if n := len(u.reached("/bin/cron.php")) - before; n > 3 {
			t.Errorf("%d password guesses for admin on bin/cron.php reached CiviCRM past max_failures 3: "+
				"CRM_Utils_System::authenticateScript answers \"ERROR: Invalid username and/or password\" or runs the jobs, "+
				"a password oracle guessing protection never counts", n)
		}
	})
}

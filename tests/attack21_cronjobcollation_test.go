package tests

// Attack 21: bin/cron.php finds the job it runs by SQL equality under
// CiviCRM's collation, so a job name the edge reads as another action
// runs the job the edge refuses.
//
// bin/cron.php (http_cron allow) hands $_REQUEST['job'] to
// CRM_Core_JobManager::executeJobByAction('job', $job), whose getJob()
// loads the scheduled job with a DAO find: $dao->api_entity = 'job';
// $dao->api_action = $action; $dao->find() -- "WHERE api_entity = 'job'
// AND api_action = '<job>'" on civicrm_job, whose collation
// (utf8mb4_unicode_ci, CiviCRM's default) ignores case, accents and
// trailing spaces: 'procéss_batch_merge' finds the "Contact merge" job
// (api_action process_batch_merge, active or not). executeJob() then
// runs civicrm_api($job->api_entity, $job->api_action, $params), the
// names stored in the row: Job.process_batch_merge, with the scheduled
// job's own parameters (the client's ones are keyed by strtolower('job_'
// . $job), which no longer matches the row's key). So the contacts are
// merged (duplicates deleted).
//
// The edge folds the letter case and trailing spaces of job (it refuses
// PROCESS_BATCH_MERGE and "process_batch_merge " under a rule on
// process_batch_merge) but not accents, which the README itself says this
// collation ignores (CiviCRM's menu lookup, Basic user names).

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/tests/civicrmsim"
)

func a21CronRun(t *testing.T, sim *civicrmsim.Simulator, u *a20Up, inst caddyInstance, job string) (a10bResp, bool) {
	t.Helper()
	n := len(u.reached("/bin/cron.php"))
	r := a10bDo(t, "GET", inst.URL+a20CronURL("admin", a20CronPassword, sim.SiteKey(), "job", job), nil, "")
	return r, len(u.reached("/bin/cron.php")) > n
}

func TestA21CronJobNameCollation(t *testing.T) {
	opts := civicrmsim.Options{Passwords: map[string]string{"admin": a20CronPassword}, AllowPassword: true}
	variants := []string{"procéss_batch_merge", "PROCÉSS_BATCH_MERGE", "process_batch_mergé"}
	why := "CRM_Core_JobManager::getJob finds the job by api_action = '%s' under civicrm_job's utf8mb4_unicode_ci collation " +
		"(accent-insensitive) and executeJob runs the row's Job.process_batch_merge, merging contacts"

	for _, rule := range [][]string{
		{"deny {", "entity Job", "action process_batch_merge", "}"},
		{"deny {", "entity Contact", "action delete", "}"},
	} {
		t.Run(strings.Join(rule[1:3], " "), func(t *testing.T) {
			lines := append([]string{"http_cron allow", "auth {"}, rule...)
			sim, u, inst, _ := a20Setup(t, opts, append(lines, "}")...)
			if r, served := a21CronRun(t, sim, u, inst, "process_batch_merge"); served || r.status != 403 {
				t.Fatalf("precondition: job=process_batch_merge answered %d %q, served %v", r.status, r.body, served)
			}
			for _, job := range variants {
				r, served := a21CronRun(t, sim, u, inst, job)
				if served {
					t.Errorf("bin/cron.php?job=%s (answered %d %q) reached CiviCRM past %s, which refuses job=process_batch_merge: "+why,
						url.QueryEscape(job), r.status, r.body, strings.Join(rule, " "), job)
				}
			}
		})
	}

	t.Run("verdicts forgotten", func(t *testing.T) {
		sim, u, inst, _ := a20Setup(t, opts, "http_cron allow")
		key := "Bearer " + sim.Admin().APIKey
		asks := func() int {
			n := 0
			for _, r := range u.reached("/civicrm/authx/id") {
				if r.Header.Get("X-Civi-Auth") == key {
					n++
				}
			}
			return n
		}
		call := func() {
			if r := a10bV3(t, sim, inst, "Contact", "getcount", `{}`); r.status != 200 {
				t.Fatalf("Contact.getcount: %d %s", r.status, r.body)
			}
		}
		forgets := func(job string) bool {
			call()
			time.Sleep(1200 * time.Millisecond)
			call()
			before := asks()
			if _, served := a21CronRun(t, sim, u, inst, job); !served {
				t.Fatalf("job=%s was not served", job)
			}
			time.Sleep(1200 * time.Millisecond)
			call()
			return asks() > before
		}
		if !forgets("process_batch_merge") {
			t.Fatalf("precondition: a run of job=process_batch_merge forgot no verdict")
		}
		for _, job := range variants[:1] {
			if !forgets(job) {
				t.Errorf("a run of bin/cron.php?job=%s kept the remembered verdict on the admin's API key: "+why+
					"; AuthX refuses a merged-away contact's credentials, and the run of job=process_batch_merge forgets "+
					"every verdict (the README: a run that may merge contacts)", url.QueryEscape(job), job)
			}
		}
	})
}

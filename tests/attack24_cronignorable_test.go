package tests

// Attack 24: bin/cron.php's job name and the characters civicrm_job's
// collation ignores that the edge's fold keeps.
//
// bin/cron.php (http_cron allow) hands $_REQUEST['job'] to
// CRM_Core_JobManager::executeJobByAction('job', $job); its getJob() finds
// the scheduled job with a DAO find ($dao->api_entity = 'job';
// $dao->api_action = $job; $dao->find()), SQL equality on civicrm_job,
// whose collation is utf8mb4_unicode_ci (CiviCRM's default). executeJob()
// then runs civicrm_api($job->api_entity, $job->api_action, $params): the
// action stored in the row, Job.process_batch_merge, which merges (and
// deletes) duplicate contacts.
//
// utf8mb4_unicode_ci is UCA 4.0.0 (MySQL's and MariaDB's uca400 table),
// where U+180E MONGOLIAN VOWEL SEPARATOR and U+06DE ARABIC START OF RUB EL
// HIZB (an enclosing mark in Unicode 4.0) weigh nothing: on MariaDB 10.11,
// SET NAMES utf8mb4; SELECT 'process_batch_merge' =
// CONCAT('process_batch_merge', CONVERT(CHAR(0x180E USING utf32) USING
// utf8mb4)) COLLATE utf8mb4_unicode_ci is 1, and so is every placement of
// either character (the same holds for the 467 other code points the
// collation ignores, which the edge already folds). The edge folds job as
// the collation does (the README: case, accents, width, ß, ignorable
// characters, trailing spaces) but keeps these two, so the run is judged
// as a job named otherwise and passes the rules on process_batch_merge.

import (
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

func TestA24CronJobIgnorableCharacters(t *testing.T) {
	opts := civicrmsim.Options{Passwords: map[string]string{"admin": a20CronPassword}, AllowPassword: true}
	variants := []string{
		"process_batch_merge\u180e",
		"proc\u06deess_batch_merge",
		"process_batch_merge\u06de",
	}
	why := "CRM_Core_JobManager::getJob finds the job by api_action = '%s' under civicrm_job's utf8mb4_unicode_ci collation " +
		"(UCA 4.0.0 gives U+180E and U+06DE no weight: MariaDB and MySQL find the process_batch_merge row) and executeJob runs the row's " +
		"Job.process_batch_merge, merging contacts"
	for _, rule := range [][]string{
		{"deny {", "entity Job", "action process_batch_merge", "}"},
	} {
		t.Run(strings.Join(rule[1:3], " "), func(t *testing.T) {
			lines := append([]string{"http_cron allow", "auth {"}, rule...)
			sim, u, inst, _ := a20Setup(t, opts, append(lines, "}")...)
			if r, served := a21CronRun(t, sim, u, inst, "process_batch_merge"); served || r.status != 403 {
				t.Fatalf("precondition: job=process_batch_merge answered %d %q, served %v", r.status, r.body, served)
			}
			if r, served := a21CronRun(t, sim, u, inst, "process_batch_merge\u200b"); served || r.status != 403 {
				t.Fatalf("precondition: job=process_batch_merge+U+200B (an ignorable character the edge folds) answered %d %q, served %v", r.status, r.body, served)
			}
			for _, job := range variants {
				r, served := a21CronRun(t, sim, u, inst, job)
				if served {
					t.Errorf("bin/cron.php?job=%s (%U) (answered %d %q) reached CiviCRM past %s, which refuses job=process_batch_merge: "+why,
						url.QueryEscape(job), []rune(job), r.status, r.body, strings.Join(rule, " "), url.QueryEscape(job))
				}
			}
		})
	}
}

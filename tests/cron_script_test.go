package tests

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// bin/cron.php (CRM_Utils_System::authenticateScript, CRM_Core_JobManager)
// is refused by default at every path extern/rest.php is recognised under,
// and a disguised spelling gets the recogniser's 400: none reaches CiviCRM.
func TestCronScriptRefusedByDefault(t *testing.T) {
	opts := civicrmsim.Options{Passwords: map[string]string{"admin": a20CronPassword}, AllowPassword: true}
	sim, u, inst, _ := a20Setup(t, opts)
	creds := "?" + url.Values{"name": {"admin"}, "pass": {a20CronPassword}, "key": {sim.SiteKey()}, "job": {"version_check"}}.Encode()
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/sites/all/modules/civicrm/bin/cron.php", 403},
		{"POST", "/sites/all/modules/civicrm/bin/cron.php", 403},
		{"GET", "/sites/example.org/modules/civicrm/bin/cron.php", 403},
		{"GET", "/wp-content/plugins/civicrm/civicrm/bin/cron.php", 403},
		{"GET", "/administrator/components/com_civicrm/civicrm/bin/cron.php", 403},
		{"GET", "/modules/civicrm/bin/cron.php", 403},
		{"GET", "/vendor/civicrm/civicrm-core/bin/cron.php", 403},
		{"GET", "/Sites/All/Modules/CiviCRM/BIN/Cron.PHP", 403},
		{"GET", "/sites/all/modules/civicrm/bin/cron.php/", 403},
		{"GET", "/sites/all/modules/civicrm//bin//cron.php", 403},
		{"GET", "/sites/all/modules/civicrm/bin%2Fcron.php", 400},
		{"GET", "/sites/all/modules/civicrm/bin/%63ron.php", 400},
		{"GET", "/sites/all/modules/civicrm/x/../bin/cron.php", 400},
		{"GET", "/sites/all/modules/civicrm/bin/./cron.php", 400},
		{"GET", "/sites/all/modules/civicrm/bin/cron.php;x", 400},
		{"GET", "/sites/all/modules/civicrm/bin/cron.php/x", 400},
	} {
		r := a10bDo(t, tc.method, inst.URL+tc.path+creds, nil, "")
		if r.status != tc.status {
			t.Errorf("%s %s: answered %d %q, want %d", tc.method, tc.path, r.status, r.body, tc.status)
		}
		if tc.status == 403 && (!strings.Contains(r.body, "cv api job.execute") || !strings.Contains(r.body, "http_cron allow")) {
			t.Errorf("%s %s: the refusal names no way to run the jobs instead: %q", tc.method, tc.path, r.body)
		}
	}
	if n := len(u.reached("cron")); n != 0 {
		t.Errorf("%d requests to bin/cron.php reached CiviCRM", n)
	}
}

// With http_cron allow, bin/cron.php is served as extern/rest.php is: the
// site key checked at the edge, the password checked once through
// civicrm/authx/id and counted by guessing protection, the run judged as
// APIv3 Job.<job> (Job.execute without job) for the password's user, and
// CiviCRM sent a request Civigate rebuilt: POST, no query, the credentials
// and the job's parameters in a form body, no cookie, no identity header.
func TestCronScriptAllowed(t *testing.T) {
	opts := civicrmsim.Options{Passwords: map[string]string{"admin": a20CronPassword}, AllowPassword: true}
	const path = "/sites/all/modules/civicrm/bin/cron.php"

	t.Run("served, rebuilt", func(t *testing.T) {
		sim, u, inst, logf := a20Setup(t, opts, "http_cron allow")
		// A cached read, which the run must forget (a job's writes are not known).
		if r := a10bV3(t, sim, inst, "Contact", "get", `{"id":1}`); r.status != 200 {
			t.Fatalf("Contact.get: %d %s", r.status, r.body)
		}
		if r := a10bV3(t, sim, inst, "Contact", "get", `{"id":1}`); !strings.Contains(r.cacheStatus, "hit") {
			t.Fatalf("precondition: the second Contact.get is no hit (%q)", r.cacheStatus)
		}
		r := a10bDo(t, "GET", inst.URL+a20CronURL("admin", " "+a20CronPassword+" ", sim.SiteKey(), "job", "version_check", "mode", "x"),
			map[string]string{"Cookie": "mode=aggressive; SESS=1", "X-Civi-Auth": "Bearer stolen", "X-Civi-Auth-Afform": "Bearer t"}, "")
		got := u.reached("/bin/cron.php")
		if r.status != 200 || len(got) != 1 {
			t.Fatalf("answered %d %q, reached %d times: want it served", r.status, r.body, len(got))
		}
		up := got[0]
		if up.Method != "POST" || up.URL.RawQuery != "" || up.URL.Path != path {
			t.Errorf("CiviCRM got %s %s, want POST %s without a query", up.Method, a20Hide(up.URL.RequestURI(), sim), path)
		}
		for _, h := range []string{"Cookie", "X-Civi-Auth", "X-Civi-Auth-Afform", "X-Civi-Key"} {
			if up.Header.Get(h) != "" {
				t.Errorf("CiviCRM got the client's %s", h)
			}
		}
		form, err := url.ParseQuery(u.lastBinBody(t))
		if err != nil || up.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Fatalf("the body is no form (%v, %q)", err, up.Header.Get("Content-Type"))
		}
		want := url.Values{"name": {"admin"}, "pass": {" " + a20CronPassword + " "}, "key": {sim.SiteKey()}, "job": {"version_check"}, "mode": {"x"}}
		if fmt.Sprint(form) != fmt.Sprint(want) {
			t.Errorf("the body holds %s, want %s", a20Hide(fmt.Sprint(form), sim), a20Hide(fmt.Sprint(want), sim))
		}
		if r := a10bV3(t, sim, inst, "Contact", "get", `{"id":1}`); strings.Contains(r.cacheStatus, "hit") {
			t.Errorf("after the cron run, Contact.get is answered from the cache (%q)", r.cacheStatus)
		}
		// Every due job (Job.execute), the documented cron URL, as a POST form.
		r = a10bDo(t, "POST", inst.URL+path, map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			url.Values{"name": {"admin"}, "pass": {a20CronPassword}, "key": {sim.SiteKey()}}.Encode())
		if r.status != 200 || len(u.reached("/bin/cron.php")) != 2 || strings.Contains(u.lastBinBody(t), "job=") {
			t.Errorf("Job.execute: answered %d %q, reached %d times", r.status, r.body, len(u.reached("/bin/cron.php")))
		}
		if log := a20ReadLog(t, logf); strings.Contains(log, a20CronPassword) || strings.Contains(log, sim.SiteKey()) {
			t.Errorf("the access log holds the password or the site key")
		}
	})

	t.Run("judged as APIv3 Job calls", func(t *testing.T) {
		sim, u, inst, _ := a20Setup(t, opts, "http_cron allow", "auth {", "deny {", "entity Contact", "action delete", "}",
			"deny {", "entity Job", "action geocode", "}", "}")
		for _, tc := range []struct {
			job    string
			served bool
		}{
			{"version_check", true},
			{"geocode", false},             // deny { entity Job action geocode }
			{"process_batch_merge", false}, // merges contacts: a Contact delete
			{"", false},                    // Job.execute runs jobs the edge cannot name
		} {
			var extra []string
			if tc.job != "" {
				extra = []string{"job", tc.job}
			}
			n := len(u.reached("/bin/cron.php"))
			r := a10bDo(t, "GET", inst.URL+a20CronURL("admin", a20CronPassword, sim.SiteKey(), extra...), nil, "")
			served := len(u.reached("/bin/cron.php")) > n
			if served != tc.served || !served && r.status != 403 {
				t.Errorf("job %q: answered %d %q, served %v; want served %v", tc.job, r.status, r.body, served, tc.served)
			}
		}
	})

	t.Run("credentials checked at the edge", func(t *testing.T) {
		sim, u, inst, _ := a20Setup(t, opts, "http_cron allow", "auth {", "max_failures 3 5m", "}")
		for _, tc := range []struct {
			what, name, pass, key, body string
		}{
			{"wrong site key", "admin", a20CronPassword, "not-the-site-key", "ERROR: Invalid key value sent."},
			{"no site key", "admin", a20CronPassword, "", "ERROR: You need to send a valid key"},
			{"no name", "", a20CronPassword, sim.SiteKey(), "ERROR: You need to send a valid user name and password"},
			{"wrong password", "admin", "guess", sim.SiteKey(), "ERROR: Invalid username and/or password"},
		} {
			r := a10bDo(t, "GET", inst.URL+a20CronURL(tc.name, tc.pass, tc.key), nil, "")
			if r.status != 200 || !strings.HasPrefix(r.body, tc.body) {
				t.Errorf("%s: answered %d %q, want 200 %q", tc.what, r.status, r.body, tc.body)
			}
		}
		for i := 0; i < 5; i++ {
			a10bDo(t, "POST", inst.URL+path, map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
				url.Values{"name": {"Admin "}, "pass": {fmt.Sprintf("guess-%d", i)}, "key": {sim.SiteKey()}}.Encode())
		}
		r := a10bDo(t, "GET", inst.URL+a20CronURL("admin", "one-more-guess", sim.SiteKey()), nil, "")
		if r.status != 429 {
			t.Errorf("a password guess past max_failures answered %d %q, want 429", r.status, r.body)
		}
		if n := len(u.reached("/bin/cron.php")); n != 0 {
			t.Errorf("%d refused requests reached bin/cron.php", n)
		}
		if n := len(u.reached("/civicrm/authx/id")); n > 3 {
			t.Errorf("CiviCRM was asked about %d passwords, past max_failures 3", n)
		}
	})
}

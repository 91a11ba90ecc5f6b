package translate

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// CronCall reads a request to bin/cron.php as authenticateScript and
// CRM_Core_JobManager do ($_REQUEST: the form body over the query), and
// the body it makes for CiviCRM parses back to what was judged.
func TestCronCall(t *testing.T) {
	form := "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name, method, query, ct, body string
		action, user, pass, key       string
		params                        string // the judged parameters, as a form
		status                        int    // a refusal
	}{
		{name: "every due job", method: "GET", query: "name=admin&pass=p&key=k",
			action: "execute", user: "admin", pass: "p", key: "k", params: ""},
		{name: "one job with parameters", method: "GET", query: "name=admin&pass=p&key=k&job=process_batch_merge&mode=aggressive",
			action: "process_batch_merge", user: "admin", pass: "p", key: "k", params: "mode=aggressive&version=3"},
		{name: "the body over the query", method: "POST", query: "job=geocode&mode=q", ct: form, body: "name=admin&pass=p&key=k&mode=b&version=4",
			action: "geocode", user: "admin", pass: "p", key: "k", params: "mode=b&version=3"},
		{name: "job through an amp; alias", method: "GET", query: "name=a&pass=p&key=k&amp;job=geocode",
			action: "geocode", user: "a", pass: "p", key: "k", params: "amp%3Bjob=geocode&version=3"},
		// getJob finds the row under civicrm_job's collation, and
		// executeJob runs the row's action: the call is judged as that.
		{name: "job spelled as the collation reads it", method: "GET", query: "name=a&pass=p&key=k&job=proc%C3%A9ss_batch_merg%EF%BD%85%C2%A0",
			action: "process_batch_merge", user: "a", pass: "p", key: "k", params: "version=3"},
		{name: "job with an ignorable character", method: "GET", query: "name=a&pass=p&key=k&job=proc%00ess_batch_merge",
			action: "process_batch_merge", user: "a", pass: "p", key: "k", params: "version=3"},
		{name: "a JSON body is no $_POST", method: "POST", query: "name=a&key=k", ct: "application/json", body: `{"job":"x"}`,
			action: "execute", user: "a", key: "k"},
		{name: "name as an array", method: "GET", query: "name[]=a&pass=p&key=k", status: 400},
		{name: "an empty job", method: "GET", query: "name=a&pass=p&key=k&job=", status: 400},
		{name: "a user name with ':'", method: "GET", query: "name=a:b&pass=p&key=k", status: 400},
		{name: "multipart", method: "POST", ct: "multipart/form-data; boundary=B", body: "--B\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\na\r\n--B--\r\n", status: 415},
	} {
		r := httptest.NewRequest(tc.method, "/sites/all/modules/civicrm/bin/cron.php?"+tc.query, strings.NewReader(tc.body))
		if tc.ct != "" {
			r.Header.Set("Content-Type", tc.ct)
		}
		c, up, reply := CronCall(r, ParseOptions{MaxBodyBytes: 1 << 20})
		if tc.status != 0 {
			if reply == nil || reply.Status != tc.status {
				t.Errorf("%s: %+v, want a %d", tc.name, reply, tc.status)
			}
			continue
		}
		if reply != nil {
			t.Errorf("%s: refused %d %s", tc.name, reply.Status, reply.Body)
			continue
		}
		cr := c.Credentials
		if c.Form != FormCron || c.Entity != "Job" || c.Action != tc.action || cr.User != tc.user || cr.Password != tc.pass || cr.SiteKey != tc.key {
			t.Errorf("%s: %s.%s as %q/%q key %q", tc.name, c.Entity, c.Action, cr.User, cr.Password, cr.SiteKey)
		}
		if got := EncodeForm(c.Params); got != tc.params {
			t.Errorf("%s: params %q, want %q", tc.name, got, tc.params)
		}
		// What CiviCRM gets is $_REQUEST again: its own entries first.
		back := NewArray()
		ParseQuery(back, string(up), Limits{}) //nolint:errcheck
		for _, name := range []string{"name", "pass", "key"} {
			if v, _ := back.Get(name); PHPStringOrEmpty(v) != map[string]string{"name": tc.user, "pass": tc.pass, "key": tc.key}[name] {
				t.Errorf("%s: upstream %s is %v", tc.name, name, v)
			}
		}
		if q, _ := url.ParseQuery(string(up)); tc.action != "execute" && q.Get("job") == "" && !strings.Contains(string(up), "amp%3Bjob") {
			t.Errorf("%s: upstream body %q lost the job", tc.name, up)
		}
	}
}

// A request to bin/cron.php without a body: nothing is read.
func TestCronCallNoBody(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/bin/cron.php?name=a", nil)
	if c, _, reply := CronCall(r, ParseOptions{}); reply != nil || c.Credentials.User != "a" {
		t.Fatalf("%+v %+v", c, reply)
	}
}

package tests

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// A site that does not route the URL form a call came in (Standalone
// routes no ?q= form: recordings route-7 and route-8) cannot answer the
// credential question in that form either, and the client gets AuthX's
// 503. The operator reading the log must learn why: a warning that names
// where civicrm/authx/id was asked and what it answered, and never the
// credential.
func TestUnroutedQuestionLoggedWithItsURL(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{Fixture: civicrmsim.FixtureAPI4})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	inst, _, otherLog := startExample(t, strings.TrimPrefix(srv.URL, "http://"), sim.SiteKey(), sim.SignKeys())
	apiKey := sim.Admin().APIKey

	for _, path := range []string{"/?q=civicrm%2Fajax%2Fapi4%2FContact%2Fget", "/index.php?q=civicrm%2Fajax%2Fapi4%2FContact%2Fget"} {
		body := url.Values{"params": {`{"select":["id"],"where":[["id","=",203]]}`}}.Encode()
		r, _ := http.NewRequest("POST", inst.URL+path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("X-Civi-Auth", "Bearer "+apiKey)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "Authentication service unavailable") {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
	}
	caddyStopNow(t)
	log, err := os.ReadFile(otherLog)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(log), apiKey) {
		t.Error("the log holds the API key")
	}
	want := map[string]bool{
		"civicrm/authx/id at /?q=civicrm/authx/id answered status 302":          false,
		"civicrm/authx/id at /index.php?q=civicrm/authx/id answered status 404": false,
	}
	for _, line := range strings.Split(string(log), "\n") {
		var e struct{ Level, Msg, Reason, Detail string }
		if json.Unmarshal([]byte(line), &e) != nil || e.Msg != "request refused at the edge" {
			continue
		}
		for w := range want {
			if strings.Contains(e.Detail, w) {
				want[w] = true
				if e.Level != "warn" || e.Reason != "unavailable" || !strings.Contains(e.Detail, "does not route") {
					t.Errorf("logged as %s, reason %s: %s", e.Level, e.Reason, e.Detail)
				}
			}
		}
	}
	for w, seen := range want {
		if !seen {
			t.Errorf("no warning with %q in the log:\n%s", w, log)
		}
	}
}

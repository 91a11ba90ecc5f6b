package tests

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Legacy forms carry RFC 9745 Deprecation and RFC 8594 Sunset headers; the
// modern form does not. After the cut-off legacy forms get 410 in their own
// shape, and CiviCRM is not asked.
func TestLegacyDeprecationAndCutoff(t *testing.T) {
	env := startAuthEnv(t, `legacy {
			deprecated 2026-01-01
			sunset 2027-06-30
			link https://example.org/migrate
		}`)
	extern := env.inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&key=" + env.siteKey + "&api_key=" + env.stub.APIKey
	got := do(t, "GET", extern, "", nil)
	if got.status != 200 || got.header.Get("Deprecation") != "@1767225600" ||
		got.header.Get("Sunset") != "Wed, 30 Jun 2027 00:00:00 GMT" ||
		got.header.Get("Link") != `<https://example.org/migrate>; rel="deprecation"; type="text/html"` {
		t.Fatalf("legacy answer: %d %v", got.status, got.header)
	}
	modern := do(t, "GET", env.inst.URL+"/civicrm/ajax/rest?entity=Contact&action=get&json=1", "",
		http.Header{"X-Civi-Auth": {"Bearer " + env.stub.APIKey}, "X-Civi-Key": {env.siteKey}})
	if modern.status != 200 || modern.header.Get("Deprecation") != "" {
		t.Fatalf("modern answer: %d %v", modern.status, modern.header)
	}
	caddyStopNow(t)

	yesterday := time.Now().Add(-24 * time.Hour).UTC().Format(time.DateOnly)
	env = startAuthEnv(t, "legacy {\n\t\t\tcutoff "+yesterday+"\n\t\t}")
	extern = env.inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&key=" + env.siteKey + "&api_key=" + env.stub.APIKey
	got = do(t, "GET", extern, "", nil)
	if got.status != http.StatusGone || !strings.Contains(got.body, `"is_error":1`) || !strings.Contains(got.body, "retired on "+yesterday) {
		t.Fatalf("after the cut-off: %d %s", got.status, got.body)
	}
	if reqs, _ := env.stub.seen(); len(reqs) != 0 {
		t.Fatalf("a refused legacy request reached CiviCRM")
	}
}

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
	if got.status != http.StatusGone || !strings.Contains(got.body, `"is_error":1`) || !strings.Contains(got.body, "retired on "+yesterday) ||
		!strings.Contains(got.body, "Call /civicrm/ajax/rest instead of extern/rest.php.") {
		t.Fatalf("after the cut-off: %d %s", got.status, got.body)
	}
	if reqs, _ := env.stub.seen(); len(reqs) != 0 {
		t.Fatalf("a refused legacy request reached CiviCRM")
	}
}

// The cut-off ends every call the console counts as legacy, not only the
// legacy forms (issue 17's attacker review: a client kept its legacy
// habits past the cut-off by sending them to the modern form). Key and
// api_key in the URL (on civicrm/ajax/rest and on APIv4), key-value
// parameters and an XML answer are each served, with the retirement
// headers, before the cut-off, and refused after it with 410 in the shape
// the client reads, naming the change in the console's words, without
// CiviCRM running anything; a modern call is untouched throughout.
func TestLegacyFeaturesOnTheModernFormCutoff(t *testing.T) {
	type row struct {
		class, method, path, body string
		header                    http.Header
		change, shape             string // a sentence the refusal names; a part of its body's shape
	}
	rows := func(env authEnv) []row {
		urlCreds := "key=" + env.siteKey + "&api_key=" + env.stub.APIKey
		headers := func() http.Header {
			return http.Header{"X-Civi-Auth": {"Bearer " + env.stub.APIKey}, "X-Civi-Key": {env.siteKey}}
		}
		return []row{
			{"key and api_key in the URL of civicrm/ajax/rest", "GET", "/civicrm/ajax/rest?entity=Contact&action=get&json=1&" + urlCreds, "", nil,
				"Send the credential in the X-Civi-Auth header, not as key/api_key in the URL. Send the site key in the X-Civi-Key header.", `"is_error":1`},
			{"key and api_key in the body of civicrm/ajax/rest", "POST", "/civicrm/ajax/rest", "entity=Contact&action=get&json=1&" + urlCreds, nil,
				"Send the credential in the X-Civi-Auth header, not as key/api_key in the URL.", `"is_error":1`},
			{"key-value parameters on civicrm/ajax/rest", "GET", "/civicrm/ajax/rest?entity=Contact&action=get&json=1&first_name=Ann", "", headers(),
				"Send all parameters as one JSON object in json=, not as key-value pairs.", `"is_error":1`},
			{"key-value parameters in a POST body", "POST", "/civicrm/ajax/rest", "entity=Contact&action=get&json=%7B%7D&sequential=1", headers(),
				"Send all parameters as one JSON object in json=, not as key-value pairs.", `"is_error":1`},
			{"an XML answer from civicrm/ajax/rest", "GET", "/civicrm/ajax/rest?entity=Contact&action=get", "", headers(),
				"Read the answer as JSON: the modern call answers in JSON, not XML.", `<is_error>1</is_error>`},
			{"key and api_key in the URL of APIv4", "GET", "/civicrm/ajax/api4/Contact/get?" + urlCreds, "", http.Header{"X-Requested-With": {"XMLHttpRequest"}},
				"Send the credential in the X-Civi-Auth header, not as key/api_key in the URL.", `"error_code":410`},
		}
	}
	modern := func(env authEnv) answer {
		return do(t, "GET", env.inst.URL+"/civicrm/ajax/rest?entity=Contact&action=get&json=%7B%22id%22%3A3%7D", "",
			http.Header{"X-Civi-Auth": {"Bearer " + env.stub.APIKey}, "X-Civi-Key": {env.siteKey}})
	}
	tomorrow := time.Now().Add(24 * time.Hour).UTC().Format(time.DateOnly)
	yesterday := time.Now().Add(-24 * time.Hour).UTC().Format(time.DateOnly)

	env := startAuthEnv(t, "legacy {\n\t\t\tdeprecated 2026-01-01\n\t\t\tcutoff "+tomorrow+"\n\t\t}")
	for _, r := range rows(env) {
		got := do(t, r.method, env.inst.URL+r.path, r.body, r.header)
		if got.status != 200 || strings.Contains(got.body, "retired") || got.header.Get("Deprecation") != "@1767225600" {
			t.Errorf("before the cut-off, %s: %d %v %s", r.class, got.status, got.header, got.body)
		}
	}
	if got := modern(env); got.status != 200 || got.header.Get("Deprecation") != "" {
		t.Errorf("before the cut-off, a modern call: %d %v %s", got.status, got.header, got.body)
	}
	caddyStopNow(t)

	env = startAuthEnv(t, "legacy {\n\t\t\tcutoff "+yesterday+"\n\t\t\tlink https://example.org/migrate\n\t\t}")
	for _, r := range rows(env) {
		got := do(t, r.method, env.inst.URL+r.path, r.body, r.header)
		if got.status != http.StatusGone || !strings.Contains(got.body, "retired on "+yesterday) ||
			!strings.Contains(got.body, r.change) || !strings.Contains(got.body, r.shape) || !strings.Contains(got.body, "https://example.org/migrate") {
			t.Errorf("after the cut-off, %s: %d %s\nwant 410 naming %q, shaped %s", r.class, got.status, got.body, r.change, r.shape)
		}
	}
	reqs, _ := env.stub.seen()
	for _, r := range reqs {
		if r.URL.Path != "/civicrm/authx/id" {
			t.Errorf("a refused legacy call reached CiviCRM: %s %s", r.Method, r.URL.Path)
		}
	}
	if got := modern(env); got.status != 200 || got.header.Get("Deprecation") != "" || strings.Contains(got.body, "retired") {
		t.Errorf("after the cut-off, a modern call: %d %v %s", got.status, got.header, got.body)
	}
}

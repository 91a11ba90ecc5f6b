package tests

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Guessing protection throttles guessing, not proven users (issue: after a
// few failures from one address every request from it got 429, credentials
// verified a minute earlier included). From a blocked address a credential
// that authenticated in full keeps working; anything else is refused
// unseen (CiviCRM is not asked); a credential's own failure count still
// blocks it from any address. Client addresses come from X-Forwarded-For
// (the test is a trusted proxy). Each row names its class.
func TestAttackRateLimit(t *testing.T) {
	stub := newStubCiviCRM(t)
	siteKey := "sk-" + randomHex(t, 12)
	inst := startCaddy(t, "{\n\tadmin 127.0.0.1:{ADMIN}\n\tlog {\n\t\tlevel ERROR\n\t}\n"+
		"\tservers {\n\t\ttrusted_proxies static 127.0.0.1/32\n\t}\n\tmetrics\n}\n"+
		"http://:{PORT} {\n\tcivicrm {\n\t\tsite_key "+siteKey+"\n\t\tcache off\n\t\tauth {\n\t\t\tmax_failures 3 5m\n\t\t}\n\t}\n"+
		"\treverse_proxy "+stub.Host()+"\n}\n")
	extern := inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1"
	ajax := inst.URL + "/civicrm/ajax/rest?entity=Contact&action=get&json=1"
	legacy := func(key, apiKey string) string {
		return extern + "&" + url.Values{"key": {key}, "api_key": {apiKey}}.Encode()
	}
	from := func(addr string, h http.Header) http.Header {
		out := http.Header{"X-Forwarded-For": {addr}}
		for k, v := range h {
			out[k] = v
		}
		return out
	}
	const blocked = "203.0.113.7"
	guessed := "guessed-" + randomHex(t, 8)
	before := getJSONText(t, inst.Admin+"/metrics")

	// The valid key proves itself from one address; another address fails
	// three times (wrong site keys: counted for the address only); a guessed
	// key fails once from each of three addresses (its own count fills).
	if a := do(t, "GET", legacy(siteKey, stub.APIKey), "", from("198.51.100.1", nil)); !strings.Contains(a.body, "Standalone Admin") {
		t.Fatalf("the valid key was refused: %d %s", a.status, a.body)
	}
	for i := range 3 {
		if a := do(t, "GET", legacy("wrong-site-key", randomHex(t, 8)), "", from(blocked, nil)); a.status == 429 || strings.Contains(a.body, "Standalone Admin") {
			t.Fatalf("failure %d: %d %s", i, a.status, a.body)
		}
	}
	for _, addr := range []string{"198.51.100.10", "198.51.100.11", "198.51.100.12"} {
		if a := do(t, "GET", legacy(siteKey, guessed), "", from(addr, nil)); a.status == 429 || strings.Contains(a.body, "Standalone Admin") {
			t.Fatalf("guess from %s: %d %s", addr, a.status, a.body)
		}
	}
	stub.seen()

	const (
		data    = "data"    // the call went through
		limited = "429"     // refused by guessing protection
		refused = "refused" // refused by authentication, not by guessing protection
	)
	for _, row := range []struct {
		class, url string
		header     http.Header
		want       string
		unseen     bool // CiviCRM must not be asked about the credential
	}{
		{"proven API key from a blocked address, legacy form", legacy(siteKey, stub.APIKey), from(blocked, nil), data, false},
		{"proven API key from a blocked address, X-Civi-Auth", ajax,
			from(blocked, http.Header{"X-Civi-Auth": {"Bearer " + stub.APIKey}, "X-Civi-Key": {siteKey}}), data, false},
		{"unknown API key from a blocked address", legacy(siteKey, randomHex(t, 16)), from(blocked, nil), limited, true},
		{"no credential from a blocked address", extern + "&key=" + siteKey, from(blocked, nil), limited, true},
		{"proven API key with a wrong site key from a blocked address", legacy("wrong-site-key", stub.APIKey), from(blocked, nil), refused, false},
		{"guessed key blocked by its own failures, from a clean address", legacy(siteKey, guessed), from("198.51.100.20", nil), limited, true},
		{"proven API key from a clean address", legacy(siteKey, stub.APIKey), from("198.51.100.21", nil), data, false},
	} {
		a := do(t, "GET", row.url, "", row.header)
		got := refused
		switch {
		case a.status == http.StatusTooManyRequests:
			got = limited
		case strings.Contains(a.body, "Standalone Admin"):
			got = data
		}
		if got != row.want {
			t.Errorf("%s: %s (%d %.200s), want %s", row.class, got, a.status, a.body, row.want)
		}
		reqs, _ := stub.seen()
		for _, r := range reqs {
			if row.unseen && r.URL.Path == "/civicrm/authx/id" {
				t.Errorf("%s: CiviCRM was asked about the credential", row.class)
			}
		}
	}

	after := getJSONText(t, inst.Admin+"/metrics")
	for event, want := range map[string]float64{"proven_passed": 3, "address_blocked": 2, "credential_blocked": 1} {
		series := `civigate_apiv3_guessing_protection_total{event="` + event + `"}`
		if d := metricValue(after, series) - metricValue(before, series); d != want {
			t.Errorf("%s grew by %v, want %v", series, d, want)
		}
	}
}

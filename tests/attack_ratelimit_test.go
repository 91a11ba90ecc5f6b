package tests

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Guessing protection throttles guessing, not proven users (issue: after a
// few failures from one address every request from it got 429, credentials
// verified a minute earlier included). From a blocked address a credential
// that authenticated in full keeps working; anything else is refused
// unseen (CiviCRM is not asked); a credential's own failure count
// blocks it from any address, wrong site keys sent with it included, but
// for the site key it was proven with (issue 12: a proven key guessed site
// keys without limit). Client addresses come from X-Forwarded-For (the
// test is a trusted proxy). Each row names its class.
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
	// three times (wrong site keys with unknown keys); a guessed
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
	tries := 0

	const (
		data    = "data"    // the call went through
		limited = "429"     // refused by guessing protection
		refused = "refused" // refused by authentication, not by guessing protection
	)
	const clean = "198.51.100.%d" // a new clean address per try
	for _, row := range []struct {
		class, url string
		header     http.Header
		want       string
		unseen     bool // CiviCRM must not be asked about the credential
		times      int  // tries (default 1), each from a new clean address if the header has none
	}{
		{class: "proven API key from a blocked address, legacy form", url: legacy(siteKey, stub.APIKey), header: from(blocked, nil), want: data},
		{class: "proven API key from a blocked address, X-Civi-Auth", url: ajax,
			header: from(blocked, http.Header{"X-Civi-Auth": {"Bearer " + stub.APIKey}, "X-Civi-Key": {siteKey}}), want: data},
		{class: "unknown API key from a blocked address", url: legacy(siteKey, randomHex(t, 16)), header: from(blocked, nil), want: limited, unseen: true},
		{class: "no credential from a blocked address", url: extern + "&key=" + siteKey, header: from(blocked, nil), want: limited, unseen: true},
		{class: "site-key guessing with a proven API key from a blocked address (the key is proven with its own site key only)",
			url: legacy("wrong-site-key", stub.APIKey), header: from(blocked, nil), want: limited, unseen: true, times: 10},
		{class: "site-key guessing with a proven API key from clean addresses: counted against the key",
			url: legacy("wrong-site-key", stub.APIKey), want: refused, times: 3},
		{class: "site-key guessing with a proven API key from clean addresses: past max_failures",
			url: legacy("wrong-site-key-2", stub.APIKey), want: limited, unseen: true, times: 27},
		{class: "proven API key with its site key from a blocked address, its own count full", url: legacy(siteKey, stub.APIKey), header: from(blocked, nil), want: data},
		{class: "guessed key blocked by its own failures, from a clean address", url: legacy(siteKey, guessed), want: limited, unseen: true},
		{class: "proven API key with its site key from a clean address, its own count full", url: legacy(siteKey, stub.APIKey), want: data},
	} {
		for i := range max(row.times, 1) {
			header := row.header
			if header == nil {
				tries++
				header = from(fmt.Sprintf(clean, 100+tries), nil)
			}
			a := do(t, "GET", row.url, "", header)
			got := refused
			switch {
			case a.status == http.StatusTooManyRequests:
				got = limited
			case strings.Contains(a.body, "Standalone Admin"):
				got = data
			}
			if got != row.want {
				t.Errorf("%s (try %d): %s (%d %.200s), want %s", row.class, i+1, got, a.status, a.body, row.want)
				break
			}
			reqs, _ := stub.seen()
			for _, r := range reqs {
				if row.unseen && r.URL.Path == "/civicrm/authx/id" {
					t.Errorf("%s: CiviCRM was asked about the credential", row.class)
				}
			}
		}
	}

	after := getJSONText(t, inst.Admin+"/metrics")
	for event, want := range map[string]float64{"proven_passed": 4, "address_blocked": 12, "credential_blocked": 28} {
		series := `civigate_apiv3_guessing_protection_total{event="` + event + `"}`
		if d := metricValue(after, series) - metricValue(before, series); d != want {
			t.Errorf("%s grew by %v, want %v", series, d, want)
		}
	}
}

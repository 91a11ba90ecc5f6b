package tests

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// xssMarker is what the payloads below write into the page when they run:
// the handler sets its image's id, so the DOM then holds id="/marker/".
const xssMarker = "/civigate-xss-ran/"

// xssPayload runs script through an inline event handler, which an HTML
// page runs unless its Content-Security-Policy (or sandbox) forbids it.
// xssInName is the same for a parameter's name, where PHP turns spaces
// and dots into underscores.
const (
	xssPayload = `<img src=x onerror=id=` + xssMarker + `>`
	xssInName  = `<img/src="x"/onerror=id=` + xssMarker + `>`
)

// Attack round 4, F9: CiviCRM sends some API answers as text/html (the XML
// of civicrm/ajax/rest, prettyprint JSON on GET) with text the caller chose
// in them unescaped: a chained call's key as an XML tag name, input echoed
// in an error message. A link carrying the attacker's own credential made
// a victim's browser run the attacker's markup on the CiviCRM origin.
// Bodies and content types stay as CiviCRM sends them (legacy fidelity):
// every API answer carries nosniff and a sandboxing CSP instead, whoever
// made it (CiviCRM, the cache, Civigate's own refusals), on GET and HEAD,
// and a browser opening the answer runs nothing.
func TestAttackHTMLAnswersAreInert(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), "site_key "+sim.SiteKey(),
		"auth {", "deny {", "entity Activity", "}", "}"))
	creds := "key=" + sim.SiteKey() + "&api_key=" + sim.Admin().APIKey
	chainKey := url.QueryEscape("api_Email_get_x>"+xssInName+"<x") + "%5Breturn%5D=id"
	chainJSON := "json=" + url.QueryEscape(`{"id":2,"return":"id","api_Email_get_x>`+xssPayload+`<x":{"return":"id"}}`)
	badSort := "options%5Bsort%5D=" + url.QueryEscape(xssPayload)
	extern := "/sites/all/modules/civicrm/extern/rest.php"
	type tc struct {
		name, method, target string
		header               http.Header
		payload              bool // the answer is text/html with the payload in it, as CiviCRM sends it
	}
	cases := []tc{
		{"ajax XML chain key", "GET", "/civicrm/ajax/rest?entity=Contact&action=get&id=2&return=id&" + creds + "&" + chainKey, nil, true},
		{"ajax XML chain key, again (hit)", "GET", "/civicrm/ajax/rest?entity=Contact&action=get&id=2&return=id&" + creds + "&" + chainKey, nil, true},
		{"ajax XML chain key, HEAD", "HEAD", "/civicrm/ajax/rest?entity=Contact&action=get&id=2&return=id&" + creds + "&" + chainKey, nil, false},
		{"ajax XML chain key, _authx", "GET", "/civicrm/ajax/rest?entity=Contact&action=get&id=2&return=id&_authx=Bearer+" + sim.Admin().APIKey + "&" + chainKey, nil, true},
		{"verbose ajax XML chain key", "GET", "/index.php?q=civicrm/ajax/rest&entity=Contact&action=get&id=2&return=id&" + creds + "&" + chainKey, nil, true},
		{"extern prettyprint chain key", "GET", extern + "?entity=Contact&action=get&prettyprint=1&" + creds + "&" + chainJSON, nil, true},
		{"extern prettyprint error echo", "GET", extern + "?entity=Contact&action=get&json=1&prettyprint=1&" + creds + "&" + badSort, nil, true},
		{"WordPress REST", "GET", "/wp-json/civicrm/v3/rest?entity=Contact&action=get&id=2&json=1&" + creds, nil, false},
		{"APIv4", "GET", "/civicrm/ajax/api4/Contact/get?params=%7B%22limit%22%3A1%7D",
			http.Header{"X-Civi-Auth": {"Bearer " + sim.Admin().APIKey}}, false},
		{"APIv4 refused method", "PUT", "/civicrm/ajax/api4/Contact/get", nil, false},
		{"refused: wrong key", "GET", "/civicrm/ajax/rest?entity=Contact&action=get&json=1&key=" + sim.SiteKey() + "&api_key=wrong", nil, false},
		{"refused: policy", "GET", "/civicrm/ajax/rest?entity=Activity&action=get&json=1&" + creds, nil, false},
		{"refused: disguised route", "GET", "/civicrm/ajax/rest/x?entity=Contact&action=get&json=1", nil, false},
	}
	for _, c := range cases {
		a := do(t, c.method, inst.URL+c.target, "", c.header)
		for name, want := range civigateAddedHeaders {
			if got := a.header.Values(name); len(got) != 1 || got[0] != want {
				t.Errorf("%s: %d, %s: got %q, want %q", c.name, a.status, name, got, want)
			}
		}
		if c.payload && (!strings.HasPrefix(a.header.Get("Content-Type"), "text/html") ||
			!strings.Contains(a.body, xssPayload) && !strings.Contains(a.body, xssInName)) {
			// Not a failure of the defence, but of the test: it must
			// show the answer CiviCRM would send, payload and all.
			t.Errorf("%s: want CiviCRM's text/html answer with the payload, got %q %q", c.name, a.header.Get("Content-Type"), a.body)
		}
	}

	// What a victim's browser does with the links.
	chromium := chromiumOrSkip(t)
	for _, c := range cases {
		if !c.payload || c.method != "GET" {
			continue
		}
		dom, _ := chromium.run(t, "--dump-dom", inst.URL+c.target)
		if strings.Contains(dom, `id="`+xssMarker+`"`) {
			t.Errorf("%s: the payload ran in the browser:\n%s", c.name, dom)
		}
	}
}

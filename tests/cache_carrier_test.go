package tests

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// Attack round 4, F11: writes made through "carrier" actions (APIv4
// Afform.submit, APIv3 Profile.submit …) change other entities than the
// one they name; cached Contact reads of both API versions stayed hits
// after them. A write that is not plain CRUD on its entity invalidates
// everything.
func TestCacheCarrierWritesInvalidateEverything(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), "site_key "+sim.SiteKey(), "cache {\n\t\t\tttl 1h\n\t\t}"))
	admin := http.Header{"X-Civi-Auth": {"Bearer " + sim.Admin().APIKey}}
	v4read := inst.URL + "/civicrm/ajax/api4/Contact/get?params=" + url.QueryEscape(`{"select":["display_name"],"where":[["id","=",2]]}`)
	v3read := inst.URL + "/civicrm/ajax/rest?entity=Contact&action=get&id=2&return=display_name&json=1"
	for _, carrier := range []struct{ name, target, form string }{
		{"APIv4 Afform.submit", "/civicrm/ajax/api4/Afform/submit",
			"params=" + url.QueryEscape(`{"name":"afformUpdateContact","values":{"Individual1":[{"fields":{"id":2,"first_name":"X"}}]}}`)},
		{"APIv3 Profile.submit", "/civicrm/ajax/rest",
			"entity=Profile&action=submit&json=" + url.QueryEscape(`{"profile_id":1,"contact_id":2,"first_name":"X"}`)},
		{"APIv3 Contribution.completetransaction", "/civicrm/ajax/rest",
			"entity=Contribution&action=completetransaction&json=" + url.QueryEscape(`{"id":1}`)},
	} {
		for _, read := range []string{v4read, v3read} {
			do(t, "GET", read, "", admin)
			if got := do(t, "GET", read, "", admin).header.Get("Cache-Status"); got != "Civigate; hit" {
				t.Fatalf("%s: repeat read: %s", carrier.name, got)
			}
		}
		w := do(t, "POST", inst.URL+carrier.target, carrier.form, admin)
		if got := w.header.Get("Cache-Status"); got != "Civigate; fwd=bypass; detail=write" {
			t.Fatalf("%s: %s", carrier.name, got)
		}
		for _, read := range []string{v4read, v3read} {
			if got := do(t, "GET", read, "", admin).header.Get("Cache-Status"); !strings.Contains(got, "fwd=miss") {
				t.Errorf("%s: a cached Contact read survived it: %s (%s)", carrier.name, got, read)
			}
		}
	}
}

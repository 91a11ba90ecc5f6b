package tests

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// Attack round 4, F5: CiviCRM refuses a write on the APIv3 pages only when
// REQUEST_METHOD is exactly "GET"; Civigate forwarded any method as sent, so
// HEAD, OPTIONS, PUT, DELETE, PATCH, TRACE or a lower-case "get" with a
// write in the query ran it. Only GET, HEAD and POST go on (HEAD as GET, so
// CiviCRM's rule holds for it), OPTIONS is answered at the edge, any other
// method gets a 405 APIv3 error; WordPress REST takes the methods
// WordPress does. A HEAD of a read is still served, from the cache too.
func TestAttackAPI3Methods(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	log := &upstreamLog{next: sim}
	srv := httptest.NewServer(log)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), "site_key "+sim.SiteKey()))
	creds := []string{"X-Civi-Auth: Bearer " + sim.Admin().APIKey}
	write := "entity=Note&action=create&entity_id=2&json=1&note="
	targets := map[string]string{
		"ajax":    "/civicrm/ajax/rest?" + write,
		"extern":  "/sites/all/modules/civicrm/extern/rest.php?key=" + sim.SiteKey() + "&api_key=" + sim.Admin().APIKey + "&" + write,
		"verbose": "/index.php?q=civicrm/ajax/rest&" + write,
	}
	for form, target := range targets {
		for _, m := range []string{"HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "TRACE", "PROPFIND", "get", "Get", "post"} {
			log.take()
			status, body := rawExchange(t, inst.URL, m, target+url.QueryEscape("via "+m), creds, "")
			for _, s := range log.take() {
				if strings.Contains(s.uri, "Note") || strings.Contains(s.body, "Note") {
					t.Errorf("%s %s: the write reached CiviCRM: %s %s", form, m, s.method, s.uri)
				}
			}
			switch m {
			case "HEAD":
				// CiviCRM's destructive-GET refusal (an APIv3 error, 200).
				if status != 200 {
					t.Errorf("%s %s: %d", form, m, status)
				}
			case "OPTIONS":
				if status != 204 || body != "" {
					t.Errorf("%s %s: %d %q", form, m, status, body)
				}
			default:
				if status != 405 || !strings.Contains(body, `"is_error":1`) {
					t.Errorf("%s %s: %d %q", form, m, status, body)
				}
			}
		}
	}
	// A HEAD of a read: served (a miss, then a hit), nothing refused.
	read := "/civicrm/ajax/rest?entity=Contact&action=get&id=2&json=1"
	for i := range 2 {
		status, _ := rawExchange(t, inst.URL, "HEAD", read, creds, "")
		if status != 200 {
			t.Errorf("HEAD read %d: %d", i, status)
		}
	}
	// WordPress REST: WordPress upper-cases the method and its route takes
	// PUT, PATCH and DELETE too; it answers OPTIONS itself, with the
	// route's description once the plugin has logged the api_key's user
	// in (the key may be checked upstream, nothing is run), and knows no
	// other method.
	wp := "/wp-json/civicrm/v3/rest?key=" + sim.SiteKey() + "&api_key=" + sim.Admin().APIKey + "&" + write
	for m, want := range map[string]int{"OPTIONS": 200, "TRACE": 404, "PROPFIND": 404} {
		log.take()
		status, body := rawExchange(t, inst.URL, m, wp+"wp", nil, "")
		ran := false
		for _, s := range log.take() {
			ran = ran || !strings.Contains(s.uri, "authx/id")
		}
		if ran || status != want {
			t.Errorf("WordPress REST %s: %d %q, want %d and nothing upstream", m, status, body, want)
		}
	}
}

package tests

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// civicrm/ajax/rest's CSRF rule (spec civicrm-apiv3-rest.md §4): the
// Authorization header flow needs X-Requested-With: XMLHttpRequest, since
// a browser attaches Authorization: Basic by itself, cross-site too, once
// it holds the site's Basic credentials (Civigate's own 401 carries
// WWW-Authenticate: Basic realm="CiviCRM" for a wrong password, which makes
// a browser prompt for and keep them). README justifies dropping the rule
// for verified callers with "a browser cannot be made to attach a bearer
// credential cross-site": true of Bearer, not of Basic. On a site that
// allows passwords, CiviCRM answers a cross-site form POST riding on the
// browser's Basic credentials with its CSRF refusal; through Civigate the
// write runs (the credential goes on as a minted JWT in X-Civi-Auth, which
// CiviCRM exempts).
func TestAttackBasicCredentialAjaxRestCSRF(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{AllowPassword: true})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
		"site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys(), "cache off"))
	admin := sim.Admin()
	// What a cross-site <form method=post> sends: a form body, the
	// browser's Basic credentials, no X-Requested-With.
	form := "entity=Contact&action=create&json=" + `{"contact_type":"Individual","first_name":"Csrf"}`
	for _, tc := range []struct{ name, base string }{{"CiviCRM", srv.URL}, {"Civigate", inst.URL}} {
		r, err := http.NewRequest("POST", tc.base+"/civicrm/ajax/rest", strings.NewReader(form))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.SetBasicAuth(admin.Name, admin.Password)
		a := doReq(t, r)
		if !strings.Contains(a.body, "CSRF suspected") && !strings.Contains(a.body, "SECURITY ALERT") {
			t.Errorf("%s: a Basic-authenticated write without X-Requested-With: %d %.300s, want CiviCRM's CSRF refusal", tc.name, a.status, a.body)
		}
	}
}

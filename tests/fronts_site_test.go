package tests

import (
	"net/http"
	"slices"
	"testing"
)

// README: API keys "are resolved once by asking CiviCRM's
// civicrm/authx/id (through the same route as the API calls)", and from a
// proxy Caddy trusts, the X-Forwarded-Host, X-Forwarded-Port,
// X-Forwarded-Proto and Forwarded headers go on to CiviCRM, "by which a CMS
// behind a trusted proxy may select its site" (a civicrm.settings.php
// choosing CIVICRM_DOMAIN_ID by HTTP_X_FORWARDED_HOST, Drupal's trusted
// headers choosing sites/). So the question about a credential must reach
// the site the call it authorizes will run on: the same Host and the same
// forwarded host headers.
//
// Behind nginx as documented (proxy_set_header Host $host) the Host is
// the client's and no X-Forwarded-Host is sent: both requests agree.
// Behind Apache's mod_proxy as documented (ProxyPass, ProxyPassReverse;
// ProxyPreserveHost is Off by default) the Host Caddy gets is the
// backend's, 127.0.0.1:PORT, and the client's host comes in
// X-Forwarded-Host. The API call passes it on (civicrm.test), but the
// verification subrequest (routeTransport) starts from a header with only
// the resolver's own fields, so reverse_proxy sets X-Forwarded-Host from
// the Host: authx/id is asked with X-Forwarded-Host 127.0.0.1:PORT, i.e.
// of whatever site the CMS serves for that, while the call runs on
// civicrm.test's. A key valid on the call's site and not on the other is
// refused; one valid on the other is accepted and, with forward_jwt (or
// Basic with sign_keys), forwarded as a JWT for the other site's contact
// ID to the call's site.
//
// Failing test (finding of the fronts work): fails for Apache, passes for
// nginx.
func TestFrontProxyVerificationAskedOfTheCallsSite(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start startFront
	}{{"nginx", startNginxFront}, {"apache", startApacheFront}} {
		t.Run(tc.name, func(t *testing.T) {
			f := startFrontedCaddy(t, tc.start, true)
			f.stub.seen()
			// Verified, then forwarded.
			if a := f.guesser("127.0.0.3").get(f.stub.APIKey, nil); a.status != 200 || a.body != stubContactGet {
				t.Fatalf("the valid key: %d %s", a.status, a.body)
			}
			reqs, _ := f.stub.seen()
			var verify, call *http.Request
			for _, r := range reqs {
				switch r.URL.Path {
				case "/civicrm/authx/id":
					verify = r
				case "/civicrm/ajax/rest":
					call = r
				}
			}
			if verify == nil || call == nil {
				t.Fatalf("CiviCRM got %d requests, want the verification and the call", len(reqs))
			}
			if verify.Host != call.Host {
				t.Errorf("the verification went to Host %q, the call to %q", verify.Host, call.Host)
			}
			for _, h := range forwardedHostHeaders {
				if v, c := verify.Header.Values(h), call.Header.Values(h); !slices.Equal(v, c) {
					t.Errorf("%s: the verification was asked with %q, the call it authorized runs with %q", h, v, c)
				}
			}
			// And as from the same client: reverse_proxy appends the
			// front's address to the chain the trusted front sent, so the
			// question carries that chain too (without it, the question
			// seemed to come from the front itself).
			if v, c := verify.Header.Values("X-Forwarded-For"), call.Header.Values("X-Forwarded-For"); !slices.Equal(v, c) {
				t.Errorf("X-Forwarded-For: the verification was asked with %q, the call it authorized runs with %q", v, c)
			}
		})
	}
}

// forwardedHostHeaders are the headers by which a CMS behind a trusted
// proxy may select its site (README).
var forwardedHostHeaders = []string{"X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Proto", "Forwarded"}

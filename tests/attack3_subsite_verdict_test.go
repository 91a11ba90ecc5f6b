package tests

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// newSubsiteCiviCRM is two CiviCRM sites on one Host, told apart by the
// path: the Host's root site and its subsite /site2/ (a WordPress
// subdirectory multisite, or any CMS whose front controller under /site2/
// boots another civicrm.settings.php). README counts that path as part of
// where an APIv4 call runs ("APIv4: the client's path before
// civicrm/ajax/api4, or the front controller's path of a verbose URL: a
// subsite's /site2/"). Each site (Host, Host/site2) knows only its own API
// key in keys; authx/id is answered by the site the request's path
// reaches (/civicrm/authx/id or /site2/civicrm/authx/id, and the verbose
// ?q=civicrm/authx/id forms), and every other request answers as an APIv4
// call naming the site it ran on.
func newSubsiteCiviCRM(t *testing.T, keys map[string]string) (*multisiteCiviCRM, string) {
	t.Helper()
	return newMultisiteCiviCRM(t, keys, func(r *http.Request) string {
		if strings.HasPrefix(r.URL.Path, "/site2/") {
			return r.Host + "/site2"
		}
		return r.Host
	}, func(r *http.Request) string {
		if strings.HasSuffix(r.URL.Path, "/civicrm/authx/id") || r.URL.Query().Get("q") == "civicrm/authx/id" {
			return "civicrm/authx/id"
		}
		return "civicrm/ajax/api4/" // whatever it is, answered as an APIv4 call
	})
}

// Failing test (attack3, on 542ddca): the civicrm/authx/id question for an
// APIv4 call under a subsite's path (/site2/civicrm/ajax/api4/…, or the
// verbose /site2/index.php?q=civicrm/ajax/api4/…) is asked of the root
// site (/civicrm/authx/id), and the verdict is remembered for the Host
// alone, though README makes that path part of where the call runs (the
// cache keeps /site2/'s answers apart from the root's) and promises the
// credential is verified "on the site the call runs on" and "asked about
// again, never taken as verified, on another". So a key valid on the root
// site only is let through to /site2/ and, with forward_jwt, a JWT for the
// root site's contact 3 is minted and sent to /site2/ (the very reuse
// 542ddca closes for Hosts), while /site2/'s own valid key is refused at
// the edge. Expected: the question goes to the call's path base
// (/site2/civicrm/authx/id, or the verbose form under /site2/) and the
// verdict (and proof) is bound to it, as the response cache's site is.
func TestSubsiteVerdictAskedOfTheCallsSite(t *testing.T) {
	const host = "a.example"
	const root, sub = host, host + "/site2"
	c, upstream := newSubsiteCiviCRM(t, map[string]string{root: "key-" + randomHex(t, 12), sub: "key2-" + randomHex(t, 12)})
	sim := civicrmsim.New(civicrmsim.Options{}) // sign keys the two sites share
	sk := "sk-" + randomHex(t, 12)
	cf := siteCaddyfile(upstream, "site_key "+sk, "sign_keys "+sim.SignKeys(), "cache off",
		"auth {\n\t\t\tforward_jwt\n\t\t\tmax_failures 10 5m\n\t\t}")
	params := url.Values{"params": {`{"where":[["id","=",3]]}`}}.Encode()
	call := func(t *testing.T, base, path, key string) answer {
		t.Helper()
		return do(t, "POST", base+path, params, http.Header{"Host": {host}, "X-Civi-Auth": {"Bearer " + key}, "X-Civi-Key": {sk}})
	}

	for _, tc := range []struct{ name, rootPath, subPath string }{
		{"clean URL", "/civicrm/ajax/api4/Contact/get", "/site2/civicrm/ajax/api4/Contact/get"},
		{"verbose URL", "/index.php?q=civicrm/ajax/api4/Contact/get", "/site2/index.php?q=civicrm/ajax/api4/Contact/get"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Run("the subsite's own key on the subsite", func(t *testing.T) {
				inst := startCaddy(t, cf)
				askedSub, callsSub := c.counts(sub)
				got := call(t, inst.URL, tc.subPath, c.keys[sub])
				if got.status != 200 || !strings.Contains(got.body, `"site":"`+sub+`"`) {
					t.Errorf("/site2/'s key on %s: %d %s, want 200 run on %s", tc.subPath, got.status, trunc(got.body), sub)
				}
				if asked, calls := c.counts(sub); asked == askedSub {
					t.Errorf("/site2/ was never asked about the key of the call it ran (%d calls)", calls-callsSub)
				}
			})
			t.Run("the root site's key on the subsite", func(t *testing.T) {
				inst := startCaddy(t, cf)
				if got := call(t, inst.URL, tc.rootPath, c.keys[root]); got.status != 200 || !strings.Contains(got.body, `"site":"`+root+`"`) {
					t.Fatalf("the root's key on %s: %d %s", tc.rootPath, got.status, trunc(got.body))
				}
				_, callsSub := c.counts(sub)
				got := call(t, inst.URL, tc.subPath, c.keys[root])
				_, calls := c.counts(sub)
				if got.status != 401 || calls != callsSub {
					t.Errorf("the root site's key (invalid on /site2/) on %s, verified on the root just before: %d %s, %d call(s) ran on %s with a JWT for the root's contact; want 401, none",
						tc.subPath, got.status, trunc(got.body), calls-callsSub, sub)
				}
			})
		})
	}
}

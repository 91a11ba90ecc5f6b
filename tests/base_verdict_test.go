package tests

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// newBasesCiviCRM is two CiviCRM sites behind one Host, told apart by
// the path: a CMS multisite in a subdirectory (a WordPress subdirectory
// network, Drupal's sites/ by path) serves /site2/… for its second site
// ("site2") and everything else for the first ("root"), each with its
// own API key; what comes before civicrm/ is the site's base, read
// case-insensitively (a language prefix, say), and empty segments after
// it are dropped. Each answers
// civicrm/authx/id clean (B/civicrm/authx/id) or through its front
// controller (B/index.php?q=civicrm/authx/id) by its own keys, and
// its APIv4 and APIv3 routes (clean or verbose) with whatever credential
// Civigate vouches with, naming the site; any other page under
// civicrm/ by its own keys, as AuthX would.
func newBasesCiviCRM(t *testing.T) (*multisiteCiviCRM, string) {
	t.Helper()
	return newMultisiteCiviCRM(t, map[string]string{"root": "key-" + randomHex(t, 12), "site2": "key-" + randomHex(t, 12)},
		func(r *http.Request) string {
			site, _ := baseSite(r)
			return site
		}, func(r *http.Request) string {
			_, path := baseSite(r)
			route := ""
			if i := strings.Index(strings.ToLower(path), "/civicrm/"); i >= 0 {
				// Empty segments dropped, as Standalone's router does.
				route = strings.Join(strings.FieldsFunc(strings.ToLower(path[i+1:]), func(r rune) bool { return r == '/' }), "/")
			}
			if strings.HasSuffix(path, "/index.php") || strings.HasSuffix(path, "/") {
				route = r.URL.Query().Get("q")
			}
			return route
		})
}

// baseSite is the site r reaches by its path base ("site2" under /site2/,
// in any case, else "root") and the path within it.
func baseSite(r *http.Request) (site, path string) {
	site, path = "root", r.URL.Path
	if len(path) >= 7 && strings.EqualFold(path[:7], "/site2/") {
		site, path = "site2", path[6:]
	}
	return site, path
}

// A credential is verified on the CiviCRM site its call runs on, path
// included, and a verdict from one base never authorizes a call under
// another (README: civicrm/authx/id is asked under the call's base, in
// its URL form, and verdicts and proofs are remembered per site and
// base). Behind one Host, /site2/ is a second site with its own keys:
//   - APIv4, clean and through the CMS's front controller (?q=): each
//     site's key passes on its own site only, asked there, the root's
//     verdict never carried to /site2/ (nor a refusal); the base's case
//     is the client's, asked as the call goes;
//   - AuthX's own routes and CiviCRM pages under /site2/civicrm/: asked
//     at /site2/civicrm/authx/id;
//   - APIv3, whose calls go to upstream_endpoint: asked under the
//     endpoint's base, clean (/site2/civicrm/ajax/rest) or verbose
//     (/site2/index.php?q=civicrm/ajax/rest), whatever form or path the
//     client used;
//   - guessing: an invalid key tried under many bases is asked
//     max_failures times, then refused unseen (failures count per address
//     and per credential whatever the site or base); a key proven under
//     one base is, from the blocked address, refused unseen under another
//     and still served where it is proven.
func TestVerdictsBoundToTheirBase(t *testing.T) {
	civi, upstream := newBasesCiviCRM(t)
	sk := "sk-" + randomHex(t, 12)
	lines := []string{"site_key " + sk, "cache off"}
	caddyfile := siteCaddyfile(upstream, lines...)
	guarded := siteCaddyfile(upstream, append(lines, "auth {\n\t\t\tmax_failures 3 5m\n\t\t}")...)
	hdr := func(key string) http.Header {
		return http.Header{"X-Civi-Auth": {"Bearer " + key}, "X-Civi-Key": {sk}}
	}
	const v4Form = "params=%7B%22select%22%3A%5B%22id%22%5D%7D"
	v3Query := "entity=Contact&action=get&json=" + url.QueryEscape(`{"id":3}`)
	// expect checks an answer, that the call ran on site when it passed,
	// and that it did not run anywhere when refused.
	expect := func(t *testing.T, what string, got answer, status int, site string, calls [2]int) {
		t.Helper()
		_, root := civi.counts("root")
		_, site2 := civi.counts("site2")
		switch {
		case got.status != status:
			t.Errorf("%s: %d %s, want %d", what, got.status, trunc(got.body), status)
		case status == 200 && !strings.Contains(got.body, site):
			t.Errorf("%s: %s, want the call run on %s", what, trunc(got.body), site)
		case status != 200 && (root != calls[0] || site2 != calls[1]):
			t.Errorf("%s: refused, but a call ran (%d, %d calls, %d, %d before)", what, root, site2, calls[0], calls[1])
		}
	}
	calls := func() [2]int {
		_, root := civi.counts("root")
		_, site2 := civi.counts("site2")
		return [2]int{root, site2}
	}
	asked := func() [2]int {
		root, _ := civi.counts("root")
		site2, _ := civi.counts("site2")
		return [2]int{root, site2}
	}
	wantAsked := func(t *testing.T, what string, before [2]int, root, site2 int) {
		t.Helper()
		if now := asked(); now[0]-before[0] != root || now[1]-before[1] != site2 {
			t.Errorf("%s: asked the root %d and /site2/ %d times, want %d and %d", what, now[0]-before[0], now[1]-before[1], root, site2)
		}
	}

	for _, form := range []struct{ name, root, site2, upper string }{
		{"APIv4 clean", "/civicrm/ajax/api4/Contact/get", "/site2/civicrm/ajax/api4/Contact/get", "/SITE2/CiviCRM/ajax/api4/Contact/get"},
		{"APIv4 verbose", "/index.php?q=civicrm/ajax/api4/Contact/get", "/site2/index.php?q=civicrm/ajax/api4/Contact/get", "/Site2/index.php?q=civicrm/ajax/api4/Contact/get"},
	} {
		t.Run(form.name, func(t *testing.T) {
			inst := startCaddy(t, caddyfile)
			post := func(path, key string) answer {
				return do(t, "POST", inst.URL+path, v4Form, hdr(key))
			}
			a := asked()
			expect(t, "the root's key at the root", post(form.root, civi.keys["root"]), 200, `"site":"root"`, calls())
			wantAsked(t, "the root's key at the root", a, 1, 0)
			a = asked()
			expect(t, "the root's key under /site2/, verified at the root just before", post(form.site2, civi.keys["root"]), 401, "", calls())
			wantAsked(t, "the root's key under /site2/", a, 0, 1)
			a = asked()
			expect(t, "/site2/'s key under /site2/", post(form.site2, civi.keys["site2"]), 200, `"site":"site2"`, calls())
			expect(t, "/site2/'s key at the root", post(form.root, civi.keys["site2"]), 401, "", calls())
			wantAsked(t, "/site2/'s key under /site2/ and at the root", a, 1, 1)
			// Remembered, each on its own base.
			a = asked()
			expect(t, "the root's key at the root again", post(form.root, civi.keys["root"]), 200, `"site":"root"`, calls())
			expect(t, "/site2/'s key under /site2/ again", post(form.site2, civi.keys["site2"]), 200, `"site":"site2"`, calls())
			wantAsked(t, "remembered verdicts", a, 0, 0)
			// The base as the client spells it is asked as the call goes.
			a = asked()
			expect(t, "the root's key under "+form.upper, post(form.upper, civi.keys["root"]), 401, "", calls())
			expect(t, "/site2/'s key under "+form.upper, post(form.upper, civi.keys["site2"]), 200, `"site":"site2"`, calls())
			wantAsked(t, "under "+form.upper, a, 0, 2)
		})
	}

	t.Run("APIv4 clean, empty segments", func(t *testing.T) {
		inst := startCaddy(t, caddyfile)
		post := func(path, key string) answer {
			return do(t, "POST", inst.URL+path, v4Form, hdr(key))
		}
		expect(t, "the root's key at the root", post("/civicrm/ajax/api4/Contact/get", civi.keys["root"]), 200, `"site":"root"`, calls())
		for _, path := range []string{"/site2//civicrm/ajax/api4/Contact/get", "/site2/civicrm//ajax/api4/Contact/get"} {
			a := asked()
			expect(t, "the root's key at "+path, post(path, civi.keys["root"]), 401, "", calls())
			expect(t, "/site2/'s key at "+path, post(path, civi.keys["site2"]), 200, `"site":"site2"`, calls())
			wantAsked(t, "at "+path, a, 0, 2)
		}
	})

	t.Run("AuthX's routes and pages", func(t *testing.T) {
		inst := startCaddy(t, caddyfile)
		// The page's question is the first one's, remembered.
		for i, path := range []string{"/site2/civicrm/authx/id", "/site2/index.php?q=civicrm/authx/id", "/site2/civicrm/contact/view?cid=3"} {
			edge := 1
			if i == 2 {
				edge = 0
			}
			a := asked()
			if got := do(t, "GET", inst.URL+path, "", hdr(civi.keys["site2"])); got.status != 200 || !strings.Contains(got.body, "contact_id\":3") && !strings.Contains(got.body, "site site2") {
				t.Errorf("/site2/'s key at %s: %d %s", path, got.status, trunc(got.body))
			}
			// The edge's question and, for authx/id, the request itself.
			own := 0
			if strings.Contains(path, "authx/id") {
				own = 1
			}
			wantAsked(t, "/site2/'s key at "+path, a, 0, edge+own)
			c := calls()
			a = asked()
			expect(t, "the root's key at "+path, do(t, "GET", inst.URL+path, "", hdr(civi.keys["root"])), 401, "", c)
			wantAsked(t, "the root's key at "+path, a, 0, edge)
		}
	})

	for _, ep := range []string{"/site2/civicrm/ajax/rest", "/site2/index.php?q=civicrm/ajax/rest"} {
		t.Run("APIv3 to "+ep, func(t *testing.T) {
			inst := startCaddy(t, siteCaddyfile(upstream, append([]string{"upstream_endpoint " + ep}, lines...)...))
			for _, path := range []string{"/civicrm/ajax/rest?", "/site2/civicrm/ajax/rest?", "/index.php?q=civicrm/ajax/rest&"} {
				a := asked()
				expect(t, "/site2/'s key at "+path, do(t, "GET", inst.URL+path+v3Query, "", hdr(civi.keys["site2"])), 200, `"site":"site2"`, calls())
				expect(t, "the root's key at "+path, do(t, "GET", inst.URL+path+v3Query, "", hdr(civi.keys["root"])), 401, "", calls())
				if n := asked(); n[0] != a[0] {
					t.Errorf("APIv3 to %s: the root was asked (%d times)", ep, n[0]-a[0])
				}
			}
		})
	}

	t.Run("guessing counts across bases", func(t *testing.T) {
		inst := startCaddy(t, guarded)
		post := func(path, key string) answer {
			return do(t, "POST", inst.URL+path, v4Form, hdr(key))
		}
		expect(t, "the root's key at the root", post("/civicrm/ajax/api4/Contact/get", civi.keys["root"]), 200, `"site":"root"`, calls())
		a := asked()
		bad := "key-" + randomHex(t, 12)
		for i := range 3 {
			// Fresh bases, each its own site: a path the stub serves as
			// the root's.
			path := fmt.Sprintf("/guess%d/civicrm/ajax/api4/Contact/get", i)
			if got := post(path, bad); got.status != 401 {
				t.Fatalf("an invalid key at %s: %d %s, want 401", path, got.status, trunc(got.body))
			}
		}
		wantAsked(t, "an invalid key under 3 bases", a, 3, 0)
		a = asked()
		for _, tc := range []struct{ path, key string }{
			{"/guess9/civicrm/ajax/api4/Contact/get", bad},
			{"/guess9/civicrm/ajax/api4/Contact/get", "key-" + randomHex(t, 12)},
			{"/site2/index.php?q=civicrm/ajax/api4/Contact/get", civi.keys["root"]},
			{"/guess9/civicrm/ajax/api4/Contact/get", civi.keys["root"]},
		} {
			if got := post(tc.path, tc.key); got.status != 429 {
				t.Errorf("past max_failures at %s: %d %s, want 429", tc.path, got.status, trunc(got.body))
			}
		}
		wantAsked(t, "past max_failures", a, 0, 0)
		// Where it is proven it still works.
		expect(t, "the root's key at the root after the guesses", post("/civicrm/ajax/api4/Contact/get", civi.keys["root"]), 200, `"site":"root"`, calls())
	})
}

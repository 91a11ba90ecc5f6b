package tests

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// newSitesCiviCRM is CiviCRM sites behind one address, as two vhosts (or
// a CMS multisite) are: each knows its own API key. The site is chosen
// by the Host, or by X-Forwarded-Host or Forwarded where the CMS trusts
// its proxy (reverse_proxy sets X-Forwarded-Host from the Host for a
// client it does not trust). Only /civicrm/authx/id and the APIv3 route
// /civicrm/ajax/rest are served, clean: authx/id answers by the site's
// own keys; the API answers whatever credential Civigate vouches with (a
// JWT it minted with the sites' sign keys, or the key), naming the site,
// so a call Civigate let through on the wrong verdict shows.
func newSitesCiviCRM(t *testing.T, sites ...string) (*multisiteCiviCRM, string) {
	t.Helper()
	keys := map[string]string{}
	for _, s := range sites {
		keys[s] = "key-" + randomHex(t, 12)
	}
	return newMultisiteCiviCRM(t, keys, hostSite, func(r *http.Request) string {
		switch r.URL.Path {
		case "/civicrm/authx/id", "/civicrm/ajax/rest":
			return r.URL.Path[1:]
		}
		return ""
	})
}

// hostSite is the site r reaches by its Host, X-Forwarded-Host or
// Forwarded host.
func hostSite(r *http.Request) string {
	host := r.Host
	if xfh := r.Header.Get("X-Forwarded-Host"); xfh != "" {
		host = xfh
	}
	if _, fwd, ok := strings.Cut(r.Header.Get("Forwarded"), "host="); ok {
		host = fwd
	}
	return host
}

// CiviCRM's verdict on a credential is remembered for the site it was
// asked on (README: the same notion of site as the response cache's: the
// Host CiviCRM gets, the scheme, a trusted proxy's forwarded host
// headers), never for another site the same Civigate site block fronts:
// a key valid on a.example only, once verified there, is refused on
// b.example (with forward_jwt Civigate would otherwise mint a JWT for
// a.example's contact 3 and send it to b.example), through another Host,
// through a trusted proxy's forwarded host, and through another instance
// sharing the verdicts in Redis; and a refusal on one site is not carried
// to the other either. Failures still count per address and per
// credential whatever the site: a key proven on one site and guessed
// with on fresh Hosts is verified max_failures times, then refused
// unseen, while it still works where it is proven.
func TestVerdictsBoundToTheirSite(t *testing.T) {
	const a, b = "a.example", "b.example"
	civi, upstream := newSitesCiviCRM(t, a, b)
	sim := civicrmsim.New(civicrmsim.Options{}) // for its sign keys: the sites share them
	sk := "sk-" + randomHex(t, 12)
	lines := []string{"site_key " + sk, "sign_keys " + sim.SignKeys(), "cache off",
		"auth {\n\t\t\tforward_jwt\n\t\t\tmax_failures 3 5m\n\t\t}"}
	caddyfile := siteCaddyfile(upstream, lines...)
	trusting := strings.Replace(caddyfile, "\tlog {", "\tservers {\n\t\ttrusted_proxies static 127.0.0.1/32\n\t}\n\tlog {", 1)

	get := func(t *testing.T, base, host, key string, extra http.Header) answer {
		t.Helper()
		h := http.Header{"Host": {host}, "X-Civi-Auth": {"Bearer " + key}, "X-Civi-Key": {sk}}
		for k, v := range extra {
			h[k] = v
		}
		return do(t, "GET", base+"/civicrm/ajax/rest?entity=Contact&action=get&json="+url.QueryEscape(`{"id":3}`), "", h)
	}
	// expect checks an answer and that the call ran (or not) on site.
	expect := func(t *testing.T, what string, got answer, status int, site string, callsBefore int) {
		t.Helper()
		_, calls := civi.counts(site)
		switch {
		case got.status != status:
			t.Errorf("%s: %d %s, want %d", what, got.status, trunc(got.body), status)
		case status == 200 && !strings.Contains(got.body, `"site":"`+site+`"`):
			t.Errorf("%s: %s, want the call run on %s", what, trunc(got.body), site)
		case status != 200 && calls != callsBefore:
			t.Errorf("%s: refused, but the call ran on %s", what, site)
		}
	}

	t.Run("hosts", func(t *testing.T) {
		inst := startCaddy(t, caddyfile)
		expect(t, "a.example's key on a.example", get(t, inst.URL, a, civi.keys[a], nil), 200, a, 0)
		askedB, callsB := civi.counts(b)
		expect(t, "a.example's key on b.example, verified on a.example just before", get(t, inst.URL, b, civi.keys[a], nil), 401, b, callsB)
		if asked, _ := civi.counts(b); asked != askedB+1 {
			t.Errorf("b.example was asked %d times about a.example's key, want once", asked-askedB)
		}
		// A refusal is the site's own too.
		_, callsA := civi.counts(a)
		expect(t, "b.example's key on a.example", get(t, inst.URL, a, civi.keys[b], nil), 401, a, callsA)
		expect(t, "b.example's key on b.example, refused on a.example just before", get(t, inst.URL, b, civi.keys[b], nil), 200, b, 0)
		// And each stays remembered on its own site.
		askedA, _ := civi.counts(a)
		askedB, _ = civi.counts(b)
		get(t, inst.URL, a, civi.keys[a], nil)
		get(t, inst.URL, b, civi.keys[b], nil)
		if nA, _ := civi.counts(a); nA != askedA {
			t.Errorf("a.example's remembered verdict was asked again (%d)", nA-askedA)
		}
		if nB, _ := civi.counts(b); nB != askedB {
			t.Errorf("b.example's remembered verdict was asked again (%d)", nB-askedB)
		}
	})

	t.Run("forwarded by a trusted proxy", func(t *testing.T) {
		inst := startCaddy(t, trusting)
		expect(t, "a.example's key on a.example", get(t, inst.URL, a, civi.keys[a], nil), 200, a, 0)
		for _, h := range []http.Header{{"X-Forwarded-Host": {b}}, {"Forwarded": {"host=" + b}}} {
			_, callsB := civi.counts(b)
			expect(t, fmt.Sprintf("a.example's key with Host a.example and %v", h), get(t, inst.URL, a, civi.keys[a], h), 401, b, callsB)
		}
	})

	t.Run("control: an untrusted client's forwarded host changes nothing", func(t *testing.T) {
		inst := startCaddy(t, caddyfile)
		expect(t, "a.example's key on a.example", get(t, inst.URL, a, civi.keys[a], nil), 200, a, 0)
		for _, h := range []http.Header{{"X-Forwarded-Host": {b}}, {"Forwarded": {"host=" + b}}} {
			expect(t, fmt.Sprintf("a.example's key with Host a.example and %v from an untrusted client", h), get(t, inst.URL, a, civi.keys[a], h), 200, a, 0)
		}
	})

	t.Run("redis", func(t *testing.T) {
		ru, _, prefix := testRedis(t)
		secret := randomHex(t, 16)
		block := func(port string) string {
			return "http://:" + port + " {\n\tcivicrm {\n\t\tsite_key " + sk + "\n\t\tsign_keys " + sim.SignKeys() +
				"\n\t\tcache off\n\t\tredis " + ru + "\n\t\tredis_prefix " + prefix +
				"\n\t\tauth {\n\t\t\tforward_jwt\n\t\t\tsecret " + secret + "\n\t\t}\n\t}\n\treverse_proxy " + upstream + "\n}\n"
		}
		port2 := freePort(t)
		inst := startCaddy(t, testGlobalOptions+block("{PORT}")+block(itoa(port2)))
		second := fmt.Sprintf("http://127.0.0.1:%d", port2)
		// Both instances share verdicts: a.example's is not asked again
		// through the second.
		expect(t, "a.example's key on a.example (first instance)", get(t, inst.URL, a, civi.keys[a], nil), 200, a, 0)
		askedA, _ := civi.counts(a)
		expect(t, "a.example's key on a.example (second instance)", get(t, second, a, civi.keys[a], nil), 200, a, 0)
		if n, _ := civi.counts(a); n != askedA {
			t.Errorf("the second instance asked again about a verdict in Redis (%d)", n-askedA)
		}
		_, callsB := civi.counts(b)
		expect(t, "a.example's key on b.example (second instance, a.example's verdict in Redis)", get(t, second, b, civi.keys[a], nil), 401, b, callsB)
	})

	t.Run("guessing counts across sites", func(t *testing.T) {
		inst := startCaddy(t, caddyfile)
		expect(t, "a.example's key on a.example", get(t, inst.URL, a, civi.keys[a], nil), 200, a, 0)
		// Fresh Hosts the block serves (it matches any): each a site of
		// its own, where a.example's key is not valid. Its proof on
		// a.example does not spare it the counters there.
		for i := range 3 {
			host := fmt.Sprintf("guess%d.example", i)
			if got := get(t, inst.URL, host, civi.keys[a], nil); got.status != 401 {
				t.Fatalf("a.example's key on %s: %d %s, want 401", host, got.status, trunc(got.body))
			}
		}
		for _, key := range []string{civi.keys[a], "key-" + randomHex(t, 12)} {
			got := get(t, inst.URL, "guess9.example", key, nil)
			if asked, _ := civi.counts("guess9.example"); got.status != 429 || asked != 0 {
				t.Errorf("past max_failures (per credential and per address, across sites): %d %s, CiviCRM asked %d times, want 429 unseen",
					got.status, trunc(got.body), asked)
			}
		}
		// Where it is proven it still works.
		_, callsA := civi.counts(a)
		expect(t, "a.example's key on a.example after the guesses", get(t, inst.URL, a, civi.keys[a], nil), 200, a, callsA)
	})
}

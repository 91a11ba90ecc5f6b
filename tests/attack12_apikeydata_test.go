package tests

import (
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// a12KeyLeaks sends GETs that look a contact up by another contact's API
// key, with Civigate's access log going through the civicrm_credentials
// filter, and reports every place the key is seen: the URL of a request
// that reached CiviCRM (its web server's log, reverse_proxy's debug log),
// and the access log.
func a12KeyLeaks(t *testing.T, paths func(key string) []string) []string {
	t.Helper()
	sim := civicrmsim.New(civicrmsim.Options{})
	u := &a10bUp{sim: sim}
	up := httptest.NewServer(u)
	t.Cleanup(up.Close)
	inst, _, access := a10bLogSite(t, sim, strings.TrimPrefix(up.URL, "http://"))
	key := sim.User("ada").APIKey
	hdr := map[string]string{"X-Civi-Auth": "Bearer " + sim.Admin().APIKey, "X-Civi-Key": sim.SiteKey()}
	var leaks []string
	for _, p := range paths(key) {
		u.mu.Lock()
		u.seen = nil
		u.mu.Unlock()
		res := a10bDo(t, "GET", inst.URL+p, hdr, "")
		if res.status != 200 {
			t.Fatalf("precondition: GET %s answered %d %s", p, res.status, res.body)
		}
		u.mu.Lock()
		for _, s := range u.seen {
			line := strings.SplitN(s, "\n", 2)[0]
			if strings.Contains(line, key) {
				leaks = append(leaks, "GET "+p+"\n  reached CiviCRM with the key in its URL: "+line)
			}
		}
		u.mu.Unlock()
	}
	caddyStopNow(t)
	b, err := os.ReadFile(access)
	if err != nil {
		t.Fatal(err)
	}
	leaks = append(leaks, a10bScan(t, "access log", string(b), map[string]string{"ada's API key": key})...)
	return leaks
}

// TestA12APIKeyInMergedHavingViaSelectAlias: APIv4's AJAX page merges query
// keys the action declares (having[…]) into params, reading them from the
// URL only. A lookup by API key can name the key field once, in the params
// JSON (select "api_key AS k"), and put the key itself in a merged
// having[0][]=k&having[0][]==&having[0][]=KEY, which filters on the alias:
// CiviCRM runs SELECT … api_key AS k … HAVING k = 'KEY', a lookup of the
// contact the key belongs to. Civigate sees the lookup (it sends the call as
// POST), moves query keys that name api_key into the JSON, but leaves the
// having keys, which name only the alias, in the upstream URL: the key
// reaches CiviCRM's web server log, and the access log keeps it in clear.
// A secure edge keeps the key out of both (the README: "An API key that is
// data … goes in a POST body, never in the URL"; the log filter redacts
// "every value" of a query that names api_key as data).
func TestA12APIKeyInMergedHavingViaSelectAlias(t *testing.T) {
	leaks := a12KeyLeaks(t, func(key string) []string {
		return []string{
			"/civicrm/ajax/api4/Contact/get?params=" + url.QueryEscape(`{"select":["id","api_key AS k"]}`) +
				"&having[0][]=k&having[0][]=%3D&having[0][]=" + key,
		}
	})
	for _, l := range leaks {
		t.Error(l)
	}
}

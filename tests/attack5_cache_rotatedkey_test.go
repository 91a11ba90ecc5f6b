package tests

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// TestAttack5CacheServesRotatedKey: an admin rotates (or revokes) a user's
// API key through Civigate itself (APIv4 Contact.update, or APIv3
// Contact.create with api_key): CiviCRM no longer knows the old key, yet
// Civigate keeps its verdict for verdict_ttl (5m30s) and serves the old
// key's cached answers from every entry the write did not invalidate
// (here the user's Event.get; any entity outside the Contact group),
// without asking CiviCRM about the key again: a hit needs no upstream call,
// so CiviCRM cannot refuse it. A write through Civigate that sets a
// contact's api_key should at least forget the verdicts of that contact's
// keys. The upstream here is the simulator, with Event.get answered by a
// stub (the simulator has no Event entity); the simulator cannot change a
// user's key, so the test counts the questions Civigate asks civicrm/authx/id.
func TestAttack5CacheServesRotatedKey(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	var authxAsked atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "authx/id") {
			authxAsked.Add(1)
		}
		if r.URL.Query().Get("entity") == "Event" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"is_error":0,"version":3,"count":1,"id":7,"values":{"7":{"id":"7","title":"Members only gala"}}}`))
			return
		}
		sim.ServeHTTP(w, r)
	}))
	defer up.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(up.URL, "http://"),
		"site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys(), "cache {\n\t\t\tttl 1h\n\t\t}"))
	ada, _ := sim.ACLUsers()
	adminH := http.Header{"X-Civi-Auth": {"Bearer " + sim.Admin().APIKey}, "X-Civi-Key": {sim.SiteKey()}}
	read := inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Event&action=get&json=1&key=" + sim.SiteKey() + "&api_key=" + ada.APIKey
	for i := 0; i < 2; i++ {
		if st, cs, b := a5Do(t, "GET", read, "", nil); st != 200 || !strings.Contains(b, `"is_error":0`) {
			t.Fatalf("ada's Event.get: %d %s %s", st, cs, b)
		}
	}
	if _, cs, _ := a5Do(t, "GET", read, "", nil); !strings.Contains(cs, "hit") {
		t.Fatalf("ada's Event.get not cached: %s", cs)
	}
	st, cs, b := a5Do(t, "POST", inst.URL+"/civicrm/ajax/api4/Contact/update",
		"params="+url.QueryEscape(`{"where":[["id","=",3]],"values":{"api_key":"0123456789abcdef0123456789abcdef"}}`), adminH)
	if st != 200 || !strings.Contains(cs, "bypass") {
		t.Fatalf("key rotation: %d %s %.200s", st, cs, b)
	}
	before := authxAsked.Load()
	_, cs, body := a5Do(t, "GET", read, "", nil)
	if strings.Contains(cs, "hit") && authxAsked.Load() == before {
		t.Errorf("after ada's API key was rotated through Civigate, her old key is still served her cached Event.get (%s, %s) "+
			"without being verified again", cs, body)
	}
}

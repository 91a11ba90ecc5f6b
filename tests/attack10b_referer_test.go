package tests

import (
	"strings"
	"testing"
)

// TestA10RefererCredentialsNotForwarded: a legacy client's page URL often
// carries the site key and API key (the point of moving off
// extern/rest.php is to take them out of URLs), and a browser sends that
// URL as the Referer of the calls it makes. Civigate knows a Referer holds
// credentials: its civicrm_credentials log filter redacts them from the
// Referer in Caddy's logs. Yet it passes the Referer on to CiviCRM
// unchanged, whose web server writes it to its access log (nginx's and
// Apache's "combined" formats log "$http_referer" / "%{Referer}i"), so the
// keys the edge moved out of the URL reach CiviCRM's logs anyway.
func TestA10RefererCredentialsNotForwarded(t *testing.T) {
	sim, u, inst := a10bSetup(t)
	sk, key := sim.SiteKey(), sim.Admin().APIKey
	ref := "https://www.example.org/members/list.html?entity=Contact&key=" + sk + "&api_key=" + key
	hdr := func(extra map[string]string) map[string]string {
		h := map[string]string{"Referer": ref}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	a10bDo(t, "GET", inst.URL+"/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&key="+sk+"&api_key="+key, hdr(nil), "")
	a10bDo(t, "GET", inst.URL+"/wp-json/civicrm/v3/rest?entity=Contact&action=get&json=1&key="+sk+"&api_key="+key, hdr(nil), "")
	a10bDo(t, "POST", inst.URL+"/civicrm/ajax/rest", hdr(a10bAuth(sim)), "entity=Contact&action=get&json=%7B%7D")
	a10bDo(t, "POST", inst.URL+"/civicrm/ajax/api4/Contact/get", hdr(a10bAuth(sim)), "params=%7B%7D")
	u.mu.Lock()
	seen := append([]string(nil), u.seen...)
	u.mu.Unlock()
	if len(seen) == 0 {
		t.Fatal("precondition: no call reached CiviCRM")
	}
	for _, s := range seen {
		first := strings.SplitN(s, "\n", 2)[0]
		for _, l := range strings.Split(s, "\n") {
			if !strings.HasPrefix(strings.ToLower(l), "referer:") {
				continue
			}
			if strings.Contains(l, sk) || strings.Contains(l, key) {
				t.Errorf("%s: CiviCRM received the client's Referer with the site key and API key in it (%s): the edge redacts "+
					"exactly these from the Referer in its own logs, but CiviCRM's web server logs the Referer as sent", first, l)
			}
		}
	}
}

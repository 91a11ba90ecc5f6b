package tests

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// RFC 9110 §8.6: a server "MUST NOT send Content-Length in such a response
// [to HEAD] unless its field value equals the decimal number of octets that
// would have been sent in the content of a response if the same request had
// used the GET method". Civigate answers every HEAD of an API call with
// Content-Length: 0 (streamed, miss and hit alike, HTTP/1.1 and HTTP/2),
// whatever the GET's length (live: GET 1418 bytes, HEAD "Content-Length: 0";
// CiviCRM itself answers the HEAD with 1418).
func TestAttackHeadContentLengthIsTheGets(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	for _, cache := range []string{"cache off", ""} {
		lines := []string{"site_key " + sim.SiteKey(), "sign_keys " + sim.SignKeys()}
		if cache != "" {
			lines = append(lines, cache)
		}
		inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), lines...))
		u := inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&id=2&key=" + sim.SiteKey() + "&api_key=" + sim.Admin().APIKey
		get, _ := http.NewRequest("GET", u, nil)
		g := doReq(t, get)
		if g.status != 200 || len(g.body) == 0 {
			t.Fatalf("%q: GET %d %.200s", cache, g.status, g.body)
		}
		for i := range 2 { // a miss, then (cache on) a hit
			head, _ := http.NewRequest("HEAD", u, nil)
			h := doReq(t, head)
			if cl := h.header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(g.body)) {
				t.Errorf("%q: HEAD %d (%s): Content-Length %s, the GET's content is %d bytes", cache, i+1, h.header.Get("Cache-Status"), cl, len(g.body))
			}
		}
		caddyStopNow(t)
	}
}

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
// used the GET method". Civigate answered every HEAD of an API call with
// Content-Length: 0 (streamed, miss and hit alike, HTTP/1.1 and HTTP/2),
// whatever the GET's length (live: GET 1418 bytes, HEAD "Content-Length: 0";
// CiviCRM itself answers the HEAD with 1418).
//
// Caching off (streamed), then on: a HEAD before any GET (a miss), the GET,
// and two HEADs after it (hits), over HTTP/1.1 and HTTP/2 (h2c).
func TestAttackHeadContentLengthIsTheGets(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	h2c := &http.Transport{Protocols: new(http.Protocols)}
	h2c.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(h2c.CloseIdleConnections)
	clients := []struct {
		name   string
		client *http.Client
		proto  int
	}{{"HTTP/1.1", http.DefaultClient, 1}, {"HTTP/2", &http.Client{Transport: h2c}, 2}}
	for _, cache := range []string{"cache off", ""} {
		lines := []string{"site_key " + sim.SiteKey(), "sign_keys " + sim.SignKeys()}
		if cache != "" {
			lines = append(lines, cache)
		}
		cf := strings.Replace(siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), lines...),
			"\tadmin ", "\tservers {\n\t\tprotocols h1 h2c\n\t}\n\tadmin ", 1)
		inst := startCaddy(t, cf)
		for id, c := range clients {
			// A contact of its own per client, so that its first HEAD is a miss.
			u := inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&id=" + strconv.Itoa(2+id) +
				"&key=" + sim.SiteKey() + "&api_key=" + sim.Admin().APIKey
			head := func() *http.Response {
				req, _ := http.NewRequest("HEAD", u, nil)
				resp, err := c.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.ProtoMajor != c.proto {
					t.Fatalf("%s: answered over HTTP/%d", c.name, resp.ProtoMajor)
				}
				return resp
			}
			first := head()
			get, _ := http.NewRequest("GET", u, nil)
			g := doWith(t, c.client, get)
			if g.status != 200 || len(g.body) == 0 {
				t.Fatalf("%q %s: GET %d %.200s", cache, c.name, g.status, g.body)
			}
			for i, h := range []*http.Response{first, head(), head()} {
				// Civigate asks CiviCRM with GET and so knows the GET's
				// length: it sends it, as CiviCRM does.
				if cl := h.Header.Get("Content-Length"); h.StatusCode != 200 || cl != strconv.Itoa(len(g.body)) {
					t.Errorf("%q %s: HEAD %d (%s): %d, Content-Length %q, the GET's content is %d bytes", cache, c.name, i+1, h.Header.Get("Cache-Status"), h.StatusCode, cl, len(g.body))
				}
				if want := []string{"miss", "hit", "hit"}[i]; cache == "" && !strings.Contains(h.Header.Get("Cache-Status"), want) {
					t.Errorf("%s: HEAD %d is no %s: %s", c.name, i+1, want, h.Header.Get("Cache-Status"))
				}
			}
		}
		caddyStopNow(t)
	}
}

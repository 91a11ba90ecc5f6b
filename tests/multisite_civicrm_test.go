package tests

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// multisiteCiviCRM is several CiviCRM sites behind one address, each
// knowing its own API key (contact 3). Which site a request reaches is
// site's to say (by Host, forwarded host or path, as the test needs), and
// which CiviCRM route it asks for is route's (clean or through the front
// controller's ?q=). It answers civicrm/authx/id by the site's own key,
// counting the question; APIv4 (civicrm/ajax/api4/…) and APIv3
// (civicrm/ajax/rest) with whatever credential Civigate vouches with,
// naming the site, so a call let through on the wrong verdict shows; any
// other civicrm/ page by the site's own key, as AuthX would; each call or
// page counted; anything else (route "") is not found.
type multisiteCiviCRM struct {
	keys  map[string]string            // site → its one valid API key (contact 3)
	site  func(r *http.Request) string // the site r reaches
	route func(r *http.Request) string // the CiviCRM route r asks for, "" for none

	mu    sync.Mutex
	asked map[string]int // authx/id questions per site
	calls map[string]int // API calls and pages per site
}

// newMultisiteCiviCRM serves a multisiteCiviCRM for the test and returns
// it with its address (host:port).
func newMultisiteCiviCRM(t *testing.T, keys map[string]string, site, route func(*http.Request) string) (*multisiteCiviCRM, string) {
	t.Helper()
	c := &multisiteCiviCRM{keys: keys, site: site, route: route, asked: map[string]int{}, calls: map[string]int{}}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return c, strings.TrimPrefix(srv.URL, "http://")
}

func (c *multisiteCiviCRM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	site, route := c.site(r), c.route(r)
	key, ok := c.keys[site]
	valid := ok && r.Header.Get("X-Civi-Auth") == "Bearer "+key
	refuse := func() {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, "HTTP 401 Invalid credential")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case route == "civicrm/authx/id":
		c.asked[site]++
		if !valid {
			refuse()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"contact_id":3,"user_id":3,"flow":"xheader","cred":"api_key"}`)
	case strings.HasPrefix(route, "civicrm/ajax/api4/"):
		c.calls[site]++
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"values":[{"id":3,"site":"`+site+`"}],"entity":"Contact","action":"get","version":4,"count":1,"countFetched":1}`)
	case route == "civicrm/ajax/rest":
		c.calls[site]++
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"is_error":0,"version":3,"count":1,"values":[{"id":"3","site":"`+site+`"}]}`)
	case strings.HasPrefix(route, "civicrm/"):
		if r.Header.Get("X-Civi-Auth") != "" && !valid {
			refuse()
			return
		}
		c.calls[site]++
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<p>site "+site+"</p>")
	default:
		http.NotFound(w, r)
	}
}

// counts are the questions and calls site got so far.
func (c *multisiteCiviCRM) counts(site string) (asked, calls int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.asked[site], c.calls[site]
}

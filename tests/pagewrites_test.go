package tests

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// A write through a CiviCRM page invalidates everything
// (TestAttack5CachePageWritesDoNotInvalidate); what the CMS serves of its
// own (a login form, a comment) and fetching a CiviCRM page do not, or
// every form a CMS takes and every page view would flush the cache. The
// pages that write when fetched (CiviMail's open and click tracking)
// do invalidate.
func TestPageWritesInvalidateOnlyCiviCRMWrites(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
		"site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys(), "auth {\n\t\t\tanonymous\n\t\t}", "cache {\n\t\t\tttl 1h\n\t\t}"))
	read := inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&id=2&return=display_name&key=" +
		sim.SiteKey() + "&api_key=" + sim.Admin().APIKey
	cases := []struct {
		name, method, path, form string
		invalidates              bool
	}{
		{"WordPress login form", "POST", "/wp-login.php", "log=admin&pwd=x", false},
		{"WordPress comment", "POST", "/wp-comments-post.php", "comment=hello&comment_post_ID=1", false},
		{"Drupal node form", "POST", "/node/1?destination=node/1", "comment_body=hello", false},
		{"a CiviCRM page fetched", "GET", "/civicrm/contact/view?reset=1&cid=2", "", false},
		{"a CiviCRM page fetched, verbose", "GET", "/index.php?q=civicrm/profile/create&gid=1&reset=1", "", false},
		{"a CiviCRM page's preflight", "OPTIONS", "/civicrm/ajax/inline", "", false},
		{"a mail opened", "GET", "/civicrm/mailing/open?qid=1", "", true},
		{"a link clicked (extern/url.php)", "GET", "/sites/all/modules/civicrm/extern/url.php?u=1&qid=1", "", true},
		{"a profile form posted", "POST", "/civicrm/profile/create?gid=1&reset=1", "first_name=Changed", true},
		// WordPress reads its query vars (civiwp, q) from $_POST too.
		{"a profile form posted, routed by its body", "POST", "/", "civiwp=CiviCRM&q=civicrm/profile/create&gid=1&first_name=Changed", true},
		{"a profile form posted, q in its body", "POST", "/?civiwp=CiviCRM", "q=civicrm%2Fprofile%2Fcreate&first_name=Changed", true},
		{"a profile form posted, routed by a large body", "POST", "/", "q=civicrm/profile/create&first_name=" + strings.Repeat("x", 100<<10), true},
		{"a CMS form without routing parameters", "POST", "/contact-us/", "name=A&message=" + strings.Repeat("x", 100<<10), false},
	}
	for _, tc := range cases {
		a5Do(t, "GET", read, "", nil)
		if _, cs, b := a5Do(t, "GET", read, "", nil); !strings.Contains(cs, "hit") {
			t.Fatalf("the read is not cached (%s): %s", cs, b)
		}
		st, _, _ := a5Do(t, tc.method, inst.URL+tc.path, tc.form, nil)
		_, cs, _ := a5Do(t, "GET", read, "", nil)
		if hit := strings.Contains(cs, "hit"); hit == tc.invalidates {
			t.Errorf("%s (%s %s → %d): read after it: %s, want invalidated %v", tc.name, tc.method, tc.path, st, cs, tc.invalidates)
		}
	}
}

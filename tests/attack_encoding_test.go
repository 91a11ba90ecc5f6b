package tests

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// A request body with a Content-Encoding is one Civigate cannot read, and
// PHP never reads it either, unless the web server in front of it inflates
// request bodies (Apache's DEFLATE input filter): then PHP would parse
// parameters the edge never saw. A form body so encoded is refused, on the
// API routes (415, in the route's shape) and wherever it could route to one
// (400); other bodies pass as sent. The upstream never gets the client's
// Content-Encoding beside a body Civigate built itself.
func TestAttackEncodedBodies(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	log := &upstreamLog{next: sim}
	srv := httptest.NewServer(log)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), "site_key "+sim.SiteKey()))
	log.take()
	gz := func(s string) string {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		_, _ = w.Write([]byte(s))
		_ = w.Close()
		return b.String()
	}
	const form = "application/x-www-form-urlencoded"
	creds := "key=" + sim.SiteKey() + "&api_key=" + sim.Admin().APIKey
	extern := "/sites/all/modules/civicrm/extern/rest.php"
	const (
		refusedRoute = iota // Civigate's 400, nothing upstream
		refusedCall         // Civigate's 415, nothing upstream
		passed              // not for the API: as sent
		served              // served, and the upstream request carries no Content-Encoding
	)
	for _, tc := range []struct {
		class, target, ct, encoding, body string
		want                              int
	}{
		{"encoded-body/routes-through-gzip", "/", form, "gzip",
			gz("civiwp=CiviCRM&q=civicrm/ajax/rest&entity=Contact&action=create&contact_type=Individual&" + creds), refusedRoute},
		{"encoded-body/case-and-list", "/", form, "identity, GZip",
			gz("rest_route=/civicrm/v3/rest&entity=Contact&action=create&" + creds), refusedRoute},
		{"encoded-body/apiv4", "/civicrm/ajax/api4/Note/create", form, "deflate", gz(`params={"values":{"note":"x"}}`), refusedRoute},
		{"encoded-body/legacy-call", extern + "?entity=Contact&action=get&json=1", form, "gzip",
			gz("api.Contact.delete=1&" + creds), refusedCall},
		{"encoded-body/modern-call", "/civicrm/ajax/rest?json=1", form, "br", "entity=Contact&action=get&" + creds, refusedCall},
		{"control/encoded-upload", "/wp-admin/upload.php", "application/octet-stream", "gzip", gz("just bytes"), passed},
		{"control/identity-is-no-encoding", extern, form, "identity", "entity=Contact&action=get&json=1&" + creds, served},
	} {
		hdr := []string{"Content-Type: " + tc.ct, "Content-Encoding: " + tc.encoding}
		status, body := rawExchange(t, inst.URL, "POST", tc.target, hdr, tc.body)
		got := log.take()
		switch tc.want {
		case refusedRoute, refusedCall:
			want := http.StatusBadRequest
			if tc.want == refusedCall {
				want = http.StatusUnsupportedMediaType
			}
			if status != want || !strings.Contains(body, `"is_error":1`) || len(got) != 0 {
				t.Errorf("%s: got %d %q, CiviCRM saw %d requests; want %d and nothing upstream", tc.class, status, body, len(got), want)
			}
		case passed:
			if len(got) != 1 || got[0].body != tc.body || got[0].header.Get("Content-Encoding") != tc.encoding {
				t.Errorf("%s: want it passed on as sent, CiviCRM saw %+v", tc.class, got)
			}
		case served:
			if status != http.StatusOK || !strings.Contains(body, `"is_error":0`) || len(got) == 0 {
				t.Errorf("%s: want it served, got %d %q", tc.class, status, body)
			}
			for _, s := range got {
				if s.header.Get("Content-Encoding") != "" {
					t.Errorf("%s: the client's Content-Encoding went upstream with Civigate's own body", tc.class)
				}
			}
		}
	}
}

package tests

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// PHP reads one Content-Type, but which one depends on the server in front
// of it (php_fastcgi passes the first value, Apache joins them), and the
// edge used to read a body under every reading: one reader per distinct
// value, each reading the whole body before any credential was checked
// (some 400 values fit in a header: 51.6 s of CPU for 8 MiB of line feeds
// to the APIv4 route, answered 401). A request whose body PHP could see
// under more than one Content-Type is refused now, with a 400 naming the
// problem, before its body is read: on the APIv3 and APIv4 routes in
// their own shape, on AuthX's routes in AuthX's, on other pages as a
// refused route. None reaches CiviCRM; one Content-Type (or one repeated)
// works as before.
func TestAttackManyContentTypes(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	log := &upstreamLog{next: sim}
	srv := httptest.NewServer(log)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), "site_key "+sim.SiteKey(), "cache off"))
	log.take()

	const form = "application/x-www-form-urlencoded"
	creds := "key=" + url.QueryEscape(sim.SiteKey()) + "&api_key=" + url.QueryEscape(sim.Admin().APIKey)
	api4Creds := []string{"X-Civi-Auth: Bearer " + sim.Admin().APIKey, "X-Civi-Key: " + sim.SiteKey()}
	boundaries := func(n int) []string {
		var h []string
		for i := range n {
			h = append(h, "Content-Type: multipart/form-data;boundary="+strconv.Itoa(i))
		}
		return h
	}
	types := map[string][]string{
		"one":          {"Content-Type: " + form},
		"one repeated": {"Content-Type: " + form, "Content-Type: " + form},
		"two":          {"Content-Type: " + form, "Content-Type: multipart/form-data;boundary=B"},
		"400":          append([]string{"Content-Type: " + form}, boundaries(399)...),
	}
	// Line feeds after the form: costly to read under many boundaries.
	pad := "&x=" + strings.Repeat("%0A", 4<<10)
	for _, tc := range []struct {
		class, target string
		header        []string
		body          string
		shape         string // in a refusal
		served        int    // a control's status
	}{
		{"apiv3", "/civicrm/ajax/rest?json=1", nil, "entity=Contact&action=get&" + creds + pad, `"is_error":1`, http.StatusOK},
		{"apiv4", "/civicrm/ajax/api4/Contact/get", api4Creds, "params=%7B%7D" + pad, `"error_code":400`, http.StatusOK},
		{"authx", "/civicrm/authx/id", nil, "_authx=Bearer+" + url.QueryEscape(sim.Admin().APIKey) + pad, "HTTP 400 Civigate", 0},
		{"page", "/index.php", nil, "name=value" + pad, `"is_error":1`, 0},
	} {
		for _, n := range []string{"one", "one repeated", "two", "400"} {
			status, body := rawExchange(t, inst.URL, "POST", tc.target, append(append([]string(nil), tc.header...), types[n]...), tc.body)
			got := log.take()
			if n == "two" || n == "400" {
				if status != http.StatusBadRequest || !strings.Contains(body, "more than one Content-Type") || !strings.Contains(body, tc.shape) || len(got) != 0 {
					t.Errorf("%s, %s Content-Types: %d %.200q, CiviCRM saw %d requests; want 400 naming the problem (%s) and nothing upstream",
						tc.class, n, status, body, len(got), tc.shape)
				}
				continue
			}
			switch {
			case tc.class == "page" || tc.class == "authx":
				// Passed on as sent, after Civigate's own question about its
				// credential (asked in its flow: a POST of _authx alone).
				got = slices.DeleteFunc(got, func(s seenRequest) bool { return s.civigate && s.body != tc.body })
				if len(got) != 1 || got[0].uri != tc.target || got[0].body != tc.body {
					t.Errorf("%s, %s Content-Type: %d %.200q; want it passed on as sent, CiviCRM saw %+v", tc.class, n, status, body, got)
				}
			case status != tc.served || strings.Contains(body, `"is_error":1`) || len(got) == 0:
				t.Errorf("%s, %s Content-Type: %d %.200q, CiviCRM saw %d requests; want it served", tc.class, n, status, body, len(got))
			}
		}
	}
}

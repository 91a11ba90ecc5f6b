package tests

// Fidelity of the WordPress REST route's headers and WordPress core's
// global parameters, from WordPress core's code (wordpress-develop
// src/wp-includes/rest-api/class-wp-rest-server.php serve_request,
// rest-api.php) and CiviCRM's plugin (civicrm-wordpress wp-rest/).

import (
	"net/url"
	"strings"
	"testing"
)

// The headers WP_REST_Server::serve_request sends on every answer of the
// route: X-Robots-Tag: noindex, the Link to the REST API's root and
// X-Content-Type-Options before anything else; wp_get_nocache_headers()
// once the plugin has logged the api_key's user in (is_user_logged_in()
// after dispatch); and rest_send_allow_header's Allow on a JSON answer of
// the matched route whose permission callback passes (not on XML, whose
// response the plugin replaces after it; not where the api_key or the
// site key is refused). A hit from the cache answers as a miss.
func TestFidWPServerHeaders(t *testing.T) {
	sim, _, inst := a8Setup(t)
	host := strings.TrimPrefix(inst.URL, "http://")
	const noCache = "no-cache, must-revalidate, max-age=0, no-store, private"
	const allow = "GET, POST, PUT, PATCH, DELETE"
	sk, ak := url.QueryEscape(sim.SiteKey()), url.QueryEscape(sim.Admin().APIKey)
	wpJSONRoot := `<http://` + host + `/wp-json/>; rel="https://api.w.org/"`
	for _, tc := range []struct {
		name, target, link, allow string
		status                    int
	}{
		{"JSON", "/wp-json/civicrm/v3/rest?entity=Contact&action=getcount&json=1&key=" + sk + "&api_key=" + ak, wpJSONRoot, allow, 200},
		{"JSON again (a hit)", "/wp-json/civicrm/v3/rest?entity=Contact&action=getcount&json=1&key=" + sk + "&api_key=" + ak, wpJSONRoot, allow, 200},
		{"rest_route", "/index.php?rest_route=/civicrm/v3/rest&entity=Contact&action=getcount&json=1&key=" + sk + "&api_key=" + ak,
			`<http://` + host + `/index.php?rest_route=/>; rel="https://api.w.org/"`, allow, 200},
		{"subdirectory", "/blog/wp-json/civicrm/v3/rest?entity=Contact&action=getcount&json=1&key=" + sk + "&api_key=" + ak,
			`<http://` + host + `/blog/wp-json/>; rel="https://api.w.org/"`, allow, 200},
		{"XML", "/wp-json/civicrm/v3/rest?entity=Contact&action=get&id=2&return=display_name&key=" + sk + "&api_key=" + ak, wpJSONRoot, "", 200},
		{"missing entity", "/wp-json/civicrm/v3/rest?action=get&json=1&key=" + sk + "&api_key=" + ak, wpJSONRoot, allow, 400},
		{"wrong site key", "/wp-json/civicrm/v3/rest?entity=Contact&action=get&json=1&key=wrongwrong&api_key=" + ak, wpJSONRoot, "", 400},
		{"no api_key", "/wp-json/civicrm/v3/rest?entity=Contact&action=get&json=1&key=" + sk, wpJSONRoot, "", 500},
	} {
		resp, body := fidDo(t, "GET", inst.URL+tc.target, map[string]string{"Origin": "https://a.example"}, "")
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, resp.StatusCode, tc.status, body)
		}
		for name, want := range map[string]string{
			"X-Robots-Tag": "noindex", "Link": tc.link, "X-Content-Type-Options": "nosniff",
			"Cache-Control": noCache, "Expires": "Wed, 11 Jan 1984 05:00:00 GMT", "Allow": tc.allow,
			"Access-Control-Allow-Origin": "https://a.example",
		} {
			if got := strings.Join(resp.Header.Values(name), "|"); got != want {
				t.Errorf("%s: %s: got %q, WordPress sends %q", tc.name, name, got, want)
			}
		}
		if v := resp.Header.Get("Last-Modified"); v != "" {
			t.Errorf("%s: Last-Modified %q", tc.name, v)
		}
	}
}

// A _jsonp callback WordPress refuses: serve_request answers 400
// rest_callback_invalid and returns before it sends
// Access-Control-Expose-Headers and Access-Control-Allow-Headers
// (WordPress 6.3+) and before rest_pre_serve_request, on which
// rest_send_cors_headers sends the origin's grant: the answer has no CORS
// header, but X-Robots-Tag, the Link and nosniff, sent before the check.
func TestFidWPInvalidJSONPHasNoCORS(t *testing.T) {
	sim, _, inst := a8Setup(t, "cache off")
	resp, body := fidDo(t, "GET", inst.URL+fidWPQuery(sim.SiteKey(), sim.Admin().APIKey,
		"entity", "Contact", "action", "getcount", "json", "1", "_jsonp", "a-b"), map[string]string{"Origin": "https://a.example"}, "")
	if resp.StatusCode != 400 || body != `{"code":"rest_callback_invalid","message":"Invalid JSONP callback function."}` {
		t.Errorf("invalid callback: %d %s", resp.StatusCode, body)
	}
	for name := range resp.Header {
		if strings.HasPrefix(name, "Access-Control-") {
			t.Errorf("invalid callback: %s: %q, WordPress sends none", name, resp.Header.Get(name))
		}
	}
	if v := strings.Join(resp.Header.Values("Vary"), ","); strings.Contains(v, "Origin") {
		t.Errorf("invalid callback: Vary %q", v)
	}
	if resp.Header.Get("X-Robots-Tag") != "noindex" || !strings.HasSuffix(resp.Header.Get("Link"), `/wp-json/>; rel="https://api.w.org/"`) {
		t.Errorf("invalid callback: X-Robots-Tag %q, Link %q", resp.Header.Get("X-Robots-Tag"), resp.Header.Get("Link"))
	}
}

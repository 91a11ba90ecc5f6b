package tests

import (
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// The WordPress route's CORS headers and JSONP/_pretty forms with caching
// on: every answer carries the grant for its own request's Origin (a miss,
// a hit, a repeat answered from the remembered request alike), never the
// origin of the request that filled the cache; one cache entry serves
// JSON, JSONP and pretty clients, each in its own form; and the OPTIONS
// preflight, which carries the grant, runs nothing upstream.
func TestWPCORSPerRequestOrigin(t *testing.T) {
	sim, u, inst := a8Setup(t)
	var calls atomic.Int32
	u.set(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.Contains(r.URL.Path, "ajax/rest") {
			calls.Add(1)
		}
		return false
	})
	// json= as a JSON string: _jsonp and _pretty are no API parameters
	// then, so all of these are one call, one cache entry.
	q := func(kv ...string) string {
		return inst.URL + fidWPQuery(sim.SiteKey(), sim.Admin().APIKey,
			append([]string{"entity", "Contact", "action", "get", "json", `{"id":2,"return":"display_name"}`}, kv...)...)
	}
	const plain = `{"is_error":0,"version":3,"count":1,"id":2,"values":[{"contact_id":"2","display_name":"Standalone Admin","id":"2"}]}`
	for i, tc := range []struct {
		origin, u, ct, body string
	}{
		{"https://a.example", q(), "application/json; charset=UTF-8", plain},
		{"https://b.example", q(), "application/json; charset=UTF-8", plain},
		{"https://b.example", q(), "application/json; charset=UTF-8", plain}, // a repeat
		{"https://a.example", q(), "application/json; charset=UTF-8", plain},
		{"", q(), "application/json; charset=UTF-8", plain},
		{"http://localhost:3000", q("_jsonp", "cb1"), "application/javascript; charset=UTF-8", "/**/cb1(" + plain + ")"},
		{"null", q("_jsonp", "cb2"), "application/javascript; charset=UTF-8", "/**/cb2(" + plain + ")"},
		{"https://a.example", q("_pretty", ""), "application/json; charset=UTF-8", "{\n    \"is_error\": 0,\n    \"version\": 3,\n    \"count\": 1,\n    \"id\": 2,\n" +
			"    \"values\": [\n        {\n            \"contact_id\": \"2\",\n            \"display_name\": \"Standalone Admin\",\n" +
			"            \"id\": \"2\"\n        }\n    ]\n}"},
		{"chrome-extension://abc", q(), "application/json; charset=UTF-8", plain},
	} {
		hdr := map[string]string{}
		if tc.origin != "" {
			hdr["Origin"] = tc.origin
		}
		resp, body := fidDo(t, "GET", tc.u, hdr, "")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tc.ct || body != tc.body {
			t.Errorf("%d (%s): got %d %q %s\nwant 200 %q %s", i, tc.origin, resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.ct, tc.body)
		}
		grant := tc.origin
		if tc.origin == "chrome-extension://abc" {
			grant = "" // sanitize_url blanks it: no browser's origin is granted
		}
		if got := resp.Header.Values("Access-Control-Allow-Origin"); grant == "" && len(got) != 0 || grant != "" && (len(got) != 1 || got[0] != grant) {
			t.Errorf("%d: Access-Control-Allow-Origin %q for Origin %q", i, got, tc.origin)
		}
		if grant != "" && resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("%d: no Access-Control-Allow-Credentials", i)
		}
		if !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
			t.Errorf("%d: no Vary: Origin", i)
		}
		if i > 0 && !strings.Contains(resp.Header.Get("Cache-Status"), "hit") {
			t.Errorf("%d: Cache-Status %q, want a hit", i, resp.Header.Get("Cache-Status"))
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d calls reached CiviCRM, want 1 (one entry for every form)", n)
	}

	// The preflight, with or without credentials in its URL, a write's
	// included: answered at the edge, nothing run; as WordPress answers
	// it (the route's description, or without an api_key the plugin's
	// login error: TestFidWPOptionsDescribesTheRoute), with the grant.
	for _, tc := range []struct {
		target string
		status int
	}{
		{q(), 200},
		{inst.URL + "/wp-json/civicrm/v3/rest?entity=Contact&action=delete&id=2&json=1&key=" + url.QueryEscape(sim.SiteKey()) + "&api_key=" + url.QueryEscape(sim.Admin().APIKey), 200},
		{inst.URL + "/wp-json/civicrm/v3/rest?entity=Contact&action=create&json=1", 500},
	} {
		target := tc.target
		resp, body := fidDo(t, "OPTIONS", target, map[string]string{"Origin": "https://a.example",
			"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}, "")
		if resp.StatusCode != tc.status || body == "" || resp.Header.Get("Access-Control-Allow-Origin") != "https://a.example" ||
			!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Content-Type") ||
			!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") {
			t.Errorf("preflight %s: %d %q %v", target, resp.StatusCode, body, resp.Header)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("a preflight reached CiviCRM: %d calls", n)
	}

	// extern/rest.php sends no CORS headers.
	resp, _ := fidDo(t, "GET", inst.URL+"/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=getcount&json=1&key="+
		url.QueryEscape(sim.SiteKey())+"&api_key="+url.QueryEscape(sim.Admin().APIKey), map[string]string{"Origin": "https://a.example"}, "")
	if resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("extern/rest.php: CORS headers %v", resp.Header)
	}
}

package tests

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/translate"
)

// What CiviCRM receives for a legacy call through real Caddy: the modern
// endpoint, entity/action, one json= object with exactly the params
// extern/rest.php would have built (spec vectors 1-5, 7, 8), no credential.
func TestLegacyCallsReachCiviCRMAsOneJSON(t *testing.T) {
	env := startAuthEnv(t, "")
	creds := "&key=" + env.siteKey + "&api_key=" + env.stub.APIKey
	extern := env.inst.URL + "/sites/all/modules/civicrm/extern/rest.php"
	for _, tc := range []struct {
		name, method, query, body string
		entity, action, json      string
	}{
		{"vector 1", "GET", "entity=Contact&action=get&json=1&first_name=Alice&options[limit]=5&sequential=1", "",
			"Contact", "get", `{"first_name":"Alice","options":{"limit":"5"},"sequential":"1"}`},
		{"vector 2", "GET", `entity=Contact&action=get&json={"sequential":1,"options":{"limit":5,"sort":"id"},"first_name":"Bob"}&first_name=Alice&options[offset]=10`, "",
			"Contact", "get", `{"sequential":1,"options":{"offset":"10"},"first_name":"Alice"}`},
		{"vector 3", "GET", "entity=Contact&action=get&json=1&return[]=display_name&return[]=email", "",
			"Contact", "get", `{"return":["display_name","email"],"return.0":1,"return.1":1}`},
		{"vector 5", "GET", "entity=Contact&action=get&json=1&api.Email.get[return]=email&return.display_name=1&option.limit=2", "",
			"Contact", "get", `{"api_Email_get":{"return":"email"},"return_display_name":"1","option_limit":"2"}`},
		{"vector 7", "GET", "entity=Contact&action=get&json=[1,2]&id=4", "",
			"Contact", "get", `{"id":"4"}`},
		{"vector 8", "POST", "entity=Contact&action=get&json=1", `json={"id":3}&first_name=Z`,
			"Contact", "get", `{"id":3,"first_name":"Z"}`},
		{"q routing", "GET", "q=civicrm/contact/get&json=1&id=2", "",
			"contact", "get", `{"id":"2"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.query + creds
			body := tc.body
			if tc.method == "POST" {
				body += creds
				q = tc.query
			}
			got := do(t, tc.method, extern+"?"+escapeQuery(q), body, nil)
			if got.status != 200 || got.body != stubContactGet {
				t.Fatalf("client got %d %s", got.status, got.body)
			}
			reqs, bodies := env.stub.seen()
			var r *http.Request
			var rb string
			for i := range reqs {
				if reqs[i].URL.Path == "/civicrm/ajax/rest" {
					r, rb = reqs[i], bodies[i]
				}
			}
			if r == nil {
				t.Fatal("no call reached civicrm/ajax/rest")
			}
			if r.Method != tc.method {
				t.Errorf("method %s, want %s (the destructive-GET rule depends on it)", r.Method, tc.method)
			}
			params := r.URL.Query()
			if tc.method == "POST" {
				post := translate.NewArray()
				translate.ParsePost(post, r.Header.Get("Content-Type"), []byte(rb), translate.DefaultLimits)
				params = url.Values{}
				for i := range post.Len() {
					params.Set(post.Key(i), post.String(post.Key(i)))
				}
			}
			if len(params) != 3 || params.Get("entity") != tc.entity || params.Get("action") != tc.action || params.Get("json") != tc.json {
				t.Errorf("upstream params %v\nwant entity=%s action=%s json=%s", params, tc.entity, tc.action, tc.json)
			}
			// The call goes as X-Civi-Auth, which ajax/rest's CSRF check
			// exempts: the client sent no X-Requested-With, nor is one added.
			if xrw := r.Header.Values("X-Requested-With"); len(xrw) != 0 || r.Header.Get("X-Civi-Auth") == "" {
				t.Errorf("X-Requested-With %q, X-Civi-Auth %q", xrw, r.Header.Get("X-Civi-Auth"))
			}
		})
	}
}

// escapeQuery percent-encodes what a browser would (braces, quotes,
// brackets stay meaningful to PHP after decoding).
func escapeQuery(q string) string {
	return strings.NewReplacer("{", "%7B", "}", "%7D", `"`, "%22", " ", "%20").Replace(q)
}

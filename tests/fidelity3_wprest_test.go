package tests

// Fidelity of the WordPress REST route's headers and WordPress core's
// global parameters, from WordPress core's code (wordpress-develop
// src/wp-includes/rest-api/class-wp-rest-server.php serve_request,
// rest-api.php) and CiviCRM's plugin (civicrm-wordpress wp-rest/).

import (
	"net/http"
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

// WordPress core's _envelope (the query's, any value): serve_request wraps
// the response after rest_post_dispatch as {"body","status","headers"} and
// answers 200 (envelope_response): the call's data with its Allow header
// inside, a WordPress error with its status, an XML answer as the
// plugin's serve_xml_response renders the envelope's data (one <Result>
// of body, status and headers).
func TestFidWPEnvelope(t *testing.T) {
	sim, _, inst := a8Setup(t, "cache off")
	sk, ak := sim.SiteKey(), sim.Admin().APIKey
	for _, tc := range []struct {
		name, target, want string
	}{
		{"JSON", fidWPQuery(sk, ak, "entity", "Contact", "action", "get", "id", "2", "return", "display_name", "json", "1", "_envelope", ""),
			`{"body":{"is_error":0,"version":3,"count":1,"id":2,"values":[{"contact_id":"2","display_name":"Standalone Admin","id":"2"}]},"status":200,"headers":{"Allow":"GET, POST, PUT, PATCH, DELETE"}}`},
		{"error", "/wp-json/civicrm/v3/rest?entity=Contact&action=get&json=1&_envelope=1&key=" + url.QueryEscape(sk),
			`{"body":{"code":"civicrm_rest_api_error","message":"Missing or invalid param \"api_key\".","data":null},"status":500,"headers":[]}`},
		{"XML getsingle", fidWPQuery(sk, ak, "entity", "Contact", "action", "getsingle", "id", "2", "return", "display_name", "_envelope", "1"),
			"<?xml version=\"1.0\"?>\n<ResultSet xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><Result><body><_contact_id>2</_contact_id><_display_name>Standalone Admin</_display_name><_id>2</_id></body><status>200</status><headers/></Result></ResultSet>\n"},
	} {
		resp, body := fidDo(t, "GET", inst.URL+tc.target, nil, "")
		if resp.StatusCode != 200 || body != tc.want || resp.Header.Get("Allow") != "" {
			t.Errorf("%s:\n got: %d (Allow %q) %s\nwant: 200 %s", tc.name, resp.StatusCode, resp.Header.Get("Allow"), body, tc.want)
		}
	}
}

// WordPress core's _fields (rest_filter_response_fields on
// rest_post_dispatch, from any parameter source) trims the JSON answer's
// data to the listed keys, dotted names reaching inside them
// (_rest_array_intersect_key_recursive: values.id keeps no entry of the
// values list, whose keys are 0, 1…). An answer WordPress's filter dies
// on (getcount's bare number: a TypeError after the call ran) is sent
// whole (README, deliberate deviations).
func TestFidWPFields(t *testing.T) {
	sim, _, inst := a8Setup(t, "cache off")
	sk, ak := sim.SiteKey(), sim.Admin().APIKey
	get := []string{"entity", "Contact", "action", "get", "id", "2", "return", "display_name", "json", "1"}
	for _, tc := range []struct {
		name, target, want string
	}{
		{"top level", fidWPQuery(sk, ak, append(get, "_fields", "count, values")...),
			`{"count":1,"values":[{"contact_id":"2","display_name":"Standalone Admin","id":"2"}]}`},
		{"inside values", fidWPQuery(sk, ak, append(get, "_fields", "is_error,values.display_name")...),
			`{"is_error":0,"values":[]}`},
		{"getsingle", fidWPQuery(sk, ak, "entity", "Contact", "action", "getsingle", "id", "2", "return", "display_name", "json", "1", "_fields", "display_name"),
			`{"display_name":"Standalone Admin"}`},
		{"getcount", fidWPQuery(sk, ak, "entity", "Contact", "action", "getcount", "id", "2", "json", "1", "_fields", "x"), `1`},
	} {
		resp, body := fidDo(t, "GET", inst.URL+tc.target, nil, "")
		if resp.StatusCode != 200 || body != tc.want {
			t.Errorf("%s:\n got: %d %s\nwant: 200 %s", tc.name, resp.StatusCode, body, tc.want)
		}
	}
}

// The method WordPress's route sees: the query's _method, else an
// X-HTTP-Method-Override header (serve_request, upper-cased). A POST whose
// route method is GET reads no form body parameters
// (WP_REST_Request::get_parameter_order), so the form's id does not reach
// the call; PATCH reads them as POST does; a method the route does not
// take is 404 rest_no_route; HEAD runs the call (without the form's
// parameters, as GET) and echoes no body.
func TestFidWPMethodOverride(t *testing.T) {
	sim, u, inst := a8Setup(t, "cache off")
	var seen []string
	u.set(func(w http.ResponseWriter, r *http.Request) bool {
		if err := r.ParseMultipartForm(1 << 20); err == nil {
			seen = append(seen, r.FormValue("json"))
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"is_error":0,"version":3,"count":0,"values":[]}`))
		return true
	})
	q := "/wp-json/civicrm/v3/rest?entity=Contact&action=get&json=1&key=" + url.QueryEscape(sim.SiteKey()) + "&api_key=" + url.QueryEscape(sim.Admin().APIKey)
	for _, tc := range []struct {
		name, suffix, override string
		status                 int
		body, upstream         string
	}{
		{"_method=GET", "&_method=get", "", 200, `{"is_error":0,"version":3,"count":0,"values":[]}`, `"_method":"get","version":3`},
		{"override GET", "", "GET", 200, `{"is_error":0,"version":3,"count":0,"values":[]}`, `{"json":"1","version":3}`},
		{"override PATCH", "", "PATCH", 200, `{"is_error":0,"version":3,"count":0,"values":[]}`, `"id":"2"`},
		{"_method=HEAD", "&_method=HEAD", "", 200, ``, `"_method":"HEAD","version":3`},
		{"_method=FOO", "&_method=FOO", "", 404, `{"code":"rest_no_route","message":"No route was found matching the URL and request method.","data":{"status":404}}`, ""},
	} {
		seen = nil
		hdr := map[string]string{}
		if tc.override != "" {
			hdr["X-HTTP-Method-Override"] = tc.override
		}
		resp, body := fidDo(t, "POST", inst.URL+q+tc.suffix, hdr, "id=2")
		up := strings.Join(seen, "|")
		if resp.StatusCode != tc.status || body != tc.body || tc.upstream != "" && !strings.Contains(up, tc.upstream) || tc.upstream == "" && up != "" {
			t.Errorf("%s: got %d %q, upstream %q; want %d %q, upstream with %q", tc.name, resp.StatusCode, body, up, tc.status, tc.body, tc.upstream)
		}
	}
}

// OPTIONS on the route: WordPress's rest_handle_options_request
// (rest_pre_dispatch) answers the route's description
// (get_data_for_route in the 'help' context: namespace, methods, the
// endpoint's args with their schema keywords and required, the plugin's
// item schema, the self link) with 200 and rest_send_allow_header's Allow,
// running nothing; the plugin's own rest_pre_dispatch hook runs first and
// refuses a request without a valid api_key with its login error (500).
// _method=OPTIONS on a GET is the same request to WordPress.
func TestFidWPOptionsDescribesTheRoute(t *testing.T) {
	sim, u, inst := a8Setup(t, "cache off")
	var ran int
	u.set(func(w http.ResponseWriter, r *http.Request) bool {
		ran++
		return false
	})
	host := strings.TrimPrefix(inst.URL, "http://")
	want := `{"namespace":"civicrm\/v3","methods":["GET","POST","PUT","PATCH","DELETE"],"endpoints":[{"methods":["GET","POST","PUT","PATCH","DELETE"],` +
		`"args":{"key":{"type":"string","required":false},"api_key":{"type":"string","required":false},"entity":{"type":"string","required":true},` +
		`"action":{"type":"string","required":true},"json":{"type":["integer","string","array"],"required":false}}}],` +
		`"schema":{"$schema":"http:\/\/json-schema.org\/draft-04\/schema#","title":"civicrm\/v3\/rest","description":"CiviCRM API3 WP rest endpoint wrapper",` +
		`"type":"object","required":["entity","action","params"],"properties":{"is_error":{"type":"integer"},"version":{"type":"integer"},` +
		`"count":{"type":"integer"},"values":{"type":"array"}}},"_links":{"self":[{"href":"http:\/\/` + host + `\/wp-json\/civicrm\/v3\/rest"}]}}`
	creds := fidWPQuery(sim.SiteKey(), sim.Admin().APIKey, "entity", "Contact", "action", "delete", "id", "2", "json", "1")
	for _, tc := range []struct {
		name, method, target string
		status               int
		allow, body          string
	}{
		{"OPTIONS", "OPTIONS", creds, 200, "GET, POST, PUT, PATCH, DELETE", want},
		{"_method=OPTIONS", "GET", creds + "&_method=OPTIONS", 200, "GET, POST, PUT, PATCH, DELETE", want},
		{"no api_key", "OPTIONS", "/wp-json/civicrm/v3/rest?entity=Contact&action=delete&json=1", 500, "",
			`{"code":"civicrm_rest_api_error","message":"Missing or invalid param \"api_key\".","data":null}`},
	} {
		resp, body := fidDo(t, tc.method, inst.URL+tc.target, nil, "")
		if resp.StatusCode != tc.status || body != tc.body || resp.Header.Get("Allow") != tc.allow ||
			resp.Header.Get("Content-Type") != "application/json; charset=UTF-8" {
			t.Errorf("%s:\n got: %d %q %q %s\nwant: %d %q %s", tc.name, resp.StatusCode, resp.Header.Get("Allow"), resp.Header.Get("Content-Type"), body, tc.status, tc.allow, tc.body)
		}
	}
	if ran != 0 {
		t.Errorf("%d requests reached CiviCRM's API", ran)
	}
}

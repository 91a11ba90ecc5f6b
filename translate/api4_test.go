package translate

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func api4Request(t *testing.T, method, target, ct, body string) *Call {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	route, ok := Recognise(method, r.URL, RecogniseConfig{API4: true})
	if !ok || route.Form != FormAPI4 {
		t.Fatalf("%s %s not recognised as APIv4: %+v", method, target, route)
	}
	c, reply := ParseEnvelope(r, route, ParseOptions{})
	if reply != nil || c.API4 == nil {
		t.Fatalf("%s %s: %+v %+v", method, target, c, reply)
	}
	if c.API4.Params != nil || c.API4.Calls != nil {
		t.Fatalf("%s %s: decoded before authentication", method, target)
	}
	c.DecodeParams(r.Context())
	t.Cleanup(c.Release) // the decode budget's share
	return c
}

const formCT = "application/x-www-form-urlencoded"

// What CiviCRM's APIv4 page runs for a request (spec §2.1), as the edge
// must judge it.
func TestParseAPI4(t *testing.T) {
	cases := []struct {
		name, method, target, ct, body string
		params                         string // EncodeJSON of the effective params; "nil": CiviCRM runs nothing
		merged                         string
	}{
		{"POST params", "POST", "/civicrm/ajax/api4/Contact/get", formCT, `params={"select":["id"]}`, `{"select":["id"]}`, ""},
		{"GET params", "GET", `/civicrm/ajax/api4/Contact/get?params={"limit":2}`, "", "", `{"limit":2}`, ""},
		{"a POST body's params beat the query's (request_order GP)", "POST", `/civicrm/ajax/api4/Note/get?params={"limit":1}`, formCT, `params={"limit":2}`, `{"limit":2}`, ""},
		{"query keys merge, the JSON wins, routing and credentials do not", "GET",
			`/civicrm/ajax/api4/Note/get?params={"limit":2}&limit=5&offset=1&_=17&_authx=Bearer+k&key=s&api_key=a&index=0`, "", "",
			`{"limit":2,"offset":"1"}`, "offset"},
		{"query keys merge on a POST too, a chain included", "POST", "/civicrm/ajax/api4/Contact/get?chain[n][0]=Note&chain[n][1]=create", formCT, `params={}`,
			`{"chain":{"n":["Note","create"]}}`, "chain"},
		{"POST form keys other than params are ignored", "POST", "/civicrm/ajax/api4/Note/get", formCT, "limit=1&chain[n][0]=Note", `[]`, ""},
		{"a JSON body is invisible", "POST", "/civicrm/ajax/api4/Note/create", "application/json", `{"params":{"values":{"note":"x"}}}`, `[]`, ""},
		{`params "0" is []`, "POST", "/civicrm/ajax/api4/Note/get", formCT, "params=0", `[]`, ""},
		{"params not JSON: nothing runs", "POST", "/civicrm/ajax/api4/Note/get", formCT, "params=nope", "nil", ""},
		{"params a JSON scalar: nothing runs", "POST", "/civicrm/ajax/api4/Note/get", formCT, "params=5", "nil", ""},
		{"params an array: nothing runs", "POST", "/civicrm/ajax/api4/Note/get", formCT, "params[a]=5", "nil", ""},
		{"params a JSON list", "POST", "/civicrm/ajax/api4/Note/get", formCT, "params=[1]", `[1]`, ""},
		// CRM_Utils_Request::getValue: a missing name is found under a key
		// holding "amp;" (CRM-18384).
		{"amp;params stands for params", "GET", `/civicrm/ajax/api4/Contact/get?amp;params={"chain":{"x":["Note","create"]}}`, "", "",
			`{"chain":{"x":["Note","create"]}}`, ""},
		{"so do paramp;ams and amp;amp;params", "POST", `/civicrm/ajax/api4/Contact/get?amp;amp;params={"limit":1}`, formCT, `paramp;ams={"limit":2}`,
			`{"limit":1}`, ""},
		{"params itself wins over an alias", "POST", `/civicrm/ajax/api4/Contact/get?amp;params={"limit":1}`, formCT, `params={"limit":2}`,
			`{"limit":2}`, ""},
		{"an alias's copy lands on a later alias", "GET", `/civicrm/ajax/api4/Contact/get?amamp;p;params={"limit":1}&amp;params={"limit":2}`, "", "",
			`{"limit":1}`, ""},
		{"an alias is never merged", "GET", `/civicrm/ajax/api4/Contact/get?params={}&amp;index=1&amp;limit=1`, "", "",
			`{"amp;limit":"1"}`, "amp;limit"},
	}
	for _, tc := range cases {
		c := api4Request(t, tc.method, tc.target, tc.ct, tc.body)
		got := "nil"
		if c.API4.Params != nil {
			got = string(EncodeJSON(c.API4.Params, JSONOptions{}))
		}
		if got != tc.params || strings.Join(c.API4.Merged, ",") != tc.merged {
			t.Errorf("%s: params %s merged %q, want %s %q", tc.name, got, c.API4.Merged, tc.params, tc.merged)
		}
	}

	c := api4Request(t, "POST", "/civicrm/ajax/api4/Contact/get?index=5&_authx=Bearer+q", formCT, "index=id&_authx=Bearer+f&api_key=a")
	if !c.API4.HasIndex || c.API4.Index != any("id") || c.Credentials.Authx != "Bearer f" || c.Credentials.APIKey != "a" {
		t.Errorf("index and credentials: %+v %+v", c.API4, c.Credentials)
	}
	c = api4Request(t, "GET", "/civicrm/ajax/api4/Contact/get?_authx=Bearer+q", "", "")
	if c.Credentials.Authx != "Bearer q" {
		t.Errorf("GET _authx: %+v", c.Credentials)
	}

	batch := api4Request(t, "POST", `/civicrm/ajax/api4?calls=[["Note","create"]]`, formCT, `calls={"a":["Contact","get"]}`)
	if !batch.API4.Batch || !batch.Batch || string(EncodeJSON(batch.API4.Calls, JSONOptions{})) != `{"a":["Contact","get"]}` {
		t.Errorf("batch calls come from the POST form only: %+v", batch.API4)
	}
	if b := api4Request(t, "POST", `/civicrm/ajax/api4?calls=[["Note","create"]]`, formCT, ""); b.API4.Calls != nil {
		t.Errorf("calls from the query: %+v", b.API4.Calls)
	}
	if b := api4Request(t, "POST", `/civicrm/ajax/api4`, formCT, `amp;calls=[["Note","create"]]`); b.API4.Calls == nil || b.API4.Calls.Len() != 1 {
		t.Errorf("amp;calls in the form: %+v", b.API4.Calls)
	}
}

// Every call a request runs: the walker per API version behind one entry.
func TestWalkAPI4(t *testing.T) {
	c := api4Request(t, "GET", `/civicrm/ajax/api4/Contact/get?params={"chain":{"e":["Email","get",{"chain":{"d":["Email","delete"]}}]}}`, "", "")
	var got []string
	Walk(c, func(sc Subcall) bool {
		got = append(got, sc.Entity+"."+sc.Action)
		return true
	})
	if strings.Join(got, " ") != "Contact.get Email.get Email.delete Email.get" { // delete runs get
		t.Errorf("walk: %v", got)
	}
	b := api4Request(t, "POST", "/civicrm/ajax/api4", formCT, `calls=[["Contact","get"],{"entity":"Note","action":"create"}]`)
	got = nil
	Walk(b, func(sc Subcall) bool {
		got = append(got, sc.Entity+"."+sc.Action)
		return true
	})
	if strings.Join(got, " ") != "Contact.get Note.create" {
		t.Errorf("batch walk: %v", got)
	}
}

// APIv4 goes upstream on its own route with its own method, carrying what
// the edge judged in one place only: the call's variable (params and
// index, or calls) canonically spelled, in the query of a GET or a
// multipart body of a POST; of the client's query only the CMS's routing
// keys and the merged keys; no credential, no alias.
func TestBuildUpstreamAPI4(t *testing.T) {
	type want struct {
		query  string // the upstream query as sent
		fields string // the POST form PHP registers, as PHP-style JSON
	}
	cases := []struct {
		name, method, target, ct, body string
		want                           want
	}{
		{"POST: credentials, junk and merged keys", "POST",
			"/civicrm/ajax/api4/Contact%2Fget?limit=5&_authx=Bearer+q&key=s&api_key=a&_authxSiteKey=s&_=17", formCT,
			`params={"select":["id"]}&index=0&_authx=Bearer+f&api_key=a&junk=1`,
			want{"limit=5", `{"index":"0","params":"{\"select\":[\"id\"]}"}`}},
		{"POST: params from the query go in the body, once", "POST", `/civicrm/ajax/api4/Contact/get?params={"limit":1}&index=id`, formCT, "",
			want{"", `{"index":"id","params":"{\"limit\":1}"}`}},
		{"POST: the body's params win, the query's is not sent", "POST", `/civicrm/ajax/api4/Contact/get?params={"chain":{"x":["Note","create"]}}`, formCT,
			`params={"limit":2}`, want{"", `{"params":"{\"limit\":2}"}`}},
		{"POST: an alias is sent as params", "POST", `/civicrm/ajax/api4/Contact/get?amp;params={"limit":3}&paramp;ams=x`, formCT, "",
			want{"", `{"params":"{\"limit\":3}"}`}},
		{"POST: a key the JSON shadows is not sent", "POST", `/civicrm/ajax/api4/Contact/get?chain[x][0]=Note&chain[x][1]=create&limit=1`, formCT,
			`params={"chain":{}}`, want{"limit=1", `{"params":"{\"chain\":[]}"}`}},
		{"POST: the JSON re-encoded, its spelling normalised", "POST", "/civicrm/ajax/api4/Contact/get", formCT,
			`params={"a":1,"a":2,"b":"\u00e9\/"}`, want{"", `{"params":"{\"a\":2,\"b\":\"\u00e9\/\"}"}`}},
		{"POST: params CiviCRM cannot run go as they came", "POST", "/civicrm/ajax/api4/Contact/get", formCT, `params=nope`,
			want{"", `{"params":"nope"}`}},
		{"POST: an array index", "POST", "/civicrm/ajax/api4/Contact/get", formCT, `params={}&index[id]=display_name`,
			want{"", `{"index":{"id":"display_name"},"params":"{}"}`}},
		{"POST: no params", "POST", "/civicrm/ajax/api4/Contact/get?x=1", formCT, "", want{"x=1", `[]`}},
		// lcMessages picks the answer's locale from $_REQUEST: it goes
		// where PHP reads it, the body's over the query's.
		{"POST: lcMessages from the body", "POST", "/civicrm/ajax/api4/Contact/get", formCT, `params={}&lcMessages=de_DE&x=1`,
			want{"", `{"lcMessages":"de_DE","params":"{}"}`}},
		{"POST: the body's lcMessages over the query's", "POST", "/civicrm/ajax/api4/Contact/get?lcMessages=fr_FR", formCT, `params={}&lcMessages=de_DE`,
			want{"lcMessages=fr_FR", `{"lcMessages":"de_DE","params":"{}"}`}},
		{"POST: the query's lcMessages", "POST", "/civicrm/ajax/api4/Contact/get?lcMessages=fr_FR", formCT, `params={}`,
			want{"lcMessages=fr_FR", `{"lcMessages":"fr_FR","params":"{}"}`}},
		{"POST: lcMessages by an amp; alias", "POST", "/civicrm/ajax/api4/Contact/get", formCT, `params={}&amp;lcMessages=de_DE`,
			want{"", `{"lcMessages":"de_DE","params":"{}"}`}},
		{"GET: the query's lcMessages, once", "GET", `/civicrm/ajax/api4/Contact/get?params={}&lcMessages=fr_FR`, "", "",
			want{"lcMessages=fr_FR&params=%7B%7D", ""}},
		{"GET: lcMessages the JSON shadows as a param still picks the locale", "GET", `/civicrm/ajax/api4/Contact/get?params={"lcMessages":"x"}&lcMessages=fr_FR`, "", "",
			want{"lcMessages=fr_FR&params=%7B%22lcMessages%22%3A%22x%22%7D", ""}},
		{"POST: WordPress routing keys stay", "POST", "/?civiwp=CiviCRM&q=civicrm/ajax/api4/Contact/get&params=%7B%7D", formCT, "",
			want{"civiwp=CiviCRM&q=civicrm%2Fajax%2Fapi4%2FContact%2Fget", `{"params":"{}"}`}},
		{"batch: calls re-encoded in the body, nothing else", "POST", `/civicrm/ajax/api4?calls=[]&amp;calls=[]&x=1`, formCT,
			`calls={"a":{"1":"Note","0":"get"}}&junk=1`, want{"", `{"calls":"{\"a\":{\"1\":\"Note\",\"0\":\"get\"}}"}`}},
		// CiviCRM reads credentials by exact name only on this route, but
		// an HTML-escaped or miscased spelling holds one all the same.
		{"GET: no spelling of a credential goes", "GET",
			`/civicrm/ajax/api4/Contact/get?params={}&amp;key=s&amp;api_key=a&amp;_authx=Bearer+x&amp;_authxSiteKey=s&amp;_authxSes=1&amp;amp;key=s&keamp;y=s&API_KEY=a&Key=s&limit=1`, "", "",
			want{"limit=1&params=%7B%7D", ""}},
		{"POST: no spelling of a credential goes", "POST",
			`/civicrm/ajax/api4/Contact/get?amp;key=s&amp;api_key=a&amp;_authx=Bearer+x&_AUTHX=Bearer+x&limit=1`, formCT, `params={}&amp;_authx=Bearer+f&amp;key=s`,
			want{"limit=1", `{"params":"{}"}`}},
		{"GET: params canonically in the query", "GET", `/civicrm/ajax/api4/Contact/get?amp;params={}&_authx=Bearer+q&limit=2`, "", "",
			want{"limit=2&params=%7B%7D", ""}},
		{"GET: the query's params, not an alias", "GET", `/civicrm/ajax/api4/Contact/get?params={"limit":1}&amp;params={"chain":1}&amp;index=x`, "", "",
			want{"index=x&params=%7B%22limit%22%3A1%7D", ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := api4Request(t, tc.method, tc.target, tc.ct, tc.body)
			up, err := BuildUpstream(c, UpstreamConfig{OmitCredentials: true})
			if err != nil {
				t.Fatal(err)
			}
			if up.Method != tc.method || up.RawQuery != tc.want.query {
				t.Errorf("%s ?%s, want %s ?%s", up.Method, up.RawQuery, tc.method, tc.want.query)
			}
			if tc.method != "POST" {
				if up.Body != nil {
					t.Errorf("a %s with a body: %s", tc.method, up.Body)
				}
				return
			}
			post := NewArray()
			ParsePost(post, up.Header.Get("Content-Type"), up.Body, Limits{})
			if got := string(EncodeJSON(post, JSONOptions{Legacy: true})); got != tc.want.fields {
				t.Errorf("form %s, want %s\n%s", got, tc.want.fields, up.Body)
			}
		})
	}

	c := api4Request(t, "POST", "/civicrm/ajax/api4/Contact%2Fget", formCT, `params={}`)
	up, _ := BuildUpstream(c, UpstreamConfig{})
	if up.Path != "/civicrm/ajax/api4/Contact/get" || up.RawPath != "/civicrm/ajax/api4/Contact%2Fget" ||
		!strings.HasPrefix(up.Header.Get("Content-Type"), "multipart/form-data; boundary=") {
		t.Errorf("route and encoding: %s %s %s", up.Path, up.RawPath, up.Header.Get("Content-Type"))
	}
}

// The upstream body is the params' JSON and a few bytes, however costly
// its characters are to URL-encode, and one past max_body_size is refused.
func TestBuildUpstreamAPI4Size(t *testing.T) {
	js := `{"where":[["display_name","=","` + strings.Repeat(`!"#&+/<>`, 100_000) + `"]]}`
	js = strings.ReplaceAll(js, `"#`, `\"#`)
	c := api4Request(t, "POST", "/civicrm/ajax/api4/Contact/get", formCT, "params="+url.QueryEscape(js))
	up, err := BuildUpstream(c, UpstreamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if len(up.Body) > len(js)+256 {
		t.Errorf("upstream body %d bytes for %d of JSON", len(up.Body), len(js))
	}
	if _, err := BuildUpstream(c, UpstreamConfig{MaxBodyBytes: int64(len(up.Body) - 1)}); !errors.Is(err, ErrUpstreamTooLarge) {
		t.Errorf("past max_body_size: %v", err)
	}
	if _, err := BuildUpstream(c, UpstreamConfig{MaxBodyBytes: int64(len(up.Body))}); err != nil {
		t.Errorf("at max_body_size: %v", err)
	}
}

// EncodeForm's output parses back, in real PHP, into the array it encoded,
// so CiviCRM runs exactly what the edge judged.
func TestEncodeFormRoundTripsThroughPHP(t *testing.T) {
	queries := []string{
		"a=1&b[]=2&b[]=3&c[x][y]=4&c[x][]=5",
		"where[0][]=id&where[0][]=%3C&where[0][]=3&select[]=id&orderBy[id]=DESC",
		"chain[n][0]=Note&chain[n][2][values][entity_id]=%24id&x.y=1&a+b=2",
		"k=%00v&u=%C3%A9%2B%26%3D&e=&n[-5]=1&n[]=2&s[a%5Bb]=1&t[a.b]=2",
		"d[]=1&d[5]=2&d[]=3&z[0][0][0][0]=deep",
	}
	var encoded []string
	var want []string
	for _, q := range queries {
		a := NewArray()
		ParseQuery(a, q, Limits{}.withDefaults()) //nolint:errcheck
		encoded = append(encoded, EncodeForm(a))
		var b strings.Builder
		dumpValue(&b, a)
		want = append(want, b.String())
	}
	got := runPHP(t, 'Q', encoded)
	for i := range queries {
		if got[i] != want[i] {
			t.Errorf("%s → %s:\nphp %s\n go %s", queries[i], encoded[i], got[i], want[i])
		}
	}
}

func TestAPI4MethodRules(t *testing.T) {
	for action, ok := range map[string]bool{"get": true, "GETFields": true, "getChecksum": true, "autocomplete": true,
		"Autocomplete": false, "create": false, "": false, "checkAccess": false, "ge": false} {
		if API4GetAllowed(action) != ok {
			t.Errorf("GET %q allowed = %v", action, !ok)
		}
	}
	for method, status := range map[string]int{"GET": 0, "POST": 0, "OPTIONS": 204, "HEAD": 405, "PUT": 405, "PATCH": 405, "DELETE": 405, "TRACE": 405} {
		r := API4MethodReply(method)
		switch {
		case status == 0 && r != nil, status != 0 && (r == nil || r.Status != status):
			t.Errorf("%s: %+v", method, r)
		}
	}
	if !API4CSRFPasses(http.MethodPost, "XMLHttpRequest", "none") || API4CSRFPasses(http.MethodPost, "xmlhttprequest", "header") ||
		!API4CSRFPasses(http.MethodPost, "", "xheader") || !API4CSRFPasses(http.MethodPost, "", "legacyrest") || API4CSRFPasses(http.MethodGet, "", "none") {
		t.Error("CSRF rule")
	}
}

package translate

import (
	"net/http"
	"net/http/httptest"
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
	if !c.API4.HasIndex || c.API4.Index != "id" || c.Credentials.Authx != "Bearer f" || c.Credentials.APIKey != "a" {
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
}

// Every call a request runs: the walker per API version behind one entry.
func TestWalkAPI4(t *testing.T) {
	c := api4Request(t, "GET", `/civicrm/ajax/api4/Contact/get?params={"chain":{"e":["Email","get",{"chain":{"d":["Email","delete"]}}]}}`, "", "")
	var got []string
	Walk(c, func(sc Subcall) bool {
		got = append(got, sc.Entity+"."+sc.Action)
		return true
	})
	if strings.Join(got, " ") != "Contact.get Email.get Email.delete" {
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

// APIv4 goes upstream on its own route with its own method, PHP's $_GET and
// the form fields the page reads re-encoded, credentials left out.
func TestBuildUpstreamAPI4(t *testing.T) {
	c := api4Request(t, "POST", "/civicrm/ajax/api4/Contact%2Fget?limit=5&_authx=Bearer+q&key=s&api_key=a&_authxSiteKey=s", formCT,
		`params={"select":["id"]}&index=0&_authx=Bearer+f&api_key=a&junk=1`)
	up, err := BuildUpstream(c, UpstreamConfig{OmitCredentials: true})
	if err != nil {
		t.Fatal(err)
	}
	if up.Method != "POST" || up.Path != "/civicrm/ajax/api4/Contact/get" || up.RawPath != "/civicrm/ajax/api4/Contact%2Fget" {
		t.Errorf("route: %s %s %s", up.Method, up.Path, up.RawPath)
	}
	if up.RawQuery != "limit=5" {
		t.Errorf("query: %s", up.RawQuery)
	}
	if string(up.Body) != "params=%7B%22select%22%3A%5B%22id%22%5D%7D&index=0" || up.Header.Get("Content-Type") != formCT {
		t.Errorf("body: %s", up.Body)
	}
	g := api4Request(t, "GET", `/civicrm/ajax/api4/Contact/get?params={}&_authx=Bearer+q`, "", "")
	if up, _ := BuildUpstream(g, UpstreamConfig{}); up.Method != "GET" || up.RawQuery != "params=%7B%7D" || up.Body != nil {
		t.Errorf("GET: %+v", up)
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

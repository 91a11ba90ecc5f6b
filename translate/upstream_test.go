package translate

import (
	"errors"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func testCall(t testing.TB, form Form, method, params string) *Call {
	t.Helper()
	p, _ := mustDecode(t, params).(*Array)
	return &Call{
		Form: form, Method: method, Entity: "Contact", Action: "get", Params: p, Format: FormatJSON,
		Credentials: Credentials{SiteKey: "SITEKEY-123", APIKey: "APIKEY-456"},
	}
}

// upstreamParams is what PHP sees as request key-values of the built
// request: the query, plus the form body for POST.
func upstreamParams(t *testing.T, r *UpstreamRequest) url.Values {
	t.Helper()
	v, err := url.ParseQuery(r.RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	if r.Method == "POST" {
		post := NewArray()
		ParsePost(post, r.Header.Get("Content-Type"), r.Body, DefaultLimits)
		for i := range post.Len() {
			s, ok := post.Value(i).(string)
			if !ok {
				t.Fatalf("POST field %s is not a string", post.Key(i))
			}
			v[post.Key(i)] = append(v[post.Key(i)], s)
		}
	}
	return v
}

func TestBuildUpstreamGETandPOST(t *testing.T) {
	const params = `{"id":"2","sequential":1,"api.Email.get":{"return":"email"},"return":["display_name"],"options":{"limit":5,"sort":"id DESC"},"n":1.50,"u":"a/b & é"}`
	for _, method := range []string{"GET", "POST", "PUT", "HEAD"} {
		call := testCall(t, FormExtern, method, params)
		r, err := BuildUpstream(call, UpstreamConfig{})
		if err != nil {
			t.Fatal(err)
		}
		want := method
		if method == "HEAD" {
			want = "GET" // CiviCRM's destructive-GET rule holds for it (UpstreamMethod)
		}
		if r.Method != want || r.Path != "/civicrm/ajax/rest" {
			t.Errorf("%s: method/path %s %s", method, r.Method, r.Path)
		}
		if method == "POST" {
			if r.RawQuery != "" || !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data; boundary=") || len(r.Body) == 0 {
				t.Errorf("POST: query %q, type %q, body %q", r.RawQuery, r.Header.Get("Content-Type"), r.Body)
			}
		} else if r.Body != nil || r.Header.Get("Content-Type") != "" {
			t.Errorf("%s: body %q", method, r.Body)
		}
		v := upstreamParams(t, r)
		if len(v) != 3 || v.Get("entity") != "Contact" || v.Get("action") != "get" || len(v["json"]) != 1 {
			t.Errorf("%s: upstream params %v", method, v)
		}
		// CiviCRM json_decodes json= into exactly call.Params.
		got, err := DecodeJSON([]byte(v.Get("json")))
		if err != nil {
			t.Fatal(err)
		}
		if string(EncodeJSON(got, JSONOptions{})) != string(EncodeJSON(call.Params, JSONOptions{})) {
			t.Errorf("%s: json= round trip\n got %s\nwant %s", method, EncodeJSON(got, JSONOptions{}), EncodeJSON(call.Params, JSONOptions{}))
		}
		// X-Civi-Auth is CSRF-exempt: no X-Requested-With to pass it.
		if r.Header.Get("X-Requested-With") != "" || r.Header.Get("X-Civi-Auth") != "Bearer APIKEY-456" || r.Header.Get("X-Civi-Key") != "SITEKEY-123" {
			t.Errorf("%s: headers %v", method, r.Header)
		}
		all := r.RawQuery + string(r.Body)
		if strings.Contains(all, "APIKEY") || strings.Contains(all, "SITEKEY") || strings.Contains(all, "api_key") {
			t.Errorf("%s: credentials in URL or body: %s", method, all)
		}
	}
}

func TestBuildUpstreamJSONObject(t *testing.T) {
	for _, tt := range []struct{ params, json string }{
		{`[]`, `{}`},
		{`["a","b"]`, `{"0":"a","1":"b"}`},
		{`{"api.Contact.delete":1,"x":"1","f":false,"z":null}`, `{"api.Contact.delete":1,"x":"1","f":false,"z":null}`},
	} {
		r, err := BuildUpstream(testCall(t, FormExtern, "GET", tt.params), UpstreamConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if got := upstreamParams(t, r).Get("json"); got != tt.json {
			t.Errorf("%s: json=%s, want %s", tt.params, got, tt.json)
		}
	}
	c := testCall(t, FormExtern, "GET", `{}`)
	c.Params = nil
	r, _ := BuildUpstream(c, UpstreamConfig{})
	if got := upstreamParams(t, r).Get("json"); got != "{}" {
		t.Errorf("nil params: json=%s", got)
	}
}

func TestBuildUpstreamVerboseEndpoints(t *testing.T) {
	tests := []struct {
		endpoint, path, route string
	}{
		{"/index.php?q=civicrm/ajax/rest", "/index.php", "q=civicrm/ajax/rest"},
		{"/?civiwp=CiviCRM&q=civicrm/ajax/rest", "/", "civiwp=CiviCRM&q=civicrm/ajax/rest"},
		{"?civiwp=CiviCRM&q=civicrm/ajax/rest", "/", "civiwp=CiviCRM&q=civicrm/ajax/rest"},
		{"/index.php?option=com_civicrm&task=civicrm/ajax/rest", "/index.php", "option=com_civicrm&task=civicrm/ajax/rest"},
	}
	for _, tt := range tests {
		for _, method := range []string{"GET", "POST"} {
			r, err := BuildUpstream(testCall(t, FormExtern, method, `{"id":"2","q":"json q stays a param"}`), UpstreamConfig{Endpoint: tt.endpoint})
			if err != nil {
				t.Fatalf("%s: %v", tt.endpoint, err)
			}
			if r.Path != tt.path || !strings.HasPrefix(r.RawQuery, tt.route) {
				t.Errorf("%s %s: path %q query %q", method, tt.endpoint, r.Path, r.RawQuery)
			}
			if method == "POST" && r.RawQuery != tt.route {
				t.Errorf("POST %s: API params in the query: %q", tt.endpoint, r.RawQuery)
			}
		}
	}
	if _, err := BuildUpstream(testCall(t, FormExtern, "GET", `{}`), UpstreamConfig{Endpoint: "https://civi.example.org/civicrm/ajax/rest"}); err == nil {
		t.Error("a full URL as endpoint accepted")
	}
	// A call param named like a routing param would be overwritten by it.
	for _, tt := range []struct{ endpoint, params string }{
		{"/?civiwp=CiviCRM&q=civicrm/ajax/rest", `{"civiwp":"x"}`},
		{"/index.php?option=com_civicrm&task=civicrm/ajax/rest", `{"task":"t"}`},
		{"/index.php?option=com_civicrm&task=civicrm/ajax/rest", `{"option":"o"}`},
		{"/wp-admin/admin.php?page=CiviCRM&q=civicrm/ajax/rest", `{"page":"2"}`},
	} {
		_, err := BuildUpstream(testCall(t, FormExtern, "GET", tt.params), UpstreamConfig{Endpoint: tt.endpoint})
		if !errors.Is(err, ErrRoutingParamCollision) {
			t.Errorf("%s with %s: err %v", tt.endpoint, tt.params, err)
		}
	}
}

func TestBuildUpstreamCredentials(t *testing.T) {
	tests := []struct {
		name                               string
		form                               Form
		creds                              Credentials
		cfg                                UpstreamConfig
		xciviAuth, authorization, xciviKey string
	}{
		{"extern api_key", FormExtern, Credentials{SiteKey: "S", APIKey: "K"}, UpstreamConfig{}, "Bearer K", "", "S"},
		{"minted JWT wins", FormExtern, Credentials{SiteKey: "S", APIKey: "K"}, UpstreamConfig{Bearer: "eyJ.jwt"}, "Bearer eyJ.jwt", "", "S"},
		{"configured site key", FormExtern, Credentials{SiteKey: "S", APIKey: "K"}, UpstreamConfig{SiteKey: "REAL"}, "Bearer K", "", "REAL"},
		{"omit site key", FormExtern, Credentials{SiteKey: "S", APIKey: "K"}, UpstreamConfig{OmitSiteKey: true}, "Bearer K", "", ""},
		{"extern ignores client auth headers", FormExtern, Credentials{Authorization: "Bearer X", XCiviAuth: "Bearer Y"}, UpstreamConfig{}, "", "", ""},
		{"ajax X-Civi-Auth carried", FormAjax, Credentials{XCiviAuth: "Bearer Y", XCiviKey: "S2"}, UpstreamConfig{}, "Bearer Y", "", "S2"},
		{"ajax _authx as header", FormAjax, Credentials{Authx: "Bearer Z", AuthxSiteKey: "S3"}, UpstreamConfig{}, "Bearer Z", "", "S3"},
		{"ajax Authorization carried", FormAjaxVerbose, Credentials{Authorization: "Basic dTpw"}, UpstreamConfig{}, "", "Basic dTpw", ""},
		{"ajax legacyrest key", FormAjax, Credentials{SiteKey: "S", APIKey: "K"}, UpstreamConfig{}, "Bearer K", "", "S"},
		{"ajax none (session cookie)", FormAjax, Credentials{}, UpstreamConfig{}, "", "", ""},
		{"wp api_key", FormWPRest, Credentials{SiteKey: "S", APIKey: "K"}, UpstreamConfig{}, "Bearer K", "", "S"},
		{"omit credentials", FormAjax, Credentials{SiteKey: "S", APIKey: "K", Authorization: "Basic dTpw"}, UpstreamConfig{Bearer: "eyJ.jwt", OmitCredentials: true}, "", "", ""},
	}
	for _, tt := range tests {
		c := testCall(t, tt.form, "POST", `{}`)
		c.Credentials = tt.creds
		r, err := BuildUpstream(c, tt.cfg)
		if err != nil {
			t.Fatal(err)
		}
		h := r.Header
		if h.Get("X-Civi-Auth") != tt.xciviAuth || h.Get("Authorization") != tt.authorization || h.Get("X-Civi-Key") != tt.xciviKey {
			t.Errorf("%s: headers %v", tt.name, h)
		}
		// Only AuthX's header flow (Authorization) must pass ajax/rest's
		// CSRF check; X-Civi-Auth and the legacy flow are exempt.
		if want := tt.authorization != ""; (h.Get("X-Requested-With") == "XMLHttpRequest") != want || len(h["X-Requested-With"]) > 1 {
			t.Errorf("%s: X-Requested-With %q with Authorization %q", tt.name, h["X-Requested-With"], tt.authorization)
		}
		if len(r.StripHeaders) == 0 {
			t.Errorf("%s: no StripHeaders", tt.name)
		}
	}
}

func TestBuildUpstreamFnName(t *testing.T) {
	c := testCall(t, FormAjax, "GET", `{"fnName":"civicrm/contact/get"}`)
	c.FnName, c.ClassName = "civicrm/contact/get", "CRM_Contact_Page_AJAX"
	r, _ := BuildUpstream(c, UpstreamConfig{})
	v := upstreamParams(t, r)
	if v.Get("fnName") != "civicrm/contact/get" || v.Get("className") != "CRM_Contact_Page_AJAX" {
		t.Errorf("ajax: fnName/className not forwarded: %v", v)
	}
	// extern/rest.php resolved entity/action itself (entity beats fnName);
	// sending fnName as a request param would make ajax() prefer it.
	c.Form = FormExtern
	r, _ = BuildUpstream(c, UpstreamConfig{})
	if v := upstreamParams(t, r); v.Has("fnName") || v.Has("className") {
		t.Errorf("extern: fnName/className as request params: %v", v)
	}
}

func BenchmarkBuildUpstream(b *testing.B) {
	c := testCall(b, FormExtern, "GET", `{"id":"2","sequential":1,"return":["display_name","email"],"options":{"limit":25,"offset":0},"api.Email.get":{"is_primary":1}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildUpstream(c, UpstreamConfig{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBuildUpstreamWordPress(t *testing.T) {
	for _, method := range []string{"GET", "POST", "DELETE"} {
		c := testCall(t, FormWPRest, method, `{"version":4,"contact_type":"Individual","check_permissions":true}`)
		c.Action = "create"
		r, err := BuildUpstream(c, UpstreamConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Method != "POST" {
			t.Errorf("%s: upstream method %s", method, r.Method)
		}
		if got := upstreamParams(t, r).Get("json"); got != `{"version":3,"contact_type":"Individual","check_permissions":true}` {
			t.Errorf("%s: json=%s", method, got)
		}
		if !slices.Contains(r.StripHeaders, "Cookie") {
			t.Errorf("legacy form keeps client cookies")
		}
	}
	c := testCall(t, FormWPRest, "GET", `{}`)
	if _, err := BuildUpstream(c, UpstreamConfig{}); err != nil || c.Params.Has("version") {
		t.Errorf("BuildUpstream modified call.Params (err %v)", err)
	}
	r, _ := BuildUpstream(testCall(t, FormAjax, "GET", `{}`), UpstreamConfig{})
	if slices.Contains(r.StripHeaders, "Cookie") {
		t.Error("ajax form loses the session cookie CRM.api3 relies on")
	}
}

// entity=api3 is a batch on ajax/rest only. extern/rest.php and WordPress
// REST ran the API kernel on it (entity "Api3", which does not exist):
// such a call goes upstream under the kernel's name, so ajax() cannot run
// it as a batch; a real batch keeps its entity.
func TestBuildUpstreamAPI3IsNoBatch(t *testing.T) {
	for _, tc := range []struct {
		form   Form
		batch  bool
		entity string
	}{
		{FormExtern, false, "Api3"},
		{FormWPRest, false, "Api3"},
		{FormAjax, true, "api3"},
		{FormAjaxVerbose, true, "api3"},
	} {
		call := testCall(t, tc.form, "POST", `{"a":["Contact","delete",{"id":3}]}`)
		call.Entity, call.Action, call.Batch = "api3", "call", tc.batch
		r, err := BuildUpstream(call, UpstreamConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if got := upstreamParams(t, r).Get("entity"); got != tc.entity {
			t.Errorf("%s: upstream entity %q, want %q", tc.form, got, tc.entity)
		}
		var names []string
		WalkV3(call, func(sc Subcall) bool { names = append(names, sc.Entity+"."+sc.Action); return true })
		if !tc.batch && !slices.Equal(names, []string{"Api3.call"}) || tc.batch && !slices.Equal(names, []string{"Contact.delete"}) {
			t.Errorf("%s: the walker sees %q", tc.form, names)
		}
	}
	// As the parser builds them: only the AJAX forms batch.
	for _, target := range []string{"/sites/all/modules/civicrm/extern/rest.php", "/civicrm/ajax/rest"} {
		r := httptest.NewRequest("POST", target, strings.NewReader("entity=api3&action=call&json="+url.QueryEscape(`{"a":["Contact","get",{}]}`)))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		route, _ := Recognise("POST", r.URL, RecogniseConfig{})
		if c := mustParse(t, r, route); c.Batch != (route.Form == FormAjax) {
			t.Errorf("%s: batch %v", target, c.Batch)
		}
	}
}

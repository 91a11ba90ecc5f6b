package translate

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

const prefixKV = "entity=Contact&action=get&key=KEY&api_key=AK&json=1&"

func externRoute() Route { return Route{Form: FormExtern, Variant: "drupal"} }

func getReq(path, query string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.URL.RawQuery = query
	r.RemoteAddr = "192.0.2.7:5555"
	return r
}

func postReq(path, query, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.URL.RawQuery = query
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.RemoteAddr = "192.0.2.7:5555"
	return r
}

func mustParse(t *testing.T, r *http.Request, route Route) *Call {
	t.Helper()
	c, reply := ParseRequest(r, route, ParseOptions{})
	if reply != nil {
		t.Fatalf("unexpected reply %d %s", reply.Status, reply.Body)
	}
	return c
}

// Spec vectors 1-5, 7-9, 11: the API params buildParamList produces.
func TestParseSpecVectorParams(t *testing.T) {
	enc := url.QueryEscape
	tests := []struct {
		name   string
		r      *http.Request
		params string
	}{
		{"v1", getReq("/extern/rest.php", prefixKV+"first_name=Alice&options[limit]=5&sequential=1"),
			`{"first_name":"Alice","options":{"limit":"5"},"sequential":"1"}`},
		{"v2", getReq("/extern/rest.php", "entity=Contact&action=get&key=KEY&api_key=AK&json="+
			enc(`{"sequential":1,"options":{"limit":5,"sort":"id"},"first_name":"Bob"}`)+"&first_name=Alice&options[offset]=10"),
			`{"sequential":1,"options":{"offset":"10"},"first_name":"Alice"}`},
		{"v3", getReq("/extern/rest.php", prefixKV+"return[]=display_name&return[]=email"),
			`{"return":["display_name","email"],"return.0":1,"return.1":1}`},
		{"v4", getReq("/extern/rest.php", prefixKV+"return[display_name]=1&return[email]=1"),
			`{"return":{"display_name":"1","email":"1"},"return.display_name":1,"return.email":1}`},
		{"v5", getReq("/extern/rest.php", prefixKV+"api.Email.get[return]=email&return.display_name=1&option.limit=2&civiwp=CiviCRM&fnName=x&prettyprint=1&PHPSESSID=abc&q=civicrm/ajax/rest"),
			`{"api_Email_get":{"return":"email"},"return_display_name":"1","option_limit":"2","civiwp":"CiviCRM","fnName":"x","prettyprint":"1","PHPSESSID":"abc"}`},
		{"v7", getReq("/extern/rest.php", "entity=Contact&action=get&json="+enc("[1,2]")+"&id=4"), `{"id":"4"}`},
		{"v8", postReq("/extern/rest.php", "entity=Contact&action=get&json=1", "json="+enc(`{"id":3}`)+"&first_name=Z"),
			`{"id":3,"first_name":"Z"}`},
		{"v9", postReq("/extern/rest.php", "entity=Contact&action=create&json=1", "check_permissions=0"),
			`{"check_permissions":"0"}`},
		{"v11 json chain", getReq("/extern/rest.php", "entity=Contact&action=get&json="+enc(`{"id":5,"api.Contact.delete":1}`)),
			`{"id":5,"api.Contact.delete":1}`},
		{"v11 key-value", getReq("/extern/rest.php", prefixKV+"id=5&api.Contact.delete=1"),
			`{"id":"5","api_Contact_delete":"1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.r, externRoute())
			if c.Refusal != nil {
				t.Fatalf("refused: %s", c.Refusal.Body)
			}
			if got := string(EncodeJSONObject(c.Params)); got != tt.params {
				t.Errorf("params\n got  %s\n want %s", got, tt.params)
			}
			if c.Format != FormatJSON {
				t.Errorf("format = %v, want JSON", c.Format)
			}
		})
	}
}

func TestParseExternSelection(t *testing.T) {
	c := mustParse(t, getReq("/extern/rest.php", prefixKV+"first_name=A"), externRoute())
	if c.Entity != "Contact" || c.Action != "get" || c.Credentials.SiteKey != "KEY" || c.Credentials.APIKey != "AK" || !c.KeyValue {
		t.Errorf("got %+v", c)
	}
	if !c.JSONInQuery || c.Pretty || c.Ping || c.Batch {
		t.Errorf("flags wrong: %+v", c)
	}

	c = mustParse(t, postReq("/extern/rest.php", "", "q=civicrm/contact/get&key=K&json=1&api_key=A"), externRoute())
	if c.Entity != "contact" || c.Action != "get" || NormalEntity(c.Entity) != "Contact" || c.KeyValue {
		t.Errorf("q form: %+v", c)
	}
	if c.JSONInQuery {
		t.Error("json came from the body, JSONInQuery must be false")
	}

	// entity wins over q and fnName; fnName overrides q.
	c = mustParse(t, getReq("/extern/rest.php", "q=civicrm/a/getb&fnName=civicrm/c/getd&json=1"), externRoute())
	if c.Entity != "c" || c.Action != "getd" {
		t.Errorf("fnName over q: %q %q", c.Entity, c.Action)
	}
	c = mustParse(t, getReq("/extern/rest.php", "q=civicrm/a/getb&entity=E&action=get&json=1"), externRoute())
	if c.Entity != "E" || c.Action != "get" {
		t.Errorf("entity over q: %q %q", c.Entity, c.Action)
	}

	// Malformed q is answered before any credential check.
	for _, q := range []string{"q=civicrm/contact", "q=foo/contact/get", "q=civicrm/a/b/c"} {
		_, reply := ParseRequest(getReq("/extern/rest.php", q+"&json=1"), externRoute(), ParseOptions{})
		if reply == nil || string(reply.Body) != `{"error_message":"ERROR: Malformed REST path","is_error":1}` || reply.ContentType != "application/json" {
			t.Errorf("%s: %+v", q, reply)
		}
	}
	// Unknown function invocation comes after authentication.
	c = mustParse(t, getReq("/extern/rest.php", "fnName=foo/bar&json=1"), externRoute())
	if c.Refusal == nil || string(c.Refusal.Body) != `{"error_message":"Unknown function invocation.","is_error":1}` {
		t.Errorf("unknown function: %+v", c.Refusal)
	}
}

// Spec vector 6 and the recording "invalid JSON in json param".
func TestParseBadJSON(t *testing.T) {
	for _, form := range []Form{FormExtern, FormAjax} {
		c := mustParse(t, getReq("/x", "entity=Contact&action=get&key=K&api_key=A&json="+url.QueryEscape("{bad json")), Route{Form: form})
		want := `{"is_error":1,"0":"error_message","1":"Unable to decode supplied JSON."}`
		if c.Refusal == nil || string(c.Refusal.Body) != want || c.Refusal.ContentType != "application/json" || c.Refusal.Status != 200 {
			t.Errorf("%s: %+v", form, c.Refusal)
		}
	}
	// A json given as an array is taken member for member, under the
	// key-values, and asks for JSON (6.17.2: json[sequential]=1 answers a
	// list). Even json[]={ is data, not JSON text.
	for q, want := range map[string]string{
		"entity=Contact&action=get&json[sequential]=1&id=2":     `{"sequential":"1","id":"2"}`,
		"entity=Contact&action=get&json[id]=3&id=2&json[x][]=y": `{"id":"2","x":["y"]}`,
		"entity=Contact&action=get&json[]={":                    `{"0":"{"}`,
	} {
		c := mustParse(t, getReq("/x", q), externRoute())
		if c.Refusal != nil || string(EncodeJSONObject(c.Params)) != want || c.Format != FormatJSON {
			t.Errorf("%s: %+v %s", q, c.Refusal, EncodeJSONObject(c.Params))
		}
	}
}

// Spec vector 10 and 1.5.
func TestParseDestructiveGET(t *testing.T) {
	want := `{"IP":"192.0.2.7","level":"security","referer":null,"reason":"Destructive HTTP GET","is_error":1,"error_message":"SECURITY: All requests that modify the database must be http POST, not GET."}`
	for _, form := range []Form{FormExtern, FormAjax, FormAjaxVerbose} {
		c := mustParse(t, getReq("/x", "entity=Contact&action=create&key=KEY&api_key=AK&json=1&contact_type=Individual&first_name=A"), Route{Form: form})
		if c.Refusal == nil || string(c.Refusal.Body) != want || c.Refusal.Status != 200 || c.Refusal.ContentType != "application/json" {
			t.Errorf("%s: %+v", form, c.Refusal)
		}
	}
	r := getReq("/x", "entity=Contact&action=delete&json=1")
	r.Header.Set("Referer", "https://example.org/a")
	r.RemoteAddr = "[::ffff:10.1.2.3]:1"
	c := mustParse(t, r, externRoute())
	if c.Refusal == nil || !strings.Contains(string(c.Refusal.Body), `"IP":"10.1.2.3","level":"security","referer":"https://example.org/a"`) {
		t.Errorf("referer/ip: %s", c.Refusal.Body)
	}
	for action, blocked := range map[string]bool{"check": false, "Check": true, "GetSingle": false, "getcount": false, "create": true, "replace": true, "": true} {
		q := "entity=System&json=1"
		if action != "" {
			q += "&action=" + action
		}
		c := mustParse(t, getReq("/x", q), externRoute())
		if (c.Refusal != nil) != blocked {
			t.Errorf("action %q: blocked=%v, want %v", action, c.Refusal != nil, blocked)
		}
	}
	// Only GET is checked.
	c = mustParse(t, postReq("/x", "entity=Contact&action=create&json=1", "first_name=A"), externRoute())
	if c.Refusal != nil {
		t.Errorf("POST refused: %s", c.Refusal.Body)
	}
	// XML when json is absent.
	c = mustParse(t, getReq("/x", "entity=Contact&action=create"), externRoute())
	if c.Refusal == nil || c.Refusal.ContentType != "text/xml;charset=UTF-8" || !strings.Contains(string(c.Refusal.Body), "<reason>Destructive HTTP GET</reason>") {
		t.Errorf("xml refusal: %+v", c.Refusal)
	}
}

// Spec vector 26 and §1.6.
func TestParsePing(t *testing.T) {
	c := mustParse(t, getReq("/extern/rest.php", "q=civicrm/ping&json=1"), externRoute())
	if !c.Ping || !c.AuthFree {
		t.Fatalf("ping: %+v", c)
	}
	reply := PingReply(c)
	if string(reply.Body) != `{"is_error":0,"message":"PONG: "}` || reply.ContentType != "application/json" {
		t.Errorf("ping reply %+v", reply)
	}
	c = mustParse(t, getReq("/extern/rest.php", "q=civicrm/ping"), externRoute())
	reply = PingReply(c)
	if !strings.Contains(string(reply.Body), "<message>PONG: </message>") || reply.ContentType != "text/xml;charset=UTF-8" {
		t.Errorf("xml ping reply %+v %s", reply, reply.Body)
	}
	c = mustParse(t, getReq("/extern/rest.php", "fnName=civicrm/ping&json=1"), externRoute())
	if !c.Ping || c.AuthFree {
		t.Errorf("fnName ping must authenticate first: %+v", c)
	}
	// ajax/rest has no ping (recording rt-8).
	c = mustParse(t, postReq("/civicrm/ajax/rest", "", "q=civicrm/ping&json=1"), Route{Form: FormAjax})
	if c.Ping || c.Refusal == nil || string(c.Refusal.Body) != `{"error_message":"missing mandatory params \"entity=\" or \"action=\"","is_error":1}` {
		t.Errorf("ajax ping: %+v", c)
	}
}

func TestParseAjax(t *testing.T) {
	c := mustParse(t, getReq("/civicrm/ajax/rest", "entity=Contact&action=get&fnName=civicrm/Email/get&json=1"), Route{Form: FormAjax})
	if c.Entity != "Email" || c.Action != "get" {
		t.Errorf("fnName wins on ajax: %q %q", c.Entity, c.Action)
	}
	c = mustParse(t, postReq("/civicrm/ajax/rest", "", "entity=api3&action=call&json="+url.QueryEscape(`{"a":["Contact","get",{"id":1}]}`)), Route{Form: FormAjax})
	if !c.Batch || string(EncodeJSON(c.Params, JSONOptions{})) != `{"a":["Contact","get",{"id":1}]}` {
		t.Errorf("batch: %+v", c)
	}
	c = mustParse(t, getReq("/civicrm/ajax/rest", "entity=Contact&action=0"), Route{Form: FormAjax})
	if c.Refusal == nil || c.Refusal.ContentType != "text/html; charset=UTF-8" {
		t.Errorf("action=0 is missing, XML answer: %+v", c.Refusal)
	}
	r := getReq("/civicrm/ajax/rest", "entity=Contact&action=get&json=1&_authx=Bearer+X&_authxSiteKey=S&_authxSes=1")
	r.Header.Set("X-Civi-Auth", "Bearer T")
	r.Header.Set("Authorization", "Bearer U")
	r.Header.Set("X-Civi-Key", "SK")
	c = mustParse(t, r, Route{Form: FormAjax})
	want := Credentials{Authorization: "Bearer U", XCiviAuth: "Bearer T", Authx: "Bearer X", XCiviKey: "SK", AuthxSiteKey: "S"}
	if c.Credentials != want || c.Params.Len() != 0 {
		t.Errorf("credentials %+v params %s", c.Credentials, EncodeJSONObject(c.Params))
	}
	// POST reads _authx from the body only (spec vector 33).
	c = mustParse(t, postReq("/civicrm/ajax/rest", "_authx=Bearer+Q", "entity=Contact&action=get&json=1"), Route{Form: FormAjax})
	if c.Credentials.Authx != "" {
		t.Errorf("query _authx on POST must be ignored, got %q", c.Credentials.Authx)
	}
	// Routing params are dropped.
	c = mustParse(t, getReq("/", "civiwp=CiviCRM&q=civicrm/ajax/rest&entity=Contact&action=get&json=1&id=3"),
		Route{Form: FormAjaxVerbose, DropParams: []string{"civiwp", "q"}})
	if string(EncodeJSONObject(c.Params)) != `{"id":"3"}` {
		t.Errorf("dropped routing params: %s", EncodeJSONObject(c.Params))
	}
}

// Spec vectors 35-36.
func TestParseWP(t *testing.T) {
	wp := Route{Form: FormWPRest}
	c := mustParse(t, getReq("/wp-json/civicrm/v3/rest", "entity=Contact&action=get&key=KEY&api_key=AK&json="+url.QueryEscape(`{"group":"Administrators"}`)+"&first_name=X"), wp)
	if c.Refusal != nil || string(EncodeJSONObject(c.Params)) != `{"group":"Administrators"}` || c.Format != FormatJSON || c.KeyValue {
		t.Errorf("v35: %+v %s", c.Refusal, EncodeJSONObject(c.Params))
	}
	c = mustParse(t, getReq("/wp-json/civicrm/v3/rest", "action=get&key=KEY&api_key=AK&json=1"), wp)
	if c.Refusal == nil || c.Refusal.Status != 400 || !strings.Contains(string(c.Refusal.Body), `"message":"Missing parameter(s): entity"`) {
		t.Errorf("v36 missing entity: %+v", c.Refusal)
	}
	c = mustParse(t, getReq("/wp-json/civicrm/v3/rest", "entity=Contact&action=get&json=0&first_name=X"), wp)
	if c.Format != FormatJSON || string(EncodeJSONObject(c.Params)) != `{"json":"0","first_name":"X"}` || !c.KeyValue {
		t.Errorf("numeric json: %+v %s", c, EncodeJSONObject(c.Params))
	}
	// JSON body wins over the query.
	r := httptest.NewRequest(http.MethodPost, "/wp-json/civicrm/v3/rest?entity=Contact&action=create&json=1&first_name=Q", strings.NewReader(`{"first_name":"J","api_key":"AK2"}`))
	r.Header.Set("Content-Type", "application/json")
	c = mustParse(t, r, wp)
	if c.Credentials.APIKey != "AK2" || string(EncodeJSONObject(c.Params)) != `{"json":"1","first_name":"J"}` {
		t.Errorf("json body: %+v %s", c.Credentials, EncodeJSONObject(c.Params))
	}
	// AuthX's parameters are no API parameters upstream, from any source.
	r = httptest.NewRequest(http.MethodPost, "/wp-json/civicrm/v3/rest?entity=Contact&action=get&json=1&_authxSes=S&first_name=Q",
		strings.NewReader(`{"_authx":"Bearer X","_authxSiteKey":"SK","api_key":"AK2"}`))
	r.Header.Set("Content-Type", "application/json")
	if c = mustParse(t, r, wp); string(EncodeJSONObject(c.Params)) != `{"json":"1","first_name":"Q"}` {
		t.Errorf("AuthX parameters: %s", EncodeJSONObject(c.Params))
	}
	c = mustParse(t, getReq("/wp-json/civicrm/v3/rest", "entity=Contact&action=get&json=notjson"), wp)
	if c.Refusal == nil || c.Refusal.Status != 400 || !strings.Contains(string(c.Refusal.Body), "rest_invalid_param") {
		t.Errorf("invalid json: %+v", c.Refusal)
	}
}

// WordPress core's own parameters on the route (WP_REST_Server::
// serve_request): _jsonp from the query only, checked before anything else;
// _pretty given at all, from any of WP_REST_Request's sources. And the key
// argument: the site key WordPress checks is $_REQUEST's, whichever source
// set the argument.
func TestParseWPCoreParameters(t *testing.T) {
	wp := Route{Form: FormWPRest}
	const q = "entity=Contact&action=get&json=1&api_key=AK&"
	for raw, want := range map[string]string{"_jsonp=jQuery_1.cb": "jQuery_1.cb", "_jsonp=": "", "_jsonp=0": "", "x=1": ""} {
		c := mustParse(t, getReq("/wp-json/civicrm/v3/rest", q+raw), wp)
		if c.JSONP != want {
			t.Errorf("%s: JSONP %q, want %q", raw, c.JSONP, want)
		}
	}
	const invalid = `{"code":"rest_callback_invalid","message":"Invalid JSONP callback function."}`
	for _, raw := range []string{"_jsonp=a(b)", "_jsonp=alert%3Bx", "_jsonp=%C3%A9", "_jsonp[]=cb", "_jsonp=a%20b"} {
		_, reply := ParseRequest(getReq("/wp-json/civicrm/v3/rest", q+raw), wp, ParseOptions{})
		if reply == nil || reply.Status != 400 || reply.ContentType != "application/javascript; charset=UTF-8" || string(reply.Body) != invalid {
			t.Errorf("%s: %+v", raw, reply)
		}
	}
	// _jsonp in a body is no callback (WordPress reads $_GET).
	c := mustParse(t, postReq("/wp-json/civicrm/v3/rest", q, "_jsonp=a(b)"), wp)
	if c.JSONP != "" {
		t.Errorf("_jsonp from a form body: %q", c.JSONP)
	}
	pretty := func(r *http.Request) bool { return mustParse(t, r, wp).Pretty }
	jsonPost := func(query, body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/wp-json/civicrm/v3/rest?"+query, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	if !pretty(getReq("/wp-json/civicrm/v3/rest", q+"_pretty")) || !pretty(postReq("/wp-json/civicrm/v3/rest", q, "_pretty=0")) ||
		!pretty(jsonPost(q, `{"_pretty":null}`)) || pretty(getReq("/wp-json/civicrm/v3/rest", q)) || pretty(jsonPost(q, `[{"_pretty":1}]`)) {
		t.Error("_pretty is WP_REST_Request::has_param")
	}
	for _, tt := range []struct {
		name   string
		r      *http.Request
		sk     string
		keyArg bool
	}{
		{"query", getReq("/wp-json/civicrm/v3/rest", q+"key=K"), "K", true},
		{"POST form over query", postReq("/wp-json/civicrm/v3/rest", q+"key=Q", "key=K"), "K", true},
		{"JSON body only", jsonPost(q, `{"key":"K"}`), "", true},
		{"JSON body and query", jsonPost(q+"key=Q", `{"key":"K"}`), "Q", true},
		{"JSON null", jsonPost(q, `{"key":null}`), "", false},
		{"empty", getReq("/wp-json/civicrm/v3/rest", q+"key="), "", true},
		{"none", getReq("/wp-json/civicrm/v3/rest", q), "", false},
	} {
		c := mustParse(t, tt.r, wp)
		if c.Credentials.SiteKey != tt.sk || c.Credentials.SiteKeyArg != tt.keyArg {
			t.Errorf("key %s: %q %v, want %q %v", tt.name, c.Credentials.SiteKey, c.Credentials.SiteKeyArg, tt.sk, tt.keyArg)
		}
	}
	// A PUT's form body sets the argument, but PHP fills no $_POST.
	r := httptest.NewRequest(http.MethodPut, "/wp-json/civicrm/v3/rest?"+q, strings.NewReader("key=K"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c := mustParse(t, r, wp); c.Credentials.SiteKey != "" || !c.Credentials.SiteKeyArg {
		t.Errorf("key in a PUT body: %q %v", c.Credentials.SiteKey, c.Credentials.SiteKeyArg)
	}
}

func TestParseLimits(t *testing.T) {
	_, reply := ParseRequest(getReq("/x", "entity=Contact&action=get&json=1&"+strings.Repeat("a", 100)), externRoute(), ParseOptions{MaxQueryBytes: 50})
	if reply == nil || reply.Status != 414 || reply.ContentType != "application/json" || !strings.Contains(string(reply.Body), `"is_error":1`) {
		t.Errorf("414: %+v", reply)
	}
	_, reply = ParseRequest(postReq("/x", "entity=Contact&action=get", "json=1&a="+strings.Repeat("b", 100)), externRoute(), ParseOptions{MaxBodyBytes: 50})
	if reply == nil || reply.Status != 413 || !strings.Contains(string(reply.Body), "<is_error>1</is_error>") {
		t.Errorf("413: %+v", reply)
	}
}

func TestParseMultipart(t *testing.T) {
	body := "--B\r\nContent-Disposition: form-data; name=\"entity\"\r\n\r\nContact\r\n" +
		"--B\r\nContent-Disposition: form-data; name=\"action\"\r\n\r\ncreate\r\n" +
		"--B\r\nContent-Disposition: form-data; name=\"json\"\r\n\r\n1\r\n" +
		"--B\r\nContent-Disposition: form-data; name=\"a.b[c]\"\r\n\r\nv\r\n" +
		"--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\n\r\nfile\r\n--B--\r\n"
	r := httptest.NewRequest(http.MethodPost, "/extern/rest.php", strings.NewReader(body))
	r.Header.Set("Content-Type", "multipart/form-data; boundary=B")
	c := mustParse(t, r, externRoute())
	if c.Action != "create" || string(EncodeJSONObject(c.Params)) != `{"a_b":{"c":"v"}}` {
		t.Errorf("multipart: %q %s", c.Action, EncodeJSONObject(c.Params))
	}
}

func TestMungeAndNormal(t *testing.T) {
	for in, want := range map[string]string{"Contact": "Contact", " option value ": "option_value", "a--b..c": "a_b_c", "_a_": "_a_"} {
		if got := Munge(in); got != want {
			t.Errorf("Munge(%q) = %q, want %q", in, got, want)
		}
	}
	for _, in := range []string{"...", " ", "__", "é"} {
		if got := Munge(in); len(got) != 63 || strings.Trim(got, alphanumeric) != "" {
			t.Errorf("Munge(%q) = %q, want 63 random alphanumerics", in, got)
		}
	}
	if Munge("...") == Munge("...") {
		t.Error("random munge repeated itself")
	}
	if got := Munge(strings.Repeat("x", 70)); len(got) != 63 {
		t.Errorf("not truncated: %d", len(got))
	}
	for in, want := range map[string]string{"contact": "Contact", "option_value": "OptionValue", "optionvalue": "Optionvalue",
		"CONTACT": "CONTACT", "uf_group": "UFGroup", "ufgroup": "UFGroup", "acl": "Acl", "ACL": "Acl", "acl_role": "ACLRole", "im": "Im", "pcp_block": "PCPBlock"} {
		if got := NormalEntity(in); got != want {
			t.Errorf("NormalEntity(%q) = %q, want %q", in, got, want)
		}
	}
	if NormalAction("GetSingle") != "getsingle" {
		t.Error("NormalAction")
	}
}

func TestMergeRequest(t *testing.T) {
	get, post := NewArray(), NewArray()
	ParseQuery(get, "a=1&5=x&b=2&7=y", DefaultLimits)
	ParseQuery(post, "b=3&9=z&c=4", DefaultLimits)
	if got := string(EncodeJSON(MergeRequest(get, post), JSONOptions{})); got != `{"a":"1","0":"x","b":"3","1":"y","2":"z","c":"4"}` {
		t.Errorf("MergeRequest = %s", got)
	}
}

func TestIsNumericValue(t *testing.T) {
	for in, want := range map[string]bool{"1": true, " 1": true, "1 ": true, "1e3": true, ".5": true, "-2.": true, "+1": true,
		"": false, " ": false, "0x1A": false, "1x": false, "e3": false, ".": false, "1e": false, "\n1\n": true} {
		if got := isNumericValue(in); got != want {
			t.Errorf("is_numeric(%q) = %v, want %v", in, got, want)
		}
	}
}

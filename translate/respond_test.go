package translate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"
)

// exchange is one line of the recordings (shared/recordings, copied into
// testdata so the package tests stand alone).
type exchange struct {
	Name    string `json:"name"`
	Request struct {
		Method string            `json:"method"`
		URL    string            `json:"url"`
		Form   map[string]string `json:"form"`
	} `json:"request"`
	Response struct {
		Status      int    `json:"status"`
		ContentType string `json:"content_type"`
		Body        string `json:"body"`
	} `json:"response"`
}

func loadRecordings(t *testing.T, file string) map[string]exchange {
	t.Helper()
	f, err := os.Open("testdata/recordings/" + file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]exchange{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e exchange
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		out[e.Name] = e
	}
	if len(out) == 0 {
		t.Fatalf("%s: no exchanges", file)
	}
	return out
}

// callFor builds the Call the parser would produce for a recorded request,
// as far as rendering needs it (format, credentials, json placement).
func callFor(t *testing.T, e exchange, form Form) *Call {
	t.Helper()
	u, err := url.Parse(strings.NewReplacer("{", "%7B", "}", "%7D").Replace(e.Request.URL))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	get := func(k string) string {
		if v, ok := e.Request.Form[k]; ok && e.Request.Method == "POST" {
			return v
		}
		return q.Get(k)
	}
	c := &Call{Form: form, Method: e.Request.Method}
	if get("json") != "" {
		c.Format = FormatJSON
	}
	c.JSONInQuery = q.Get("json") != ""
	c.Pretty = get("prettyprint") != ""
	c.Credentials.SiteKey = get("key")
	c.Credentials.APIKey = get("api_key")
	return c
}

// Feeding the modern endpoint's answer to RenderResponse must give what
// extern/rest.php answered for the same request.
func TestGoldenRecordings(t *testing.T) {
	ext := loadRecordings(t, "extern-rest-6.17.2.jsonl")
	ajx := loadRecordings(t, "ajax-rest-unchanged-6.17.2.jsonl")

	// Exchanges the modern endpoint could not answer like extern/rest.php
	// because the request was sent unchanged, not translated: the site key
	// is the edge's job (authx), q= addressing is the parser's, ping is
	// answered at the edge.
	notRenderable := map[string]string{
		"bad site key":                      "site key enforced at the edge",
		"missing site key":                  "site key enforced at the edge",
		"rt-5 q=civicrm/contact/get, valid": "q= is translated by the parser",
		"rt-7 q=civicrm/contactses/get":     "q= is translated by the parser",
		"rt-8 q=civicrm/ping":               "ping answered at the edge",
		"ping without credentials":          "ping answered at the edge",
	}
	// XML answers have a JSON twin: the same request with json=1.
	xmlTwin := map[string]string{
		"XML when json omitted":       "GET key-value params, JSON",
		"XML error when json omitted": "getsingle not found",
		"XML scalar (getvalue)":       "getvalue JSON scalar",
	}
	checked := 0
	for name, e := range ext {
		if why, skip := notRenderable[name]; skip {
			t.Logf("skip %q: %s", name, why)
			continue
		}
		src, ok := ajx[name]
		if twin, isXML := xmlTwin[name]; isXML {
			src = ajx[twin]
			ok = true
		}
		if !ok {
			t.Errorf("%q: no modern counterpart", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			call := callFor(t, e, FormExtern)
			got := RenderResponse(call, UpstreamResponse{Status: src.Response.Status, ContentType: src.Response.ContentType, Body: []byte(src.Response.Body)})
			if got.Status != e.Response.Status || got.ContentType != e.Response.ContentType {
				t.Errorf("status/type = %d %q, want %d %q", got.Status, got.ContentType, e.Response.Status, e.Response.ContentType)
			}
			if string(got.Body) == e.Response.Body {
				return
			}
			if src.Response.Body != e.Response.Body && string(got.Body) == src.Response.Body && sameShape(t, src.Response.Body, e.Response.Body) {
				// The two runs saw different data (a contact more, a new
				// id): the body went through unchanged, which is all the
				// renderer can do.
				t.Logf("data differs between recordings; body passed through")
				return
			}
			t.Errorf("body\n got: %q\nwant: %q", got.Body, e.Response.Body)
		})
		checked++
	}
	if checked < 20 {
		t.Errorf("only %d exchanges checked", checked)
	}

	// The AJAX form keeps the modern endpoint's own XML labelling.
	for xmlName, twin := range xmlTwin {
		e := ajx[xmlName]
		call := callFor(t, e, FormAjax)
		got := RenderResponse(call, UpstreamResponse{Status: 200, ContentType: "application/json", Body: []byte(ajx[twin].Response.Body)})
		if string(got.Body) != e.Response.Body || got.ContentType != e.Response.ContentType {
			t.Errorf("ajax %q: got %q %q, want %q %q", xmlName, got.ContentType, got.Body, e.Response.ContentType, e.Response.Body)
		}
	}
}

// sameShape reports whether two JSON documents have the same top-level keys
// in the same order.
func sameShape(t *testing.T, a, b string) bool {
	da, db := mustDecode(t, a), mustDecode(t, b)
	aa, ok1 := da.(*Array)
	ab, ok2 := db.(*Array)
	return ok1 && ok2 && strings.Join(aa.Keys(), ",") == strings.Join(ab.Keys(), ",")
}

func TestExternAuthMapping(t *testing.T) {
	const (
		sk, ak = "sitekey123", "apikey"
	)
	unauthorized := func(msg string) UpstreamResponse {
		return UpstreamResponse{Status: 401, ContentType: "text/plain", Body: []byte("HTTP 401 " + msg)}
	}
	legacyrest := func(msg string) UpstreamResponse {
		return UpstreamResponse{Status: 200, ContentType: "text/javascript;charset=UTF-8", Body: []byte(`{"error_message":"FATAL: ` + msg + `","is_error":1}`)}
	}
	denied := UpstreamResponse{Status: 403, ContentType: "text/html; charset=UTF-8", Body: []byte("<!DOCTYPE html><html>Access denied</html>")}
	tests := []struct {
		name        string
		siteKey, ak string
		up          UpstreamResponse
		want        string
	}{
		{"401 invalid credential", sk, ak, unauthorized("Invalid credential"), MsgNoCMSUser},
		{"401 invalid, no api_key", sk, "", unauthorized("Invalid credential"), MsgMissingAPIKey},
		{"401 invalid, no key", "", ak, unauthorized("Invalid credential"), MsgBadSiteKey},
		{"401 invalid, nothing", "", "", unauthorized("Invalid credential"), MsgBadSiteKey},
		{"401 guard", sk, ak, unauthorized("Login not permitted. Must satisfy guard (site_key, perm)."), MsgBadSiteKey},
		{"401 expired JWT", sk, ak, unauthorized("Expired token"), MsgNoCMSUser},
		{"401 malformed JWT", sk, ak, unauthorized("Malformed JWT. Must specify the contact ID."), MsgNoCMSUser},
		{"401 blocked", sk, ak, unauthorized("Cannot login. User is blocked."), MsgNoCMSUser},
		{"401 no user", sk, ak, unauthorized("Cannot login. No matching user is available."), MsgNoCMSUser},
		{"403 denied", sk, ak, denied, MsgNoCMSUser},
		{"403 denied, no api_key", sk, "", denied, MsgMissingAPIKey},
		{"403 denied, no key", "", "", denied, MsgBadSiteKey},
		{"legacyrest invalid", sk, ak, legacyrest("Invalid credential"), MsgNoCMSUser},
		{"legacyrest no user", sk, ak, legacyrest("Cannot login. No matching user is available."), MsgNoCMSUser},
		{"legacyrest guard", sk, ak, legacyrest("Login not permitted. Must satisfy guard (site_key, perm)."), MsgBadSiteKey},
	}
	for _, tt := range tests {
		for _, format := range []Format{FormatJSON, FormatXML} {
			call := &Call{Form: FormExtern, Method: "GET", Format: format, JSONInQuery: format == FormatJSON,
				Credentials: Credentials{SiteKey: tt.siteKey, APIKey: tt.ak}}
			got := RenderResponse(call, tt.up)
			var want Reply
			if format == FormatJSON {
				want = Reply{Status: 200, ContentType: "application/json", Body: []byte(`{"error_message":` + string(EncodeJSON(tt.want, JSONOptions{})) + `,"is_error":1}`)}
			} else {
				want = Reply{Status: 200, ContentType: "text/xml;charset=UTF-8", Body: []byte(xmlHeadNoCount + "<Result>\n    <error_message>" + strings.ReplaceAll(tt.want, "'", "'") + "</error_message>\n    <is_error>1</is_error>\n</Result>\n</ResultSet>\n")}
			}
			if got.Status != want.Status || got.ContentType != want.ContentType || !bytes.Equal(got.Body, want.Body) {
				t.Errorf("%s (format %d): got %d %q %q\nwant %d %q %q", tt.name, format, got.Status, got.ContentType, got.Body, want.Status, want.ContentType, want.Body)
			}
		}
	}
	// The modern forms pass the modern answers through untouched.
	for _, up := range []UpstreamResponse{unauthorized("Invalid credential"), denied, legacyrest("Invalid credential")} {
		for _, form := range []Form{FormAjax, FormAjaxVerbose} {
			got := RenderResponse(&Call{Form: form, Format: FormatJSON, Credentials: Credentials{XCiviAuth: "Bearer x"}}, up)
			if got.Status != up.Status || got.ContentType != up.ContentType || !bytes.Equal(got.Body, up.Body) {
				t.Errorf("%s: %d %q not passed through: %+v", form, up.Status, up.Body, got)
			}
		}
	}
}

func TestWPAuthMapping(t *testing.T) {
	inv := UpstreamResponse{Status: 401, ContentType: "text/plain", Body: []byte("HTTP 401 Invalid credential")}
	guard := UpstreamResponse{Status: 401, ContentType: "text/plain", Body: []byte("HTTP 401 Login not permitted. Must satisfy guard (site_key, perm).")}
	nouser := UpstreamResponse{Status: 401, ContentType: "text/plain", Body: []byte("HTTP 401 Cannot login. No matching user is available.")}
	tests := []struct {
		sk, ak string
		up     UpstreamResponse
		status int
		body   string
	}{
		{"k", "", inv, 500, `{"code":"civicrm_rest_api_error","message":"Missing or invalid param \"api_key\".","data":null}`},
		{"k", "bad", inv, 500, `{"code":"civicrm_rest_api_error","message":"Missing or invalid param \"api_key\".","data":null}`},
		{"k", "a", nouser, 500, `{"code":"civicrm_rest_api_error","message":"A WordPress user must be associated with the contact for the provided API key.","data":null}`},
		{"", "a", guard, 403, `{"code":"civicrm_rest_api_error","message":"Param key is not valid.","data":{"status":403}}`},
		{"wrong", "a", guard, 400, `{"code":"rest_invalid_param","message":"Invalid parameter(s): key","data":{"status":400,"params":{"key":"Invalid parameter."},"details":[]}}`},
	}
	for _, tt := range tests {
		for _, f := range []Format{FormatJSON, FormatXML} {
			call := &Call{Form: FormWPRest, Format: f, Credentials: Credentials{SiteKey: tt.sk, APIKey: tt.ak}}
			got := RenderResponse(call, tt.up)
			if got.Status != tt.status || got.ContentType != "application/json; charset=UTF-8" || string(got.Body) != tt.body {
				t.Errorf("%+v: got %d %q %s", tt, got.Status, got.ContentType, got.Body)
			}
		}
	}
}

// Spec §6 and vectors 35, 37: the WordPress controller's shapes rebuilt from
// the modern endpoint's output() form.
func TestRenderWP(t *testing.T) {
	tests := []struct {
		name   string
		format Format
		up     string
		status int
		ct     string
		body   string
	}{
		{"get values as list", FormatJSON, `{"is_error":0,"version":3,"count":2,"values":{"3":{"id":"3","url":"http://x/y","n":"Jos\u00e9"},"7":{"id":"7"}}}`,
			200, "application/json; charset=UTF-8", `{"is_error":0,"version":3,"count":2,"values":[{"id":"3","url":"http:\/\/x\/y","n":"Jos\u00e9"},{"id":"7"}]}`},
		{"getoptions loses keys, labels as lists", FormatJSON, `{"is_error":0,"version":3,"count":2,"values":{"1":"Home","2":"Work"}}`,
			200, "application/json; charset=UTF-8", `{"is_error":0,"version":3,"count":2,"values":[["Home"],["Work"]]}`},
		{"getsingle bare", FormatJSON, `{"contact_id":"2","display_name":"Standalone Admin","id":"2","is_error":0}`,
			200, "application/json; charset=UTF-8", `{"contact_id":"2","display_name":"Standalone Admin","id":"2"}`},
		{"getcount bare", FormatJSON, `{"is_error":0,"result":6}`, 200, "application/json; charset=UTF-8", `6`},
		{"getvalue bare", FormatJSON, `{"is_error":0,"result":"Standalone Admin"}`, 200, "application/json; charset=UTF-8", `"Standalone Admin"`},
		{"getcount 0 is empty", FormatJSON, `{"is_error":0,"result":0}`, 200, "application/json; charset=UTF-8", `[]`},
		{"getcount 0 is empty in XML too", FormatXML, `{"is_error":0,"result":0}`, 200, "application/json; charset=UTF-8", `[]`},
		{"empty values", FormatJSON, `{"is_error":0,"version":3,"count":0,"values":[]}`,
			200, "application/json; charset=UTF-8", `{"is_error":0,"version":3,"count":0,"values":[]}`},
		{"error gains error_code", FormatJSON, `{"count":0,"is_error":1,"error_message":"Expected one Contact but found 0"}`,
			200, "application/json; charset=UTF-8", `{"count":0,"is_error":1,"error_message":"Expected one Contact but found 0","error_code":"undefined"}`},
		{"error keeps error_code", FormatJSON, `{"error_code":"not-found","entity":"Foo","action":"get","is_error":1,"error_message":"API (Foo, get) does not exist (join the API team and implement it!)"}`,
			200, "application/json; charset=UTF-8", `{"error_code":"not-found","entity":"Foo","action":"get","is_error":1,"error_message":"API (Foo, get) does not exist (join the API team and implement it!)"}`},
		{"37 XML", FormatXML, `{"is_error":0,"version":3,"count":1,"id":3,"values":{"3":{"contact_id":"3","display_name":"Joe"}}}`,
			200, "text/xml", "<?xml version=\"1.0\"?>\n<ResultSet xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" count=\"1\"><Result><contact_id>3</contact_id><display_name>Joe</display_name></Result></ResultSet>\n"},
		{"getsingle XML", FormatXML, `{"contact_id":"2","is_error":0}`,
			200, "text/xml", "<?xml version=\"1.0\"?>\n<ResultSet xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><Result><contact_id>2</contact_id></Result></ResultSet>\n"},
		{"scalar XML dies", FormatXML, `{"is_error":0,"result":6}`, 500, "application/json; charset=UTF-8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RenderResponse(&Call{Form: FormWPRest, Format: tt.format}, UpstreamResponse{Status: 200, ContentType: "application/json", Body: []byte(tt.up)})
			if got.Status != tt.status || got.ContentType != tt.ct || (tt.body != "" && string(got.Body) != tt.body) {
				t.Errorf("got %d %q %s\nwant %d %q %s", got.Status, got.ContentType, got.Body, tt.status, tt.ct, tt.body)
			}
		})
	}
}

// WordPress core's _jsonp and _pretty apply to every JSON answer of the
// route, results, the empty [] and WordPress's errors, not to its XML.
func TestRenderWPJSONPAndPretty(t *testing.T) {
	up := UpstreamResponse{Status: 200, ContentType: "application/json", Body: []byte(`{"is_error":0,"version":3,"count":1,"values":{"2":{"url":"a/b","e":[]}}}`)}
	jsonp := &Call{Form: FormWPRest, Format: FormatJSON, JSONP: "cb"}
	pretty := &Call{Form: FormWPRest, Format: FormatJSON, Pretty: true}
	both := &Call{Form: FormWPRest, Format: FormatJSON, Pretty: true, JSONP: "a.b"}
	xml := &Call{Form: FormWPRest, Format: FormatXML, Pretty: true, JSONP: "cb"}
	const js, j = "application/javascript; charset=UTF-8", "application/json; charset=UTF-8"
	prettyBody := "{\n    \"is_error\": 0,\n    \"version\": 3,\n    \"count\": 1,\n    \"values\": [\n        {\n            \"url\": \"a\\/b\",\n            \"e\": []\n        }\n    ]\n}"
	for _, tt := range []struct {
		name, ct, body string
		got            Reply
	}{
		{"jsonp", js, `/**/cb({"is_error":0,"version":3,"count":1,"values":[{"url":"a\/b","e":[]}]})`, RenderResponse(jsonp, up)},
		{"pretty", j, prettyBody, RenderResponse(pretty, up)},
		{"both", js, "/**/a.b(" + prettyBody + ")", RenderResponse(both, up)},
		{"xml untouched", "text/xml", "<?xml version=\"1.0\"?>\n<ResultSet xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" count=\"1\"><Result><url>a/b</url><e/></Result></ResultSet>\n", RenderResponse(xml, up)},
		{"empty", js, "/**/cb([])", RenderResult(jsonp, NewArray())},
		{"empty for XML is JSON", js, "/**/cb([])", RenderResult(xml, NewArray())},
		{"WordPress error", js, `/**/cb({"code":"rest_no_route","message":"x","data":{"status":404}})`, WPErrorReply(jsonp, 404, "rest_no_route", "x", WPStatusData(404))},
		{"API error", j, "{\n    \"is_error\": 1,\n    \"error_message\": \"x\"\n}", ErrorReply(pretty, 200, APIError("x"))},
	} {
		if tt.got.ContentType != tt.ct || string(tt.got.Body) != tt.body {
			t.Errorf("%s: got %q %s\nwant %q %s", tt.name, tt.got.ContentType, tt.got.Body, tt.ct, tt.body)
		}
	}
	// A key argument without $_REQUEST's key fails validation (400), no key
	// argument at all fails the permission check (403).
	guard := UpstreamResponse{Status: 401, ContentType: "text/plain", Body: []byte("HTTP 401 Login not permitted. Must satisfy guard (site_key, perm).")}
	got := RenderResponse(&Call{Form: FormWPRest, Format: FormatJSON, Credentials: Credentials{APIKey: "a", SiteKeyArg: true}}, guard)
	if got.Status != 400 || !strings.Contains(string(got.Body), `"rest_invalid_param"`) {
		t.Errorf("key argument only in a JSON body: %d %s", got.Status, got.Body)
	}
}

func TestRenderPrettyprint(t *testing.T) {
	up := UpstreamResponse{Status: 200, ContentType: "application/json", Body: []byte(`{"is_error":0,"version":3,"count":1,"values":[{"url":"a/b","n":"é","e":[]}]}`)}
	want := "{\n    \"is_error\": 0,\n    \"version\": 3,\n    \"count\": 1,\n    \"values\": [\n        {\n            \"url\": \"a/b\",\n            \"n\": \"é\",\n            \"e\": []\n        }\n    ]\n}"
	tests := []struct {
		form        Form
		jsonInQuery bool
		ct          string
	}{
		{FormExtern, true, "text/html; charset=UTF-8"},
		{FormExtern, false, "text/xml;charset=UTF-8"},
		{FormAjax, true, "text/html; charset=UTF-8"},
		{FormAjaxVerbose, false, "text/html; charset=UTF-8"},
	}
	for _, tt := range tests {
		got := RenderResponse(&Call{Form: tt.form, Format: FormatJSON, Pretty: true, JSONInQuery: tt.jsonInQuery}, up)
		if got.Status != 200 || got.ContentType != tt.ct || string(got.Body) != want {
			t.Errorf("%s/%v: got %d %q\n%s", tt.form, tt.jsonInQuery, got.Status, got.ContentType, got.Body)
		}
	}
	// Without prettyprint the body is passed through byte for byte.
	got := RenderResponse(&Call{Form: FormExtern, Format: FormatJSON}, up)
	if !bytes.Equal(got.Body, up.Body) || got.ContentType != "application/json" {
		t.Errorf("plain JSON changed: %q %s", got.ContentType, got.Body)
	}
}

func TestRenderUpstreamFailures(t *testing.T) {
	fails := []UpstreamResponse{
		{Status: 0},
		{Status: 500, ContentType: "text/html", Body: []byte("<b>Fatal error</b>: Uncaught TypeError")},
		{Status: 503, ContentType: "text/plain", Body: []byte("Service Unavailable")},
		{Status: 404, ContentType: "text/html", Body: []byte("<html>Not found</html>")},
		{Status: 302, ContentType: "text/html"},
		{Status: 200, ContentType: "text/html", Body: []byte("<html>maintenance</html>")},
		{Status: 200, ContentType: "application/json", Body: []byte(`Warning: Undefined array key "HTTP_REFERER"{"is_error":0}`)},
		{Status: 200, ContentType: "application/json", Body: nil},
	}
	for _, up := range fails {
		for _, form := range []Form{FormExtern, FormAjax, FormAjaxVerbose, FormWPRest} {
			for _, f := range []Format{FormatJSON, FormatXML} {
				got := RenderResponse(&Call{Form: form, Format: f}, up)
				want := 502
				if up.Status == 500 {
					want = 500 // CiviCRM failed as extern/rest.php would have
				}
				if got.Status != want {
					t.Errorf("%s/%d %d: status %d", form, f, up.Status, got.Status)
				}
				body := string(got.Body)
				if bytes.Contains(got.Body, []byte("<html")) || bytes.Contains(got.Body, []byte("Fatal")) || strings.Contains(body, "Warning") {
					t.Errorf("%s: upstream text leaked: %s", form, body)
				}
				if f == FormatJSON {
					v, err := DecodeJSON(got.Body)
					if err != nil {
						t.Fatalf("%s: not JSON: %s", form, body)
					}
					if a, _ := v.(*Array); a == nil || a.Len() != 2 || a.Key(0) != "is_error" || PHPString(a.Value(0)) != "1" || a.String("error_message") == "" {
						t.Errorf("%s: not APIv3-shaped: %s", form, body)
					}
				} else if !strings.HasPrefix(body, "<?xml version=\"1.0\"?>\n") || !strings.Contains(body, "<is_error>1</is_error>") {
					t.Errorf("%s: not an XML error: %s", form, body)
				}
			}
		}
	}
}

func TestErrorReply(t *testing.T) {
	e := APIError("CiviCRM is busy")
	e.Set("error_code", "busy")
	tests := []struct {
		call *Call
		ct   string
		body string
	}{
		{&Call{Form: FormExtern, Format: FormatJSON}, "application/json", `{"is_error":1,"error_message":"CiviCRM is busy","error_code":"busy"}`},
		{&Call{Form: FormAjax, Format: FormatJSON, Pretty: true, JSONInQuery: true}, "text/html; charset=UTF-8", "{\n    \"is_error\": 1,\n    \"error_message\": \"CiviCRM is busy\",\n    \"error_code\": \"busy\"\n}"},
		{&Call{Form: FormExtern, Format: FormatXML}, "text/xml;charset=UTF-8", xmlHeadNoCount + "<Result>\n    <is_error>1</is_error>\n    <error_message>CiviCRM is busy</error_message>\n    <error_code>busy</error_code>\n</Result>\n</ResultSet>\n"},
		{&Call{Form: FormAjaxVerbose, Format: FormatXML}, "text/html; charset=UTF-8", xmlHeadNoCount + "<Result>\n    <is_error>1</is_error>\n    <error_message>CiviCRM is busy</error_message>\n    <error_code>busy</error_code>\n</Result>\n</ResultSet>\n"},
		{&Call{Form: FormWPRest, Format: FormatJSON}, "application/json; charset=UTF-8", `{"is_error":1,"error_message":"CiviCRM is busy","error_code":"busy"}`},
		{&Call{Form: FormWPRest, Format: FormatXML}, "text/xml", "<?xml version=\"1.0\"?>\n<ResultSet xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><Result><is_error>1</is_error><error_message>CiviCRM is busy</error_message><error_code>busy</error_code></Result></ResultSet>\n"},
	}
	for _, tt := range tests {
		got := ErrorReply(tt.call, 503, e)
		if got.Status != 503 || got.ContentType != tt.ct || string(got.Body) != tt.body {
			t.Errorf("%+v: got %d %q %q", tt.call, got.Status, got.ContentType, got.Body)
		}
	}
	// The recorded ping answers.
	if got := PingReply(&Call{Form: FormExtern, Format: FormatJSON}); string(got.Body) != `{"is_error":0,"message":"PONG: "}` || got.Status != 200 || got.ContentType != "application/json" {
		t.Errorf("ping: %+v", got)
	}
	if got := PingReply(&Call{Form: FormExtern, Format: FormatXML}); string(got.Body) != xmlHeadNoCount+"<Result>\n    <is_error>0</is_error>\n    <message>PONG: </message>\n</Result>\n</ResultSet>\n" {
		t.Errorf("ping XML: %q", got.Body)
	}
	// HEAD: CiviCRM was asked with GET; the answer is the GET's, whose
	// length the server sends without the body.
	up := UpstreamResponse{Status: 200, ContentType: "application/json", Body: []byte(`{"is_error":0,"count":0,"values":[]}`)}
	head := RenderResponse(&Call{Form: FormExtern, Method: "HEAD", Format: FormatXML}, up)
	get := RenderResponse(&Call{Form: FormExtern, Method: "GET", Format: FormatXML}, up)
	if head.Status != 200 || len(head.Body) == 0 || !bytes.Equal(head.Body, get.Body) || head.ContentType != "text/xml;charset=UTF-8" || get.ContentType != head.ContentType {
		t.Errorf("HEAD: %+v, GET: %+v", head, get)
	}
}

func TestRenderResultArrayMerge(t *testing.T) {
	// The malformed "Unable to decode" shape and renumbered int keys, as
	// json_encode(array_merge($result)) gives them.
	r := mustDecode(t, `{"is_error":1,"5":"error_message","7":"Unable to decode supplied JSON."}`).(*Array)
	got := RenderResult(&Call{Form: FormExtern, Format: FormatJSON}, r)
	if string(got.Body) != `{"is_error":1,"0":"error_message","1":"Unable to decode supplied JSON."}` {
		t.Errorf("got %s", got.Body)
	}
}

// An AJAX client using key/api_key (legacyrest) gets legacyrest's answers
// although Civigate sent X-Civi-Auth upstream: the recorded ajax-rest
// answers for those requests, from what the xheader flow answers instead.
func TestLegacyRestMapping(t *testing.T) {
	ajx := loadRecordings(t, "ajax-rest-unchanged-6.17.2.jsonl")
	xheader := map[string]UpstreamResponse{
		"rt-0 entity/action, no api_key":         {Status: 403, ContentType: "text/html; charset=UTF-8", Body: []byte("<html>Access denied</html>")},
		"rt-2 entity/action, bad api_key":        {Status: 401, ContentType: "text/plain;charset=UTF-8", Body: []byte("HTTP 401 Invalid credential")},
		"rt-notcms contact api_key without user": {Status: 403, ContentType: "text/html; charset=UTF-8", Body: []byte("<html>Access denied</html>")},
	}
	for name, up := range xheader {
		e := ajx[name]
		got := RenderResponse(callFor(t, e, FormAjax), up)
		if got.Status != e.Response.Status || got.ContentType != e.Response.ContentType || string(got.Body) != e.Response.Body {
			t.Errorf("%s: got %d %q %s\nwant %d %q %s", name, got.Status, got.ContentType, got.Body, e.Response.Status, e.Response.ContentType, e.Response.Body)
		}
	}
}

// An object in CiviCRM's answer that json_encode can only have written
// from a PHP object ({}, {"0":…}) stays one when Civigate encodes the
// answer again (prettyprint, WordPress's shapes); a request's own JSON
// is decoded as json_decode($json, TRUE) does, objects as arrays.
func TestRenderKeepsObjects(t *testing.T) {
	up := UpstreamResponse{Status: 200, ContentType: "application/json", Body: []byte(`{"is_error":0,"values":{"a":{"o":{},"l":{"0":"x","1":"y"},"e":[],"m":{"1":"x"}}}}`)}
	got := RenderResponse(&Call{Form: FormExtern, Format: FormatJSON, Pretty: true, JSONInQuery: true}, up)
	want := "{\n    \"is_error\": 0,\n    \"values\": {\n        \"a\": {\n            \"o\": {},\n            \"l\": {\n                \"0\": \"x\",\n                \"1\": \"y\"\n            },\n" +
		"            \"e\": [],\n            \"m\": {\n                \"1\": \"x\"\n            }\n        }\n    }\n}"
	if string(got.Body) != want {
		t.Errorf("prettyprint:\n got %s\nwant %s", got.Body, want)
	}
	got = RenderResponse(&Call{Form: FormWPRest, Format: FormatJSON}, up)
	if want := `{"is_error":0,"values":[{"o":{},"l":{"0":"x","1":"y"},"e":[],"m":{"1":"x"}}]}`; string(got.Body) != want {
		t.Errorf("WordPress:\n got %s\nwant %s", got.Body, want)
	}
	if v, _ := DecodeJSON([]byte(`{"0":"x"}`)); string(EncodeJSON(v, JSONOptions{})) != `["x"]` {
		t.Errorf("json_decode(…, TRUE) makes arrays: %s", EncodeJSON(v, JSONOptions{}))
	}
}

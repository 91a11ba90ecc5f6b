package civicrmsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// api4Site is a simulator of the APIv4 recordings' site behind a test
// server.
type api4Site struct {
	t   *testing.T
	sim *Simulator
	srv *httptest.Server
}

func newAPI4Site(t *testing.T) *api4Site {
	sim := New(Options{Fixture: FixtureAPI4})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &api4Site{t: t, sim: sim, srv: srv}
}

// do sends method target (path?query) with an urlencoded form (when
// form is not nil) and headers as name, value pairs.
func (a *api4Site) do(method, target string, form url.Values, headers ...string) (int, string, http.Header) {
	a.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, a.srv.URL+target, body)
	if err != nil {
		a.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := replayClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// admin, limited and noUser are X-Civi-Auth headers for the site's users.
func (a *api4Site) admin() []string { return []string{"X-Civi-Auth", "Bearer " + a.sim.Admin().APIKey} }
func (a *api4Site) limited() []string {
	return []string{"X-Civi-Auth", "Bearer " + a.sim.User("limited").APIKey}
}

// call posts one APIv4 call as the admin and decodes the answer.
func (a *api4Site) call(entity, action, params string, headers ...string) (int, map[string]any) {
	a.t.Helper()
	if headers == nil {
		headers = a.admin()
	}
	status, body, _ := a.do("POST", "/civicrm/ajax/api4/"+entity+"/"+action, url.Values{"params": {params}}, headers...)
	var out map[string]any
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		a.t.Fatalf("%s.%s %s: not JSON: %s", entity, action, params, body)
	}
	return status, out
}

func values(t *testing.T, out map[string]any) []any {
	t.Helper()
	v, ok := out["values"].([]any)
	if !ok {
		t.Fatalf("values is not a list: %v", out)
	}
	return v
}

// getFields: Contact has 67 fields for the admin; the limited user, without
// "access all custom data", does not see the 4 custom ones (spec §5.1: 63).
func TestAPI4GetFieldsByCaller(t *testing.T) {
	a := newAPI4Site(t)
	for _, c := range []struct {
		who  []string
		want float64
	}{{a.admin(), 67}, {a.limited(), 63}} {
		status, out := a.call("Contact", "getFields", `{"select":["name"],"limit":1}`, c.who...)
		if status != 200 || out["count"] != c.want || out["countFetched"] != float64(1) {
			t.Errorf("%s: %d count %v countFetched %v, want count %v", c.who[1][:12], status, out["count"], out["countFetched"], c.want)
		}
	}
	_, out := a.call("Note", "getFields", `{"select":["name","required"],"where":[["name","=","note"]],"action":"create"}`)
	if v := values(t, out); len(v) != 1 || v[0].(map[string]any)["required"] != true {
		t.Errorf("Note.getFields for create: note should be required: %v", v)
	}
}

// APIv3 and APIv4 read and write the same store.
func TestAPI4SharesDataWithAPI3(t *testing.T) {
	a := newAPI4Site(t)
	// APIv3 creates a contact; APIv4 reads it.
	status, body, _ := a.do("POST", "/civicrm/ajax/rest", url.Values{"entity": {"Contact"}, "action": {"create"},
		"json": {`{"contact_type":"Individual","first_name":"Ada","last_name":"Viathree"}`}}, a.admin()...)
	var v3 struct {
		ID int `json:"id"`
	}
	if err := json.Unmarshal([]byte(body), &v3); status != 200 || err != nil || v3.ID == 0 {
		t.Fatalf("APIv3 create: %d %s", status, body)
	}
	_, out := a.call("Contact", "get", `{"select":["display_name"],"where":[["last_name","=","Viathree"]]}`)
	if v := values(t, out); len(v) != 1 || v[0].(map[string]any)["id"] != float64(v3.ID) ||
		v[0].(map[string]any)["display_name"] != "Ada Viathree" {
		t.Errorf("APIv4 does not see the APIv3 contact %d: %v", v3.ID, v)
	}
	// APIv4 creates an email for it; APIv3 reads it.
	status, out = a.call("Email", "create", `{"values":{"contact_id":`+jsonInt(v3.ID)+`,"email":"ada@v4.example.org"}}`)
	if status != 200 {
		t.Fatalf("APIv4 Email.create: %d %v", status, out)
	}
	_, body, _ = a.do("POST", "/civicrm/ajax/rest", url.Values{"entity": {"Email"}, "action": {"get"},
		"json": {`{"contact_id":` + jsonInt(v3.ID) + `,"sequential":1}`}}, a.admin()...)
	if !strings.Contains(body, `"email":"ada@v4.example.org"`) || !strings.Contains(body, `"is_primary":"1"`) {
		t.Errorf("APIv3 does not see the APIv4 email: %s", body)
	}
	// APIv4 deletes the contact (to the trash); APIv3 no longer lists it.
	if status, out = a.call("Contact", "delete", `{"where":[["id","=",`+jsonInt(v3.ID)+`]]}`); status != 200 {
		t.Fatalf("APIv4 Contact.delete: %d %v", status, out)
	}
	_, body, _ = a.do("POST", "/civicrm/ajax/rest", url.Values{"entity": {"Contact"}, "action": {"getcount"},
		"json": {`{"last_name":"Viathree"}`}}, a.admin()...)
	if !strings.Contains(body, `"result":0`) {
		t.Errorf("APIv3 still counts the contact APIv4 deleted: %s", body)
	}
}

func jsonInt(n int) string { b, _ := json.Marshal(n); return string(b) }

// Entity names in another case resolve only once PHP loaded the class in
// this request: AuthX loads Contact; in a batch, a call of Email loads
// Email for the calls after it (spec §1.3).
func TestAPI4EntityCaseFollowsLoadedClasses(t *testing.T) {
	a := newAPI4Site(t)
	batch := func(calls string) (int, string) {
		status, body, _ := a.do("POST", "/civicrm/ajax/api4", url.Values{"calls": {calls}}, a.admin()...)
		return status, body
	}
	_, body := batch(`[["email","get",{"select":["id"],"limit":1}]]`)
	if !strings.Contains(body, "API (email, get) does not exist") {
		t.Errorf("email/get before Email was loaded: %s", body)
	}
	_, body = batch(`[["Email","get",{"select":["id"],"limit":1}],["email","get",{"select":["id"],"limit":1}]]`)
	if strings.Count(body, `"entity":"Email"`) != 2 {
		t.Errorf("email/get after Email.get in the same request: %s", body)
	}
	// Actions resolve in any case; the answer names the canonical one.
	if status, out := a.call("Note", "GETACTIONS", `{"select":["name"],"limit":1}`); status != 200 || out["action"] != "getActions" {
		t.Errorf("Note/GETACTIONS: %d %v", status, out)
	}
	// Anonymous: nothing loaded Contact.
	status, body, _ := a.do("POST", "/civicrm/ajax/api4/CONTACT/get", url.Values{"params": {"{}"}}, "X-Requested-With", "XMLHttpRequest")
	if status != 500 || !strings.Contains(body, "Sorry an error occurred") {
		t.Errorf("anonymous CONTACT/get: %d %s", status, body)
	}
}

// Only GET is method-checked: PATCH and DELETE with params in the query run
// writes too (spec §3.1); GET allows get* in any case and exactly
// "autocomplete".
func TestAPI4MethodRule(t *testing.T) {
	a := newAPI4Site(t)
	q := "?params=" + url.QueryEscape(`{"values":{"entity_id":203,"subject":"m","note":"by PATCH"}}`)
	if status, body, _ := a.do("PATCH", "/civicrm/ajax/api4/Note/create"+q, nil, a.admin()...); status != 200 || !strings.Contains(body, `"note":"by PATCH"`) {
		t.Fatalf("PATCH Note/create: %d %s", status, body)
	}
	q = "?params=" + url.QueryEscape(`{"where":[["note","=","by PATCH"]]}`)
	if status, body, _ := a.do("DELETE", "/civicrm/ajax/api4/Note/delete"+q, nil, a.admin()...); status != 200 || !strings.Contains(body, `"count":1`) {
		t.Errorf("DELETE Note/delete: %d %s", status, body)
	}
	for _, c := range []struct {
		action string
		want   int
	}{{"getFields", 200}, {"GETACTIONS", 200}, {"autocomplete", 200}, {"AUTOCOMPLETE", 405}, {"save", 405},
		{"checkAccess", 405}, {"replace", 405}} {
		status, _, _ := a.do("GET", "/civicrm/ajax/api4/Note/"+c.action+"?params=%7B%7D", nil, a.admin()...)
		if status != c.want {
			t.Errorf("GET Note/%s: %d, want %d", c.action, status, c.want)
		}
	}
}

// The CSRF rule (spec §7): OPTIONS, exact X-Requested-With, or a stateless
// AuthX flow (xheader, param, legacyrest); Authorization and sessions need
// X-Requested-With.
func TestAPI4CSRFRule(t *testing.T) {
	a := newAPI4Site(t)
	key := a.sim.Admin().APIKey
	get := "/civicrm/ajax/api4/Contact/get?params=" + url.QueryEscape(`{"select":["id"],"where":[["id","=",203]]}`)
	for _, c := range []struct {
		name, method, target string
		form                 url.Values
		headers              []string
		want                 int
	}{
		{"OPTIONS anonymous", "OPTIONS", get, nil, nil, 200},
		{"GET anonymous", "GET", get, nil, nil, 400},
		{"Authorization without XRW", "GET", get, nil, []string{"Authorization", "Bearer " + key}, 400},
		{"Authorization with XRW", "GET", get, nil, []string{"Authorization", "Bearer " + key, "X-Requested-With", "XMLHttpRequest"}, 200},
		{"_authx on GET", "GET", get + "&_authx=" + url.QueryEscape("Bearer "+key), nil, nil, 200},
		{"legacy api_key in the query", "GET", get + "&api_key=" + key, nil, nil, 200},
		{"X-Requested-With in another case", "GET", get, nil, []string{"X-Requested-With", "XMLHTTPREQUEST"}, 400},
	} {
		if status, body, _ := a.do(c.method, c.target, c.form, c.headers...); status != c.want {
			t.Errorf("%s: %d, want %d (%s)", c.name, status, c.want, body)
		}
	}
}

// Malformed params: a JSON value that is not an array is a PHP TypeError
// outside the try block (500 HTML naming the type); "0" and a params
// array are no params at all.
func TestAPI4MalformedParams(t *testing.T) {
	a := newAPI4Site(t)
	for _, c := range []struct {
		params, wantType string
	}{{"null", "null"}, {"true", "bool"}, {`"x"`, "string"}, {"1.5", "float"}} {
		status, body, h := a.do("POST", "/civicrm/ajax/api4/Note/get", url.Values{"params": {c.params}}, a.admin()...)
		if status != 500 || h.Get("Content-Type") != "text/html; charset=UTF-8" ||
			!strings.Contains(body, "array_diff_key(): Argument #2 must be of type array, "+c.wantType+" given") {
			t.Errorf("params=%s: %d %s", c.params, status, body)
		}
	}
	for _, form := range []url.Values{{"params": {"0"}}, {"params[]": {"x"}}} {
		status, out := 0, map[string]any{}
		s, body, _ := a.do("POST", "/civicrm/ajax/api4/Note/get", form, a.admin()...)
		status = s
		_ = json.Unmarshal([]byte(body), &out)
		if status != 200 || out["count"] != float64(25) {
			t.Errorf("%v: %d count %v", form, status, out["count"])
		}
	}
}

// Chains: a $-reference the row lacks stays as it is; a chain that is not
// a list is a fatal error; checkPermissions inside a chain is stripped.
func TestAPI4Chains(t *testing.T) {
	a := newAPI4Site(t)
	_, out := a.call("Contact", "get", `{"select":["id"],"where":[["id","=",203]],"chain":{"n":["Note","get",{"select":["id"],"where":[["subject","=","$nope"]]}]}}`)
	if v := values(t, out); len(v) != 1 || len(v[0].(map[string]any)["n"].([]any)) != 0 {
		t.Errorf("unresolved $nope: %v", out)
	}
	status, body, _ := a.do("POST", "/civicrm/ajax/api4/Contact/get", url.Values{"params": {`{"select":["id"],"where":[["id","=",203]],"chain":{"x":"Note"}}`}}, a.admin()...)
	if status != 500 || !strings.Contains(body, "<html") {
		t.Errorf("chain that is not a list: %d %s", status, body)
	}
	status, out = a.call("Contact", "get", `{"select":["id"],"where":[["id","=",205]],"chain":{"n":["Note","create",{"checkPermissions":false,"CheckPermissions":false,"values":{"entity_id":"$id","note":"x"}}]}}`, a.limited()...)
	if status != 403 {
		t.Errorf("limited chained Note.create with checkPermissions false: %d %v", status, out)
	}
	// An integer index in a chain that finds no row fails the call.
	status, out = a.call("Contact", "get", `{"select":["id"],"where":[["id","=",203]],"chain":{"x":["Note","get",{"where":[["id","=",0]]},0]}}`)
	if status != 500 || out["error_message"] != "Index 0 not found in api results" {
		t.Errorf("chain index without row: %d %v", status, out)
	}
}

// Batches: named arguments must be execute()'s; a call that is not an
// array is fatal; calls that are not JSON make an empty answer.
func TestAPI4Batch(t *testing.T) {
	a := newAPI4Site(t)
	for _, c := range []struct {
		calls, want string
		status      int
	}{
		{`{"a":{"entity":"Contact","action":"get","frob":1}}`, "Unknown named parameter $frob", 500},
		{`["Contact"]`, "call_user_func_array(): Argument #2 ($args) must be of type array, string given", 500},
		{`[["Contact","get","x"]]`, "Argument #3 ($params) must be of type array, string given", 500},
		{`not json`, "[]", 200},
		{`[]`, "[]", 200},
		{`[["Contact","get",{"select":["id"],"where":[["id","=",203]]},"id"]]`, `[{"values":{"203":{"id":203}}`, 200},
		// call_user_func_array binds integer keys by their order, not
		// their values (checked against PHP 8.2).
		{`{"a":{"1":"Contact","0":"get","2":{"select":["id"],"where":[["id","=",203]]}}}`, `{"a":{"values":[{"id":203}],"entity":"Contact"`, 200},
		{`{"a":{"0":"Contact","1":"get","3":{"select":["id"],"where":[["id","=",203]]}}}`, `{"a":{"values":[{"id":203}],"entity":"Contact"`, 200},
		{`{"a":{"0":"Contact","entity":"Note","action":"get"}}`, "Named parameter $entity overwrites previous argument", 500},
		{`{"a":{"entity":"Contact","0":"get"}}`, "Cannot use positional argument after named argument", 500},
	} {
		status, body, _ := a.do("POST", "/civicrm/ajax/api4", url.Values{"calls": {c.calls}}, a.admin()...)
		if status != c.status || !strings.Contains(body, c.want) {
			t.Errorf("calls=%s: %d %s", c.calls, status, body)
		}
	}
}

// Index: a negative integer counts from the end; count stays the total.
func TestAPI4IndexNegative(t *testing.T) {
	a := newAPI4Site(t)
	status, body, _ := a.do("POST", "/civicrm/ajax/api4/Contact/get?index=-1",
		url.Values{"params": {`{"select":["id"],"where":[["id","IN",[1,203]]],"orderBy":{"id":"ASC"}}`}}, a.admin()...)
	if status != 200 || !strings.HasPrefix(body, `{"values":{"id":203},`) || !strings.Contains(body, `"count":2`) {
		t.Errorf("index=-1: %d %s", status, body)
	}
}

// Permissions: the coarse check (403) comes after unknown parameters; row
// ACLs filter without refusing: the limited user sees 16 contacts, the
// anonymous caller no notes.
func TestAPI4Permissions(t *testing.T) {
	a := newAPI4Site(t)
	if status, out := a.call("Setting", "get", `{"frob":1}`, a.limited()...); status != 500 {
		t.Errorf("limited Setting.get with an unknown parameter: %d %v", status, out)
	}
	if status, _ := a.call("Contact", "create", `{"values":{"contact_type":"Individual","first_name":"X"}}`, a.limited()...); status != 403 {
		t.Errorf("limited Contact.create: %d", status)
	}
	if _, out := a.call("Contact", "get", `{"select":["row_count"]}`, a.limited()...); out["count"] != float64(16) {
		t.Errorf("limited sees %v contacts, want 16", out["count"])
	}
	status, body, _ := a.do("POST", "/civicrm/ajax/api4/Note/get", url.Values{"params": {"{}"}}, "X-Requested-With", "XMLHttpRequest")
	if status != 200 || !strings.HasPrefix(body, `{"values":[],`) {
		t.Errorf("anonymous Note.get: %d %s", status, body)
	}
}

// Logins: civicrm/authx/login takes a JWT but not an API key (authx_login_cred);
// after logout the old session authenticates nothing.
func TestAPI4SessionLogin(t *testing.T) {
	a := newAPI4Site(t)
	status, body, _ := a.do("POST", "/civicrm/authx/login", url.Values{"_authx": {"Bearer " + a.sim.Admin().APIKey}})
	if status != 401 || !strings.Contains(body, `Authentication type "api_key" with flow "login" is not allowed`) {
		t.Errorf("login with an API key: %d %s", status, body)
	}
	status, _, h := a.do("POST", "/civicrm/authx/login", url.Values{"_authx": {"Bearer " + a.sim.MintJWT(203, 3600e9)}})
	cookie := (&http.Response{Header: h}).Cookies()
	if status != 200 || len(cookie) != 1 {
		t.Fatalf("login: %d %v", status, h)
	}
	sess := cookie[0].Name + "=" + cookie[0].Value
	me := "/civicrm/ajax/api4/Contact/get?params=" + url.QueryEscape(`{"select":["id"],"where":[["id","=",203]]}`)
	if _, body, _ := a.do("GET", me, nil, "Cookie", sess, "X-Requested-With", "XMLHttpRequest"); !strings.Contains(body, `"count":1`) {
		t.Errorf("logged-in session: %s", body)
	}
	a.do("GET", "/civicrm/authx/logout", nil, "Cookie", sess)
	if _, body, _ := a.do("GET", me, nil, "Cookie", sess, "X-Requested-With", "XMLHttpRequest"); !strings.Contains(body, `"count":0`) {
		t.Errorf("session after logout: %s", body)
	}
}

// Paths: Standalone routes on the decoded path; segments after the action
// are ignored; a first segment other than civicrm is "Path not found"
// without PHP's session headers.
func TestAPI4Paths(t *testing.T) {
	a := newAPI4Site(t)
	for _, p := range []string{"/civicrm/ajax/api4/Note%2FgetFields/x/y", "//civicrm//ajax//api4/Note/getFields/"} {
		if status, body, _ := a.do("POST", p, url.Values{"params": {`{"select":["name"],"limit":1}`}}, a.admin()...); status != 200 || !strings.Contains(body, `"action":"getFields"`) {
			t.Errorf("%s: %d %s", p, status, body)
		}
	}
	status, body, h := a.do("GET", "/wp-admin/civicrm/ajax/api4/Note/get", nil, a.admin()...)
	if status != 404 || body != "Path not found" || h.Get("Set-Cookie") != "" || h.Get("Cache-Control") != "" {
		t.Errorf("non-civicrm path: %d %q %v", status, body, h)
	}
}

// Concurrent reads and writes through both API versions keep the store
// consistent (run with -race).
func TestAPI4Concurrent(t *testing.T) {
	a := newAPI4Site(t)
	done := make(chan struct{})
	for w := 0; w < 6; w++ {
		go func(w int) {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 10; i++ {
				switch w % 3 {
				case 0:
					a.do("POST", "/civicrm/ajax/api4/Note/create", url.Values{"params": {`{"values":{"entity_id":203,"note":"c","subject":"conc"}}`}}, a.admin()...)
				case 1:
					a.do("POST", "/civicrm/ajax/api4", url.Values{"calls": {`[["Note","get",{"where":[["subject","=","conc"]],"join":[["Contact AS c","INNER",["c.id","=","entity_id"]]]}],["Contact","get",{"select":["row_count"]}]]`}}, a.limited()...)
				default:
					a.do("POST", "/civicrm/ajax/rest", url.Values{"entity": {"Email"}, "action": {"create"},
						"json": {`{"contact_id":203,"email":"c@example.org"}`}}, a.admin()...)
				}
			}
		}(w)
	}
	for w := 0; w < 6; w++ {
		<-done
	}
	if _, out := a.call("Note", "get", `{"select":["row_count"],"where":[["subject","=","conc"]]}`); out["count"] != float64(20) {
		t.Errorf("%v notes created concurrently, want 20", out["count"])
	}
	if _, out := a.call("Email", "get", `{"select":["row_count"],"where":[["email","=","c@example.org"]]}`); out["count"] != float64(20) {
		t.Errorf("%v emails created concurrently through APIv3, want 20", out["count"])
	}
}

// What PHP puts in the variables the page reads: retrieve()'s "amp;"
// aliases, post_max_size emptying $_POST (the query's params then run),
// and, where php.ini sets no request_order, the cookies in $_REQUEST.
func TestAPI4RequestVariables(t *testing.T) {
	a := newAPI4Site(t)
	one := `{"select":["id"],"where":[["id","=",203]]}`
	for _, alias := range []string{"amp;params", "paramp;ams", "amp;amp;params"} {
		status, body, _ := a.do("GET", "/civicrm/ajax/api4/Contact/get?"+alias+"="+url.QueryEscape(one), nil, a.admin()...)
		if status != 200 || !strings.HasPrefix(body, `{"values":[{"id":203}]`) {
			t.Errorf("%s: %d %.200s", alias, status, body)
		}
	}

	small := New(Options{Fixture: FixtureAPI4, PostMaxSize: 1000})
	srv := httptest.NewServer(small)
	defer srv.Close()
	form := "params=" + url.QueryEscape(`{"select":["id"],"where":[["id","=",1]],"x":"`+strings.Repeat("y", 1000)+`"}`)
	req, _ := http.NewRequest("POST", srv.URL+"/civicrm/ajax/api4/Contact/get?params="+url.QueryEscape(one), strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Civi-Auth", "Bearer "+small.Admin().APIKey)
	resp, err := replayClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(body), `{"values":[{"id":203}]`) {
		t.Errorf("past post_max_size the query's params run: %s", body)
	}

	for order, want := range map[string]string{"": `{"values":[{"id":1}]`, "GPC": `{"values":[{"id":203}]`} {
		sim := New(Options{Fixture: FixtureAPI4, RequestOrder: order})
		srv := httptest.NewServer(sim)
		req, _ := http.NewRequest("GET", srv.URL+"/civicrm/ajax/api4/Contact/get?params="+url.QueryEscape(`{"select":["id"],"where":[["id","=",1]]}`), nil)
		req.Header.Set("X-Civi-Auth", "Bearer "+sim.Admin().APIKey)
		req.Header.Set("Cookie", "SESS=1; params="+url.PathEscape(one))
		resp, err := replayClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		if !strings.HasPrefix(string(body), want) {
			t.Errorf("request_order %q: %s", order, body)
		}
	}
}

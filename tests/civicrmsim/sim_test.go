package civicrmsim

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

type client struct {
	t   *testing.T
	sim *Simulator
	srv *httptest.Server
}

func newClient(t *testing.T, opts Options) *client {
	sim := New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &client{t: t, sim: sim, srv: srv}
}

// do sends method path?query with an optional form body and headers
// ("Name: value"), returning status, Content-Type and body.
func (c *client) do(method, path, form string, headers ...string) (int, string, string) {
	c.t.Helper()
	var body io.Reader
	if form != "" {
		body = strings.NewReader(form)
	}
	req, _ := http.NewRequest(method, c.srv.URL+path, body)
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

const extern = "/sites/all/modules/civicrm/extern/rest.php"

// Vector 34, computed here from first principles (HKDF-SHA256 key, kid =
// base64url(sha1(suite\0key)), HS256 over the PHP-encoded header and
// claims) rather than through package authx, then verified by the
// simulator.
func TestVector34JWT(t *testing.T) {
	const want = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiIsImtpZCI6Ik1HbGY1MzlEeVBBT211Y0NDUFpoejhEWEhmWSJ9.eyJleHAiOjQxMDI0NDQ4MDAsInN1YiI6ImNpZDoyMDMiLCJzY29wZSI6ImF1dGh4In0.A3slPYeH0Xd7aBLf66SvidKdAMjUThsAZJALD4mpJz0"
	key, err := hkdf.Key(sha256.New, []byte("test-secret-123"), nil, "", 32)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(key) != "9eea85a2e0f17421349152df10742527a25a5cdfc19f04e1d85d9c9ed51d4474" {
		t.Fatalf("hkdf key %x", key)
	}
	sum := sha1.Sum(append([]byte("jwt-hs256\x00"), key...))
	kid := base64.RawURLEncoding.EncodeToString(sum[:])
	if kid != "MGlf539DyPAOmucCCPZhz8DXHfY" {
		t.Fatalf("kid %s", kid)
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(`{"typ":"JWT","alg":"HS256","kid":"`+kid+`"}`)) + "." +
		enc.EncodeToString([]byte(`{"exp":4102444800,"sub":"cid:203","scope":"authx"}`))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(signing))
	if tok := signing + "." + enc.EncodeToString(mac.Sum(nil)); tok != want {
		t.Fatalf("token\n got %s\nwant %s", tok, want)
	}

	// The simulator accepts it for an existing contact 203 only: give the
	// site 203 contacts so contact 203 exists.
	c := newClient(t, Options{SignKeys: "jwt-hs256:hkdf-sha256:test-secret-123", ExtraContacts: 200})
	st, _, body := c.do("GET", "/civicrm/authx/id", "", "X-Civi-Auth: Bearer "+want)
	if st != 200 || body != `{"contact_id":203,"user_id":null,"flow":"xheader","cred":"jwt"}` {
		t.Fatalf("authx/id: %d %s", st, body)
	}
	c2 := newClient(t, Options{SignKeys: "jwt-hs256:hkdf-sha256:test-secret-123"})
	if st, _, body := c2.do("GET", "/civicrm/authx/id", "", "X-Civi-Auth: Bearer "+want); st != 401 || body != "HTTP 401 Contact ID 203 is invalid" {
		t.Fatalf("missing contact: %d %s", st, body)
	}
	past := c.sim
	past.opts.Now = func() time.Time { return time.Unix(4102444800, 0) }
	if st, _, body := c.do("GET", "/civicrm/authx/id", "", "X-Civi-Auth: Bearer "+want); st != 401 || body != "HTTP 401 Expired token" {
		t.Fatalf("expired: %d %s", st, body)
	}
}

func TestAuthxShapes(t *testing.T) {
	c := newClient(t, Options{})
	ak, nk, sk := c.sim.Admin().APIKey, c.sim.NoUser().APIKey, c.sim.SiteKey()
	get := "/civicrm/ajax/rest?entity=Contact&action=getcount&json=1"
	cases := []struct {
		name, method, path, form string
		headers                  []string
		status                   int
		ct, body                 string
	}{
		{"xheader api key", "GET", get, "", []string{"X-Civi-Auth: Bearer " + ak}, 200, "application/json", `{"is_error":0,"result":6}`},
		{"xheader wrong", "GET", get, "", []string{"X-Civi-Auth: Bearer wrong"}, 401, "text/plain;charset=UTF-8", "HTTP 401 Invalid credential"},
		{"xheader no prefix", "GET", get, "", []string{"X-Civi-Auth: " + ak}, 401, "text/plain;charset=UTF-8", "HTTP 401 Invalid credential"},
		{"xheader lowercase bearer", "GET", get, "", []string{"X-Civi-Auth: bearer " + ak}, 401, "text/plain;charset=UTF-8", "HTTP 401 Invalid credential"},
		{"authorization needs XRW (31)", "GET", get, "", []string{"Authorization: Bearer " + ak}, 200, "application/json",
			`{"IP":"127.0.0.1","level":"security","referer":null,"reason":"CSRF suspected","is_error":1,"error_message":"SECURITY ALERT: Ajax requests can only be issued by javascript clients, eg. CRM.api3()."}`},
		{"authorization + XRW", "GET", get, "", []string{"Authorization: Bearer " + ak, "X-Requested-With: XMLHttpRequest"}, 200, "application/json", `{"is_error":0,"result":6}`},
		{"_authx GET", "GET", get + "&_authx=Bearer%20" + ak, "", nil, 200, "application/json", `{"is_error":0,"result":6}`},
		{"_authx in query of POST ignored (33)", "POST", "/civicrm/ajax/rest?_authx=Bearer%20" + ak, "entity=Contact&action=getcount&json=1", nil, 403, "text/html; charset=UTF-8", ""},
		{"legacyrest (27)", "POST", "/civicrm/ajax/rest", "entity=Contact&action=getcount&json=1&key=" + sk + "&api_key=" + ak, nil, 200, "application/json", `{"is_error":0,"result":6}`},
		{"legacyrest garbage (28)", "POST", "/civicrm/ajax/rest", "entity=Contact&action=get&json=1&key=" + sk + "&api_key=garbage", nil, 200, "text/javascript;charset=UTF-8", `{"error_message":"FATAL: Invalid credential","is_error":1}`},
		{"legacyrest no user (30)", "POST", "/civicrm/ajax/rest", "entity=Contact&action=get&json=1&key=" + sk + "&api_key=" + nk, nil, 200, "text/javascript;charset=UTF-8", `{"error_message":"FATAL: Cannot login. No matching user is available.","is_error":1}`},
		{"legacyrest wrong key, admin has perm (29)", "POST", "/civicrm/ajax/rest", "entity=Contact&action=getcount&json=1&key=wrong&api_key=" + ak, nil, 200, "application/json", `{"is_error":0,"result":6}`},
		{"legacyrest wrong key, grace lacks perm (29)", "POST", "/civicrm/ajax/rest", "entity=Contact&action=getcount&json=1&key=wrong&api_key=" + c.sim.User("grace").APIKey, nil, 200, "text/javascript;charset=UTF-8",
			`{"error_message":"FATAL: Login not permitted. Must satisfy guard (site_key, perm).","is_error":1}`},
		{"nouser xheader guard", "GET", get, "", []string{"X-Civi-Auth: Bearer " + nk}, 401, "text/plain;charset=UTF-8", "HTTP 401 Login not permitted. Must satisfy guard (site_key, perm)."},
		{"nouser xheader + site key: 403", "GET", get, "", []string{"X-Civi-Auth: Bearer " + nk, "X-Civi-Key: " + sk}, 403, "text/html; charset=UTF-8", ""},
		{"nouser authx/id + site key", "GET", "/civicrm/authx/id", "", []string{"X-Civi-Auth: Bearer " + nk, "X-Civi-Key: " + sk}, 200, "application/json", `{"contact_id":14,"user_id":null,"flow":"xheader","cred":"api_key"}`},
		{"basic not allowed by default", "GET", get, "", []string{"X-Civi-Auth: Basic " + base64.StdEncoding.EncodeToString([]byte("admin:"+c.sim.Admin().Password))}, 401, "text/plain;charset=UTF-8",
			`HTTP 401 Authentication type "pass" with flow "xheader" is not allowed for this principal.`},
		{"no credential", "GET", get, "", nil, 403, "text/html; charset=UTF-8", ""},
		{"destructive GET (10)", "GET", "/civicrm/ajax/rest?entity=Contact&action=create&json=1&contact_type=Individual", "", []string{"X-Civi-Auth: Bearer " + ak}, 200, "application/json",
			`{"IP":"127.0.0.1","level":"security","referer":null,"reason":"Destructive HTTP GET","is_error":1,"error_message":"SECURITY: All requests that modify the database must be http POST, not GET."}`},
		{"extern no key (12)", "GET", extern + "?entity=Contact&action=get&json=1", "", nil, 200, "application/json", `{"error_message":"Failed to authenticate key","is_error":1}`},
		{"extern no key XML (15)", "GET", extern + "?entity=Contact&action=get", "", nil, 200, "text/xml;charset=UTF-8",
			"<?xml version=\"1.0\"?>\n      <ResultSet xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" >\n      <Result>\n    <error_message>Failed to authenticate key</error_message>\n    <is_error>1</is_error>\n</Result>\n</ResultSet>\n"},
		{"extern unknown entity (22)", "GET", extern + "?entity=Foo&action=get&json=1&key=" + sk + "&api_key=" + ak, "", nil, 200, "application/json",
			`{"error_code":"not-found","entity":"Foo","action":"get","is_error":1,"error_message":"API (Foo, get) does not exist (join the API team and implement it!)"}`},
		{"extern unknown action", "GET", extern + "?entity=Contact&action=getfoo&json=1&key=" + sk + "&api_key=" + ak, "", nil, 200, "application/json",
			`{"error_code":"not-found","entity":"Contact","action":"getfoo","is_error":1,"error_message":"API (Contact, getfoo) does not exist (join the API team and implement it!)"}`},
		{"mandatory missing XML is empty (23)", "POST", extern, "entity=Contact&action=create&key=" + sk + "&api_key=" + ak, nil, 200, "text/xml;charset=UTF-8",
			"<?xml version=\"1.0\"?>\n      <ResultSet xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" >\n      </ResultSet>\n"},
		{"getsingle 6 matches (24)", "GET", extern + "?entity=Contact&action=getsingle&json=1&key=" + sk + "&api_key=" + ak, "", nil, 200, "application/json",
			`{"count":6,"is_error":1,"error_message":"Expected one Contact but found 6"}`},
		{"getsingle with chain has no is_error (21)", "GET", extern + "?entity=Contact&action=getsingle&key=" + sk + "&api_key=" + ak + "&json=" + url.QueryEscape(`{"id":4,"return":"display_name","api.Email.get":{"return":"email"}}`), "", nil, 200, "application/json",
			`{"contact_id":"4","display_name":"Grace Hopper","id":"4","api.Email.get":{"is_error":0,"version":3,"count":1,"id":3,"values":[{"id":"3","email":"grace@example.org"}]}}`},
		{"options limit/offset/sort + sequential", "GET", extern + "?entity=Contact&action=get&key=" + sk + "&api_key=" + ak + "&json=" + url.QueryEscape(`{"sequential":1,"return":["display_name"],"options":{"limit":2,"offset":1,"sort":"display_name DESC"}}`), "", nil, 200, "application/json",
			`{"is_error":0,"version":3,"count":2,"values":[{"contact_id":"14","display_name":"NoUser Keyholder","id":"14"},{"contact_id":"5","display_name":"Katherine Johnson","id":"5"}]}`},
		{"bad sort", "GET", extern + "?entity=Contact&action=get&json=1&key=" + sk + "&api_key=" + ak + "&options[sort]=id;drop", "", nil, 200, "application/json",
			`{"is_error":1,"error_message":"Unknown field specified for sort. Cannot order by 'id;drop'"}`},
		{"prettyprint GET: PHP default type", "GET", extern + "?entity=Contact&action=getcount&json=1&prettyprint=1&key=" + sk + "&api_key=" + ak, "", nil, 200, "text/html; charset=UTF-8", "{\n    \"is_error\": 0,\n    \"result\": 6\n}"},
		{"ping on ajax is not a ping", "POST", "/civicrm/ajax/rest", "q=civicrm/ping&json=1&api_key=" + ak, nil, 200, "application/json", `{"error_message":"missing mandatory params \"entity=\" or \"action=\"","is_error":1}`},
	}
	for _, tc := range cases {
		st, ct, body := c.do(tc.method, tc.path, tc.form, tc.headers...)
		if st != tc.status || ct != tc.ct || tc.body != "" && body != tc.body {
			t.Errorf("%s: got %d %q %s\nwant %d %q %s", tc.name, st, ct, body, tc.status, tc.ct, tc.body)
		}
	}
}

// Chaining: a write inside a get runs (integer 1), the string "1" that
// key-value params give is no chain (vector 11); batches (vector 38).
func TestChainAndBatch(t *testing.T) {
	c := newClient(t, Options{})
	ak, sk := c.sim.Admin().APIKey, c.sim.SiteKey()
	auth := "&key=" + sk + "&api_key=" + ak
	count := func() string {
		_, _, b := c.do("GET", extern+"?entity=Contact&action=getcount&json=1"+auth, "")
		return b
	}
	c.do("GET", extern+"?entity=Contact&action=get&json=1&id=5&api.Contact.delete=1"+auth, "")
	if got := count(); got != `{"is_error":0,"result":6}` {
		t.Fatalf("string \"1\" chained a delete: %s", got)
	}
	_, _, b := c.do("GET", extern+"?entity=Contact&action=get"+auth+"&json="+url.QueryEscape(`{"id":5,"api.Contact.delete":1}`), "")
	if !strings.Contains(b, `"api.Contact.delete":{"is_error":0,"version":3,"count":1,"values":1}`) {
		t.Fatalf("chained delete: %s", b)
	}
	if got := count(); got != `{"is_error":0,"result":5}` {
		t.Fatalf("integer 1 did not delete: %s", got)
	}
	_, _, b = c.do("POST", "/civicrm/ajax/rest", "entity=api3&action=call&json="+url.QueryEscape(`{"a":["Contact","get",{"id":1,"return":"display_name"}],"b":["Contact","getcount",{}]}`),
		"X-Civi-Auth: Bearer "+ak)
	if b != `{"a":{"is_error":0,"version":3,"count":1,"id":1,"values":{"1":{"contact_id":"1","display_name":"Default Organization","id":"1"}}},"b":5}` {
		t.Fatalf("batch: %s", b)
	}
}

// Two users see different contacts: a cache must never hand one's answer
// to the other.
func TestACLUsersSeeDifferentContacts(t *testing.T) {
	c := newClient(t, Options{})
	ada, grace := c.sim.ACLUsers()
	ids := func(u *User) string {
		_, _, b := c.do("GET", "/civicrm/ajax/rest?entity=Contact&action=get&json="+url.QueryEscape(`{"return":"id","sequential":1}`), "", "X-Civi-Auth: Bearer "+u.APIKey, "X-Civi-Key: "+c.sim.SiteKey())
		return b
	}
	if got := ids(ada); got != `{"is_error":0,"version":3,"count":2,"values":[{"contact_id":"3","id":"3"},{"contact_id":"5","id":"5"}]}` {
		t.Errorf("ada: %s", got)
	}
	if got := ids(grace); got != `{"is_error":0,"version":3,"count":2,"values":[{"contact_id":"1","id":"1"},{"contact_id":"4","id":"4"}]}` {
		t.Errorf("grace: %s", got)
	}
	if got := ids(c.sim.Admin()); !strings.Contains(got, `"count":6`) {
		t.Errorf("admin: %s", got)
	}
}

func TestCountsFailHangLatency(t *testing.T) {
	c := newClient(t, Options{})
	hdr := "X-Civi-Auth: Bearer " + c.sim.Admin().APIKey
	path := "/civicrm/ajax/rest?entity=contact&action=get&json=1"
	c.do("GET", path, "", hdr)
	c.do("GET", path, "", hdr)
	if n := c.sim.Calls("Contact.get"); n != 2 {
		t.Fatalf("Calls = %d, want 2", n)
	}
	c.sim.SetMode(ModeFail)
	if st, _, _ := c.do("GET", path, "", hdr); st != 500 {
		t.Fatalf("fail mode: %d", st)
	}
	if n := c.sim.Calls("Contact.get"); n != 2 {
		t.Fatalf("a failed request counted as a call: %d", n)
	}
	c.sim.SetMode(ModeHang)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.srv.URL+path, nil)
	req.Header.Set("X-Civi-Auth", "Bearer "+c.sim.Admin().APIKey)
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("hang mode answered")
	}
	done := make(chan int)
	go func() { st, _, _ := c.do("GET", path, "", hdr); done <- st }()
	time.Sleep(50 * time.Millisecond)
	c.sim.SetMode(ModeNormal)
	if st := <-done; st != 200 {
		t.Fatalf("released request: %d", st)
	}
	c.sim.SetLatency(60 * time.Millisecond)
	start := time.Now()
	c.do("GET", path, "", hdr)
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Fatalf("latency not applied: %s", d)
	}
	if c.sim.Requests() != 6 {
		t.Fatalf("Requests = %d, want 6", c.sim.Requests())
	}
}

func TestLegacyJSONBefore68(t *testing.T) {
	c := newClient(t, Options{Version: "5.81.1", Fixture: Fixture581})
	_, _, b := c.do("POST", extern, "entity=Contact&action=create&json=1&contact_type=Individual&first_name=Zoë&last_name=A/B&key="+c.sim.SiteKey()+"&api_key="+c.sim.Admin().APIKey)
	if !strings.Contains(b, `"display_name":"Zo\u00eb A\/B"`) {
		t.Fatalf("5.81 JSON escaping: %s", b)
	}
}

// _civicrm_api_replace_variables (6.x): a chained call's "$value…"
// references take the parent row's data, sibling chains' results
// included; an "api_" key whose reference finds an array (or the integer
// 1) becomes a chain there, while "api." keys are left alone (CRM-21246).
func TestChainValueSubstitution(t *testing.T) {
	c := newClient(t, Options{})
	auth := "&key=" + c.sim.SiteKey() + "&api_key=" + c.sim.Admin().APIKey
	count := func() string {
		_, _, b := c.do("GET", extern+"?entity=Contact&action=getcount&json=1"+auth, "")
		return b
	}
	post := func(js string) string {
		_, _, b := c.do("POST", extern, "entity=Contact&action=get"+auth+"&json="+url.QueryEscape(js))
		return b
	}
	before := count()
	b := post(`{"id":4,"api.Email.get":{"email":"$value.email","return":"email"},"api.Contact.get.a":{"id":"$value.id"},` +
		`"api.Contact.get.b":{"id":"$value.id","api.Contact.delete":"$value.api.Contact.get.a"}}`)
	if !strings.Contains(b, `"api.Email.get":{"is_error":0,"version":3,"count":1,"id":3,"values":[{"id":"3","email":"grace@example.org"}]}`) || count() != before {
		t.Fatalf("a plain reference, or one under an api. key: %s (contacts %s, were %s)", b, count(), before)
	}
	for id, ref := range map[string]string{"5": `"$value.api.Contact.get.a"`, "14": `"$value.api.Contact.get.a.count"`, "3": `["$value.api.Contact.get.a.values.0"]`} {
		before := count()
		b := post(`{"id":` + id + `,"api.Contact.get.a":{"id":"$value.id"},"api.Contact.get.b":{"id":"$value.id","api_Contact_delete":` + ref + `}}`)
		if !strings.Contains(b, `"api_Contact_delete":`) || count() == before {
			t.Fatalf("%s under api_Contact_delete did not delete contact %s: %s", ref, id, b)
		}
	}
}

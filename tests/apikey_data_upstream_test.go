package tests

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// An API key is data too: a lookup of the contact a key belongs to (how
// SSO bridges and key-rotation scripts find a key's contact) carries a
// live credential in the call's parameters. Sent as GET, Civigate used to
// forward it as GET with the key in the URL (json=… or params=…), which
// CiviCRM's web server logs. A call whose forwarded query would name
// api_key as data now goes upstream as POST, its parameters in a
// urlencoded body and nothing but the route in the URL; CiviCRM (the
// simulator, which reads a POST's form as PHP does) answers it as it
// answers the GET, the cache keeps it, and the client cannot tell.

// keyDataUp is the upstream: every request goes to the simulator, and the
// API calls' method, request target, Content-Type and body are recorded.
type keyDataUp struct {
	sim  *civicrmsim.Simulator
	mu   sync.Mutex
	seen []keyDataSeen
}

type keyDataSeen struct{ method, uri, contentType, body string }

func (u *keyDataUp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.URL.Path+"?"+r.URL.RawQuery, "civicrm/ajax/") {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		u.mu.Lock()
		u.seen = append(u.seen, keyDataSeen{r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"), string(body)})
		u.mu.Unlock()
	}
	u.sim.ServeHTTP(w, r)
}

// take is what reached the API routes since the last take.
func (u *keyDataUp) take() []keyDataSeen {
	u.mu.Lock()
	defer u.mu.Unlock()
	s := u.seen
	u.seen = nil
	return s
}

// holdsKey reports whether s holds key under any spelling a URL can give
// it: percent-encoded (up to three times), '+' for nothing it has, any
// letter case.
func holdsKey(s, key string) bool {
	for range 3 {
		if u, err := url.QueryUnescape(s); err == nil {
			s = u
		}
	}
	return strings.Contains(strings.ToLower(s), strings.ToLower(key))
}

func TestAPIKeyAsDataNeverInUpstreamURL(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	up := &keyDataUp{sim: sim}
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	direct := httptest.NewServer(sim)
	t.Cleanup(direct.Close)
	sk := sim.SiteKey()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), "site_key "+sk))
	admin, ada := sim.Admin(), sim.User("ada")
	k := ada.APIKey // the key looked up: data, not the caller's credential
	hdr := http.Header{"X-Civi-Auth": {"Bearer " + admin.APIKey}, "X-Civi-Key": {sk}}
	extern := "/sites/all/modules/civicrm/extern/rest.php?key=" + sk + "&api_key=" + admin.APIKey + "&"
	ajax := "/civicrm/ajax/rest?"
	api4 := "/civicrm/ajax/api4/Contact/get?"
	q := url.QueryEscape
	type row struct {
		name, path string
		header     http.Header
		cached     bool
	}
	rows := []row{
		{"APIv3 extern/rest.php json api_key", extern + "entity=Contact&action=get&json=" + q(`{"api_key":"`+k+`","return":"id"}`), nil, true},
		{"APIv3 ajax/rest json api_key", ajax + "entity=Contact&action=get&json=" + q(`{"api_key":"`+k+`","return":"display_name"}`), hdr, true},
		{"APIv3 key-value return", ajax + "entity=Contact&action=get&json=" + q(`{"api_key":"`+k+`"}`) + "&return[]=id&return[]=display_name", hdr, true},
		{"APIv3 getvalue, key-value return", ajax + "entity=Contact&action=getvalue&return=id&json=" + q(`{"api_key":"`+k+`"}`), hdr, false},
		{"APIv3 API_KEY in another letter case, the key upper-cased", ajax + "entity=Contact&action=get&json=" + q(`{"API_Key":"`+strings.ToUpper(k)+`"}`), hdr, true},
		{"APIv3 key-value json brackets", ajax + "entity=Contact&action=get&json=1&" + q("options[api_key]") + "=" + k, hdr, true},
		{"APIv3 chained call", ajax + "entity=Contact&action=get&json=" + q(`{"id":2,"api.Contact.get":{"api_key":"`+k+`","return":"id"}}`), hdr, true},
		{"APIv3 batch of reads", ajax + "entity=api3&action=call&json=" + q(`{"a":["Contact","get",{"api_key":"`+k+`","return":"id"}],"b":["Contact","getcount",{"api_key":"`+k+`"}]}`), hdr, false},
		{"APIv4 where", api4 + "params=" + q(`{"select":["id"],"where":[["api_key","=","`+k+`"]]}`), hdr, true},
		{"APIv4 nested where", api4 + "params=" + q(`{"select":["id"],"where":[["OR",[["api_key","=","`+k+`"],["id","=",0]]]]}`), hdr, true},
		{"APIv4 join", api4 + "params=" + q(`{"select":["id"],"join":[["Contact AS c","INNER",["c.id","=","id"],["c.api_key","=","'`+k+`'"]]]}`), hdr, true},
		{"APIv4 having", api4 + "params=" + q(`{"select":["id","api_key"],"having":[["api_key","=","`+k+`"]]}`), hdr, true},
		{"APIv4 the key upper-cased, with index", api4 + "params=" + q(`{"select":["id"],"where":[["api_key","=","`+strings.ToUpper(k)+`"]]}`) + "&index=0", hdr, true},
		{"APIv4 chain", api4 + "params=" + q(`{"select":["id"],"where":[["id","=",2]],"chain":{"c":["Contact","get",{"where":[["api_key","=","`+k+`"]]}]}}`), hdr, true},
		{"APIv4 where merged from the query", api4 + "select[]=id&select[]=display_name&where[0][]=api_key&where[0][]=" + q("=") + "&where[0][]=" + k, hdr, true},
		{"APIv4 where merged from the query beside params", api4 + "params=" + q(`{"select":["id"]}`) + "&where[0][]=api_key&where[0][]=" + q("=") + "&where[0][]=" + k + "&limit=5", hdr, true},
		// The name JSON-escaped, which json_decode reads as api_key (attack 11b).
		{"APIv3 json api\\u005fkey", ajax + "entity=Contact&action=get&json=" + q(`{"api\u005fkey":"`+k+`","return":"contact_type"}`), hdr, true},
		{"APIv4 where \\u0061pi_k\\u0065y", api4 + "params=" + q(`{"select":["id","contact_type"],"where":[["\u0061pi_k\u0065y","=","`+k+`"]]}`), hdr, true},
		{"APIv4 write sent as GET (CiviCRM's 405)", "/civicrm/ajax/api4/Contact/create?params=" + q(`{"values":{"api_key":"`+k+`"}}`), hdr, false},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			want := do(t, "GET", direct.URL+r.path, "", r.header)
			up.take()
			got := do(t, "GET", inst.URL+r.path, "", r.header)
			if got.status != want.status || got.body != want.body {
				t.Errorf("the client's answer changed:\n got %d %.300s\nwant %d %.300s", got.status, got.body, want.status, want.body)
			}
			seen := up.take()
			if len(seen) != 1 {
				t.Fatalf("%d API requests reached CiviCRM, want 1: %v", len(seen), seen)
			}
			s := seen[0]
			if holdsKey(s.uri, k) {
				t.Errorf("the looked-up API key reached CiviCRM in the URL: %s %s", s.method, s.uri)
			}
			if strings.Contains(r.name, "405") {
				if s.method != "GET" || s.body != "" {
					t.Errorf("a call CiviCRM refuses by its method went as %s with body %q", s.method, s.body)
				}
				return
			}
			if s.method != "POST" || s.contentType != "application/x-www-form-urlencoded" || !holdsKey(s.body, k) {
				t.Errorf("want a POST carrying the call in a urlencoded body, got %s %s (%s) %q", s.method, s.uri, s.contentType, s.body)
			}
			if !r.cached {
				return
			}
			if got.header.Get("Cache-Status") != "Civigate; fwd=miss; fwd-status=200; stored" {
				t.Errorf("first call: Cache-Status %q", got.header.Get("Cache-Status"))
			}
			again := do(t, "GET", inst.URL+r.path, "", r.header)
			if again.header.Get("Cache-Status") != "Civigate; hit" || again.body != want.body || len(up.take()) != 0 {
				t.Errorf("second call: %d %s %.200s, upstream reached again: %v", again.status, again.header.Get("Cache-Status"), again.body, up.seen)
			}
		})
	}

	// A POST with the key in the client's query (setvalue's field=api_key
	// and value=…) goes as it did: its parameters in the body. The same
	// call sent as GET is refused at the edge (CiviCRM's destructive-GET
	// rule) and reaches nothing.
	t.Run("setvalue", func(t *testing.T) {
		newKey := "nk" + randomHex(t, 15)
		call := "entity=Contact&action=setvalue&field=api_key&value=" + newKey + "&id=" + itoa(int(ada.ContactID)) + "&json=1"
		refused := do(t, "GET", inst.URL+extern+call, "", nil)
		if !strings.Contains(refused.body, "Destructive HTTP GET") || len(up.take()) != 0 {
			t.Errorf("setvalue over GET: %d %.200s", refused.status, refused.body)
		}
		got := do(t, "POST", inst.URL+extern+call, "", nil)
		seen := up.take()
		if got.status != 200 || len(seen) != 1 || holdsKey(seen[0].uri, newKey) || seen[0].method != "POST" {
			t.Errorf("setvalue over POST: %d %.200s, upstream %v", got.status, got.body, seen)
		}
	})
}

// A batch sent as GET with a member CiviCRM's GET rule refuses stays a
// GET: as POST, CiviCRM would run that member.
func TestAPIKeyAsDataBatchWithAWriteStaysGET(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	up := &keyDataUp{sim: sim}
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	sk := sim.SiteKey()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), "site_key "+sk, "cache off"))
	hdr := http.Header{"X-Civi-Auth": {"Bearer " + sim.Admin().APIKey}, "X-Civi-Key": {sk}}
	k := sim.User("ada").APIKey
	batch := `{"a":["Contact","get",{"api_key":"` + k + `","return":"id"}],"b":["Contact","create",{"contact_type":"Individual","first_name":"Batched"}]}`
	got := do(t, "GET", inst.URL+"/civicrm/ajax/rest?entity=api3&action=call&json="+url.QueryEscape(batch), "", hdr)
	seen := up.take()
	if len(seen) != 1 || seen[0].method != "GET" || !strings.Contains(got.body, "Destructive HTTP GET") {
		t.Errorf("got %d %.300s; upstream %v", got.status, got.body, seen)
	}
}

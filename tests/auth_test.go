package tests

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/tests/civicrmsim"
)

type authEnv struct {
	stub     *stubCiviCRM
	inst     caddyInstance
	siteKey  string
	signKeys []authx.SignKey
}

func startAuthEnv(t *testing.T, extra string) authEnv {
	t.Helper()
	stub := newStubCiviCRM(t)
	siteKey := "sk-" + randomHex(t, 12)
	signKeys := "jwt-hs256:hkdf-sha256:" + randomHex(t, 16)
	keys, err := authx.ParseSignKeys(signKeys)
	if err != nil {
		t.Fatal(err)
	}
	inst := startCaddy(t, siteCaddyfile(stub.Host(), "site_key "+siteKey, "sign_keys "+signKeys, extra))
	stub.seen()
	return authEnv{stub: stub, inst: inst, siteKey: siteKey, signKeys: keys}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, target, body string, header http.Header) answer {
	t.Helper()
	r, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		r.Header[k] = v
	}
	if h := r.Header.Get("Host"); h != "" {
		r.Host = h // Go sends r.Host, never a Host header
		r.Header.Del("Host")
	}
	return doReq(t, r)
}

// siteHost is the Host a load balancer passes on to every instance of one
// site. Cached entries are bound to the Host CiviCRM gets, so instances
// share theirs for one public Host, as in production, and not for their
// own 127.0.0.1:port: tests of instances sharing a store send it.
var siteHost = http.Header{"Host": {"civicrm.test"}}

// doReq sends r and reads the whole answer.
func doReq(t *testing.T, r *http.Request) answer {
	t.Helper()
	return doWith(t, http.DefaultClient, r)
}

// doWith sends r with client; the answer is read whole.
func doWith(t *testing.T, client *http.Client, r *http.Request) answer {
	t.Helper()
	resp, err := client.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

// Every flow and every rejection shape through real Caddy, and what reaches
// CiviCRM: only the credential Civigate vouches for, never the client's copy.
func TestEdgeAuthenticationThroughCaddy(t *testing.T) {
	// Caching off: every accepted call must show what reaches CiviCRM.
	env := startAuthEnv(t, "cache off")
	ak, sk := env.stub.APIKey, env.siteKey
	extern := env.inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1"
	ajax := env.inst.URL + "/civicrm/ajax/rest?entity=Contact&action=get&json=1"
	jwt, _ := authx.MintCiviJWT(env.signKeys, 2, time.Now(), time.Minute)
	expired, _ := authx.MintCiviJWT(env.signKeys, 2, time.Now().Add(-time.Hour), time.Minute)

	legacyErr := func(msg string) string { return `{"error_message":"` + msg + `","is_error":1}` }
	for _, tc := range []struct {
		name         string
		method, url  string
		body         string
		header       http.Header
		status       int
		bodyIs       string // exact body, or
		bodyHas      string // a part of it
		challenge    string // WWW-Authenticate prefix
		upstreamAuth string // X-Civi-Auth CiviCRM must receive on the API call ("" = no API call)
	}{
		{name: "legacy query keys", method: "GET", url: extern + "&key=" + sk + "&api_key=" + ak,
			status: 200, bodyIs: stubContactGet, upstreamAuth: "Bearer " + ak},
		{name: "legacy form keys", method: "POST", url: extern, body: "key=" + sk + "&api_key=" + ak,
			status: 200, bodyIs: stubContactGet, upstreamAuth: "Bearer " + ak},
		{name: "legacy wrong site key", method: "GET", url: extern + "&key=wrong-key-123&api_key=" + ak,
			status: 200, bodyIs: legacyErr("Failed to authenticate key")},
		{name: "legacy missing site key", method: "GET", url: extern + "&api_key=" + ak,
			status: 200, bodyIs: legacyErr("Failed to authenticate key")},
		{name: "legacy missing api_key", method: "GET", url: extern + "&key=" + sk,
			status: 200, bodyIs: legacyErr("FATAL: mandatory param 'api_key' (user key) missing")},
		{name: "legacy unknown api_key", method: "GET", url: extern + "&key=" + sk + "&api_key=nope" + randomHex(t, 4),
			status: 200, bodyIs: legacyErr("ERROR: No CMS user associated with given api-key")},
		// extern/rest.php looks api_key up as a key; a JWT names no user.
		{name: "legacy JWT as api_key", method: "GET", url: extern + "&key=" + sk + "&api_key=" + jwt,
			status: 200, bodyIs: legacyErr("ERROR: No CMS user associated with given api-key")},
		{name: "xheader api key", method: "GET", url: ajax, header: http.Header{"X-Civi-Auth": {"Bearer " + ak}, "X-Civi-Key": {sk}},
			status: 200, bodyIs: stubContactGet, upstreamAuth: "Bearer " + ak},
		{name: "xheader JWT", method: "GET", url: ajax, header: http.Header{"X-Civi-Auth": {"Bearer " + jwt}, "X-Civi-Key": {sk}},
			status: 200, bodyIs: stubContactGet, upstreamAuth: "Bearer " + jwt},
		{name: "xheader expired JWT", method: "GET", url: ajax, header: http.Header{"X-Civi-Auth": {"Bearer " + expired}, "X-Civi-Key": {sk}},
			status: 401, bodyHas: "Expired token", challenge: `Bearer realm="CiviCRM", error="invalid_token"`},
		{name: "xheader bad key", method: "GET", url: ajax, header: http.Header{"X-Civi-Auth": {"Bearer wrong" + randomHex(t, 4)}, "X-Civi-Key": {sk}},
			status: 401, bodyIs: `{"is_error":1,"error_message":"Invalid credential"}`, challenge: `Bearer realm="CiviCRM", error="invalid_token"`},
		{name: "lowercase bearer", method: "GET", url: ajax, header: http.Header{"X-Civi-Auth": {"bearer " + ak}, "X-Civi-Key": {sk}},
			status: 401, bodyHas: "Invalid credential", challenge: `Bearer realm="CiviCRM", error="invalid_token"`},
		{name: "no credential", method: "GET", url: ajax,
			status: 401, bodyHas: `"is_error":1`, challenge: `Bearer realm="CiviCRM"`},
		// Caddy drops header names with '_' or '.' (PHP would fold them into
		// X-Civi-Auth); authx also folds them itself (authx/extract_test.go).
		{name: "underscore spelling never authenticates", method: "GET", url: ajax, header: http.Header{"X_Civi_Auth": {"Bearer " + ak}, "X_Civi_Key": {sk}},
			status: 401, bodyHas: `"is_error":1`, challenge: `Bearer realm="CiviCRM"`},
		{name: "spoofed underscore copy never reaches CiviCRM", method: "GET", url: ajax,
			header: http.Header{"X-Civi-Auth": {"Bearer " + ak}, "X_Civi_Auth": {"Bearer " + jwt}, "X-Civi-Key": {sk}},
			status: 200, bodyIs: stubContactGet, upstreamAuth: "Bearer " + ak},
		{name: "two different credentials", method: "GET", url: ajax + "&_authx=" + url.QueryEscape("Bearer "+jwt),
			header: http.Header{"X-Civi-Auth": {"Bearer " + ak}, "X-Civi-Key": {sk}}, status: 400, bodyHas: "Conflicting credentials",
			challenge: `Bearer realm="CiviCRM", error="invalid_request"`},
		{name: "legacyrest keys on ajax", method: "POST", url: env.inst.URL + "/civicrm/ajax/rest", body: "entity=Contact&action=get&json=1&key=" + sk + "&api_key=" + ak,
			status: 200, bodyIs: stubContactGet, upstreamAuth: "Bearer " + ak},
		{name: "legacyrest bad key on ajax", method: "POST", url: env.inst.URL + "/civicrm/ajax/rest", body: "entity=Contact&action=get&json=1&key=" + sk + "&api_key=bad" + randomHex(t, 4),
			status: 200, bodyIs: `{"error_message":"FATAL: Invalid credential","is_error":1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := do(t, tc.method, tc.url, tc.body, tc.header)
			if got.status != tc.status || (tc.bodyIs != "" && got.body != tc.bodyIs) || !strings.Contains(got.body, tc.bodyHas) {
				t.Errorf("got %d %s", got.status, got.body)
			}
			if ch := got.header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, tc.challenge) || (tc.challenge == "" && ch != "") {
				t.Errorf("WWW-Authenticate %q, want prefix %q", ch, tc.challenge)
			}
			for _, secret := range []string{ak, sk, jwt} {
				if strings.Contains(got.body, secret) {
					t.Errorf("the answer echoes a credential")
				}
			}
			reqs, bodies := env.stub.seen()
			var api []int
			for i, r := range reqs {
				if r.URL.Path == "/civicrm/ajax/rest" {
					api = append(api, i)
				}
			}
			if tc.upstreamAuth == "" {
				if len(api) != 0 {
					t.Fatalf("a refused request reached CiviCRM's API")
				}
				return
			}
			if len(api) != 1 {
				t.Fatalf("want one API call upstream, got %d", len(api))
			}
			r := reqs[api[0]]
			if r.Header.Get("X-Civi-Auth") != tc.upstreamAuth || r.Header.Get("X-Civi-Key") != sk {
				t.Errorf("upstream credentials: X-Civi-Auth %q X-Civi-Key %q", r.Header.Get("X-Civi-Auth"), r.Header.Get("X-Civi-Key"))
			}
			// X-Civi-Auth, the flow CiviCRM gets, is exempt from ajax/rest's
			// CSRF check: no X-Requested-With is added to pass it.
			if got, sent := r.Header.Values("X-Requested-With"), tc.header.Values("X-Requested-With"); !slices.Equal(got, sent) {
				t.Errorf("upstream X-Requested-With %q, the client sent %q", got, sent)
			}
			for name := range r.Header {
				if n := strings.ToLower(name); n == "authorization" || strings.Contains(n, "_") {
					t.Errorf("client identity header %s reached CiviCRM", name)
				}
			}
			for _, leak := range []string{"api_key=", "key=", "_authx="} {
				if strings.Contains(r.URL.RawQuery, leak) || strings.Contains(bodies[api[0]], leak) {
					t.Errorf("a credential parameter (%s) reached CiviCRM in the URL or body", leak)
				}
			}
		})
	}
}

// After max_failures bad attempts a client gets 429 with Retry-After for
// any credential it has not proven and CiviCRM is not asked again, while
// the key it used successfully keeps working (TestAttackRateLimit has the
// classes), with counters in memory and in Redis.
func TestGuessingIsThrottled(t *testing.T) {
	ru, _, prefix := testRedis(t)
	for name, store := range map[string]string{"memory": "", "redis": "redis " + ru + "\n\t\tredis_prefix " + prefix} {
		t.Run(name, func(t *testing.T) {
			env := startAuthEnv(t, store+"\n\t\tauth {\n\t\t\tmax_failures 3 1m\n\t\t}")
			extern := env.inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&key=" + env.siteKey
			// A good call first: a client found clean must still be counted.
			if got := do(t, "GET", extern+"&api_key="+env.stub.APIKey, "", nil); got.status != 200 || got.body != stubContactGet {
				t.Fatalf("good call: %d %s", got.status, got.body)
			}
			for i := 0; i < 3; i++ {
				got := do(t, "GET", extern+"&api_key=guess"+randomHex(t, 4), "", nil)
				if got.status != 200 || !strings.Contains(got.body, "No CMS user") {
					t.Fatalf("attempt %d: %d %s", i+1, got.status, got.body)
				}
			}
			env.stub.seen()
			got := do(t, "GET", extern+"&api_key=guess"+randomHex(t, 4)+"&id=1", "", nil)
			if got.status != http.StatusTooManyRequests || got.header.Get("Retry-After") == "" {
				t.Fatalf("after 3 failures: %d %q %s", got.status, got.header.Get("Retry-After"), got.body)
			}
			if reqs, _ := env.stub.seen(); len(reqs) != 0 {
				t.Fatalf("a throttled request reached CiviCRM (%d requests)", len(reqs))
			}
			if got := do(t, "GET", extern+"&api_key="+env.stub.APIKey+"&id=1", "", nil); got.status != 200 || got.body != stubContactGet {
				t.Fatalf("the proven key after 3 failures: %d %s", got.status, got.body)
			}
			caddyStopNow(t)
		})
	}
}

// The verified caller is available to other handlers and logs as
// placeholders: here Caddy's header handler puts them on the answer. The
// contact id is {http.auth.user.contact_id}: {http.auth.user.id}, which
// behind php_fastcgi becomes PHP's REMOTE_USER, is left for the access log
// (tests/fastcgi_remoteuser_test.go).
func TestCallerPlaceholders(t *testing.T) {
	stub := newStubCiviCRM(t)
	sk := randomHex(t, 12)
	cf := strings.Replace(siteCaddyfile(stub.Host(), "site_key "+sk),
		"\treverse_proxy", "\theader >X-Caller \"{http.auth.user.contact_id} {http.auth.user.cred_type} {http.auth.user.flow} {http.auth.user.key_fingerprint}\"\n\treverse_proxy", 1)
	inst := startCaddy(t, cf)
	resp, err := http.Get(inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&key=" + sk + "&api_key=" + stub.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	want := "2 api_key legacy " + authx.Fingerprint(stub.APIKey)
	if got := resp.Header.Get("X-Caller"); got != want {
		t.Fatalf("X-Caller = %q, want %q", got, want)
	}
}

// simSite is the CiviCRM simulator, reachable directly (as a site still
// serving extern/rest.php and ajax/rest itself) and through Civigate.
type simSite struct {
	sim    *civicrmsim.Simulator
	direct string // the simulator itself
	edge   string // Civigate in front of it
}

// startSimSite puts Civigate (caching off, no guessing limit: every case's
// refusal counts as a failed attempt) in front of sim; authLines go inside
// its auth block.
func startSimSite(t *testing.T, sim *civicrmsim.Simulator, authLines ...string) simSite {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	auth := "auth {\n\t\t\tmax_failures off"
	for _, l := range authLines {
		auth += "\n\t\t\t" + strings.ReplaceAll(l, "\n", "\n\t\t\t")
	}
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
		"site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys(), "cache off", auth+"\n\t\t}"))
	return simSite{sim: sim, direct: srv.URL, edge: inst.URL}
}

// credCase is one request, sent the same way to CiviCRM and to Civigate.
type credCase struct {
	name   string
	method string // GET (query) or POST (form body)
	path   string
	query  string // besides the call itself; the body for POST
	header http.Header
	// edge is what Civigate answers where it refuses on purpose what
	// CiviCRM would let through (outcome form); "" means CiviCRM's answer.
	edge string
}

const (
	ajaxPath = "/civicrm/ajax/rest"
	// contactCall is the call every case makes: admin (contact 2) reads
	// itself.
	contactCall = "entity=Contact&action=get&json=1&id=2&return=display_name"
)

func (c credCase) send(t *testing.T, base string) answer {
	t.Helper()
	method, target, body := c.method, base+c.path+"?"+contactCall+c.query, ""
	if method == "POST" {
		target, body = base+c.path, contactCall+c.query
	}
	return do(t, method, target, body, c.header)
}

// authOutcome reduces an answer to what an AuthX caller relies on: "ok" for
// data, else AuthX's refusal message (text/plain "HTTP 401 …" from CiviCRM,
// an APIv3 error body from Civigate), the legacyrest flow's FATAL body, or
// "denied" for the CMS's 403 page.
func authOutcome(a answer) string {
	var body struct {
		IsError int    `json:"is_error"`
		Message string `json:"error_message"`
		Count   int    `json:"count"`
	}
	switch {
	case a.status == 403 && strings.HasPrefix(a.header.Get("Content-Type"), "text/html"):
		return "denied"
	case strings.HasPrefix(a.body, "HTTP 401 "):
		return strings.TrimPrefix(a.body, "HTTP 401 ")
	case json.Unmarshal([]byte(a.body), &body) != nil:
		return fmt.Sprintf("%d %s", a.status, a.body)
	case body.IsError == 0 && body.Count == 1:
		return "ok"
	case body.IsError == 0:
		return fmt.Sprintf("ok, %d contacts", body.Count)
	}
	return body.Message
}

// Issue 15 ("credential values are normalised as PHP does, not otherwise"):
// every spelling of the legacy site key and API key gets, through Civigate,
// byte for byte what extern/rest.php answers for it (trim() on the key and
// nothing else, empty() on api_key, an exact lookup of the API key).
func TestLegacyCredentialsReadAsExternRestPHP(t *testing.T) {
	site := startSimSite(t, civicrmsim.New(civicrmsim.Options{}))
	sk, ak, nouser := site.sim.SiteKey(), site.sim.Admin().APIKey, site.sim.NoUser().APIKey
	cases := []credCase{
		{name: "control", query: "&key=" + sk + "&api_key=" + ak},
		{name: "site key with a trailing NUL (trim)", query: "&key=" + sk + "%00&api_key=" + ak},
		{name: "site key in \\v and CRLF (trim)", query: "&key=%0B" + sk + "%0D%0A&api_key=" + ak},
		{name: "site key with a trailing form feed (not trimmed)", query: "&key=" + sk + "%0C&api_key=" + ak},
		{name: "site key with a trailing NBSP (not trimmed)", query: "&key=" + sk + "%C2%A0&api_key=" + ak},
		{name: "site key 0", query: "&key=0&api_key=" + ak},
		{name: "site key only in X-Civi-Key", query: "&api_key=" + ak, header: http.Header{"X-Civi-Key": {sk}}},
		{name: "api_key with a trailing tab", query: "&key=" + sk + "&api_key=" + ak + "%09"},
		{name: "api_key with a trailing newline", query: "&key=" + sk + "&api_key=" + ak + "%0A"},
		{name: "api_key with a trailing CR", query: "&key=" + sk + "&api_key=" + ak + "%0D"},
		{name: "api_key with a trailing NUL", query: "&key=" + sk + "&api_key=" + ak + "%00"},
		{name: "api_key with a trailing space", query: "&key=" + sk + "&api_key=" + ak + "%20"},
		{name: "api_key with a leading space", query: "&key=" + sk + "&api_key=%20" + ak},
		{name: "api_key 0 (empty)", query: "&key=" + sk + "&api_key=0"},
		{name: "api_key 00 (not empty)", query: "&key=" + sk + "&api_key=00"},
		{name: "no-user key with a trailing space", query: "&key=" + sk + "&api_key=" + nouser + "%20"},
		{name: "api_key only in X-Civi-Auth", query: "&key=" + sk, header: http.Header{"X-Civi-Auth": {"Bearer " + ak}}},
		{name: "form body: trailing NUL on the key, tab on api_key", method: "POST", query: "&key=" + sk + "%00&api_key=" + ak + "%09"},
		{name: "form body: key trimmed", method: "POST", query: "&key=%20" + sk + "%00%0B&api_key=" + ak},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.method == "" {
				c.method = "GET"
			}
			c.path = externPath
			want, got := c.send(t, site.direct), c.send(t, site.edge)
			if got.status != want.status || got.header.Get("Content-Type") != want.header.Get("Content-Type") ||
				civicrmsim.Normalise(got.body) != civicrmsim.Normalise(want.body) {
				t.Errorf("through Civigate %d %s, extern/rest.php %d %s", got.status, got.body, want.status, want.body)
			}
		})
	}
}

// Issue 15, the same rule on the modern forms, and item 5: without a site
// key, Civigate's default judges an AuthX caller as CiviCRM's guards do
// (site_key OR perm, per user and per flow's own site key input), so a
// client sending only X-Civi-Auth (npm civicrm-api) works wherever it works
// against CiviCRM itself; a wrong site key the client sends is refused.
func TestModernCredentialsReadAsAuthX(t *testing.T) {
	site := startSimSite(t, civicrmsim.New(civicrmsim.Options{}))
	sim := site.sim
	sk, admin, nouser := sim.SiteKey(), sim.Admin().APIKey, sim.NoUser().APIKey
	ada, grace := sim.ACLUsers()
	jwt := sim.MintJWT(2, time.Hour)
	xauth := func(cred string, kv ...string) http.Header {
		h := http.Header{"X-Civi-Auth": {cred}}
		for i := 0; i < len(kv); i += 2 {
			h[kv[i]] = append(h[kv[i]], kv[i+1])
		}
		return h
	}
	q := url.QueryEscape
	for _, c := range []credCase{
		{name: "admin, X-Civi-Auth only", header: xauth("Bearer " + admin)},
		{name: "ada (may authenticate with api key), X-Civi-Auth only", header: xauth("Bearer " + ada.APIKey)},
		{name: "grace (may not), X-Civi-Auth only", header: xauth("Bearer " + grace.APIKey)},
		{name: "grace with the site key", header: xauth("Bearer "+grace.APIKey, "X-Civi-Key", sk)},
		{name: "grace with the site key in _authxSiteKey", query: "&_authxSiteKey=" + sk, header: xauth("Bearer " + grace.APIKey)},
		{name: "grace, an empty X-Civi-Key hides _authxSiteKey", query: "&_authxSiteKey=" + sk, header: xauth("Bearer "+grace.APIKey, "X-Civi-Key", "")},
		{name: "no-user key, X-Civi-Auth only", header: xauth("Bearer " + nouser)},
		{name: "JWT, X-Civi-Auth only", header: xauth("Bearer " + jwt)},
		{name: "_authx only", query: "&_authx=" + q("Bearer "+ada.APIKey)},
		{name: "a web server's Basic beside X-Civi-Auth", header: xauth("Bearer "+admin, "Authorization", "Basic d2ViOnNlcnZlcg==")},
		{name: "a web server's Basic beside _authx", query: "&_authx=" + q("Bearer "+admin), header: http.Header{"Authorization": {"Basic d2ViOnNlcnZlcg=="}}},
		{name: "X-Civi-Auth 0 is empty, _authx counts", query: "&_authx=" + q("Bearer "+admin), header: xauth("0")},
		{name: "_authx API key with a trailing tab", query: "&_authx=" + q("Bearer "+admin+"\t")},
		{name: "_authx API key with a trailing space", query: "&_authx=" + q("Bearer "+admin+" ")},
		{name: "_authx JWT with a trailing CRLF", query: "&_authx=" + q("Bearer "+jwt+"\r\n")},
		{name: "legacyrest: admin api_key, no key", method: "POST", query: "&api_key=" + admin},
		{name: "legacyrest: grace api_key, no key", method: "POST", query: "&api_key=" + grace.APIKey},
		{name: "legacyrest: grace api_key, the site key in X-Civi-Key only", method: "POST", query: "&api_key=" + grace.APIKey, header: http.Header{"X-Civi-Key": {sk}}},
		{name: "legacyrest: grace api_key and key", method: "POST", query: "&api_key=" + grace.APIKey + "&key=" + sk},
		{name: "legacyrest: api_key 0 and key", method: "POST", query: "&api_key=0&key=" + sk},
		{name: "legacyrest: api_key with a trailing newline", method: "POST", query: "&key=" + sk + "&api_key=" + admin + "%0A"},
		{name: "admin with a wrong X-Civi-Key", header: xauth("Bearer "+admin, "X-Civi-Key", "wrong-site-key"),
			edge: "Login not permitted. Must satisfy guard (site_key, perm)."},
		{name: "legacyrest: admin api_key, a trimmable key", method: "POST", query: "&api_key=" + admin + "&key=" + sk + "%20",
			edge: "FATAL: Login not permitted. Must satisfy guard (site_key, perm)."},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.method == "" {
				c.method = "GET"
			}
			c.path = ajaxPath
			want := authOutcome(c.send(t, site.direct))
			if c.edge != "" {
				if !strings.HasPrefix(want, "ok") {
					t.Fatalf("CiviCRM answered %q: the case does not show a stricter edge", want)
				}
				want = c.edge
			}
			if got := authOutcome(c.send(t, site.edge)); got != want {
				t.Errorf("through Civigate %q, CiviCRM %q", got, want)
			}
		})
	}
}

// Issue 15 item 5: Caddyfile.example as shipped lets a modern client that
// sends only X-Civi-Auth through exactly where CiviCRM would, and the
// documented one-line hardening, site_key_modern require, refuses it.
func TestSiteKeyModernDefaultAndRequire(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	ada, grace := sim.ACLUsers()
	jwt := sim.MintJWT(2, time.Hour)
	calls := []struct {
		name string
		c    credCase
		ok   bool // CiviCRM lets it in without the site key
	}{
		{"ada via X-Civi-Auth", credCase{path: ajaxPath, header: http.Header{"X-Civi-Auth": {"Bearer " + ada.APIKey}}}, true},
		{"JWT via X-Civi-Auth", credCase{path: ajaxPath, header: http.Header{"X-Civi-Auth": {"Bearer " + jwt}}}, true},
		{"ada via legacyrest without key", credCase{method: "POST", path: ajaxPath, query: "&api_key=" + ada.APIKey}, true},
		{"grace via X-Civi-Auth", credCase{path: ajaxPath, header: http.Header{"X-Civi-Auth": {"Bearer " + grace.APIKey}}}, false},
		{"ada via extern/rest.php without key", credCase{path: externPath, query: "&api_key=" + ada.APIKey}, false},
	}
	example, _, _ := startExample(t, strings.TrimPrefix(srv.URL, "http://"), sim.SiteKey(), sim.SignKeys())
	for _, tc := range calls {
		if tc.c.method == "" {
			tc.c.method = "GET"
		}
		direct, edge := tc.c.send(t, srv.URL), tc.c.send(t, example.URL)
		if strings.HasPrefix(authOutcome(direct), "ok") != tc.ok {
			t.Fatalf("%s: CiviCRM answered %q", tc.name, authOutcome(direct))
		}
		if authOutcome(edge) != authOutcome(direct) && !(tc.c.path == externPath && edge.body == direct.body) {
			t.Errorf("Caddyfile.example, %s: %q, CiviCRM %q", tc.name, authOutcome(edge), authOutcome(direct))
		}
	}
	caddyStopNow(t)
	hardened := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), "site_key "+sim.SiteKey(),
		"sign_keys "+sim.SignKeys(), "auth {\n\t\t\tsite_key_modern require\n\t\t}"))
	for _, tc := range calls {
		if tc.c.method == "" {
			tc.c.method = "GET"
		}
		got := tc.c.send(t, hardened.URL)
		if o := authOutcome(got); strings.HasPrefix(o, "ok") || !strings.Contains(o+got.body, "Must satisfy guard") && !strings.Contains(got.body, "Failed to authenticate key") {
			t.Errorf("site_key_modern require, %s: %q", tc.name, o)
		}
		// With the site key, every one of them passes.
		tc.c.query += "&key=" + sim.SiteKey()
		if tc.c.path == ajaxPath && tc.c.method == "GET" {
			tc.c.query = strings.Replace(tc.c.query, "&key=", "&_authxSiteKey=", 1)
		}
		if tc.c.path == ajaxPath || tc.ok {
			if o := authOutcome(tc.c.send(t, hardened.URL)); !strings.HasPrefix(o, "ok") {
				t.Errorf("site_key_modern require, %s with the site key: %q", tc.name, o)
			}
		}
	}
}

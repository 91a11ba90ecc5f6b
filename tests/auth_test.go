package tests

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/authx"
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
	return doReq(t, r)
}

// doReq sends r and reads the whole answer.
func doReq(t *testing.T, r *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
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
		{name: "legacy JWT as api_key", method: "GET", url: extern + "&key=" + sk + "&api_key=" + jwt,
			status: 200, bodyIs: stubContactGet, upstreamAuth: "Bearer " + jwt},
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

// After max_failures bad attempts a client gets 429 with Retry-After and
// CiviCRM is not asked again, with counters in memory and in Redis.
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
			got := do(t, "GET", extern+"&api_key="+env.stub.APIKey+"&id=1", "", nil)
			if got.status != http.StatusTooManyRequests || got.header.Get("Retry-After") == "" {
				t.Fatalf("after 3 failures: %d %q %s", got.status, got.header.Get("Retry-After"), got.body)
			}
			if reqs, _ := env.stub.seen(); len(reqs) != 0 {
				t.Fatalf("a throttled request reached CiviCRM (%d requests)", len(reqs))
			}
			caddyStopNow(t)
		})
	}
}

// The verified caller is available to other handlers and logs as
// placeholders: here Caddy's header handler puts them on the answer.
func TestCallerPlaceholders(t *testing.T) {
	stub := newStubCiviCRM(t)
	sk := randomHex(t, 12)
	cf := strings.Replace(siteCaddyfile(stub.Host(), "site_key "+sk),
		"\treverse_proxy", "\theader >X-Caller \"{http.auth.user.id} {http.auth.user.cred_type} {http.auth.user.flow} {http.auth.user.key_fingerprint}\"\n\treverse_proxy", 1)
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

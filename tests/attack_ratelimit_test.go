package tests

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/tests/civicrmsim"
)

// Guessing protection throttles guessing, not proven users (issue: after a
// few failures from one address every request from it got 429, credentials
// verified a minute earlier included). From a blocked address a credential
// that authenticated in full keeps working; anything else is refused
// unseen (CiviCRM is not asked); a credential's own failure count
// blocks it from any address, wrong site keys sent with it included, but
// for the site key it was proven with (issue 12: a proven key guessed site
// keys without limit). Client addresses come from X-Forwarded-For (the
// test is a trusted proxy). Each row names its class.
func TestAttackRateLimit(t *testing.T) {
	stub := newStubCiviCRM(t)
	siteKey := "sk-" + randomHex(t, 12)
	inst := startCaddy(t, "{\n\tadmin 127.0.0.1:{ADMIN}\n\tlog {\n\t\tlevel ERROR\n\t}\n"+
		"\tservers {\n\t\ttrusted_proxies static 127.0.0.1/32\n\t}\n\tmetrics\n}\n"+
		"http://:{PORT} {\n\tcivicrm {\n\t\tsite_key "+siteKey+"\n\t\tcache off\n\t\tauth {\n\t\t\tmax_failures 3 5m\n\t\t}\n\t}\n"+
		"\treverse_proxy "+stub.Host()+"\n}\n")
	extern := inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1"
	ajax := inst.URL + "/civicrm/ajax/rest?entity=Contact&action=get&json=1"
	legacy := func(key, apiKey string) string {
		return extern + "&" + url.Values{"key": {key}, "api_key": {apiKey}}.Encode()
	}
	from := func(addr string, h http.Header) http.Header {
		out := http.Header{"X-Forwarded-For": {addr}}
		for k, v := range h {
			out[k] = v
		}
		return out
	}
	const blocked = "203.0.113.7"
	guessed := "guessed-" + randomHex(t, 8)
	before := getJSONText(t, inst.Admin+"/metrics")

	// The valid key proves itself from one address; another address fails
	// three times (wrong site keys with unknown keys); a guessed
	// key fails once from each of three addresses (its own count fills).
	if a := do(t, "GET", legacy(siteKey, stub.APIKey), "", from("198.51.100.1", nil)); !strings.Contains(a.body, "Standalone Admin") {
		t.Fatalf("the valid key was refused: %d %s", a.status, a.body)
	}
	for i := range 3 {
		if a := do(t, "GET", legacy("wrong-site-key", randomHex(t, 8)), "", from(blocked, nil)); a.status == 429 || strings.Contains(a.body, "Standalone Admin") {
			t.Fatalf("failure %d: %d %s", i, a.status, a.body)
		}
	}
	for _, addr := range []string{"198.51.100.10", "198.51.100.11", "198.51.100.12"} {
		if a := do(t, "GET", legacy(siteKey, guessed), "", from(addr, nil)); a.status == 429 || strings.Contains(a.body, "Standalone Admin") {
			t.Fatalf("guess from %s: %d %s", addr, a.status, a.body)
		}
	}
	stub.seen()
	tries := 0

	const (
		data    = "data"    // the call went through
		limited = "429"     // refused by guessing protection
		refused = "refused" // refused by authentication, not by guessing protection
	)
	const clean = "198.51.100.%d" // a new clean address per try
	for _, row := range []struct {
		class, url string
		header     http.Header
		want       string
		unseen     bool // CiviCRM must not be asked about the credential
		times      int  // tries (default 1), each from a new clean address if the header has none
	}{
		{class: "proven API key from a blocked address, legacy form", url: legacy(siteKey, stub.APIKey), header: from(blocked, nil), want: data},
		{class: "proven API key from a blocked address, X-Civi-Auth", url: ajax,
			header: from(blocked, http.Header{"X-Civi-Auth": {"Bearer " + stub.APIKey}, "X-Civi-Key": {siteKey}}), want: data},
		{class: "unknown API key from a blocked address", url: legacy(siteKey, randomHex(t, 16)), header: from(blocked, nil), want: limited, unseen: true},
		{class: "no credential from a blocked address", url: extern + "&key=" + siteKey, header: from(blocked, nil), want: limited, unseen: true},
		{class: "site-key guessing with a proven API key from a blocked address (the key is proven with its own site key only)",
			url: legacy("wrong-site-key", stub.APIKey), header: from(blocked, nil), want: limited, unseen: true, times: 10},
		{class: "site-key guessing with a proven API key from clean addresses: counted against the key",
			url: legacy("wrong-site-key", stub.APIKey), want: refused, times: 3},
		{class: "site-key guessing with a proven API key from clean addresses: past max_failures",
			url: legacy("wrong-site-key-2", stub.APIKey), want: limited, unseen: true, times: 27},
		{class: "proven API key with its site key from a blocked address, its own count full", url: legacy(siteKey, stub.APIKey), header: from(blocked, nil), want: data},
		{class: "guessed key blocked by its own failures, from a clean address", url: legacy(siteKey, guessed), want: limited, unseen: true},
		{class: "proven API key with its site key from a clean address, its own count full", url: legacy(siteKey, stub.APIKey), want: data},
	} {
		for i := range max(row.times, 1) {
			header := row.header
			if header == nil {
				tries++
				header = from(fmt.Sprintf(clean, 100+tries), nil)
			}
			a := do(t, "GET", row.url, "", header)
			got := refused
			switch {
			case a.status == http.StatusTooManyRequests:
				got = limited
			case strings.Contains(a.body, "Standalone Admin"):
				got = data
			}
			if got != row.want {
				t.Errorf("%s (try %d): %s (%d %.200s), want %s", row.class, i+1, got, a.status, a.body, row.want)
				break
			}
			reqs, _ := stub.seen()
			for _, r := range reqs {
				if row.unseen && r.URL.Path == "/civicrm/authx/id" {
					t.Errorf("%s: CiviCRM was asked about the credential", row.class)
				}
			}
		}
	}

	after := getJSONText(t, inst.Admin+"/metrics")
	for event, want := range map[string]float64{"proven_passed": 4, "address_blocked": 12, "credential_blocked": 28} {
		series := `civigate_apiv3_guessing_protection_total{event="` + event + `"}`
		if d := metricValue(after, series) - metricValue(before, series); d != want {
			t.Errorf("%s grew by %v, want %v", series, d, want)
		}
	}
}

// AuthX's own routes (issue 12): civicrm/authx/id tells a valid key from an
// invalid one, and X-Civi-Auth: Basic user:password is refused there in
// other words when the password is right; login and logout run AuthX too.
// They went through Civigate unthrottled, even from an address the API
// answered with 429. Now their credentials are authenticated at the edge
// like an API call's (guessing protection, the site key, AuthX's refusal
// shape) and pass on as sent; without a credential they stay public.
// Real Caddy in front of the simulator; client addresses from
// X-Forwarded-For. Each row names its class.
func TestAttackAuthxRoutes(t *testing.T) {
	const password = "correct horse"
	sim := civicrmsim.New(civicrmsim.Options{Passwords: map[string]string{"admin": password}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	siteKey := sim.SiteKey()
	inst := startCaddy(t, "{\n\tadmin 127.0.0.1:{ADMIN}\n\tlog {\n\t\tlevel ERROR\n\t}\n"+
		"\tservers {\n\t\ttrusted_proxies static 127.0.0.1/32\n\t}\n\tmetrics\n}\n"+
		"http://:{PORT} {\n\tcivicrm {\n\t\tsite_key "+siteKey+"\n\t\tsign_keys "+sim.SignKeys()+"\n\t\tcache off\n\t\tauth {\n\t\t\tmax_failures 3 5m\n\t\t}\n\t}\n"+
		"\treverse_proxy "+strings.TrimPrefix(srv.URL, "http://")+"\n}\n")
	admin := sim.Admin()
	adminKey := admin.APIKey
	basic := func(pw string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(admin.Name+":"+pw))
	}
	jwt := sim.MintJWT(admin.ContactID, time.Hour)
	const blocked = "203.0.113.9"
	addr := 0
	fresh := func() string { addr++; return fmt.Sprintf("198.51.100.%d", addr) }
	hdr := func(from string, kv ...string) http.Header {
		h := http.Header{"X-Forwarded-For": {from}}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	id := inst.URL + "/civicrm/authx/id"

	// The admin key proves itself on the API from a clean address (a proof
	// binds the site key it was sent with: none here, as below); the
	// blocked address fails three times on the API.
	if a := do(t, "GET", inst.URL+"/civicrm/ajax/rest?entity=Contact&action=getcount&json=1", "", hdr(fresh(), "X-Civi-Auth", "Bearer "+adminKey)); a.status != 200 || !strings.Contains(a.body, `"is_error":0`) {
		t.Fatalf("the admin key was refused on the API: %d %s", a.status, a.body)
	}
	for i := range 3 {
		if a := do(t, "GET", inst.URL+"/civicrm/ajax/rest?entity=Contact&action=get&json=1", "", hdr(blocked, "X-Civi-Auth", "Bearer guess-"+randomHex(t, 8))); a.status == 429 {
			t.Fatalf("failure %d: 429 already", i)
		}
	}
	if a := do(t, "GET", id, "", hdr(blocked, "X-Civi-Auth", "Bearer "+randomHex(t, 16))); a.status != 429 {
		t.Errorf("the blocked address is not blocked on authx/id: %d %s", a.status, a.body)
	}

	for _, row := range []struct {
		class, method, url, body string
		header                   http.Header
		status                   int
		part                     string // a part of the answer
	}{
		{class: "key guessing on authx/id from a blocked address: 429, CiviCRM not asked", method: "GET", url: id,
			header: hdr(blocked, "X-Civi-Auth", "Bearer "+randomHex(t, 16)), status: 429, part: "HTTP 429 "},
		{class: "key guessing on the verbose WordPress authx/id from a blocked address", method: "GET", url: inst.URL + "/?civiwp=CiviCRM&q=civicrm/authx/id",
			header: hdr(blocked, "X-Civi-Auth", "Bearer "+randomHex(t, 16)), status: 429, part: "HTTP 429 "},
		{class: "key guessing with _authx on authx/id from a blocked address", method: "GET", url: id + "?_authx=" + url.QueryEscape("Bearer "+randomHex(t, 16)),
			header: hdr(blocked), status: 429, part: "HTTP 429 "},
		{class: "login with a guessed credential from a blocked address", method: "POST", url: inst.URL + "/civicrm/authx/login",
			body: "_authx=" + url.QueryEscape("Bearer "+randomHex(t, 16)), header: hdr(blocked, "Content-Type", "application/x-www-form-urlencoded"), status: 429, part: "HTTP 429 "},
		{class: "the proven key on authx/id from a blocked address: CiviCRM's answer", method: "GET", url: id,
			header: hdr(blocked, "X-Civi-Auth", "Bearer "+adminKey), status: 200, part: fmt.Sprintf(`"contact_id":%d`, admin.ContactID)},
		{class: "no credential on authx/id from a blocked address: public, nothing to guess", method: "GET", url: id,
			header: hdr(blocked), status: 200, part: `"contact_id":null`},
		{class: "logout without a credential from a blocked address", method: "GET", url: inst.URL + "/civicrm/authx/logout",
			header: hdr(blocked), status: 200, part: "[]"},
		{class: "login with a JWT creates the session the client asked for", method: "POST", url: inst.URL + "/civicrm/authx/login",
			body: "_authx=" + url.QueryEscape("Bearer "+jwt), header: hdr(fresh(), "Content-Type", "application/x-www-form-urlencoded"), status: 200, part: `"flow":"login"`},
		{class: "an unknown key on authx/id from a clean address: AuthX's refusal, counted", method: "GET", url: id,
			header: hdr(fresh(), "X-Civi-Auth", "Bearer "+randomHex(t, 16)), status: 401, part: "HTTP 401 Invalid credential"},
		{class: "a wrong site key with the proven key on authx/id: refused like AuthX's guard", method: "GET", url: id,
			header: hdr(fresh(), "X-Civi-Auth", "Bearer "+adminKey, "X-Civi-Key", "wrong-site-key"), status: 401, part: "HTTP 401 Login not permitted"},
	} {
		t.Run(row.class, func(t *testing.T) {
			asked := sim.Requests()
			a := do(t, row.method, row.url, row.body, row.header)
			if a.status != row.status || !strings.Contains(a.body, row.part) {
				t.Errorf("%d %.300s, want %d with %q", a.status, a.body, row.status, row.part)
			}
			if row.status == 429 && a.header.Get("Retry-After") == "" {
				t.Error("a 429 without Retry-After")
			}
			if row.status == 429 && sim.Requests() != asked {
				t.Error("CiviCRM was asked")
			}
		})
	}

	t.Run("login answers with CiviCRM's session cookie", func(t *testing.T) {
		a := do(t, "POST", inst.URL+"/civicrm/authx/login", "_authx="+url.QueryEscape("Bearer "+jwt), hdr(fresh(), "Content-Type", "application/x-www-form-urlencoded"))
		if a.status != 200 || !strings.Contains(a.header.Get("Set-Cookie"), "SESSCIVISO=") {
			t.Fatalf("%d %v %s", a.status, a.header, a.body)
		}
	})

	t.Run("password oracle: a right and a wrong password look the same, and are counted per user", func(t *testing.T) {
		from := fresh()
		right := do(t, "GET", id, "", hdr(from, "X-Civi-Auth", basic(password)))
		wrong := do(t, "GET", id, "", hdr(fresh(), "X-Civi-Auth", basic("not-"+password)))
		if right.status != wrong.status || right.body != wrong.body {
			t.Errorf("right password: %d %q; wrong: %d %q", right.status, right.body, wrong.status, wrong.body)
		}
		if strings.Contains(right.body, "not allowed") {
			t.Errorf("the right password is told apart: %q", right.body)
		}
		for range 2 {
			do(t, "GET", id, "", hdr(fresh(), "X-Civi-Auth", basic("guess-"+randomHex(t, 4))))
		}
		if a := do(t, "GET", id, "", hdr(fresh(), "X-Civi-Auth", basic(password))); a.status != 429 {
			t.Errorf("the user's count is full, yet the password is tried: %d %q", a.status, a.body)
		}
	})

	t.Run("site-key guessing on authx/id with the proven key: counted against the key", func(t *testing.T) {
		// The row above counted one wrong site key for the admin key.
		for i := range 2 {
			if a := do(t, "GET", id, "", hdr(fresh(), "X-Civi-Auth", "Bearer "+adminKey, "X-Civi-Key", "guess-"+randomHex(t, 4))); a.status != 401 {
				t.Fatalf("guess %d: %d %q", i, a.status, a.body)
			}
		}
		if a := do(t, "GET", id, "", hdr(fresh(), "X-Civi-Auth", "Bearer "+adminKey, "X-Civi-Key", "guess-"+randomHex(t, 4))); a.status != 429 {
			t.Errorf("a fourth wrong site key with the key: %d %q", a.status, a.body)
		}
		if a := do(t, "GET", id, "", hdr(fresh(), "X-Civi-Auth", "Bearer "+adminKey)); a.status != 200 {
			t.Errorf("the key without a site key, as it was proven: %d %q", a.status, a.body)
		}
	})
}

// With resolve_url pointing at the site Civigate itself fronts, Civigate's
// questions to civicrm/authx/id come back through its own AuthX route
// handling: they carry a token of the auth secret and pass on, instead of
// being authenticated again (which would ask itself without end). The
// token cannot be forged: a wrong one is an outage, never a verdict.
func TestResolveURLThroughCivigate(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), "site_key "+sim.SiteKey(), "cache off",
		"auth {\n\t\t\tresolve_url http://127.0.0.1:{PORT}/civicrm/authx/id\n\t\t\tsecret s3cret-for-the-test\n\t\t}"))
	a := do(t, "GET", inst.URL+"/civicrm/ajax/rest?entity=Contact&action=getcount&json=1", "",
		http.Header{"X-Civi-Auth": {"Bearer " + sim.Admin().APIKey}})
	if a.status != 200 || !strings.Contains(a.body, `"is_error":0`) {
		t.Errorf("a valid key, resolved through Civigate's own authx/id: %d %.300s", a.status, a.body)
	}
	a = do(t, "GET", inst.URL+"/civicrm/authx/id", "", http.Header{"X-Civigate-Subrequest": {"forged"}, "X-Civi-Auth": {"Bearer " + randomHex(t, 16)}})
	if a.status != http.StatusServiceUnavailable {
		t.Errorf("a forged subrequest token: %d %.300s", a.status, a.body)
	}
	// A token Civigate made (as a log reader or a sniffer would see it) is
	// bound to the credential it asked about: replayed for a guess, it is
	// refused, never a verdict (attack r4 F7: the static token was).
	peer, err := authx.New(authx.Config{Secret: []byte("s3cret-for-the-test")})
	if err != nil {
		t.Fatal(err)
	}
	seen := http.Header{"X-Civi-Auth": {"Bearer " + sim.Admin().APIKey}}
	peer.SignSubrequest(seen)
	a = do(t, "GET", inst.URL+"/civicrm/authx/id", "", seen)
	if a.status != 200 || !strings.Contains(a.body, `"contact_id"`) {
		t.Errorf("the token with the question it was made for: %d %.300s", a.status, a.body)
	}
	a = do(t, "GET", inst.URL+"/civicrm/authx/id", "", http.Header{"X-Civigate-Subrequest": seen["X-Civigate-Subrequest"], "X-Civi-Auth": {"Bearer " + randomHex(t, 16)}})
	if a.status != http.StatusServiceUnavailable {
		t.Errorf("the token replayed with a guess: %d %.300s", a.status, a.body)
	}
}

// IPv6 clients are counted by prefix (ipv6_prefix, /64 by default): a
// home connection owns a whole /64, so an address per guess would
// otherwise be a fresh counter per guess. Here ipv6_prefix 56: guesses
// from three /64s of one /56 block that /56 and no other; an IPv4 address
// is one counter whether it comes mapped into IPv6 or not. Client
// addresses come from X-Forwarded-For, as Caddy's trusted_proxies computes
// them. Each row names its class.
func TestAttackRateLimitIPv6Prefix(t *testing.T) {
	stub := newStubCiviCRM(t)
	siteKey := "sk-" + randomHex(t, 12)
	inst := startCaddy(t, "{\n\tadmin 127.0.0.1:{ADMIN}\n\tlog {\n\t\tlevel ERROR\n\t}\n"+
		"\tservers {\n\t\ttrusted_proxies static 127.0.0.1/32\n\t}\n}\n"+
		"http://:{PORT} {\n\tcivicrm {\n\t\tsite_key "+siteKey+"\n\t\tcache off\n\t\tauth {\n\t\t\tmax_failures 3 5m\n\t\t\tipv6_prefix 56\n\t\t}\n\t}\n"+
		"\treverse_proxy "+stub.Host()+"\n}\n")
	ajax := inst.URL + "/civicrm/ajax/rest?entity=Contact&action=get&json=1"
	guess := func(from string) answer {
		return do(t, "GET", ajax, "", http.Header{"X-Forwarded-For": {from}, "X-Civi-Auth": {"Bearer guess-" + randomHex(t, 8)}})
	}
	for _, from := range []string{"2001:db8:0:1::1", "2001:db8:0:2::1", "2001:db8:0:3::1", "::ffff:203.0.113.9", "203.0.113.9", "::ffff:203.0.113.9"} {
		if a := guess(from); a.status == 429 {
			t.Fatalf("guess from %s: 429 before 3 failures", from)
		}
	}
	for _, row := range []struct {
		class, from string
		status      int // 429, or 0 for anything else
	}{
		{"another address in another /64 of the same /56", "2001:db8:0:ff::7", 429},
		{"an address in the next /56", "2001:db8:0:100::7", 0},
		{"the IPv4 address whose three failures came mapped and plain", "203.0.113.9", 429},
		{"the neighbouring IPv4 address", "203.0.113.10", 0},
	} {
		a := guess(row.from)
		if (a.status == 429) != (row.status == 429) {
			t.Errorf("%s (%s): %d %s", row.class, row.from, a.status, a.body)
		}
	}
}

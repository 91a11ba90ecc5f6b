package tests

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// sessionCiviCRM is a CiviCRM whose admin is logged in in a browser: its
// session cookie makes ajax/rest run as the admin, as CiviCRM does, if the
// request passes the CSRF check (X-Requested-With: XMLHttpRequest, or a
// stateless AuthX flow such as X-Civi-Auth). Without a credential or a
// session it runs as anonymous, whose Contact.get is ACL-filtered to
// nothing. Every answer carries PHP's session headers (a new cookie unless
// the admin's session was sent back). It records the Cookie and
// X-Requested-With of every API request.
type sessionCiviCRM struct {
	adminSession, apiKey string
	srv                  *httptest.Server

	mu   sync.Mutex
	seen []http.Header
	gate chan struct{} // when set, getunique answers wait for it to close
}

const adminSecret = "ADMIN-ONLY-ROW"

func newSessionCiviCRM(t *testing.T) *sessionCiviCRM {
	t.Helper()
	c := &sessionCiviCRM{adminSession: randomHex(t, 16), apiKey: randomHex(t, 16)}
	c.srv = httptest.NewServer(c)
	t.Cleanup(c.srv.Close)
	return c
}

func (c *sessionCiviCRM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseMultipartForm(1 << 20) // Civigate POSTs multipart/form-data
	session, _ := r.Cookie("SESSCIVISO")
	loggedIn := session != nil && session.Value == c.adminSession
	h := w.Header()
	if !loggedIn {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		h.Add("Set-Cookie", "SESSCIVISO="+hex.EncodeToString(b)+"; path=/; HttpOnly")
	}
	h.Set("Cache-Control", "no-store, no-cache, must-revalidate")
	h.Set("Expires", "Thu, 19 Nov 1981 08:52:00 GMT")
	h.Set("Pragma", "no-cache")
	keyed := r.Header.Get("X-Civi-Auth") == "Bearer "+c.apiKey
	if r.URL.Path == "/civicrm/authx/id" {
		if !keyed {
			h.Set("Content-Type", "text/plain;charset=UTF-8")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, "HTTP 401 Invalid credential")
			return
		}
		h.Set("Content-Type", "application/json")
		io.WriteString(w, `{"contact_id":7,"user_id":7,"flow":"xheader","cred":"api_key"}`)
		return
	}
	c.mu.Lock()
	c.seen = append(c.seen, http.Header{"Cookie": r.Header.Values("Cookie"), "X-Requested-With": r.Header.Values("X-Requested-With")})
	gate := c.gate
	c.mu.Unlock()
	if gate != nil && r.Form.Get("action") == "getunique" {
		<-gate
	}
	if r.Form.Get("action") == "getunique" && !keyed && !loggedIn {
		// The CMS's answer to a caller without "access AJAX API".
		h.Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, "<html><body>Access denied</body></html>")
		return
	}
	h.Set("Content-Type", "application/json")
	if !keyed && r.Header.Get("X-Requested-With") != "XMLHttpRequest" {
		io.WriteString(w, `{"is_error":1,"error_message":"SECURITY ALERT: Ajax requests can only be issued by javascript clients, eg. CRM.api3()."}`)
		return
	}
	switch {
	case r.Form.Get("action") == "getunique":
		io.WriteString(w, `{"is_error":0,"version":3,"count":1,"values":{"id":{"name":"id"}}}`)
	case keyed:
		io.WriteString(w, `{"is_error":0,"version":3,"count":1,"values":[{"id":"7","seen_by":"7"}]}`)
	case loggedIn:
		io.WriteString(w, `{"is_error":0,"version":3,"count":1,"values":[{"id":"1","seen_by":"admin","note":"`+adminSecret+`"}]}`)
	default:
		io.WriteString(w, `{"is_error":0,"version":3,"count":0,"values":[]}`)
	}
}

// seenCount is how many API requests reached CiviCRM since lastSeen.
func (c *sessionCiviCRM) seenCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// lastSeen is what the latest API request carried upstream; it forgets
// the others. A test fails if no request reached CiviCRM.
func (c *sessionCiviCRM) lastSeen(t *testing.T) http.Header {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.seen) == 0 {
		t.Fatal("the request did not reach CiviCRM")
	}
	h := c.seen[len(c.seen)-1]
	c.seen = nil
	return h
}

// Issue 12, class 2: with `auth { anonymous }`, answers to callers without
// a verified principal must never be stored nor served from the cache
// (unless the call is shared), a cookie-only request must never be given
// an X-Requested-With it did not send, and a stateless call must not carry
// the client's session. Each row is one attack; all of them worked before.
func TestAttackCacheAnonymousSessions(t *testing.T) {
	up := newSessionCiviCRM(t)
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(up.srv.URL, "http://"), "site_key "+testSiteKey,
		"auth {\n\t\t\tanonymous\n\t\t}", "cache {\n\t\t\tshared Contact.getunique\n\t\t}"))
	read := func(id int) string {
		return inst.URL + "/civicrm/ajax/rest?entity=Contact&action=get&json=" + url.QueryEscape(fmt.Sprintf(`{"id":%d}`, id))
	}
	admin := func(xrw bool) http.Header {
		h := http.Header{"Cookie": {"SESSCIVISO=" + up.adminSession}}
		if xrw {
			h.Set("X-Requested-With", "XMLHttpRequest")
		}
		return h
	}
	attacker := http.Header{"X-Requested-With": {"XMLHttpRequest"}}
	keyed := http.Header{"X-Civi-Auth": {"Bearer " + up.apiKey}}
	fields := func(id int) string { // a shared call, its own entry per row
		return inst.URL + "/civicrm/ajax/rest?entity=Contact&action=getunique&json=" + url.QueryEscape(fmt.Sprintf(`{"id":%d}`, id))
	}
	// concurrently sends first, and second once first is waiting in
	// CiviCRM; it lets CiviCRM answer once second reached it too, or after
	// a second if it never does (it joined first's fetch).
	concurrently := func(t *testing.T, first, second func() answer) (answer, answer, int) {
		gate := make(chan struct{})
		up.mu.Lock()
		up.gate = gate
		up.mu.Unlock()
		defer func() { up.mu.Lock(); up.gate = nil; up.mu.Unlock() }()
		var a, b answer
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); a = first() }()
		waitUntil(t, 5*time.Second, func() bool { return up.seenCount() == 1 })
		go func() { defer wg.Done(); b = second() }()
		reached := waitUntil(nil, time.Second, func() bool { return up.seenCount() == 2 })
		close(gate)
		wg.Wait()
		n := up.seenCount()
		if !reached && n != 1 {
			t.Fatalf("%d requests reached CiviCRM", n)
		}
		return a, b, n
	}
	noAdminData := func(t *testing.T, who string, a answer) {
		if strings.Contains(a.body, adminSecret) || a.header.Get("Cache-Status") == "Civigate; hit" {
			t.Errorf("%s got %s: %s", who, a.header.Get("Cache-Status"), a.body)
		}
	}

	rows := []struct {
		class, name string
		run         func(t *testing.T, id int)
	}{
		{"anonymous-cache-crossing", "the admin's own session read is not served to an anonymous caller", func(t *testing.T, id int) {
			victim := do(t, "GET", read(id), "", admin(true))
			if !strings.Contains(victim.body, adminSecret) {
				t.Fatalf("the admin's session did not reach CiviCRM: %s", victim.body)
			}
			noAdminData(t, "the anonymous caller", do(t, "GET", read(id), "", attacker))
		}},
		{"anonymous-cache-crossing", "two anonymous callers with different sessions do not share an entry", func(t *testing.T, id int) {
			do(t, "GET", read(id), "", admin(true))
			other := http.Header{"Cookie": {"SESSCIVISO=someone-else"}, "X-Requested-With": {"XMLHttpRequest"}}
			noAdminData(t, "another session", do(t, "GET", read(id), "", other))
		}},
		{"anonymous-cache-crossing", "an anonymous answer is never stored", func(t *testing.T, id int) {
			first := do(t, "GET", read(id), "", attacker)
			second := do(t, "GET", read(id), "", attacker)
			for _, a := range []answer{first, second} {
				if cs := a.header.Get("Cache-Status"); cs != "Civigate; fwd=bypass; detail=anonymous" {
					t.Errorf("anonymous read: %s", cs)
				}
			}
		}},
		{"csrf-x-requested-with", "a cross-site GET riding on the admin's cookie does not run as the admin", func(t *testing.T, id int) {
			victim := do(t, "GET", read(id), "", admin(false))
			if xrw := up.lastSeen(t)["X-Requested-With"]; len(xrw) != 0 {
				t.Errorf("Civigate gave a cookie-only request X-Requested-With %q", xrw)
			}
			if strings.Contains(victim.body, adminSecret) {
				t.Errorf("the cross-site request ran as the admin: %s", victim.body)
			}
			noAdminData(t, "the attacker afterwards", do(t, "GET", read(id), "", attacker))
		}},
		{"csrf-x-requested-with", "a cookie-only POST is not given X-Requested-With", func(t *testing.T, id int) {
			do(t, "POST", inst.URL+"/civicrm/ajax/rest", fmt.Sprintf("entity=Contact&action=get&json=%%7B%%22id%%22%%3A%d%%7D", id), admin(false))
			if xrw := up.lastSeen(t)["X-Requested-With"]; len(xrw) != 0 {
				t.Errorf("Civigate gave a cookie-only request X-Requested-With %q", xrw)
			}
		}},
		{"coalesced-miss-crossing", "a verified caller never joins an anonymous caller's fetch of a shared call", func(t *testing.T, id int) {
			anon := http.Header{"Cookie": {"SESSCIVISO=attacker"}, "X-Requested-With": {"XMLHttpRequest"}}
			a, admin, n := concurrently(t, func() answer { return do(t, "GET", fields(id), "", anon) },
				func() answer { return do(t, "GET", fields(id), "", keyed) })
			if n != 2 || admin.status != 200 || !strings.Contains(admin.body, `"values":{"id"`) || a.status != 403 {
				t.Errorf("%d upstream requests; the keyed caller got %d %s (%s); the anonymous one %d", n, admin.status, admin.body,
					admin.header.Get("Cache-Status"), a.status)
			}
			if c := up.lastSeen(t)["Cookie"]; len(c) != 0 {
				t.Errorf("the keyed caller's request carried Cookie %q", c)
			}
		}},
		{"coalesced-miss-crossing", "an anonymous caller never joins a verified caller's fetch of a shared call", func(t *testing.T, id int) {
			other := http.Header{"Cookie": {"SESSCIVISO=someone-else"}, "X-Requested-With": {"XMLHttpRequest"}}
			_, a, n := concurrently(t, func() answer { return do(t, "GET", fields(id), "", keyed) },
				func() answer { return do(t, "GET", fields(id), "", other) })
			if n != 2 || a.status != 403 {
				t.Errorf("%d upstream requests; the anonymous caller got %d %s (%s)", n, a.status, a.body, a.header.Get("Cache-Status"))
			}
		}},
		{"anonymous-cache-crossing", "a session caller's answer never fills a shared entry", func(t *testing.T, id int) {
			if got := do(t, "GET", fields(id), "", admin(true)); got.status != 200 || got.header.Get("Cache-Status") != "Civigate; fwd=miss; fwd-status=200; detail=anonymous" {
				t.Errorf("the admin's session read: %d %s", got.status, got.header.Get("Cache-Status"))
			}
			if got := do(t, "GET", fields(id), "", attacker); got.status != 403 {
				t.Errorf("the attacker read the session caller's answer: %d %s (%s)", got.status, got.body, got.header.Get("Cache-Status"))
			}
		}},
		{"coalesced-miss-crossing", "a GET never gets a concurrent HEAD's empty answer", func(t *testing.T, id int) {
			_, get, n := concurrently(t, func() answer { return do(t, "HEAD", fields(id), "", keyed) },
				func() answer { return do(t, "GET", fields(id), "", keyed) })
			if n != 2 || get.status != 200 || !strings.Contains(get.body, `"values":{"id"`) {
				t.Errorf("%d upstream requests; the GET got %d %q (%s)", n, get.status, get.body, get.header.Get("Cache-Status"))
			}
		}},
		{"session-with-stateless-credential", "the client's cookie never rides along a call Civigate authenticated", func(t *testing.T, id int) {
			h := admin(true)
			h.Set("X-Civi-Auth", "Bearer "+up.apiKey)
			got := do(t, "GET", read(id), "", h)
			if c := up.lastSeen(t)["Cookie"]; len(c) != 0 || strings.Contains(got.body, adminSecret) {
				t.Errorf("the admin's session reached CiviCRM with an API key call (Cookie %q): %s", c, got.body)
			}
		}},
	}
	for i, row := range rows {
		t.Run(row.class+"/"+row.name, func(t *testing.T) {
			up.mu.Lock()
			up.seen = nil
			up.mu.Unlock()
			row.run(t, 100+i) // a call of its own: rows do not share entries
		})
	}

	// Not an attack: a call the operator marked shared is the same for
	// every caller, so anonymous callers are served from the cache too,
	// once a verified caller's answer filled it (never their own).
	shared := inst.URL + "/civicrm/ajax/rest?entity=Contact&action=getunique&json=1"
	if got := do(t, "GET", shared, "", attacker); got.header.Get("Cache-Status") != "Civigate; fwd=miss; fwd-status=403; detail=anonymous" {
		t.Errorf("shared Contact.getunique for an anonymous caller, before anyone else: %s", got.header.Get("Cache-Status"))
	}
	do(t, "GET", shared, "", keyed)
	if got := do(t, "GET", shared, "", attacker); got.header.Get("Cache-Status") != "Civigate; hit" {
		t.Errorf("shared Contact.getunique for an anonymous caller: %s", got.header.Get("Cache-Status"))
	}
	// Nor is this: an anonymous caller's call runs on its own session, so
	// the cookie CiviCRM sets for it comes back to it, and to it alone.
	a, b := do(t, "GET", read(1), "", attacker), do(t, "GET", read(1), "", attacker)
	ca, cb := a.header.Values("Set-Cookie"), b.header.Values("Set-Cookie")
	if len(ca) != 1 || len(cb) != 1 || ca[0] == cb[0] || !strings.HasPrefix(ca[0], "SESSCIVISO=") {
		t.Errorf("anonymous callers' own session cookies: %q, %q", ca, cb)
	}
	if s := do(t, "GET", read(1), "", admin(true)); len(s.header.Values("Set-Cookie")) != 0 {
		t.Errorf("a resumed session got a cookie CiviCRM did not set: %q", s.header.Values("Set-Cookie"))
	}
}

// waitUntil polls cond until it holds or d has passed, and reports
// whether it held; with t set, not holding fails the test.
func waitUntil(t *testing.T, d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			if t != nil {
				t.Fatal("condition not reached")
			}
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// Calls that look like reads but run something else in CiviCRM must never
// be answered from the cache nor stored: the request is a read only if
// every call CiviCRM runs for it is (issue 12 class 3, through the cache).
// Each row is sent twice through real Caddy (memory cache, no policy) in
// front of the simulated CiviCRM; neither answer may be stored or a hit.
func TestAttackCacheHiddenCalls(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	upstream := httptest.NewServer(sim)
	defer upstream.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(upstream.URL, "http://"), "site_key "+sim.SiteKey()))
	creds := "&key=" + url.QueryEscape(sim.SiteKey()) + "&api_key=" + url.QueryEscape(sim.Admin().APIKey)
	extern := inst.URL + "/sites/all/modules/civicrm/extern/rest.php?"
	rows := []struct {
		class, target string
		ran           string // a call that runs in CiviCRM although the request reads
	}{
		{"chain created by $value substitution", extern + "entity=Contact&action=get&json=" + url.QueryEscape(
			`{"id":5,"api.Contact.get.a":{"id":"$value.id"},"api.Contact.get.b":{"id":"$value.id","api_Contact_delete":"$value.api.Contact.get.a"}}`), ""},
		{"className page call on WordPress REST", inst.URL + "/wp-json/civicrm/v3/rest?entity=Contact&action=get&json=" + url.QueryEscape(
			`{"className":"CRM_Contact_Page_AJAX","fnName":"getContactEmail"}`), "CRM_Contact_Page_AJAX::getContactEmail"},
	}
	for _, row := range rows {
		t.Run(row.class, func(t *testing.T) {
			for i := range 2 {
				got := do(t, "GET", row.target+creds, "", nil)
				if cs := got.header.Get("Cache-Status"); !strings.Contains(cs, "fwd=bypass") {
					t.Errorf("request %d: %s %d %.200s", i+1, cs, got.status, got.body)
				}
			}
			if row.ran != "" && sim.Calls(row.ran) != 2 {
				t.Errorf("%s ran %d times, not twice", row.ran, sim.Calls(row.ran))
			}
		})
	}
}

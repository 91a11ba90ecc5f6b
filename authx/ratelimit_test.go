package authx

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/civigate/civigate/translate"
)

// An address blocked for guessing still serves credentials that
// authenticated in full there or elsewhere within a proof period or two,
// and nothing else: unknown credentials are refused without asking
// CiviCRM. A credential stays proven while it is in use.
func TestProvenCredentialsPassABlockedAddress(t *testing.T) {
	now := testNow
	var events []GuessingEvent
	e := newEnv(t, func(c *Config) {
		c.Now = func() time.Time { return now }
		c.FailureWindow = 72 * time.Hour
		c.Guessing = func(ev GuessingEvent) { events = append(events, ev) }
	})
	e.cnt.Now = func() time.Time { return now }
	office := netip.MustParseAddr("203.0.113.9")
	try := e.from
	if rej := try("Bearer "+akUser, netip.MustParseAddr("198.51.100.1")); rej != nil {
		t.Fatalf("first use: %v", rej)
	}
	for i := range 5 {
		if rej := try("Bearer guess-"+string(rune('a'+i)), office); rej == nil || rej.Reason != ReasonInvalid {
			t.Fatalf("guess %d: %v", i, rej)
		}
	}
	asked := e.res.calls.Load()
	for _, step := range []struct {
		class string
		after time.Duration
		cred  string
		want  Reason // "" for accepted
	}{
		{"proven credential, blocked address", time.Minute, "Bearer " + akUser, ""},
		{"unknown credential, blocked address", time.Minute, "Bearer guess-z", ReasonRateLimited},
		{"valid but never proven credential, blocked address", time.Minute, "Bearer " + akNoUser, ReasonRateLimited},
		{"proof from the period before", proofPeriod + time.Minute, "Bearer " + akUser, ""},
		{"proof renewed by that use", 2*proofPeriod + time.Hour, "Bearer " + akUser, ""},
		{"proof lapsed after two idle periods", 5 * proofPeriod, "Bearer " + akUser, ReasonRateLimited},
	} {
		now = testNow.Add(step.after)
		rej := try(step.cred, office)
		switch {
		case step.want == "" && rej != nil:
			t.Errorf("%s: refused: %v", step.class, rej)
		case step.want != "" && (rej == nil || rej.Reason != step.want):
			t.Errorf("%s: got %v, want %s", step.class, rej, step.want)
		}
	}
	if e.res.calls.Load() != asked {
		t.Errorf("CiviCRM was asked %d times about credentials from the blocked address", e.res.calls.Load()-asked)
	}
	want := []GuessingEvent{GuessProvenPassed, GuessAddressBlocked, GuessAddressBlocked, GuessProvenPassed, GuessProvenPassed, GuessAddressBlocked}
	if len(events) != len(want) {
		t.Fatalf("events %v, want %v", events, want)
	}
	for i := range want {
		if events[i] != want[i] {
			t.Errorf("event %d: %s, want %s", i, events[i], want[i])
		}
	}
}

// A credential's own counter blocks it from any address, unless it is
// proven with the site key it sends: password guesses for a user do not
// lock the user out, and no guess (a right one included) is seen.
func TestCredentialCounterPassesOnlyProvenPairs(t *testing.T) {
	e := newEnv(t, nil)
	basic := func(userPass string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(userPass)) }
	user := basic("admin:pw") // known to the fake CiviCRM
	call := func(cred, siteKey string, last byte) *Rejection {
		c := contactGet()
		c.Credentials = translate.Credentials{Authorization: cred, XCiviKey: siteKey}
		c.RequestedWith = "XMLHttpRequest" // past ajax/rest's CSRF rule (csrf.go)
		_, rej := e.a.Authenticate(context.Background(), Request{Call: c, ClientIP: netip.AddrFrom4([4]byte{198, 51, 100, last})})
		return rej
	}
	if rej := call(user, testSiteKey, 1); rej != nil {
		t.Fatalf("proving admin:pw: %v", rej)
	}
	// Password guesses for the same user, each from a new address, fill
	// the user's counter (Basic is counted per user name).
	for i := range 5 {
		if rej := call(basic("admin:guess"+string(rune('a'+i))), testSiteKey, byte(10+i)); rej == nil || rej.Reason == ReasonRateLimited {
			t.Fatalf("guess %d: %v", i, rej)
		}
	}
	asked := e.res.calls.Load()
	for _, row := range []struct {
		class, cred, siteKey string
		want                 Reason // "" for accepted
	}{
		{"another guess for the blocked user", basic("admin:guessz"), testSiteKey, ReasonRateLimited},
		{"the proven password with its site key", user, testSiteKey, ""},
		{"the proven password with another site key", user, "wrong-site-key-0000", ReasonRateLimited},
		{"the proven password with no site key", user, "", ReasonRateLimited},
	} {
		rej := call(row.cred, row.siteKey, 2)
		switch {
		case row.want == "" && rej != nil:
			t.Errorf("%s: refused: %v", row.class, rej)
		case row.want != "" && (rej == nil || rej.Reason != row.want):
			t.Errorf("%s: got %v, want %s", row.class, rej, row.want)
		}
	}
	if n := e.res.calls.Load() - asked; n != 0 {
		t.Errorf("CiviCRM was asked %d times about a blocked user's credentials", n)
	}
}

// Site-key guessing with a credential that works (issue 12): every wrong
// site key counts against the credential as well as the address, so after
// max_failures of them the credential is refused with any site key it has
// not proven, from any address, while the same credential with the site
// key it was proven with keeps working, from a blocked address too.
func TestSiteKeyGuessingCountsAgainstTheCredential(t *testing.T) {
	e := newEnv(t, nil)
	call := func(siteKey string, last byte) *Rejection {
		c := contactGet()
		c.Form = translate.FormExtern
		c.Credentials = translate.Credentials{APIKey: akUser, SiteKey: siteKey}
		_, rej := e.a.Authenticate(context.Background(), Request{Call: c, ClientIP: netip.AddrFrom4([4]byte{203, 0, 113, last})})
		return rej
	}
	if rej := call(testSiteKey, 1); rej != nil {
		t.Fatalf("proving the key: %v", rej)
	}
	refused, limited := 0, 0
	for i := range 30 {
		// From a new address each time: only the credential's count stops it.
		switch rej := call("guess-"+string(rune('a'+i%26))+string(rune('a'+i/26)), byte(10+i)); {
		case rej == nil:
			t.Fatalf("guess %d passed", i)
		case rej.Reason == ReasonRateLimited:
			limited++
		case rej.Reason == ReasonSiteKey:
			refused++
		default:
			t.Fatalf("guess %d: %v", i, rej)
		}
	}
	if refused != 5 || limited != 25 {
		t.Errorf("30 wrong site keys with a working key: %d refused for the site key, %d throttled; want 5 and 25", refused, limited)
	}
	if rej := call(testSiteKey, 99); rej != nil {
		t.Errorf("the key with the right site key, from a clean address: %v", rej)
	}
	if rej := call(testSiteKey, 10); rej != nil {
		t.Errorf("the key with the right site key, from an address that guessed: %v", rej)
	}
}

// Instances sharing Redis share proofs: a credential proven through one is
// served from a blocked address by another.
func TestProofsSharedThroughRedis(t *testing.T) {
	client, prefix := testRedis(t)
	shared := func(c *Config) {
		c.Secret = []byte("shared-secret")
		c.Failures = &RedisCounter{Client: client, Prefix: prefix + "fail:"}
		c.Proofs = &RedisVerdicts{Client: client, Prefix: prefix + "proof:"}
	}
	one, two := newEnv(t, shared), newEnv(t, shared)
	office := netip.MustParseAddr("203.0.113.9")
	if rej := one.from("Bearer "+akUser, netip.MustParseAddr("198.51.100.1")); rej != nil {
		t.Fatalf("proving through one: %v", rej)
	}
	for i := range 5 {
		one.from("Bearer guess-"+string(rune('a'+i)), office)
	}
	if rej := two.from("Bearer guess-z", office); rej == nil || rej.Reason != ReasonRateLimited {
		t.Fatalf("the address is not blocked on two: %v", rej)
	}
	if rej := two.from("Bearer "+akUser, office); rej != nil {
		t.Fatalf("the proven key from the blocked address through two: %v", rej)
	}
}

// from authenticates a Contact.get carrying cred in X-Civi-Auth and the
// right site key, from addr.
func (e *env) from(cred string, addr netip.Addr) *Rejection {
	call := contactGet()
	call.Credentials = translate.Credentials{XCiviAuth: cred, XCiviKey: testSiteKey}
	_, rej := e.a.Authenticate(context.Background(), Request{Call: call, ClientIP: addr})
	return rej
}

// AuthX's own routes (civicrm/authx/id, login, logout): their credential
// gets the API's checks and counts, AuthX's refusal shape, and a request
// without one has nothing to guess.
func TestAuthenticateRoute(t *testing.T) {
	e := newEnv(t, nil)
	office := netip.MustParseAddr("203.0.113.9")
	route := func(cr translate.Credentials, addr netip.Addr) (*Principal, *Rejection) {
		c := &translate.Call{Form: translate.FormAuthx, Method: "GET", Action: "id", Credentials: cr}
		return e.a.AuthenticateRoute(context.Background(), Request{Call: c, ClientIP: addr})
	}
	if p, rej := route(translate.Credentials{XCiviAuth: "Bearer " + akUser}, netip.MustParseAddr("198.51.100.1")); rej != nil || p == nil || p.ContactID != 3 {
		t.Fatalf("a valid key: %+v %v", p, rej)
	}
	for i := range 5 {
		_, rej := route(translate.Credentials{Authx: "Bearer guess-" + string(rune('a'+i))}, office)
		if rej == nil || rej.Reason != ReasonInvalid {
			t.Fatalf("guess %d: %v", i, rej)
		}
		reply, _ := rej.Reply(&translate.Call{Form: translate.FormAuthx}, "CiviCRM")
		if reply.Status != 401 || reply.ContentType != "text/plain;charset=UTF-8" || string(reply.Body) != "HTTP 401 "+MsgInvalidCredential {
			t.Fatalf("guess %d answered %d %s %q", i, reply.Status, reply.ContentType, reply.Body)
		}
	}
	for _, row := range []struct {
		class string
		cr    translate.Credentials
		want  Reason // "" accepted; "none" no credential
	}{
		{"another guess from the blocked address", translate.Credentials{XCiviAuth: "Bearer guess-z"}, ReasonRateLimited},
		{"the proven key from the blocked address", translate.Credentials{XCiviAuth: "Bearer " + akUser}, ""},
		{"no credential from the blocked address", translate.Credentials{}, "none"},
		{"a site key without a credential", translate.Credentials{XCiviKey: "wrong-site-key-000"}, "none"},
		{"Authorization: Basic, which AuthX ignores on the header flow", translate.Credentials{Authorization: "Basic YWRtaW46cHc="}, "none"},
	} {
		p, rej := route(row.cr, office)
		switch row.want {
		case "":
			if rej != nil || p == nil {
				t.Errorf("%s: %+v %v", row.class, p, rej)
			}
		case "none":
			if rej != nil || p != nil {
				t.Errorf("%s: %+v %v, want no principal and no refusal", row.class, p, rej)
			}
		default:
			if rej == nil || rej.Reason != row.want {
				t.Errorf("%s: %+v %v, want %s", row.class, p, rej, row.want)
				continue
			}
			reply, h := rej.Reply(&translate.Call{Form: translate.FormAuthx}, "CiviCRM")
			if reply.Status != 429 || string(reply.Body) != "HTTP 429 "+MsgRateLimited || h.Get("Retry-After") == "" {
				t.Errorf("%s: answered %d %q %v", row.class, reply.Status, reply.Body, h)
			}
		}
	}
}

// A full MemoryCounter makes room by dropping expired windows, then the
// lowest counts, then among equal counts the windows that end soonest: a
// flood of fresh keys (guesses spread over many addresses or credentials)
// never flushes the counter of the address that is guessing, so its block
// holds.
func TestMemoryCounterEvictsLowCountsFirst(t *testing.T) {
	ctx := context.Background()
	now := testNow
	c := NewMemoryCounter()
	c.Max = 100
	c.Now = func() time.Time { return now }
	const max = 5
	for range max {
		c.Fail(ctx, time.Hour, "ip:guesser")
	}
	c.Fail(ctx, time.Hour, "ip:twice")
	c.Fail(ctx, time.Hour, "ip:twice")
	for i := range 50 * c.Max {
		now = now.Add(time.Millisecond)
		c.Fail(ctx, time.Hour, fmt.Sprintf("cred:flood-%d", i))
		if len(c.m) > c.Max {
			t.Fatalf("after %d fresh keys the table holds %d, bound %d", i+1, len(c.m), c.Max)
		}
	}
	if blocked, _ := c.Blocked(ctx, max, "ip:guesser"); !blocked {
		t.Fatal("a flood of single failures flushed the blocked counter")
	}
	if c.m["ip:twice"].n != 2 {
		t.Error("a count of 2 was dropped while counts of 1 were kept")
	}

	// Among equal counts the window that ends soonest goes first; expired
	// windows go before any live one, however high their count.
	now = testNow
	c = NewMemoryCounter()
	c.Max = 10
	c.Now = func() time.Time { return now }
	for range 50 {
		c.Fail(ctx, time.Minute, "ip:expired-but-high")
	}
	for i := range 9 {
		now = now.Add(time.Second)
		c.Fail(ctx, time.Hour, fmt.Sprintf("ip:%d", i))
	}
	now = now.Add(2 * time.Minute)   // ip:expired-but-high's window is over
	c.Fail(ctx, time.Hour, "ip:new") // full: sweep
	if _, ok := c.m["ip:expired-but-high"]; ok {
		t.Error("an expired window was kept")
	}
	if len(c.m) != 10 {
		t.Fatalf("%d keys after dropping only the expired one, want 10", len(c.m))
	}
	c.Fail(ctx, time.Hour, "ip:newer") // full again: drop one, then add
	if _, ok := c.m["ip:0"]; ok {
		t.Error("ip:0, the window ending soonest, was kept")
	}
	for _, k := range []string{"ip:1", "ip:8", "ip:new", "ip:newer"} {
		if _, ok := c.m[k]; !ok {
			t.Errorf("%s was dropped before windows ending sooner", k)
		}
	}
}

// IPv6 clients are counted by their prefix (Config.IPv6Prefix, /64 by
// default): one connection owns a whole /64, so counting its addresses
// one by one would hand a guesser 2^64 fresh counters. IPv4 addresses,
// mapped into IPv6 or not, count one by one; a zone changes nothing.
func TestIPv6ClientsCountByPrefix(t *testing.T) {
	for _, tc := range []struct {
		prefix int // 0: the default
		a, b   string
		same   bool
	}{
		{0, "2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", true},
		{0, "2001:db8:1:2::1", "2001:db8:1:3::1", false},
		{0, "fe80::1%eth0", "fe80::2%eth1", true},
		{56, "2001:db8:1:2::1", "2001:db8:1:ff::1", true},
		{56, "2001:db8:1:2::1", "2001:db8:1:100::1", false},
		{128, "2001:db8:1:2::1", "2001:db8:1:2::2", false},
		{128, "2001:db8:1:2::1", "2001:db8:1:2::1", true},
		{0, "::ffff:198.51.100.7", "198.51.100.7", true},
		{0, "::ffff:198.51.100.7", "::ffff:198.51.100.8", false},
		{32, "198.51.100.7", "198.51.100.8", false},
	} {
		e := newEnv(t, func(c *Config) { c.IPv6Prefix = tc.prefix })
		ka, kb := e.a.ipKey(netip.MustParseAddr(tc.a)), e.a.ipKey(netip.MustParseAddr(tc.b))
		if (ka == kb) != tc.same || ka == "" {
			t.Errorf("/%d: %s → %q, %s → %q: same counter %v, want %v", tc.prefix, tc.a, ka, tc.b, kb, ka == kb, tc.same)
		}
	}
	for _, bad := range []int{-1, 16, 31, 129} {
		cfg := Config{IPv6Prefix: bad}
		if _, err := New(cfg); err == nil {
			t.Errorf("prefix length %d accepted", bad)
		}
	}

	// Guesses from one /56 block the whole /56 when it is configured.
	e := newEnv(t, func(c *Config) { c.IPv6Prefix = 56 })
	try := func(cred, addr string) *Rejection {
		call := contactGet()
		call.Credentials = translate.Credentials{XCiviAuth: cred, XCiviKey: testSiteKey}
		_, rej := e.a.Authenticate(context.Background(), Request{Call: call, ClientIP: netip.MustParseAddr(addr)})
		return rej
	}
	for i := range 5 {
		addr := fmt.Sprintf("2001:db8:0:%x::1", i) // a new /64 each time
		if rej := try("Bearer guess-"+string(rune('a'+i)), addr); rej == nil || rej.Reason != ReasonInvalid {
			t.Fatalf("guess %d from %s: %v", i, addr, rej)
		}
	}
	if rej := try("Bearer "+akNoUser, "2001:db8:0:ff::9"); rej == nil || rej.Reason != ReasonRateLimited {
		t.Fatalf("same /56 after 5 failures: %v", rej)
	}
	if rej := try("Bearer "+akNoUser, "2001:db8:0:100::9"); rej != nil {
		t.Fatalf("the next /56 was blocked: %v", rej)
	}
}

// A reservation that is released leaves the counter quiet again once it
// counts nothing: every credential's first success goes through one, and
// its requests after it need not ask the counter (Readmit). A count that
// stays (a failure) keeps it from being quiet until its window ends.
func TestMemoryCounterQuietAfterReleases(t *testing.T) {
	ctx := context.Background()
	now := testNow
	c := NewMemoryCounter()
	c.Now = func() time.Time { return now }
	release, full, _ := c.Reserve(ctx, 5, time.Minute, "cred:a", "ip:1")
	if full != "" || c.Quiet() {
		t.Fatalf("a reservation: full %q, quiet %v", full, c.Quiet())
	}
	other, _, _ := c.Reserve(ctx, 5, time.Minute, "cred:b", "ip:1")
	release(ctx)
	if c.Quiet() {
		t.Fatal("quiet while another reservation counts")
	}
	other(ctx)
	if !c.Quiet() {
		t.Fatal("not quiet once every reservation is released")
	}
	c.Fail(ctx, time.Minute, "ip:2")
	if c.Quiet() {
		t.Fatal("quiet with a failure counted")
	}
	now = now.Add(time.Minute)
	if !c.Quiet() {
		t.Fatal("not quiet after the failure's window")
	}
}

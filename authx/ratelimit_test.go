package authx

import (
	"context"
	"encoding/base64"
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

// A credential's own counter still blocks it, proven or not, from any
// address: the proof only lifts the address's block.
func TestProvenCredentialKeepsItsOwnCounter(t *testing.T) {
	e := newEnv(t, nil)
	basic := func(userPass string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(userPass)) }
	user := basic("admin:pw") // known to the fake CiviCRM
	call := func(cred string, last byte) *Rejection {
		c := contactGet()
		c.Credentials = translate.Credentials{Authorization: cred, XCiviKey: testSiteKey}
		_, rej := e.a.Authenticate(context.Background(), Request{Call: c, ClientIP: netip.AddrFrom4([4]byte{198, 51, 100, last})})
		return rej
	}
	if rej := call(user, 1); rej != nil {
		t.Fatalf("proving admin:pw: %v", rej)
	}
	// Password guesses for the same user, each from a new address, fill
	// the user's counter (Basic is counted per user name).
	for i := range 5 {
		if rej := call(basic("admin:guess"+string(rune('a'+i))), byte(10+i)); rej == nil || rej.Reason == ReasonRateLimited {
			t.Fatalf("guess %d: %v", i, rej)
		}
	}
	if rej := call(user, 2); rej == nil || rej.Reason != ReasonRateLimited {
		t.Fatalf("admin:pw with its user blocked: %v", rej)
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

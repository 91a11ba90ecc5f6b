package authx

import (
	"fmt"
	"net/netip"
	"testing"
)

// A request whose client address Civigate cannot read (Caddy bound to a
// unix socket, as behind a front proxy on the same host: RemoteAddr "@",
// and client_ip is no address) is still throttled: guesses with a fresh
// credential each were verified without limit, each one a question to
// CiviCRM, since the address's counter key was empty and dropped and
// every credential's own counter stayed at one. Live: 25 random API keys
// through a `bind unix//…` listener were all verified (max_failures 10).
func TestGuessesWithoutClientAddressAreLimited(t *testing.T) {
	e := newEnv(t, nil)
	unknown := netip.Addr{}
	for i := range 5 {
		if rej := e.from(fmt.Sprintf("Bearer guess-%02d", i), unknown); rej == nil || rej.Reason != ReasonInvalid {
			t.Fatalf("guess %d: %v", i, rej)
		}
	}
	asked := e.res.calls.Load()
	for i := 5; i < 20; i++ {
		rej := e.from(fmt.Sprintf("Bearer guess-%02d", i), unknown)
		if rej == nil || rej.Reason != ReasonRateLimited {
			t.Errorf("guess %d past max_failures from an unknown address: %v", i, rej)
		}
	}
	if n := e.res.calls.Load() - asked; n > 0 {
		t.Errorf("CiviCRM was asked about %d more guesses from an unknown address", n)
	}
}

// The unknown address's counter key is no address's: guesses from a real
// address do not fill the shared count.
func TestUnknownAddressHasItsOwnCounter(t *testing.T) {
	e := newEnv(t, nil)
	if k := e.a.ipKey(netip.Addr{}); k != unknownAddrKey {
		t.Fatalf("the unknown address's key: %q", k)
	}
	for _, s := range []string{"0.0.0.0", "::", "::ffff:0.0.0.0", "fe80::1%eth0", "2001:db8::1", "198.51.100.7"} {
		if k := e.a.ipKey(netip.MustParseAddr(s)); k == unknownAddrKey {
			t.Errorf("%s counts as the unknown address", s)
		}
	}
	addr := netip.MustParseAddr("192.0.2.1")
	for i := range 5 {
		if rej := e.from(fmt.Sprintf("Bearer real-%02d", i), addr); rej == nil || rej.Reason != ReasonInvalid {
			t.Fatalf("guess %d from %s: %v", i, addr, rej)
		}
	}
	if rej := e.from("Bearer unknown-00", netip.Addr{}); rej == nil || rej.Reason != ReasonInvalid {
		t.Errorf("the unknown address is blocked by %s's guesses: %v", addr, rej)
	}
}

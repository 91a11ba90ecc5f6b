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

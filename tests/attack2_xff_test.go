package tests

import (
	"fmt"
	"net/http"
	"testing"
)

// README: behind a front proxy on a unix socket, "configure Caddy to trust
// the front proxy: ... the global servers { trusted_proxies_unix } option
// ...; each client is then counted by its own address". The usual front
// proxies do not replace X-Forwarded-For, they append the peer's address
// to what the client sent (nginx's $proxy_add_x_forwarded_for, Apache's
// mod_proxy), and Caddy (without trusted_proxies_strict) takes the
// left-most address: the one the client wrote. So a guesser who writes a
// fresh address in each request gets a fresh budget each time and is never
// limited (live: 15 random API keys with "X-Forwarded-For: 10.x.y.z,
// 203.0.113.7" through bind unix//… with trusted_proxies_unix, max_failures
// 10: all 15 asked of CiviCRM, none 429; with trusted_proxies_strict the
// 11th is 429).
//
// Here the front proxy appends the guesser's real address 203.0.113.9 to
// the X-Forwarded-For it wrote: past max_failures its guesses must be
// refused unseen.
func TestAttackGuessingThroughUnixSocketAppendingProxy(t *testing.T) {
	stub := newStubCiviCRM(t)
	sk := "sk-" + randomHex(t, 12)
	client := unixSite(t, stub.Host(), "trusted_proxies_unix", "site_key "+sk, "cache off", "auth {\n\t\t\tmax_failures 3 1m\n\t\t}")
	g := unixGuesser{t: t, client: client, stub: stub, sk: sk}
	spoofed := func(i int) http.Header {
		return http.Header{"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d, 203.0.113.9", 10+i)}}
	}
	for i := range 3 {
		g.guess(fmt.Sprintf("guess %d from 203.0.113.9", i+1), spoofed(i), false)
	}
	for i := 3; i < 8; i++ {
		g.guess(fmt.Sprintf("guess %d from 203.0.113.9, past max_failures, claiming 198.51.100.%d", i+1, 10+i), spoofed(i), true)
	}
}

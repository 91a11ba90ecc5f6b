package tests

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
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
// refused unseen. Caddy reads the header from the right only with
// trusted_proxies_strict, which README now requires wherever it advises
// trusting a proxy, and without which Civigate warns
// (TestLaxProxyTrustIsWarnedAbout): the site is configured as README says.
func TestAttackGuessingThroughUnixSocketAppendingProxy(t *testing.T) {
	stub := newStubCiviCRM(t)
	sk := "sk-" + randomHex(t, 12)
	client := unixSite(t, stub.Host(), "trusted_proxies_unix\n\t\ttrusted_proxies_strict", "site_key "+sk, "cache off", "auth {\n\t\t\tmax_failures 3 1m\n\t\t}")
	appendingProxyGuesses(unixGuesser{t: t, client: client, stub: stub, sk: sk})
}

// The same over TCP, the front proxy (here the test, from 127.0.0.1) in
// trusted_proxies, strictly.
func TestAttackGuessingThroughTrustedProxyAppending(t *testing.T) {
	stub := newStubCiviCRM(t)
	sk := "sk-" + randomHex(t, 12)
	cf := strings.Replace(siteCaddyfile(stub.Host(), "site_key "+sk, "cache off", "auth {\n\t\t\tmax_failures 3 1m\n\t\t}"),
		"\tlog {", "\tservers {\n\t\ttrusted_proxies static 127.0.0.1/32\n\t\ttrusted_proxies_strict\n\t}\n\tlog {", 1)
	inst := startCaddy(t, cf)
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", strings.TrimPrefix(inst.URL, "http://"))
	}}}
	t.Cleanup(client.CloseIdleConnections)
	appendingProxyGuesses(unixGuesser{t: t, client: client, stub: stub, sk: sk})
}

// appendingProxyGuesses guesses through g from 203.0.113.9, claiming a
// fresh address in front of it each time: limited after max_failures (3).
func appendingProxyGuesses(g unixGuesser) {
	g.t.Helper()
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

package tests

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// unixSite is Civigate in real Caddy bound to a unix socket (`bind
// unix//…`, as behind a front proxy on the same host), in front of
// upstream, and a client that dials the socket (ask unixBase).
// servers, if not empty, is a line of Caddy's global servers options.
func unixSite(t *testing.T, upstream, servers string, civicrmLines ...string) *http.Client {
	t.Helper()
	// Not t.TempDir: a socket's path must stay short (108 bytes).
	dir, err := os.MkdirTemp("", "cg-sock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "sock")
	cf := strings.Replace(siteCaddyfile(upstream, civicrmLines...), "\tcivicrm {", "\tbind unix/"+sock+"\n\tcivicrm {", 1)
	if servers != "" {
		cf = strings.Replace(cf, "\tlog {", "\tservers {\n\t\t"+servers+"\n\t}\n\tlog {", 1)
	}
	loadCaddy(t, cf)
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
	t.Cleanup(client.CloseIdleConnections)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := client.Get(unixBase + "/")
		if err == nil {
			resp.Body.Close()
			return client
		}
		if time.Now().After(deadline) {
			t.Fatalf("Caddy did not answer on %s: %v", sock, err)
		}
	}
}

// unixBase is the URL unixSite's client asks: its host is only the Host.
const unixBase = "http://civicrm.test"

// Guessing protection counts guesses per client address and per
// credential. Caddy bound to a unix socket knows no client address
// (RemoteAddr "@"): the address's counter was dropped, so a guesser with a
// fresh API key each time was never limited, every guess a question to
// CiviCRM (live: 25 random keys, max_failures 10, none refused). Now every
// caller without an address shares one count, with counters in memory and
// in Redis: past max_failures fresh keys get 429 unseen, while the key
// that proved itself keeps working.
func TestAttackGuessingThroughUnixSocket(t *testing.T) {
	ru, rc, prefix := testRedis(t)
	for _, tc := range []struct{ name, store string }{
		{"memory", ""},
		{"redis", "redis " + ru + "\n\t\tredis_prefix " + prefix},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stub := newStubCiviCRM(t)
			sk := "sk-" + randomHex(t, 12)
			lines := []string{"site_key " + sk, "cache off", "auth {\n\t\t\tmax_failures 3 1m\n\t\t}"}
			if tc.store != "" {
				lines = append(lines, tc.store)
			}
			client := unixSite(t, stub.Host(), "", lines...)
			g := unixGuesser{t: t, client: client, stub: stub, sk: sk}
			g.proven()
			for i := range 3 {
				g.guess(fmt.Sprintf("guess %d", i+1), nil, false)
			}
			for i := 3; i < 10; i++ {
				g.guess(fmt.Sprintf("guess %d, past max_failures", i+1), nil, true)
			}
			g.proven()
			if tc.store != "" {
				// Counted in Redis, not in the fallback's memory.
				keys, err := rc.Keys(context.Background(), prefix+"*authfail:ip:*").Result()
				if err != nil || len(keys) != 1 || !strings.HasSuffix(keys[0], ":ip:unknown") {
					t.Errorf("address counters in Redis: %v %v, want the unknown address's", keys, err)
				}
			}
			caddyStopNow(t)
		})
	}
}

// With Caddy told to trust the unix socket's peer (trusted_proxies_unix,
// strictly, as README says), the client address comes from
// X-Forwarded-For and is counted as over TCP: fresh addresses are not
// limited together, one address is after max_failures. A request without
// the header still has no address and counts in the shared one.
func TestGuessingThroughUnixSocketTrustedProxy(t *testing.T) {
	stub := newStubCiviCRM(t)
	sk := "sk-" + randomHex(t, 12)
	client := unixSite(t, stub.Host(), "trusted_proxies_unix\n\t\ttrusted_proxies_strict", "site_key "+sk, "cache off", "auth {\n\t\t\tmax_failures 3 1m\n\t\t}")
	g := unixGuesser{t: t, client: client, stub: stub, sk: sk}
	for i := range 8 {
		addr := fmt.Sprintf("198.51.100.%d", 10+i)
		g.guess("guess from "+addr, http.Header{"X-Forwarded-For": {addr}}, false)
	}
	one := http.Header{"X-Forwarded-For": {"203.0.113.9"}}
	for i := range 3 {
		g.guess(fmt.Sprintf("guess %d from one address", i+1), one, false)
	}
	g.guess("guess 4 from one address", one, true)
	for i := range 3 {
		g.guess(fmt.Sprintf("guess %d without X-Forwarded-For", i+1), nil, false)
	}
	g.guess("guess 4 without X-Forwarded-For", nil, true)
	g.guess("guess from a fresh address after all that", http.Header{"X-Forwarded-For": {"198.51.100.99"}}, false)
}

// unixGuesser sends legacy APIv3 calls through unixSite's client.
type unixGuesser struct {
	t      *testing.T
	client *http.Client
	stub   *stubCiviCRM
	sk     string
}

func (g unixGuesser) get(apiKey string, h http.Header) answer {
	g.t.Helper()
	r, err := http.NewRequest("GET", unixBase+"/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&key="+g.sk+"&api_key="+apiKey, nil)
	if err != nil {
		g.t.Fatal(err)
	}
	for k, v := range h {
		r.Header[k] = v
	}
	return doWith(g.t, g.client, r)
}

// proven calls with the stub's key, which must be served.
func (g unixGuesser) proven() {
	g.t.Helper()
	if a := g.get(g.stub.APIKey, nil); a.status != 200 || a.body != stubContactGet {
		g.t.Fatalf("the valid key: %d %s", a.status, a.body)
	}
	g.stub.seen()
}

// guess calls with a fresh random key: refused by CiviCRM (asked), or,
// when limited, with 429 and Retry-After without CiviCRM being asked.
func (g unixGuesser) guess(what string, h http.Header, limited bool) {
	g.t.Helper()
	a := g.get("guess"+randomHex(g.t, 8), h)
	asked := false
	reqs, _ := g.stub.seen()
	for _, r := range reqs {
		asked = asked || r.URL.Path == "/civicrm/authx/id"
	}
	switch {
	case limited && (a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == ""):
		g.t.Errorf("%s: %d %q %.200s, want 429 with Retry-After", what, a.status, a.header.Get("Retry-After"), a.body)
	case limited && asked:
		g.t.Errorf("%s: CiviCRM was asked about a limited guess", what)
	case !limited && (a.status == http.StatusTooManyRequests || !strings.Contains(a.body, "No CMS user") || !asked):
		g.t.Errorf("%s: %d %.200s (CiviCRM asked: %v), want CiviCRM's refusal", what, a.status, a.body, asked)
	}
}

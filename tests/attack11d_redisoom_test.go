package tests

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// a11dDo sends one request with the given Host (two instances of one site
// share cache entries only for the same Host) and returns status,
// Cache-Status and body.
func a11dDo(t *testing.T, method, u, host, body string) (int, string, string) {
	t.Helper()
	resp, b := fidDo(t, method, u, map[string]string{"Host": host}, body)
	return resp.StatusCode, resp.Header.Get("Cache-Status"), b
}

// a11dHost is the Host every request of these tests carries: instances of
// one site share cache entries only for the same Host.
const a11dHost = "civi.test"

// a11dReadNick reads contact 2's nick_name through extern/rest.php.
func a11dReadNick(t *testing.T, sim *civicrmsim.Simulator, p a11dProc) (cacheStatus, body string) {
	t.Helper()
	q := url.Values{"entity": {"Contact"}, "action": {"get"}, "json": {"1"}, "id": {"2"},
		"return": {"nick_name"}, "key": {sim.SiteKey()}, "api_key": {sim.Admin().APIKey}}
	st, cs, body := a11dDo(t, "GET", p.URL+"/sites/all/modules/civicrm/extern/rest.php?"+q.Encode(), a11dHost, "")
	if st != 200 {
		t.Fatalf("read: %d %s", st, body)
	}
	return cs, body
}

// a11dWriteNick sets contact 2's nick_name through extern/rest.php.
func a11dWriteNick(t *testing.T, sim *civicrmsim.Simulator, p a11dProc, nick string) {
	t.Helper()
	f := url.Values{"entity": {"Contact"}, "action": {"create"}, "json": {"1"}, "id": {"2"}, "nick_name": {nick},
		"key": {sim.SiteKey()}, "api_key": {sim.Admin().APIKey}}
	st, _, body := a11dDo(t, "POST", p.URL+"/sites/all/modules/civicrm/extern/rest.php", a11dHost, f.Encode())
	if st != 200 || !strings.Contains(body, `"is_error":0`) {
		t.Fatalf("write: %d %s", st, body)
	}
}

// a11dTwoInstances starts the simulator, a private Redis and two Civigate
// processes of one site sharing it (README, Scaling out: "Run several Caddy
// instances with the same Caddyfile and one Redis").
func a11dTwoInstances(t *testing.T, cacheLines string) (*civicrmsim.Simulator, *a11dRedis, a11dProc, a11dProc) {
	t.Helper()
	sim, upstream := a11dSim(t)
	r := a11dStartRedis(t)
	cf := a11dSiteCaddyfile(sim, upstream, r.url(), cacheLines, "")
	return sim, r, a11dStartProc(t, cf), a11dStartProc(t, cf)
}

// a11dSim starts the simulator as the upstream; it returns its host:port.
func a11dSim(t *testing.T) (*civicrmsim.Simulator, string) {
	t.Helper()
	sim := civicrmsim.New(civicrmsim.Options{})
	up := httptest.NewServer(sim)
	t.Cleanup(up.Close)
	return sim, strings.TrimPrefix(up.URL, "http://")
}

// a11dSiteCaddyfile is one instance's Caddyfile: the site on {PORT}, the
// given Redis, a shared secret and the given cache and auth subdirectives
// (one per line, ";"-separated).
func a11dSiteCaddyfile(sim *civicrmsim.Simulator, upstream, redisURL, cacheLines, authLines string) string {
	return "{\n\tadmin 127.0.0.1:{ADMIN}\n\tlog {\n\t\tlevel ERROR\n\t}\n}\nhttp://:{PORT} {\n\tcivicrm {\n" +
		"\t\tsite_key " + sim.SiteKey() + "\n\t\tredis " + redisURL + "\n\t\tauth {\n\t\t\tsecret a11d-shared-secret\n\t\t\t" +
		strings.ReplaceAll(authLines, ";", "\n\t\t\t") + "\n\t\t}\n" +
		"\t\tcache {\n\t\t\t" + strings.ReplaceAll(cacheLines, ";", "\n\t\t\t") + "\n\t\t}\n\t}\n\treverse_proxy " + upstream + "\n}\n"
}

// A write made through one instance while Redis refuses writes (a full
// Redis with maxmemory-policy noeviction answers every write command
// "OOM command not allowed", but still serves reads and PUBLISH) leaves
// the other instance answering the value from before the write, for as
// long as Redis stays full (up to the entry's ttl).
//
// Instance A answers the write 200 and, having found Redis failing, serves
// its own reads from CiviCRM (the new value). Instance B keeps answering
// "Cache-Status: hit" with the pre-write body: its lookups (GET of the
// entry, HMGET of the generation counters) still succeed on the full
// Redis, and the counters never moved since A's HINCRBY was refused. A
// publishes the invalidation on the pub/sub channel (which a full Redis
// delivers) every 200 ms, yet B does not apply it to what it reads from
// Redis. On a manual run with three instances, B (memory tier) and a third
// without one answered the pre-write value on every read over the ~10 s
// Redis was kept full, and the new one within 0.5 s of maxmemory being
// lifted.
//
// README (Scaling out): "Redis trouble never fails or stalls a request
// ... lookups then miss and go to CiviCRM" and "Invalidations survive
// outages"; the topology table promises no stale answer once Redis takes
// writes again, but a Redis that is full is not down: nothing ever tells
// B its entry is stale. A cache must not keep serving, from a store that
// refused the invalidation, an answer a write acknowledged to the client
// has changed; an operator watching B sees the old value for minutes.
func TestA11dNoStaleAnswerWhileRedisRefusesWrites(t *testing.T) {
	sim, r, a, b := a11dTwoInstances(t, "ttl 300s")
	read := func(p a11dProc) (string, string) { return a11dReadNick(t, sim, p) }
	write := func(p a11dProc, nick string) { a11dWriteNick(t, sim, p, nick) }
	write(a, "before-oom")
	read(b)
	// The miss's answer is stored after it is answered: under load the
	// next read may come first, so B is asked until it hits (or 2 s).
	cs, body := read(b)
	for i := 0; i < 20 && !strings.Contains(cs, "hit"); i++ {
		time.Sleep(100 * time.Millisecond)
		cs, body = read(b)
	}
	if !strings.Contains(cs, "hit") || !strings.Contains(body, "before-oom") {
		t.Fatalf("precondition: B serves the read from the cache: %q %s", cs, body)
	}

	// Redis fills up: every write command is refused, reads still work.
	for _, c := range [][]string{{"CONFIG", "SET", "maxmemory-policy", "noeviction"}, {"CONFIG", "SET", "maxmemory", "1"}} {
		if out, err := r.cli(c...); err != nil || !strings.Contains(out, "OK") {
			t.Fatalf("redis-cli %v: %v %s", c, err, out)
		}
	}
	if out, _ := r.cli("SET", "a11d-probe", "x"); !strings.Contains(out, "OOM") {
		t.Fatalf("precondition: Redis refuses writes: %s", out)
	}

	write(a, "after-write")
	if _, body := read(a); !strings.Contains(body, "after-write") {
		t.Fatalf("A does not see its own write: %s", body)
	}
	// More than a replay (200 ms) and the 1 s a failing store's entries
	// are treated as misses; then watch B for a few seconds.
	time.Sleep(1500 * time.Millisecond)
	for i := 0; i < 4; i++ {
		if cs, body := read(b); strings.Contains(body, "before-oom") {
			t.Fatalf("%.1f s after instance A answered the write (nick_name after-write) while Redis refused writes (OOM), "+
				"instance B still answers the value from before it, Cache-Status %q: %s",
				1.5+float64(i), cs, body)
		}
		time.Sleep(time.Second)
	}
}

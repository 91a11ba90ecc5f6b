package tests

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// While Redis refuses writes (full, noeviction) but answers reads and
// PUBLISH, what a write through one instance made stale is served by no
// instance that heard of it (README, Scaling out: what holds while Redis
// refuses writes), beyond what TestA11dNoStaleAnswerWhileRedisRefusesWrites
// checks of a plain instance:
//
//   - an instance with a memory tier, which holds the entry in memory and
//     its generations as learned from Redis, misses too (Cache-Status
//     detail=invalidation-pending), and serves hits again once Redis takes
//     the bump;
//   - a credential change (an API key set) through one instance makes both
//     forget the verdicts they remember: the old key is asked about again
//     (civicrm/authx/id), on the writer and on the other instance, instead
//     of being taken on a verdict from before the change (with forward_jwt
//     CiviCRM would then run the call as the key's old contact; a cached
//     answer would be served without CiviCRM);
//   - guessing protection, whose counters Redis refuses to count, fails no
//     request: it counts in the instance's memory (a 4th bad key gets 429)
//     and a good key is served.
func TestRedisRefusingWritesServesNothingStale(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	var asked atomic.Int64 // civicrm/authx/id questions
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.Contains(req.URL.Path, "authx/id") {
			asked.Add(1)
		}
		sim.ServeHTTP(w, req)
	}))
	t.Cleanup(up.Close)
	upstream := strings.TrimPrefix(up.URL, "http://")
	r := a11dStartRedis(t)
	a := a11dStartProc(t, a11dSiteCaddyfile(sim, upstream, r.url(), "ttl 300s", "max_failures 3 1m"))
	b := a11dStartProc(t, a11dSiteCaddyfile(sim, upstream, r.url(), "ttl 300s;memory_tier 4MiB", "max_failures 3 1m"))
	ada, _ := sim.ACLUsers()
	adaKey := ada.APIKey
	adaRead := func(p a11dProc) (int, string, string) {
		q := url.Values{"entity": {"Contact"}, "action": {"get"}, "json": {"1"}, "id": {itoa(int(ada.ContactID))},
			"key": {sim.SiteKey()}, "api_key": {adaKey}}
		return a11dDo(t, "GET", p.URL+"/sites/all/modules/civicrm/extern/rest.php?"+q.Encode(), a11dHost, "")
	}
	a11dWriteNick(t, sim, a, "before-full")
	for i := 0; i < 3; i++ { // stored, then in Redis and in B's memory tier
		a11dReadNick(t, sim, b)
	}
	if cs, body := a11dReadNick(t, sim, b); cs != "Civigate; hit" || !strings.Contains(body, "before-full") {
		t.Fatalf("precondition: B serves the read from its cache: %q %s", cs, body)
	}
	for _, p := range []a11dProc{a, b} {
		if st, _, body := adaRead(p); st != 200 || !strings.Contains(body, `"is_error":0`) {
			t.Fatalf("precondition: ada's key works: %d %s", st, body)
		}
	}

	lift := r.fill(t)
	a11dWriteNick(t, sim, a, "after-write")
	deadline := time.Now().Add(time.Second) // the message on its way, on a loaded machine
	for {
		cs, body := a11dReadNick(t, sim, b)
		if strings.Contains(body, "after-write") {
			if !strings.Contains(cs, "detail=invalidation-pending") {
				t.Errorf("B's miss while the invalidation is not in Redis: Cache-Status %q", cs)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance B (memory tier) still answers the value from before A's write while Redis refuses writes: %q %s", cs, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := 0; i < 3; i++ {
		if cs, body := a11dReadNick(t, sim, b); !strings.Contains(body, "after-write") {
			t.Fatalf("B answers the value from before A's write again: %q %s", cs, body)
		}
		time.Sleep(300 * time.Millisecond)
	}

	// The admin sets ada's API key through A: CiviCRM no longer knows the
	// old one (the simulator cannot change a key itself).
	f := url.Values{"entity": {"Contact"}, "action": {"create"}, "json": {`{"id":` + itoa(int(ada.ContactID)) + `,"api_key":"rotated-key-0123456789"}`},
		"key": {sim.SiteKey()}, "api_key": {sim.Admin().APIKey}}
	if st, _, body := a11dDo(t, "POST", a.URL+"/sites/all/modules/civicrm/extern/rest.php", a11dHost, f.Encode()); st != 200 {
		t.Fatalf("key change: %d %s", st, body)
	}
	ada.APIKey = "rotated-key-0123456789"
	for _, tc := range []struct {
		name string
		p    a11dProc
	}{{"A (whose forget Redis refused)", a}, {"B (which heard of it)", b}} {
		deadline := time.Now().Add(time.Second)
		for {
			before := asked.Load()
			st, _, body := adaRead(tc.p)
			if asked.Load() > before {
				if st != 200 || !strings.Contains(body, `"is_error":1`) {
					t.Fatalf("instance %s, ada's old key: %d %s", tc.name, st, body)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("instance %s still takes ada's old API key on a verdict from before it was changed through A while Redis refused writes: %d %s",
					tc.name, st, body)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// Guessing protection cannot count in Redis: each instance counts in
	// its own memory, failing no request.
	client := fromAddress("127.0.0.2")
	bad := func(p a11dProc) int {
		q := url.Values{"entity": {"Contact"}, "action": {"get"}, "json": {"1"}, "key": {sim.SiteKey()}, "api_key": {"bad-" + randomHex(t, 8)}}
		req, _ := http.NewRequest("GET", p.URL+"/sites/all/modules/civicrm/extern/rest.php?"+q.Encode(), nil)
		req.Host = a11dHost
		return doWith(t, client, req).status
	}
	for i := 0; i < 3; i++ {
		if st := bad(a); st != 200 {
			t.Fatalf("bad key %d while Redis refuses writes: %d, want the legacy refusal (200)", i+1, st)
		}
	}
	if st := bad(a); st != http.StatusTooManyRequests {
		t.Fatalf("4th bad key from one address while Redis refuses writes: %d, want 429", st)
	}
	if _, body := a11dReadNick(t, sim, b); !strings.Contains(body, "after-write") {
		t.Fatalf("a good key while Redis refuses writes: %s", body)
	}

	// Redis takes writes again: A's replay lands, B caches again.
	lift()
	deadline = time.Now().Add(3 * time.Second)
	for {
		cs, body := a11dReadNick(t, sim, b)
		if !strings.Contains(body, "after-write") {
			t.Fatalf("B after Redis took writes again: %q %s", cs, body)
		}
		if cs == "Civigate; hit" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B does not cache again after Redis took writes again: %q", cs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

package tests

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is killed (SIGKILL) during a load of cacheable reads and restarted
// empty on the same port: no client request fails meanwhile (Redis is an
// optimisation, never a dependency), and once it is back Civigate writes to
// it again: reads are cached in it and answered from it.
func TestFaultRedisRestart(t *testing.T) {
	rds := startPrivateRedis(t)
	up := newFaultUpstream(t)
	sk := "sk-" + randomHex(t, 12)
	inst := faultSite(t, up, sk, "redis "+rds.URL())
	read := inst.URL + externPath + "?entity=Contact&action=get&json=1&id=2&key=" + sk + "&api_key=" + up.APIKey
	get := func(int64) (*http.Request, error) { return http.NewRequest(http.MethodGet, read, nil) }
	ok := func(o outcome) string {
		if o.err == nil && o.status == 200 && o.body == stubContactGet {
			return ""
		}
		return o.describe()
	}
	if got := do(t, "GET", read, "", nil); got.status != 200 || got.body != stubContactGet {
		t.Fatalf("read before the outage: %d %.300s", got.status, got.body)
	}

	// Down from 1s to 3s of a 4s load.
	wait := goLoad(context.Background(), 4, 4*time.Second, 1_000_000, get, ok)
	time.Sleep(time.Second)
	rds.kill()
	time.Sleep(2 * time.Second)
	rds.start()
	lr := wait()
	if lr.Failed() > 0 {
		t.Errorf("%d of %d client requests failed while Redis was killed and restarted: %v", lr.Failed(), lr.Requests, lr.Failures)
	}

	// The restarted Redis is empty (no persistence): a hit now was stored
	// in it after the restart, and there is no memory tier to answer
	// instead. Bounded: 50 tries, ~5s (the breaker retries Redis after 1s).
	awaitCacheHit(t, read, "Redis came back")
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + itoa(rds.Port)})
	defer c.Close()
	keys, err := c.DBSize(context.Background()).Result()
	if err != nil || keys == 0 {
		t.Errorf("the restarted Redis holds %d keys (%v); the hit did not come from it", keys, err)
	}
	readsBefore := up.reads.Load()
	for i := 0; i < 20; i++ {
		if got := do(t, "GET", read, "", nil); got.status != 200 || got.body != stubContactGet {
			t.Fatalf("read after Redis came back: %d %.300s", got.status, got.body)
		}
	}
	// Every one of them should be a hit; a loaded machine (parallel test
	// processes, load averages of 20 and more) can push a Redis reply past
	// its deadline now and then, and such a read rightly goes to CiviCRM
	// rather than wait (fail-open). Caching that did not resume sends all 20.
	if n := up.reads.Load() - readsBefore; n > 2 {
		t.Errorf("%d of 20 reads after the restart reached CiviCRM; caching did not resume", n)
	} else if n > 0 {
		t.Logf("%d of 20 reads after the restart reached CiviCRM (Redis past its deadline on a loaded machine)", n)
	}
	t.Logf("%d reads under load, none failed; caching resumed with %d keys in the restarted Redis", lr.Requests, keys)
}

// Redis stalls (SIGSTOP: connections stay open, nothing answers) during a
// load of cached reads and recovers: no client request fails, since every
// Redis operation has a deadline and a breaker skips Redis while it fails,
// and caching resumes when it thaws.
func TestFaultRedisStall(t *testing.T) {
	rds := startPrivateRedis(t)
	up := newFaultUpstream(t)
	sk := "sk-" + randomHex(t, 12)
	inst := faultSite(t, up, sk, "redis "+rds.URL())
	read := inst.URL + externPath + "?entity=Contact&action=get&json=1&id=2&key=" + sk + "&api_key=" + up.APIKey
	if got := do(t, "GET", read, "", nil); got.status != 200 || got.body != stubContactGet {
		t.Fatalf("read before the stall: %d %.300s", got.status, got.body)
	}
	var slowest atomic.Int64
	// Stalled from 1s to 3s of a 4s load.
	wait := goLoad(context.Background(), 4, 4*time.Second, 1_000_000,
		func(int64) (*http.Request, error) { return http.NewRequest(http.MethodGet, read, nil) },
		func(o outcome) string {
			for {
				cur := slowest.Load()
				if int64(o.took) <= cur || slowest.CompareAndSwap(cur, int64(o.took)) {
					break
				}
			}
			if o.err == nil && o.status == 200 && o.body == stubContactGet {
				return ""
			}
			return o.describe()
		})
	time.Sleep(time.Second)
	rds.pause()
	time.Sleep(2 * time.Second)
	rds.resume()
	lr := wait()
	if lr.Failed() > 0 {
		t.Errorf("%d of %d client requests failed while Redis was stalled: %v", lr.Failed(), lr.Requests, lr.Failures)
	}
	awaitCacheHit(t, read, "Redis thawed")
	// Logged, not asserted: timings on a shared machine are not a test.
	t.Logf("%d reads under load, none failed; slowest answer %v", lr.Requests, time.Duration(slowest.Load()).Round(time.Millisecond))
}

// awaitCacheHit reads until an answer comes from the cache again (50 tries,
// about 5s: the breaker retries Redis after 1s); every answer must be the
// right one meanwhile.
func awaitCacheHit(t *testing.T, read, after string) {
	t.Helper()
	for i := 0; i < 50; i++ {
		got := do(t, "GET", read, "", nil)
		if got.status != 200 || got.body != stubContactGet {
			t.Fatalf("read after %s: %d %.300s", after, got.status, got.body)
		}
		if strings.HasPrefix(got.header.Get("Cache-Status"), "Civigate; hit") {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no cache hit within 5s after %s", after)
}

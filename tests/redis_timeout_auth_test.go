package tests

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redis_timeout is documented as the deadline of each Redis operation, so
// it bounds guessing protection's too: with a Redis that answers in about
// 150 ms and redis_timeout 2s, a failure is counted in Redis (shared by
// every instance), not in the one instance's memory that a timed-out
// counter falls back to. authx's own 50 ms default applied whatever the
// operator set, so on a slow Redis (or a loaded machine) failures spread
// over instances were not added up.
func TestRedisTimeoutBoundsGuessingCounters(t *testing.T) {
	rd := startPrivateRedis(t)
	stub := newStubCiviCRM(t)
	sk := "sk-" + randomHex(t, 12)
	inst := startCaddy(t, siteCaddyfile(stub.Host(), "site_key "+sk, "redis "+rd.URL(),
		"cache {\n\t\t\tredis_timeout 2s\n\t\t}", "auth {\n\t\t\tmax_failures 3 1m\n\t\t}"))
	rc := redis.NewClient(&redis.Options{Addr: strings.TrimPrefix(rd.URL(), "redis://")})
	defer rc.Close()

	guess := func() int {
		r, _ := http.NewRequest("GET", inst.URL+"/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&key="+sk+"&api_key=bad-"+randomHex(t, 8), nil)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	guess() // the first failure; connections to Redis and the stub are open
	// Redis stops answering for 150 ms while the second is counted.
	rd.pause()
	go func() {
		time.Sleep(150 * time.Millisecond)
		rd.resume()
	}()
	if st := guess(); st != http.StatusOK {
		t.Fatalf("second guess: %d, want the legacy refusal (200)", st)
	}
	// Counted in Redis, the third fills the address's counter and the
	// fourth is refused unseen. Counted in memory (a timed-out operation
	// opens the breaker: Redis is skipped for a second), the instance has
	// seen two and verifies the fourth.
	if st := guess(); st != http.StatusOK {
		t.Fatalf("third guess: %d, want the legacy refusal (200)", st)
	}
	if st := guess(); st != http.StatusTooManyRequests {
		keys, _ := rc.Keys(context.Background(), "*authfail:ip:*").Result()
		t.Errorf("fourth guess: %d, want 429: the guess made while Redis was slow was counted in the instance's memory (Redis keys %v)", st, keys)
	}
}

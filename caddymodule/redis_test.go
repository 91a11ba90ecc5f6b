package caddymodule

import (
	"regexp"
	"testing"

	"github.com/civigate/civigate/cache"
)

// Each site's keys live under the configured prefix plus a fingerprint of
// its identity: the cache namespace when set, else the site key.
func TestSiteRedisPrefix(t *testing.T) {
	fp := regexp.MustCompile(`^civigate:[0-9a-f]{8}:$`)
	a, okA := siteRedisPrefix("", "", "key-a")
	b, okB := siteRedisPrefix("civigate:", "", "key-b")
	if !okA || !okB || !fp.MatchString(a) || !fp.MatchString(b) || a == b {
		t.Fatalf("two site keys: %q %v, %q %v", a, okA, b, okB)
	}
	if again, _ := siteRedisPrefix("civigate:", "", "key-a"); again != a {
		t.Fatalf("same site key, other prefix: %q vs %q", again, a)
	}
	ns, _ := siteRedisPrefix("civigate:", "key-a", "key-b")
	if ns == a || ns == b {
		t.Fatalf("a namespace equal to a site key must not share its keys, nor may the site key count once a namespace is set: %q", ns)
	}
	if same, _ := siteRedisPrefix("civigate:", "key-a", "other"); same != ns {
		t.Fatalf("the namespace decides, not the site key: %q vs %q", same, ns)
	}
	if bare, ok := siteRedisPrefix("p:", "", ""); ok || bare != "p:" {
		t.Fatalf("no identity: %q %v, want the bare prefix and false", bare, ok)
	}
	if other, _ := siteRedisPrefix("p:", "", "key-a"); other[:2] != "p:" {
		t.Fatalf("configured prefix not kept: %q", other)
	}
}

// A Cluster redirection (ASK, MOVED) is followed, not failed: it is
// counted but leaves civigate_redis_healthy alone, which a failure sets to
// 0 for redisUnhealthyFor.
func TestRedirectionIsNotARedisFailure(t *testing.T) {
	defer redisHealth.lastFailure.Store(redisHealth.lastFailure.Load())
	redisHealth.lastFailure.Store(0)
	for _, class := range []string{"ask", "moved"} {
		reportRedisFailure(cache.RedisFailure{Op: "cache_get", Class: class, Topology: "cluster"})
		if redisHealth.lastFailure.Load() != 0 {
			t.Fatalf("%s marked Redis unhealthy", class)
		}
	}
	reportRedisFailure(cache.RedisFailure{Op: "cache_get", Class: "timeout", Topology: "cluster"})
	if redisHealth.lastFailure.Load() == 0 {
		t.Fatal("a timeout did not mark Redis unhealthy")
	}
}

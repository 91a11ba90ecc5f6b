package authx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// testRedis connects to REDIS_URL (default redis://127.0.0.1:6379). It skips
// when Redis is unreachable, except under CI=true where Redis is part of the
// contract. Keys live under a unique prefix that is deleted afterwards.
func testRedis(t testing.TB) (redis.UniversalClient, string) {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("REDIS_URL: %v", err)
	}
	c := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis at %s unreachable under CI: %v", url, err)
		}
		t.Skipf("Redis at %s unreachable: %v", url, err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	prefix := "civigate-test:authx:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := c.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			c.Del(ctx, keys...)
		}
		c.Close()
	})
	return c, prefix
}

func TestRedisCounter(t *testing.T) {
	c, prefix := testRedis(t)
	ctr := &RedisCounter{Client: c, Prefix: prefix, Timeout: 200 * time.Millisecond}
	ctx := context.Background()
	for range 3 {
		ctr.Fail(ctx, 2*time.Second, "ip:a", "cred:x")
	}
	if b, _ := ctr.Blocked(ctx, 4, "ip:a", "cred:x"); b {
		t.Fatal("blocked after 3 of 4")
	}
	ctr.Fail(ctx, 2*time.Second, "ip:a")
	b, wait := ctr.Blocked(ctx, 4, "ip:a", "cred:x")
	if !b || wait <= 0 || wait > 2*time.Second {
		t.Fatalf("blocked=%v wait=%v", b, wait)
	}
	if b, _ := ctr.Blocked(ctx, 4, "cred:x", "ip:other"); b {
		t.Fatal("unrelated keys blocked")
	}
	// The window is fixed at the first failure, not extended by later ones.
	ttl, _ := c.PTTL(ctx, prefix+"ip:a").Result()
	if ttl <= 0 || ttl > 2*time.Second {
		t.Fatalf("ttl %v", ttl)
	}
}

func TestRedisVerdicts(t *testing.T) {
	c, prefix := testRedis(t)
	s := &RedisVerdicts{Client: c, Prefix: prefix, Timeout: 200 * time.Millisecond}
	ctx := context.Background()
	if _, ok := s.Get(ctx, "k"); ok {
		t.Fatal("hit on empty")
	}
	s.Set(ctx, "k", Verdict{OK: true, ContactID: 3, UserID: i64(1), Cred: "api_key"}, time.Second)
	v, ok := s.Get(ctx, "k")
	if !ok || v.ContactID != 3 || *v.UserID != 1 {
		t.Fatalf("%+v %v", v, ok)
	}
	ttl, _ := c.PTTL(ctx, prefix+"k").Result()
	if ttl <= 0 || ttl > time.Second {
		t.Fatalf("ttl %v", ttl)
	}
	// A garbage value is a miss, not a principal.
	c.Set(ctx, prefix+"g", "1|notanumber||", time.Second)
	if _, ok := s.Get(ctx, "g"); ok {
		t.Fatal("garbage decoded")
	}
}

// With Redis down, nothing blocks and nothing waits longer than the timeout.
func TestRedisFailsOpen(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 20 * time.Millisecond})
	defer c.Close()
	ctr := &RedisCounter{Client: c, Timeout: 30 * time.Millisecond}
	vs := &RedisVerdicts{Client: c, Timeout: 30 * time.Millisecond}
	ctx := context.Background()
	start := time.Now()
	// Counting goes on in this instance's memory: guessing stays limited.
	ctr.Fail(ctx, time.Minute, "ip:a")
	if b, _ := ctr.Blocked(ctx, 2, "ip:a"); b {
		t.Fatal("blocked under the limit with Redis down")
	}
	if b, _ := ctr.Blocked(ctx, 1, "ip:a"); !b {
		t.Fatal("a failure counted during the outage is forgotten")
	}
	vs.Set(ctx, "k", Verdict{OK: true, ContactID: 1}, time.Minute)
	if _, ok := vs.Get(ctx, "k"); ok {
		t.Fatal("hit with Redis down")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
	if !ctr.breaker.open() || !vs.breaker.open() {
		t.Fatal("breaker not open after failures")
	}
	// While open, Redis is not even tried: no timeout is paid.
	start = time.Now()
	for range 100 {
		ctr.Blocked(ctx, 1, "ip:a")
		vs.Get(ctx, "k")
	}
	if d := time.Since(start); d > 20*time.Millisecond {
		t.Fatalf("open breaker still waits: %v", d)
	}

	// And a whole Authenticate with Redis-backed stores still answers.
	e := newEnv(t, func(cfg *Config) {
		cfg.Failures = ctr
		cfg.APIKeys.Store = vs
	})
	call := contactGet()
	call.Credentials.XCiviAuth = "Bearer " + akUser
	call.Credentials.XCiviKey = testSiteKey
	if _, rej := e.a.Authenticate(ctx, Request{Call: call}); rej != nil {
		t.Fatalf("%v", rej)
	}
}

func TestRedisSharedGuessingLimit(t *testing.T) {
	c, prefix := testRedis(t)
	ctr := &RedisCounter{Client: c, Prefix: prefix, Timeout: 200 * time.Millisecond}
	// Two instances sharing Redis and a secret share the count.
	mk := func() *env {
		return newEnv(t, func(cfg *Config) { cfg.Failures = ctr; cfg.Secret = []byte("shared"); cfg.MaxFailures = 4 })
	}
	a, b := mk(), mk()
	ctx := context.Background()
	for i, e := range []*env{a, b, a, b} {
		call := contactGet()
		call.Credentials = credsWith("Bearer wrong-" + string(rune('a'+i)))
		if _, rej := e.a.Authenticate(ctx, Request{Call: call, ClientIP: mustAddr("203.0.113.5")}); rej == nil || rej.Reason != ReasonInvalid {
			t.Fatalf("%d: %v", i, rej)
		}
	}
	call := contactGet()
	call.Credentials = credsWith("Bearer " + akUser)
	_, rej := b.a.Authenticate(ctx, Request{Call: call, ClientIP: mustAddr("203.0.113.5")})
	if rej == nil || rej.Reason != ReasonRateLimited || rej.RetryAfterSeconds() < 1 {
		t.Fatalf("%+v", rej)
	}
}

// A pipeline whose first answer is an absent counter's nil and whose later
// command failed (here WRONGTYPE; on a Cluster, a failover's MOVED or
// CLUSTERDOWN) is a Redis failure: Blocked falls back to this instance's
// own counts instead of reading the failed counter as "not blocked".
func TestRedisBlockedSeesFailureAfterAbsentCounter(t *testing.T) {
	c, prefix := testRedis(t)
	ctx := context.Background()
	ctr := &RedisCounter{Client: c, Prefix: prefix, Timeout: 200 * time.Millisecond}
	c.HSet(ctx, prefix+"broken", "f", "v") // GET on a hash fails with WRONGTYPE
	for i := 0; i < 3; i++ {
		ctr.fallback().Fail(ctx, time.Minute, "broken")
	}
	if blocked, _ := ctr.Blocked(ctx, 3, "absent", "broken"); !blocked {
		t.Fatal("a failed counter read as not blocked; the fallback's count of 3 was not consulted")
	}
}

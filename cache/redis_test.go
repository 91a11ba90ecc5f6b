package cache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/civigate/civigate/internal/testport"
)

// testRedis connects to REDIS_URL (default redis://127.0.0.1:6379). It
// skips when Redis is unreachable, except under CI=true where Redis is
// part of the contract.
func testRedis(t testing.TB) (redis.UniversalClient, string) {
	t.Helper()
	u := os.Getenv("REDIS_URL")
	if u == "" {
		u = "redis://127.0.0.1:6379"
	}
	client, err := NewRedisClient(u)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis unreachable under CI: %v", err)
		}
		t.Skipf("Redis unreachable: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "civigate-test-" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			client.Del(ctx, keys...)
		}
		client.Close()
	})
	return client, prefix
}

func TestRedisStoreShared(t *testing.T) {
	client, prefix := testRedis(t)
	ctx := context.Background()
	clock := newFakeClock()
	opts := RedisOptions{Timeout: 200 * time.Millisecond} // generous: shared CI cores
	cfg := Config{Namespace: "site", DefaultTTL: time.Minute, Now: clock.Now}
	// Two instances sharing one Redis.
	a, _ := New(cfg, NewRedisStore(client, prefix, opts))
	b, _ := New(cfg, NewRedisStore(client, prefix, opts))
	up := &counter{resp: ok200(okBody)}
	call := jsonCall(t, "Contact", "get", `{"sequential":1}`)

	if out := a.Serve(ctx, a.Prepare(call, 3), up.fetch); !out.Status.Stored {
		t.Fatalf("not stored: %s", out.Status)
	}
	out := b.Serve(ctx, b.Prepare(call, 3), up.fetch)
	if out.Status.String() != "Civigate; hit" || string(out.Response.Body) != okBody || out.Response.ContentType != "application/json" {
		t.Fatalf("other instance: %s %q", out.Status, out.Response.Body)
	}
	// The entry expires in Redis after TTL (no stale windows configured).
	pttl := client.PTTL(ctx, prefix+"e:"+a.Prepare(call, 3).Key).Val()
	if pttl <= 0 || pttl > time.Minute {
		t.Fatalf("PTTL %v", pttl)
	}
	// A write on b invalidates a's reads.
	if err := b.Invalidate(ctx, jsonCall(t, "Phone", "create", `{}`)); err != nil {
		t.Fatal(err)
	}
	if res := a.Lookup(ctx, a.Prepare(call, 3)); res.State != Miss || res.Err != nil {
		t.Fatalf("after write on other instance: %v %v", res.State, res.Err)
	}
	a.Serve(ctx, a.Prepare(call, 3), up.fetch)
	if err := b.PurgeContact(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if res := a.Lookup(ctx, a.Prepare(call, 3)); res.State != Miss {
		t.Fatal("purge contact not seen by other instance")
	}
	a.Serve(ctx, a.Prepare(call, 3), up.fetch)
	if err := a.store.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(client.Keys(ctx, prefix+"e:*").Val()); n != 0 {
		t.Fatalf("%d entries after Purge", n)
	}
	if up.n.Load() != 3 {
		t.Fatalf("%d upstream calls", up.n.Load())
	}
}

// Clients hanging up neither open the breaker nor lose an invalidation.
func TestRedisCancelledContexts(t *testing.T) {
	client, prefix := testRedis(t)
	store := NewRedisStore(client, prefix, RedisOptions{Timeout: 200 * time.Millisecond, BreakerThreshold: 2, BreakerCooldown: time.Hour})
	c, _ := New(Config{Namespace: "s"}, store)
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	for range 5 {
		if _, _, err := store.Get(gone, "k", nil); err == nil {
			t.Fatal("cancelled Get succeeded?")
		}
	}
	if store.Down() {
		t.Fatal("cancelled callers opened the breaker")
	}
	if err := c.Invalidate(gone, jsonCall(t, "Contact", "create", `{}`)); err != nil {
		t.Fatalf("invalidation with a cancelled request context: %v", err)
	}
	if g, _ := client.HGet(context.Background(), prefix+"g", c.tags.entity("Contact")).Uint64(); g != 1 {
		t.Fatalf("generation %d after invalidation", g)
	}
}

func TestRedisStoreForeignValue(t *testing.T) {
	client, prefix := testRedis(t)
	ctx := context.Background()
	s := NewRedisStore(client, prefix, RedisOptions{Timeout: 200 * time.Millisecond})
	client.Set(ctx, prefix+"e:k", "not an entry", time.Minute)
	if e, _, err := s.Get(ctx, "k", nil); e != nil || err != nil {
		t.Fatalf("foreign value: %v %v", e, err)
	}
	client.HSet(ctx, prefix+"g", "t", "x")
	if _, _, err := s.Get(ctx, "k", []string{"t"}); err == nil {
		t.Fatal("garbage generation accepted")
	}
}

// freePort returns a TCP port nothing listens on (internal/testport).
func freePort(t *testing.T) int { return testport.Free(t) }

// stallBound is within's limit: 200 times the Redis deadline, half of
// the sleep TestRedisDebugSleep puts Redis in (a lookup that waited for
// Redis would take all of it).
const stallBound = 2 * time.Second

// within fails when f takes longer than d. It detects stalls, not
// slowness: each d here is far above the 10ms Redis deadline (a loaded
// machine must not fail it) and far below what the call would take if it
// waited for Redis (a paused Redis never answers; a sleeping one answers
// after its sleep). Whether the breaker skipped Redis is checked by what
// the call answered, not by its speed.
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	start := time.Now()
	f()
	if took := time.Since(start); took > d {
		t.Errorf("%s took %v (limit %v)", what, took, d)
	}
}

func TestRedisDownClosedPort(t *testing.T) {
	client, err := NewRedisClient("redis://127.0.0.1:" + strconv.Itoa(freePort(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	store := NewRedisStore(client, "x:", RedisOptions{Timeout: 10 * time.Millisecond, BreakerThreshold: 3, BreakerCooldown: time.Hour})
	c, _ := New(Config{}, store)
	ctx := context.Background()
	up := &counter{resp: ok200(okBody)}
	call := jsonCall(t, "Contact", "get", ``)
	for i := range 3 {
		within(t, stallBound, "lookup against a closed port", func() {
			out := c.Serve(ctx, c.Prepare(call, 1), up.fetch)
			if out.Status.String() != "Civigate; fwd=miss; fwd-status=200; detail=store-down" || string(out.Response.Body) != okBody {
				t.Fatalf("call %d: %s", i, out.Status)
			}
		})
	}
	if !store.Down() {
		t.Fatal("breaker not open after 3 failures")
	}
	within(t, stallBound, "lookup with the breaker open", func() {
		if _, _, err := store.Get(ctx, "k", nil); !errors.Is(err, ErrStoreDown) {
			t.Fatalf("open breaker: %v", err)
		}
	})
	// An invalidation is tried even with the breaker open; it fails here
	// and is kept for the background loop.
	if err := c.Invalidate(ctx, jsonCall(t, "Contact", "create", `{}`)); err == nil {
		t.Fatal("invalidate against a closed port succeeded")
	}
	waitFor(t, func() bool { // (the loop may hold it for a retry just now)
		store.mu.Lock()
		defer store.mu.Unlock()
		return len(store.pending) > 0
	})
}

// startRedis runs a private redis-server on a free port.
func startRedis(t *testing.T, extra ...string) (*exec.Cmd, string) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server not installed under CI")
		}
		t.Skip("redis-server not installed")
	}
	port := strconv.Itoa(freePort(t))
	cmd := exec.Command(bin, append([]string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--enable-debug-command", "yes", "--dir", t.TempDir(), "--repl-diskless-sync-delay", "0"}, extra...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := "127.0.0.1:" + port
	deadline := time.Now().Add(5 * time.Second)
	for {
		if conn, err := net.Dial("tcp", addr); err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("private redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cmd, "redis://" + addr
}

func TestRedisPausedAndRecovers(t *testing.T) {
	cmd, u := startRedis(t)
	client := clientOf(t, u)
	const cooldown = 200 * time.Millisecond
	store := NewRedisStore(client, "p:", RedisOptions{Timeout: 10 * time.Millisecond, BreakerThreshold: 3, BreakerCooldown: cooldown})
	c, _ := New(Config{}, store)
	ctx := context.Background()
	up := &counter{resp: ok200(okBody)}
	call := jsonCall(t, "Contact", "get", ``)

	// Warm up (connections open) and store an entry. The first round
	// trips on shared cores may be slow: retry a few times.
	waitFor(t, func() bool {
		out := c.Serve(ctx, c.Prepare(call, 1), up.fetch)
		return out.Status.Stored || out.Status.Hit
	})
	waitFor(t, func() bool { return c.Serve(ctx, c.Prepare(call, 1), up.fetch).Status.Hit })

	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		within(t, stallBound, "lookup against a paused Redis", func() {
			if out := c.Serve(ctx, c.Prepare(call, 1), up.fetch); out.Status.Hit || out.Status.Detail != DetailStoreDown {
				t.Errorf("paused, call %d: %s", i, out.Status)
			}
		})
	}
	if !store.Down() {
		t.Fatal("breaker not open")
	}
	within(t, stallBound, "lookup with the breaker open", func() {
		if _, _, err := store.Get(ctx, "k", nil); !errors.Is(err, ErrStoreDown) {
			t.Errorf("open breaker: %v", err)
		}
	})
	// A write while Redis is paused: its invalidation must not be lost.
	_ = c.Invalidate(ctx, jsonCall(t, "Email", "create", `{}`))

	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	// After the cool-down a probe goes through and caching resumes by
	// itself; the replayed invalidation makes the old entry a miss.
	time.Sleep(cooldown)
	waitFor(t, func() bool { return !c.Lookup(ctx, c.Prepare(call, 1)).errOrDown() })
	if res := c.Lookup(ctx, c.Prepare(call, 1)); res.State != Miss || res.Err != nil {
		t.Fatalf("invalidation made during the outage was lost: %v %v", res.State, res.Err)
	}
	waitFor(t, func() bool { return c.Serve(ctx, c.Prepare(call, 1), up.fetch).Status.Hit })
	if store.Down() {
		t.Fatal("breaker still open after recovery")
	}
}

// DEBUG SLEEP blocks the server's event loop (a stalled, not stopped,
// Redis): lookups still return within their deadline.
func TestRedisDebugSleep(t *testing.T) {
	_, u := startRedis(t)
	client := clientOf(t, u)
	store := NewRedisStore(client, "d:", RedisOptions{Timeout: 10 * time.Millisecond, BreakerThreshold: 2, BreakerCooldown: 50 * time.Millisecond})
	c, _ := New(Config{}, store)
	ctx := context.Background()
	up := &counter{resp: ok200(okBody)}
	call := jsonCall(t, "Contact", "get", ``)
	waitFor(t, func() bool { return c.Serve(ctx, c.Prepare(call, 1), up.fetch).Status.Hit })

	sleeper, _ := NewRedisClient(u)
	defer sleeper.Close()
	slept := make(chan error, 1)
	go func() { slept <- sleeper.Do(context.Background(), "DEBUG", "SLEEP", "4").Err() }()
	time.Sleep(50 * time.Millisecond) // let the server start sleeping
	for i := range 3 {
		within(t, stallBound, "lookup against a sleeping Redis", func() {
			if out := c.Serve(ctx, c.Prepare(call, 1), up.fetch); out.Status.Hit {
				t.Errorf("call %d: hit from a sleeping Redis?", i)
			}
		})
	}
	if err := <-slept; err != nil {
		t.Fatalf("DEBUG SLEEP: %v", err)
	}
	waitFor(t, func() bool { return c.Serve(ctx, c.Prepare(call, 1), up.fetch).Status.Hit })
}

// clientOf is a client of the Redis at u, closed when the test ends.
func clientOf(t *testing.T, u string) *RedisClient {
	t.Helper()
	client, err := NewRedisClient(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

func (r Result) errOrDown() bool { return r.Err != nil }

func TestSplitRedisURL(t *testing.T) {
	cases := []struct {
		in, url, mode string
		bad           bool
	}{
		{in: "redis://127.0.0.1:6379", url: "redis://127.0.0.1:6379", mode: "single"},
		{in: "rediss://u:p@h:6380/2?dial_timeout=1s", url: "rediss://u:p@h:6380/2?dial_timeout=1s", mode: "single"},
		{in: "unix:///run/redis.sock", url: "unix:///run/redis.sock", mode: "single"},
		{in: "redis://h1:6379,h2:6379,h3:6379", url: "redis://h1:6379?addr=h2%3A6379&addr=h3%3A6379", mode: "cluster"},
		{in: "redis://h1:6379,redis://h2:6379", url: "redis://h1:6379?addr=h2%3A6379", mode: "cluster"},
		{in: "redis://:pw@h1:6379,h2:6379/?pool_size=5", url: "redis://:pw@h1:6379/?addr=h2%3A6379&pool_size=5", mode: "cluster"},
		{in: "redis://h1,h2", url: "redis://h1?addr=h2%3A6379", mode: "cluster"},
		{in: "redis+cluster://h1:7000", url: "redis://h1:7000", mode: "cluster"},
		{in: "redis+sentinel://s1:26379,s2:26379/0?master_name=m", url: "redis://s1:26379/0?addr=s2%3A26379&master_name=m", mode: "sentinel"},
		{in: "redis-sentinel://s1:26379?master_name=m", url: "redis://s1:26379?master_name=m", mode: "sentinel"},
		{in: "http://h", bad: true},
		{in: "h:6379", bad: true},
	}
	for _, tc := range cases {
		u, mode, err := splitRedisURL(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%s: accepted", tc.in)
			}
			continue
		}
		if err != nil || u != tc.url || mode != tc.mode {
			t.Errorf("%s: got %q %q %v, want %q %q", tc.in, u, mode, err, tc.url, tc.mode)
		}
	}
	for _, in := range []string{"redis://h1,h2", "redis+sentinel://s1:26379?master_name=m", "redis://h:6379"} {
		c, err := NewRedisClient(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		c.Close()
	}
	if _, err := NewRedisClient("redis+sentinel://s1:26379"); err == nil {
		t.Error("sentinel without master_name accepted")
	}
	if _, err := NewRedisClient("redis://:secret@h:notaport"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("bad URL error leaks or is missing: %v", err)
	}
}

// An absent entry (GET answers nil) queued before a failing HMGET: the
// pipeline's first error is the harmless nil, yet the generations are
// missing. Get must report the failure, not index the empty answer (it
// panicked, closing client connections, when a Cluster failover failed
// the HMGET of a request whose entry was absent).
func TestRedisGetAbsentEntryAndFailedGenerations(t *testing.T) {
	client, prefix := testRedis(t)
	ctx := context.Background()
	s := NewRedisStore(client, prefix, RedisOptions{Timeout: 200 * time.Millisecond})
	client.Set(ctx, prefix+"g", "a string, so HMGET fails with WRONGTYPE", time.Minute)
	e, gens, err := s.Get(ctx, "absent", []string{"t1", "t2"})
	if err == nil || e != nil || gens != nil {
		t.Fatalf("Get = %v, %v, %v; want the HMGET's failure", e, gens, err)
	}
}

// A Cluster client follows a pipeline's redirections (ASK, MOVED) at once:
// go-redis's default retry backoff (10-30ms) is longer than a request's
// whole Redis deadline. A URL may still set its own.
func TestClusterClientRedirectsWithoutBackoff(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want time.Duration
	}{
		{"redis+cluster://127.0.0.1:1", 0},
		{"redis+cluster://127.0.0.1:1?min_retry_backoff=5ms", 5 * time.Millisecond},
	} {
		c, err := NewRedisClient(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.UniversalClient.(*redis.ClusterClient).Options().MinRetryBackoff; got != tc.want {
			t.Errorf("%s: MinRetryBackoff %v, want %v", tc.url, got, tc.want)
		}
		c.Close()
	}
}

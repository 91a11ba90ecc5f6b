package cache

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// A write whose invalidation Redis refused reaches the other instances as
// soon as Redis takes writes again, although the writing instance makes
// no further call: its background loop replays it.
func TestRedisInvalidationReplayedWhileIdle(t *testing.T) {
	_, u := startRedis(t)
	client := clientOf(t, u)
	ctx := context.Background()
	opts := RedisOptions{Timeout: 200 * time.Millisecond, ReplayEvery: 20 * time.Millisecond}
	sa, sb := NewRedisStore(client, "r:", opts), NewRedisStore(client, "r:", opts)
	defer sa.Close()
	defer sb.Close()
	a, _ := New(Config{Namespace: "s"}, sa)
	b, _ := New(Config{Namespace: "s"}, sb)
	up := &counter{resp: ok200(okBody)}
	call := jsonCall(t, "Contact", "get", ``)
	waitFor(t, func() bool { return b.Serve(ctx, b.Prepare(call, 1), up.fetch).Status.Hit })

	// Redis refuses writes (NOREPLICAS), reads still work: b hears that
	// the bump did not land and misses meanwhile (behind_test.go).
	client.ConfigSet(ctx, "min-replicas-to-write", "1")
	if err := a.Invalidate(ctx, jsonCall(t, "Contact", "create", `{}`)); err == nil {
		t.Fatal("the invalidation went through although Redis refuses writes")
	}
	waitFor(t, func() bool { return errors.Is(b.Lookup(ctx, b.Prepare(call, 1)).Err, ErrBehind) })
	client.ConfigSet(ctx, "min-replicas-to-write", "0")
	// a makes no call from now on: the bump lands, b's entry is invalidated.
	waitFor(t, func() bool {
		res := b.Lookup(ctx, b.Prepare(call, 1))
		return res.State == Miss && res.Err == nil
	})
}

// If the hash of generation counters is lost (a restart without
// persistence, an eviction, a failover to a replica that never had it),
// entries stored before are misses: a counter starting again from zero
// must not make an invalidated entry current again.
func TestRedisLostGenerationsInvalidateEverything(t *testing.T) {
	client, prefix := testRedis(t)
	ctx := context.Background()
	store := NewRedisStore(client, prefix, RedisOptions{Timeout: 200 * time.Millisecond})
	defer store.Close()
	c, _ := New(Config{Namespace: "s"}, store)
	up := &counter{resp: ok200(okBody)}
	call := jsonCall(t, "Contact", "get", ``)
	c.Serve(ctx, c.Prepare(call, 1), up.fetch) // stored while Contact's counter is 0
	if err := c.Invalidate(ctx, jsonCall(t, "Contact", "create", `{}`)); err != nil {
		t.Fatal(err)
	}
	// Lose every counter, whatever the layout.
	for _, k := range client.Keys(ctx, prefix+"g*").Val() {
		client.Del(ctx, k)
	}
	if res := c.Lookup(ctx, c.Prepare(call, 1)); res.State != Miss {
		t.Fatalf("an entry invalidated before the counters were lost is served again: %v", res.State)
	}
}

// With a replica, an invalidation waits for it (WAIT); when the replica
// does not confirm in time, the background loop bumps the counters again
// until one does, so a failover to that replica cannot lose it.
func TestRedisInvalidationConfirmedByReplica(t *testing.T) {
	_, u := startRedis(t)
	port := strings.TrimPrefix(u, "redis://127.0.0.1:")
	replica, replicaURL := startRedis(t, "--replicaof", "127.0.0.1", port)
	client := clientOf(t, u)
	ctx := context.Background()
	waitFor(t, func() bool {
		info, _ := client.Info(ctx, "replication").Result()
		return strings.Contains(info, "connected_slaves:1") && strings.Contains(info, "state=online")
	})
	store := NewRedisStore(client, "w:", RedisOptions{Timeout: 500 * time.Millisecond, ReplayEvery: 20 * time.Millisecond})
	defer store.Close()
	waitFor(t, store.hasReplicas)
	noneUnconfirmed := func() bool {
		store.mu.Lock()
		defer store.mu.Unlock()
		return len(store.unconfirmed) == 0
	}
	if err := store.Invalidate(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	// A replica fresh from its first sync may take a moment to confirm.
	waitFor(t, noneUnconfirmed)

	if err := replica.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	before, _ := client.HGet(ctx, "w:g", "t").Int()
	if err := store.Invalidate(ctx, "t"); err != nil {
		t.Fatalf("the master took the invalidation, the caller must not see an error: %v", err)
	}
	if store.Down() {
		t.Fatal("a replica that does not confirm made the cache skip Redis")
	}
	store.mu.Lock()
	_, unconfirmed := store.unconfirmed["t"]
	store.mu.Unlock()
	if !unconfirmed {
		// The loop may already have taken it: then the counter moved on.
		if g, _ := client.HGet(ctx, "w:g", "t").Int(); g <= before+1 {
			t.Fatal("an invalidation no replica confirmed was not kept for another bump")
		}
	}
	if err := replica.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	// The loop bumps it again until the replica confirms: the replica
	// ends up with more than the one bump it missed.
	rc := redis.NewClient(&redis.Options{Addr: strings.TrimPrefix(replicaURL, "redis://")})
	defer rc.Close()
	waitFor(t, func() bool {
		g, _ := rc.HGet(ctx, "w:g", "t").Int()
		return g > before+1
	})
	waitFor(t, noneUnconfirmed)
}

// Failures are classified into a small fixed set; what the caller cancels
// and a missing key are no failures.
func TestClassifyRedisError(t *testing.T) {
	proto := func(msg string) error { return replyError(t, msg) }
	cases := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{redis.Nil, ""},
		{context.Canceled, ""},
		{context.DeadlineExceeded, "timeout"},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), "timeout"},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, "unreachable"},
		{errors.New("redis: connection pool timeout"), "unreachable"},
		{proto("CROSSSLOT Keys in request don't hash to the same slot"), "crossslot"},
		{proto("MOVED 3999 127.0.0.1:6381"), "moved"},
		{proto("ASK 3999 127.0.0.1:6381"), "ask"},
		{proto("READONLY You can't write against a read only replica."), "readonly"},
		{proto("CLUSTERDOWN The cluster is down"), "clusterdown"},
		{proto("LOADING Redis is loading the dataset in memory"), "loading"},
		{proto("NOSCRIPT No matching script"), "noscript"},
		{proto("NOREPLICAS Not enough good replicas to write."), "other"},
	}
	for _, tc := range cases {
		if got := classifyRedisError(tc.err); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.err, got, tc.want)
		}
	}
}

// replyError is msg as an error reply of a real Redis, as go-redis
// returns it.
func replyError(t *testing.T, msg string) error {
	client, _ := testRedis(t)
	return client.Eval(context.Background(), "return redis.error_reply(ARGV[1])", nil, msg).Err()
}

// The breaker says when it opens and when it closes, once each.
func TestBreakerReportsChanges(t *testing.T) {
	var changes []bool
	b := newBreaker(2, time.Hour, nil)
	b.onChange = func(open bool) { changes = append(changes, open) }
	b.done(false)
	b.done(false)
	b.done(false)
	b.recovered()
	b.recovered()
	if fmt.Sprint(changes) != "[true false]" {
		t.Fatalf("changes %v, want [true false]", changes)
	}
}

// After an outage, entries stored before Redis answered again are misses
// for OutageGrace: another instance may still be replaying an invalidation
// it could not send meanwhile. Entries stored since are hits at once, and
// the old ones again after the grace if nothing invalidated them.
func TestRedisDistrustsOlderEntriesAfterOutage(t *testing.T) {
	cmd, u := startRedis(t)
	client := clientOf(t, u)
	// Generous timeout and grace: on a loaded machine a 20 ms timeout trips
	// the breaker again after the recovery (a second outage, whose epoch
	// rightly distrusts the entry once more), and a scheduler pause longer
	// than a short grace would let the check right after recovery see the
	// entry already trusted again.
	const grace = 3 * time.Second
	store := NewRedisStore(client, "o:", RedisOptions{Timeout: 500 * time.Millisecond, BreakerThreshold: 2,
		BreakerCooldown: 50 * time.Millisecond, ReplayEvery: 20 * time.Millisecond, OutageGrace: grace})
	defer store.Close()
	c, _ := New(Config{}, store)
	ctx := context.Background()
	up := &counter{resp: ok200(okBody)}
	before, after := jsonCall(t, "Contact", "get", `{"id":1}`), jsonCall(t, "Contact", "get", `{"id":2}`)
	waitFor(t, func() bool { return c.Serve(ctx, c.Prepare(before, 1), up.fetch).Status.Hit })

	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { c.Lookup(ctx, c.Prepare(before, 1)); return store.Down() })
	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return !store.Down() })
	recovered := time.Now()
	if res := c.Lookup(ctx, c.Prepare(before, 1)); res.State != Miss || res.Err != nil {
		t.Fatalf("an entry stored before the outage was served %v after Redis answered again (%v, err %v)", time.Since(recovered), res.State, res.Err)
	}
	waitFor(t, func() bool { return c.Serve(ctx, c.Prepare(after, 1), up.fetch).Status.Stored })
	if res := c.Lookup(ctx, c.Prepare(after, 1)); res.State != Fresh {
		t.Fatalf("an entry stored after Redis answered again is not trusted: %v (err %v)", res.State, res.Err)
	}
	time.Sleep(grace - time.Since(recovered))
	if res := c.Lookup(ctx, c.Prepare(before, 1)); res.State != Fresh {
		t.Fatalf("after the grace, the untouched entry from before the outage: %v (err %v, Redis down again: %v)", res.State, res.Err, store.Down())
	}
}

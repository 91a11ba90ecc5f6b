package cache

import (
	"context"
	"testing"
	"time"
)

func TestTieredStoreCoherence(t *testing.T) {
	client, prefix := testRedis(t)
	ctx := context.Background()
	opts := RedisOptions{Timeout: 200 * time.Millisecond}
	ta := NewTieredStore(NewRedisStore(client, prefix, opts), TierOptions{MaxAge: time.Minute})
	defer ta.Close()
	tb := NewTieredStore(NewRedisStore(client, prefix, opts), TierOptions{MaxAge: time.Minute})
	defer tb.Close()
	waitFor(t, func() bool { ta.mu.Lock(); defer ta.mu.Unlock(); return ta.live })
	waitFor(t, func() bool { tb.mu.Lock(); defer tb.mu.Unlock(); return tb.live })

	a, _ := New(Config{Namespace: "s"}, ta)
	b, _ := New(Config{Namespace: "s"}, tb)
	up := &counter{resp: ok200(okBody)}
	call := jsonCall(t, "Contact", "get", ``)
	a.Serve(ctx, a.Prepare(call, 1), up.fetch)
	if !b.Serve(ctx, b.Prepare(call, 1), up.fetch).Status.Hit { // from Redis, fills b's tier
		t.Fatal("b missed")
	}
	// Remove the entry from Redis: b still answers from its first tier,
	// without a Redis round trip.
	client.Del(ctx, prefix+"e:"+b.Prepare(call, 1).Key)
	if !b.Serve(ctx, b.Prepare(call, 1), up.fetch).Status.Hit {
		t.Fatal("first tier did not answer")
	}
	// A write on a must reach b's first tier.
	if err := a.Invalidate(ctx, jsonCall(t, "Email", "create", `{}`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return b.Lookup(ctx, b.Prepare(call, 1)).State == Miss })
	if up.n.Load() != 1 {
		t.Fatalf("%d upstream calls", up.n.Load())
	}
}

func TestTieredStoreMaxAge(t *testing.T) {
	client, prefix := testRedis(t)
	ctx := context.Background()
	clock := newFakeClock()
	ts := NewTieredStore(NewRedisStore(client, prefix, RedisOptions{Timeout: 200 * time.Millisecond}), TierOptions{MaxAge: time.Second, Now: clock.Now})
	defer ts.Close()
	waitFor(t, func() bool { ts.mu.Lock(); defer ts.mu.Unlock(); return ts.live })
	c, _ := New(Config{Namespace: "s", Now: clock.Now}, ts)
	up := &counter{resp: ok200(okBody)}
	call := jsonCall(t, "Contact", "get", ``)
	c.Serve(ctx, c.Prepare(call, 1), up.fetch)
	c.Serve(ctx, c.Prepare(call, 1), up.fetch)
	// An invalidation whose message is lost (bumped behind the tier's
	// back) is seen once MaxAge has passed.
	client.HIncrBy(ctx, prefix+"g", c.tags.entity("Contact"), 1)
	if c.Lookup(ctx, c.Prepare(call, 1)).State != Fresh {
		t.Fatal("tier did not answer within MaxAge")
	}
	clock.Advance(time.Second)
	if c.Lookup(ctx, c.Prepare(call, 1)).State != Miss {
		t.Fatal("tier trusted generations past MaxAge")
	}
}

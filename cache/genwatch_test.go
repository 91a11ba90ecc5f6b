package cache

import (
	"context"
	"testing"
	"time"
)

// Two instances on one Redis: a forget through A moves B's generation on
// (B learns it from the invalidation message, then from Redis), while
// between forgets B knows it without asking Redis.
func TestGenWatchAcrossInstances(t *testing.T) {
	client, prefix := testRedis(t)
	ctx := context.Background()
	opts := RedisOptions{Timeout: 250 * time.Millisecond}
	ra, rb := NewRedisStore(client, prefix, opts), NewRedisStore(client, prefix, opts)
	defer ra.Close()
	defer rb.Close()
	tag := VerdictTag("ns")
	a, b := NewGenWatch(ra, tag), NewGenWatch(rb, tag)
	defer a.Close()
	defer b.Close()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(3 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal(what)
			}
		}
	}
	waitFor("subscriptions not confirmed", func() bool { return a.isLive() && b.isLive() })
	g0 := b.Current(ctx)
	if a.Current(ctx) != g0 {
		t.Fatal("the instances disagree on the generation")
	}
	if g, ok := b.Known(); !ok || g != g0 {
		t.Fatalf("B does not know the generation it learned: %d %v", g, ok)
	}
	// Other tags' invalidations leave it known.
	if err := ra.Invalidate(ctx, "e:x:contribution"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, ok := b.Known(); !ok {
		t.Error("an invalidation of another tag made B ask Redis again")
	}
	if err := a.Forget(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Known(); ok {
		t.Error("A still knows the generation it forgot")
	}
	waitFor("B never heard of A's forget", func() bool { _, ok := b.Known(); return !ok })
	g1 := b.Current(ctx)
	if g1 == g0 || a.Current(ctx) != g1 {
		t.Fatalf("generation after forget: B %d, A %d, before %d", g1, a.Current(ctx), g0)
	}
	if g, ok := b.Known(); !ok || g != g1 {
		t.Error("B did not learn the new generation")
	}
}

// GenWatches of two tags share one subscription: a forget of one moves
// that one on (on every instance) and leaves the other known; closing one
// closes the subscription, and closing the other too is harmless.
func TestGenWatchesShareASubscription(t *testing.T) {
	client, prefix := testRedis(t)
	ctx := context.Background()
	opts := RedisOptions{Timeout: 250 * time.Millisecond}
	ra, rb := NewRedisStore(client, prefix, opts), NewRedisStore(client, prefix, opts)
	defer ra.Close()
	defer rb.Close()
	tags := []string{VerdictTag("ns"), PasswordVerdictTag("ns")}
	as, bs := NewGenWatches(ra, tags...), NewGenWatches(rb, tags...)
	defer as[0].Close()
	defer bs[0].Close()
	if as[0].listen != as[1].listen {
		t.Fatal("two subscriptions")
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(3 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal(what)
			}
		}
	}
	waitFor("subscriptions not confirmed", func() bool { return bs[0].isLive() && bs[1].isLive() })
	all0, pw0 := bs[0].Current(ctx), bs[1].Current(ctx)
	if err := as[1].Forget(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor("B never heard of A's forget of the passwords' generation", func() bool { _, ok := bs[1].Known(); return !ok })
	if g, ok := bs[0].Known(); !ok || g != all0 {
		t.Errorf("forgetting the passwords' generation moved the other: %d %v, was %d", g, ok, all0)
	}
	if pw1 := bs[1].Current(ctx); pw1 == pw0 || as[1].Current(ctx) != pw1 {
		t.Errorf("passwords' generation after forget: B %d, A %d, before %d", pw1, as[1].Current(ctx), pw0)
	}
	if err := as[1].Close(); err != nil {
		t.Fatal(err)
	}
	if err := as[0].Close(); err != nil {
		t.Errorf("closing the second of two GenWatches sharing a subscription: %v", err)
	}
}

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

package cache

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// fillRedis makes the Redis behind client refuse every write ("OOM command
// not allowed": maxmemory with noeviction) while it still answers reads
// and PUBLISH; the returned function lifts it.
func fillRedis(t *testing.T, client *RedisClient) (lift func()) {
	t.Helper()
	ctx := context.Background()
	if err := client.ConfigSet(ctx, "maxmemory-policy", "noeviction").Err(); err != nil {
		t.Fatal(err)
	}
	if err := client.ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
		t.Fatal(err)
	}
	if err := client.Set(ctx, "fill-probe", "x", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "OOM") {
		t.Fatalf("test set-up: Redis should refuse writes: %v", err)
	}
	return func() {
		if err := client.ConfigSet(ctx, "maxmemory", "0").Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// While Redis refuses writes but answers reads, a write's invalidation
// cannot bump the counters: every instance that hears of it (the writer,
// a plain instance, one with a memory tier) treats the reads the write
// may have changed as misses, stores nothing under them, and keeps
// serving the others; once Redis takes the bump (replayed by the writer,
// which makes no further call), the floors are passed and caching resumes.
func TestRedisRefusingWritesMissesWhatTheWriteChanged(t *testing.T) {
	_, u := startRedis(t)
	client := clientOf(t, u)
	ctx := context.Background()
	opts := RedisOptions{Timeout: 200 * time.Millisecond, ReplayEvery: 20 * time.Millisecond}
	sa, sb, sc := NewRedisStore(client, "f:", opts), NewRedisStore(client, "f:", opts), NewRedisStore(client, "f:", opts)
	tier := NewTieredStore(sc, TierOptions{})
	for _, c := range []interface{ Close() error }{sa, sb, tier, sc} {
		defer c.Close()
	}
	a, _ := New(Config{Namespace: "s"}, sa)
	b, _ := New(Config{Namespace: "s"}, sb)
	tc, _ := New(Config{Namespace: "s"}, tier)
	up := &counter{resp: ok200(okBody)}
	contactRead, eventRead := jsonCall(t, "Contact", "get", ``), jsonCall(t, "Event", "get", ``)
	for _, c := range []*Cache{b, tc} {
		waitFor(t, func() bool { return c.Serve(ctx, c.Prepare(contactRead, 1), up.fetch).Status.Hit })
		waitFor(t, func() bool { return c.Serve(ctx, c.Prepare(eventRead, 1), up.fetch).Status.Hit })
	}

	lift := fillRedis(t, client)
	if err := a.Invalidate(ctx, jsonCall(t, "Contact", "create", `{}`)); err == nil {
		t.Fatal("the invalidation went through although Redis refuses writes")
	}
	for name, c := range map[string]*Cache{"the writer": a, "another instance": b, "an instance with a memory tier": tc} {
		if name == "the writer" {
			if res := c.Lookup(ctx, c.Prepare(contactRead, 1)); res.State != Miss {
				t.Fatalf("%s serves the Contact read its own write changed: %v", name, res.State)
			}
			continue
		}
		waitFor(t, func() bool { return errors.Is(c.Lookup(ctx, c.Prepare(contactRead, 1)).Err, ErrBehind) })
		before := up.n.Load()
		out := c.Serve(ctx, c.Prepare(contactRead, 1), up.fetch)
		if out.Status.String() != "Civigate; fwd=miss; fwd-status=200; detail=invalidation-pending" || up.n.Load() != before+1 {
			t.Fatalf("%s, Contact read while the invalidation is not in Redis: %s, %d upstream calls", name, out.Status, up.n.Load()-before)
		}
		if out := c.Serve(ctx, c.Prepare(eventRead, 1), up.fetch); !out.Status.Hit {
			t.Fatalf("%s, Event read (not changed by the write): %s, want a hit", name, out.Status)
		}
	}

	lift()
	// The writer makes no call from now on: its background replay lands
	// the bump, and the others see their floors passed.
	// (Both instances first, as they share the entry a Serve stores.)
	for _, c := range []*Cache{b, tc} {
		waitFor(t, func() bool {
			res := c.Lookup(ctx, c.Prepare(contactRead, 1))
			return res.State == Miss && res.Err == nil
		})
	}
	for _, c := range []*Cache{b, tc} {
		waitFor(t, func() bool { return c.Serve(ctx, c.Prepare(contactRead, 1), up.fetch).Status.Hit })
	}
}

// An instance whose subscription starts after the writer's first message
// (started late, or reconnecting) learns of the refused invalidation from
// the writer's replay, which tells it again every ReplayEvery.
func TestRedisRefusedInvalidationToldAgain(t *testing.T) {
	_, u := startRedis(t)
	client := clientOf(t, u)
	ctx := context.Background()
	opts := RedisOptions{Timeout: 200 * time.Millisecond, ReplayEvery: 20 * time.Millisecond}
	sa := NewRedisStore(client, "g:", opts)
	defer sa.Close()
	a, _ := New(Config{Namespace: "s"}, sa)
	up := &counter{resp: ok200(okBody)}
	call := jsonCall(t, "Contact", "get", ``)
	waitFor(t, func() bool { return a.Serve(ctx, a.Prepare(call, 1), up.fetch).Status.Stored })
	fillRedis(t, client)
	if err := a.Invalidate(ctx, jsonCall(t, "Contact", "create", `{}`)); err == nil {
		t.Fatal("the invalidation went through although Redis refuses writes")
	}
	sl := NewRedisStore(client, "g:", opts)
	defer sl.Close()
	late, _ := New(Config{Namespace: "s"}, sl)
	waitFor(t, func() bool { return errors.Is(late.Lookup(ctx, late.Prepare(call, 1)).Err, ErrBehind) })
}

// An answer fetched for a lookup made before an invalidation that did not
// land is not stored: the generations it would be stored under are
// behind.
func TestNothingStoredUnderCountersBehind(t *testing.T) {
	client, prefix := testRedis(t)
	store := NewRedisStore(client, prefix, RedisOptions{Timeout: 200 * time.Millisecond})
	defer store.Close()
	c, _ := New(Config{Namespace: "s"}, store)
	ctx := context.Background()
	r := c.Prepare(jsonCall(t, "Contact", "get", ``), 1)
	if res := c.Lookup(ctx, r); res.State != Miss || res.Err != nil {
		t.Fatalf("first lookup: %v %v", res.State, res.Err)
	}
	store.lag.mark(r.tags[len(r.tags)-1:], false, 0, nil) // heard of meanwhile
	if stored, detail := c.Store(ctx, r, ok200(okBody)); stored || detail != DetailBehind {
		t.Fatalf("stored %v (%s) under a counter known to be behind", stored, detail)
	}
}

// The verdicts' generation moves on while Redis refuses its bump: on the
// instance that forgot (its own Forget failed) and on one that heard of
// it, to a generation nothing was remembered under; once the bump lands
// both read Redis's again.
func TestVerdictGenerationWhileRedisRefusesWrites(t *testing.T) {
	_, u := startRedis(t)
	client := clientOf(t, u)
	ctx := context.Background()
	opts := RedisOptions{Timeout: 200 * time.Millisecond, ReplayEvery: 20 * time.Millisecond}
	sa, sb := NewRedisStore(client, "v:", opts), NewRedisStore(client, "v:", opts)
	defer sa.Close()
	defer sb.Close()
	ga, gb := NewGenWatch(sa, "v:tag"), NewGenWatch(sb, "v:tag")
	defer ga.Close()
	defer gb.Close()
	waitFor(t, func() bool { gb.Current(ctx); _, ok := gb.Known(); return ok && gb.isLive() })
	before := gb.Current(ctx)
	if ga.Current(ctx) != before {
		t.Fatal("test set-up: the instances disagree on the generation")
	}

	lift := fillRedis(t, client)
	if err := ga.Forget(ctx); err == nil {
		t.Fatal("the forget went through although Redis refuses writes")
	}
	if g := ga.Current(ctx); g == before {
		t.Fatal("the instance whose forget Redis refused still uses the generation from before it")
	}
	waitFor(t, func() bool { return gb.Current(ctx) != before })
	if _, ok := gb.Known(); ok {
		t.Fatal("a generation known to be behind is trusted without asking")
	}

	lift()
	waitFor(t, func() bool {
		g, err := sb.Generation(ctx, "v:tag")
		return err == nil && gb.Current(ctx) == g && ga.Current(ctx) == g && g != before
	})
}

// Floors: a known one is passed when Redis's counter is above it or the
// epoch changed; an unknown one only when a bump sent after it was
// learned lands; any one when it expires.
func TestLagSetFloors(t *testing.T) {
	clock := newFakeClock()
	s := newLagSet(time.Minute)
	s.now = clock.Now
	if s.behind("t", 1, 0) || s.lagging("t") {
		t.Fatal("behind with nothing learned")
	}
	s.mark([]string{"t", "u"}, true, 7, []uint64{3, 0})
	if !s.behind("t", 7, 3) || !s.lagging("t", "x") || s.lagging("x") {
		t.Fatal("a counter at its floor is not behind")
	}
	if s.behind("t", 7, 4) || s.lagging("t") {
		t.Fatal("a counter past its floor is still behind")
	}
	if s.behind("u", 8, 0) {
		t.Fatal("a counter of another epoch (the hash recreated since) is still behind")
	}
	if s.active.Load() {
		t.Fatal("the hit path still checks floors with none left")
	}

	sent := s.sending()
	s.mark([]string{"t"}, false, 0, nil) // learned after the bump was sent
	s.landed([]string{"t"}, sent)
	if !s.behind("t", 7, 100) {
		t.Fatal("an unknown floor is passed by a counter value, or by a bump sent before it was learned")
	}
	s.landed([]string{"t"}, s.sending())
	if s.behind("t", 7, 0) {
		t.Fatal("an own bump landed, sent after the floor was learned, does not end it")
	}

	s.mark([]string{"t"}, true, 7, []uint64{5})
	s.mark([]string{"t"}, true, 7, []uint64{4})
	if !s.behind("t", 7, 5) {
		t.Fatal("a lower floor heard later replaced a higher one")
	}
	clock.Advance(time.Minute)
	if s.lagging("t") {
		t.Fatal("a floor outlives the retention")
	}
	s.prune()
	if s.active.Load() {
		t.Fatal("expired floors are not pruned")
	}
}

// The message that an invalidation did not land round-trips, and older
// plain messages read as before.
func TestLagMessage(t *testing.T) {
	r := &RedisStore{lag: newLagSet(time.Minute)}
	tags := r.heard(encodeLag([]string{"e:x:contact", "n:x"}, 9, []uint64{4, 0}))
	if strings.Join(tags, ",") != "e:x:contact,n:x" || !r.lag.behind("e:x:contact", 9, 4) || r.lag.behind("e:x:contact", 9, 5) {
		t.Fatalf("lag message: tags %q", tags)
	}
	if tags := r.heard("e:x:a\ne:x:b"); strings.Join(tags, ",") != "e:x:a,e:x:b" || r.lag.lagging("e:x:a") {
		t.Fatalf("plain message: %q", tags)
	}
	if tags := r.heard(lagPrefix + "{"); tags != nil {
		t.Fatalf("a garbled lag message: %q", tags)
	}
}

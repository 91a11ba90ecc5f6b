package cache

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"
)

func entryOf(body string) *Entry {
	return &Entry{ContentType: "application/json", Body: []byte(body), Gens: []uint64{0, 0}}
}

func TestMemoryStoreByteBound(t *testing.T) {
	const limit = 1 << 20
	m := NewMemoryStore(limit, nil)
	ctx := context.Background()
	body := bytes.Repeat([]byte("x"), 300)
	for i := range 10000 {
		if err := m.Set(ctx, "k"+strconv.Itoa(i), &Entry{Body: body}, time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, b := m.Stats(); b > limit {
			t.Fatalf("after %d sets: %d bytes > %d", i, b, limit)
		}
	}
	n, b := m.Stats()
	per := int64((&Entry{Body: body}).Size() + len("k0000"))
	if n < 10000*0 || int64(n) < limit/per-1 || b > limit {
		t.Fatalf("%d entries, %d bytes: the bound is not used well", n, b)
	}
	// The newest entries are kept, the oldest gone.
	if e, _, _ := m.Get(ctx, "k9999", nil); e == nil {
		t.Error("newest entry evicted")
	}
	if e, _, _ := m.Get(ctx, "k0", nil); e != nil {
		t.Error("oldest entry kept")
	}
	// An entry bigger than the whole store is refused, not thrashing it.
	_ = m.Set(ctx, "huge", &Entry{Body: make([]byte, limit+1)}, time.Hour)
	if e, _, _ := m.Get(ctx, "huge", nil); e != nil {
		t.Error("oversized entry stored")
	}
	if e, _, _ := m.Get(ctx, "k9999", nil); e == nil {
		t.Error("oversized entry evicted the rest")
	}
}

func TestMemoryStoreLRU(t *testing.T) {
	size := int64(entryOf("aaaa").Size() + 2)
	m := NewMemoryStore(3*size, nil)
	ctx := context.Background()
	for _, k := range []string{"k1", "k2", "k3"} {
		_ = m.Set(ctx, k, entryOf("aaaa"), time.Hour)
	}
	if e, _, _ := m.Get(ctx, "k1", nil); e == nil { // k1 becomes most recent
		t.Fatal("k1 missing")
	}
	_ = m.Set(ctx, "k4", entryOf("aaaa"), time.Hour)
	if e, _, _ := m.Get(ctx, "k2", nil); e != nil {
		t.Error("least recently used k2 survived")
	}
	for _, k := range []string{"k1", "k3", "k4"} {
		if e, _, _ := m.Get(ctx, k, nil); e == nil {
			t.Errorf("%s evicted", k)
		}
	}
	// Replacing an entry does not double-count it.
	_ = m.Set(ctx, "k4", entryOf("aaaa"), time.Hour)
	if n, b := m.Stats(); n != 3 || b != 3*size {
		t.Errorf("after replace: %d entries %d bytes", n, b)
	}
	_ = m.Purge(ctx)
	if n, b := m.Stats(); n != 0 || b != 0 {
		t.Errorf("after purge: %d entries %d bytes", n, b)
	}
}

func TestMemoryStoreTTLAndGens(t *testing.T) {
	clock := newFakeClock()
	m := NewMemoryStore(1<<20, clock.Now)
	ctx := context.Background()
	_ = m.Set(ctx, "k", entryOf("{}"), 10*time.Second)
	clock.Advance(9 * time.Second)
	if e, _, _ := m.Get(ctx, "k", nil); e == nil {
		t.Fatal("expired early")
	}
	clock.Advance(time.Second)
	if e, _, _ := m.Get(ctx, "k", nil); e != nil {
		t.Fatal("served after expiry")
	}
	if n, _ := m.Stats(); n != 0 {
		t.Fatal("expired entry not released")
	}
	_ = m.Invalidate(ctx, "a", "a", "b")
	_, gens, _ := m.Get(ctx, "k", []string{"a", "b", "c"})
	if gens[0] != 2 || gens[1] != 1 || gens[2] != 0 {
		t.Fatalf("gens = %v", gens)
	}
}

func TestEntryEncoding(t *testing.T) {
	e := &Entry{ContentType: "application/json", Body: []byte(`{"is_error":0}`),
		StoredAt: time.UnixMilli(1000), FreshUntil: time.UnixMilli(61000), Gens: []uint64{0, 7, 1 << 40}}
	d, err := decodeEntry(e.encode())
	if err != nil {
		t.Fatal(err)
	}
	if d.ContentType != e.ContentType || !bytes.Equal(d.Body, e.Body) || !d.StoredAt.Equal(e.StoredAt) ||
		!d.FreshUntil.Equal(e.FreshUntil) || len(d.Gens) != 3 || d.Gens[2] != 1<<40 {
		t.Fatalf("round trip: %+v", d)
	}
	for _, bad := range [][]byte{nil, []byte("{}"), e.encode()[:20]} {
		if _, err := decodeEntry(bad); err == nil {
			t.Errorf("decoded garbage %q", bad)
		}
	}
}

// TestSharedMemoryGenerations: stores sharing their generations keep their
// own entries but see each other's invalidations; a store with its own
// generations sees none of them.
func TestSharedMemoryGenerations(t *testing.T) {
	ctx := context.Background()
	gens := NewMemoryGenerations()
	a, b := NewSharedMemoryStore(1<<20, gens, nil), NewSharedMemoryStore(1<<20, gens, nil)
	other := NewMemoryStore(1<<20, nil)
	tags := []string{"e:Contact"}
	for _, s := range []*MemoryStore{a, b, other} {
		_, g, _ := s.Get(ctx, "k", tags)
		e := entryOf("{}")
		e.Gens = g
		_ = s.Set(ctx, "k", e, time.Minute)
	}
	if e, _, _ := b.Get(ctx, "k", nil); e == nil {
		t.Fatal("precondition: stored")
	}
	_ = a.Set(ctx, "only-a", entryOf("{}"), time.Minute)
	if e, _, _ := b.Get(ctx, "only-a", nil); e != nil {
		t.Fatal("stores sharing generations share entries")
	}
	_ = a.Invalidate(ctx, tags...)
	for name, s := range map[string]*MemoryStore{"the invalidating store": a, "the store sharing its generations": b} {
		e, g, _ := s.Get(ctx, "k", tags)
		if e == nil || g[0] != 1 || e.Gens[0] == g[0] {
			t.Errorf("%s: the entry's generations are still current after the invalidation (entry %v, generations %v)", name, e, g)
		}
	}
	if e, g, _ := other.Get(ctx, "k", tags); e == nil || g[0] != 0 || e.Gens[0] != 0 {
		t.Errorf("a store with its own generations saw another's invalidation: %v", g)
	}
}

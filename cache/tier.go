package cache

import (
	"context"
	"sync"
	"time"
)

// TierOptions tune a TieredStore.
type TierOptions struct {
	// MaxBytes bounds the in-memory first tier (default 8 MiB).
	MaxBytes int64
	// MaxAge bounds how long the first tier trusts generations it learned
	// from Redis without asking again (default 1s). Invalidation messages
	// normally arrive well within it; it caps the damage of a lost one.
	MaxAge time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// TieredStore puts a small in-memory tier in front of a RedisStore. A hit
// in the first tier costs no Redis round trip. Coherence across instances
// comes from invalidation messages on a Redis pub/sub channel: every
// Invalidate publishes its tags, every instance drops what it learned about
// them. While the subscription is down (Redis unreachable, reconnecting)
// messages may be lost, so the first tier is cleared and bypassed until
// the subscription is back.
type TieredStore struct {
	back   *RedisStore
	front  *MemoryStore
	maxAge time.Duration
	now    func() time.Time

	mu     sync.Mutex
	gens   map[string]learned // tag generations as last read from Redis
	epoch  uint64             // bumped by every invalidation seen
	live   bool               // subscription confirmed and unbroken
	listen *invalidationListener
}

type learned struct {
	gen uint64
	at  time.Time
}

// NewTieredStore starts the invalidation subscription; Close stops it
// (the Redis client stays the caller's).
func NewTieredStore(back *RedisStore, o TierOptions) *TieredStore {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 8 << 20
	}
	if o.MaxAge <= 0 {
		o.MaxAge = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	t := &TieredStore{
		back:   back,
		front:  NewMemoryStore(o.MaxBytes, o.Now),
		maxAge: o.MaxAge,
		now:    o.Now,
		gens:   make(map[string]learned),
	}
	// Messages may be missed while the subscription is down: the tier
	// forgets everything then and stays out of the way until it is
	// confirmed again (reset).
	t.listen = listenInvalidations(back, "cache_subscribe", t)
	return t
}

// Close stops the subscription.
func (t *TieredStore) Close() error { return t.listen.Close() }

func (t *TieredStore) reset(live bool) {
	t.mu.Lock()
	t.live = live
	t.epoch++
	clear(t.gens)
	t.mu.Unlock()
	_ = t.front.Purge(context.Background())
}

func (t *TieredStore) forget(tags []string) {
	t.mu.Lock()
	t.epoch++
	for _, tag := range tags {
		delete(t.gens, tag)
	}
	t.mu.Unlock()
}

// Get implements Store: the first tier answers when it holds the entry and
// fresh knowledge of every tag's generation; otherwise Redis does.
func (t *TieredStore) Get(ctx context.Context, key string, tags []string) (*Entry, []uint64, error) {
	now := t.now()
	t.mu.Lock()
	live, epoch := t.live, t.epoch
	var gens []uint64
	if live {
		gens = make([]uint64, len(tags))
		for i, tag := range tags {
			l, ok := t.gens[tag]
			if !ok || now.Sub(l.at) >= t.maxAge {
				gens = nil
				break
			}
			gens[i] = l.gen
		}
	}
	t.mu.Unlock()
	if gens != nil {
		if e, _, _ := t.front.Get(ctx, key, nil); e != nil {
			return e, gens, nil
		}
	}
	e, gens, err := t.back.Get(ctx, key, tags)
	if err != nil {
		return nil, nil, err
	}
	t.mu.Lock()
	// Learn only if no invalidation arrived while Redis was asked.
	if t.live && t.epoch == epoch {
		for i, tag := range tags {
			t.gens[tag] = learned{gen: gens[i], at: now}
		}
	}
	t.mu.Unlock()
	if e != nil && live {
		_ = t.front.Set(ctx, key, e, t.maxAge)
	}
	return e, gens, nil
}

// Set implements Store: Redis first; the first tier keeps a copy for at
// most MaxAge (it never outlives what it could learn about invalidations).
func (t *TieredStore) Set(ctx context.Context, key string, e *Entry, ttl time.Duration) error {
	err := t.back.Set(ctx, key, e, ttl)
	t.mu.Lock()
	live := t.live
	t.mu.Unlock()
	if err == nil && live {
		_ = t.front.Set(ctx, key, e, min(ttl, t.maxAge))
	}
	return err
}

// Invalidate implements Store: forget locally, bump in Redis (which tells
// the other instances). When the bump fails, what a lookup learned from
// Redis meanwhile is forgotten again: the counters are known to be
// behind from then on (behind.go), and Get learns nothing of them.
func (t *TieredStore) Invalidate(ctx context.Context, tags ...string) error {
	t.forget(tags)
	err := t.back.Invalidate(ctx, tags...)
	if err != nil {
		t.forget(tags)
	}
	return err
}

// lagging reports whether any of tags is known to be behind (behind.go).
func (t *TieredStore) lagging(tags ...string) bool { return t.back.lagging(tags...) }

// Purge implements Store.
func (t *TieredStore) Purge(ctx context.Context) error {
	_ = t.front.Purge(ctx)
	return t.back.Purge(ctx)
}

// Down reports whether the Redis breaker is open.
func (t *TieredStore) Down() bool { return t.back.Down() }

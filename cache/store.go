package cache

import (
	"context"
	"errors"
	"time"
)

// ErrStoreDown is returned while the circuit breaker skips a failing store.
var ErrStoreDown = errors.New("cache: store unavailable")

// Store keeps entries and generation counters.
//
// Invalidation is by tag: every entry is stored together with the
// generations its tags had when the request looked it up; Invalidate bumps
// the counters, and Cache treats an entry whose generations are no longer
// current as a miss. That makes "delete everything tagged Contact" an O(1)
// INCR shared by every instance using the same Redis.
type Store interface {
	// Get returns the entry under key (nil when absent) and the current
	// generation of each tag, in one round trip. The generations are
	// read only: they may be the entry's own Gens.
	Get(ctx context.Context, key string, tags []string) (*Entry, []uint64, error)
	// Set stores e under key for ttl (the store drops it afterwards).
	Set(ctx context.Context, key string, e *Entry, ttl time.Duration) error
	// Invalidate bumps the generation of every tag.
	Invalidate(ctx context.Context, tags ...string) error
	// Purge drops every entry of this store (not only orphaned ones) to
	// release memory; generations are kept, so it never revives anything.
	Purge(ctx context.Context) error
}

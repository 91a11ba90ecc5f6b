package cache

import (
	"context"
	"slices"
	"time"
)

// State is what a lookup found.
type State int

const (
	// Miss: nothing usable; forward (Fallback may stand in if that fails).
	Miss State = iota
	// Fresh: serve Entry.
	Fresh
	// Stale: within stale_while_revalidate. Serve Entry now and refresh it
	// in the background (Cache.Revalidate).
	Stale
)

func (s State) String() string {
	switch s {
	case Fresh:
		return "fresh"
	case Stale:
		return "stale"
	}
	return "miss"
}

// Result is the outcome of a lookup.
type Result struct {
	State State
	Entry *Entry // Fresh or Stale
	// Fallback is an expired entry still within stale_if_error: serve it
	// if the upstream fails.
	Fallback *Entry
	// Err is set when the store could not be asked (the lookup is then a
	// miss and nothing will be stored for this request).
	Err error
}

// Lookup finds the entry for a cacheable request. It never blocks longer
// than the store's deadline; a failing store is a miss with Err set.
func (c *Cache) Lookup(ctx context.Context, r *Request) Result {
	if !r.Cacheable {
		return Result{}
	}
	e, gens, err := c.store.Get(ctx, r.Key, r.tags)
	if err != nil {
		r.gens = nil
		return Result{Err: err}
	}
	r.gens = gens
	if e == nil || !slices.Equal(e.Gens, gens) {
		// Absent, or written before an invalidation: a write, purge or
		// group member changed since. Never served, not even as stale.
		return Result{}
	}
	return c.classify(e)
}

func (c *Cache) classify(e *Entry) Result {
	late := elapsedSince(c.clock, e.FreshUntil)
	if late < 0 {
		return Result{State: Fresh, Entry: e}
	}
	res := Result{}
	if late < c.cfg.StaleWhileRevalidate {
		res = Result{State: Stale, Entry: e}
	}
	if late < c.cfg.StaleIfError {
		res.Fallback = e
	}
	return res
}

// retention is how long the store keeps an entry: its freshness plus the
// longer stale window.
func (c *Cache) retention(ttl time.Duration) time.Duration {
	return ttl + max(c.cfg.StaleWhileRevalidate, c.cfg.StaleIfError)
}

// elapsedSince is the time since t on clock, nil for the real clock,
// which is then read for its monotonic part alone when t has one (as
// time.Since does): half the cost of time.Now, on every hit.
func elapsedSince(clock func() time.Time, t time.Time) time.Duration {
	if clock == nil {
		return time.Since(t)
	}
	return clock().Sub(t)
}

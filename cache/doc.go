// Package cache decides which APIv3 calls Civigate may answer from a cache,
// builds the keys they are stored under, stores upstream answers (Redis or
// process memory), keeps them fresh through per-entity generation counters,
// coalesces identical misses and builds the RFC 9211 Cache-Status value.
//
// It is pure Go: no Caddy, no authx. The Caddy layer drives it:
//
//	c, _ := cache.New(cfg, store)          // store: NewMemoryStore or NewRedisStore
//	req := c.Prepare(call, contactID)      // decision + key, no I/O
//	if !req.Cacheable {                    // forward; on writes call c.Invalidate
//	    status := cache.Bypass(req.Reason)
//	}
//	out := c.Serve(ctx, req, fetch)        // hit / stale / coalesced miss / stale-if-error
//
// Correctness rules that shaped the design:
//
//   - A key binds the site namespace, the principal (unless the operator marks
//     the entity/action as shared), the normalised entity and action and the
//     canonical parameter object with PHP types kept. No credential, raw or
//     hashed, is ever part of it.
//   - Freshness after writes comes from generation counters: every entry
//     records the generations of the tags it was read under (namespace,
//     principal, each entity it read); a write bumps the counters of the
//     entities it touches and their group, so older entries become misses on
//     every instance sharing the store, in O(1).
//   - The store is never allowed to slow a request down: every Redis
//     operation has a millisecond deadline and a circuit breaker skips Redis
//     while it is failing. Lookups then miss, stores are dropped.
package cache

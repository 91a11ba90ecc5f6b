// Package cache decides which APIv3 calls Civigate may answer from a cache,
// builds the keys they are stored under, stores upstream answers (Redis or
// process memory), keeps them fresh through per-entity generation counters,
// coalesces identical misses and builds the RFC 9211 Cache-Status value.
//
// It is pure Go: no Caddy, no authx. The Caddy layer drives it:
//
//	client, _ := cache.NewRedisClient(url)             // share across reloads (caddy.UsagePool)
//	store := cache.NewRedisStore(client, "civigate:", cache.RedisOptions{Timeout: 25 * time.Millisecond})
//	// or cache.NewTieredStore(store, cache.TierOptions{MaxBytes: n}), or cache.NewMemoryStore(n, nil)
//	c, _ := cache.New(cfg, store)
//
//	req := c.PrepareFor(call, cache.Caller{ContactID: id, Credential: kind, Site: site}) // decision + key, no I/O; cache.Anonymous without a verified principal
//	if !req.Cacheable {
//	    // forward as usual; Cache-Status: cache.Bypass(req.Reason).String()
//	    // after forwarding a write (whatever its outcome): c.Invalidate(ctx, call)
//	}
//	out := c.Serve(ctx, req, fetch)                    // hit / stale / coalesced miss / stale-if-error
//	// or, to make no Fetcher for a fresh hit: res := c.Lookup(ctx, req);
//	// out, ok := res.FreshHit(); if !ok { out = c.ServeLookedUp(ctx, req, res, fetch) }
//	// render out.Response with translate; Cache-Status: out.Status.String()
//	if out.Revalidate {
//	    go c.Revalidate(context.WithoutCancel(ctx), req, fetch)
//	}
//
// Purges: c.PurgeAll, c.PurgeEntity, c.PurgeContact.
//
// Correctness rules that shaped the design:
//
//   - A key binds the site namespace, where upstream the call runs (Site: the
//     Host CiviCRM gets and what a trusted proxy said of it, the scheme; the
//     APIv3 endpoint or an APIv4 call's base path), the principal (unless the
//     operator marks the entity/action as shared), the normalised entity and
//     action and the canonical parameter object with PHP types kept. No
//     credential, raw or hashed, is ever part of it. Invalidation is bound to
//     the namespace only: CiviCRM's domains share one database.
//   - Freshness after writes comes from generation counters: every entry
//     records the generations of the tags it was read under (namespace,
//     principal, each entity it read); a write bumps the counters of the
//     entities it touches and their group, so older entries become misses on
//     every instance sharing the store, in O(1).
//   - The store is never allowed to slow a request down: every Redis
//     operation has a millisecond deadline and a circuit breaker skips Redis
//     while it is failing. Lookups then miss, stores are dropped.
//   - An outage or a failover loses no invalidation (RedisStore): what Redis
//     did not take is replayed by a background loop, what no replica
//     confirmed is bumped again, a lost counter hash changes the epoch mixed
//     into every generation, and an instance back from an outage distrusts
//     older entries for a second. No command needs two keys in one Cluster
//     slot.
//   - A Redis that refuses writes but answers reads (full, NOREPLICAS) serves
//     nothing a write made stale to an instance that knows: the writer, and
//     every instance that hears its message (behind.go). Lookups depending
//     on a counter known to be behind miss (ErrBehind), nothing is stored
//     under it, and the verdicts' generation is one nothing was remembered
//     under, until Redis shows the bump.
package cache

package caddymodule

import (
	"context"
	"time"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/cache"
	"github.com/civigate/civigate/translate"
)

// verdictGeneration numbers the lifetimes of CiviCRM's remembered
// verdicts on credentials (authx.APIKeyVerifier.Generation); Forget moves
// it on, on every instance sharing Redis.
type verdictGeneration interface {
	authx.VerdictGeneration
	Forget(ctx context.Context) error
}

// provisionVerdictGen gives the API key verifier its generation: in
// process memory without Redis, otherwise a counter beside the cache's
// (cache.VerdictTag of the cache's namespace, in the Redis store of this
// site's prefix), moved on like an invalidation and learned by every
// instance from the invalidation messages the cache's memory tiers listen
// to, so a warm credential costs no Redis round trip to check it.
func (h *Handler) provisionVerdictGen() {
	if h.apiKeys == nil {
		return
	}
	if h.redisClient == nil {
		h.verdictGen = new(authx.MemoryGeneration)
	} else {
		rs := h.redisStore
		if rs == nil { // caching off: a store for the counter alone
			var timeout time.Duration
			if h.Cache != nil {
				timeout = time.Duration(h.Cache.RedisTimeout)
			}
			rs = h.newRedisStore(timeout)
		}
		ns := ""
		if h.Cache != nil {
			ns = h.Cache.Namespace
		}
		gw := cache.NewGenWatch(rs, cache.VerdictTag(ns))
		h.closers = append(h.closers, gw.Close)
		h.verdictGen = gw
	}
	h.apiKeys.Generation = h.verdictGen
}

// changesCredentials reports whether call is one after which remembered
// verdicts are forgotten (forgetVerdicts).
func (h *Handler) changesCredentials(call *translate.Call) bool {
	return h.verdictGen != nil && cache.ChangesCredentials(call)
}

// forgetVerdicts forgets every remembered verdict on a credential, on
// every instance, after a call that may have changed credentials was
// forwarded (successful or not, as invalidation: cache.ChangesCredentials).
// Every credential is then asked about once more: rotations are rare, and
// the writes that are frequent do not count. Changes made elsewhere (CiviCRM's
// screens, the CMS) are learned when the verdict expires (verdict_ttl).
func (h *Handler) forgetVerdicts(ctx context.Context) {
	if err := h.verdictGen.Forget(context.WithoutCancel(ctx)); err != nil {
		h.logger.Warn("forgetting remembered credential verdicts not recorded in Redis; replayed when it is back")
	}
}

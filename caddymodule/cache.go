package caddymodule

import (
	"context"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/cache"
	"github.com/civigate/civigate/translate"
)

const (
	defaultMaxMemory   = 64 << 20
	revalidateDeadline = 30 * time.Second
)

// buildCache sets up the cache store and policy; nil when caching is off.
func (h *Handler) buildCache() (*cache.Cache, error) {
	cc := h.Cache
	if cc == nil {
		cc = &CacheConfig{}
	}
	if cc.Off {
		return nil, nil
	}
	var store cache.Store
	switch {
	case h.redisClient != nil:
		rs := cache.NewRedisStore(h.redisClient, h.redisPrefix+"cache:", cache.RedisOptions{Timeout: time.Duration(cc.RedisTimeout)})
		h.redisStore = rs
		store = rs
		if cc.MemoryTier > 0 {
			ts := cache.NewTieredStore(rs, cache.TierOptions{MaxBytes: cc.MemoryTier})
			h.closers = append(h.closers, ts.Close)
			store = ts
		}
	default:
		max := cc.MaxMemory
		if max <= 0 {
			max = defaultMaxMemory
		}
		store = cache.NewMemoryStore(max, nil)
	}
	ttls := map[string]time.Duration{}
	for k, v := range cc.TTLs {
		ttls[k] = time.Duration(v)
	}
	return cache.New(cache.Config{
		Namespace:            cc.Namespace,
		DefaultTTL:           time.Duration(cc.TTL),
		TTL:                  ttls,
		StaleWhileRevalidate: time.Duration(cc.StaleWhileRevalidate),
		StaleIfError:         time.Duration(cc.StaleIfError),
		MaxEntryBytes:        int(cc.MaxEntry),
		Deny:                 cc.Deny,
		Shared:               cc.Shared,
		Groups:               cc.Groups,
	}, store)
}

// serveCall answers an authenticated call: from the cache when it can,
// otherwise through the route to CiviCRM (coalescing identical misses),
// invalidating cached reads after writes.
//
// The modern request is only built when CiviCRM has to be asked: a hit
// never pays for it.
func (h *Handler) serveCall(ctx context.Context, w http.ResponseWriter, r *http.Request, call *translate.Call,
	principal *authx.Principal, next caddyhttp.Handler) (res translate.UpstreamResponse, fromCache bool, err error) {
	fetch := func(fctx context.Context) (cache.Upstream, error) {
		up, err := translate.BuildUpstream(call, h.upstream)
		if err != nil {
			return cache.Upstream{}, &badUpstreamError{err}
		}
		res, setCookie, err := h.forward(r.WithContext(fctx), string(call.Form), up, principal, next)
		return cache.Upstream{UpstreamResponse: res, SetCookie: setCookie}, err
	}
	if h.cache == nil {
		w.Header().Set("Cache-Status", cache.Bypass(cache.ReasonDisabled).String())
		up, err := fetch(ctx)
		return up.UpstreamResponse, false, err
	}
	req := h.cache.Prepare(call, principal.ContactID)
	out := h.cache.Serve(ctx, req, fetch)
	if out.Revalidate {
		// Refresh after answering; the client's cancellation must not stop it.
		go func() {
			bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), revalidateDeadline)
			defer cancel()
			if err := h.cache.Revalidate(bg, req, fetch); err != nil {
				h.logger.Debug("stale entry not refreshed")
			}
		}()
	}
	if !req.Cacheable {
		// Invalidate works out what the call may write (nothing for plain
		// reads). Even a failed call may have written: chained calls are
		// not rolled back.
		if err := h.cache.Invalidate(context.WithoutCancel(ctx), call); err != nil {
			h.logger.Warn("cache invalidation not recorded; the store replays it when it is back")
		}
	}
	w.Header().Set("Cache-Status", out.Status.String())
	if h.redisStore != nil {
		healthy := 1.0
		if h.redisStore.Down() {
			healthy = 0
		}
		metrics.redisHealthy.Set(healthy)
	}
	metrics.cacheResults.WithLabelValues(cacheResultLabel(out.Status)).Inc()
	return out.Response, out.FromCache, out.Err
}

// cacheResultLabel maps a Cache-Status to the bounded metric label.
func cacheResultLabel(s cache.Status) string {
	switch {
	case s.Hit && s.Detail == cache.DetailStaleRevalid:
		return "stale"
	case s.Hit:
		return "hit"
	case s.Detail == cache.DetailStaleIfError:
		return "stale_if_error"
	case s.Collapsed:
		return "collapsed"
	case s.Fwd == cache.FwdBypass:
		return "bypass_" + s.Detail
	case s.Detail == cache.DetailStoreDown:
		return "miss_store_down"
	}
	return "miss"
}

// purge drops cached entries: all of them, one entity's, or one contact's.
func (h *Handler) purge(ctx context.Context, entity string, contactID int64) error {
	if h.cache == nil {
		return nil
	}
	switch {
	case entity != "":
		return h.cache.PurgeEntity(ctx, entity)
	case contactID > 0:
		return h.cache.PurgeContact(ctx, contactID)
	}
	return h.cache.PurgeAll(ctx)
}

package caddymodule

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"

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
	if err := sharedRefusal(cc.Shared); err != nil {
		return nil, err
	}
	if cc.Off {
		return nil, nil
	}
	var store cache.Store
	switch {
	case h.redisClient != nil:
		rs := h.newRedisStore(time.Duration(cc.RedisTimeout))
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
		// Its generations are the namespace's, shared by every site
		// block of this process in front of the same CiviCRM (memshare.go).
		store = cache.NewSharedMemoryStore(max, h.sharedMemory().gens, nil)
	}
	ttls := map[string]time.Duration{}
	for k, v := range cc.TTLs {
		ttls[k] = time.Duration(v)
	}
	return cache.New(cache.Config{
		Namespace:            cc.Namespace,
		Endpoint:             h.upstream.Endpoint,
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

// cacheOffStatus is the Cache-Status of every answer when caching is off.
var cacheOffStatus = cache.Bypass(cache.ReasonDisabled).String()

// answer is how serveCall answered a call: with res, to be rendered, or
// already, when CiviCRM's answer passed through to the client as it arrived.
type answer struct {
	res       translate.UpstreamResponse
	fromCache bool
	streamed  *recorder // non-nil: the client has the answer
	// cacheStatus is the Cache-Status the answer is to be written with
	// (in one go with its other headers), "" when it is already set.
	cacheStatus string
}

// ask sends the call to CiviCRM through the route. With passThrough, an
// answer that needs no rewriting streams to w as it arrives. cacheStatus
// is the Cache-Status of the answer to w, written with its other headers
// (on the streamed answer, or by answer); memo is the prepared request's
// (nil: none).
func (h *Handler) ask(ctx context.Context, w http.ResponseWriter, r *http.Request, call *translate.Call,
	principal *authx.Principal, next caddyhttp.Handler, passThrough bool, cacheStatus string, memo *forwardMemo) (answer, error) {
	f := newForwarding()
	rec := &f.rec
	defer rec.release()
	plan, header, err := h.plan(r, call, principal, memo, f.values[:])
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, translate.ErrParamsTooCostly) || errors.Is(err, translate.ErrUpstreamTooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		return answer{cacheStatus: cacheStatus}, &badUpstreamError{err, status}
	}
	if passThrough {
		rec.client, rec.clientReq = w, r
		rec.cacheStatus = cacheStatus
	}
	// CiviCRM's session cookie reaches the client only when the call ran on
	// the client's own session (see sessionCaller) and its answer is for this
	// client alone (w is nil when it may be stored for others).
	rec.passCookies = w != nil && sessionCaller(principal)
	err = h.forward(ctx, r, string(call.Form), plan, header, next, f)
	switch {
	case err != nil:
		return answer{cacheStatus: cacheStatus}, err
	case rec.streaming:
		return answer{streamed: rec}, nil
	}
	if rec.passCookies {
		rec.copyCookies(w.Header())
	}
	return answer{res: rec.response(), cacheStatus: cacheStatus}, nil
}

// sessionCaller reports whether a call runs upstream as whatever session
// the client's Cookie holds: Civigate verified no credential, so it
// forwards the Cookie (upstreamHeader). For every other caller CiviCRM's
// Set-Cookie is dropped, on a miss as on a hit: Civigate authenticated it
// with AuthX, so that session holds no login and is useless to the client
// (a legacy extern/rest.php client never needed one, it sends key and
// api_key every time); passed on, it would tell a miss from a hit and
// could replace a browser's real CiviCRM session cookie on the same site.
func sessionCaller(p *authx.Principal) bool { return p == nil || p.Forward() == "" }

// answerHeader are the headers of every answer to an API call Civigate
// renders or passes on (its own, CiviCRM's and the cache's; refusals too:
// writeReply sets them on every answer Civigate makes itself).
//
// The first three are the caching headers of every CiviCRM API answer
// (PHP's session cache limiter; headers-6.17.2.jsonl), so neither a
// browser nor an intermediary keeps an answer bound to a principal, and a
// hit looks like a miss.
//
// The last two are Civigate's own (README, deviations): CiviCRM sends some
// answers as text/html (the XML of civicrm/ajax/rest, prettyprint JSON)
// with text the caller chose in them unescaped (a chained call's key as an
// XML tag name, input echoed in error messages). Their bodies and content
// types stay as CiviCRM sends them (legacy clients compare them); these
// headers make a browser that opens such an answer as a page treat it as
// inert data instead: no sniffing it into another type, no script, no
// subresource, no framing, a unique opaque origin (sandbox), so markup in
// it cannot act on the CiviCRM origin. Programs (and fetch/XHR callers,
// to which a response's CSP does not apply) see no difference.
var answerHeader = [...]struct{ name, value string }{
	{"Cache-Control", "no-store, no-cache, must-revalidate"},
	{"Expires", "Thu, 19 Nov 1981 08:52:00 GMT"},
	{"Pragma", "no-cache"},
	{"X-Content-Type-Options", "nosniff"},
	{"Content-Security-Policy", answerCSP},
}

// answerCSP is answerHeader's Content-Security-Policy (see there).
const answerCSP = "default-src 'none'; frame-ancestors 'none'; sandbox"

// setAnswerHeaders sets answerHeader on h, in one allocation.
func setAnswerHeaders(h http.Header) {
	values := make([]string, len(answerHeader))
	for i, nh := range answerHeader {
		values[i] = nh.value
		h[nh.name] = values[i : i+1 : i+1]
	}
}

// headerValues sets values on h, each in a slice of its own (another
// handler may rewrite one in place) cut from one backing array, room:
// one allocation, or none when room is the caller's.
type headerValues struct {
	h    http.Header
	room []string
}

func (v *headerValues) set(name, value string) {
	v.room = append(v.room, value)
	n := len(v.room)
	v.h[name] = v.room[n-1 : n : n]
}

// answerHeaders sets answerHeader, unless h has them already.
func (v *headerValues) answerHeaders() {
	if _, ok := v.h["X-Content-Type-Options"]; ok {
		return
	}
	for _, nh := range answerHeader {
		v.set(nh.name, nh.value)
	}
}

// countCacheResult updates the cache metrics after a cache decision.
func (h *Handler) countCacheResult(status cache.Status) {
	if status == cache.Hit() {
		cacheHits().Inc()
		return
	}
	metrics.cacheResults.WithLabelValues(cacheResultLabel(status)).Inc()
}

// cacheHits is cache_results_total{result="hit"}, which every hit counts:
// resolved once.
var cacheHits = sync.OnceValue(func() prometheus.Counter { return metrics.cacheResults.WithLabelValues("hit") })

// prepare is the cache's decision and key for a call (Cache.PrepareFor), nil
// when caching is off: bound to the caller, to where upstream the call
// runs (cacheSite) and to the language the request asks for
// (requestLanguage).
func (h *Handler) prepare(r *http.Request, call *translate.Call, principal *authx.Principal) *cache.Request {
	if h.cache == nil {
		return nil
	}
	who := cacheCaller(principal)
	who.Site = cacheSite(r)
	who.Language = requestLanguage(r.Header)
	return h.cache.PrepareFor(call, who)
}

// serveCall answers an authenticated call (req is prepare's, which it
// does not change: a prepared request's is shared by every request it
// stands for): from the cache when it can, otherwise through the route
// to CiviCRM (coalescing identical misses), invalidating cached reads
// after writes.
//
// The modern request is only built when CiviCRM has to be asked: a hit
// never pays for it. An answer that is not stored and needs no rewriting
// streams to the client (translate.PassesThrough) unless the call writes:
// a write's client must not see its answer before the cached reads it
// changed are invalidated, nor before the verdicts on credentials it may
// have changed are forgotten (forgetVerdicts says when an e-mail write's
// forget of the verdicts on passwords may come later).
func (h *Handler) serveCall(ctx context.Context, w http.ResponseWriter, r *http.Request, call *translate.Call,
	principal *authx.Principal, next caddyhttp.Handler, req *cache.Request, memo *forwardMemo) (answer, error) {
	if req == nil {
		creds := h.changesCredentials(call, memo)
		ans, err := h.ask(ctx, w, r, call, principal, next, creds == credsUnchanged && translate.PassesThrough(call), cacheOffStatus, memo)
		if creds != credsUnchanged && !refusedBeforeRun(call, ans, err) {
			h.forgetVerdicts(ctx, creds, false)
		}
		return ans, err
	}
	if !req.Cacheable {
		status := cache.Bypass(req.Reason)
		entities, all := cache.WriteTargets(call)
		writes := all || len(entities) > 0
		ans, err := h.ask(ctx, w, r, call, principal, next, !writes && translate.PassesThrough(call), status.String(), memo)
		if writes {
			// Even a failed call may have written: chained calls are not
			// rolled back.
			if err := h.cache.InvalidateTargets(context.WithoutCancel(ctx), entities, all); err != nil {
				h.logger.Warn("cache invalidation not recorded; the store replays it when it is back")
			}
			if creds := h.changesCredentials(call, memo); creds != credsUnchanged && !refusedBeforeRun(call, ans, err) {
				h.forgetVerdicts(ctx, creds, false)
			}
		}
		h.countCacheResult(status)
		return ans, err
	}
	// The lookup notes in the request the generations it saw, which a
	// miss stores with its answer: in a copy of its own, on the stack
	// until a miss or stale hit needs it longer. A fresh hit makes no
	// Fetcher and no copy.
	looked := *req
	res := h.cache.Lookup(ctx, &looked)
	if out, ok := res.FreshHit(); ok {
		h.countCacheResult(out.Status)
		return answer{res: out.Response, fromCache: true, cacheStatus: out.Status.String()}, nil
	}
	req = new(cache.Request)
	*req = looked
	fetch := func(fctx context.Context) (cache.Upstream, error) {
		ans, err := h.ask(fctx, nil, r, call, principal, next, false, "", memo)
		return cache.Upstream{UpstreamResponse: ans.res}, err
	}
	out := h.cache.ServeLookedUp(ctx, req, res, fetch)
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
	h.countCacheResult(out.Status)
	return answer{res: out.Response, fromCache: out.FromCache, cacheStatus: out.Status.String()}, out.Err
}

// cacheCaller is the principal the cache binds a call's entry to: the
// contact Civigate verified with a stateless credential (API key, CiviCRM or
// external JWT, Basic), which it vouches for upstream, with that
// credential's kind; otherwise cache.Anonymous, which only reads shared
// entries. A caller with no credential may carry a CMS session cookie only
// CiviCRM can read, so two such callers are not the same principal, and
// what CiviCRM answers one of them is never another's. An Afform page
// token's caller is its contact, but only for one form, and CiviCRM's
// answers depend on the token's claims (cache.Caller.FormScoped): nothing
// is cached for it.
func cacheCaller(p *authx.Principal) cache.Caller {
	if p == nil || p.Forward() == "" || p.ContactID <= cache.Anonymous {
		return cache.Caller{ContactID: cache.Anonymous}
	}
	return cache.Caller{ContactID: p.ContactID, Credential: p.CredType, FormScoped: p.Flow == authx.FlowAfformPage}
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
	case s.Detail == cache.DetailBehind:
		return "miss_invalidation_pending"
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

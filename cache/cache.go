package cache

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/civigate/civigate/translate"
)

// Config is the cache configuration the Caddy layer fills from its own.
type Config struct {
	// Namespace separates sites sharing one store (e.g. the CiviCRM base
	// URL or domain id). Part of every key and counter.
	Namespace string
	// Endpoint is the route APIv3 calls go upstream on
	// (translate.UpstreamConfig.Endpoint, "" for the default): part of
	// every APIv3 key, since with the Host it selects the CiviCRM domain
	// (a WordPress subsite's /site2/?civiwp=CiviCRM&q=…).
	Endpoint string
	// DefaultTTL is the freshness lifetime (default DefaultEntryTTL).
	DefaultTTL time.Duration
	// TTL overrides DefaultTTL by "Entity.action", "*.action" or "Entity"
	// (most specific first). Zero disables caching for the match.
	TTL map[string]time.Duration
	// StaleWhileRevalidate: how long after expiry an entry is still served
	// while it is refreshed in the background.
	StaleWhileRevalidate time.Duration
	// StaleIfError: how long after expiry an entry may stand in for a
	// failed upstream.
	StaleIfError time.Duration
	// MaxEntryBytes bounds one stored body (default 1 MiB).
	MaxEntryBytes int
	// Deny lists "Entity.action" (or "Entity", "*.action") never cached,
	// in addition to DefaultDeny.
	Deny []string
	// Shared lists entity/actions whose answers are the same for every
	// principal: one entry serves all. getfields, getoptions, getActions
	// and getLinks are not (CiviCRM answers them per caller's
	// permissions); the Caddy layer refuses patterns that match them.
	Shared []string
	// Groups are invalidation groups, in addition to DefaultGroups (more
	// invalidation is always safe; less never is).
	Groups [][]string
	// GlobalWrites are entities whose writes invalidate the whole
	// namespace; nil means DefaultGlobalWrites.
	GlobalWrites []string
	// Now is the clock (default time.Now); tests inject a fake.
	Now func() time.Time
}

// DefaultEntryTTL is how long an answer is fresh when Config.DefaultTTL
// is unset.
const DefaultEntryTTL = 60 * time.Second

// Cache ties policy, keys, a store and coalescing together. It is safe
// for concurrent use.
type Cache struct {
	cfg     Config
	policy  policy
	store   Store
	tags    tags
	groups  groups
	now     func() time.Time
	clock   func() time.Time // Config.Now as given: nil for the real clock (elapsedSince)
	flights Group[fetched]
}

// New compiles cfg over store.
func New(cfg Config, store Store) (*Cache, error) {
	if store == nil {
		return nil, errors.New("cache: no store")
	}
	if cfg.DefaultTTL == 0 {
		cfg.DefaultTTL = DefaultEntryTTL
	}
	if cfg.DefaultTTL < 0 || cfg.StaleWhileRevalidate < 0 || cfg.StaleIfError < 0 {
		return nil, errors.New("cache: negative duration")
	}
	if cfg.MaxEntryBytes <= 0 {
		cfg.MaxEntryBytes = 1 << 20
	}
	cfg.Deny = append(slices.Clone(DefaultDeny), cfg.Deny...)
	cfg.Groups = append(slices.Clone(DefaultGroups), cfg.Groups...)
	if cfg.GlobalWrites == nil {
		cfg.GlobalWrites = DefaultGlobalWrites
	}
	clock := cfg.Now
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	tt := ttlTable{def: cfg.DefaultTTL, exact: make(map[rule]time.Duration, len(cfg.TTL))}
	for k, d := range cfg.TTL {
		if d < 0 {
			return nil, errors.New("cache: negative TTL for " + strconv.Quote(k))
		}
		tt.exact[parseRule(k)] = d
	}
	for _, lists := range [][]string{cfg.Deny, cfg.Shared} {
		for _, s := range lists {
			if strings.TrimSpace(s) == "" {
				return nil, errors.New("cache: empty entity/action rule")
			}
		}
	}
	return &Cache{
		cfg:    cfg,
		policy: policy{deny: newDenySet(cfg.Deny), shared: newRuleSet(cfg.Shared), ttl: tt},
		store:  store,
		tags:   newTags(cfg.Namespace),
		groups: newGroups(cfg.Groups, cfg.GlobalWrites),
		now:    cfg.Now,
		clock:  clock,
	}, nil
}

// Request is a call prepared for the cache: the decision and, when
// cacheable, its key. Key is private: never log or expose it.
type Request struct {
	Decision
	Key string

	tags []string
	gens []uint64 // as the lookup saw them; nil: unknown (nothing is stored)
	// flight says whom the upstream request is made for (method, contact,
	// credential kind): concurrent misses share one upstream request only
	// when theirs would be the same. Empty for a caller without a
	// stateless credential, whose call runs upstream on its own session:
	// its answer is its own, never shared with another caller, never
	// stored (it may still read a shared entry).
	flight string
}

// Caller is whom a request is answered for: a contact the Caddy layer
// verified with a stateless credential, and that credential's kind (e.g.
// "api_key", "jwt"), or ContactID Anonymous for a caller without one.
type Caller struct {
	ContactID  int64
	Credential string
	// Site is where upstream the call runs: entries are bound to it.
	// Invalidation is not: a write through one site invalidates the
	// entries it may change on every site of the namespace, since
	// CiviCRM's domains share one database (contacts, emails, groups are
	// every domain's) and Civigate cannot tell two domains of one
	// database from two databases.
	Site Site
	// Language is what of the request, besides the call, selects the
	// language CiviCRM answers in: its Accept-Language as it goes upstream
	// (every spelling PHP reads as HTTP_ACCEPT_LANGUAGE, names and values
	// byte for byte; "" without one). Under inheritLocale
	// (CRM_Core_BAO_ConfigSetting::applyLocale) the locale is the CMS's
	// (CRM_Utils_System::getUFLocale), which Drupal's browser negotiation
	// picks from that header; option labels, getfields titles and a
	// multilingual database's columns follow it. Entries are bound to it
	// as they are to the site: two spellings of one language are two
	// entries, never one entry for two languages.
	Language string
	// FormScoped: the caller's credential is one form's (an Afform page
	// token), whose answers depend on more than the contact: Afform's
	// processors read the token's own claims (afformArgs, the entities a
	// mailed link prefills and submits to, from the authx session's
	// jwt). Its calls are neither looked up nor stored nor coalesced with
	// another caller's (ReasonFormScoped); its writes invalidate as any
	// other's.
	FormScoped bool
}

// ReasonFormScoped: the caller's credential is one form's
// (Caller.FormScoped).
const ReasonFormScoped Reason = "form-scoped"

// Decide says whether call is cacheable, without building a key.
func (c *Cache) Decide(call *translate.Call) Decision { return c.policy.Decide(call) }

// Prepare decides and, for a cacheable call, builds its key for the
// principal contactID: a contact whose identity the caller verified with a
// stateless credential, or Anonymous (see there). No I/O.
func (c *Cache) Prepare(call *translate.Call, contactID int64) *Request {
	return c.PrepareFor(call, Caller{ContactID: contactID})
}

// PrepareFor is Prepare for who, whose credential kind also decides which
// concurrent misses may share an upstream request. An Anonymous caller
// may read a shared entry but never fills one.
func (c *Cache) PrepareFor(call *translate.Call, who Caller) *Request {
	contactID := who.ContactID
	r := &Request{Decision: c.policy.Decide(call)}
	switch {
	case r.Cacheable && who.FormScoped:
		r.Cacheable, r.Reason = false, ReasonFormScoped
	case r.Cacheable && !r.Shared && contactID <= Anonymous:
		r.Cacheable, r.Reason = false, ReasonAnonymous
	}
	if !r.Cacheable {
		return r
	}
	if contactID > Anonymous {
		// The flight is per method: a HEAD (asked of CiviCRM as a GET, its
		// answer rendered as the GET's) and a GET of one call do not wait on
		// each other.
		r.flight = call.Method + " " + strconv.FormatInt(contactID, 10) + " " + who.Credential
	}
	if r.V4 {
		r.Key = keyV4(c.cfg.Namespace, who.Site, who.Language, contactID, r.Shared, r.Entity, r.Action, call.API4)
	} else {
		r.Key = Key(c.cfg.Namespace, who.Site, who.Language, c.cfg.Endpoint, contactID, r.Shared, r.Entity, r.Action, call.Params)
	}
	r.tags = make([]string, 0, 2+len(r.Reads))
	r.tags = append(r.tags, c.tags.all())
	if !r.Shared {
		r.tags = append(r.tags, c.tags.contact(contactID))
	}
	for _, e := range r.Reads {
		// A read of a name spanning entities (APIv3's Attachment) depends
		// on each of them.
		first, second := translate.EntityKeys(e)
		r.tags = append(r.tags, c.tags.key(first))
		if second != "" {
			r.tags = append(r.tags, c.tags.key(second))
		}
	}
	return r
}

// Fetcher performs the upstream call. It must use the ctx it is given (not
// the client request's context): under coalescing it serves several
// clients and must outlive any one of them.
type Fetcher func(ctx context.Context) (Upstream, error)

// Outcome is what to answer a cacheable request with.
type Outcome struct {
	// Response is what to render for the client (from the cache or the
	// upstream). When Err is set and Response.Status is 0, there was no
	// answer at all.
	Response translate.UpstreamResponse
	Err      error
	// Status is the Cache-Status member; use Status.String().
	Status Status
	// FromCache: Response came from an entry (hit, stale, stale-if-error).
	FromCache bool
	// Revalidate: a stale entry was served; run Cache.Revalidate in the
	// background with a fresh context.
	Revalidate bool
}

type fetched struct {
	up     Upstream
	stored bool
	detail string
}

// Serve answers a cacheable request: a fresh hit, a stale hit (asking
// for revalidation), or a coalesced upstream fetch that is stored when
// storable; when the fetch fails an entry within stale_if_error stands in.
func (c *Cache) Serve(ctx context.Context, r *Request, fetch Fetcher) Outcome {
	if !r.Cacheable {
		up, err := fetch(ctx)
		return Outcome{Response: up.UpstreamResponse, Err: err, Status: Bypass(r.Reason)}
	}
	return c.ServeLookedUp(ctx, r, c.Lookup(ctx, r), fetch)
}

// FreshHit is Serve's outcome for a request whose Lookup found a fresh
// entry (res), and true; false for any other result. A caller that
// looks a request up itself answers such a hit without making a
// Fetcher, and hands any other result to ServeLookedUp.
func (res Result) FreshHit() (Outcome, bool) {
	if res.State != Fresh {
		return Outcome{}, false
	}
	return Outcome{Response: entryResponse(res.Entry), Status: Hit(), FromCache: true}, true
}

// ServeLookedUp is Serve for a cacheable request r that Lookup has just
// looked up, res its result.
func (c *Cache) ServeLookedUp(ctx context.Context, r *Request, res Result, fetch Fetcher) Outcome {
	if out, ok := res.FreshHit(); ok {
		return out
	}
	if res.State == Stale {
		return Outcome{Response: entryResponse(res.Entry), FromCache: true, Revalidate: r.flight != "",
			Status: Status{Hit: true, Detail: DetailStaleRevalid}}
	}
	f, collapsed, err := c.fetch(ctx, r, fetch)
	st := Status{Fwd: FwdMiss, FwdStatus: f.up.Status, Stored: f.stored && !collapsed, Collapsed: collapsed, Detail: f.detail}
	switch {
	case errors.Is(res.Err, ErrBehind):
		st.Detail = DetailBehind
	case res.Err != nil:
		st.Detail = DetailStoreDown
	}
	if res.Fallback != nil {
		st.Fwd = FwdStale
	}
	if failedUpstream(f.up, err) && ctx.Err() == nil {
		if res.Fallback != nil {
			st.Stored, st.Detail = false, DetailStaleIfError
			return Outcome{Response: entryResponse(res.Fallback), Status: st, FromCache: true}
		}
		if st.Detail == "" {
			st.Detail = DetailUpstreamFailed
		}
	}
	return Outcome{Response: f.up.UpstreamResponse, Err: err, Status: st}
}

// Revalidate refreshes a stale entry (after Serve returned Revalidate).
// Concurrent revalidations and misses of the same key and caller share
// one fetch.
func (c *Cache) Revalidate(ctx context.Context, r *Request, fetch Fetcher) error {
	if r.flight == "" {
		return nil // an anonymous caller's answer never fills an entry
	}
	_, _, err := c.fetch(ctx, r, fetch)
	return err
}

// fetch runs fetch once per key, caller (Request.flight) and generation
// set, and stores a storable answer. Including the generations keeps a
// request that looked up after a write from joining a fetch that may have
// started before it. An anonymous caller's fetch is its own and is not
// stored.
func (c *Cache) fetch(ctx context.Context, r *Request, fetch Fetcher) (fetched, bool, error) {
	if r.flight == "" {
		up, err := fetch(ctx)
		return fetched{up: up, detail: string(ReasonAnonymous)}, false, err
	}
	fk := r.Key + "\x00" + r.flight
	for _, g := range r.gens {
		fk += ":" + strconv.FormatUint(g, 10)
	}
	if r.gens == nil {
		fk += ":?"
	}
	return c.flights.Do(ctx, fk, func(ctx context.Context) (fetched, error) {
		up, err := fetch(ctx)
		f := fetched{up: up}
		if err == nil {
			f.stored, f.detail = c.Store(ctx, r, up)
		}
		return f, err
	})
}

// Store keeps an upstream answer for a request that Lookup missed, if it
// is storable (200, APIv3 success, within MaxEntryBytes).
// The entry carries the generations the lookup saw, so a write that
// happened meanwhile still makes it a miss. It returns whether it stored
// and otherwise a Cache-Status detail.
func (c *Cache) Store(ctx context.Context, r *Request, up Upstream) (bool, string) {
	if !r.Cacheable {
		return false, string(r.Reason)
	}
	if r.flight == "" {
		return false, string(ReasonAnonymous)
	}
	if ok, why := storable(up, r.Decision, c.cfg.MaxEntryBytes); !ok {
		return false, why
	}
	if r.gens == nil {
		return false, DetailStoreDown
	}
	if l, ok := c.store.(lagger); ok && l.lagging(r.tags...) {
		// An invalidation heard of since the lookup did not land: the
		// answer may predate it, and the generations it would be stored
		// under are behind (behind.go).
		return false, DetailBehind
	}
	now := c.now()
	e := &Entry{
		ContentType: up.ContentType,
		Body:        bytes.Clone(up.Body), // the caller's buffer may be reused
		StoredAt:    now,
		FreshUntil:  now.Add(r.TTL),
		Gens:        r.gens,
	}
	if err := c.store.Set(ctx, r.Key, e, c.retention(r.TTL)); err != nil {
		return false, DetailStoreDown
	}
	return true, ""
}

func entryResponse(e *Entry) translate.UpstreamResponse {
	return translate.UpstreamResponse{Status: 200, ContentType: e.ContentType, Body: e.Body}
}

package authx

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/civigate/civigate/internal/redispipe"
)

// FailureCounter counts failed authentication attempts per key (a client
// address, a credential fingerprint) in fixed windows. Counting never fails
// nor stalls a request: when a shared store does not answer in time, an
// implementation counts in process memory instead (RedisCounter), so
// guessing stays limited per instance rather than unlimited.
type FailureCounter interface {
	// Blocked reports whether any key has reached max failures, and how long
	// until its window ends.
	Blocked(ctx context.Context, max int, keys ...string) (bool, time.Duration)
	// Fail counts one failure for each key; a key's window starts with its
	// first failure.
	Fail(ctx context.Context, window time.Duration, keys ...string)
	// Reserve admits one attempt atomically (see reserve.go): unless a key
	// has reached max, it counts the attempt against every key, as a
	// failure until release un-counts it; else it counts nothing and
	// reports the first full key and the longest wait.
	Reserve(ctx context.Context, max int, window time.Duration, keys ...string) (release func(context.Context), full string, wait time.Duration)
}

// MemoryCounter is an in-process FailureCounter bounded to Max keys.
type MemoryCounter struct {
	Max int // default 100000
	Now func() time.Time

	mu sync.Mutex
	m  map[string]memCount
	// lastReset is when the last open failure window ends, as time since
	// counterEpoch (monotonic, like the windows themselves): after it no
	// key can be blocked, whatever the map still holds.
	lastReset atomic.Int64
}

// counterEpoch gives MemoryCounter.Quiet a monotonic reference: a step of
// the wall clock must not make it forget open windows.
var counterEpoch = time.Now()

type memCount struct {
	n     int
	reset time.Time
}

// NewMemoryCounter returns an empty counter.
func NewMemoryCounter() *MemoryCounter { return &MemoryCounter{m: map[string]memCount{}} }

// sinceEpoch is the counter's clock, as time since counterEpoch: the
// injected clock (Now) if any, else the monotonic clock alone (Quiet is
// asked on every prepared request).
func (c *MemoryCounter) sinceEpoch() time.Duration {
	if c.Now != nil {
		return c.Now().Sub(counterEpoch)
	}
	return time.Since(counterEpoch)
}

// now is sinceEpoch as a time, which the windows are kept in.
func (c *MemoryCounter) now() time.Time { return counterEpoch.Add(c.sinceEpoch()) }

// Blocked implements FailureCounter.
func (c *MemoryCounter) Blocked(_ context.Context, max int, keys ...string) (bool, time.Duration) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	full, wait := c.fullLocked(now, max, keys)
	return full != "", wait
}

// fullLocked is the first key that has reached max, and the longest wait
// of those that have; c.mu is held.
func (c *MemoryCounter) fullLocked(now time.Time, max int, keys []string) (string, time.Duration) {
	full, wait := "", time.Duration(0)
	for _, k := range keys {
		e, ok := c.m[k]
		if ok && now.Before(e.reset) && e.n >= max {
			if full == "" {
				full = k
			}
			wait = max64(wait, e.reset.Sub(now))
		}
	}
	return full, wait
}

func max64(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}

// Fail implements FailureCounter.
func (c *MemoryCounter) Fail(_ context.Context, window time.Duration, keys ...string) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.countLocked(now, window, keys)
}

// countLocked counts one attempt for each key; c.mu is held.
func (c *MemoryCounter) countLocked(now time.Time, window time.Duration, keys []string) {
	limit := c.Max
	if limit <= 0 {
		limit = 100000
	}
	if c.m == nil {
		c.m = map[string]memCount{}
	}
	for _, k := range keys {
		e, ok := c.m[k]
		if !ok || !now.Before(e.reset) {
			if len(c.m) >= limit {
				c.sweep(now, limit)
			}
			e = memCount{reset: now.Add(window)}
		}
		e.n++
		c.m[k] = e
		if r := int64(e.reset.Sub(counterEpoch)); r > c.lastReset.Load() {
			c.lastReset.Store(r)
		}
	}
}

// Quiet reports that no failure window is open, so no key is blocked and
// callers need not even work out their keys (see quietCounter).
func (c *MemoryCounter) Quiet() bool {
	return int64(c.sinceEpoch()) >= c.lastReset.Load()
}

// quietCounter is a FailureCounter that can tell cheaply that it would
// block nobody.
type quietCounter interface {
	Quiet() bool
}

// sweep makes room in a full table: it drops the expired windows, then,
// down to nine tenths of limit, the lowest counts first and, among equal
// counts, the windows that end soonest. A key's place in that order is its
// count, which only failures raise: to push out a counter that blocks (max
// failures), a flood must first bring nine tenths of the table to as many
// failures within the window, so guesses spread over many addresses or
// credentials cannot flush the counter of the address that guesses (an
// arbitrary choice let them). Its cost, one pass over the table and a sort
// of one count's keys, comes once per limit/10 new keys.
func (c *MemoryCounter) sweep(now time.Time, limit int) {
	perCount := map[int]int{}
	for k, e := range c.m {
		if !now.Before(e.reset) {
			delete(c.m, k)
			continue
		}
		perCount[e.n]++
	}
	drop := len(c.m) - limit*9/10
	if drop <= 0 {
		return
	}
	counts := make([]int, 0, len(perCount))
	for n := range perCount {
		counts = append(counts, n)
	}
	slices.Sort(counts)
	// level is the count at which dropping stops part-way: every key below
	// it goes, drop of the keys at it go.
	level := counts[len(counts)-1]
	for _, n := range counts {
		if perCount[n] >= drop {
			level = n
			break
		}
		drop -= perCount[n]
	}
	type window struct {
		key   string
		reset time.Duration // since counterEpoch: cheaper to compare
	}
	tied := make([]window, 0, perCount[level])
	for k, e := range c.m {
		switch {
		case e.n < level:
			delete(c.m, k)
		case e.n == level:
			tied = append(tied, window{k, e.reset.Sub(counterEpoch)})
		}
	}
	if drop < len(tied) {
		slices.SortFunc(tied, func(a, b window) int {
			return cmp.Or(cmp.Compare(a.reset, b.reset), strings.Compare(a.key, b.key))
		})
	}
	for _, w := range tied[:min(drop, len(tied))] {
		delete(c.m, w.key)
	}
}

// RedisCounter is a FailureCounter on Redis, shared by all instances.
type RedisCounter struct {
	Client  redis.UniversalClient
	Prefix  string        // key prefix, e.g. "civigate:authfail:"
	Timeout time.Duration // per operation; default 50ms

	breaker breaker
	// local counts instead while Redis does not answer (reserve.go).
	local     *MemoryCounter
	localOnce sync.Once
}

func opCtx(parent context.Context, t time.Duration) (context.Context, context.CancelFunc) {
	if t <= 0 {
		t = 50 * time.Millisecond
	}
	return context.WithTimeout(parent, t)
}

func (c *RedisCounter) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	return opCtx(parent, c.Timeout)
}

// breaker skips Redis for a second after a failure, so an outage costs one
// timeout per second instead of one per request.
type breaker struct{ openUntil atomic.Int64 }

const breakerPause = time.Second

func (b *breaker) open() bool { return time.Now().UnixNano() < b.openUntil.Load() }

// record notes the outcome of an operation; redis.Nil is a normal miss.
func (b *breaker) record(err error) {
	if err != nil && !errors.Is(err, redis.Nil) {
		b.openUntil.Store(time.Now().Add(breakerPause).UnixNano())
	}
}

// Blocked implements FailureCounter. While Redis does not answer, the
// local counter answers.
func (c *RedisCounter) Blocked(parent context.Context, max int, keys ...string) (bool, time.Duration) {
	if len(keys) == 0 {
		return false, 0
	}
	if c.breaker.open() {
		return c.fallback().Blocked(parent, max, keys...)
	}
	ctx, cancel := c.ctx(parent)
	defer cancel()
	pipe := c.Client.Pipeline()
	gets := make([]*redis.StringCmd, len(keys))
	ttls := make([]*redis.DurationCmd, len(keys))
	for i, k := range keys {
		gets[i] = pipe.Get(ctx, c.Prefix+k)
		ttls[i] = pipe.PTTL(ctx, c.Prefix+k)
	}
	cmds, err := pipe.Exec(ctx)
	// Exec reports the first command's error, and an absent counter's
	// redis.Nil is normal: a real failure of a later command (a failover's
	// MOVED or CLUSTERDOWN) must not read as "not blocked".
	err = redispipe.Failure(cmds, err)
	c.breaker.record(err)
	if err != nil {
		return c.fallback().Blocked(parent, max, keys...)
	}
	var wait time.Duration
	for i := range keys {
		n, err := gets[i].Int()
		if err != nil || n < max {
			continue
		}
		d, err := ttls[i].Result()
		if err != nil || d <= 0 {
			continue
		}
		wait = max64(wait, d)
	}
	return wait > 0, wait
}

// Fail implements FailureCounter: SET key 0 PX window NX, then INCR, in one
// round trip. The NX set starts the window on the first failure and works
// on every Redis version (unlike PEXPIRE … NX, Redis 7+).
func (c *RedisCounter) Fail(parent context.Context, window time.Duration, keys ...string) {
	if len(keys) == 0 {
		return
	}
	if c.breaker.open() {
		c.fallback().Fail(parent, window, keys...)
		return
	}
	ctx, cancel := c.ctx(parent)
	defer cancel()
	pipe := c.Client.Pipeline()
	for _, k := range keys {
		pipe.SetNX(ctx, c.Prefix+k, 0, window)
		pipe.Incr(ctx, c.Prefix+k)
	}
	_, err := pipe.Exec(ctx)
	c.breaker.record(err)
	if err != nil {
		c.fallback().Fail(parent, window, keys...)
	}
}

// RedisVerdicts is a VerdictStore on Redis. Errors and timeouts are misses,
// so a Redis outage means asking CiviCRM, never refusing a request.
type RedisVerdicts struct {
	Client  redis.UniversalClient
	Prefix  string        // e.g. "civigate:authv:"
	Timeout time.Duration // per operation; default 50ms

	breaker breaker
}

// Get implements VerdictStore.
func (s *RedisVerdicts) Get(parent context.Context, key string) (Verdict, bool) {
	if s.breaker.open() {
		return Verdict{}, false
	}
	ctx, cancel := opCtx(parent, s.Timeout)
	defer cancel()
	v, err := s.Client.Get(ctx, s.Prefix+key).Result()
	s.breaker.record(err)
	if err != nil {
		return Verdict{}, false
	}
	return decodeVerdict(v)
}

// Set implements VerdictStore.
func (s *RedisVerdicts) Set(parent context.Context, key string, v Verdict, ttl time.Duration) {
	if s.breaker.open() {
		return
	}
	ctx, cancel := opCtx(parent, s.Timeout)
	defer cancel()
	s.breaker.record(s.Client.Set(ctx, s.Prefix+key, v.encode(), ttl).Err())
}

// GuessingEvent is what guessing protection did to one request, for
// metrics: a small fixed set.
type GuessingEvent string

const (
	// GuessAddressBlocked: refused, unseen, because its client address
	// failed too often and its credential (if any) was not proven.
	GuessAddressBlocked GuessingEvent = "address_blocked"
	// GuessCredentialBlocked: refused because its credential failed too
	// often (wrong passwords for its user, wrong site keys with it), from
	// whatever address, and was not proven with the site key it sent.
	GuessCredentialBlocked GuessingEvent = "credential_blocked"
	// GuessProvenPassed: from a blocked address, or with its own counter
	// full, but its credential was proven with the site key it sent, so it
	// was authenticated as usual.
	GuessProvenPassed GuessingEvent = "proven_passed"
)

// proofPeriod is how long a credential stays proven after it last
// authenticated in full: at least one period, at most two. Proofs are
// kept per period (see proofKey), so a credential in use is proven without
// a store write on every request and without ever lapsing.
const proofPeriod = 12 * time.Hour

// admit decides whether guessing protection lets a request's credential
// be verified (Authenticate's keys: the client address's and the
// credential's counters). Guessing is throttled, proven users are not: a
// credential proven with the site key it sends (the two authenticated in
// full within proofPeriod) is verified whatever the counters say, and is
// not counted beforehand, so a cron job's wrong site key, a test suite's
// negative cases, a neighbour behind the same NAT or someone guessing a
// user's password do not lock out the integrations that work. Any other
// credential is reserved (FailureCounter.Reserve): counted before it is
// verified, atomically with the check, and refused unseen (nothing
// verified nor asked of CiviCRM) when either counter is full; release is
// then what un-counts it if it succeeds, nil when nothing was reserved.
// Binding the proof to the site key keeps a proven credential from
// guessing the site key: its wrong site keys fill its own counter, and no
// site key it has not proven passes then, the right one included. Binding
// it to the site (Request.Site) keeps a credential proven on one site
// from being verified without limit on others (a Host or, through a
// trusted proxy, a forwarded host of the client's choosing makes a fresh
// one each time, and verdicts are per site): there it is counted as any
// other. A request without a credential verifies nothing and is only
// refused while its address is blocked.
//
// A credential's first use is shared (firstUse): requests that arrive with
// it while it is not yet proven, and another request with it, the same
// site key and site is being judged, wait for that one. When it proves
// the credential they pass as proven; when it judged the credential
// otherwise (refused it, a wrong site key, refused unseen) each is
// reserved as any other; when it could not judge it (CiviCRM unavailable,
// the question's deadline passed, a panic) they are refused as it was,
// unavailable (rej), without a reservation or a question of their own. A
// follower whose own context ends while it waits is refused so too.
// land, when not nil, is how the caller, leading such a first use, tells
// its followers how it ended: it must be called on every path (identify
// defers it; a leader that lands nothing else tells firstUnjudged).
//
// ctx is the request's: only a follower's wait ends with it. jctx is
// detached from its cancellation (identify): what is looked up, reserved
// or counted is not undone because the client went away.
func (a *Authenticator) admit(ctx, jctx context.Context, quiet bool, ipKey func() string, credKey *string, cred *presented, siteKey, site string) (release func(context.Context), land func(firstOutcome), rej *Rejection) {
	if a.cfg.Failures == nil {
		return nil, nil, nil
	}
	if cred == nil {
		if blocked, wait := a.blocked(jctx, quiet, ipKey()); blocked {
			a.observe(GuessAddressBlocked)
			return nil, nil, rateLimited(wait)
		}
		return nil, nil, nil
	}
	ck := a.failCredKey(cred, credKey)
	proven := a.proven(jctx, cred.raw, siteKey, site)
	if !proven {
		var first firstOutcome
		first, land, rej = a.firstUse(ctx, cred.raw, siteKey, site)
		if rej != nil {
			return nil, nil, rej
		}
		proven = first == firstProved
	}
	if proven {
		if b, _ := a.blocked(jctx, quiet, ipKey(), ck); b {
			a.observe(GuessProvenPassed)
		}
		return nil, nil, nil
	}
	release, full, wait := a.cfg.Failures.Reserve(jctx, a.cfg.MaxFailures, a.cfg.FailureWindow, nonEmpty([]string{ck, ipKey()})...)
	switch {
	case full == "":
		return release, land, nil
	case full == ck:
		a.observe(GuessCredentialBlocked)
	default:
		a.observe(GuessAddressBlocked)
	}
	return nil, land, rateLimited(wait)
}

func rateLimited(wait time.Duration) *Rejection {
	return &Rejection{Reason: ReasonRateLimited, Message: MsgRateLimited, Status: 429, RetryAfter: wait}
}

// firstOutcome is how the leader of a shared first use (firstUse) ended.
type firstOutcome uint8

const (
	// firstUnjudged: nothing was judged (CiviCRM unavailable or not
	// answering by judgeTimeout, a panic). The zero value: what a leader
	// that lands on no other path tells.
	firstUnjudged firstOutcome = iota
	// firstJudged: judged, not proved (the credential refused, its site
	// key wrong or missing, the request refused unseen, no CMS user …).
	firstJudged
	// firstProved: authenticated in full (prove).
	firstProved
)

// firstUse shares the first use of a credential that is not proven with
// siteKey on site between the requests that present it at once. Without
// it each held a reservation while the first was verified, so a burst of
// more than MaxFailures first requests with one valid credential from one
// address (a sync tool's workers, the first requests after a restart or
// on a new Host) got 429s until one had succeeded. The first request
// leads (land not nil: it reserves, is verified and lands as before); the
// others wait for its outcome, or their own context's end, and:
//   - pass as proven (firstProved) only if it authenticated in full;
//   - when it judged without proving (firstJudged: failed, was refused
//     unseen), are each reserved, verified and counted on their own, so
//     guesses gain nothing by being identical and concurrent;
//   - when it could not judge (firstUnjudged: CiviCRM unavailable), get
//     its refusal, unavailable (rej), with nothing reserved nor asked:
//     APIKeyVerifier would have had them share that very question, and a
//     reservation each would turn a valid burst during an outage into
//     429s past MaxFailures;
//   - when their own context ends first (their client left), stop
//     waiting, unavailable too, with nothing reserved nor asked.
//
// The leader's judgement is not cut short by its own client leaving
// (identify's judgeContext), so it ends within judgeTimeout of its
// question, and so does every wait. The flight is keyed as the proof
// (proofKey: credential, site key, site), so no request shares one with
// another site key or site; and as with a proof, a follower passes
// whatever its own address's count says (an address blocked for guessing
// is served a credential another address is proving at that moment, as
// it is served one proven a moment before).
func (a *Authenticator) firstUse(ctx context.Context, raw, siteKey, site string) (first firstOutcome, land func(firstOutcome), rej *Rejection) {
	if a.cfg.Proofs == nil {
		return firstJudged, nil, nil
	}
	key := a.proofKey(raw, siteKey, site, a.cfg.Now(), 0)
	f, lead := a.firsts.Join(key)
	if lead {
		return firstJudged, func(o firstOutcome) { a.firsts.Land(key, f, o) }, nil
	}
	first, ok := f.Wait(ctx)
	switch {
	case !ok:
		return firstUnjudged, nil, unavailable("gave up waiting for the first use of this credential: " + context.Cause(ctx).Error())
	case first == firstUnjudged:
		return first, nil, unavailable("the first use of this credential it waited for could not be judged")
	}
	return first, nil, nil
}

// prove records that a credential authenticated in full (site key,
// verification, user requirement) as p with siteKey on site, once per
// proofPeriod.
func (a *Authenticator) prove(ctx context.Context, cred *presented, siteKey, site string, p *Principal) {
	if a.cfg.Proofs == nil || cred == nil {
		return
	}
	key := a.proofKey(cred.raw, siteKey, site, a.cfg.Now(), 0)
	if v, ok := a.cfg.Proofs.Get(ctx, key); ok && v.OK {
		return
	}
	a.cfg.Proofs.Set(ctx, key, Verdict{OK: true, ContactID: p.ContactID, Cred: p.CredType}, 2*proofPeriod)
}

// proven reports whether a credential authenticated in full with siteKey
// on site in this proofPeriod or the one before.
func (a *Authenticator) proven(ctx context.Context, raw, siteKey, site string) bool {
	if a.cfg.Proofs == nil {
		return false
	}
	now := a.cfg.Now()
	for back := range 2 {
		if v, ok := a.cfg.Proofs.Get(ctx, a.proofKey(raw, siteKey, site, now, back)); ok && v.OK {
			return true
		}
	}
	return false
}

// proofKey is the store key of a credential's proof with a site key on a
// site for the proofPeriod `back` periods before now's. The whole
// credential is keyed (for Basic, the password too), unlike its failure
// counter (the user name). The site goes first, after its length: it may
// hold any byte.
func (a *Authenticator) proofKey(raw, siteKey, site string, now time.Time, back int) string {
	period := now.Unix()/int64(proofPeriod/time.Second) - int64(back)
	return "proof:" + a.mac("proof", strconv.Itoa(len(site)), site, raw, siteKey) + ":" + strconv.FormatInt(period, 10)
}

func (a *Authenticator) observe(e GuessingEvent) {
	if a.cfg.Guessing != nil {
		a.cfg.Guessing(e)
	}
}

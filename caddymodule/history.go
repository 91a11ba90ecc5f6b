package caddymodule

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/translate"
)

// The daily history is what the migration console draws: per UTC day, the
// site's API calls, how many used a legacy feature, each feature's count,
// and per caller the same plus the credential-free shapes of its legacy
// requests (see requestShape), so the console can say what each caller
// must change. The legacy-usage report keeps all-time totals; the history
// keeps days, bounded in days, callers per day and shapes per caller.

const (
	historyDaysKept    = 90  // days a history keeps
	historyCallersKept = 500 // callers a day keeps; later ones count as "other callers"
	historyShapesKept  = 4   // request shapes a caller's day keeps
	historyFlushEvery  = time.Second
	historyTimeout     = 200 * time.Millisecond
)

// historyLimits bound a history's size.
type historyLimits struct{ days, callers, shapes int }

var defaultHistoryLimits = historyLimits{historyDaysKept, historyCallersKept, historyShapesKept}

// historyDay is one UTC day of history, or a part of it still to be
// merged into the store.
type historyDay struct {
	Date     string // 2006-01-02
	Calls    int64
	Legacy   int64 // calls using at least one legacy feature
	Features map[string]int64
	Other    historyCount // calls of callers beyond historyCallersKept
	Callers  map[usageCaller]*callerDay
}

type historyCount struct{ Calls, Legacy int64 }

// callerDay is one caller's day.
type callerDay struct {
	historyCount
	Features    map[string]int64
	Shapes      map[string]int64 // requestShape.encode() → legacy calls of that shape
	First, Last int64            // unix milliseconds
}

// historySample is one recorded call, at at, or a run of n calls alike
// (a prepared request's, foldUsage) from first to at.
type historySample struct {
	features []string
	legacy   bool
	caller   usageCaller
	shape    string // the call's request shape when legacy, else ""
	at       time.Time
	n        int64     // 0: one call
	first    time.Time // when n > 0
}

// calls is how many calls s stands for.
func (s historySample) calls() int64 { return max(s.n, 1) }

// since is when the first call s stands for arrived.
func (s historySample) since() time.Time {
	if s.n > 0 {
		return s.first
	}
	return s.at
}

// dayOf is t's UTC date, 2006-01-02. Every request asks: the day's
// string is kept until the day ends.
func dayOf(t time.Time) string {
	u := t.Unix()
	if d := today.Load(); d != nil && u >= d.start && u < d.start+secondsPerDay {
		return d.date
	}
	start := u - ((u%secondsPerDay)+secondsPerDay)%secondsPerDay
	d := &cachedDay{start: start, date: t.UTC().Format(time.DateOnly)}
	today.Store(d)
	return d.date
}

const secondsPerDay = 24 * 60 * 60

type cachedDay struct {
	start int64 // unix seconds at the day's start
	date  string
}

var today atomic.Pointer[cachedDay]

func newHistoryDay(date string) *historyDay {
	return &historyDay{Date: date, Features: map[string]int64{}, Callers: map[usageCaller]*callerDay{}}
}

// add counts a call (or s's run of calls), keeping at most maxCallers
// callers and maxShapes shapes per caller (the rest still count in the
// day's totals). A known caller's calls allocate nothing.
func (d *historyDay) add(s historySample, maxCallers, maxShapes int) {
	n := s.calls()
	var legacy int64
	if s.legacy {
		legacy = n
	}
	d.Calls += n
	d.Legacy += legacy
	for _, f := range s.features {
		d.Features[f] += n
	}
	first, last := s.since().UnixMilli(), s.at.UnixMilli()
	cur, ok := d.Callers[s.caller]
	if !ok {
		if len(d.Callers) >= maxCallers {
			d.Other.Calls += n
			d.Other.Legacy += legacy
			return
		}
		cur = &callerDay{First: first, Last: last, Features: map[string]int64{}, Shapes: map[string]int64{}}
		d.Callers[s.caller] = cur
	}
	cur.Calls += n
	cur.Legacy += legacy
	for _, f := range s.features {
		cur.Features[f] += n
	}
	if s.shape != "" {
		if _, ok := cur.Shapes[s.shape]; ok || len(cur.Shapes) < maxShapes {
			cur.Shapes[s.shape] += n
		}
	}
	cur.First = min(cur.First, first)
	cur.Last = max(cur.Last, last)
}

// mergeDay adds all of o to d, within the bounds.
func (d *historyDay) mergeDay(o *historyDay, maxCallers, maxShapes int) {
	d.Calls += o.Calls
	d.Legacy += o.Legacy
	d.Other.Calls += o.Other.Calls
	d.Other.Legacy += o.Other.Legacy
	for f, n := range o.Features {
		d.Features[f] += n
	}
	for caller, c := range o.Callers {
		d.addCaller(caller, c, maxCallers, maxShapes)
	}
}

// addCaller adds a caller's counts to its own (the site totals already
// hold them): to "other callers" when the day keeps maxCallers others.
func (d *historyDay) addCaller(caller usageCaller, c *callerDay, maxCallers, maxShapes int) {
	cur, ok := d.Callers[caller]
	if !ok {
		if len(d.Callers) >= maxCallers {
			d.Other.Calls += c.Calls
			d.Other.Legacy += c.Legacy
			return
		}
		cur = &callerDay{First: c.First, Last: c.Last, Features: map[string]int64{}, Shapes: map[string]int64{}}
		d.Callers[caller] = cur
	}
	cur.Calls += c.Calls
	cur.Legacy += c.Legacy
	for f, n := range c.Features {
		cur.Features[f] += n
	}
	for s, n := range c.Shapes {
		if _, ok := cur.Shapes[s]; ok || len(cur.Shapes) < maxShapes {
			cur.Shapes[s] += n
		}
	}
	cur.First = min(cur.First, c.First)
	cur.Last = max(cur.Last, c.Last)
}

// historyStore keeps the daily history of one handler, or of every handler
// sharing its Redis.
type historyStore interface {
	add(s historySample) // never blocks on I/O; a run's calls are all of one UTC day
	// days returns the stored days among dates (missing days are left out).
	days(ctx context.Context, dates []string) ([]*historyDay, error)
	close()
}

// usageOf is what the legacy-usage report and the daily history count for
// an authenticated call: the same for every request a prepared request
// stands for, so it is worked out once for them (prepared.go).
func usageOf(r *http.Request, call *translate.Call, p *authx.Principal) historySample {
	s := historySample{features: legacyFeatures(call), caller: usageCaller{contactID: p.ContactID, fingerprint: p.KeyFingerprint}}
	if usesLegacy(s.features) {
		s.legacy = true
		s.shape = shapes.of(r, call, p)
	}
	return s
}

// recordUsage counts a call (usageOf's) that arrived at now in the
// legacy-usage report and the daily history.
func (h *Handler) recordUsage(s historySample, now time.Time) {
	s.at = now
	h.usage.record(s)
	h.history.add(s)
}

// foldUsage records in the legacy-usage report and the daily history the
// calls prepared requests counted (usageTally) since the last fold. The
// report and the history are read (buildConsole) and flushed to Redis
// only after a fold, so every call is in them as if recorded one by one.
func (h *Handler) foldUsage() {
	if h.prepared == nil {
		return
	}
	for _, t := range h.prepared.takePending() {
		if s, ok := t.take(); ok {
			h.usage.record(s)
			h.history.add(s)
		}
	}
}

// memoryHistory is a process's own history: lost on restart.
type memoryHistory struct {
	limits historyLimits
	mu     sync.Mutex
	byDay  map[string]*historyDay
}

func newMemoryHistory(limits historyLimits) *memoryHistory {
	return &memoryHistory{limits: limits, byDay: map[string]*historyDay{}}
}

func (m *memoryHistory) add(s historySample) {
	date := dayOf(s.at)
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.byDay[date]
	if !ok {
		d = newHistoryDay(date)
		m.byDay[date] = d
		m.prune()
	}
	d.add(s, m.limits.callers, m.limits.shapes)
}

// mergeDay adds a whole day (a failed flush put back).
func (m *memoryHistory) mergeDay(o *historyDay) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.byDay[o.Date]
	if !ok {
		d = newHistoryDay(o.Date)
		m.byDay[o.Date] = d
		m.prune()
	}
	d.mergeDay(o, m.limits.callers, m.limits.shapes)
}

// prune drops the oldest days beyond the days kept.
func (m *memoryHistory) prune() {
	if len(m.byDay) <= m.limits.days {
		return
	}
	dates := make([]string, 0, len(m.byDay))
	for d := range m.byDay {
		dates = append(dates, d)
	}
	sort.Strings(dates)
	for _, d := range dates[:len(dates)-m.limits.days] {
		delete(m.byDay, d)
	}
}

func (m *memoryHistory) days(_ context.Context, dates []string) ([]*historyDay, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*historyDay
	for _, date := range dates {
		if d, ok := m.byDay[date]; ok {
			c := newHistoryDay(date)
			c.mergeDay(d, m.limits.callers, m.limits.shapes)
			out = append(out, c)
		}
	}
	return out, nil
}

// take empties the history and returns what it held.
func (m *memoryHistory) take() map[string]*historyDay {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.byDay
	m.byDay = map[string]*historyDay{}
	return out
}

func (m *memoryHistory) close() {}

// redisHistory keeps the history in Redis, shared by every instance and
// kept across restarts. Each day is one hash, "<prefix>history:<date>",
// that expires the days kept after its last write; every command
// and script touches one such key, so it works on Redis Cluster as is.
// Like the usage report, requests add to an in-memory tally that a
// background loop merges into Redis once a second.
//
// Fields of a day's hash (c is "<contact id>|<key fingerprint>"):
//
//	calls, legacy          the site's calls and legacy calls
//	f|<feature>            the site's calls using a feature
//	o, ol                  calls and legacy calls of callers beyond the bound
//	callers                callers kept
//	k|c, kl|c              a caller's calls and legacy calls
//	kf|c|<feature>         a caller's calls using a feature
//	ks|c|<shape>, kn|c     a caller's legacy calls of one shape; shapes kept
//	ka|c, kz|c             a caller's first and last call (unix ms)
type redisHistory struct {
	client redis.UniversalClient
	prefix string
	limits historyLimits
	tally  *memoryHistory
	fold   func() // nil: nothing to fold
	stop   chan struct{}
	done   chan struct{}
}

// newRedisHistory is a history in Redis; run starts its flush loop.
func newRedisHistory(client redis.UniversalClient, prefix string, limits historyLimits) *redisHistory {
	return &redisHistory{client: client, prefix: prefix + "history:", limits: limits, tally: newMemoryHistory(limits),
		stop: make(chan struct{}), done: make(chan struct{})}
}

// run starts the flush loop, which calls fold (foldUsage) before each
// flush; close stops it.
func (r *redisHistory) run(fold func()) {
	r.fold = fold
	go r.loop()
}

func (r *redisHistory) add(s historySample) { r.tally.add(s) }

func (r *redisHistory) loop() {
	flushLoop(historyFlushEvery, r.flush, r.stop, r.done)
}

// flushLoop calls flush every interval until stop is closed, then once
// more, and closes done.
func flushLoop(every time.Duration, flush func(), stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			flush()
		case <-stop:
			flush()
			return
		}
	}
}

// flush merges the tally into Redis; a day whose merge failed goes back
// into the tally for the next flush.
func (r *redisHistory) flush() {
	if r.fold != nil {
		r.fold()
	}
	ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
	defer cancel()
	for _, d := range r.tally.take() {
		if err := historyMerge.Eval(ctx, r.client, []string{r.prefix + d.Date}, d.args(r.limits)...).Err(); err != nil {
			r.tally.mergeDay(d)
		}
	}
}

// args encodes a day for historyMerge.
func (d *historyDay) args(l historyLimits) []any {
	ttl := int64(time.Duration(l.days+1) * 24 * time.Hour / time.Second)
	a := []any{ttl, l.callers, l.shapes, d.Calls, d.Legacy, d.Other.Calls, d.Other.Legacy}
	a = appendCounts(a, d.Features)
	a = append(a, len(d.Callers))
	for caller, c := range d.Callers {
		a = append(a, caller.member(), c.Calls, c.Legacy, c.First, c.Last)
		a = appendCounts(a, c.Features)
		a = appendCounts(a, c.Shapes)
	}
	return a
}

func appendCounts(a []any, m map[string]int64) []any {
	a = append(a, len(m))
	for k, n := range m {
		a = append(a, k, n)
	}
	return a
}

// member names a caller inside a day's hash.
func (c usageCaller) member() string {
	return strconv.FormatInt(c.contactID, 10) + "|" + c.fingerprint
}

// historyMerge adds one instance's tally of a day to the day's hash, with
// the same bounds as the in-memory history.
var historyMerge = redis.NewScript(`
local k = KEYS[1]
local i = 0
local function arg() i = i + 1; return ARGV[i] end
local function bump(field, n) if tonumber(n) ~= 0 then redis.call('HINCRBY', k, field, n) end end
local ttl = arg()
local maxCallers = tonumber(arg())
local maxShapes = tonumber(arg())
bump('calls', arg()); bump('legacy', arg()); bump('o', arg()); bump('ol', arg())
for _ = 1, tonumber(arg()) do
  local f = arg()
  bump('f|' .. f, arg())
end
for _ = 1, tonumber(arg()) do
  local c = arg()
  local calls = arg()
  local legacy = arg()
  local first = tonumber(arg())
  local last = tonumber(arg())
  local kept = redis.call('HEXISTS', k, 'k|' .. c) == 1
  if not kept and tonumber(redis.call('HGET', k, 'callers') or '0') < maxCallers then
    redis.call('HINCRBY', k, 'callers', 1)
    kept = true
  end
  if kept then
    redis.call('HINCRBY', k, 'k|' .. c, calls)
    bump('kl|' .. c, legacy)
    local a = tonumber(redis.call('HGET', k, 'ka|' .. c))
    if not a or first < a then redis.call('HSET', k, 'ka|' .. c, first) end
    local z = tonumber(redis.call('HGET', k, 'kz|' .. c))
    if not z or last > z then redis.call('HSET', k, 'kz|' .. c, last) end
  else
    bump('o', calls); bump('ol', legacy)
  end
  for _ = 1, tonumber(arg()) do
    local f = arg()
    local n = arg()
    if kept then bump('kf|' .. c .. '|' .. f, n) end
  end
  for _ = 1, tonumber(arg()) do
    local f = 'ks|' .. c .. '|' .. arg()
    local n = arg()
    if kept then
      if redis.call('HEXISTS', k, f) == 1 then
        redis.call('HINCRBY', k, f, n)
      elseif tonumber(redis.call('HGET', k, 'kn|' .. c) or '0') < maxShapes then
        redis.call('HINCRBY', k, 'kn|' .. c, 1)
        redis.call('HINCRBY', k, f, n)
      end
    end
  end
end
redis.call('EXPIRE', k, ttl)
return 1`)

func (r *redisHistory) days(ctx context.Context, dates []string) ([]*historyDay, error) {
	pipe := r.client.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(dates))
	for i, date := range dates {
		cmds[i] = pipe.HGetAll(ctx, r.prefix+date)
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, err
	}
	var out []*historyDay
	for i, date := range dates {
		if fields := cmds[i].Val(); len(fields) > 0 {
			out = append(out, decodeHistoryDay(date, fields))
		}
	}
	return out, nil
}

// decodeHistoryDay reads a day's hash (see redisHistory).
func decodeHistoryDay(date string, fields map[string]string) *historyDay {
	d := newHistoryDay(date)
	caller := func(s string) (usageCaller, string) {
		cid, rest, _ := strings.Cut(s, "|")
		fp, tail, _ := strings.Cut(rest, "|")
		n, _ := strconv.ParseInt(cid, 10, 64)
		c := usageCaller{contactID: n, fingerprint: fp}
		if _, ok := d.Callers[c]; !ok {
			d.Callers[c] = &callerDay{Features: map[string]int64{}, Shapes: map[string]int64{}}
		}
		return c, tail
	}
	for f, v := range fields {
		n, _ := strconv.ParseInt(v, 10, 64)
		kind, rest, _ := strings.Cut(f, "|")
		switch kind {
		case "calls":
			d.Calls = n
		case "legacy":
			d.Legacy = n
		case "o":
			d.Other.Calls = n
		case "ol":
			d.Other.Legacy = n
		case "f":
			d.Features[rest] = n
		case "k", "kl", "ka", "kz", "kf", "ks":
			c, tail := caller(rest)
			cd := d.Callers[c]
			switch kind {
			case "k":
				cd.Calls = n
			case "kl":
				cd.Legacy = n
			case "ka":
				cd.First = n
			case "kz":
				cd.Last = n
			case "kf":
				cd.Features[tail] = n
			case "ks":
				cd.Shapes[tail] = n
			}
		}
	}
	return d
}

func (r *redisHistory) close() {
	close(r.stop)
	<-r.done
}

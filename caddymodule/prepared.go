package caddymodule

import (
	"context"
	"encoding/binary"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/caddyserver/caddy/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/cache"
	"github.com/civigate/civigate/translate"
)

// Prepared requests: what the steps before the cache (recognising,
// parsing, authenticating, policing and keying a call) decided about a
// request is remembered for a second, under the request itself: method,
// host, path, query, client address (as Caddy's client_ip variable holds
// it) and every header, byte for byte. A
// client repeating a call (the same integration polling, a page's
// widgets) skips those steps and goes straight to the cache, which makes
// a hit cost little more than writing it.
//
// What the steps decide is a function of the request, the configuration
// (a reload builds a new handler, and a new memory), the remembered
// credential verdicts and the guessing-protection counters: an
// authx.Pass stands for the verdict for a second (authx.PassTTL), and
// Readmit asks the counters on every request what Authenticate would.
// Only requests without a body whose credential a Pass covers (an API key
// or a password; a JWT's expiry is checked every time) are remembered,
// and only when they were admitted and their call runs (no refusal). The
// legacy cut-off, metrics, the cache (its generations) and everything
// after it run on every request; the usage report and history count
// every request too, in the prepared request's tally first (usageTally).
type preparedRequests struct {
	mu     sync.RWMutex
	m      map[string]*prepared
	served atomic.Int64 // requests served as prepared, for tests

	// pending are the tallies of prepared requests that counted calls not
	// yet folded into the usage report (Handler.foldUsage), whether or
	// not their prepared requests are still in m.
	pendingMu sync.Mutex
	pending   []*usageTally
}

// prepared is one remembered request's decisions. All of it is read only.
type prepared struct {
	call      *translate.Call // translate.Call.Retained
	principal *authx.Principal
	pass      authx.Pass
	req       *cache.Request // nil when caching is off
	usage     historySample  // usageOf's
	until     time.Time
	render    renderMemo
	hits      prometheus.Counter // requests{form, cache_hit}, resolved once
	// placeholders are the principal's (authPlaceholders), made once.
	placeholders caddy.ReplacerFunc
	tally        *usageTally // written per request
	fwd          forwardMemo // the request forwarded to CiviCRM, built once
}

const (
	// maxPrepared bounds the memory: beyond it, the expired go, then all.
	maxPrepared = 1024
	// maxPreparedKey: longer requests (a long query, many headers) are
	// not remembered, so no entry holds more than a few kilobytes.
	maxPreparedKey = 4 << 10
	maxKeyHeaders  = 32
)

// preparedKeyRoom is the room ServeHTTP makes for a prepared key on its
// stack: most requests' keys fit, a longer one grows on the heap.
const preparedKeyRoom = 512

// preparedKey appends to b the request as the steps before the cache
// read it and returns it, or nil when it is not one to remember (a body,
// too long). The client address is in it as the text it is read from
// (clientAddrOf), unparsed: a request whose address is not read from
// that text is not remembered (ServeHTTP).
func preparedKey(b []byte, r *http.Request) []byte {
	// ContentLength 0 is a request without a body (HTTP/2 and 3 say -1
	// when one may follow); Caddy may wrap even an empty Body.
	if r.ContentLength != 0 || len(r.TransferEncoding) > 0 || len(r.Header) > maxKeyHeaders {
		return nil
	}
	// Every field length-prefixed: no two requests make one key.
	field := func(b []byte, s string) []byte { return append(binary.AppendUvarint(b, uint64(len(s))), s...) }
	b = field(b, r.Method)
	b = field(b, r.Host)
	b = field(b, r.URL.Path)
	b = field(b, r.URL.RawPath)
	b = field(b, r.URL.RawQuery)
	if r.TLS != nil {
		b = append(b, 1) // the console's request shapes tell TLS apart
	} else {
		b = append(b, 0)
	}
	ip, trusted := clientVars(r)
	if trusted {
		b = append(b, 1) // its forwarded host headers bind the cache key
	} else {
		b = append(b, 0)
	}
	if ip != "" {
		b = field(append(b, 'v'), ip)
	} else {
		b = field(append(b, 'r'), r.RemoteAddr) // clientAddr reads it then
	}
	var names [maxKeyHeaders]string
	n := 0
	for name := range r.Header {
		names[n] = name
		n++
	}
	slices.Sort(names[:n])
	b = binary.AppendUvarint(b, uint64(n))
	for _, name := range names[:n] {
		b = field(b, name)
		values := r.Header[name]
		b = binary.AppendUvarint(b, uint64(len(values)))
		for _, v := range values {
			b = field(b, v)
		}
	}
	if len(b) > maxPreparedKey {
		return nil
	}
	return b
}

// usageTally counts the calls a prepared request answered for the
// legacy-usage report and the daily history until they are folded into
// them (Handler.foldUsage): its usage is the same for all of them, so a
// call costs a count here instead of the report's and the history's
// bookkeeping. A tally holds the calls of one UTC day.
type usageTally struct {
	usage       historySample // usageOf's
	mu          sync.Mutex
	n           int64
	date        string // dayOf theirs
	first, last time.Time
}

// countUsage counts a call that p answered, which arrived at now, for
// the usage report and the daily history.
func (h *Handler) countUsage(p *prepared, now time.Time) {
	switch p.tally.count(now) {
	case tallyFirst:
		if h.prepared.pend(p.tally) {
			h.foldUsage()
		}
	case tallyNewDay:
		// What it counted is the day before's: folded first, and this
		// call recorded alone.
		h.foldUsage()
		h.recordUsage(p.usage, now)
	}
}

const (
	tallyCounted = iota
	tallyFirst   // the first call since the last fold: the tally is to be pended
	tallyNewDay  // not counted: the tally holds another day's calls
)

// count counts a call that arrived at now, unless the tally holds calls
// of another day.
func (t *usageTally) count(now time.Time) int {
	date := dayOf(now)
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.n == 0:
		t.n, t.date, t.first, t.last = 1, date, now, now
		return tallyFirst
	case t.date != date:
		return tallyNewDay
	}
	t.n++
	if now.Before(t.first) {
		t.first = now
	}
	if now.After(t.last) {
		t.last = now
	}
	return tallyCounted
}

// take empties the tally: the run of the calls it counted, false when it
// counted none.
func (t *usageTally) take() (historySample, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == 0 {
		return historySample{}, false
	}
	s := t.usage
	s.n, s.first, s.at = t.n, t.first, t.last
	t.n = 0
	return s, true
}

// pend adds a tally that has just counted its first call since the last
// fold to those to fold. It reports whether so many are waiting that
// they are to be folded now: without a console reading them or a Redis
// store flushing them, a process would keep one per prepared request
// it ever made.
func (pr *preparedRequests) pend(t *usageTally) bool {
	pr.pendingMu.Lock()
	defer pr.pendingMu.Unlock()
	pr.pending = append(pr.pending, t)
	return len(pr.pending) >= maxPrepared
}

// takePending empties the tallies to fold.
func (pr *preparedRequests) takePending() []*usageTally {
	pr.pendingMu.Lock()
	defer pr.pendingMu.Unlock()
	out := pr.pending
	pr.pending = nil
	return out
}

// get is the request's remembered decisions, if they are still good at
// now, when it arrived (time.Now: the authenticator's clock too).
func (pr *preparedRequests) get(ctx context.Context, key []byte, auth *authx.Authenticator, now time.Time) *prepared {
	if pr == nil || key == nil {
		return nil
	}
	pr.mu.RLock()
	p := pr.m[string(key)]
	pr.mu.RUnlock()
	if p == nil || !now.Before(p.until) || !auth.Readmit(ctx, p.pass, now) {
		return nil
	}
	pr.served.Add(1)
	return p
}

// remember keeps what the steps decided for a request that was admitted
// and whose call runs; it does nothing for a request not to remember.
func (pr *preparedRequests) remember(key []byte, auth *authx.Authenticator, call *translate.Call, p *authx.Principal,
	req *cache.Request, usage historySample, now time.Time) {
	if pr == nil || key == nil || call.Refusal != nil || call.Ping {
		return
	}
	pass, ok := auth.PassFor(p)
	if !ok {
		return
	}
	kept, ok := call.Retained()
	if !ok {
		return
	}
	e := &prepared{call: kept, principal: p, pass: pass, req: req, usage: usage, until: now.Add(authx.PassTTL),
		hits: formMetricsOf(string(call.Form)).requests(outcomeCacheHit), placeholders: authPlaceholders(p),
		tally: &usageTally{usage: usage}}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if len(pr.m) >= maxPrepared {
		for k, old := range pr.m {
			if !now.Before(old.until) {
				delete(pr.m, k)
			}
		}
		if len(pr.m) >= maxPrepared {
			clear(pr.m)
		}
	}
	pr.m[string(key)] = e
}

// renderMemo keeps the last rendering of a cached answer for a prepared
// request, with its length written out: for a client that needs
// CiviCRM's JSON rewritten (XML, pretty JSON, WordPress REST) the
// rendering itself, for the others the check that the answer passes
// through. Entries are immutable, so as long as the cache hands out the
// same entry (the same body, not a copy of it: the memory store does),
// the answer is the same and is worked out once, not per hit. A store
// that hands out a copy per hit (Redis) never repeats one, so once a
// memo went unused it is not replaced: keeping one per hit would cost
// more than it saves.
type renderMemo struct{ last atomic.Pointer[rendered] }

type rendered struct {
	src    translate.UpstreamResponse // holds the body, so its memory is not reused
	out    translate.Reply
	length string      // len(out.Body)
	used   atomic.Bool // served a hit
}

// maxRenderMemo bounds what one prepared request keeps (the entry's body
// and its rendering): at most maxPrepared times this in all.
const maxRenderMemo = 32 << 10

// render is translate.RenderResponse(call, res) for an answer from the
// cache, and the length of its body in decimal.
func (m *renderMemo) render(call *translate.Call, res translate.UpstreamResponse) (translate.Reply, string) {
	last := m.last.Load()
	if last != nil && sameAnswer(last.src, res) {
		if !last.used.Load() {
			last.used.Store(true)
		}
		return last.out, last.length
	}
	out := translate.RenderResponse(call, res)
	length := strconv.Itoa(len(out.Body))
	kept := len(res.Body)
	if !sameBody(res.Body, out.Body) {
		kept += len(out.Body)
	}
	if kept <= maxRenderMemo && (last == nil || last.used.Load()) {
		m.last.Store(&rendered{src: res, out: out, length: length})
	}
	return out, length
}

// sameAnswer reports whether a and b are one stored answer: the same
// bytes in the same memory.
func sameAnswer(a, b translate.UpstreamResponse) bool {
	return a.Status == b.Status && a.ContentType == b.ContentType && sameBody(a.Body, b.Body)
}

// sameBody reports whether a and b are the same bytes in the same memory.
func sameBody(a, b []byte) bool {
	return len(a) == len(b) && unsafe.SliceData(a) == unsafe.SliceData(b)
}

package caddymodule

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/cache"
	"github.com/civigate/civigate/translate"
)

// verdictGeneration numbers the lifetimes of CiviCRM's remembered
// verdicts on credentials (authx.APIKeyVerifier.Generation, and
// PasswordGeneration for passwords alone); Forget moves it on, on every
// instance sharing Redis.
type verdictGeneration interface {
	authx.VerdictGeneration
	Forget(ctx context.Context) error
}

// provisionVerdictGen gives the API key verifier its generations: in
// process memory without Redis (the namespace's memoryShare), otherwise
// counters beside the cache's (cache.VerdictTag and
// cache.PasswordVerdictTag of the cache's namespace, in the Redis store of
// this site's prefix), moved on like an invalidation and learned by every
// instance from the invalidation messages the cache's memory tiers listen
// to (one subscription for both), so a warm credential costs no Redis
// round trip to check it.
func (h *Handler) provisionVerdictGen() {
	if h.apiKeys == nil {
		return
	}
	if h.redisClient == nil {
		// The namespace's, shared by every site block of this process in
		// front of the same CiviCRM (memshare.go).
		share := h.sharedMemory()
		h.verdictGen, h.passwordGen = share.verdicts, share.passwordVerdicts
	} else {
		rs := h.redisStore
		if rs == nil { // caching off: a store for the counters alone
			rs = h.newRedisStore(h.redisTimeout())
		}
		ns := ""
		if h.Cache != nil {
			ns = h.Cache.Namespace
		}
		gws := cache.NewGenWatches(rs, cache.VerdictTag(ns), cache.PasswordVerdictTag(ns))
		h.closers = append(h.closers, gws[0].Close)
		h.verdictGen, h.passwordGen = gws[0], gws[1]
	}
	h.apiKeys.Generation, h.apiKeys.PasswordGeneration = h.verdictGen, h.passwordGen
	h.forgets = newForgetCoalescer(forgetWindow, func(ctx context.Context) {
		if err := h.verdictGen.Forget(ctx); err != nil {
			h.logger.Warn("forgetting remembered credential verdicts not recorded in Redis; replayed when it is back")
		}
	})
	h.passwordForgets = newForgetCoalescer(forgetWindow, func(ctx context.Context) {
		if err := h.passwordGen.Forget(ctx); err != nil {
			h.logger.Warn("forgetting remembered verdicts on passwords not recorded in Redis; replayed when it is back")
		}
	})
	// First among the closers: a forget still waiting for its window runs
	// before the generations and their store close.
	h.closers = append([]func() error{h.forgets.flush, h.passwordForgets.flush}, h.closers...)
}

// credChange is what a call may change of the credentials CiviCRM
// accepts, and so which remembered verdicts are forgotten after it
// (forgetVerdicts).
type credChange uint32

const (
	// credsUnknown: not asked yet (forwardMemo).
	credsUnknown credChange = iota
	// credsUnchanged: no credential; nothing is forgotten.
	credsUnchanged
	// credsPasswords: which passwords (a CMS user's name:
	// cache.RenamesUsers); the verdicts on passwords are forgotten.
	credsPasswords
	// credsChanged: any credential (cache.ChangesCredentials); every
	// verdict is forgotten.
	credsChanged
)

// changesCredentials reports what call may change of the credentials
// CiviCRM accepts (credChange); memo, when not nil, is the prepared
// request's, which keeps the answer.
func (h *Handler) changesCredentials(call *translate.Call, memo *forwardMemo) credChange {
	if h.verdictGen == nil {
		return credsUnchanged
	}
	if memo != nil {
		if c := credChange(memo.creds.Load()); c != credsUnknown {
			return c
		}
	}
	c := credsUnchanged
	switch {
	case cache.ChangesCredentials(call):
		c = credsChanged
	case cache.RenamesUsers(call):
		c = credsPasswords
	}
	if memo != nil {
		memo.creds.Store(uint32(c))
	}
	return c
}

// forgetVerdicts forgets the remembered verdicts on credentials a call
// may have changed (c), on every instance, after the call was forwarded
// (whatever CiviCRM answered, unless it refused the call before running
// it: refusedBeforeRun). Every credential concerned is then asked about
// once more. Forgets are coalesced (forgetCoalescer): at most one a second
// per handler and kind.
//
//   - credsChanged (cache.ChangesCredentials): every verdict, and it
//     returns once it has: the write is not answered before. Rotations
//     are rare and the writes that are frequent do not count, so a write
//     that asks within a second of the last forget may wait (up to that
//     second) for the one at the second's end.
//   - credsPasswords (cache.RenamesUsers): the verdicts on passwords
//     alone, and it does not wait: e-mail writes are frequent (a sync's,
//     a public form's), and none is to wait up to a second for another's
//     forget. The first forget of a second runs now, before the write is
//     answered; the others run at the second's end, so a CMS user renamed
//     through Civigate has its old name refused within a second.
//
// Changes made elsewhere (CiviCRM's screens not through Civigate, the
// CMS) are learned when the verdict expires (verdict_ttl).
//
// soon: a forget that was already asked for once by the same write (a
// page's answer ending, pagewrite.go) does not wait for the coalesced
// one either: it runs within a second.
func (h *Handler) forgetVerdicts(ctx context.Context, c credChange, soon bool) {
	ctx = context.WithoutCancel(ctx)
	switch c {
	case credsChanged:
		// The verdicts on passwords too: they live in both generations.
		h.forgets.forget(ctx, !soon)
	case credsPasswords:
		h.passwordForgets.forget(ctx, false)
	}
}

// forgetWindow is the least time between two forgets of one handler
// (forgetCoalescer).
const forgetWindow = time.Second

// forgetCoalescer runs forgets at most once per window, so that a client
// sending writes that count (even ones CiviCRM refuses for another reason
// than permission) costs every other client at most one civicrm/authx/id
// question per credential per window and instance, whatever its rate:
// the first forget runs at once, in the caller; all asked for within
// window of the last one run once, at the window's end. No forget is
// lost, only delayed by at most window: the one run at the window's end
// starts after every write that asked for it was answered by CiviCRM.
type forgetCoalescer struct {
	window time.Duration
	run    func(context.Context)
	now    func() time.Time
	// after runs f after d (time.AfterFunc), returning what stops it.
	after func(d time.Duration, f func()) (stop func() bool)

	mu   sync.Mutex
	last time.Time // when the last forget started
	// pending stops the forget waiting for the window's end (nil: none);
	// done is closed once it has run.
	pending func() bool
	done    chan struct{}
}

func newForgetCoalescer(window time.Duration, run func(context.Context)) *forgetCoalescer {
	return &forgetCoalescer{window: window, run: run, now: time.Now,
		after: func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }}
}

// forget runs a forget now, or has it run at the end of the window of
// the last one (reporting false), then waiting for it with wait.
func (c *forgetCoalescer) forget(ctx context.Context, wait bool) bool {
	c.mu.Lock()
	if c.pending == nil {
		now := c.now()
		w := c.window - now.Sub(c.last)
		if c.last.IsZero() || w <= 0 {
			c.last = now
			c.mu.Unlock()
			c.run(ctx)
			return true
		}
		c.done = make(chan struct{})
		c.pending = c.after(w, c.fire)
	}
	done := c.done
	c.mu.Unlock()
	if wait {
		<-done
	}
	return false
}

// fire runs the pending forget at the window's end.
func (c *forgetCoalescer) fire() {
	c.mu.Lock()
	if c.pending == nil { // flushed
		c.mu.Unlock()
		return
	}
	done := c.done
	c.pending, c.last = nil, c.now()
	c.mu.Unlock()
	c.run(context.Background())
	close(done)
}

// flush runs a pending forget now (the handler is closing; one whose
// timer fired meanwhile may run twice, never not at all).
func (c *forgetCoalescer) flush() error {
	c.mu.Lock()
	stop, done := c.pending, c.done
	c.pending = nil
	c.mu.Unlock()
	if stop != nil {
		stop()
		c.run(context.Background())
		close(done)
	}
	return nil
}

// refusedBeforeRun reports whether CiviCRM's answer to a call shows it
// refused the call before running any of it, so that it changed no
// credential: a single call (no batch, no chained call, which may have
// run after its parent wrote) answered 401 (AuthX refused the
// credential) or 403 (APIv4's UnauthorizedException: a permission check
// failed), or for APIv3 is_error 1 with error_code "unauthorized" (the
// kernel's "API permission check failed for …"). Any other outcome
// (success, another error, no answer, a broken one) may have written.
func refusedBeforeRun(call *translate.Call, ans answer, err error) bool {
	if err != nil || ans.streamed != nil || ans.fromCache || call.Batch || (call.API4 != nil && call.API4.Batch) {
		return false
	}
	calls := 0
	translate.Walk(call, func(sc translate.Subcall) bool {
		if sc.Implied == "" { // what a call runs under its name ran only if it did
			calls++
		}
		return calls < 2
	})
	if calls != 1 {
		return false
	}
	switch st := ans.res.Status; {
	case st == http.StatusUnauthorized || st == http.StatusForbidden:
		return true
	case call.API4 != nil || st != http.StatusOK || len(ans.res.Body) > 64<<10 ||
		!bytes.Contains(ans.res.Body, []byte("unauthorized")):
		return false
	}
	var v3 struct {
		IsError   json.RawMessage `json:"is_error"`
		ErrorCode json.RawMessage `json:"error_code"`
	}
	if json.Unmarshal(ans.res.Body, &v3) != nil {
		return false
	}
	isErr := string(v3.IsError)
	return (isErr == "1" || isErr == `"1"`) && string(v3.ErrorCode) == `"unauthorized"`
}

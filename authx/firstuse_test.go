package authx

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civigate/civigate/translate"
)

// heldResolver is a fakeResolver whose calls first pass hold (n counts
// the calls from 1).
type heldResolver struct {
	*fakeResolver
	n    atomic.Int64
	hold func(ctx context.Context, n int64) error
}

func (h *heldResolver) Resolve(ctx context.Context, scheme, value string) (Identity, error) {
	if err := h.hold(ctx, h.n.Add(1)); err != nil {
		return Identity{}, err
	}
	return h.fakeResolver.Resolve(ctx, scheme, value)
}

// countedProofs counts the lookups of proofs: every request with a
// credential looks its proof up before it is reserved or waits.
type countedProofs struct {
	VerdictStore
	gets atomic.Int64
}

func (c *countedProofs) Get(ctx context.Context, key string) (Verdict, bool) {
	c.gets.Add(1)
	return c.VerdictStore.Get(ctx, key)
}

// burstEnv is newEnv with MaxFailures 10 and a resolver held by hold.
func burstEnv(t *testing.T, hold func(ctx context.Context, n int64) error, mod func(*Config)) (*env, *heldResolver, *countedProofs) {
	t.Helper()
	var held *heldResolver
	proofs := &countedProofs{}
	e := newEnv(t, func(c *Config) {
		c.MaxFailures = 10
		proofs.VerdictStore = NewMemoryVerdicts()
		if mod != nil {
			mod(c)
		}
		if c.Proofs != nil {
			proofs.VerdictStore = c.Proofs
		}
		c.Proofs = proofs
		held = &heldResolver{fakeResolver: c.APIKeys.Resolver.(*fakeResolver), hold: hold}
		c.APIKeys = NewAPIKeyVerifier(held, c.APIKeys.Store, []byte("verdict-secret"))
	})
	return e, held, proofs
}

// arrived waits (at most 5s) until n requests with a credential have
// looked up its proof, then a little more, for them to reach what comes
// next (a reservation before firstUse, the wait for the first since).
func arrived(proofs *countedProofs, n int64) {
	for end := time.Now().Add(5 * time.Second); proofs.gets.Load() < 2*n && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
}

// firstBurst authenticates n Contact.get calls at once with cred and the right
// site key from one address, and returns their rejections (nil: passed).
func firstBurst(e *env, n int, cred string, site string) []*Rejection {
	out := make([]*Rejection, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			call := contactGet()
			call.Credentials = translate.Credentials{XCiviAuth: cred, XCiviKey: testSiteKey}
			_, out[i] = e.a.Authenticate(context.Background(), Request{Call: call, ClientIP: netip.MustParseAddr("198.51.100.20"), Site: site})
		})
	}
	wg.Wait()
	return out
}

// count is the memory counter's count of key.
func (e *env) count(key string) int {
	e.cnt.mu.Lock()
	defer e.cnt.mu.Unlock()
	return e.cnt.m[key].n
}

func tally(rejs []*Rejection) map[Reason]int {
	m := map[Reason]int{}
	for _, r := range rejs {
		if r == nil {
			m["ok"]++
		} else {
			m[r.Reason]++
		}
	}
	return m
}

// A cold burst of more first requests than max_failures with one valid
// credential from one address (a sync tool's 16 workers, the first
// requests after a restart or on a new Host) is served in full: the
// requests that arrive while the first is verified share its one
// reservation instead of holding one each (they got 429 before). The
// same burst with an invalid credential is counted as before: failures
// are not shared.
func TestConcurrentFirstUsesShareOneAttempt(t *testing.T) {
	for _, backend := range []string{"memory", "redis"} {
		t.Run(backend, func(t *testing.T) {
			var mod func(*Config)
			if backend == "redis" {
				client, prefix := testRedis(t)
				mod = func(c *Config) {
					c.Failures = &RedisCounter{Client: client, Prefix: prefix + "fail:", Timeout: time.Second}
					c.Proofs = &RedisVerdicts{Client: client, Prefix: prefix + "proof:", Timeout: time.Second}
				}
			}
			const n = 16
			var proofs *countedProofs
			e, res, proofs := burstEnv(t, func(context.Context, int64) error {
				arrived(proofs, n)
				return nil
			}, mod)
			if got := tally(firstBurst(e, n, "Bearer "+akUser, "site-a")); got["ok"] != n {
				t.Fatalf("valid credential, %d at once: %v, want all %d served", n, got, n)
			}
			if c := res.n.Load(); c != 1 {
				t.Errorf("CiviCRM asked %d times, want once", c)
			}
			ip, cred := e.a.ipKey(netip.MustParseAddr("198.51.100.20")), e.a.credLimitKey("Bearer "+akUser)
			if b, _ := e.a.cfg.Failures.Blocked(context.Background(), 1, ip, cred); b {
				t.Error("a count is left after the valid burst")
			}
			if firsts, _ := e.a.firsts.InFlight(); firsts != 0 {
				t.Errorf("%d first uses left in flight", firsts)
			}
			if questions, _ := e.a.cfg.APIKeys.calls.InFlight(); questions != 0 {
				t.Errorf("%d questions left in flight", questions)
			}

			proofs.gets.Store(0)
			got := tally(firstBurst(e, n, "Bearer wrong-key", "site-a"))
			if got[ReasonInvalid] != 10 || got[ReasonRateLimited] != n-10 {
				t.Fatalf("invalid credential, %d at once: %v, want 10 refused as invalid and %d rate limited", n, got, n-10)
			}
			if b, _ := e.a.cfg.Failures.Blocked(context.Background(), 10, ip); !b {
				t.Error("the address is not blocked after 10 failures")
			}
			if b, _ := e.a.cfg.Failures.Blocked(context.Background(), 11, ip); b {
				t.Error("the address counted more than 10 failures")
			}
			if firsts, _ := e.a.firsts.InFlight(); firsts != 0 {
				t.Errorf("%d first uses left in flight", firsts)
			}
		})
	}
}

// A first use is shared only by requests with the same credential, site
// key and site (as its proof would be): while one is verified, the same
// credential on another site or with another site key is reserved and
// verified on its own.
func TestFirstUseSharedOnlyWithinItsProof(t *testing.T) {
	gate := make(chan struct{})
	e, res, _ := burstEnv(t, func(ctx context.Context, _ int64) error {
		<-gate
		return nil
	}, nil)
	addr := netip.MustParseAddr("198.51.100.30")
	ipKey := e.a.ipKey(addr)
	count := func() int {
		e.cnt.mu.Lock()
		defer e.cnt.mu.Unlock()
		return e.cnt.m[ipKey].n
	}
	try := func(site, siteKey string) chan *Rejection {
		ch := make(chan *Rejection, 1)
		go func() {
			call := contactGet()
			call.Credentials = translate.Credentials{XCiviAuth: "Bearer " + akUser, XCiviKey: siteKey}
			_, rej := e.a.Authenticate(context.Background(), Request{Call: call, ClientIP: addr, Site: site})
			ch <- rej
		}()
		return ch
	}
	waitCount := func(want int) {
		t.Helper()
		for end := time.Now().Add(5 * time.Second); count() != want; time.Sleep(time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("address count %d, want %d", count(), want)
			}
		}
	}
	first := try("site-a", testSiteKey)
	waitCount(1)
	for res.n.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	otherSite := try("site-b", testSiteKey)
	otherKey := try("site-a", "") // no site key: AuthX's guards judge it
	waitCount(3)
	close(gate)
	for name, ch := range map[string]chan *Rejection{"first": first, "other site": otherSite, "other site key": otherKey} {
		if rej := <-ch; rej != nil {
			t.Errorf("%s: %v", name, rej)
		}
	}
	waitCount(0)
}

// A leader that panics could not judge the credential: the requests
// waiting on it are refused at once as unavailable, with nothing reserved
// nor asked (they went on each on its own, reserving an attempt each). A
// leader whose context ends (its client left) mid-question still judges
// it: the question is not cancelled, the credential is proven, and the
// requests waiting on it pass as proven.
func TestFirstUseLeaderPanicOrCancelReleasesFollowers(t *testing.T) {
	for _, how := range []string{"panic", "cancel"} {
		t.Run(how, func(t *testing.T) {
			const n = 5
			var proofs *countedProofs
			leaderCtx, cancelLeader := context.WithCancel(context.Background())
			defer cancelLeader()
			questionCancelled := make(chan bool, 1)
			e, res, proofs := burstEnv(t, func(ctx context.Context, call int64) error {
				if call > 1 {
					return nil
				}
				arrived(proofs, n)
				if how == "panic" {
					panic("resolver bug")
				}
				cancelLeader()
				select {
				case <-ctx.Done():
					questionCancelled <- true
				case <-time.After(100 * time.Millisecond):
					questionCancelled <- false
				}
				return nil
			}, nil)
			addr := netip.MustParseAddr("198.51.100.40")
			do := func(ctx context.Context) (rej *Rejection, panicked bool) {
				defer func() { panicked = recover() != nil }()
				call := contactGet()
				call.Credentials = translate.Credentials{XCiviAuth: "Bearer " + akUser, XCiviKey: testSiteKey}
				_, rej = e.a.Authenticate(ctx, Request{Call: call, ClientIP: addr, Site: "s"})
				return rej, false
			}
			leader := make(chan *Rejection, 1)
			go func() {
				rej, panicked := do(leaderCtx)
				if panicked {
					rej = &Rejection{Reason: "panic"}
				}
				leader <- rej
			}()
			for proofs.gets.Load() < 2 {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond) // the leader joins first
			results := make(chan *Rejection, n-1)
			for range n - 1 {
				go func() {
					rej, _ := do(context.Background())
					results <- rej
				}()
			}
			timeout := time.After(5 * time.Second)
			select {
			case rej := <-leader:
				if how == "panic" && (rej == nil || rej.Reason != "panic") || how == "cancel" && rej != nil {
					t.Errorf("leader: %+v", rej)
				}
			case <-timeout:
				t.Fatal("the leader did not return")
			}
			for range n - 1 {
				select {
				case rej := <-results:
					if how == "panic" && (rej == nil || rej.Reason != ReasonUnavailable || rej.Status != 503) || how == "cancel" && rej != nil {
						t.Errorf("follower: %+v", rej)
					}
				case <-timeout:
					t.Fatal("followers left waiting on a leader that is gone")
				}
			}
			if how == "cancel" && <-questionCancelled {
				t.Error("the question was cancelled with the leader's context")
			}
			if c := res.n.Load(); c != 1 {
				t.Errorf("CiviCRM asked %d times, want once", c)
			}
			// The panicking leader's reservation stays counted (it did not
			// succeed); no follower reserved one.
			want := 0
			if how == "panic" {
				want = 1
			}
			if got := e.count(e.a.ipKey(addr)); got != want {
				t.Errorf("address count %d, want %d", got, want)
			}
			if firsts, _ := e.a.firsts.InFlight(); firsts != 0 {
				t.Errorf("%d first uses left in flight", firsts)
			}
		})
	}
}

// A leader that finds CiviCRM unavailable judged nothing: a cold burst
// with a valid credential then gets its 503, each request at once, none
// reserved nor asked again, so more first requests than MaxFailures are
// not turned into 429s during an outage (they were: each reserved on its
// own and was counted). The first request after the outage is judged
// anew.
func TestFirstUseUnjudgedLeaderFollowersUnavailable(t *testing.T) {
	const n = 8
	var proofs *countedProofs
	e, res, proofs := burstEnv(t, func(ctx context.Context, call int64) error {
		if call > 1 {
			return nil
		}
		arrived(proofs, n)
		return fmt.Errorf("%w: authx/id answered status 500", ErrUnavailable)
	}, func(c *Config) { c.MaxFailures = 3 })
	got := tally(firstBurst(e, n, "Bearer "+akUser, "site-a"))
	if got[ReasonUnavailable] != n {
		t.Fatalf("valid credential, %d at once, CiviCRM down for the first: %v, want all %d unavailable", n, got, n)
	}
	if c := res.n.Load(); c != 1 {
		t.Errorf("CiviCRM asked %d times, want once", c)
	}
	ip := e.a.ipKey(netip.MustParseAddr("198.51.100.20"))
	if c := e.count(ip); c != 0 {
		t.Errorf("address count %d after an unjudged burst, want 0", c)
	}
	if firsts, _ := e.a.firsts.InFlight(); firsts != 0 {
		t.Errorf("%d first uses left in flight", firsts)
	}
	if got := tally(firstBurst(e, 1, "Bearer "+akUser, "site-a")); got["ok"] != 1 {
		t.Errorf("after the outage: %v", got)
	}
}

// A credential is judged to the end whatever its client does: a request
// whose context is cancelled while civicrm/authx/id is asked still gets
// the answer; a wrong key stays counted as a failure (a client leaving
// mid-question got its reservation back, so guesses whose client left
// were verified without limit), a right one is proven and un-counted.
// With Redis the counts and proofs reach Redis too (in the request's
// cancelled context they did not, and the breaker opened).
func TestJudgementOutlivesTheClient(t *testing.T) {
	for _, backend := range []string{"memory", "redis"} {
		t.Run(backend, func(t *testing.T) {
			var mod func(*Config)
			var counter FailureCounter
			if backend == "redis" {
				client, prefix := testRedis(t)
				mod = func(c *Config) {
					c.Failures = &RedisCounter{Client: client, Prefix: prefix + "fail:", Timeout: time.Second}
					c.Proofs = &RedisVerdicts{Client: client, Prefix: prefix + "proof:", Timeout: time.Second}
				}
			}
			type clientCtx struct{}
			e, res, _ := burstEnv(t, func(ctx context.Context, _ int64) error {
				cancel := ctx.Value(clientCtx{}).(context.CancelFunc)
				cancel() // the client goes away mid-question
				time.Sleep(50 * time.Millisecond)
				return ctx.Err() // nil: the question goes on
			}, mod)
			counter = e.a.cfg.Failures
			addr := netip.MustParseAddr("198.51.100.60")
			try := func(cred string) *Rejection {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				ctx = context.WithValue(ctx, clientCtx{}, cancel)
				call := contactGet()
				call.Credentials = translate.Credentials{XCiviAuth: cred, XCiviKey: testSiteKey}
				_, rej := e.a.Authenticate(ctx, Request{Call: call, ClientIP: addr, Site: "s"})
				return rej
			}
			bg := context.Background()
			ip := e.a.ipKey(addr)
			for i := range 3 {
				if rej := try(fmt.Sprintf("Bearer wrong-key-%d", i)); rej == nil || rej.Reason != ReasonInvalid {
					t.Fatalf("wrong key %d, client gone mid-question: %+v, want refused as invalid", i, rej)
				}
				if b, _ := counter.Blocked(bg, i+1, ip); !b {
					t.Fatalf("wrong key %d, client gone mid-question: not counted", i)
				}
			}
			if b, _ := counter.Blocked(bg, 4, ip); b {
				t.Fatal("more than 3 failures counted")
			}
			if rej := try("Bearer " + akUser); rej != nil {
				t.Fatalf("valid key, client gone mid-question: %+v", rej)
			}
			if b, _ := counter.Blocked(bg, 4, ip); b {
				t.Error("the valid key's reservation was not released")
			}
			if !e.a.proven(bg, "Bearer "+akUser, testSiteKey, "s") {
				t.Error("the valid key was not proven")
			}
			if c := res.n.Load(); c != 4 {
				t.Errorf("CiviCRM asked %d times, want 4", c)
			}
			if rc, ok := counter.(*RedisCounter); ok && rc.breaker.open() {
				t.Error("the Redis breaker opened")
			}
		})
	}
}

// A follower whose own context ends while it waits does not wait on.
func TestFirstUseFollowerContextBoundsItsWait(t *testing.T) {
	gate := make(chan struct{})
	defer close(gate)
	e, res, _ := burstEnv(t, func(ctx context.Context, _ int64) error {
		<-gate
		return nil
	}, nil)
	go e.from("Bearer "+akUser, netip.MustParseAddr("198.51.100.50"))
	for res.n.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	call := contactGet()
	call.Credentials = translate.Credentials{XCiviAuth: "Bearer " + akUser, XCiviKey: testSiteKey}
	start := time.Now()
	_, rej := e.a.Authenticate(ctx, Request{Call: call, ClientIP: netip.MustParseAddr("198.51.100.50")})
	if rej == nil || rej.Reason != ReasonUnavailable {
		t.Errorf("follower past its deadline: %+v", rej)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("follower waited %v past its 100ms deadline", d)
	}
}

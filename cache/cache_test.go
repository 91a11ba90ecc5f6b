package cache

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civigate/civigate/translate"
)

const okBody = `{"is_error":0,"version":3,"count":1,"values":[{"id":"1"}]}`

func ok200(body string) Upstream {
	return Upstream{UpstreamResponse: translate.UpstreamResponse{Status: 200, ContentType: "application/json", Body: []byte(body)}}
}

// counter is a Fetcher that counts upstream calls.
type counter struct {
	n    atomic.Int64
	resp Upstream
	err  error
}

func (c *counter) fetch(ctx context.Context) (Upstream, error) {
	c.n.Add(1)
	return c.resp, c.err
}

func newTestCache(t *testing.T, cfg Config) (*Cache, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	cfg.Now = clock.Now
	c, err := New(cfg, NewMemoryStore(8<<20, clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	return c, clock
}

func TestServeMissStoreHit(t *testing.T) {
	c, clock := newTestCache(t, Config{DefaultTTL: time.Minute})
	ctx := context.Background()
	up := &counter{resp: ok200(okBody)}
	call := jsonCall(t, "Contact", "get", `{"sequential":1}`)

	out := c.Serve(ctx, c.Prepare(call, 5), up.fetch)
	if got := out.Status.String(); got != "Civigate; fwd=miss; fwd-status=200; stored" {
		t.Fatalf("first: %s", got)
	}
	out = c.Serve(ctx, c.Prepare(call, 5), up.fetch)
	if got := out.Status.String(); got != "Civigate; hit" || string(out.Response.Body) != okBody || !out.FromCache {
		t.Fatalf("second: %s %q", got, out.Response.Body)
	}
	if out.Response.ContentType != "application/json" || out.Response.Status != 200 {
		t.Fatalf("hit response: %+v", out.Response)
	}
	if up.n.Load() != 1 {
		t.Fatalf("%d upstream calls", up.n.Load())
	}
	// Another principal misses.
	if out = c.Serve(ctx, c.Prepare(call, 6), up.fetch); out.Status.Hit {
		t.Fatal("other principal hit")
	}
	// Expiry with the fake clock.
	clock.Advance(time.Minute)
	if out = c.Serve(ctx, c.Prepare(call, 5), up.fetch); out.Status.Hit {
		t.Fatal("hit after TTL")
	}
}

// A caller that looks a request up itself answers a fresh hit from
// Result.FreshHit, without a Fetcher, and hands anything else to
// ServeLookedUp, which then does what Serve would: the miss stores under
// the generations the lookup saw, the stale entry is served for
// revalidation.
func TestServeLookedUp(t *testing.T) {
	c, clock := newTestCache(t, Config{DefaultTTL: 10 * time.Second, StaleWhileRevalidate: 5 * time.Second})
	ctx := context.Background()
	up := &counter{resp: ok200(okBody)}
	call := jsonCall(t, "Contact", "get", `{"id":2}`)
	serve := func() (Outcome, bool) {
		r := c.Prepare(call, 5)
		res := c.Lookup(ctx, r)
		if out, ok := res.FreshHit(); ok {
			return out, true
		}
		return c.ServeLookedUp(ctx, r, res, up.fetch), false
	}
	for i, want := range []struct {
		status     string
		fresh      bool
		upstream   int64
		revalidate bool
	}{
		{"Civigate; fwd=miss; fwd-status=200; stored", false, 1, false},
		{"Civigate; hit", true, 1, false},
		{"Civigate; hit; detail=stale-while-revalidate", false, 1, true},
	} {
		if i == 2 {
			clock.Advance(12 * time.Second)
		}
		out, fresh := serve()
		if out.Status.String() != want.status || fresh != want.fresh || up.n.Load() != want.upstream ||
			out.Revalidate != want.revalidate || string(out.Response.Body) != okBody || out.Err != nil {
			t.Fatalf("request %d: %s, fresh %v, %d upstream calls, %+v", i, out.Status, fresh, up.n.Load(), out)
		}
	}
	if _, ok := (Result{State: Stale}).FreshHit(); ok {
		t.Error("a stale result is a fresh hit")
	}
}

func TestServeBypass(t *testing.T) {
	c, _ := newTestCache(t, Config{})
	up := &counter{resp: ok200(`{"is_error":0,"id":3}`)}
	out := c.Serve(context.Background(), c.Prepare(jsonCall(t, "Contact", "create", `{}`), 1), up.fetch)
	if got := out.Status.String(); got != "Civigate; fwd=bypass; detail=write" {
		t.Fatal(got)
	}
}

func TestStorable(t *testing.T) {
	cases := []struct {
		name   string
		up     Upstream
		action string
		want   bool
	}{
		{"success", ok200(okBody), "get", true},
		{"getvalue", ok200(`{"is_error":0,"result":"x"}`), "getvalue", true},
		{"getcount", ok200(`{"is_error":0,"result":3}`), "getcount", true},
		{"getsingle is_error last", ok200(`{"id":"1","display_name":"A","is_error":0}`), "getsingle", true},
		{"getsingle hierarchical", ok200(`{"id":"1","api.Email.get":{"count":0}}`), "getsingle", true},
		{"no is_error on get", ok200(`{"version":3,"count":0}`), "get", false},
		{"error", ok200(`{"is_error":1,"error_message":"x"}`), "get", false},
		{"getsingle error", ok200(`{"count":0,"is_error":1,"error_message":"Expected one Contact but found 0"}`), "getsingle", false},
		{"is_error string", ok200(`{"is_error":"0"}`), "get", false},
		{"is_error twice", ok200(`{"is_error":0,"is_error":1}`), "get", false},
		{"nested is_error only", ok200(`{"values":{"is_error":0}}`), "get", false},
		{"warning before JSON", ok200(`Warning: x{"is_error":0}`), "get", false},
		{"not JSON", ok200(`<html>`), "get", false},
		{"list", ok200(`[{"is_error":0}]`), "get", false},
		{"500", Upstream{UpstreamResponse: translate.UpstreamResponse{Status: 500, Body: []byte(okBody)}}, "get", false},
		{"too large", ok200(`{"is_error":0,"x":"` + strings.Repeat("a", 2000) + `"}`), "get", false},
	}
	for _, tc := range cases {
		got, _ := storable(tc.up, Decision{Action: tc.action}, 1000)
		if got != tc.want {
			t.Errorf("%s: storable = %v", tc.name, got)
		}
	}
}

func TestInvalidationGroups(t *testing.T) {
	c, _ := newTestCache(t, Config{Groups: [][]string{{"Contribution", "ContributionRecur"}}})
	ctx := context.Background()
	up := &counter{resp: ok200(okBody)}
	reads := map[string]*translate.Call{
		"Contact":      jsonCall(t, "Contact", "get", ``),
		"Email":        jsonCall(t, "Email", "get", ``),
		"Membership":   jsonCall(t, "Membership", "get", ``),
		"Activity":     jsonCall(t, "Activity", "get", ``),
		"Contribution": jsonCall(t, "Contribution", "get", ``),
		"chainPhone":   jsonCall(t, "Activity", "get", `{"api.Phone.get":{}}`),
	}
	fill := func() {
		for _, call := range reads {
			c.Serve(ctx, c.Prepare(call, 1), up.fetch)
		}
	}
	hits := func() map[string]bool {
		out := map[string]bool{}
		for name, call := range reads {
			out[name] = c.Lookup(ctx, c.Prepare(call, 1)).State == Fresh
		}
		return out
	}
	fill()
	for name, hit := range hits() {
		if !hit {
			t.Fatalf("%s not cached", name)
		}
	}
	// A chained Email write inside a read invalidates the Contact family
	// (and the Activity read that chained a Phone read), and APIv3's
	// Contribution.get and Activity.get, which return their contact's
	// display_name (an email where the contact has no name; Activity.get
	// its source contact's, always), not Membership.
	if err := c.Invalidate(ctx, jsonCall(t, "Activity", "get", `{"api.Email.create":{"email":"x@y"}}`)); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"Contact": false, "Email": false, "Membership": true, "Activity": false, "Contribution": false, "chainPhone": false}
	if got := hits(); !equalMaps(got, want) {
		t.Fatalf("after Email write: %v", got)
	}
	fill()
	_ = c.Invalidate(ctx, jsonCall(t, "ContributionRecur", "create", `{}`))
	want = map[string]bool{"Contact": true, "Email": true, "Membership": true, "Activity": true, "Contribution": false, "chainPhone": true}
	if got := hits(); !equalMaps(got, want) {
		t.Fatalf("after ContributionRecur write: %v", got)
	}
	fill()
	_ = c.Invalidate(ctx, jsonCall(t, "OptionValue", "create", `{}`)) // global
	if got := hits(); !equalMaps(got, map[string]bool{"Contact": false, "Email": false, "Membership": false, "Activity": false, "Contribution": false, "chainPhone": false}) {
		t.Fatalf("after OptionValue write: %v", got)
	}
	// Writes that act on other entities (attack round 4, F11): an action
	// that is not plain CRUD, or plain CRUD on an entity whose writes act
	// on others, invalidate everything.
	for _, w := range []*translate.Call{
		jsonCall(t, "Profile", "submit", `{"profile_id":1,"contact_id":3}`),
		jsonCall(t, "Contribution", "completetransaction", `{"id":1}`),
		jsonCall(t, "Contribution", "create", `{"id":1,"contribution_status_id":1}`),
		jsonCall(t, "Order", "create", `{}`),
	} {
		fill()
		_ = c.Invalidate(ctx, w)
		if got := hits(); !equalMaps(got, map[string]bool{"Contact": false, "Email": false, "Membership": false, "Activity": false, "Contribution": false, "chainPhone": false}) {
			t.Fatalf("after %s.%s: %v", w.Entity, w.Action, got)
		}
	}
	// A read invalidates nothing.
	fill()
	_ = c.Invalidate(ctx, jsonCall(t, "Contact", "get", `{"api.Email.get":{}}`))
	for name, hit := range hits() {
		if !hit {
			t.Fatalf("read invalidated %s", name)
		}
	}
}

func equalMaps(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestPurge(t *testing.T) {
	c, _ := newTestCache(t, Config{Shared: []string{"*.getfields"}})
	ctx := context.Background()
	up := &counter{resp: ok200(okBody)}
	// With a return of their own: Contact.get's default return holds the
	// primary e-mail, an Email read a purge of Email reaches.
	contact1 := c.Prepare(jsonCall(t, "Contact", "get", `{"return":"display_name"}`), 1)
	contact2 := c.Prepare(jsonCall(t, "Contact", "get", `{"return":"display_name"}`), 2)
	email2 := c.Prepare(jsonCall(t, "Email", "get", ``), 2)
	fields := c.Prepare(jsonCall(t, "Contact", "getfields", ``), 1)
	all := []*Request{contact1, contact2, email2, fields}
	fill := func() {
		for _, r := range all {
			c.Serve(ctx, r, up.fetch)
		}
	}
	state := func() []bool {
		var out []bool
		for _, r := range all {
			out = append(out, c.Lookup(ctx, r).State == Fresh)
		}
		return out
	}
	fill()
	_ = c.PurgeContact(ctx, 2)
	if got := state(); !equalBools(got, []bool{true, false, false, true}) {
		t.Fatalf("purge contact: %v", got)
	}
	fill()
	_ = c.PurgeEntity(ctx, "email")
	if got := state(); !equalBools(got, []bool{true, true, false, true}) {
		t.Fatalf("purge entity: %v", got)
	}
	fill()
	_ = c.PurgeAll(ctx)
	if got := state(); !equalBools(got, []bool{false, false, false, false}) {
		t.Fatalf("purge all: %v", got)
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A write that lands while a read's fetch is in flight must not let the
// read's (possibly pre-write) answer be served afterwards.
func TestWriteDuringFetchOrphansEntry(t *testing.T) {
	c, _ := newTestCache(t, Config{})
	ctx := context.Background()
	call := jsonCall(t, "Contact", "get", ``)
	r := c.Prepare(call, 1)
	out := c.Serve(ctx, r, func(ctx context.Context) (Upstream, error) {
		_ = c.Invalidate(ctx, jsonCall(t, "Email", "create", `{}`))
		return ok200(okBody), nil
	})
	if !out.Status.Stored {
		t.Fatalf("not stored: %s", out.Status)
	}
	if got := c.Lookup(ctx, c.Prepare(call, 1)); got.State != Miss {
		t.Fatal("entry fetched before a write is served after it")
	}
}

func TestStaleWindows(t *testing.T) {
	c, clock := newTestCache(t, Config{DefaultTTL: 10 * time.Second, StaleWhileRevalidate: 5 * time.Second, StaleIfError: 20 * time.Second})
	ctx := context.Background()
	call := jsonCall(t, "Contact", "get", ``)
	good := &counter{resp: ok200(okBody)}
	down := &counter{err: errors.New("connection refused")}
	broken := &counter{resp: Upstream{UpstreamResponse: translate.UpstreamResponse{Status: 502, Body: []byte("bad gateway")}}}

	c.Serve(ctx, c.Prepare(call, 1), good.fetch)
	clock.Advance(12 * time.Second) // 2s into stale_while_revalidate
	r := c.Prepare(call, 1)
	out := c.Serve(ctx, r, good.fetch)
	if !out.Revalidate || !out.FromCache || out.Status.String() != "Civigate; hit; detail=stale-while-revalidate" {
		t.Fatalf("stale: %+v %s", out, out.Status)
	}
	if good.n.Load() != 1 {
		t.Fatal("stale serve went upstream")
	}
	if err := c.Revalidate(context.Background(), r, good.fetch); err != nil {
		t.Fatal(err)
	}
	if out = c.Serve(ctx, c.Prepare(call, 1), good.fetch); out.Status.String() != "Civigate; hit" {
		t.Fatalf("after revalidate: %s", out.Status)
	}

	clock.Advance(25 * time.Second) // 15s stale: past SWR, within SIE
	out = c.Serve(ctx, c.Prepare(call, 1), down.fetch)
	if !out.FromCache || out.Err != nil || string(out.Response.Body) != okBody ||
		out.Status.String() != "Civigate; fwd=stale; detail=stale-if-error" {
		t.Fatalf("stale-if-error (transport): %+v %s", out, out.Status)
	}
	out = c.Serve(ctx, c.Prepare(call, 1), broken.fetch)
	if !out.FromCache || out.Status.String() != "Civigate; fwd=stale; fwd-status=502; detail=stale-if-error" {
		t.Fatalf("stale-if-error (502): %s", out.Status)
	}
	// Within SIE a working upstream refreshes the entry.
	out = c.Serve(ctx, c.Prepare(call, 1), good.fetch)
	if out.FromCache || out.Status.String() != "Civigate; fwd=stale; fwd-status=200; stored" {
		t.Fatalf("refresh within SIE: %s", out.Status)
	}
	clock.Advance(40 * time.Second) // past everything
	out = c.Serve(ctx, c.Prepare(call, 1), down.fetch)
	if out.FromCache || out.Err == nil || out.Status.String() != "Civigate; fwd=miss; detail=upstream-error" {
		t.Fatalf("past SIE: %+v %s", out, out.Status)
	}
	// An invalidated entry is never served stale.
	c.Serve(ctx, c.Prepare(call, 1), good.fetch)
	clock.Advance(11 * time.Second)
	_ = c.PurgeEntity(ctx, "Contact")
	if out = c.Serve(ctx, c.Prepare(call, 1), down.fetch); out.FromCache {
		t.Fatal("invalidated entry served as stale")
	}
}

func TestCoalescing(t *testing.T) {
	c, _ := newTestCache(t, Config{})
	call := jsonCall(t, "Contact", "get", ``)
	release := make(chan struct{})
	var calls atomic.Int64
	fetch := func(ctx context.Context) (Upstream, error) {
		calls.Add(1)
		<-release
		return ok200(okBody), nil
	}
	const n = 50
	var wg sync.WaitGroup
	outs := make([]Outcome, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i] = c.Serve(context.Background(), c.Prepare(call, 1), fetch)
		}()
	}
	// Let everyone join the flight before the upstream answers.
	waitFor(t, func() bool {
		flights, waiters := c.flights.flights.InFlight()
		return flights == 1 && waiters == n-1
	})
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("%d upstream calls for %d concurrent misses", calls.Load(), n)
	}
	stored, collapsed := 0, 0
	for _, o := range outs {
		if string(o.Response.Body) != okBody {
			t.Fatalf("body %q", o.Response.Body)
		}
		if o.Status.Stored {
			stored++
		}
		if o.Status.Collapsed {
			collapsed++
		}
	}
	if stored != 1 || collapsed != n-1 {
		t.Fatalf("stored %d collapsed %d", stored, collapsed)
	}
}

// Concurrent misses share an upstream request only when theirs would be
// the same: one method (a HEAD's answer has no body), one contact, one
// kind of credential. A caller without a stateless credential (Anonymous:
// its call runs on its own session) shares with nobody and never fills
// an entry, not even a shared one, though it reads one.
func TestCoalescingByCaller(t *testing.T) {
	c, clock := newTestCache(t, Config{Shared: []string{"Contact.getfields"}, StaleWhileRevalidate: time.Minute})
	fields := jsonCall(t, "Contact", "getfields", ``)
	head := jsonCall(t, "Contact", "getfields", ``)
	head.Method = http.MethodHead
	admin, jwtAdmin, user := Caller{ContactID: 2, Credential: "api_key"}, Caller{ContactID: 2, Credential: "jwt"}, Caller{ContactID: 7, Credential: "api_key"}
	anon := Caller{ContactID: Anonymous}
	type flight struct {
		name  string
		call  *translate.Call
		who   Caller
		joins bool // shares the first request's upstream answer
	}
	for _, first := range []flight{{"admin", fields, admin, false}, {"anonymous", fields, anon, false}} {
		t.Run("first "+first.name, func(t *testing.T) {
			_ = c.PurgeAll(context.Background())
			release := make(chan struct{})
			var calls atomic.Int64
			fetchAs := func(name string) Fetcher {
				return func(ctx context.Context) (Upstream, error) {
					calls.Add(1)
					<-release
					return ok200(`{"is_error":0,"values":{"for":"` + name + `"}}`), nil
				}
			}
			others := []flight{
				{"same admin, same credential", fields, admin, first.who == admin},
				{"same admin, a JWT", fields, jwtAdmin, false},
				{"another contact", fields, user, false},
				{"anonymous", fields, anon, false},
				{"a HEAD", head, admin, false},
			}
			// Every fetch waits until all have looked up and are fetching,
			// or waiting for another's fetch.
			outs := make([]Outcome, len(others)+1)
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[0] = c.Serve(context.Background(), c.PrepareFor(first.call, first.who), fetchAs(first.name))
			}()
			waitFor(t, func() bool { return calls.Load() == 1 })
			for i, o := range others {
				wg.Add(1)
				go func() {
					defer wg.Done()
					outs[i+1] = c.Serve(context.Background(), c.PrepareFor(o.call, o.who), fetchAs(o.name))
				}()
			}
			joiners := 0
			for _, o := range others {
				if o.joins {
					joiners++
				}
			}
			waitFor(t, func() bool {
				_, waiting := c.flights.flights.InFlight()
				return calls.Load() == int64(1+len(others)-joiners) && waiting == joiners
			})
			close(release)
			wg.Wait()
			for i, o := range others {
				want := o.name
				if o.joins {
					want = first.name
				}
				if got := string(outs[i+1].Response.Body); !strings.Contains(got, `"for":"`+want+`"`) || outs[i+1].Status.Collapsed != o.joins {
					t.Errorf("%s got %s (%s)", o.name, got, outs[i+1].Status)
				}
			}
			if first.who == anon && outs[0].Status.String() != "Civigate; fwd=miss; fwd-status=200; detail=anonymous" {
				t.Errorf("anonymous miss: %s", outs[0].Status)
			}
		})
	}

	// Only a verified caller's answer fills the shared entry; an
	// anonymous caller reads it, and a stale one is not revalidated for it.
	_ = c.PurgeAll(context.Background())
	up := &counter{resp: ok200(okBody)}
	for range 2 {
		if out := c.Serve(context.Background(), c.PrepareFor(fields, anon), up.fetch); out.Status.Hit || out.Status.Stored {
			t.Fatalf("anonymous filled the shared entry: %s", out.Status)
		}
	}
	c.Serve(context.Background(), c.PrepareFor(fields, admin), up.fetch)
	if out := c.Serve(context.Background(), c.PrepareFor(fields, anon), up.fetch); !out.Status.Hit {
		t.Fatalf("anonymous read of a shared entry: %s", out.Status)
	}
	clock.Advance(90 * time.Second)
	out := c.Serve(context.Background(), c.PrepareFor(fields, anon), up.fetch)
	if !out.Status.Hit || out.Revalidate {
		t.Fatalf("stale shared entry for an anonymous caller: %s revalidate=%v", out.Status, out.Revalidate)
	}
	n := up.n.Load()
	if err := c.Revalidate(context.Background(), c.PrepareFor(fields, anon), up.fetch); err != nil || up.n.Load() != n {
		t.Fatalf("revalidated for an anonymous caller: %v", err)
	}
	if ok, why := c.Store(context.Background(), c.PrepareFor(fields, anon), ok200(okBody)); ok || why != "anonymous" {
		t.Fatalf("anonymous Store: %v %s", ok, why)
	}
}

// A waiter that gives up (client gone) must not cancel the fetch the
// others wait for, nor the leader's own cancellation cancel it.
func TestCoalescingCancel(t *testing.T) {
	var g Group[string]
	release := make(chan struct{})
	var fetchCtxErr atomic.Value
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leaderDone := make(chan error)
	go func() {
		_, _, err := g.Do(leaderCtx, "k", func(ctx context.Context) (string, error) {
			<-release
			if ctx.Err() != nil {
				fetchCtxErr.Store(ctx.Err())
			}
			return "v", nil
		})
		leaderDone <- err
	}()
	waitFor(t, func() bool { flights, _ := g.flights.InFlight(); return flights == 1 })
	waiterCtx, cancelWaiter := context.WithCancel(context.Background())
	waiterDone := make(chan error)
	go func() { _, _, err := g.Do(waiterCtx, "k", nil); waiterDone <- err }()
	patient := make(chan string)
	go func() { v, _, _ := g.Do(context.Background(), "k", nil); patient <- v }()
	waitFor(t, func() bool { _, waiters := g.flights.InFlight(); return waiters == 2 })

	cancelWaiter()
	if err := <-waiterDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	cancelLeader()
	if err := <-leaderDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled leader: %v", err)
	}
	close(release)
	if v := <-patient; v != "v" {
		t.Fatalf("patient waiter got %q", v)
	}
	if err := fetchCtxErr.Load(); err != nil {
		t.Fatalf("fetch context was cancelled: %v", err)
	}
}

func TestCoalescingPanic(t *testing.T) {
	var g Group[int]
	_, _, err := g.Do(context.Background(), "k", func(context.Context) (int, error) { panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("panic not reported: %v", err)
	}
	if v, _, err := g.Do(context.Background(), "k", func(context.Context) (int, error) { return 1, nil }); v != 1 || err != nil {
		t.Fatal("group unusable after panic")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestStatusStrings(t *testing.T) {
	ttl := -3
	cases := map[string]Status{
		"Civigate; hit":                                              Hit(),
		"Civigate; fwd=miss; stored":                                 {Fwd: FwdMiss, Stored: true},
		"Civigate; fwd=bypass; detail=write":                         Bypass(ReasonWrite),
		"Civigate; fwd=bypass; detail=chained-write":                 Bypass(ReasonChainedWrite),
		"Civigate; fwd=miss; collapsed":                              {Fwd: FwdMiss, Collapsed: true},
		"Civigate; fwd=miss; detail=store-down":                      {Fwd: FwdMiss, Detail: DetailStoreDown},
		"Civigate; hit; ttl=-3; detail=stale-while-revalidate":       {Hit: true, TTL: &ttl, Detail: DetailStaleRevalid},
		"Civigate; fwd=stale; fwd-status=503; detail=stale-if-error": {Fwd: FwdStale, FwdStatus: http.StatusServiceUnavailable, Detail: DetailStaleIfError},
	}
	for want, s := range cases {
		if got := s.String(); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

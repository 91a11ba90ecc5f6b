package cache

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// gatedRun is a lookupBatcher's run for tests: it records every batch and
// holds each one until the test lets it go.
type gatedRun struct {
	mu      sync.Mutex
	batches []*lookupBatch
	started chan *lookupBatch
	release chan struct{}
}

func newGatedRun() *gatedRun {
	return &gatedRun{started: make(chan *lookupBatch, 100), release: make(chan struct{}, 100)}
}

func (g *gatedRun) run(b *lookupBatch) {
	g.mu.Lock()
	g.batches = append(g.batches, b)
	g.mu.Unlock()
	g.started <- b
	<-g.release
	close(b.done)
}

func later() time.Time { return time.Now().Add(time.Hour) }

// A lookup finding a free slot goes out at once, alone; lookups arriving
// while every slot is busy go out together, as one batch, when one frees.
func TestLookupBatcherJoinsWhileBusy(t *testing.T) {
	g := newGatedRun()
	q := newLookupBatcher(1, g.run)
	first, _ := q.add("k0", []string{"a"}, later())
	if b := <-g.started; b != first || len(b.keys) != 1 {
		t.Fatalf("first lookup not sent at once, alone: %+v", b)
	}
	var queued []*lookupBatch
	for i := range 20 {
		b, at := q.add(fmt.Sprintf("k%d", i%10), []string{"a", fmt.Sprintf("t%d", i%3)}, later())
		if at != i {
			t.Fatalf("lookup %d at %d", i, at)
		}
		queued = append(queued, b)
	}
	for _, b := range queued {
		if b != queued[0] || b == first {
			t.Fatal("lookups queued behind a busy slot are not one batch")
		}
	}
	g.release <- struct{}{}
	<-first.done
	b := <-g.started
	if b != queued[0] || len(b.keys) != 20 {
		t.Fatalf("second batch: %d lookups", len(b.keys))
	}
	// A GET per lookup, each field once, the epoch first.
	if !slices.Equal(b.fields.names, []string{epochField, "a", "t0", "t1", "t2"}) {
		t.Fatalf("fields %v", b.fields.names)
	}
	for i, k := range b.keys {
		if k != fmt.Sprintf("k%d", i%10) {
			t.Fatalf("key %d: %s", i, k)
		}
	}
	g.release <- struct{}{}
	q.wait()
	if len(g.batches) != 2 {
		t.Fatalf("%d batches, want 2", len(g.batches))
	}
}

// A lookup arriving before its batch was sent joins it; up to max batches
// are in flight at once; wait returns only once every one is done, and no
// flushing goroutine outlives them.
func TestLookupBatcherInFlightAndWait(t *testing.T) {
	g := newGatedRun()
	q := newLookupBatcher(2, g.run)
	a, _ := q.add("a", nil, later())
	if again, _ := q.add("a2", nil, later()); again != a {
		t.Fatal("a lookup did not join the batch about to be sent")
	}
	<-g.started
	b, _ := q.add("b", nil, later())
	if b == a {
		t.Fatal("a lookup joined a batch already sent")
	}
	<-g.started // the second slot
	c, _ := q.add("c", nil, later())
	if c == b || q.queued() != 1 {
		t.Fatal("a third batch went out with two in flight")
	}
	waited := make(chan struct{})
	go func() { q.wait(); close(waited) }()
	for range 3 {
		g.release <- struct{}{}
	}
	<-c.done
	<-waited
	if len(g.batches) != 3 || len(g.batches[0].keys) != 2 {
		t.Fatalf("%d batches", len(g.batches))
	}
	noFlushers(t)
}

// noFlushers waits until no goroutine runs a lookupBatcher's flush (one
// that has just signalled wait may still be returning).
func noFlushers(t *testing.T) {
	t.Helper()
	waitFor(t, func() bool { return flushGoroutines() == 0 })
}

// flushGoroutines counts the goroutines running a lookupBatcher's flush.
func flushGoroutines() int {
	buf := make([]byte, 1<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), "(*lookupBatcher).flush")
}

// pipelineGate is a go-redis hook recording every pipeline a client sends
// and, while hold is set, holding each until the test lets it go.
type pipelineGate struct {
	mu        sync.Mutex
	pipelines [][]string // command names of each pipeline
	hold      atomic.Bool
	release   chan struct{}
}

func newPipelineGate() *pipelineGate { return &pipelineGate{release: make(chan struct{})} }

func (h *pipelineGate) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *pipelineGate) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return next
}
func (h *pipelineGate) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		names := make([]string, len(cmds))
		for i, c := range cmds {
			names[i] = c.Name()
		}
		h.mu.Lock()
		h.pipelines = append(h.pipelines, names)
		h.mu.Unlock()
		if h.hold.Load() {
			<-h.release
		}
		return next(ctx, cmds)
	}
}

func (h *pipelineGate) sentPipelines() [][]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.pipelines)
}

// sent waits until n pipelines reached the gate.
func (h *pipelineGate) sent(t *testing.T, n int) {
	t.Helper()
	waitFor(t, func() bool { return len(h.sentPipelines()) >= n })
}

// queued is how many lookups wait in the batch being filled.
func (q *lookupBatcher) queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.filling == nil {
		return 0
	}
	return len(q.filling.keys)
}

// Concurrent lookups reach Redis as one pipeline: a GET per lookup and one
// HMGET, and every caller gets its own key's entry.
func TestRedisLookupsShareOnePipeline(t *testing.T) {
	client, prefix := testRedis(t)
	gate := newPipelineGate()
	client.AddHook(gate)
	ctx := context.Background()
	s := NewRedisStore(client, prefix, RedisOptions{Timeout: 5 * time.Second, MaxBatches: 1})
	defer s.Close()
	tags := []string{"all", "Contact"}
	_, gens, err := s.Get(ctx, "warm", tags) // the epoch
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		e := &Entry{ContentType: "application/json", Body: fmt.Appendf(nil, `{"n":%d}`, i), StoredAt: time.Now(), FreshUntil: time.Now().Add(time.Minute), Gens: gens}
		if err := s.Set(ctx, fmt.Sprint("k", i), e, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	n := len(gate.sentPipelines())
	gate.hold.Store(true)
	type got struct {
		i    int
		body string
		err  error
	}
	results := make(chan got, 21)
	lookup := func(i int, key string) {
		e, _, err := s.Get(ctx, key, tags)
		body := ""
		if e != nil {
			body = string(e.Body)
		}
		results <- got{i, body, err}
	}
	go lookup(-1, "absent") // goes out alone and is held
	gate.sent(t, n+1)
	for i := range 20 {
		go lookup(i, fmt.Sprint("k", i%10))
	}
	waitFor(t, func() bool { return s.lookups.queued() == 20 })
	close(gate.release)
	for range 21 {
		r := <-results
		want := fmt.Sprintf(`{"n":%d}`, r.i%10)
		if r.i < 0 {
			want = ""
		}
		if r.err != nil || r.body != want {
			t.Errorf("lookup %d: %q %v, want %q", r.i, r.body, r.err, want)
		}
	}
	p := gate.sentPipelines()[n:]
	wantLast := append(slices.Repeat([]string{"get"}, 20), "hmget")
	if len(p) != 2 || !slices.Equal(p[0], []string{"get", "hmget"}) || !slices.Equal(p[1], wantLast) {
		t.Fatalf("pipelines sent: %v", p)
	}
}

// A batch whose generations fail fails every lookup in it (each caller
// then goes upstream: fail open), never reading the failure as a miss; a
// GET failing alone fails only the lookups of its key.
func TestRedisBatchFailures(t *testing.T) {
	client, prefix := testRedis(t)
	gate := newPipelineGate()
	client.AddHook(gate)
	ctx := context.Background()
	s := NewRedisStore(client, prefix, RedisOptions{Timeout: 5 * time.Second, MaxBatches: 1, BreakerThreshold: 1000})
	defer s.Close()
	c, _ := New(Config{Namespace: "s", DefaultTTL: time.Minute}, s)
	up := &counter{resp: ok200(okBody)}
	call := jsonCall(t, "Contact", "get", `{"id":1}`)
	if out := c.Serve(ctx, c.Prepare(call, 1), up.fetch); !out.Status.Stored {
		t.Fatalf("not stored: %s", out.Status)
	}
	client.HSet(ctx, prefix+"e:hash", "f", "v") // GET answers WRONGTYPE
	n := len(gate.sentPipelines())
	gate.hold.Store(true)

	// A GET failing alone.
	errs := make(chan error, 4)
	get := func(key string) {
		_, _, err := s.Get(ctx, key, []string{"t"})
		errs <- err
	}
	go get("absent")
	gate.sent(t, n+1)
	go get("hash")
	go get("hash")
	go get("absent")
	waitFor(t, func() bool { return s.lookups.queued() == 3 })
	gate.release <- struct{}{}
	if err := <-errs; err != nil {
		t.Fatalf("first batch: %v", err)
	}
	gate.sent(t, n+2)
	gate.release <- struct{}{}
	failed := 0
	for range 3 {
		if err := <-errs; err != nil {
			failed++
		}
	}
	if failed != 2 {
		t.Fatalf("%d lookups failed, want the 2 of the key whose GET failed", failed)
	}

	// The generations failing: every caller goes upstream.
	client.Del(ctx, prefix+"g")
	client.Set(ctx, prefix+"g", "a string, so HMGET fails with WRONGTYPE", time.Minute)
	outs := make(chan Outcome, 6)
	serve := func() { outs <- c.Serve(ctx, c.Prepare(call, 1), up.fetch) }
	go serve()
	gate.sent(t, n+3)
	for range 5 {
		go serve()
	}
	waitFor(t, func() bool { return s.lookups.queued() == 5 })
	close(gate.release)
	for range 6 {
		out := <-outs
		if out.Status.Hit || out.Status.Detail != DetailStoreDown || string(out.Response.Body) != okBody {
			t.Errorf("generations failed: %s %q", out.Status, out.Response.Body)
		}
	}
}

// A caller waits for its batch only until its own deadline, or until its
// client goes away (which does not open the breaker); Close waits for the
// batches in flight and leaves no goroutine behind.
func TestRedisLookupOwnDeadline(t *testing.T) {
	client, prefix := testRedis(t)
	gate := newPipelineGate()
	client.AddHook(gate)
	gate.hold.Store(true)
	released := false
	defer func() {
		if !released {
			close(gate.release)
		}
	}()
	short := NewRedisStore(client, prefix, RedisOptions{Timeout: 20 * time.Millisecond, MaxBatches: 1})
	errs := make(chan error, 1)
	go func() { _, _, err := short.Get(context.Background(), "k", nil); errs <- err }()
	select {
	case err := <-errs:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("held batch: %v", err)
		}
	case <-time.After(stallBound):
		t.Fatal("a lookup waited for its batch beyond its deadline")
	}

	long := NewRedisStore(client, prefix, RedisOptions{Timeout: time.Hour, MaxBatches: 1, BreakerThreshold: 2, BreakerCooldown: time.Hour})
	for i := range 5 {
		gone, cancel := context.WithCancel(context.Background())
		go func() { _, _, err := long.Get(gone, "k", nil); errs <- err }()
		if i == 0 {
			gate.sent(t, 2) // in flight, held
		} else {
			waitFor(t, func() bool { return long.lookups.queued() == i }) // queued behind it
		}
		cancel()
		if err := <-errs; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled lookup %d: %v", i, err)
		}
	}
	if long.Down() {
		t.Fatal("clients going away opened the breaker")
	}
	close(gate.release)
	released = true
	short.Close()
	long.Close()
	noFlushers(t)
}

// A batch's keys and fields keep their first position, searched in order
// while few and through a map beyond nameSetLinear.
func TestNameSet(t *testing.T) {
	var n nameSet
	for round := range 2 {
		for i := range 3 * nameSetLinear {
			s := fmt.Sprint("name", i)
			if got := n.add(s); got != i {
				t.Fatalf("round %d: add(%s) = %d, want %d", round, s, got, i)
			}
		}
	}
	if len(n.names) != 3*nameSetLinear || n.at == nil {
		t.Fatalf("%d names, map %v", len(n.names), n.at != nil)
	}
	if n.index("absent") != -1 || n.index("name0") != 0 {
		t.Fatal("index")
	}
}

package cache

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/civigate/civigate/internal/redispipe"
)

// lookupBatcher sends concurrent lookups to Redis together (automatic
// pipelining): the lookups waiting when a batch is sent go out as one
// pipeline, so under load N lookups cost one write and one read on each
// side (and Redis one read event) instead of N, and N+1 commands instead
// of 2N. A lookup that finds fewer than max batches in flight starts a
// flusher for its batch, which sends it at once; lookups arriving while
// every slot is busy wait in the next batch, sent as soon as a slot
// frees. Each caller still waits only until its own deadline (Get); a
// batch runs until the last of its callers'.
type lookupBatcher struct {
	run func(*lookupBatch) // sends b to Redis, fills in its results, closes done
	max int

	mu       sync.Mutex
	idle     sync.Cond // signalled when nothing is in flight
	filling  *lookupBatch
	inflight int
}

// defaultLookupBatches is how many batches may be in flight at once: more
// than one lets a batch go out while another waits for a remote Redis's
// answer, few enough that under load lookups wait in a batch rather than
// each paying its own round trip.
const defaultLookupBatches = 2

func newLookupBatcher(max int, run func(*lookupBatch)) *lookupBatcher {
	if max <= 0 {
		max = defaultLookupBatches
	}
	q := &lookupBatcher{run: run, max: max}
	q.idle.L = &q.mu
	return q
}

// lookupBatch is the lookups sent in one pipeline: a GET of each one's
// entry and one HMGET of the counters' hash for the union of their tags,
// whose first field is the epoch. Lookups of one key are not merged: every
// hit still reads its entry from Redis, so a hot key costs what any other
// does and Redis's own counters still show each hit. Its results are written before done is closed and only read
// afterwards, by every caller in it.
type lookupBatch struct {
	done     chan struct{}
	deadline time.Time // the latest of its callers'
	flusher  bool      // a flusher took it on

	keys   []string // per lookup, in order of arrival
	fields nameSet  // epochField, then the distinct tags

	err     error       // a failure every lookup of the batch shares
	results []keyResult // per lookup
	gens    []genField  // per field
	// inline storage for the usual small batch
	keyBuf   [4]string
	fieldBuf [8]string
}

// keyResult is what the batch's GET for one lookup got.
type keyResult struct {
	cmd   *redis.StringCmd
	value []byte // nil when absent
	err   error  // its GET failed (on Cluster: one node of several)
}

// genField is one HMGET field as read: absent, a counter, or garbage.
type genField struct {
	g   uint64
	ok  bool
	err error
}

func newLookupBatch() *lookupBatch {
	b := &lookupBatch{done: make(chan struct{})}
	b.keys = b.keyBuf[:0]
	b.fields.names = append(b.fieldBuf[:0], epochField)
	return b
}

// nameSet is a list of distinct names (a batch's tags) with their
// positions: searched in order while short, through a map once long.
type nameSet struct {
	names []string
	at    map[string]int
}

const nameSetLinear = 16

// add returns the position of s, appending it when absent.
func (n *nameSet) add(s string) int {
	if i := n.index(s); i >= 0 {
		return i
	}
	n.names = append(n.names, s)
	switch {
	case n.at != nil:
		n.at[s] = len(n.names) - 1
	case len(n.names) > nameSetLinear:
		n.at = make(map[string]int, 2*len(n.names))
		for i, s := range n.names {
			n.at[s] = i
		}
	}
	return len(n.names) - 1
}

// index is the position of s, or -1.
func (n *nameSet) index(s string) int {
	if n.at != nil {
		if i, ok := n.at[s]; ok {
			return i
		}
		return -1
	}
	for i, x := range n.names {
		if x == s {
			return i
		}
	}
	return -1
}

// add puts a lookup of key under tags, bounded by deadline, into the batch
// being filled and returns that batch and the lookup's place in it,
// starting a flusher for the batch when a slot is free.
func (q *lookupBatcher) add(key string, tags []string, deadline time.Time) (*lookupBatch, int) {
	q.mu.Lock()
	b := q.filling
	if b == nil {
		b = newLookupBatch()
		q.filling = b
	}
	i := len(b.keys)
	b.keys = append(b.keys, key)
	if deadline.After(b.deadline) {
		b.deadline = deadline
	}
	for _, t := range tags {
		b.fields.add(t)
	}
	start := !b.flusher && q.inflight < q.max
	if start {
		b.flusher = true
		q.inflight++
	}
	q.mu.Unlock()
	if start {
		go q.flush(b)
	}
	return b, i
}

// flush sends b, then whatever batch filled meanwhile that no other
// flusher took, until none did. Before sending a batch it yields once:
// requests that arrived together and are ready to run reach their lookups
// and join it, instead of each being sent alone a moment later (with 32
// connections on one core that is most of the batching). Yielding costs
// nothing when nothing else is ready, so a lone lookup is not delayed.
func (q *lookupBatcher) flush(b *lookupBatch) {
	for b != nil {
		runtime.Gosched()
		q.mu.Lock()
		if q.filling == b {
			q.filling = nil
		}
		q.mu.Unlock()
		q.run(b)
		q.mu.Lock()
		b = q.filling
		if b != nil && !b.flusher {
			b.flusher = true
		} else {
			b = nil
			q.inflight--
			if q.inflight == 0 {
				q.idle.Broadcast()
			}
		}
		q.mu.Unlock()
	}
}

// wait returns once no batch is in flight (Close: no goroutine outlives
// the store).
func (q *lookupBatcher) wait() {
	q.mu.Lock()
	for q.inflight > 0 {
		q.idle.Wait()
	}
	q.mu.Unlock()
}

// result is what the batch got for its lookup i: the entry's value (nil
// when absent), or the failure the lookup gets instead.
func (b *lookupBatch) result(i int) ([]byte, error) {
	if b.err != nil {
		return nil, b.err
	}
	r := b.results[i]
	return r.value, r.err
}

// gen is the batch's reading of field (a tag, or epochField).
func (b *lookupBatch) gen(field string) genField { return b.gens[b.fields.index(field)] }

// runLookups sends b as one pipeline: the invalidations waiting to be
// replayed, a GET per lookup, one HMGET of every tag and the epoch. A batch
// whose callers have all given up is not sent.
func (r *RedisStore) runLookups(b *lookupBatch) {
	defer close(b.done)
	if !time.Now().Before(b.deadline) {
		b.err = context.DeadlineExceeded
		return
	}
	ctx, cancel := context.WithDeadline(r.lookupCtx, b.deadline)
	defer cancel()
	pending := r.take(r.pending)
	var sent uint64
	pipe := r.c.Pipeline()
	if len(pending) > 0 {
		sent = r.lag.sending()
		r.queueBump(ctx, pipe, pending)
	}
	b.results = make([]keyResult, len(b.keys))
	for i, k := range b.keys {
		b.results[i].cmd = pipe.Get(ctx, r.entryKey(k))
	}
	gcmd := pipe.HMGet(ctx, r.genKey, b.fields.names...)
	cmds, err := pipe.Exec(ctx)
	if b.err = redispipe.Failure(cmds, err); b.err != nil && !b.onlyGetsFailed(cmds) {
		// The bumps may or may not have run: replaying one only costs a miss.
		r.add(r.pending, pending)
		return
	}
	b.err = nil
	if len(pending) > 0 {
		r.lag.landed(pending, sent)
		if r.hasReplicas() {
			r.add(r.unconfirmed, pending)
		}
	}
	vals := gcmd.Val()
	if len(vals) != len(b.fields.names) {
		b.err = errors.New("cache: generation counters missing from Redis's answer")
		return
	}
	b.gens = make([]genField, len(vals))
	for i, v := range vals {
		g := &b.gens[i]
		g.g, g.ok, g.err = genValue(v)
	}
	for i := range b.results {
		k := &b.results[i]
		if k.err == nil && k.cmd.Err() == nil {
			k.value, _ = k.cmd.Bytes()
		}
		k.cmd = nil
	}
}

// onlyGetsFailed reports whether every command of a failed pipeline but
// some of the GETs answered (on Cluster the GETs of one batch go to
// several nodes, one of which may be failing over), recording each GET's
// failure: then only the lookups of those keys fail.
func (b *lookupBatch) onlyGetsFailed(cmds []redis.Cmder) bool {
	failed := 0
	for i := range b.results {
		k := &b.results[i]
		if e := k.cmd.Err(); e != nil && !errors.Is(e, redis.Nil) {
			k.err = e
			failed++
		}
	}
	all := 0
	for _, c := range cmds {
		if e := c.Err(); e != nil && !errors.Is(e, redis.Nil) {
			all++
		}
	}
	return failed > 0 && all == failed
}

package cache

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// GenWatch knows the generation of one counter of a RedisStore (a tag,
// bumped by Invalidate like any other) without asking Redis on every use:
// it learns the value once, then keeps it until an invalidation message
// naming the tag arrives on the store's channel (the one every
// Invalidate publishes on, from every instance: the memory tiers'
// coherence), or until the subscription breaks. While the subscription is
// not confirmed, a value learned is trusted for genUnsubscribedTrust only.
//
// Civigate numbers the lifetimes of remembered credential verdicts with
// one (VerdictTag): a verdict is stored under the generation current when
// CiviCRM was asked, so bumping it makes every older verdict unreachable
// on every instance at once.
type GenWatch struct {
	r   *RedisStore
	tag string
	now func() time.Time

	mu    sync.Mutex
	gen   uint64
	known bool
	at    time.Time // when gen was learned
	epoch uint64    // bumped by every message naming tag, and by resets
	live  bool      // subscription confirmed and unbroken
	// lagGen is the generation while the counter is known to be behind
	// (behind.go): a random one, drawn again whenever the tag is bumped,
	// under which nothing was remembered before.
	lagGen uint64

	listen *invalidationListener
}

// genUnsubscribedTrust is how long a generation learned while no
// invalidation message could arrive is used before it is asked again.
const genUnsubscribedTrust = time.Second

// NewGenWatch starts watching tag of r; Close stops it.
func NewGenWatch(r *RedisStore, tag string) *GenWatch { return NewGenWatches(r, tag)[0] }

// NewGenWatches starts watching each tag of r, in order, on one
// subscription (each GenWatch hears every message): Close of any of them
// stops it for all.
func NewGenWatches(r *RedisStore, tags ...string) []*GenWatch {
	gs := make(genWatches, len(tags))
	for i, tag := range tags {
		gs[i] = &GenWatch{r: r, tag: tag, now: time.Now, lagGen: rand.Uint64()}
	}
	l := listenInvalidations(r, "verdict_subscribe", gs)
	for _, g := range gs {
		g.listen = l
	}
	return gs
}

// genWatches follow one subscription together.
type genWatches []*GenWatch

func (gs genWatches) reset(live bool) {
	for _, g := range gs {
		g.reset(live)
	}
}

func (gs genWatches) forget(tags []string) {
	for _, g := range gs {
		g.forget(tags)
	}
}

// Close stops the subscription (of every GenWatch sharing it).
func (g *GenWatch) Close() error { return g.listen.Close() }

// forget: a message naming the tag makes the generation unknown (it was
// bumped); messages may also name many other tags.
func (g *GenWatch) forget(tags []string) {
	for _, t := range tags {
		if t == g.tag {
			g.reset(g.isLive())
			return
		}
	}
}

func (g *GenWatch) isLive() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.live
}

func (g *GenWatch) reset(live bool) {
	g.mu.Lock()
	g.live, g.known = live, false
	g.epoch++
	g.lagGen = rand.Uint64()
	g.mu.Unlock()
}

// Known is the generation when it is known without asking Redis.
func (g *GenWatch) Known() (uint64, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.known && (g.live || g.now().Sub(g.at) < genUnsubscribedTrust) {
		return g.gen, true
	}
	return 0, false
}

// Current is the generation: the known one, or Redis's (one round trip,
// after a bump or a broken subscription). While the counter is known to
// be behind a bump Redis did not record (this instance's own Forget, or
// another's it heard of), it is a generation under which nothing is
// remembered, so every credential is asked about again (a random one,
// drawn again at each bump: what is asked under it was asked after the
// change). When Redis cannot say otherwise, it is the last one learned:
// remembered verdicts fail open, as their store does (a bump Redis did
// not take is replayed by the instance that made it, and reaches the
// others when it lands).
func (g *GenWatch) Current(ctx context.Context) uint64 {
	if gen, ok := g.Known(); ok {
		return gen
	}
	g.mu.Lock()
	epoch, last, lag := g.epoch, g.gen, g.lagGen
	g.mu.Unlock()
	at := g.now()
	gen, err := g.r.Generation(ctx, g.tag)
	if err != nil {
		if errors.Is(err, ErrBehind) || g.r.lag.lagging(g.tag) {
			return lag
		}
		return last
	}
	g.mu.Lock()
	// Learn only if no bump was heard of while Redis was asked.
	if g.epoch == epoch {
		g.gen, g.known, g.at = gen, true, at
	}
	g.mu.Unlock()
	return gen
}

// Forget bumps the generation on every instance sharing the store (an
// invalidation of the tag: replayed if Redis does not take it now).
func (g *GenWatch) Forget(ctx context.Context) error {
	err := g.r.Invalidate(ctx, g.tag)
	g.mu.Lock()
	g.known = false
	g.epoch++
	g.lagGen = rand.Uint64()
	g.mu.Unlock()
	return err
}

// Generation reads one counter: its value mixed with the counters' epoch,
// as Get reads the generations of an entry's tags.
func (r *RedisStore) Generation(ctx context.Context, tag string) (uint64, error) {
	if !r.br.allow() {
		return 0, ErrStoreDown
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(WithRedisOp(ctx, "verdict_generation"), r.timeout)
	defer cancel()
	vals, err := r.c.HMGet(ctx, r.genKey, epochField, tag).Result()
	r.br.finish(parent, err)
	if err != nil {
		return 0, err
	}
	epoch, ok, err := genValue(vals[0])
	if err == nil && !ok {
		epoch, err = r.newEpoch(ctx)
	}
	if err != nil {
		return 0, err
	}
	n, _, err := genValue(vals[1])
	if err != nil {
		return 0, err
	}
	if r.lag.behind(tag, epoch, n) {
		return 0, ErrBehind
	}
	return epoch + n, nil
}

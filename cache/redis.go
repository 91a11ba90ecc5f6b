package cache

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/civigate/civigate/internal/redispipe"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// RedisOptions tune a RedisStore. Zero values take the defaults.
type RedisOptions struct {
	// Timeout bounds every request-path operation (default 10ms): a slow
	// Redis must cost a request at most this, then it is a miss.
	Timeout time.Duration
	// BreakerThreshold consecutive failures open the breaker (default 5)
	// for BreakerCooldown (default 500ms); then one probe is let through.
	BreakerThreshold int
	BreakerCooldown  time.Duration
	// ReplayEvery is how often the background loop retries invalidations
	// Redis did not take or no replica confirmed (default 200ms).
	ReplayEvery time.Duration
	// OnDown learns when the store starts being skipped (true) and when it
	// is used again (false).
	OnDown func(down bool)
	// OnMasterChange learns that the master holding the generation
	// counters is no longer the one it was (a failover or a restart).
	OnMasterChange func()
	// OutageGrace is how long, after the store was skipped for failing
	// and answers again, entries stored before it answered again are
	// misses (default 1s): long enough for the other instances to replay
	// the invalidations Redis could not take meanwhile.
	OutageGrace time.Duration
	// MaxBatches bounds how many batches of lookups are in flight at once
	// (default 2); lookups arriving meanwhile are sent together in the
	// next one.
	MaxBatches int
	// Retention is the longest an entry or a remembered verdict of the
	// store lives (default 10 minutes): how long a counter known to be
	// behind (behind.go) is distrusted when its bump is never seen in
	// Redis (its writer died before Redis took it).
	Retention time.Duration
	// Now is the breaker's clock (default time.Now).
	Now func() time.Time
}

// RedisStore keeps entries and generation counters in Redis, so every
// instance sharing the Redis sees the same entries and invalidations.
//
// Keys: <prefix>e:<hex sha256> for entries (spread over every Cluster
// slot; the hash is Key's, so the site an entry is bound to, like its
// principal, only changes which name it has, never the layout); one hash
// <prefix>g for every generation counter of the store (namespace-wide, not
// per site: a write through one host invalidates every host's entries), so
// an invalidation is one round trip to one master, whatever the topology,
// and can wait for that master's replica (WAIT) before it is acknowledged.
// The hash also holds a random epoch mixed into every generation: if the
// hash is lost (a restart without persistence, an eviction, a failover to
// a replica that never had it), the new epoch makes every older entry a
// miss instead of bringing back answers a lost counter had invalidated.
//
// Lookups running at the same time share one pipeline (lookupBatcher):
// each hit is still a GET of its entry and the generations it needs, read
// in the same round trip, but concurrent hits pay one round trip between
// them.
//
// Invalidations Redis did not take are kept and retried by a background
// loop every ReplayEvery until Redis takes them, so a write made during an
// outage reaches the other instances as soon as Redis is reachable again,
// even if this instance serves nothing more; and an instance whose store
// was failing distrusts entries stored before it answered again for
// OutageGrace, the time the others need to replay theirs. Invalidations no
// replica confirmed within the deadline are bumped again (until one does),
// so a failover cannot lose them. While Redis refuses writes but answers
// reads, the counters an invalidation could not bump are known to be
// behind, here and, through the invalidation channel, on every instance
// that hears it: the reads depending on them are misses until Redis
// shows the bump (behind.go).
type RedisStore struct {
	c       redis.UniversalClient
	cluster *redis.ClusterClient // set on Cluster
	watch   *RedisWatch          // set for clients built by NewRedisClient
	prefix  string
	genKey  string
	channel string // invalidation messages, for memory tiers
	timeout time.Duration
	every   time.Duration
	br      *breaker
	grace   time.Duration

	onMasterChange func()
	// lookups batches concurrent Gets; lookupCtx names their operation.
	lookups   *lookupBatcher
	lookupCtx context.Context
	// recoveredAt is when the breaker last closed (unix nanoseconds).
	recoveredAt atomic.Int64
	// lag is the counters known to be behind; listen hears the other
	// instances' invalidations that did not land.
	lag    *lagSet
	listen *invalidationListener

	mu sync.Mutex
	// pending are invalidations Redis did not take; unconfirmed reached
	// the master but no replica confirmed them yet.
	pending, unconfirmed map[string]struct{}
	// replicas of the master holding the counters and its replication id,
	// as last asked (replicas < 0: not known yet).
	replicas int
	replID   string

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

const (
	epochField = "@epoch"
	// backgroundTimeout bounds one operation of the background loop: it
	// delays no request, so it may wait longer than the request path.
	backgroundTimeout = 500 * time.Millisecond
	// replayWait is how long a background replay waits for a replica.
	replayWait   = 250 * time.Millisecond
	checkEvery   = time.Second
	defaultEvery = 200 * time.Millisecond
	// defaultRetention outlasts the default ttl and verdict_ttl.
	defaultRetention = 10 * time.Minute
)

// NewRedisStore wraps a client that the caller owns (and may share
// across config reloads: the store never closes it). Close stops the
// store's background loop.
func NewRedisStore(client redis.UniversalClient, prefix string, o RedisOptions) *RedisStore {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Millisecond
	}
	if o.ReplayEvery <= 0 {
		o.ReplayEvery = defaultEvery
	}
	if o.OutageGrace <= 0 {
		o.OutageGrace = time.Second
	}
	if o.Retention <= 0 {
		o.Retention = defaultRetention
	}
	r := &RedisStore{
		c:              client,
		prefix:         prefix,
		genKey:         prefix + "g",
		channel:        prefix + "invalidate",
		timeout:        o.Timeout,
		every:          o.ReplayEvery,
		br:             newBreaker(o.BreakerThreshold, o.BreakerCooldown, o.Now),
		grace:          o.OutageGrace,
		onMasterChange: o.OnMasterChange,
		pending:        make(map[string]struct{}),
		unconfirmed:    make(map[string]struct{}),
		replicas:       -1,
		lag:            newLagSet(o.Retention),
		stop:           make(chan struct{}),
		done:           make(chan struct{}),
	}
	r.lookups = newLookupBatcher(o.MaxBatches, r.runLookups)
	r.lookupCtx = WithRedisOp(context.Background(), "cache_get")
	r.br.onChange = func(open bool) {
		if !open {
			r.recoveredAt.Store(time.Now().UnixNano())
		}
		if o.OnDown != nil {
			o.OnDown(open)
		}
	}
	base := client
	if rc, ok := client.(*RedisClient); ok {
		r.watch, base = rc.Watcher, rc.UniversalClient
	}
	r.cluster, _ = base.(*redis.ClusterClient)
	r.listen = listenInvalidations(r, "cache_subscribe", lagFollower{})
	go r.loop()
	return r
}

// Close stops the background loop after one last try at what is still
// pending (a config reload must not drop a write's invalidation), and
// waits for the lookups in flight (at most their deadline).
func (r *RedisStore) Close() error {
	r.closeOnce.Do(func() {
		close(r.stop)
		<-r.done
		r.lookups.wait()
		r.replay()
		_ = r.listen.Close()
	})
	return nil
}

func (r *RedisStore) entryKey(key string) string { return r.prefix + "e:" + key }

// Down reports whether the breaker is currently skipping Redis.
func (r *RedisStore) Down() bool { return r.br.open() }

// take empties set and returns what it held.
func (r *RedisStore) take(set map[string]struct{}) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(set) == 0 {
		return nil
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	clear(set)
	return out
}

func (r *RedisStore) add(set map[string]struct{}, tags []string) {
	r.mu.Lock()
	for _, t := range tags {
		set[t] = struct{}{}
	}
	r.mu.Unlock()
}

// hasReplicas reports whether invalidations must wait for a replica.
func (r *RedisStore) hasReplicas() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.replicas > 0
}

// Get implements Store: one pipelined round trip (replayed invalidations,
// the entry, the tag generations and the epoch), shared with the lookups
// that run at the same time (lookupBatcher). It waits for the batch at
// most until its own deadline.
func (r *RedisStore) Get(ctx context.Context, key string, tags []string) (*Entry, []uint64, error) {
	if !r.br.allow() {
		return nil, nil, ErrStoreDown
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	deadline, _ := ctx.Deadline()
	b, i := r.lookups.add(key, tags, deadline)
	select {
	case <-b.done:
	case <-ctx.Done():
		r.br.finish(parent, ctx.Err())
		return nil, nil, ctx.Err()
	}
	v, err := b.result(i)
	if err != nil {
		r.br.finish(parent, err)
		return nil, nil, err
	}
	r.br.done(true)
	ep := b.gen(epochField)
	epoch, err := ep.g, ep.err
	if err == nil && !ep.ok {
		epoch, err = r.newEpoch(WithRedisOp(ctx, "cache_get"))
	}
	if err != nil {
		return nil, nil, err
	}
	gens := make([]uint64, len(tags))
	for i, t := range tags {
		f := b.gen(t)
		if f.err != nil {
			return nil, nil, f.err
		}
		if r.lag.behind(t, epoch, f.g) {
			return nil, nil, ErrBehind
		}
		gens[i] = epoch + f.g
	}
	if v == nil {
		return nil, gens, nil
	}
	e, err := decodeEntry(v)
	if err != nil || r.distrusted(e) {
		return nil, gens, nil // a foreign or old-format value, or suspect: a miss
	}
	return e, gens, nil
}

// distrusted reports whether e was stored before the store answered again
// after an outage, less than the grace ago: an invalidation another
// instance could not send meanwhile may not have reached Redis yet.
func (r *RedisStore) distrusted(e *Entry) bool {
	at := r.recoveredAt.Load()
	if at == 0 || time.Since(time.Unix(0, at)) >= r.grace {
		return false
	}
	return e.StoredAt.Before(time.Unix(0, at))
}

// genValue reads one HMGET answer: absent (0, false), a counter, or garbage.
func genValue(v any) (uint64, bool, error) {
	if v == nil {
		return 0, false, nil
	}
	s, _ := v.(string)
	g, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false, errors.New("cache: bad generation counter")
	}
	return g, true, nil
}

// newEpoch gives the counters' hash an epoch if it has none (first use, or
// the hash was lost) and returns the epoch it has.
func (r *RedisStore) newEpoch(ctx context.Context) (uint64, error) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	mine := binary.BigEndian.Uint64(b[:]) >> 1
	pipe := r.c.Pipeline()
	pipe.HSetNX(ctx, r.genKey, epochField, mine)
	cur := pipe.HGet(ctx, r.genKey, epochField)
	cmds, err := pipe.Exec(ctx)
	if err = redispipe.Failure(cmds, err); err != nil {
		return 0, err
	}
	return cur.Uint64()
}

// Set implements Store.
func (r *RedisStore) Set(ctx context.Context, key string, e *Entry, ttl time.Duration) error {
	if ttl <= 0 {
		return nil
	}
	if !r.br.allow() {
		return ErrStoreDown
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(WithRedisOp(ctx, "cache_set"), r.timeout)
	defer cancel()
	err := r.c.Set(ctx, r.entryKey(key), e.encode(), ttl).Err()
	r.br.finish(parent, err)
	return err
}

// Invalidate implements Store: the counters are bumped on their master
// and, when it has replicas, one of them is asked to confirm within half
// the deadline. Tags Redis does not take are remembered and replayed by
// the background loop; tags no replica confirmed are bumped again there.
//
// The breaker does not apply: an invalidation is rare (it follows a write
// CiviCRM took its time over) and every one that reaches Redis at once,
// instead of at the next replay, shortens the time other instances may
// serve what the write made stale. A success closes the breaker.
func (r *RedisStore) Invalidate(ctx context.Context, tags ...string) error {
	if len(tags) == 0 {
		return nil
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(WithRedisOp(ctx, "cache_invalidate"), r.timeout)
	defer cancel()
	pending := r.take(r.pending)
	err := r.bump(ctx, append(pending, tags...), max(time.Millisecond, r.timeout/2))
	switch {
	case err == nil:
		r.br.recovered()
		return nil
	case parent.Err() == nil && !r.br.open():
		r.br.done(false)
	}
	r.add(r.pending, pending)
	r.add(r.pending, tags)
	return err
}

// bump increments tags on the master holding the counters and tells the
// memory tiers, in one pipeline; when that master has replicas, WAIT then
// asks on the same connection for one to confirm within wait. Tags no
// replica confirmed become unconfirmed: the bumps are in, so the caller
// sees no error.
//
// The pipeline also reads the counters after the bumps. When the bumps
// fail, their counters are behind (behind.go): if the master refused
// them but answered the read (it takes no writes), what it read are the
// floors, recorded here and published to every instance; otherwise this
// instance alone knows, until its replay lands. When they land, the
// floors learned before they were sent are past.
//
// On Cluster the bumps go to the node the client's slot map names, on a
// connection of that node, which follows no redirection by itself: while
// the counters' slot is being resharded that node answers ASK (the hash
// has moved to the importing node) and, until the client's map is
// reloaded after the move, MOVED. bump follows either to the node it
// names (at most twice), with ASKING before each bump on an ASK, so an
// invalidation is in Redis when the write is answered, resharding or not.
func (r *RedisStore) bump(ctx context.Context, tags []string, wait time.Duration) error {
	sent := r.lag.sending()
	c, read, err := r.bumpRedirected(ctx, tags, wait)
	if err == nil {
		r.lag.landed(tags, sent)
		return nil
	}
	epoch, ns, ok := floorsOf(err, read, tags)
	r.lag.mark(tags, ok, epoch, ns)
	if ok {
		if perr := c.Publish(ctx, r.channel, encodeLag(tags, epoch, ns)).Err(); perr != nil {
			r.watch.Report("cache_invalidate", perr)
		}
	}
	return err
}

// bumpRedirected is bump's tries: on the counters' master, then on
// Cluster on the node an ASK or MOVED names (at most twice). It returns
// the client of the last try and its read of the counters.
func (r *RedisStore) bumpRedirected(ctx context.Context, tags []string, wait time.Duration) (redis.UniversalClient, *redis.SliceCmd, error) {
	c, err := r.genMaster(ctx)
	if err != nil {
		r.watch.Report("cache_invalidate", err)
		return nil, nil, err
	}
	asking := false
	for redirects := 0; ; redirects++ {
		read, err := r.bumpOn(ctx, c, tags, wait, asking)
		if err == nil || r.cluster == nil || redirects == 2 {
			return c, read, err
		}
		addr, ask := redis.IsAskError(err)
		if !ask {
			var moved bool
			if addr, moved = redis.IsMovedError(err); !moved {
				return c, read, err
			}
		}
		next := r.clusterNode(ctx, addr)
		if next == nil {
			return c, read, err
		}
		c, asking = next, ask
	}
}

// bumpOn is one try of bump on c; asking precedes each bump with ASKING
// (c is the node importing the counters' slot, which takes a command on
// it only right after ASKING). It returns the read of the counters that
// follows the bumps.
func (r *RedisStore) bumpOn(ctx context.Context, c redis.UniversalClient, tags []string, wait time.Duration, asking bool) (*redis.SliceCmd, error) {
	node := nodeClient(c)
	if node == nil || !r.hasReplicas() {
		pipe := c.Pipeline()
		read := r.queueBumpOn(ctx, pipe, tags, asking)
		cmds, err := pipe.Exec(ctx)
		return read, redispipe.Failure(cmds, err)
	}
	// One pinned connection: WAIT counts what this connection wrote, and
	// its own round trip keeps a late confirmation from looking like a
	// failed bump.
	conn := node.Conn()
	defer conn.Close()
	pipe := conn.Pipeline()
	read := r.queueBumpOn(ctx, pipe, tags, asking)
	if cmds, err := pipe.Exec(ctx); redispipe.Failure(cmds, err) != nil {
		return read, redispipe.Failure(cmds, err)
	}
	if n, err := conn.Wait(WithRedisOp(ctx, "cache_confirm"), 1, wait).Result(); err != nil || n < 1 {
		r.add(r.unconfirmed, tags)
	}
	return read, nil
}

// clusterNode is the client of the Cluster node at addr (a MOVED or ASK
// target), or nil when the client knows no such node.
func (r *RedisStore) clusterNode(ctx context.Context, addr string) *redis.Client {
	var mu sync.Mutex
	var found *redis.Client
	_ = r.cluster.ForEachShard(ctx, func(_ context.Context, c *redis.Client) error {
		if c.Options().Addr == addr {
			mu.Lock()
			found = c
			mu.Unlock()
		}
		return nil
	})
	return found
}

// nodeClient is c as a client of one node (single Redis, Sentinel's
// master, a Cluster node), or nil.
func nodeClient(c redis.UniversalClient) *redis.Client {
	if rc, ok := c.(*RedisClient); ok {
		c = rc.UniversalClient
	}
	n, _ := c.(*redis.Client)
	return n
}

// queueBump adds the increments of tags to pipe, then the message that
// makes every instance's memory tier forget what it learned of them (sent
// by every instance, tier or not, so mixed configurations stay coherent;
// on Cluster a PUBLISH reaches every node's subscribers).
func (r *RedisStore) queueBump(ctx context.Context, pipe redis.Pipeliner, tags []string) {
	for _, t := range tags {
		pipe.HIncrBy(ctx, r.genKey, t, 1)
	}
	pipe.Publish(ctx, r.channel, strings.Join(tags, "\n"))
}

// queueBumpOn is queueBump with a read of the counters (and their epoch)
// between the increments and the message, each command on the counters
// preceded by ASKING when asking (ASKING lets only the next command
// through). The read gives the floors when the increments are refused.
func (r *RedisStore) queueBumpOn(ctx context.Context, pipe redis.Pipeliner, tags []string, asking bool) *redis.SliceCmd {
	for _, t := range tags {
		if asking {
			pipe.Do(ctx, "asking")
		}
		pipe.HIncrBy(ctx, r.genKey, t, 1)
	}
	if asking {
		pipe.Do(ctx, "asking")
	}
	fields := make([]string, 0, 1+len(tags))
	read := pipe.HMGet(ctx, r.genKey, append(append(fields, epochField), tags...)...)
	pipe.Publish(ctx, r.channel, strings.Join(tags, "\n"))
	return read
}

// genMaster is the client that reaches the master holding the counters:
// on Cluster the node itself, so that WAIT follows the bumps on their
// connection.
func (r *RedisStore) genMaster(ctx context.Context) (redis.UniversalClient, error) {
	if r.cluster != nil {
		return r.cluster.MasterForKey(ctx, r.genKey)
	}
	return r.c, nil
}

// loop retries pending and unconfirmed invalidations and keeps track of
// the counters' master (its replicas, whether it changed), whether or not
// requests come.
func (r *RedisStore) loop() {
	defer close(r.done)
	tick := time.NewTicker(r.every)
	defer tick.Stop()
	var checked time.Time
	for {
		if r.br.open() || time.Since(checked) >= checkEvery {
			r.check()
			checked = time.Now()
		}
		r.replay()
		r.lag.prune()
		select {
		case <-r.stop:
			return
		case <-tick.C:
		}
	}
}

// replay pushes pending invalidations to Redis and bumps unconfirmed ones
// again, waiting longer for a replica than the request path can.
func (r *RedisStore) replay() {
	pending, unconfirmed := r.take(r.pending), r.take(r.unconfirmed)
	if len(pending)+len(unconfirmed) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(WithRedisOp(context.Background(), "cache_replay"), backgroundTimeout)
	defer cancel()
	if err := r.bump(ctx, append(pending, unconfirmed...), replayWait); err != nil {
		r.add(r.pending, pending)
		r.add(r.unconfirmed, unconfirmed)
		return
	}
	r.br.recovered()
}

// check asks the counters' master for its replication state: how many
// replicas confirm invalidations, and whether it is still the same master.
// A success also closes the breaker: Redis is back.
func (r *RedisStore) check() {
	ctx, cancel := context.WithTimeout(WithRedisOp(context.Background(), "cache_check"), backgroundTimeout)
	defer cancel()
	c, err := r.genMaster(ctx)
	if err != nil {
		r.watch.Report("cache_check", err)
		return
	}
	info, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return
	}
	replicas, replID := parseReplication(info)
	r.mu.Lock()
	changed := r.replID != "" && replID != r.replID
	r.replicas, r.replID = replicas, replID
	r.mu.Unlock()
	if changed && r.onMasterChange != nil {
		r.onMasterChange()
	}
	r.br.recovered()
}

// parseReplication reads connected_slaves and master_replid from INFO
// replication (a promoted replica gets a new replication id).
func parseReplication(info string) (replicas int, replID string) {
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		switch k {
		case "connected_slaves":
			replicas, _ = strconv.Atoi(v)
		case "master_replid":
			replID = v
		}
	}
	return replicas, replID
}

// Purge implements Store: SCAN and UNLINK every entry under the prefix on
// every master, one key per UNLINK (pipelined), since keys of different
// Cluster slots cannot share a command. It is an admin operation, bounded
// by ctx only.
func (r *RedisStore) Purge(ctx context.Context) error {
	ctx = WithRedisOp(ctx, "cache_purge")
	purge := func(ctx context.Context, c redis.UniversalClient) error {
		iter := c.Scan(ctx, 0, globEscape(r.prefix)+"e:*", 500).Iterator()
		pipe := c.Pipeline()
		for iter.Next(ctx) {
			pipe.Unlink(ctx, iter.Val())
			if pipe.Len() == 500 {
				if _, err := pipe.Exec(ctx); err != nil {
					return err
				}
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		_, err := pipe.Exec(ctx)
		return err
	}
	if r.cluster != nil {
		return r.cluster.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return purge(ctx, c) })
	}
	return purge(ctx, r.c)
}

// globEscape quotes SCAN MATCH's special characters.
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[]\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// RedisClient is a go-redis client as NewRedisClient builds it, with the
// watch that sees its failures. It is itself a redis.UniversalClient.
type RedisClient struct {
	redis.UniversalClient
	Watcher *RedisWatch
}

// NewRedisClient builds a client from one URL:
//
//	redis://[user:pass@]host:port[/db][?opts]   single node (rediss:// for TLS, unix:// socket)
//	redis://h1:6379,h2:6379 or redis://h1,redis://h2   Cluster (seed list)
//	redis+cluster://host:port?addr=h2:6379      Cluster
//	redis+sentinel://[user:pass@]s1:26379,s2:26379/db?master_name=mymaster   Sentinel
//	  (also redis-sentinel://, rediss+sentinel://; credentials are the sentinels')
//
// Query options are go-redis's (dial_timeout, pool_size, …; under Sentinel
// the URL's user:password are the sentinels'). Every client gets
// ContextTimeoutEnabled, no retries on the request path and short dial
// and pool timeouts unless the URL sets them; a Cluster client reloads its
// slot map every second and at once when a command fails in a way that
// may mean a failover, instead of after go-redis's default minute, and
// follows a pipeline's redirections without go-redis's retry backoff
// (unless the URL sets min_retry_backoff). Errors
// never echo the URL, which may hold a password.
func NewRedisClient(rawURL string) (*RedisClient, error) {
	u, mode, err := splitRedisURL(rawURL)
	if err != nil {
		return nil, err
	}
	w := &RedisWatch{Topology: mode}
	switch mode {
	case "cluster":
		o, err := redis.ParseClusterURL(u)
		if err != nil {
			return nil, errors.New("cache: invalid Redis cluster URL")
		}
		requestPathOptions(&o.ContextTimeoutEnabled, &o.MaxRetries, &o.DialerRetries, &o.DialTimeout, &o.PoolTimeout)
		quietConnect(&o.DisableIdentity, &o.MaintNotificationsConfig)
		o.ClusterStateReloadInterval = clusterStateReload
		if o.MinRetryBackoff == 0 {
			// go-redis sleeps 10-30ms (MinRetryBackoff 10ms) before
			// sending again the commands of a pipeline a node redirected
			// (ASK or MOVED while slots are resharded or after a
			// failover): more than a request's whole redis_timeout. A
			// redirection is followed at once; the request's deadline
			// bounds the rest.
			o.MinRetryBackoff = -1
		}
		c := redis.NewClusterClient(o)
		w.reload = func() { c.ReloadState(context.Background()) }
		// Hooks on the nodes see everything once, including what is sent
		// to one node directly (the counters' master, Purge).
		c.OnNewNode(func(n *redis.Client) { n.AddHook(watchHook{w}) })
		return &RedisClient{UniversalClient: c, Watcher: w}, nil
	case "sentinel":
		o, err := redis.ParseFailoverURL(u)
		if err != nil {
			return nil, errors.New("cache: invalid Redis sentinel URL")
		}
		if o.MasterName == "" {
			return nil, errors.New("cache: Redis sentinel URL needs master_name")
		}
		requestPathOptions(&o.ContextTimeoutEnabled, &o.MaxRetries, &o.DialerRetries, &o.DialTimeout, &o.PoolTimeout)
		o.DisableIdentity = true // (Sentinel clients never opt in to maintenance notifications)
		c := redis.NewFailoverClient(o)
		c.AddHook(watchHook{w})
		return &RedisClient{UniversalClient: c, Watcher: w}, nil
	}
	o, err := redis.ParseURL(u)
	if err != nil {
		return nil, errors.New("cache: invalid Redis URL")
	}
	requestPathOptions(&o.ContextTimeoutEnabled, &o.MaxRetries, &o.DialerRetries, &o.DialTimeout, &o.PoolTimeout)
	quietConnect(&o.DisableIdentity, &o.MaintNotificationsConfig)
	c := redis.NewClient(o)
	c.AddHook(watchHook{w})
	return &RedisClient{UniversalClient: c, Watcher: w}, nil
}

// clusterStateReload bounds how long a Cluster client may route by a slot
// map older than the cluster's own failover. A reload is one CLUSTER SLOTS
// to one node, asked only while commands flow.
const clusterStateReload = time.Second

// requestPathOptions sets what every client needs on the request path,
// whatever its kind: deadlines from the caller's context, no retries, one
// dial attempt, and short dial and pool waits unless the URL set them.
func requestPathOptions(ctxTimeout *bool, maxRetries, dialerRetries *int, dial, pool *time.Duration) {
	*ctxTimeout, *maxRetries, *dialerRetries = true, -1, 1
	if *dial == 0 {
		*dial = 250 * time.Millisecond
	}
	if *pool == 0 {
		*pool = 100 * time.Millisecond
	}
}

// quietConnect keeps a new connection to its own handshake: no CLIENT
// SETINFO and no maintenance-notification opt-in, which Redis before 7.2
// refuses (a failed command each) and which cost a round trip on every
// reconnection after a failover.
func quietConnect(disableIdentity *bool, maint **maintnotifications.Config) {
	*disableIdentity = true
	if *maint == nil {
		*maint = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	}
}

func defaultPort(mode string) string {
	if mode == "sentinel" {
		return "26379"
	}
	return "6379"
}

// splitRedisURL turns the accepted spellings into one go-redis URL and a
// mode: "single", "cluster" or "sentinel".
func splitRedisURL(raw string) (string, string, error) {
	raw = strings.TrimSpace(raw)
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return "", "", errors.New("cache: Redis URL needs a scheme")
	}
	mode := "single"
	switch strings.ToLower(scheme) {
	case "redis", "rediss", "unix":
	case "redis+cluster", "redis-cluster":
		scheme, mode = "redis", "cluster"
	case "rediss+cluster", "rediss-cluster":
		scheme, mode = "rediss", "cluster"
	case "redis+sentinel", "redis-sentinel", "sentinel":
		scheme, mode = "redis", "sentinel"
	case "rediss+sentinel", "rediss-sentinel":
		scheme, mode = "rediss", "sentinel"
	default:
		return "", "", errors.New("cache: unsupported Redis URL scheme")
	}
	if scheme == "unix" {
		return raw, mode, nil
	}
	// Authority ends at the first '/', '?' or '#'; a comma list of hosts
	// (or of whole URLs) lives in it.
	parts := strings.Split(rest, ",")
	first := parts[0]
	var extra []string
	tail := ""
	if len(parts) > 1 {
		last := parts[len(parts)-1]
		if i := strings.IndexAny(last, "/?#"); i >= 0 && !strings.Contains(last, "://") {
			tail = last[i:]
			parts[len(parts)-1] = last[:i]
		}
		for _, p := range parts[1:] {
			if _, r, ok := strings.Cut(p, "://"); ok {
				p = r
				if i := strings.IndexAny(p, "/?#"); i >= 0 {
					p = p[:i]
				}
			}
			if at := strings.LastIndex(p, "@"); at >= 0 {
				p = p[at+1:]
			}
			if p = strings.TrimSpace(p); p != "" {
				if _, _, err := net.SplitHostPort(p); err != nil {
					p = net.JoinHostPort(strings.Trim(p, "[]"), defaultPort(mode))
				}
				extra = append(extra, p)
			}
		}
		if mode == "single" {
			mode = "cluster"
		}
		if i := strings.IndexAny(first, "/?#"); i >= 0 {
			tail = first[i:] // options given on the first URL
			first = first[:i]
		}
	}
	u, err := url.Parse(scheme + "://" + first + tail)
	if err != nil {
		return "", "", errors.New("cache: invalid Redis URL")
	}
	if len(extra) > 0 {
		q := u.Query()
		for _, a := range extra {
			q.Add("addr", a)
		}
		u.RawQuery = q.Encode()
	}
	return u.String(), mode, nil
}

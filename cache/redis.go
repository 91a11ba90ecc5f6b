package cache

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisOptions tune a RedisStore. Zero values take the defaults.
type RedisOptions struct {
	// Timeout bounds every request-path operation (default 10ms): a slow
	// Redis must cost a request at most this, then it is a miss.
	Timeout time.Duration
	// BreakerThreshold consecutive failures open the breaker (default 5)
	// for BreakerCooldown (default 1s); then one probe is let through.
	BreakerThreshold int
	BreakerCooldown  time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// RedisStore keeps entries and generation counters in Redis, so every
// instance sharing the Redis sees the same entries and invalidations.
// Keys: <prefix>e:<hex sha256> for entries, <prefix>g:<tag> for counters.
type RedisStore struct {
	c       redis.UniversalClient
	prefix  string
	timeout time.Duration
	br      *breaker

	mu sync.Mutex
	// pending are invalidations Redis did not take; they are replayed
	// before the next read so a recovered Redis never serves what a write
	// made stale.
	pending map[string]struct{}
	// replayed, when set, learns of pending invalidations that finally
	// reached Redis (the tiered store publishes them).
	replayed func(ctx context.Context, tags []string)
}

// NewRedisStore wraps a client that the caller owns (and may share
// across config reloads: the store never closes it).
func NewRedisStore(client redis.UniversalClient, prefix string, o RedisOptions) *RedisStore {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Millisecond
	}
	return &RedisStore{
		c:       client,
		prefix:  prefix,
		timeout: o.Timeout,
		br:      newBreaker(o.BreakerThreshold, o.BreakerCooldown, o.Now),
		pending: make(map[string]struct{}),
	}
}

func (r *RedisStore) entryKey(key string) string { return r.prefix + "e:" + key }
func (r *RedisStore) genKey(tag string) string   { return r.prefix + "g:" + tag }

// Down reports whether the breaker is currently skipping Redis.
func (r *RedisStore) Down() bool { return r.br.open() }

func (r *RedisStore) takePending() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) == 0 {
		return nil
	}
	out := make([]string, 0, len(r.pending))
	for t := range r.pending {
		out = append(out, t)
	}
	clear(r.pending)
	return out
}

func (r *RedisStore) addPending(tags []string) {
	r.mu.Lock()
	for _, t := range tags {
		r.pending[t] = struct{}{}
	}
	r.mu.Unlock()
}

func failed(err error) bool { return err != nil && !errors.Is(err, redis.Nil) }

// Get implements Store: one pipelined round trip (replayed invalidations,
// the entry, the tag generations).
func (r *RedisStore) Get(ctx context.Context, key string, tags []string) (*Entry, []uint64, error) {
	if !r.br.allow() {
		return nil, nil, ErrStoreDown
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	pending := r.takePending()
	pipe := r.c.Pipeline()
	for _, t := range pending {
		pipe.Incr(ctx, r.genKey(t))
	}
	ecmd := pipe.Get(ctx, r.entryKey(key))
	gcmds := make([]*redis.StringCmd, len(tags))
	for i, t := range tags {
		gcmds[i] = pipe.Get(ctx, r.genKey(t))
	}
	cmds, err := pipe.Exec(ctx)
	if failed(err) {
		for _, c := range cmds {
			if failed(c.Err()) {
				err = c.Err()
				break
			}
		}
	}
	if failed(err) {
		r.br.finish(parent, err)
		// The INCRs may or may not have run: replaying one only costs a miss.
		r.addPending(pending)
		return nil, nil, err
	}
	r.br.done(true)
	if len(pending) > 0 && r.replayed != nil {
		r.replayed(ctx, pending)
	}
	gens := make([]uint64, len(tags))
	for i, c := range gcmds {
		if c.Err() == nil {
			g, err := c.Uint64()
			if err != nil {
				return nil, nil, fmt.Errorf("cache: bad generation counter: %w", err)
			}
			gens[i] = g
		}
	}
	if ecmd.Err() != nil {
		return nil, gens, nil
	}
	b, _ := ecmd.Bytes()
	e, err := decodeEntry(b)
	if err != nil {
		return nil, gens, nil // a foreign or old-format value: a miss
	}
	return e, gens, nil
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
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	err := r.c.Set(ctx, r.entryKey(key), e.encode(), ttl).Err()
	r.br.finish(parent, err)
	return err
}

// Invalidate implements Store. Tags Redis does not take are remembered
// and replayed before the next read.
func (r *RedisStore) Invalidate(ctx context.Context, tags ...string) error {
	if len(tags) == 0 {
		return nil
	}
	if !r.br.allow() {
		r.addPending(tags)
		return ErrStoreDown
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	pending := r.takePending()
	pipe := r.c.Pipeline()
	for _, t := range append(pending, tags...) {
		pipe.Incr(ctx, r.genKey(t))
	}
	_, err := pipe.Exec(ctx)
	r.br.finish(parent, err)
	if err != nil {
		r.addPending(pending)
		r.addPending(tags)
		return err
	}
	if len(pending) > 0 && r.replayed != nil {
		r.replayed(ctx, pending)
	}
	return nil
}

// Purge implements Store: SCAN and UNLINK every entry under the prefix on
// every master. It is an admin operation, bounded by ctx only.
func (r *RedisStore) Purge(ctx context.Context) error {
	purge := func(ctx context.Context, c redis.Cmdable) error {
		iter := c.Scan(ctx, 0, r.prefix+"e:*", 500).Iterator()
		var batch []string
		for iter.Next(ctx) {
			batch = append(batch, iter.Val())
			if len(batch) == 500 {
				if err := c.Unlink(ctx, batch...).Err(); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		if len(batch) > 0 {
			return c.Unlink(ctx, batch...).Err()
		}
		return nil
	}
	if cc, ok := r.c.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return purge(ctx, c) })
	}
	return purge(ctx, r.c)
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
// and pool timeouts unless the URL sets them. Errors never echo the URL,
// which may hold a password.
func NewRedisClient(rawURL string) (redis.UniversalClient, error) {
	u, mode, err := splitRedisURL(rawURL)
	if err != nil {
		return nil, err
	}
	switch mode {
	case "cluster":
		o, err := redis.ParseClusterURL(u)
		if err != nil {
			return nil, errors.New("cache: invalid Redis cluster URL")
		}
		requestPathOptions(&o.ContextTimeoutEnabled, &o.MaxRetries, &o.DialerRetries, &o.DialTimeout, &o.PoolTimeout)
		return redis.NewClusterClient(o), nil
	case "sentinel":
		o, err := redis.ParseFailoverURL(u)
		if err != nil {
			return nil, errors.New("cache: invalid Redis sentinel URL")
		}
		if o.MasterName == "" {
			return nil, errors.New("cache: Redis sentinel URL needs master_name")
		}
		requestPathOptions(&o.ContextTimeoutEnabled, &o.MaxRetries, &o.DialerRetries, &o.DialTimeout, &o.PoolTimeout)
		return redis.NewFailoverClient(o), nil
	}
	o, err := redis.ParseURL(u)
	if err != nil {
		return nil, errors.New("cache: invalid Redis URL")
	}
	requestPathOptions(&o.ContextTimeoutEnabled, &o.MaxRetries, &o.DialerRetries, &o.DialTimeout, &o.PoolTimeout)
	return redis.NewClient(o), nil
}

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

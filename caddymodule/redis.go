package caddymodule

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/cache"
)

func init() {
	// go-redis logs every failed dial on stderr; while Redis is down that
	// is a line per request. Route it to Caddy's log at debug level:
	// Civigate logs failures itself, rate-limited (reportRedisFailure), and
	// the civigate_redis_healthy gauge is how operators watch Redis. A
	// Sentinel's switch to a new master is worth a line of its own.
	redis.SetLogger(redisLogger{})
}

type redisLogger struct{}

// sentinelMasters remembers the master address go-redis last learned for
// each Sentinel master name, so that a change (a failover) is told apart
// from the first discovery.
var sentinelMasters = struct {
	sync.Mutex
	addr map[string]string
}{addr: map[string]string{}}

func (redisLogger) Printf(_ context.Context, format string, v ...any) {
	log := caddy.Log().Named("civigate.redis")
	if strings.HasPrefix(format, "sentinel: new master") && len(v) == 2 {
		name, addr := fmt.Sprint(v[0]), fmt.Sprint(v[1])
		sentinelMasters.Lock()
		before := sentinelMasters.addr[name]
		sentinelMasters.addr[name] = addr
		sentinelMasters.Unlock()
		if before != "" && before != addr {
			log.Warn("redis: Sentinel failed over to a new master", zap.String("topology", "sentinel"))
			return
		}
	}
	log.Debug(fmt.Sprintf(format, v...))
}

// redisClients shares one Redis client per URL across config reloads, so a
// reload neither drops connections nor leaks a pool.
var redisClients = caddy.NewUsagePool()

type pooledRedis struct{ *cache.RedisClient }

func (p pooledRedis) Destruct() error { return p.RedisClient.Close() }

// acquireRedis returns the shared client for url; release it with
// redisClients.Delete(url) in Cleanup.
func acquireRedis(url string) (*cache.RedisClient, error) {
	v, _, err := redisClients.LoadOrNew(url, func() (caddy.Destructor, error) {
		c, err := cache.NewRedisClient(url)
		if err != nil {
			return nil, err
		}
		c.Watcher.OnFailure(reportRedisFailure)
		return pooledRedis{c}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(pooledRedis).RedisClient, nil
}

// provisionRedis resolves the Redis URL, acquires the shared client and
// works out the prefix of this site's keys.
func (h *Handler) provisionRedis(repl *caddy.Replacer) error {
	redisURL, err := resolveSecret(repl, "redis", h.Redis)
	if err != nil {
		return fmt.Errorf("civicrm: %v", err)
	}
	h.redisURL = strings.TrimSpace(redisURL)
	if h.redisURL == "" {
		return nil
	}
	namespace := ""
	if h.Cache != nil {
		namespace = h.Cache.Namespace
	}
	// Every site has an identity: site_key is required (checkSiteKey).
	h.redisPrefix, _ = siteRedisPrefix(h.RedisPrefix, namespace, h.siteKey)
	c, err := acquireRedis(h.redisURL)
	if err != nil {
		return err
	}
	h.redisClient = c
	return nil
}

const defaultRedisPrefix = "civigate:"

// siteRedisPrefix is where one site keeps its keys in a shared Redis: the
// configured prefix followed by a fingerprint of the site's identity (the
// cache namespace when the operator set one, else the site key), so two
// sites on one Redis and one prefix never read each other's entries,
// verdicts, counters or report, while every instance of one site (same
// configuration) shares them. identified is false when the site has no
// identity: its keys are then the bare prefix's.
func siteRedisPrefix(prefix, namespace, siteKey string) (_ string, identified bool) {
	if prefix == "" {
		prefix = defaultRedisPrefix
	}
	sum, ok := siteIdentity(namespace, siteKey)
	if !ok {
		return prefix, false
	}
	return prefix + hex.EncodeToString(sum[:4]) + ":", true
}

// newRedisStore is the cache's Redis store for this handler, released in
// Cleanup; its state changes are logged.
func (h *Handler) newRedisStore(timeout time.Duration) *cache.RedisStore {
	topology := h.redisClient.Watcher.Topology
	log := h.logger.With(zap.String("topology", topology))
	rs := cache.NewRedisStore(h.redisClient, h.redisPrefix+"cache:", cache.RedisOptions{
		Timeout:   timeout,
		Retention: h.longestRemembered(),
		OnDown: func(down bool) {
			if down {
				log.Warn("redis: cache store failing, skipped until it answers again (lookups miss, writes' invalidations are kept and replayed)")
			} else {
				log.Info("redis: cache store answering again")
			}
		},
		OnMasterChange: func() {
			log.Warn("redis: the master holding the cache's generation counters changed (failover, restart or resharding); unconfirmed invalidations are bumped again")
		},
	})
	h.redisStore = rs
	h.closers = append(h.closers, rs.Close)
	return rs
}

// longestRemembered is the longest a cached answer or a remembered
// verdict of this handler lives in Redis: its ttls and stale windows, its
// verdict_ttl and reject ttl (each at least its default). A counter known
// to be behind an invalidation Redis did not record is distrusted at most
// this long (cache.RedisOptions.Retention): by then whatever was stored
// before the write has expired.
func (h *Handler) longestRemembered() time.Duration {
	longest := max(authx.DefaultPositiveTTL, authx.DefaultNegativeTTL)
	if ac := h.Auth; ac != nil {
		longest = max(longest, time.Duration(ac.VerdictTTL), time.Duration(ac.RejectTTL))
	}
	if cc := h.Cache; cc != nil {
		ttl := max(cache.DefaultEntryTTL, time.Duration(cc.TTL))
		for _, d := range cc.TTLs {
			ttl = max(ttl, time.Duration(d))
		}
		longest = max(longest, ttl+max(time.Duration(cc.StaleWhileRevalidate), time.Duration(cc.StaleIfError)))
	}
	return longest
}

// redisHealth remembers the last failed Redis operation of any handler.
var redisHealth struct {
	lastFailure atomic.Int64 // unix nanoseconds
}

// redisUnhealthyFor is how long one failed operation keeps the health
// gauge at 0.
const redisUnhealthyFor = 2 * time.Second

// redisHealthy is the civigate_redis_healthy value: 1 when some handler
// uses Redis, none is skipping it and no operation failed lately.
func redisHealthy() float64 {
	if time.Since(time.Unix(0, redisHealth.lastFailure.Load())) < redisUnhealthyFor {
		return 0
	}
	uses := false
	for _, h := range liveHandlers() {
		if h.redisClient == nil {
			continue
		}
		uses = true
		if h.redisStore != nil && h.redisStore.Down() {
			return 0
		}
	}
	if !uses {
		return 0
	}
	return 1
}

// redisFailureLog rate-limits the failure log: one line per operation and
// class per redisLogEvery, saying how many were not logged.
var redisFailureLog = struct {
	sync.Mutex
	last       map[string]time.Time
	suppressed map[string]int
}{last: map[string]time.Time{}, suppressed: map[string]int{}}

const redisLogEvery = 10 * time.Second

// reportRedisFailure counts, logs (rate-limited) and remembers a failed
// Redis operation. A failure carries no key, value or address.
//
// A Cluster node's ASK or MOVED is a redirection, which is followed (by
// go-redis, and by cache.RedisStore's own bumps): it is counted, by class,
// but is no failure of Redis. While slots move it comes by the thousand
// with no request failing, so it neither marks Redis unhealthy nor logs a
// warning; one that cannot be followed fails the operation, which opens
// the store's breaker (redisHealthy reads it).
func reportRedisFailure(f cache.RedisFailure) {
	if metrics.redisErrors != nil {
		metrics.redisErrors.WithLabelValues(f.Op, f.Class).Inc()
	}
	if f.Class == "ask" || f.Class == "moved" {
		return
	}
	redisHealth.lastFailure.Store(time.Now().UnixNano())
	k := f.Op + "|" + f.Class
	now := time.Now()
	redisFailureLog.Lock()
	if now.Sub(redisFailureLog.last[k]) < redisLogEvery {
		redisFailureLog.suppressed[k]++
		redisFailureLog.Unlock()
		return
	}
	suppressed := redisFailureLog.suppressed[k]
	redisFailureLog.last[k] = now
	delete(redisFailureLog.suppressed, k)
	redisFailureLog.Unlock()
	caddy.Log().Named("civigate.redis").Warn("redis operation failed",
		zap.String("op", f.Op), zap.String("class", f.Class), zap.String("topology", f.Topology),
		zap.Int("not_logged_since_last", suppressed))
}

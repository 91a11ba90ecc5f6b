package caddymodule

import (
	"context"
	"fmt"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"

	"github.com/civigate/civigate/cache"
)

func init() {
	// go-redis logs every failed dial on stderr; while Redis is down that
	// is a line per request. Route it to Caddy's log at debug level: the
	// civigate_redis_healthy gauge is how operators watch Redis.
	redis.SetLogger(redisLogger{})
}

type redisLogger struct{}

func (redisLogger) Printf(_ context.Context, format string, v ...any) {
	caddy.Log().Named("civigate.redis").Debug(fmt.Sprintf(format, v...))
}

// redisClients shares one Redis client per URL across config reloads, so a
// reload neither drops connections nor leaks a pool.
var redisClients = caddy.NewUsagePool()

type pooledRedis struct{ redis.UniversalClient }

func (p pooledRedis) Destruct() error { return p.UniversalClient.Close() }

// acquireRedis returns the shared client for url; release it with
// redisClients.Delete(url) in Cleanup.
func acquireRedis(url string) (redis.UniversalClient, error) {
	v, _, err := redisClients.LoadOrNew(url, func() (caddy.Destructor, error) {
		c, err := newRedisClient(url)
		if err != nil {
			return nil, err
		}
		return pooledRedis{c}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(pooledRedis).UniversalClient, nil
}

func newRedisClient(url string) (redis.UniversalClient, error) { return cache.NewRedisClient(url) }

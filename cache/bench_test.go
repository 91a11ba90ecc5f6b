package cache

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const benchParams = `{"sequential":1,"contact_type":"Individual","options":{"limit":25,"sort":"sort_name"},` +
	`"return":["display_name","email"],"return.0":1,"return.1":1,"api.Email.get":{"is_primary":1}}`

func BenchmarkKey(b *testing.B) {
	c, _ := New(Config{Namespace: "site"}, NewMemoryStore(1<<20, nil))
	call := jsonCall(b, "Contact", "get", benchParams)
	b.ReportAllocs()
	for b.Loop() {
		if r := c.Prepare(call, 42); !r.Cacheable {
			b.Fatal(r.Reason)
		}
	}
}

// benchHit measures the whole hit path the Caddy layer runs per request:
// decide, key, lookup, freshness.
func benchHit(b *testing.B, store Store) {
	c, err := New(Config{Namespace: "site", DefaultTTL: time.Hour}, store)
	if err != nil {
		b.Fatal(err)
	}
	call := jsonCall(b, "Contact", "get", benchParams)
	body := []byte(`{"is_error":0,"values":"` + strings.Repeat("x", 4000) + `"}`)
	up := &counter{resp: ok200(string(body))}
	ctx := context.Background()
	if out := c.Serve(ctx, c.Prepare(call, 42), up.fetch); !out.Status.Stored {
		b.Fatalf("not stored: %s", out.Status)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		out := c.Serve(ctx, c.Prepare(call, 42), up.fetch)
		if !out.Status.Hit {
			b.Fatalf("miss: %s", out.Status)
		}
	}
}

func BenchmarkMemoryHit(b *testing.B) { benchHit(b, NewMemoryStore(64<<20, nil)) }

func BenchmarkRedisHit(b *testing.B) {
	client, prefix := testRedis(b)
	benchHit(b, NewRedisStore(client, prefix, RedisOptions{Timeout: time.Second}))
}

// BenchmarkRedisHitParallel is BenchmarkRedisHit from 32 goroutines per
// CPU, like the load test's 32 connections: concurrent lookups share
// pipelines (pipelines/op is how many each hit cost, 1 without batching).
// Every goroutine reads its own key of the same size, so the batching seen
// here is not that of many readers of one hot key.
func BenchmarkRedisHitParallel(b *testing.B) {
	client, prefix := testRedis(b)
	var pipelines atomic.Int64
	client.AddHook(countPipelines{&pipelines})
	c, err := New(Config{Namespace: "site", DefaultTTL: time.Hour}, NewRedisStore(client, prefix, RedisOptions{Timeout: time.Second}))
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"is_error":0,"values":"` + strings.Repeat("x", 4000) + `"}`)
	up := &counter{resp: ok200(string(body))}
	var ids atomic.Int64
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	b.SetParallelism(32)
	start := pipelines.Load()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		call := jsonCall(b, "Contact", "get", fmt.Sprintf(`{"id":%d}`, ids.Add(1)))
		c.Serve(ctx, c.Prepare(call, 42), up.fetch) // stores it
		for pb.Next() {
			if out := c.Serve(ctx, c.Prepare(call, 42), up.fetch); !out.Status.Hit {
				b.Errorf("miss: %s", out.Status)
				return
			}
		}
	})
	b.ReportMetric(float64(pipelines.Load()-start)/float64(b.N), "pipelines/op")
}

// countPipelines is a go-redis hook counting the pipelines a client sends.
type countPipelines struct{ n *atomic.Int64 }

func (h countPipelines) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (h countPipelines) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (h countPipelines) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

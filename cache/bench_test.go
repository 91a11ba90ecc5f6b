package cache

import (
	"context"
	"strings"
	"testing"
	"time"
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

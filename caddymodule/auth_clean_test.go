package caddymodule

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type slowCounter struct {
	asked   atomic.Int64
	blocked atomic.Bool
}

func (c *slowCounter) Blocked(context.Context, int, ...string) (bool, time.Duration) {
	c.asked.Add(1)
	time.Sleep(20 * time.Millisecond)
	if c.blocked.Load() {
		return true, time.Minute
	}
	return false, 0
}

func (c *slowCounter) Fail(context.Context, time.Duration, ...string) {}

func (c *slowCounter) Reserve(context.Context, int, time.Duration, ...string) (func(context.Context), string, time.Duration) {
	return func(context.Context) {}, "", 0
}

// Requests in flight while one asks Redis whether a key is clean do not
// ask too: one question per key a second, whatever the concurrency.
func TestCleanCacheAsksOncePerKey(t *testing.T) {
	back := &slowCounter{}
	c := newCleanCache(back)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if blocked, _ := c.Blocked(context.Background(), 10, "ip:192.0.2.1", "cred:x"); blocked {
				t.Error("blocked")
			}
		}()
	}
	wg.Wait()
	if n := back.asked.Load(); n != 1 {
		t.Fatalf("Redis asked %d times, want once", n)
	}
	// A blocked answer clears the mark: the next request asks again.
	back.blocked.Store(true)
	c.mu.Lock()
	clear(c.until)
	c.mu.Unlock()
	for range 2 {
		if blocked, _ := c.Blocked(context.Background(), 10, "cred:x"); !blocked {
			t.Fatal("a blocked key passed")
		}
	}
	if n := back.asked.Load(); n != 3 {
		t.Fatalf("Redis asked %d times, want 3", n)
	}
}

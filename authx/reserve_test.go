package authx

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// gatedResolver holds every question until the test opens the gate, so
// all guesses of a burst are in flight at once, whatever the scheduler.
type gatedResolver struct {
	entered chan<- struct{}
	gate    <-chan struct{}
}

func (g gatedResolver) Resolve(context.Context, string, string) (Identity, error) {
	g.entered <- struct{}{}
	<-g.gate
	return Identity{}, invalidCredential("unknown")
}

// burst sends n wrong API keys from one address at once and reports how
// many reached the verifier. Each request either reaches the verifier or
// is refused; only when all n have done one or the other is the gate
// opened, so every admitted guess was in flight with all the others.
func burst(t *testing.T, counter FailureCounter, n int) int {
	t.Helper()
	events := make(chan struct{}, n)
	gate := make(chan struct{})
	verified := 0
	e := newEnv(t, func(cfg *Config) {
		cfg.Failures = counter
		cfg.MaxFailures = 3
		cfg.APIKeys = NewAPIKeyVerifier(gatedResolver{entered: events, gate: gate}, NewMemoryVerdicts(), []byte("v"))
	})
	var wg sync.WaitGroup
	rejs := make([]*Rejection, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			call := contactGet()
			call.Credentials = credsWith(fmt.Sprintf("Bearer guess-%04d-AAAAAAAAAAAAAAAAAAAAAA", i))
			_, rejs[i] = e.a.Authenticate(context.Background(), Request{Call: call, ClientIP: mustAddr("198.51.100.7")})
			if rejs[i] != nil && rejs[i].Reason == ReasonRateLimited {
				events <- struct{}{}
			}
		}()
	}
	for range n {
		<-events
	}
	close(gate)
	wg.Wait()
	for i, r := range rejs {
		switch {
		case r == nil:
			t.Fatalf("guess %d accepted", i)
		case r.Reason == ReasonInvalid:
			verified++
		case r.Reason != ReasonRateLimited:
			t.Fatalf("guess %d: %+v", i, r)
		}
	}
	return verified
}

// A burst of concurrent wrong guesses from one address gets at most
// max_failures of them verified: the attempt is counted before it is
// verified, atomically with the check (F3: with Redis every guess in
// flight passed the check, 400 of 400 verified with max_failures 3).
func TestConcurrentGuessesAreBounded(t *testing.T) {
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 20 * time.Millisecond})
	t.Cleanup(func() { down.Close() })
	counters := map[string]func() FailureCounter{
		"memory": func() FailureCounter { return NewMemoryCounter() },
		"redis": func() FailureCounter {
			c, prefix := testRedis(t)
			return &RedisCounter{Client: c, Prefix: prefix, Timeout: time.Second}
		},
		// Redis does not answer: the instance counts in its own memory.
		"redis down": func() FailureCounter {
			return &RedisCounter{Client: down, Timeout: 30 * time.Millisecond}
		},
	}
	for name, mk := range counters {
		t.Run(name, func(t *testing.T) {
			if got := burst(t, mk(), 60); got > 3 {
				t.Fatalf("%d of 60 concurrent guesses verified with max_failures 3", got)
			} else if got == 0 {
				t.Fatal("no guess verified at all")
			}
		})
	}
}

// Reserve's contract on Redis: a full key admits nothing (and counts
// nothing, so the window is not stretched), a key admitted beside a full
// one is released again, release un-counts and never goes below zero.
func TestRedisReserve(t *testing.T) {
	c, prefix := testRedis(t)
	ctr := &RedisCounter{Client: c, Prefix: prefix, Timeout: time.Second}
	ctx := context.Background()
	var releases []func(context.Context)
	for range 2 {
		release, full, _ := ctr.Reserve(ctx, 2, time.Minute, "cred:x")
		if full != "" {
			t.Fatalf("refused under the limit: %q", full)
		}
		releases = append(releases, release)
	}
	release, full, wait := ctr.Reserve(ctx, 2, time.Minute, "ip:a", "cred:x")
	if release != nil || full != "cred:x" || wait <= 0 || wait > time.Minute {
		t.Fatalf("full=%q wait=%v", full, wait)
	}
	if n, _ := c.Get(ctx, prefix+"ip:a").Int(); n != 0 {
		t.Fatalf("ip:a counted %d for a refused attempt", n)
	}
	if n, _ := c.Get(ctx, prefix+"cred:x").Int(); n != 2 {
		t.Fatalf("cred:x counted %d", n)
	}
	releases[0](ctx)
	if _, full, _ := ctr.Reserve(ctx, 2, time.Minute, "cred:x"); full != "" {
		t.Fatal("a released attempt still counts")
	}
	for range 3 {
		releases[1](ctx)
	}
	if n, err := c.Get(ctx, prefix+"cred:x").Int(); err != redis.Nil {
		t.Fatalf("cred:x = %d, %v after releasing more than was reserved", n, err)
	}
}

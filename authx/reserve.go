package authx

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Reservations make guessing protection hold under concurrency. Checking a
// count, verifying the credential, then counting the failure lets every
// request in flight pass the check before any failure is counted: a
// client keeping N guesses in flight had N verified per CiviCRM round trip.
// So an attempt whose credential is about to be verified is counted first,
// in one atomic step with the check (Reserve), and stays counted as a
// failure unless it succeeds (release). At most max attempts per key and
// window are ever admitted, however many arrive at once.

// Reserve implements FailureCounter.
func (c *MemoryCounter) Reserve(_ context.Context, max int, window time.Duration, keys ...string) (func(context.Context), string, time.Duration) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if full, wait := c.fullLocked(now, max, keys); full != "" {
		return nil, full, wait
	}
	c.countLocked(now, window, keys)
	return func(context.Context) { c.release(keys) }, "", 0
}

// release un-counts one attempt for each key, in the window it was counted
// in: a window that ended meanwhile has forgotten it already.
func (c *MemoryCounter) release(keys []string) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		e, ok := c.m[k]
		if !ok || !now.Before(e.reset) {
			continue
		}
		if e.n--; e.n <= 0 {
			delete(c.m, k)
		} else {
			c.m[k] = e
		}
	}
	if len(c.m) == 0 {
		// No count at all: no window is open, whenever the last one would
		// have ended. Every credential's first success passes through a
		// reservation, and Quiet spares the requests after it the check.
		c.lastReset.Store(0)
	}
}

// reserveScript admits one attempt on one key (one key per script: keys of
// one request live in different Cluster slots): when the count has
// reached ARGV[1] it counts nothing and returns minus the window's
// remaining milliseconds, else it counts the attempt, starts the window
// (ARGV[2] ms) on the first, and returns the count.
var reserveScript = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then
  local t = redis.call('PTTL', KEYS[1])
  if t <= 0 then
    t = tonumber(ARGV[2])
    redis.call('PEXPIRE', KEYS[1], t)
  end
  return -t
end
n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n
`)

// releaseScript un-counts one attempt, never below zero (the window may
// have ended and restarted meanwhile), and drops a count back at zero.
var releaseScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('DECR', KEYS[1]) <= 0 then
  redis.call('DEL', KEYS[1])
end
return 0
`)

// Reserve implements FailureCounter: one script per key, all in one
// pipeline, so admitting an attempt is one round trip. A key that admitted
// beside one that refused is released again (a second round trip, on the
// refusal path only). While Redis does not answer (an error, a timeout,
// the breaker open) the attempt is reserved in the local counter instead:
// guessing stays limited per instance during an outage, and no request
// waits on Redis longer than Timeout.
func (c *RedisCounter) Reserve(parent context.Context, max int, window time.Duration, keys ...string) (func(context.Context), string, time.Duration) {
	if len(keys) == 0 {
		return func(context.Context) {}, "", 0
	}
	if c.breaker.open() {
		return c.fallback().Reserve(parent, max, window, keys...)
	}
	ctx, cancel := c.ctx(parent)
	defer cancel()
	pipe := c.Client.Pipeline()
	cmds := make([]*redis.Cmd, len(keys))
	for i, k := range keys {
		cmds[i] = reserveScript.Eval(ctx, pipe, []string{c.Prefix + k}, max, window.Milliseconds())
	}
	_, err := pipe.Exec(ctx)
	c.breaker.record(err)
	if err != nil {
		// What Redis may have counted before it failed stays counted: an
		// outage can cost a legitimate client one attempt, never admit more.
		return c.fallback().Reserve(parent, max, window, keys...)
	}
	full, wait := "", time.Duration(0)
	admitted := make([]string, 0, len(keys))
	for i, k := range keys {
		n, _ := cmds[i].Int64()
		if n > 0 {
			admitted = append(admitted, k)
			continue
		}
		if full == "" {
			full = k
		}
		wait = max64(wait, time.Duration(-n)*time.Millisecond)
	}
	release := func(ctx context.Context) { c.release(ctx, admitted) }
	if full != "" {
		release(parent)
		return nil, full, wait
	}
	return release, "", 0
}

func (c *RedisCounter) release(parent context.Context, keys []string) {
	if len(keys) == 0 || c.breaker.open() {
		return
	}
	ctx, cancel := c.ctx(parent)
	defer cancel()
	pipe := c.Client.Pipeline()
	for _, k := range keys {
		releaseScript.Eval(ctx, pipe, []string{c.Prefix + k})
	}
	_, err := pipe.Exec(ctx)
	c.breaker.record(err)
}

// fallback is the counter used while Redis does not answer. Its counts
// are this instance's own and are not carried over to Redis afterwards.
func (c *RedisCounter) fallback() *MemoryCounter {
	c.localOnce.Do(func() { c.local = NewMemoryCounter() })
	return c.local
}

package cache

import (
	"context"
	"sync"
	"time"
)

// breaker skips a failing store. After threshold consecutive failures it
// opens for cooldown: every call is refused at once, so a dead or paused
// Redis costs requests nothing. When the cooldown ends one caller is let
// through as a probe; its success closes the breaker, its failure reopens
// it for another cooldown. A background success (recovered) closes it too.
type breaker struct {
	mu        sync.Mutex
	threshold int
	cooldown  time.Duration
	now       func() time.Time
	// onChange, when set, learns when the breaker opens (true) and closes
	// (false); it is called outside the lock.
	onChange func(open bool)

	failures  int
	openUntil time.Time
	probing   bool
}

// defaultBreakerCooldown is short: a probe costs one request at most the
// store's deadline, and a store back after a failover should be used again
// well within a second.
const defaultBreakerCooldown = 500 * time.Millisecond

func newBreaker(threshold int, cooldown time.Duration, now func() time.Time) *breaker {
	if threshold <= 0 {
		threshold = 5
	}
	if cooldown <= 0 {
		cooldown = defaultBreakerCooldown
	}
	if now == nil {
		now = time.Now
	}
	return &breaker{threshold: threshold, cooldown: cooldown, now: now}
}

// allow reports whether a call may go to the store now.
func (b *breaker) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures < b.threshold {
		return true
	}
	if b.probing || b.now().Before(b.openUntil) {
		return false
	}
	b.probing = true // half-open: exactly one probe
	return true
}

// done records the outcome of an allowed call.
func (b *breaker) done(ok bool) {
	b.mu.Lock()
	b.probing = false
	wasOpen := b.failures >= b.threshold
	if ok {
		b.failures = 0
	} else {
		b.failures++
		if b.failures >= b.threshold {
			b.openUntil = b.now().Add(b.cooldown)
		}
	}
	isOpen := b.failures >= b.threshold
	onChange := b.onChange
	b.mu.Unlock()
	if onChange != nil && wasOpen != isOpen {
		onChange(isOpen)
	}
}

// recovered closes the breaker after a success outside the request path
// (the background replay or check reached the store).
func (b *breaker) recovered() {
	b.mu.Lock()
	wasOpen := b.failures >= b.threshold
	b.mu.Unlock()
	if wasOpen {
		b.done(true)
	}
}

// open reports whether the breaker is currently refusing calls.
func (b *breaker) open() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failures >= b.threshold
}

// abandon ends an allowed call whose outcome says nothing about the store
// (the caller's own context ended): clients hanging up must not open the
// breaker.
func (b *breaker) abandon() {
	b.mu.Lock()
	b.probing = false
	b.mu.Unlock()
}

// finish records err for a call made under parent: success, a store
// failure, or nothing when parent itself was cancelled.
func (b *breaker) finish(parent context.Context, err error) {
	switch {
	case err == nil:
		b.done(true)
	case parent.Err() != nil:
		b.abandon()
	default:
		b.done(false)
	}
}

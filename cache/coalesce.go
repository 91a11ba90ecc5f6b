package cache

import (
	"context"
	"fmt"
	"sync"
)

// Group coalesces concurrent calls for one key into a single execution
// whose result every caller shares (singleflight, with contexts).
//
// The leader's function runs on a context detached from any one caller's
// cancellation: a client that hangs up must not cancel the fetch the other
// waiters depend on. A waiter whose own context ends stops waiting and gets
// its context error; the fetch carries on.
type Group[T any] struct {
	mu    sync.Mutex
	calls map[string]*flight[T]
}

type flight[T any] struct {
	done    chan struct{}
	val     T
	err     error
	waiters int
}

// Do runs fn once for all concurrent callers with the same key. shared is
// true for callers that received another caller's result.
func (g *Group[T]) Do(ctx context.Context, key string, fn func(context.Context) (T, error)) (v T, shared bool, err error) {
	g.mu.Lock()
	if g.calls == nil {
		g.calls = make(map[string]*flight[T])
	}
	if f, ok := g.calls[key]; ok {
		f.waiters++
		g.mu.Unlock()
		select {
		case <-f.done:
			return f.val, true, f.err
		case <-ctx.Done():
			var zero T
			return zero, true, ctx.Err()
		}
	}
	f := &flight[T]{done: make(chan struct{})}
	g.calls[key] = f
	g.mu.Unlock()

	go func() {
		defer func() {
			if r := recover(); r != nil {
				f.err = fmt.Errorf("cache: fetch panicked: %v", r)
			}
			g.mu.Lock()
			delete(g.calls, key)
			g.mu.Unlock()
			close(f.done)
		}()
		f.val, f.err = fn(context.WithoutCancel(ctx))
	}()
	select {
	case <-f.done:
		return f.val, false, f.err
	case <-ctx.Done():
		var zero T
		return zero, false, ctx.Err()
	}
}

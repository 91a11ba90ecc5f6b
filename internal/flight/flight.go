// Package flight lets concurrent callers with one key share one piece of
// work: the first (the leader) does it, the others (followers) wait for
// its outcome. The cache shares a miss's fetch this way (cache.Group),
// authx a question to CiviCRM and a credential's first use.
package flight

import (
	"context"
	"sync"
)

// Group holds the flights in progress, by key. The zero value is ready.
type Group[T any] struct {
	mu sync.Mutex
	m  map[string]*Flight[T]
}

// Flight is one piece of work in progress.
type Flight[T any] struct {
	done    chan struct{}
	v       T
	waiters int // followers that joined it (Group.mu)
}

// Join returns the flight of key in progress (lead false; the caller is
// counted as one of its followers), or starts one that the caller leads
// (lead true) and must Land on every path, a panic included (defer):
// followers would otherwise wait until their contexts end.
func (g *Group[T]) Join(key string) (f *Flight[T], lead bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f, ok := g.m[key]; ok {
		f.waiters++
		return f, false
	}
	if g.m == nil {
		g.m = map[string]*Flight[T]{}
	}
	f = &Flight[T]{done: make(chan struct{})}
	g.m[key] = f
	return f, true
}

// Land ends the flight f of key with outcome v: callers that join key
// afterwards start a new one, and f's followers get v.
func (g *Group[T]) Land(key string, f *Flight[T], v T) {
	g.mu.Lock()
	if g.m[key] == f {
		delete(g.m, key)
	}
	g.mu.Unlock()
	f.v = v
	close(f.done)
}

// InFlight is how many flights are in progress and how many followers
// wait on them, for tests that must know everyone has joined.
func (g *Group[T]) InFlight() (flights, waiters int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, f := range g.m {
		waiters += f.waiters
	}
	return len(g.m), waiters
}

// Wait returns f's outcome, or ok false when ctx ends first.
func (f *Flight[T]) Wait(ctx context.Context) (v T, ok bool) {
	select {
	case <-f.done:
		return f.v, true
	case <-ctx.Done():
		return v, false
	}
}

package authx

import (
	"context"
	"sync"
)

// flights lets concurrent callers with one key share one piece of work:
// the first (the leader) does it, the others (followers) wait for its
// outcome. APIKeyVerifier asks CiviCRM once per site and credential this
// way, and identify shares a credential's first use (admit).
type flights[T any] struct {
	mu sync.Mutex
	m  map[string]*flight[T]
}

type flight[T any] struct {
	done chan struct{}
	v    T
}

// join returns the flight of key in progress (lead false), or starts one
// that the caller leads (lead true) and must land on every path, a panic
// included (defer): followers would otherwise wait until their contexts
// end.
func (fs *flights[T]) join(key string) (f *flight[T], lead bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f, ok := fs.m[key]; ok {
		return f, false
	}
	if fs.m == nil {
		fs.m = map[string]*flight[T]{}
	}
	f = &flight[T]{done: make(chan struct{})}
	fs.m[key] = f
	return f, true
}

// land ends the flight f of key with outcome v: callers that join key
// afterwards start a new one, and f's followers get v.
func (fs *flights[T]) land(key string, f *flight[T], v T) {
	fs.mu.Lock()
	if fs.m[key] == f {
		delete(fs.m, key)
	}
	fs.mu.Unlock()
	f.v = v
	close(f.done)
}

// wait returns f's outcome, or ok false when ctx ends first.
func (f *flight[T]) wait(ctx context.Context) (v T, ok bool) {
	select {
	case <-f.done:
		return f.v, true
	case <-ctx.Done():
		return v, false
	}
}

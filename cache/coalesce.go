package cache

import (
	"context"
	"fmt"

	"github.com/civigate/civigate/internal/flight"
)

// Group coalesces concurrent calls for one key into a single execution
// whose result every caller shares (singleflight, with contexts).
//
// The leader's function runs on a context detached from any one caller's
// cancellation: a client that hangs up must not cancel the fetch the other
// waiters depend on. A waiter whose own context ends stops waiting and gets
// its context error; the fetch carries on.
type Group[T any] struct {
	flights flight.Group[fetchOutcome[T]]
}

// fetchOutcome is what one fetch came to.
type fetchOutcome[T any] struct {
	val T
	err error
}

// Do runs fn once for all concurrent callers with the same key. shared is
// true for callers that received another caller's result.
func (g *Group[T]) Do(ctx context.Context, key string, fn func(context.Context) (T, error)) (v T, shared bool, err error) {
	f, lead := g.flights.Join(key)
	if lead {
		go func() {
			o := fetchOutcome[T]{}
			defer func() {
				if r := recover(); r != nil {
					o.err = fmt.Errorf("cache: fetch panicked: %v", r)
				}
				g.flights.Land(key, f, o)
			}()
			o.val, o.err = fn(context.WithoutCancel(ctx))
		}()
	}
	o, ok := f.Wait(ctx)
	if !ok {
		return v, !lead, ctx.Err()
	}
	return o.val, !lead, o.err
}

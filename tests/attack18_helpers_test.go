package tests

// Helpers of the attack 18 tests (the cache: writes CiviCRM's BAOs turn
// into rows of other entities, and reads that show them). A stale answer
// is shown with attack 10b's counting upstream (a10bStaleAfter): every
// write bumps the data every later answer shows, so a read served from the
// cache after a write is the answer from before it. Each case runs with
// the in-memory cache and with Redis (a fresh prefix, so runs never share
// entries), and a control first shows the write does invalidate its own
// entity's reads: a failure names a side write the cache misses, not a
// write it does not see at all.

import (
	"fmt"
	"testing"
	"time"
)

// a18Modes are the cache stores every case runs against: memory (the
// default) and Redis.
func a18Modes(t *testing.T) map[string][]string {
	t.Helper()
	return map[string][]string{
		"memory": nil,
		"redis":  {"redis " + redisURL(t), fmt.Sprintf("redis_prefix civigate-a18-%d:", time.Now().UnixNano())},
	}
}

// a18MustInvalidate checks, in each mode, that every control's write
// invalidates its read (the precondition) and every case's write its read.
func a18MustInvalidate(t *testing.T, controls, cases []a15Case) {
	t.Helper()
	for _, mode := range []string{"memory", "redis"} {
		lines := a18Modes(t)[mode]
		for _, c := range controls {
			sim, u, inst := a10bSetup(t, lines...)
			if s := a10bStaleAfter(t, sim, u, inst, c.read, c.write); s != "" {
				t.Fatalf("%s: precondition: %s", mode, s)
			}
		}
		for _, c := range cases {
			t.Run(mode+": "+c.write.String()+" then "+c.read.String(), func(t *testing.T) {
				sim, u, inst := a10bSetup(t, lines...)
				if s := a10bStaleAfter(t, sim, u, inst, c.read, c.write); s != "" {
					t.Errorf("%s.\nCiviCRM would answer differently: %s", s, c.why)
				}
			})
		}
	}
}

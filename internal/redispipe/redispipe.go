// Package redispipe reads a go-redis pipeline's outcome for the cache and
// the guessing counters alike (they may not import each other).
package redispipe

import (
	"errors"

	"github.com/redis/go-redis/v9"
)

// Failure is the first real failure of a pipeline, or nil: Exec reports
// the first error of its commands, which may be an absent key's harmless
// redis.Nil queued before a command that really failed (a Cluster
// failover's MOVED or CLUSTERDOWN, a timeout), so every command is looked
// at whenever Exec reports anything.
func Failure(cmds []redis.Cmder, err error) error {
	if err == nil {
		return nil
	}
	for _, c := range cmds {
		if e := c.Err(); e != nil && !errors.Is(e, redis.Nil) {
			return e
		}
	}
	if errors.Is(err, redis.Nil) {
		return nil
	}
	return err
}

package cache

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// RedisFailure describes one failed Redis operation without a key, a value
// or an address: every field comes from a small fixed set, so it can be a
// metric label and a log field.
type RedisFailure struct {
	// Op is what Civigate was doing (cache_get, cache_invalidate,
	// usage_flush, …), or the Redis command when the caller did not say.
	Op string
	// Class is what went wrong: timeout, unreachable, crossslot, moved,
	// ask, readonly, loading, clusterdown, masterdown, tryagain, noscript,
	// auth, oom or other.
	Class string
	// Topology is single, sentinel or cluster.
	Topology string
}

// RedisWatch sees every command a client built by NewRedisClient runs
// (through a go-redis hook, on every cluster node too) and the
// subscriptions Civigate reports to it. Failures go to the function set
// with OnFailure; on Cluster, a failure that may mean the topology changed
// asks go-redis to reload its slot map at once instead of after
// ClusterStateReloadInterval.
type RedisWatch struct {
	Topology  string
	onFailure atomic.Pointer[func(RedisFailure)]
	reload    func()
}

// OnFailure sets the function told about every failure (nil: none).
func (w *RedisWatch) OnFailure(f func(RedisFailure)) {
	if w == nil {
		return
	}
	if f == nil {
		w.onFailure.Store(nil)
		return
	}
	w.onFailure.Store(&f)
}

// Report classifies err (nil, redis.Nil and the caller's own cancellation
// are not failures) and passes it on. It returns whether err was a failure.
func (w *RedisWatch) Report(op string, err error) bool {
	class := classifyRedisError(err)
	if class == "" || w == nil {
		return class != ""
	}
	if w.reload != nil && topologyMayHaveChanged(class) {
		w.reload()
	}
	if f := w.onFailure.Load(); f != nil {
		(*f)(RedisFailure{Op: op, Class: class, Topology: w.Topology})
	}
	return true
}

func topologyMayHaveChanged(class string) bool {
	switch class {
	case "unreachable", "timeout", "moved", "ask", "readonly", "clusterdown", "masterdown", "tryagain", "loading":
		return true
	}
	return false
}

// classifyRedisError names what kind of failure err is, or "" when it is
// none. Redis error replies are classified by their code, never kept:
// their text may quote what was sent.
func classifyRedisError(err error) string {
	switch {
	case err == nil, errors.Is(err, redis.Nil):
		return ""
	case errors.Is(err, context.Canceled):
		return "" // the caller went away (deadlines are DeadlineExceeded): says nothing about Redis
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case redis.IsClusterDownError(err):
		return "clusterdown"
	case redis.IsMasterDownError(err):
		return "masterdown"
	case redis.IsTryAgainError(err):
		return "tryagain"
	case redis.IsLoadingError(err):
		return "loading"
	case redis.IsReadOnlyError(err):
		return "readonly"
	case redis.IsAuthError(err), redis.IsPermissionError(err):
		return "auth"
	case redis.IsOOMError(err):
		return "oom"
	}
	if _, ok := redis.IsMovedError(err); ok {
		return "moved"
	}
	if _, ok := redis.IsAskError(err); ok {
		return "ask"
	}
	var re redis.Error
	if errors.As(err, &re) {
		msg := re.Error()
		switch {
		case strings.HasPrefix(msg, "CROSSSLOT"):
			return "crossslot"
		case strings.HasPrefix(msg, "NOSCRIPT"):
			return "noscript"
		}
		return "other"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return "unreachable" // refused, reset, closed, no route, pool exhausted
}

// redisOpKey carries the name of the operation a command belongs to.
type redisOpKey struct{}

// WithRedisOp names the operation the Redis commands run under ctx belong
// to, for RedisFailure.Op. The name must come from a fixed set.
func WithRedisOp(ctx context.Context, op string) context.Context {
	return context.WithValue(ctx, redisOpKey{}, op)
}

// redisCommands are the commands Civigate sends; others are "other", so a
// label never takes a value from outside the code.
var redisCommands = map[string]bool{
	"get": true, "set": true, "setnx": true, "incr": true, "pttl": true, "del": true, "unlink": true,
	"scan": true, "hget": true, "hmget": true, "hincrby": true, "hsetnx": true, "hgetall": true,
	"eval": true, "evalsha": true, "publish": true, "subscribe": true, "wait": true, "info": true,
	"ping": true, "cluster": true,
}

// handshake commands are go-redis's own on a new connection; it copes
// with their refusal (an older Redis), so they are not failures.
func handshake(cmd redis.Cmder) bool {
	switch strings.ToLower(cmd.Name()) {
	case "hello", "client":
		return true
	}
	return false
}

func redisOp(ctx context.Context, cmd redis.Cmder) string {
	if op, ok := ctx.Value(redisOpKey{}).(string); ok {
		return op
	}
	if name := strings.ToLower(cmd.Name()); redisCommands[name] {
		return name
	}
	return "other"
}

// watchHook reports every failed command or pipeline to a RedisWatch.
type watchHook struct{ w *RedisWatch }

func (h watchHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h watchHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if !handshake(cmd) {
			h.w.Report(redisOp(ctx, cmd), err)
		}
		return err
	}
}

func (h watchHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if len(cmds) == 0 || handshake(cmds[0]) {
			return err
		}
		// One report per pipeline: its first real failure.
		for _, c := range cmds {
			if h.w.Report(redisOp(ctx, c), c.Err()) {
				return err
			}
		}
		h.w.Report(redisOp(ctx, cmds[0]), err)
		return err
	}
}

package cache

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// invalidationFollower is what an invalidationListener tells of the
// store's invalidation channel (every Invalidate publishes its tags there,
// from every instance).
type invalidationFollower interface {
	// reset: messages may have been missed (the subscription broke, live
	// false) or the subscription was (re)confirmed (live true).
	reset(live bool)
	// forget: an invalidation of tags was heard.
	forget(tags []string)
}

// invalidationListener follows one RedisStore's invalidation channel for
// one follower (the memory tier's coherence, the verdict generation, the
// store's own counters known to be behind), on its own subscription,
// until Close. The store reads each message first (heard).
type invalidationListener struct {
	sub    *redis.PubSub
	cancel context.CancelFunc
	done   chan struct{}

	closeOnce sync.Once
	closeErr  error
}

// listenInvalidations subscribes to r's channel for f; a broken
// subscription is reported to r's watch as op and retried every 100 ms.
func listenInvalidations(r *RedisStore, op string, f invalidationFollower) *invalidationListener {
	ctx, cancel := context.WithCancel(context.Background())
	l := &invalidationListener{sub: r.c.Subscribe(ctx, r.channel), cancel: cancel, done: make(chan struct{})}
	go l.listen(ctx, r, op, f)
	return l
}

func (l *invalidationListener) listen(ctx context.Context, r *RedisStore, op string, f invalidationFollower) {
	defer close(l.done)
	for ctx.Err() == nil {
		msg, err := l.sub.Receive(ctx)
		if err != nil {
			f.reset(false)
			if ctx.Err() == nil {
				r.watch.Report(op, err)
				select {
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
			}
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			f.reset(m.Kind == "subscribe")
		case *redis.Message:
			f.forget(r.heard(m.Payload))
		}
	}
}

// Close stops the subscription; again, it does nothing (GenWatches
// sharing one each close it).
func (l *invalidationListener) Close() error {
	l.closeOnce.Do(func() {
		l.cancel()
		l.closeErr = l.sub.Close()
		<-l.done
	})
	return l.closeErr
}

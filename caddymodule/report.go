package caddymodule

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/civigate/civigate/translate"
)

// The legacy-usage report tells a site which integrations still use which
// legacy form, so it knows whom to migrate before retiring extern/rest.php.

// Legacy features a request can use; one request may use several.
const (
	usageExtern   = "extern"          // extern/rest.php
	usageWPRest   = "wp_rest"         // WordPress REST route
	usageVerbose  = "verbose_url"     // AJAX route through a CMS's unclean URL
	usageKeyValue = "key_value"       // API params as key-value pairs instead of json=
	usageXML      = "xml"             // XML answers
	usageURLCreds = "url_credentials" // key/api_key in the query string
	// usageAPI4 is not legacy: APIv4 calls are counted beside the legacy
	// features so the report shows the migration arriving.
	usageAPI4 = "api4"
)

// legacyFeatures lists the legacy features call uses.
func legacyFeatures(call *translate.Call) []string {
	var f []string
	switch call.Form {
	case translate.FormExtern:
		f = append(f, usageExtern)
	case translate.FormWPRest:
		f = append(f, usageWPRest)
	case translate.FormAjaxVerbose:
		f = append(f, usageVerbose)
	case translate.FormAPI4:
		f = append(f, usageAPI4)
	}
	if call.KeyValue {
		f = append(f, usageKeyValue)
	}
	if call.Format == translate.FormatXML {
		f = append(f, usageXML)
	}
	if call.Credentials.APIKey != "" || call.Credentials.SiteKey != "" {
		f = append(f, usageURLCreds)
	}
	return f
}

// UsageEntry is one line of the report: a caller's use of one legacy feature.
type UsageEntry struct {
	Feature        string    `json:"feature"`
	ContactID      int64     `json:"contact_id,omitempty"`
	KeyFingerprint string    `json:"key_fingerprint,omitempty"`
	Count          int64     `json:"count"`
	FirstSeen      time.Time `json:"first_seen"`
	LastSeen       time.Time `json:"last_seen"`
}

type usageCaller struct {
	contactID   int64
	fingerprint string
}

// usageSource names where a handler's report lives: the Redis keys it
// shares with other handlers, or its own memory.
func (h *Handler) usageSource() string {
	if h.redisClient != nil {
		return "redis|" + h.redisURL + "|" + h.redisPrefix
	}
	return fmt.Sprintf("memory|%p", h)
}

// usageRecorder stores the report. Recording never blocks a request.
type usageRecorder interface {
	record(features []string, caller usageCaller, now time.Time)
	report(ctx context.Context) ([]UsageEntry, error)
	close()
}

// maxUsageEntries bounds the in-memory report (features × callers).
const maxUsageEntries = 10000

type memoryUsage struct {
	mu      sync.Mutex
	entries map[usageKey]*UsageEntry
}

type usageKey struct {
	feature string
	caller  usageCaller
}

// member names a feature and caller in Redis.
func (k usageKey) member() string {
	return k.feature + "|" + strconv.FormatInt(k.caller.contactID, 10) + "|" + k.caller.fingerprint
}

func newMemoryUsage() *memoryUsage { return &memoryUsage{entries: map[usageKey]*UsageEntry{}} }

func (m *memoryUsage) record(features []string, caller usageCaller, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range features {
		k := usageKey{f, caller}
		e, ok := m.entries[k]
		if !ok {
			if len(m.entries) >= maxUsageEntries {
				continue
			}
			e = &UsageEntry{Feature: f, ContactID: caller.contactID, KeyFingerprint: caller.fingerprint, FirstSeen: now}
			m.entries[k] = e
		}
		e.Count++
		e.LastSeen = now
	}
}

func (m *memoryUsage) report(context.Context) ([]UsageEntry, error) {
	m.mu.Lock()
	out := make([]UsageEntry, 0, len(m.entries))
	for _, e := range m.entries {
		out = append(out, *e)
	}
	m.mu.Unlock()
	sortUsage(out)
	return out, nil
}

func (m *memoryUsage) close() {}

func sortUsage(out []UsageEntry) {
	sort.Slice(out, func(i, j int) bool {
		if out[i].Feature != out[j].Feature {
			return out[i].Feature < out[j].Feature
		}
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].ContactID < out[j].ContactID
	})
}

// redisUsage keeps the report in Redis so every instance contributes.
// Requests only add to an in-memory tally; a background loop writes the
// tally to Redis once per flush interval, so the report costs Redis a few
// commands a second instead of several per request, and a slow Redis never
// delays a request.
type redisUsage struct {
	client redis.UniversalClient
	prefix string

	mu    sync.Mutex
	tally *memoryUsage // counts since the last flush
	stop  chan struct{}
	done  chan struct{}
}

const (
	redisUsageTimeout = 200 * time.Millisecond
	usageFlushEvery   = time.Second
)

func newRedisUsage(client redis.UniversalClient, prefix string) *redisUsage {
	u := &redisUsage{client: client, prefix: prefix + "usage:", tally: newMemoryUsage(),
		stop: make(chan struct{}), done: make(chan struct{})}
	go u.loop()
	return u
}

func (u *redisUsage) record(features []string, caller usageCaller, now time.Time) {
	u.mu.Lock()
	u.tally.record(features, caller, now)
	u.mu.Unlock()
}

func (u *redisUsage) loop() {
	flushLoop(usageFlushEvery, u.flush, u.stop, u.done)
}

// flush merges the tally into Redis. A failed flush loses that second's
// counts (the report is statistics, not an audit log).
func (u *redisUsage) flush() {
	u.mu.Lock()
	batch := u.tally.entries
	u.tally = newMemoryUsage()
	u.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), redisUsageTimeout)
	defer cancel()
	pipe := u.client.Pipeline()
	for k, e := range batch {
		member := k.member()
		// EVAL, not EVALSHA: a pipeline cannot fall back when the script is not cached.
		usageMerge.Eval(ctx, pipe, []string{u.prefix + member, u.prefix + "index"},
			member, e.Count, e.FirstSeen.UnixMilli(), e.LastSeen.UnixMilli())
	}
	_, _ = pipe.Exec(ctx)
}

// usageMerge adds one instance's tally to the shared entry: counts add up,
// first seen is the earliest and last seen the latest over all instances,
// whichever flushes first.
var usageMerge = redis.NewScript(`
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('HINCRBY', KEYS[1], 'count', ARGV[2])
local first = tonumber(redis.call('HGET', KEYS[1], 'first'))
if not first or tonumber(ARGV[3]) < first then redis.call('HSET', KEYS[1], 'first', ARGV[3]) end
local last = tonumber(redis.call('HGET', KEYS[1], 'last'))
if not last or tonumber(ARGV[4]) > last then redis.call('HSET', KEYS[1], 'last', ARGV[4]) end
return 1`)

func (u *redisUsage) report(ctx context.Context) ([]UsageEntry, error) {
	members, err := u.client.SMembers(ctx, u.prefix+"index").Result()
	if err != nil {
		return nil, err
	}
	pipe := u.client.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(members))
	for i, m := range members {
		cmds[i] = pipe.HGetAll(ctx, u.prefix+m)
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, err
	}
	out := make([]UsageEntry, 0, len(members))
	for i, m := range members {
		parts := strings.SplitN(m, "|", 3)
		if len(parts) != 3 {
			continue
		}
		h := cmds[i].Val()
		cid, _ := strconv.ParseInt(parts[1], 10, 64)
		count, _ := strconv.ParseInt(h["count"], 10, 64)
		first, _ := strconv.ParseInt(h["first"], 10, 64)
		last, _ := strconv.ParseInt(h["last"], 10, 64)
		out = append(out, UsageEntry{
			Feature: parts[0], ContactID: cid, KeyFingerprint: parts[2], Count: count,
			FirstSeen: time.UnixMilli(first).UTC(), LastSeen: time.UnixMilli(last).UTC(),
		})
	}
	sortUsage(out)
	return out, nil
}

func (u *redisUsage) close() {
	close(u.stop)
	<-u.done
}

package caddymodule

import (
	"context"
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

func (c usageCaller) id() string {
	return strconv.FormatInt(c.contactID, 10) + "|" + c.fingerprint
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
	entries map[string]*UsageEntry
}

func newMemoryUsage() *memoryUsage { return &memoryUsage{entries: map[string]*UsageEntry{}} }

func (m *memoryUsage) record(features []string, caller usageCaller, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range features {
		k := f + "|" + caller.id()
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

// redisUsage keeps the report in Redis so every instance contributes. Writes
// go through a bounded queue drained by one goroutine; when Redis is slow the
// queue fills and further events are dropped rather than delaying requests.
type redisUsage struct {
	client redis.UniversalClient
	prefix string
	queue  chan usageEvent
	done   chan struct{}
}

type usageEvent struct {
	features []string
	caller   usageCaller
	at       time.Time
}

const redisUsageTimeout = 50 * time.Millisecond

func newRedisUsage(client redis.UniversalClient, prefix string) *redisUsage {
	u := &redisUsage{client: client, prefix: prefix + "usage:", queue: make(chan usageEvent, 1024), done: make(chan struct{})}
	go u.drain()
	return u
}

func (u *redisUsage) record(features []string, caller usageCaller, now time.Time) {
	select {
	case u.queue <- usageEvent{features, caller, now}:
	default: // Redis is behind; the report is best effort.
	}
}

func (u *redisUsage) drain() {
	defer close(u.done)
	for ev := range u.queue {
		ctx, cancel := context.WithTimeout(context.Background(), redisUsageTimeout)
		pipe := u.client.Pipeline()
		for _, f := range ev.features {
			member := f + "|" + ev.caller.id()
			key := u.prefix + member
			pipe.SAdd(ctx, u.prefix+"index", member)
			pipe.HIncrBy(ctx, key, "count", 1)
			pipe.HSetNX(ctx, key, "first", ev.at.UnixMilli())
			pipe.HSet(ctx, key, "last", ev.at.UnixMilli())
		}
		_, _ = pipe.Exec(ctx)
		cancel()
	}
}

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
	close(u.queue)
	<-u.done
}

package caddymodule

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/civigate/civigate/cache"
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
	if urlCredentials(call) {
		f = append(f, usageURLCreds)
	}
	return f
}

// urlCredentials: the call sent key or api_key as parameters (AuthX's
// legacyrest flow on the modern forms), not in headers.
func urlCredentials(call *translate.Call) bool {
	return call.Credentials.APIKey != "" || call.Credentials.SiteKey != ""
}

// usesLegacy is the one test of a legacy call, on legacyFeatures' list:
// the console counts such calls as legacy, and after the cut-off they
// are refused (Handler.retireLegacy).
func usesLegacy(features []string) bool {
	return slices.ContainsFunc(features, isLegacyFeature)
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
	record(s historySample) // the features and caller of a call or a run of calls
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

func (m *memoryUsage) record(s historySample) {
	first := s.since()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range s.features {
		k := usageKey{f, s.caller}
		e, ok := m.entries[k]
		if !ok {
			if len(m.entries) >= maxUsageEntries {
				continue
			}
			e = &UsageEntry{Feature: f, ContactID: s.caller.contactID, KeyFingerprint: s.caller.fingerprint, FirstSeen: first, LastSeen: s.at}
			m.entries[k] = e
		}
		e.Count += s.calls()
		// A run is recorded after calls that came later (foldUsage).
		if first.Before(e.FirstSeen) {
			e.FirstSeen = first
		}
		if s.at.After(e.LastSeen) {
			e.LastSeen = s.at
		}
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
// Requests only add to an in-memory tally; a background loop merges the
// tally into Redis once per flush interval, so the report costs Redis a few
// commands a second instead of several per request, and a slow Redis never
// delays a request. The whole report is one hash (fields c|, f| and l|
// followed by the feature|contact|fingerprint member: count, first and
// last seen), so the merge touches one key: one Cluster slot, no CROSSSLOT.
type redisUsage struct {
	client redis.UniversalClient
	key    string

	mu    sync.Mutex
	tally *memoryUsage // counts since the last flush
	fold  func()       // nil: nothing to fold
	stop  chan struct{}
	done  chan struct{}
}

const (
	redisUsageTimeout = 200 * time.Millisecond
	usageFlushEvery   = time.Second
	// usageMergeBatch bounds the members one merge script handles.
	usageMergeBatch = 200
)

// newRedisUsage is a report in Redis; run starts its flush loop.
func newRedisUsage(client redis.UniversalClient, prefix string) *redisUsage {
	return &redisUsage{client: client, key: prefix + "usage", tally: newMemoryUsage(),
		stop: make(chan struct{}), done: make(chan struct{})}
}

// run starts the flush loop, which calls fold (foldUsage) before each
// flush; close stops it.
func (u *redisUsage) run(fold func()) {
	u.fold = fold
	go u.loop()
}

func (u *redisUsage) record(s historySample) {
	u.mu.Lock()
	u.tally.record(s)
	u.mu.Unlock()
}

func (u *redisUsage) loop() {
	flushLoop(usageFlushEvery, u.flush, u.stop, u.done)
}

// flush merges the tally into Redis. What a failed merge held goes back
// into the tally for the next flush (a merge that ran but whose answer was
// lost may so count twice: the report is statistics, not an audit log).
func (u *redisUsage) flush() {
	if u.fold != nil {
		u.fold()
	}
	u.mu.Lock()
	batch := u.tally.entries
	u.tally = newMemoryUsage()
	u.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(cache.WithRedisOp(context.Background(), "usage_flush"), redisUsageTimeout)
	defer cancel()
	var failed []*UsageEntry
	args := make([]any, 0, 4*min(len(batch), usageMergeBatch))
	var members []*UsageEntry
	merge := func() {
		// EVAL, not EVALSHA: a script cache miss would be a NOSCRIPT error
		// for the failure count; the script is a few hundred bytes.
		if len(members) == 0 {
			return
		}
		if len(failed) > 0 || usageMerge.Eval(ctx, u.client, []string{u.key}, args...).Err() != nil {
			failed = append(failed, members...)
		}
		args, members = args[:0], members[:0]
	}
	for k, e := range batch {
		args = append(args, k.member(), e.Count, e.FirstSeen.UnixMilli(), e.LastSeen.UnixMilli())
		members = append(members, e)
		if len(members) == usageMergeBatch {
			merge()
		}
	}
	merge()
	if len(failed) > 0 {
		u.mu.Lock()
		u.tally.merge(failed)
		u.mu.Unlock()
	}
}

// merge adds entries back into a tally, within its bound.
func (m *memoryUsage) merge(entries []*UsageEntry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range entries {
		k := usageKey{e.Feature, usageCaller{e.ContactID, e.KeyFingerprint}}
		cur, ok := m.entries[k]
		if !ok {
			if len(m.entries) >= maxUsageEntries {
				continue
			}
			m.entries[k] = e
			continue
		}
		cur.Count += e.Count
		if e.FirstSeen.Before(cur.FirstSeen) {
			cur.FirstSeen = e.FirstSeen
		}
		if e.LastSeen.After(cur.LastSeen) {
			cur.LastSeen = e.LastSeen
		}
	}
}

// usageMerge adds one instance's tally to the shared report: counts add
// up, first seen is the earliest and last seen the latest over all
// instances, whichever flushes first. ARGV holds (member, count, first,
// last) quadruples.
var usageMerge = redis.NewScript(`
local h = KEYS[1]
for i = 1, #ARGV, 4 do
  local m = ARGV[i]
  redis.call('HINCRBY', h, 'c|' .. m, ARGV[i+1])
  local first = tonumber(redis.call('HGET', h, 'f|' .. m))
  if not first or tonumber(ARGV[i+2]) < first then redis.call('HSET', h, 'f|' .. m, ARGV[i+2]) end
  local last = tonumber(redis.call('HGET', h, 'l|' .. m))
  if not last or tonumber(ARGV[i+3]) > last then redis.call('HSET', h, 'l|' .. m, ARGV[i+3]) end
end
return 1`)

func (u *redisUsage) report(ctx context.Context) ([]UsageEntry, error) {
	fields, err := u.client.HGetAll(cache.WithRedisOp(ctx, "usage_report"), u.key).Result()
	if err != nil {
		return nil, err
	}
	out := make([]UsageEntry, 0, len(fields)/3)
	for f, count := range fields {
		m, ok := strings.CutPrefix(f, "c|")
		if !ok {
			continue
		}
		parts := strings.SplitN(m, "|", 3)
		if len(parts) != 3 {
			continue
		}
		cid, _ := strconv.ParseInt(parts[1], 10, 64)
		n, _ := strconv.ParseInt(count, 10, 64)
		first, _ := strconv.ParseInt(fields["f|"+m], 10, 64)
		last, _ := strconv.ParseInt(fields["l|"+m], 10, 64)
		out = append(out, UsageEntry{
			Feature: parts[0], ContactID: cid, KeyFingerprint: parts[2], Count: n,
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

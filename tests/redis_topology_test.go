package tests

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civigate/civigate/cache"
)

// Every feature that shares state through Redis, proven on the three
// topologies Civigate supports, each started for real (plain redis-server,
// Sentinel with a replica, a 3+3 Cluster), with two Civigate instances in
// processes of their own, one with a memory tier and one without:
// a cached hit served by both, a write through one invalidating the
// other's entries (and its memory tier), the usage report fed by both,
// shared guessing counters, the admin purge, the store's own Purge, an
// invalidation made while Redis was unreachable reaching the other
// instance although its writer stays idle, and no CROSSSLOT, MOVED or ASK
// error anywhere. On Sentinel and Cluster a master is then killed under
// load (see failoverUnderLoad).
func TestRedisTopologies(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real Redis topologies")
	}
	if md := os.Getenv("CIVIGATE_RELIABILITY_MD"); md != "" {
		reliability.Lock()
		if reliability.loadBefore == "" {
			reliability.loadBefore = loadAverage()
		}
		reliability.Unlock()
		defer writeReliability(t, md)
	}
	bin := buildCivigate(t)
	for _, tc := range []struct {
		name     string
		start    func(*testing.T) *redisTopology
		failover bool
	}{
		{"plain", startPlainTopology, false},
		{"sentinel", startSentinelTopology, true},
		{"cluster", startClusterTopology, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			began := time.Now()
			e := startTopologyEnv(t, bin, tc.start(t))
			t.Logf("%s: topology and 2 instances up in %v", tc.name, time.Since(began).Round(100*time.Millisecond))
			e.checkSharedEntries(t)
			e.checkInvalidation(t)
			e.checkUsageReport(t)
			e.checkSharedFailureCounters(t)
			e.checkAdminPurge(t)
			e.checkStorePurge(t)
			e.checkIdleWriter(t)
			e.checkNoSlotErrors(t)
			if tc.failover {
				e.failoverUnderLoad(t)
			}
			t.Logf("%s: done in %v", tc.name, time.Since(began).Round(100*time.Millisecond))
		})
	}
}

// topologyRedisTimeout is the instances' redis_timeout: wider than the
// 10ms default so that a loaded machine (parallel test processes, load
// averages of 20 and more) does not turn checks into misses, nor a
// guessing-protection reservation into the per-instance count an outage
// falls back to (the shared-counter check then saw 200 where 429 was due);
// failover behaviour does not depend on it.
const topologyRedisTimeout = "150ms"

// topoEnv is a topology, a CiviCRM and two Civigate instances (insts[0]
// with a memory tier) sharing the topology.
type topoEnv struct {
	tp     *redisTopology
	up     *aclCiviCRM
	sk     string
	prefix string
	insts  [2]*civigateProc

	mu     sync.Mutex
	extern int64 // successful extern/rest.php calls, for the usage report
}

func startTopologyEnv(t *testing.T, bin string, tp *redisTopology) *topoEnv {
	t.Helper()
	e := &topoEnv{tp: tp, up: newACLCiviCRM(t), sk: "sk-" + randomHex(t, 12), prefix: "civigate-topo-" + randomHex(t, 4) + ":"}
	secret := randomHex(t, 16)
	for i := range e.insts {
		tier := ""
		if i == 0 {
			tier = "\t\t\tmemory_tier 4MiB\n"
		}
		cf := "{\n\tadmin 127.0.0.1:{ADMIN}\n\tlog {\n\t\toutput stderr\n\t\tformat json\n\t\tlevel WARN\n\t}\n}\n" +
			"http://:{PORT} {\n\tcivicrm {\n" +
			"\t\tsite_key " + e.sk + "\n\t\tredis " + tp.url(i) + "\n\t\tredis_prefix " + e.prefix + "\n" +
			"\t\tcache {\n" + tier + "\t\t\tredis_timeout " + topologyRedisTimeout + "\n\t\t}\n" +
			"\t\tauth {\n\t\t\tsecret " + secret + "\n\t\t\tmax_failures 3 1m\n\t\t}\n" +
			"\t}\n\treverse_proxy " + strings.TrimPrefix(e.up.srv.URL, "http://") + "\n}\n"
		e.insts[i] = startCivigateProc(t, bin, cf)
	}
	// A new client's first operations dial and (on Cluster) load the slot
	// map within the request's deadline; let that happen before checking.
	for i := range e.insts {
		eventually(t, 10*time.Second, fmt.Sprintf("instance %d caching", i), func() bool {
			return !strings.Contains(cacheStatus(e.read(t, i, 2, "warm-up")), "store-down")
		})
	}
	return e
}

func (e *topoEnv) readURL(i int, contact int64, q string) string {
	js := fmt.Sprintf(`{"id":%d,"q":%q}`, contact, q)
	return e.insts[i].URL + externPath + "?entity=Contact&action=get&json=" + url.QueryEscape(js) +
		"&key=" + e.sk + "&api_key=" + e.up.key(contact)
}

// read is one read through instance i; it must succeed.
func (e *topoEnv) read(t *testing.T, i int, contact int64, q string) answer {
	t.Helper()
	a := do(t, "GET", e.readURL(i, contact, q), "", siteHost)
	if a.status != 200 || !strings.Contains(a.body, `"is_error":0`) {
		t.Fatalf("read %q through instance %d: %d %.300s", q, i, a.status, a.body)
	}
	e.mu.Lock()
	e.extern++
	e.mu.Unlock()
	return a
}

func (e *topoEnv) writeRequest(i int) (*http.Request, error) {
	r, err := http.NewRequest("POST", e.insts[i].URL+externPath,
		strings.NewReader("entity=Contact&action=create&json=1&contact_type=Individual&key="+e.sk+"&api_key="+e.up.key(3)))
	if err == nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return r, err
}

// write creates a contact through instance i and returns the write count
// CiviCRM had after it.
func (e *topoEnv) write(t *testing.T, i int) int64 {
	t.Helper()
	r, err := e.writeRequest(i)
	if err != nil {
		t.Fatal(err)
	}
	a := doReq(t, r)
	n := writeNumber(a.body)
	if a.status != 200 || n == 0 {
		t.Fatalf("write through instance %d: %d %.300s", i, a.status, a.body)
	}
	e.mu.Lock()
	e.extern++
	e.mu.Unlock()
	return n
}

var (
	writesSeen = regexp.MustCompile(`"writes":"(\d+)"`)
	writeID    = regexp.MustCompile(`"id":(\d+)`)
)

// writesIn is the write count a read answer was computed after (-1: none).
func writesIn(body string) int64 {
	m := writesSeen.FindStringSubmatch(body)
	if m == nil {
		return -1
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

// writeNumber is the n of the nth write from a create answer (id 100+n).
func writeNumber(body string) int64 {
	m := writeID.FindStringSubmatch(body)
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n - 100
}

func cacheStatus(a answer) string { return a.header.Get("Cache-Status") }

// A read stored through one instance is a hit on both.
func (e *topoEnv) checkSharedEntries(t *testing.T) {
	before := e.up.reads.Load()
	if cs := cacheStatus(e.read(t, 0, 3, "shared")); !strings.Contains(cs, "stored") {
		t.Fatalf("first read: Cache-Status %q, want stored", cs)
	}
	for i := range e.insts {
		if cs := cacheStatus(e.read(t, i, 3, "shared")); cs != "Civigate; hit" {
			t.Fatalf("read through instance %d: Cache-Status %q, want a hit", i, cs)
		}
	}
	if n := e.up.reads.Load() - before; n != 1 {
		t.Fatalf("%d reads reached CiviCRM, want 1", n)
	}
}

// A write through either instance invalidates the other's entries: the
// plain instance's at once, the memory tier's as soon as the invalidation
// message arrives (milliseconds; its first tier trusts what it learned for
// 1s at most, and this allows half of that for a loaded machine).
func (e *topoEnv) checkInvalidation(t *testing.T) {
	for _, w := range []int{1, 0} {
		q := "inv-" + itoa(w)
		e.read(t, 0, 3, q)
		e.read(t, 1, 3, q)
		e.read(t, 0, 3, q) // the memory tier holds it now
		n := e.write(t, w)
		written := time.Now()
		other := 1 - w
		for stale := 0; ; stale++ {
			a := e.read(t, other, 3, q)
			got := writesIn(a.body)
			if got >= n {
				if stale > 0 {
					t.Logf("the memory tier answered as of before the write %d times, for %v (invalidation message in flight)",
						stale, time.Since(written).Round(time.Millisecond))
				}
				break
			}
			if other == 1 || time.Since(written) > 500*time.Millisecond {
				t.Fatalf("after write %d through instance %d, instance %d answered (%s) as of write %d", n, w, other, cacheStatus(a), got)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// Both instances feed one report and one console history; each instance
// serves all of it.
func (e *topoEnv) checkUsageReport(t *testing.T) {
	e.mu.Lock()
	want := e.extern
	e.mu.Unlock()
	for i, inst := range e.insts {
		eventually(t, 5*time.Second, fmt.Sprintf("usage report of instance %d counts %d extern calls", i, want), func() bool {
			var rep usageReport
			getJSON(t, inst.Admin+"/civigate/legacy-usage", &rep)
			var n int64
			for _, u := range rep.LegacyUsage {
				if u.Feature == "extern" {
					n += u.Count
				}
			}
			return n == want
		})
		// The console's daily history is in the same Redis: one hash per
		// day, merged by a script on that one key.
		eventually(t, 5*time.Second, fmt.Sprintf("console history of instance %d counts %d extern calls today", i, want), func() bool {
			var rep consoleReport
			getJSON(t, inst.Admin+"/civigate/legacy-usage?days=1", &rep)
			return len(rep.Errors) == 0 && rep.History.Storage == "redis" && len(rep.Trend) == 1 && rep.Trend[0].Features["extern"] == want
		})
	}
}

// Guessing protection counts failures through both instances together.
func (e *topoEnv) checkSharedFailureCounters(t *testing.T) {
	client := fromAddress("127.0.0.2")
	bad := "bad-" + randomHex(t, 8)
	attempt := func(i int) int {
		r, _ := http.NewRequest("GET", e.insts[i].URL+externPath+"?entity=Contact&action=get&json=1&key="+e.sk+"&api_key="+bad, nil)
		return doWith(t, client, r).status
	}
	for k, i := range []int{0, 0, 1} {
		if st := attempt(i); st != 200 {
			t.Fatalf("failure %d through instance %d: status %d, want the legacy refusal (200)", k+1, i, st)
		}
	}
	for i := range e.insts {
		if st := attempt(i); st != http.StatusTooManyRequests {
			t.Fatalf("after 3 failures spread over both instances, instance %d answered %d, want 429", i, st)
		}
	}
}

// The admin purge through one instance empties what both serve: the
// first read after it misses on either (the memory tier's within the 1s it
// may trust what it learned), whichever reads first.
func (e *topoEnv) checkAdminPurge(t *testing.T) {
	for _, query := range []string{"", "?contact=3", "?entity=Contact"} {
		for first := range e.insts {
			q := fmt.Sprintf("purge%s-%d", query, first)
			e.read(t, 1-first, 3, q)
			if cs := cacheStatus(e.read(t, first, 3, q)); cs != "Civigate; hit" {
				t.Fatalf("before purge%s: %q", query, cs)
			}
			purge(t, e.insts[1-first].Admin, query)
			eventually(t, time.Second, fmt.Sprintf("purge%s through instance %d seen by instance %d", query, 1-first, first), func() bool {
				return !strings.Contains(cacheStatus(e.read(t, first, 3, q)), "hit")
			})
		}
	}
}

// The store's own Purge (every entry of its prefix, to free memory) works
// on every topology: on Cluster the keys it scans live in many slots.
func (e *topoEnv) checkStorePurge(t *testing.T) {
	client, err := cache.NewRedisClient(e.tp.url(0))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	prefix := e.prefix + "storepurge:"
	store := cache.NewRedisStore(client, prefix, cache.RedisOptions{Timeout: time.Second})
	ctx := context.Background()
	for i := 0; i < 64; i++ {
		en := &cache.Entry{ContentType: "application/json", Body: []byte(`{"is_error":0}`), StoredAt: time.Now(), FreshUntil: time.Now().Add(time.Minute)}
		if err := store.Set(ctx, fmt.Sprintf("%064x", i), en, time.Minute); err != nil {
			t.Fatalf("Set: %v", err)
		}
	}
	if err := store.Purge(ctx); err != nil {
		t.Fatalf("Purge on %s: %v", e.tp.name, err)
	}
	if port, key := e.tp.findKey(prefix + "e:*"); key != "" {
		t.Fatalf("after Purge, %s is still on the node on port %d", key, port)
	}
}

// A write through instance 0 while Redis refuses it is not lost for
// instance 1, although instance 0 serves nothing more afterwards: from 2s
// after Redis takes writes again, instance 1 never serves the entry the
// write made stale. Redis refuses writes (min-replicas-to-write above the
// replicas it has: NOREPLICAS) rather than being paused, because a paused
// Redis runs the commands buffered in its sockets when it thaws, which
// would hide a lost invalidation. While it refuses them, neither instance
// serves that entry either: instance 0 knows its bump failed, instance 1
// hears it from instance 0's message (allowed a moment to arrive).
func (e *topoEnv) checkIdleWriter(t *testing.T) {
	const q = "idle"
	e.read(t, 1, 3, q)
	if cs := cacheStatus(e.read(t, 1, 3, q)); cs != "Civigate; hit" {
		t.Fatalf("before the outage: %q", cs)
	}
	masters := e.tp.masters()
	refuse := func(n string) {
		for _, m := range masters {
			if err := e.tp.client(m.Port).ConfigSet(context.Background(), "min-replicas-to-write", n).Err(); err != nil {
				t.Fatalf("CONFIG SET min-replicas-to-write %s on %d: %v", n, m.Port, err)
			}
		}
	}
	refuse("9")
	n := e.write(t, 0)
	written := time.Now()
	for time.Since(written) < 600*time.Millisecond {
		for i := range e.insts {
			a := e.read(t, i, 3, q)
			if got := writesIn(a.body); got < n && (i == 0 || time.Since(written) > 200*time.Millisecond) {
				t.Fatalf("%v after write %d through instance 0, which Redis refused to record, instance %d served the answer from before it (%s)",
					time.Since(written).Round(time.Millisecond), n, i, cacheStatus(a))
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	refuse("0")
	back := time.Now()
	var lastStale time.Duration = -1
	for time.Since(back) < 3*time.Second {
		a := e.read(t, 1, 3, q)
		if got := writesIn(a.body); got < n {
			lastStale = time.Since(back)
			if lastStale > 2*time.Second {
				t.Fatalf("%v after Redis took writes again, instance 1 still served the answer from before write %d made through the idle instance 0 (%s)",
					lastStale.Round(time.Millisecond), n, cacheStatus(a))
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if lastStale >= 0 {
		t.Logf("instance 1 served the stale entry until %v after Redis took writes again", lastStale.Round(time.Millisecond))
	}
}

// No node counted a CROSSSLOT, MOVED or ASK error, and neither instance
// counted or logged one.
func (e *topoEnv) checkNoSlotErrors(t *testing.T) {
	stats := e.tp.errorStats()
	for _, name := range []string{"CROSSSLOT", "MOVED", "ASK"} {
		if stats[name] > 0 {
			t.Errorf("%s: the Redis nodes counted %d %s errors (errorstats %v)", e.tp.name, stats[name], name, stats)
		}
	}
	for i, inst := range e.insts {
		m := inst.metricsText(t)
		for _, class := range []string{"crossslot", "moved", "ask"} {
			if n := sumMetric(m, "civigate_redis_errors_total", `class="`+class+`"`); n > 0 {
				t.Errorf("instance %d counted %v %s Redis errors", i, n, class)
			}
			if strings.Contains(inst.logText(), `"class":"`+class+`"`) {
				t.Errorf("instance %d logged a %s Redis error", i, class)
			}
		}
	}
}

package tests

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// failoverFigures are what one failover under load measured.
type failoverFigures struct {
	Topology         string
	Requests         int64         // client requests of the load and the probes
	Failed           int64         // of them, answered wrongly or not at all
	Failover         time.Duration // kill → the topology's new master in place
	CacheBack        [2]time.Duration
	GuessingBack     [2]time.Duration // from the topology's failover
	StaleHits        int64            // answers older than a write acknowledged before they were asked
	StaleHitsLate    int64            // of them, asked more than 2s after the write and after the failover
	HealthWentToZero [2]bool
}

// probeSample is one probe's start (since the load began) and outcome.
type probeSample struct {
	at time.Duration
	ok bool
}

// probeLog collects samples from one goroutine per instance.
type probeLog struct {
	mu      sync.Mutex
	samples [2][]probeSample
}

func (p *probeLog) add(i int, s probeSample) {
	p.mu.Lock()
	p.samples[i] = append(p.samples[i], s)
	p.mu.Unlock()
}

// back is when instance i's probes worked again after the failover
// episode: the first success after the episode's last failure (kill itself
// when no probe failed), or -1 when they never worked again. The episode
// ends with the first run of successes that lasts a second and reaches past
// the topology's failover: a later failure (a timeout on a loaded machine)
// is another incident, not the failover's.
func (p *probeLog) back(i int, kill, failover time.Duration) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := append([]probeSample(nil), p.samples[i]...)
	sort.Slice(s, func(a, b int) bool { return s[a].at < s[b].at })
	var lastFail, runStart, lastOK time.Duration = -1, -1, -1
	for _, x := range s {
		if x.at < kill {
			continue
		}
		if x.ok {
			if runStart < 0 {
				runStart = x.at
			}
			lastOK = x.at
			continue
		}
		if runStart >= 0 && lastOK-runStart >= time.Second && lastOK >= failover {
			break
		}
		lastFail, runStart = x.at, -1
	}
	if lastFail < 0 {
		return kill
	}
	for _, x := range s {
		if x.at > lastFail && x.ok {
			return x.at
		}
	}
	return -1
}

// failoverUnderLoad kills (SIGKILL) the master holding the site's
// generation counters while both instances serve a bounded load of cached
// and uncached reads with a write every 300ms, and measures:
//   - failed client requests: there must be none (Redis is never a
//     dependency of an answer);
//   - when caching works again on each instance (a probe every 50ms reads
//     a new key: "stored" means the lookup and the store both reached
//     Redis) and when guessing protection works again (a probe from a new
//     client address every 150ms: its 4th bad key must get 429), both
//     within 2s of the topology's own failover (see probeLog.back);
//   - stale answers: none may be asked more than 2s after both the write
//     that made them stale and the failover;
//   - the health gauge of both instances goes to 0 meanwhile.
func (e *topoEnv) failoverUnderLoad(t *testing.T) {
	var victim *privateRedis
	var gensKey string
	switch e.tp.name {
	case "sentinel":
		victim = e.tp.node(e.tp.sentinelMasterPort())
	case "cluster":
		var port int
		port, gensKey = e.tp.findKey(e.prefix + "*cache:g*")
		victim = e.tp.node(port)
	}
	if victim == nil {
		t.Fatalf("%s: no master holding the generation counters found", e.tp.name)
	}
	fig := failoverFigures{Topology: e.tp.name}
	// Each instance verifies the key its load sends (verdicts are per site,
	// and each instance is its own Host here) before the load starts. The
	// workers' concurrent first requests with one key through one instance
	// share one guessing attempt (authx firstUse), but the load's keys, the
	// writer's and the probes' are first used through two instances at
	// once, each holding an attempt for the one address while it is
	// verified: as many as this test's max_failures of 3, which the load
	// must not depend on.
	e.read(t, 0, 2, "warm-load")
	e.read(t, 1, 3, "warm-load")

	// Load: cached reads (20 keys over 2 contacts) and uncached ones, and
	// a write every 300ms.
	load := e.startLoad(4, e.failoverReads)
	defer load.stop()
	since, fail, requests := load.since, load.fail, &load.requests
	var wg sync.WaitGroup

	// Probes, one goroutine of each kind per instance.
	var cacheProbes, guessProbes probeLog
	for i := range e.insts {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for k := 0; load.ctx.Err() == nil; k++ {
				at := since()
				resp, err := http.Get(e.readURL(i, 3, fmt.Sprintf("probe-%d-%d", i, k)))
				requests.Add(1)
				stored := false
				if err != nil {
					fail("cache probe: " + err.Error())
				} else {
					var b strings.Builder
					_, _ = bufioReader(resp.Body).WriteTo(&b)
					resp.Body.Close()
					if resp.StatusCode != 200 || !strings.Contains(b.String(), `"is_error":0`) {
						fail(fmt.Sprintf("cache probe: status %d: %.200s", resp.StatusCode, b.String()))
					}
					stored = strings.Contains(resp.Header.Get("Cache-Status"), "stored")
				}
				cacheProbes.add(i, probeSample{at, stored})
				sleepCtx(load.ctx, 50*time.Millisecond)
			}
		}()
		go func() {
			defer wg.Done()
			for k := 0; load.ctx.Err() == nil; k++ {
				at := since()
				client := fromAddress(fmt.Sprintf("127.%d.%d.%d", 20+i, k/250, k%250+1))
				bad := fmt.Sprintf("bad-%d-%d-%s", i, k, e.sk)
				status := 0
				for a := 0; a < 4; a++ {
					r, _ := http.NewRequest("GET", e.insts[i].URL+externPath+"?entity=Contact&action=get&json=1&key="+e.sk+"&api_key="+bad, nil)
					resp, err := client.Do(r)
					requests.Add(1)
					if err != nil {
						fail("guessing probe: " + err.Error())
						break
					}
					resp.Body.Close()
					status = resp.StatusCode
					if status != 200 && status != http.StatusTooManyRequests {
						fail(fmt.Sprintf("guessing probe: status %d", status))
					}
				}
				guessProbes.add(i, probeSample{at, status == http.StatusTooManyRequests})
				sleepCtx(load.ctx, 150*time.Millisecond)
			}
		}()
	}

	// Health gauges, watched from the kill on.
	var healthZero [2]atomic.Bool
	watchHealth := func() {
		for i, inst := range e.insts {
			resp, err := http.Get(inst.Admin + "/metrics")
			if err != nil {
				continue
			}
			var b strings.Builder
			_, _ = bufioReader(resp.Body).WriteTo(&b)
			resp.Body.Close()
			if strings.Contains(b.String(), "\ncivigate_redis_healthy 0\n") {
				healthZero[i].Store(true)
			}
		}
	}

	time.Sleep(1500 * time.Millisecond)
	kill := since()
	victim.kill()
	// The topology's own failover: a new master in place and known.
	deadline := time.Now().Add(30 * time.Second)
	for {
		watchHealth()
		var port int
		switch e.tp.name {
		case "sentinel":
			port = e.tp.sentinelMasterPort()
		case "cluster":
			port = e.tp.clusterMasterOf(gensKey, victim.Port)
		}
		if port != 0 && port != victim.Port {
			info, err := e.tp.client(port).Info(context.Background(), "replication").Result()
			if err == nil && infoField(info, "role") == "master" {
				break
			}
		}
		if time.Now().After(deadline) {
			load.stop()
			t.Fatalf("%s: no failover within 30s of killing the master on port %d", e.tp.name, victim.Port)
		}
		time.Sleep(50 * time.Millisecond)
	}
	failover := since()
	fig.Failover = failover - kill
	// Keep the load on for 4s more, watching the gauges.
	for end := time.Now().Add(4 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		watchHealth()
	}
	load.stop()
	wg.Wait()
	var failures []string
	fig.Requests, fig.Failed, failures = load.finish()

	sinceFailover := func(back time.Duration) time.Duration {
		if back < 0 {
			return never
		}
		return back - failover
	}
	for i := range e.insts {
		fig.CacheBack[i] = sinceFailover(cacheProbes.back(i, kill, failover))
		fig.GuessingBack[i] = sinceFailover(guessProbes.back(i, kill, failover))
		fig.HealthWentToZero[i] = healthZero[i].Load()
	}
	for _, r := range load.stale() {
		fig.StaleHits++
		if r.at-max(r.ack, failover) > 2*time.Second {
			fig.StaleHitsLate++
		}
		if fig.StaleHits <= 5 {
			t.Logf("stale answer on instance %d asked %v after the failover: as of write %d, write %d acknowledged %v after it",
				r.inst, (r.at - failover).Round(time.Millisecond), r.writes, r.n, (r.ack - failover).Round(time.Millisecond))
		}
	}

	t.Logf("RELIABILITY %s: %d requests, %d failed; failover %v after the kill; caching back %s / %s and guessing protection back %s / %s after it (instance with / without memory tier); %d stale answers (%d late); health gauge went to 0: %v",
		fig.Topology, fig.Requests, fig.Failed, fig.Failover.Round(10*time.Millisecond),
		seconds(fig.CacheBack[0]), seconds(fig.CacheBack[1]), seconds(fig.GuessingBack[0]), seconds(fig.GuessingBack[1]),
		fig.StaleHits, fig.StaleHitsLate, fig.HealthWentToZero)
	reliability.Lock()
	reliability.runs = append(reliability.runs, fig)
	reliability.Unlock()

	if fig.Failed > 0 {
		t.Errorf("%d of %d client requests failed during the failover: %v", fig.Failed, fig.Requests, failures)
	}
	for i := range e.insts {
		if b := fig.CacheBack[i]; b > 2*time.Second {
			t.Errorf("instance %d: caching back %s after the topology's failover, want within 2s", i, seconds(b))
		}
		if b := fig.GuessingBack[i]; b > 2*time.Second {
			t.Errorf("instance %d: guessing protection back %s after the topology's failover, want within 2s", i, seconds(b))
		}
		if !fig.HealthWentToZero[i] {
			t.Errorf("instance %d: civigate_redis_healthy never went to 0 while its Redis master was dead", i)
		}
		if !strings.Contains(e.insts[i].logText(), `"msg":"redis operation failed"`) {
			t.Errorf("instance %d logged no failed Redis operation during the failover", i)
		}
	}
	if fig.StaleHitsLate > 0 {
		t.Errorf("%d answers were older than a write acknowledged more than 2s before them and the failover", fig.StaleHitsLate)
	}
	// And afterwards the gauge is back to 1 everywhere.
	for i, inst := range e.insts {
		eventually(t, 10*time.Second, fmt.Sprintf("instance %d healthy again", i), func() bool {
			e.read(t, i, 3, "after-failover")
			return strings.Contains(inst.metricsText(t), "\ncivigate_redis_healthy 1\n")
		})
	}
}

// never is a probe's "back" when it never worked again.
const never = time.Duration(1<<63 - 1)

func seconds(d time.Duration) string {
	if d == never {
		return "never"
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// reliability collects the figures of every failover of this test binary
// (-count=N repeats them) for BENCHMARKS.md.
var reliability struct {
	sync.Mutex
	runs       []failoverFigures
	loadBefore string
}

func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// writeReliability replaces the Reliability section (the last one) of the
// markdown file at path with the figures collected so far; make
// reliability sets CIVIGATE_RELIABILITY_MD to BENCHMARKS.md.
func writeReliability(t *testing.T, path string) {
	reliability.Lock()
	defer reliability.Unlock()
	if len(reliability.runs) == 0 {
		return
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("reliability figures not written: %v", err)
		return
	}
	doc := string(old)
	if i := strings.Index(doc, "\n## Reliability\n"); i >= 0 {
		doc = doc[:i+1]
	} else {
		doc = strings.TrimRight(doc, "\n") + "\n\n"
	}
	var b strings.Builder
	b.WriteString(doc)
	fmt.Fprintf(&b, `## Reliability

Written by `+"`make reliability`"+` (`+"`TestRedisTopologies`"+` in `+"`tests/`"+`, which rewrites this section, the
last of the file, when `+"`CIVIGATE_RELIABILITY_MD`"+` names it), on %s UTC: %d failovers; load average
before / after: %s / %s (the machine is shared; other work may have been running).

Each run starts, on loopback, a topology of `+"`redis-server`"+` processes (Sentinel: a master, its replica and three
sentinels, `+"`down-after-milliseconds %d`"+`; Cluster: three masters and three replicas, `+"`cluster-node-timeout %d`"+`)
and **two Civigate processes** (`+"`civigate run`"+`, one with `+"`memory_tier`"+`, both with `+"`redis_timeout %s`"+`) in
front of a CiviCRM stub. 1.5 s into a load of 4 client workers (cached and uncached reads through both instances)
with a write every 300 ms, a probe per instance reading a new key every 50 ms and another sending 4 bad keys from
a new client address every 150 ms, the master holding the site's generation counters is killed (SIGKILL).

- **failover**: from the kill until the topology has a new master for those counters (the sentinels name it;
  the Cluster's slot map shows it), which only the topology's timeouts decide;
- **caching back**: from that failover until the probe's new keys are stored in Redis again (the first
  success after the last failure before a second of successes past the failover);
- **guessing protection back**: from that failover until the 4th bad key of a probe gets 429 again (same rule);
- **stale answers**: reads whose answer predates a write acknowledged before they were asked; *late*: asked more
  than 2 s after both that write and the failover (the others are a memory tier answering in the milliseconds
  its invalidation message takes, or an instance that saw no outage itself in the ≈ 200 ms a replay takes).

The test fails on any failed request, on either "back" figure above 2 s and on any late stale answer.

| topology | requests | failed | failover | caching back (with / without memory tier) | guessing protection back | stale answers (late) |
|---|--:|--:|--:|--:|--:|--:|
`, time.Now().UTC().Format("2006-01-02 15:04"), len(reliability.runs), reliability.loadBefore, loadAverage(),
		sentinelDownAfter, clusterNodeTimeout, topologyRedisTimeout)
	for _, f := range reliability.runs {
		fmt.Fprintf(&b, "| %s | %d | %d | %.2f s | %s / %s | %s / %s | %d (%d) |\n",
			f.Topology, f.Requests, f.Failed, f.Failover.Seconds(), seconds(f.CacheBack[0]), seconds(f.CacheBack[1]),
			seconds(f.GuessingBack[0]), seconds(f.GuessingBack[1]), f.StaleHits, f.StaleHitsLate)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Errorf("reliability figures not written: %v", err)
	}
}

// topoLoad is the load the topology tests keep on both instances while
// they disturb Redis: workers sending cached reads (and uncached ones)
// through alternate instances, and a write every 300ms through alternate
// instances. It keeps every read's answer (the write count it was computed
// after) and when each write was acknowledged: an answer older than a write
// acknowledged before it was asked is stale (stale).
type topoLoad struct {
	e     *topoEnv
	begin time.Time
	ctx   context.Context
	stop  context.CancelFunc
	wg    sync.WaitGroup
	wait  func() *loadRun

	requests, failed atomic.Int64 // besides the workers' (loadRun)
	failures         sync.Map

	mu     sync.Mutex
	acks   map[int64]time.Duration // write n → when it was acknowledged
	reads  []topoRead
	writes []topoRead // at, took and inst of each write; writes is its n
}

// topoRead is one answered read (or write): when it was asked, how long it
// took, through which instance, and the write count it was computed after.
type topoRead struct {
	at, took time.Duration
	inst     int
	writes   int64
}

// topoReads sends read i of the load; it must go through instance i%2.
type topoReads func(i int64) (*http.Request, error)

// failoverReads are failoverUnderLoad's reads: cached ones (20 keys, of
// contact 2 through instance 0 and of contact 3 through instance 1) and,
// one in 4, uncached ones.
func (e *topoEnv) failoverReads(i int64) (*http.Request, error) {
	q := fmt.Sprintf("load-%d", i%20)
	if i%4 == 0 {
		q = fmt.Sprintf("uncached-%d", i)
	}
	return http.NewRequest("GET", e.readURL(int(i%2), 2+i%2, q), nil)
}

// startLoad starts workers sending reads, and the writer; stop ends both
// (finish waits for them).
func (e *topoEnv) startLoad(workers int, reads topoReads) *topoLoad {
	l := &topoLoad{e: e, begin: time.Now(), acks: map[int64]time.Duration{}}
	l.ctx, l.stop = context.WithCancel(context.Background())
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for k := 0; l.ctx.Err() == nil; k++ {
			r, _ := e.writeRequest(k % 2)
			at := l.since()
			o := doRequest(r)
			took := l.since() - at
			l.requests.Add(1)
			if n := writeNumber(o.body); o.err != nil || o.status != 200 || n == 0 {
				l.fail("write: " + o.describe())
			} else {
				l.mu.Lock()
				l.acks[n] = l.since()
				l.writes = append(l.writes, topoRead{at, took, k % 2, n})
				l.mu.Unlock()
			}
			sleepCtx(l.ctx, 300*time.Millisecond)
		}
	}()
	l.wait = goLoad(l.ctx, workers, 60*time.Second, 1_000_000, reads, func(o outcome) string {
		if o.err != nil || o.status != 200 || !strings.Contains(o.body, `"writes":"`) || strings.Contains(o.body, `"is_error":1`) {
			return o.describe()
		}
		l.mu.Lock()
		l.reads = append(l.reads, topoRead{o.at, o.took, int(o.seq % 2), writesIn(o.body)})
		l.mu.Unlock()
		return ""
	})
	return l
}

// since is the time since the load began.
func (l *topoLoad) since() time.Duration { return time.Since(l.begin) }

// fail counts a failed request outside the workers (10 kept).
func (l *topoLoad) fail(what string) {
	if l.failed.Add(1) <= 10 {
		l.failures.Store(what, true)
	}
}

// finish stops the load and waits for it: every request, the failed ones,
// and why (some of them).
func (l *topoLoad) finish() (requests, failed int64, why []string) {
	l.stop()
	lr := l.wait()
	l.wg.Wait()
	l.failures.Range(func(k, _ any) bool { why = append(why, k.(string)); return true })
	return l.requests.Load() + lr.Requests, l.failed.Load() + lr.Failed(), append(why, lr.Failures...)
}

// staleRead is a read whose answer predates write n, acknowledged at ack,
// before the read was asked.
type staleRead struct {
	topoRead
	n   int64
	ack time.Duration
}

// stale lists the stale reads, each with the earliest acknowledged write it
// missed (call after finish).
func (l *topoLoad) stale() []staleRead {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []staleRead
	for _, r := range l.reads {
		s := staleRead{topoRead: r, ack: -1}
		for n, ack := range l.acks {
			if r.writes < n && ack < r.at && (s.ack < 0 || ack < s.ack) {
				s.n, s.ack = n, ack
			}
		}
		if s.ack >= 0 {
			out = append(out, s)
		}
	}
	return out
}

// slowest is the longest request (read or write) asked between from and to.
func (l *topoLoad) slowest(from, to time.Duration) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var m time.Duration
	for _, list := range [][]topoRead{l.reads, l.writes} {
		for _, r := range list {
			if r.at >= from && r.at <= to {
				m = max(m, r.took)
			}
		}
	}
	return m
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// scenario compares Civigate (subject) with a baseline under the same load.
type scenario struct {
	ID, Title string
	Subject   side
	Baseline  side
	Target    float64 // subject/baseline throughput must reach this
	// Cached: every measured subject request must be a cache hit, i.e. the
	// stub sees (almost) no API call. A cached number that reached CiviCRM
	// would be a lie, so the run checks instead of assuming.
	Cached bool
	// RoundRatios is the ratio of each ABBA round, to show the spread.
	RoundRatios []float64
}

type side struct {
	Name     string
	Load     load
	StubPort int   // the upstream whose API calls are counted, 0 if none
	Calls    int64 // API calls the stub served during the measured run
	// RedisPort, when set, is the Redis whose commands are counted: a
	// "Redis hit" that never reached Redis (a memory layer in front) would
	// be measuring the wrong thing.
	RedisPort     int
	RedisCommands int64
	BodyErr       string
	Err           error
}

// Legacy call of every Civigate scenario; the baselines send the modern
// call (a) or the same request line (b, c).
func legacyURL(port int, sk, ak string) string {
	return fmt.Sprintf("http://127.0.0.1:%d/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&key=%s&api_key=%s&id=2", port, sk, ak)
}

func modernURL(port int) string {
	return fmt.Sprintf("http://127.0.0.1:%d/civicrm/ajax/rest?entity=Contact&action=get&json=%s", port, url.QueryEscape(`{"id":"2"}`))
}

// api4URL is an APIv4 read (Contact.get, params in the query) for the
// rows that measure APIv4; send it with "X-Civi-Auth: Bearer <key>" (and
// X-Civi-Key), the stub answers it with contactGetV4.
func api4URL(port int) string {
	return fmt.Sprintf("http://127.0.0.1:%d/civicrm/ajax/api4/Contact/get?params=%s", port,
		url.QueryEscape(`{"select":["id","display_name"],"where":[["id","=",2]]}`))
}

// Connection counts are fixed per scenario and the same on both sides:
// 32 keeps two cores busy without queueing far past saturation; 10 is few
// enough that at 100 ms per upstream answer the uncached side is latency
// bound (about 100 req/s), which is the point of (d).
const (
	busyConns, busyThreads = 32, 2
	slowConns, slowThreads = 10, 1
)

func scenarios(p ports, sk, ak string, d time.Duration) []scenario {
	busy := func(u, h string) load {
		return load{URL: u, Header: h, Connections: busyConns, Threads: busyThreads, Duration: d}
	}
	slow := func(u string) load {
		return load{URL: u, Connections: slowConns, Threads: slowThreads, Duration: d}
	}
	return []scenario{
		{ID: "a", Title: "legacy call, caching off vs modern call via reverse_proxy", Target: 0.85,
			Subject:  side{Name: "Civigate `cache off`", Load: busy(legacyURL(p.Uncached, sk, ak), ""), StubPort: p.Stub},
			Baseline: side{Name: "Caddy reverse_proxy", Load: busy(modernURL(p.Proxy), "X-Civi-Auth: Bearer "+ak), StubPort: p.Stub}},
		{ID: "b", Title: "cache hit from memory vs respond", Target: 0.8, Cached: true,
			Subject:  side{Name: "Civigate memory hit", Load: busy(legacyURL(p.Memory, sk, ak), ""), StubPort: p.Stub},
			Baseline: side{Name: "Caddy respond", Load: busy(legacyURL(p.Respond, sk, ak), "")}},
		{ID: "c", Title: "cache hit from Redis vs respond", Target: 0.5, Cached: true,
			Subject:  side{Name: "Civigate Redis hit", Load: busy(legacyURL(p.RedisCached, sk, ak), ""), StubPort: p.Stub, RedisPort: p.Redis},
			Baseline: side{Name: "Caddy respond", Load: busy(legacyURL(p.Respond, sk, ak), "")}},
		{ID: "d", Title: "cached vs uncached, CiviCRM at 100 ms", Target: 100, Cached: true,
			Subject:  side{Name: "Civigate memory hit", Load: slow(legacyURL(p.SlowCached, sk, ak)), StubPort: p.SlowStub},
			Baseline: side{Name: "Civigate `cache off`", Load: slow(legacyURL(p.SlowOpen, sk, ak)), StubPort: p.SlowStub}},
	}
}

// runScenarios measures each pair in rounds of ABBA order (baseline,
// Civigate, Civigate, baseline) and averages each side's runs over all
// rounds: on a machine shared with other work, background load drifts, and
// ABBA cancels a drift that is linear over a round instead of handing it to
// one side, while several short rounds average out what is not linear.
// With profileDir set, a CPU profile of Civigate is taken from the admin
// API during each Civigate side's first measured run.
func runScenarios(ctx context.Context, list []scenario, rounds int, warm time.Duration, admin int, profileDir string) []scenario {
	for i := range list {
		s := &list[i]
		var runs [2][]load // per side: baseline, subject
		for round := range rounds {
			var roundRuns [2][]load
			for k, sd := range []*side{&s.Baseline, &s.Subject, &s.Subject, &s.Baseline} {
				idx := 0
				if sd == &s.Subject {
					idx = 1
				}
				first := round == 0 && k < 2
				if ctx.Err() != nil {
					sd.Err = ctx.Err()
				}
				if sd.Err != nil {
					continue
				}
				if first {
					log.Printf("(%s) %s: %s", s.ID, sd.Name, sd.Load.command())
					sd.BodyErr = checkBody(sd.Load.URL, sd.Load.Header)
					// The warm-up fills the cache and the verdict store; only
					// measured runs' upstream calls are counted.
					if warm > 0 {
						if _, err := wrk(ctx, sd.Load.args(warm)); err != nil {
							sd.Err = err
							continue
						}
					}
				}
				before, redisBefore := stubCalls(sd.StubPort), redisCommands(sd.RedisPort)
				var profiled chan struct{}
				if profileDir != "" && first && sd == &s.Subject {
					profiled = make(chan struct{})
					go func() {
						defer close(profiled)
						cpuProfile(admin, sd.Load.Duration-time.Second, filepath.Join(profileDir, s.ID+".pprof"))
					}()
				}
				l := sd.Load
				sd.Err = l.run(ctx, 0)
				if profiled != nil {
					<-profiled
				}
				sd.Calls += stubCalls(sd.StubPort) - before
				sd.RedisCommands += redisCommands(sd.RedisPort) - redisBefore
				roundRuns[idx] = append(roundRuns[idx], l)
			}
			b, c := average(s.Baseline.Load, roundRuns[0]), average(s.Subject.Load, roundRuns[1])
			if b.Runs == 2 && c.Runs == 2 && b.RPS > 0 {
				s.RoundRatios = append(s.RoundRatios, c.RPS/b.RPS)
			}
			runs[0] = append(runs[0], roundRuns[0]...)
			runs[1] = append(runs[1], roundRuns[1]...)
		}
		s.Baseline.Load = average(s.Baseline.Load, runs[0])
		s.Subject.Load = average(s.Subject.Load, runs[1])
	}
	return list
}

// average folds measured runs into one: mean req/s and percentiles,
// summed requests and failures.
func average(spec load, runs []load) load {
	out := spec
	out.Runs = len(runs)
	if len(runs) == 0 {
		return out
	}
	var p50, p99 time.Duration
	for _, r := range runs {
		out.RPS += r.RPS / float64(len(runs))
		p50 += r.P50 / time.Duration(len(runs))
		p99 += r.P99 / time.Duration(len(runs))
		out.Requests += r.Requests
		out.Errors += r.Errors
	}
	out.P50, out.P99 = p50, p99
	return out
}

func cpuProfile(admin int, d time.Duration, path string) {
	c := &http.Client{Timeout: d + 10*time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/profile?seconds=%d", admin, int(d.Seconds())))
	if err != nil {
		log.Printf("profile: %v", err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		log.Printf("profile: %v", err)
	}
}

// checkBody makes sure a side answers the recorded Contact.get body: a
// fast wrong answer (an auth refusal, a 502) must not pass as throughput.
func checkBody(u, header string) string {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return err.Error()
	}
	if name, value, ok := strings.Cut(header, ":"); ok {
		req.Header.Set(name, strings.TrimSpace(value))
	}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	switch {
	case resp.StatusCode != http.StatusOK:
		return fmt.Sprintf("status %d: %.200s", resp.StatusCode, body)
	case !bytes.Equal(body, contactGet):
		return fmt.Sprintf("body differs from the recording (%d bytes, want %d): %.200s", len(body), len(contactGet), body)
	}
	return ""
}

// stubCalls asks a stub how many API calls it has served.
func stubCalls(port int) int64 {
	if port == 0 {
		return 0
	}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/_stub/calls", port))
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// redisCommands is Redis's total_commands_processed (INFO stats), or 0.
func redisCommands(port int) int64 {
	if port == 0 {
		return 0
	}
	c, err := net.DialTimeout("tcp", addr(port), 2*time.Second)
	if err != nil {
		return 0
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, "INFO stats\r\nQUIT\r\n"); err != nil {
		return 0
	}
	b, _ := io.ReadAll(c)
	_, rest, ok := strings.Cut(string(b), "total_commands_processed:")
	if !ok {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(firstLine(rest)), 10, 64)
	return n
}

// verdict says whether s meets its target, and if not, why.
func (s *scenario) verdict() (ratio float64, met bool, why string) {
	for _, sd := range []*side{&s.Subject, &s.Baseline} {
		switch {
		case sd.Err != nil:
			return 0, false, sd.Name + " did not run: " + firstLine(sd.Err.Error())
		case sd.BodyErr != "":
			return 0, false, sd.Name + " answered wrong: " + firstLine(sd.BodyErr)
		case sd.Load.Errors > 0:
			why = fmt.Sprintf("%s had %d failed requests", sd.Name, sd.Load.Errors)
		}
	}
	if s.Baseline.Load.RPS > 0 {
		ratio = s.Subject.Load.RPS / s.Baseline.Load.RPS
	}
	if s.Cached && s.Subject.Calls*100 > s.Subject.Load.Requests {
		return ratio, false, fmt.Sprintf("not served from cache: %d of %d requests reached CiviCRM", s.Subject.Calls, s.Subject.Load.Requests)
	}
	if s.Subject.RedisPort != 0 && s.Subject.RedisCommands < s.Subject.Load.Requests {
		return ratio, false, fmt.Sprintf("not served from Redis: %d Redis commands for %d requests", s.Subject.RedisCommands, s.Subject.Load.Requests)
	}
	if why != "" {
		return ratio, false, why
	}
	return ratio, ratio >= s.Target, ""
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

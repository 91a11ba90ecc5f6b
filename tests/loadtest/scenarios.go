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
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/civigate/civigate/translate"
)

// kind is what a scenario compares.
type kind int

const (
	// throughput: Civigate's req/s over the baseline's, at least Target.
	throughput kind = iota
	// latency: Civigate's p50 under MaxP50 (the baseline shows what it
	// saves; the ratio is the baseline's p50 over Civigate's).
	latency
	// bigBody: Civigate's p50 over the baseline's, at most Target, and
	// Civigate's peak memory per request in flight under memPerRequest.
	bigBody
)

// scenario compares Civigate (subject) with a baseline under the same load.
type scenario struct {
	ID, Title string
	Kind      kind
	Subject   side
	Baseline  side
	// Floor, for a latency scenario, is the host's own one-connection
	// latency: Caddy's respond with the same body, measured in the same
	// rounds. A p50 target under the floor cannot be met by any handler on
	// this host; the report shows both, and what Civigate adds.
	Floor  *side
	Target float64       // throughput: at least; bigBody: at most
	MaxP50 time.Duration // latency
	// Cached: every measured subject request must be a cache hit, i.e. the
	// stub sees (almost) no API call. A cached number that reached CiviCRM
	// would be a lie, so the run checks instead of assuming.
	Cached bool
	// MaxRedisCommands, when set, bounds the Redis commands per hit, and a
	// hit must take one round trip to Redis (a read event in Redis's
	// INFO stats) at most.
	MaxRedisCommands float64
	// Memory is bigBody's peak-memory measurement.
	Memory *bigMemory

	// RoundRatios is the ratio of each round, Ratio their median.
	RoundRatios []float64
	Ratio       float64
}

type side struct {
	Name     string
	Load     load
	Expect   []byte // the body every answer must be, byte for byte
	StubPort int    // the upstream whose API calls are counted, 0 if none
	Calls    int64  // API calls the stub served during the measured runs
	// RedisPort, when set, is the Redis whose commands and read events are
	// counted: a "Redis hit" that never reached Redis (a memory layer in
	// front) would be measuring the wrong thing.
	RedisPort     int
	RedisCommands int64
	RedisReads    int64
	BodyErr       string
	Err           error
	// Runs are the measured runs; Load holds their medians.
	Runs []load
}

// Legacy call of every APIv3 Civigate scenario; the baselines send the
// modern call (a) or the same request line (b, c).
func legacyURL(port int, sk, ak string) string {
	return fmt.Sprintf("http://127.0.0.1:%d/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&key=%s&api_key=%s&id=2", port, sk, ak)
}

// legacyXMLURL is legacyURL without json=1: extern/rest.php answers XML.
func legacyXMLURL(port int, sk, ak string) string {
	return strings.Replace(legacyURL(port, sk, ak), "&json=1", "", 1)
}

func modernURL(port int) string {
	return fmt.Sprintf("http://127.0.0.1:%d/civicrm/ajax/rest?entity=Contact&action=get&json=%s", port, url.QueryEscape(`{"id":"2"}`))
}

// api4URL is an APIv4 read (Contact.get, params in the query), sent with
// api4Headers; the stub answers it with contactGetV4.
func api4URL(port int) string {
	return fmt.Sprintf("http://127.0.0.1:%d/civicrm/ajax/api4/Contact/get?params=%s", port,
		url.QueryEscape(`{"select":["id","display_name"],"where":[["id","=",2]]}`))
}

// api4Headers are an APIv4 client's AuthX credentials: the API key and
// the site key.
func api4Headers(sk, ak string) []string {
	return []string{"X-Civi-Auth: Bearer " + ak, "X-Civi-Key: " + sk}
}

// Connection counts are fixed per scenario and the same on both sides:
// 32 keeps the server's core busy; one connection measures a request's
// own latency; the 5 MB answers take few connections, each holding a
// large answer in flight.
const (
	busyConns = 32
	bigConns  = 4
)

func scenarios(p ports, sk, ak string, d time.Duration, threads int) []scenario {
	mk := func(u string, conns int, headers ...string) load {
		return load{URL: u, Headers: headers, Connections: conns, Threads: min(threads, conns), Duration: d}
	}
	busy := func(u string, headers ...string) load { return mk(u, busyConns, headers...) }
	modernAuth := "X-Civi-Auth: Bearer " + ak
	v4 := api4Headers(sk, ak)
	return []scenario{
		{ID: "a", Title: "legacy call, caching off vs modern call via reverse_proxy", Target: 0.95,
			Subject:  side{Name: "Civigate `cache off`", Load: busy(legacyURL(p.Uncached, sk, ak)), Expect: contactGet, StubPort: p.Stub},
			Baseline: side{Name: "Caddy reverse_proxy", Load: busy(modernURL(p.Proxy), modernAuth), Expect: contactGet, StubPort: p.Stub}},
		{ID: "b", Title: "cache hit from memory vs respond", Target: 1.0, Cached: true,
			Subject:  side{Name: "Civigate memory hit", Load: busy(legacyURL(p.Memory, sk, ak)), Expect: contactGet, StubPort: p.Stub},
			Baseline: side{Name: "Caddy respond", Load: busy(legacyURL(p.Respond, sk, ak)), Expect: contactGet}},
		{ID: "c", Title: "cache hit from Redis vs respond", Target: 0.6, Cached: true, MaxRedisCommands: 2,
			Subject:  side{Name: "Civigate Redis hit", Load: busy(legacyURL(p.RedisCached, sk, ak)), Expect: contactGet, StubPort: p.Stub, RedisPort: p.Redis},
			Baseline: side{Name: "Caddy respond", Load: busy(legacyURL(p.Respond, sk, ak)), Expect: contactGet}},
		{ID: "d", Title: "memory hit on one connection vs CiviCRM at 100 ms", Kind: latency, MaxP50: 100 * time.Microsecond, Cached: true,
			Subject:  side{Name: "Civigate memory hit", Load: mk(legacyURL(p.Memory, sk, ak), 1), Expect: contactGet, StubPort: p.Stub},
			Baseline: side{Name: "Civigate `cache off`, CiviCRM at 100 ms", Load: mk(legacyURL(p.SlowOpen, sk, ak), 1), Expect: contactGet, StubPort: p.SlowStub},
			Floor:    &side{Name: "Caddy respond, one connection", Load: mk(legacyURL(p.Respond, sk, ak), 1), Expect: contactGet}},
		{ID: "e", Title: "XML client served from the JSON entry vs JSON hit", Target: 0.8, Cached: true,
			Subject:  side{Name: "Civigate memory hit, XML", Load: busy(legacyXMLURL(p.Memory, sk, ak)), Expect: renderedXML(legacyXMLURL(p.Memory, sk, ak)), StubPort: p.Stub},
			Baseline: side{Name: "Civigate memory hit, JSON", Load: busy(legacyURL(p.Memory, sk, ak)), Expect: contactGet, StubPort: p.Stub}},
		{ID: "f", Title: fmt.Sprintf("%.1f MB answer (%d rows), caching off vs reverse_proxy", float64(len(contactGetBig))/1e6, bigRows),
			Kind: bigBody, Target: 1.10, Memory: &bigMemory{},
			Subject:  side{Name: "Civigate `cache off`", Load: mk(legacyURL(p.BigOpen, sk, ak), bigConns), Expect: contactGetBig, StubPort: p.BigStub},
			Baseline: side{Name: "Caddy reverse_proxy", Load: mk(modernURL(p.BigProxy), bigConns, modernAuth), Expect: contactGetBig, StubPort: p.BigStub}},
		{ID: "g", Title: "APIv4 read, caching off vs reverse_proxy", Target: 0.95,
			Subject:  side{Name: "Civigate `cache off`", Load: busy(api4URL(p.Uncached), v4...), Expect: contactGetV4, StubPort: p.Stub},
			Baseline: side{Name: "Caddy reverse_proxy", Load: busy(api4URL(p.Proxy), v4...), Expect: contactGetV4, StubPort: p.Stub}},
		{ID: "h", Title: "APIv4 read, cache hit from memory vs respond", Target: 1.0, Cached: true,
			Subject:  side{Name: "Civigate memory hit", Load: busy(api4URL(p.Memory), v4...), Expect: contactGetV4, StubPort: p.Stub},
			Baseline: side{Name: "Caddy respond", Load: busy(api4URL(p.RespondV4), v4...), Expect: contactGetV4}},
		{ID: "i", Title: "APIv4 read, cache hit from Redis vs respond", Target: 0.6, Cached: true, MaxRedisCommands: 2,
			Subject:  side{Name: "Civigate Redis hit", Load: busy(api4URL(p.RedisCached), v4...), Expect: contactGetV4, StubPort: p.Stub, RedisPort: p.Redis},
			Baseline: side{Name: "Caddy respond", Load: busy(api4URL(p.RespondV4), v4...), Expect: contactGetV4}},
	}
}

// renderedXML is the XML an extern/rest.php client asking u gets for the
// recorded Contact.get: translate's rendering of contactGet, which the
// XML recordings pin down (translate's tests). The XML row's answers must
// be exactly this.
func renderedXML(u string) []byte {
	r, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil
	}
	route, ok := translate.Recognise(r.Method, r.URL, translate.RecogniseConfig{})
	if !ok {
		return nil
	}
	call, reply := translate.ParseRequest(r, route, translate.ParseOptions{})
	if reply != nil {
		return nil
	}
	defer call.Release()
	out := translate.RenderResponse(call, translate.UpstreamResponse{Status: 200, ContentType: "application/json", Body: contactGet})
	return bytes.Clone(out.Body)
}

// servers are the processes whose CPU time a run is charged.
type servers []*proc

// named is the process called name, or nil.
func (s servers) named(name string) *proc {
	for _, p := range s {
		if p.name == name {
			return p
		}
	}
	return nil
}

func (s servers) cpuTime() time.Duration {
	var t time.Duration
	for _, p := range s {
		t += p.cpuTime()
	}
	return t
}

// runScenarios measures each pair in interleaved rounds: baseline then
// Civigate in even rounds, Civigate then baseline in odd ones, each
// round's ratio from its two runs, the scenario's ratio the median of the
// rounds' (paired medians: a burst of background load spoils one round,
// not the result). Before the first round each side is checked to answer
// the expected body and warmed up (connections, the first miss, the
// credential's verdict). With profileDir set, a CPU profile of Civigate is
// taken from the admin API during every measured run of each side, one
// file per run: merged (go tool pprof DIR/a.*.pprof), the rounds of a side
// are compared with the interleaved rounds of the other, so the host's
// drift between two runs does not pass for a difference between handlers.
func runScenarios(ctx context.Context, list []scenario, rounds int, warm time.Duration, admin int, profileDir string, srv servers) []scenario {
	for i := range list {
		s := &list[i]
		for _, sd := range s.sides() {
			log.Printf("(%s) %s: %s", s.ID, sd.Name, sd.Load.command())
			sd.BodyErr = checkBody(sd.Load.URL, sd.Load.Headers, sd.Expect)
			if warm > 0 && sd.BodyErr == "" {
				if _, err := wrk(ctx, sd.Load.args(warm)); err != nil {
					sd.Err = err
				}
			}
		}
		for round := range rounds {
			order := s.sides()
			if round%2 == 1 {
				slices.Reverse(order)
			}
			var got [2]*load
			for _, sd := range order {
				if ctx.Err() != nil && sd.Err == nil {
					sd.Err = ctx.Err()
				}
				if sd.Err != nil || sd.BodyErr != "" {
					continue
				}
				var profiled chan struct{}
				if profileDir != "" && sd != s.Floor {
					name := fmt.Sprintf("%s.%d.pprof", s.ID, round)
					if sd != &s.Subject {
						name = fmt.Sprintf("%s-baseline.%d.pprof", s.ID, round)
					}
					profiled = make(chan struct{})
					go func() {
						defer close(profiled)
						cpuProfile(admin, sd.Load.Duration-time.Second, filepath.Join(profileDir, name))
					}()
				}
				calls, cpu, redisCPU := stubCalls(sd.StubPort), srv.cpuTime(), srv.named("redis").cpuTime()
				var cmds, reads int64
				if sd.RedisPort != 0 {
					cmds, reads = redisStats(sd.RedisPort)
				}
				l := sd.Load
				sd.Err = l.run(ctx)
				if l.Requests > 0 {
					l.CPU = (srv.cpuTime() - cpu) / time.Duration(l.Requests)
					if sd.RedisPort != 0 {
						l.RedisCPU = (srv.named("redis").cpuTime() - redisCPU) / time.Duration(l.Requests)
					}
				}
				if profiled != nil {
					<-profiled
				}
				sd.Calls += stubCalls(sd.StubPort) - calls
				if sd.RedisPort != 0 {
					c, r := redisStats(sd.RedisPort)
					sd.RedisCommands += c - cmds
					sd.RedisReads += r - reads
				}
				if sd.Err == nil {
					sd.Runs = append(sd.Runs, l)
					switch sd {
					case &s.Subject:
						got[1] = &sd.Runs[len(sd.Runs)-1]
					case &s.Baseline:
						got[0] = &sd.Runs[len(sd.Runs)-1]
					}
				}
			}
			if got[0] != nil && got[1] != nil {
				s.RoundRatios = append(s.RoundRatios, s.roundRatio(*got[1], *got[0]))
			}
		}
		s.Ratio = median(s.RoundRatios)
		s.Baseline.Load = medianLoad(s.Baseline.Load, s.Baseline.Runs)
		s.Subject.Load = medianLoad(s.Subject.Load, s.Subject.Runs)
		if s.Floor != nil {
			s.Floor.Load = medianLoad(s.Floor.Load, s.Floor.Runs)
		}
	}
	return list
}

// sides are the scenario's measured sides in the order of an even round:
// the baseline, the floor if any, Civigate (odd rounds run them reversed,
// so no side always follows another).
func (s *scenario) sides() []*side {
	if s.Floor != nil {
		return []*side{&s.Baseline, s.Floor, &s.Subject}
	}
	return []*side{&s.Baseline, &s.Subject}
}

// floorP50 is the floor's median p50, 0 when there is none or it did not
// run cleanly.
func (s *scenario) floorP50() time.Duration {
	if s.Floor == nil || s.Floor.Err != nil || s.Floor.BodyErr != "" || len(s.Floor.Runs) == 0 {
		return 0
	}
	return s.Floor.Load.P50
}

// roundRatio is one round's figure: throughput over the baseline's, or
// for latency the baseline's p50 over Civigate's, or for a big body
// Civigate's p50 over the baseline's.
func (s *scenario) roundRatio(subject, baseline load) float64 {
	switch s.Kind {
	case latency:
		return ratioOf(float64(baseline.P50), float64(subject.P50))
	case bigBody:
		return ratioOf(float64(subject.P50), float64(baseline.P50))
	}
	return ratioOf(subject.RPS, baseline.RPS)
}

func ratioOf(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianDuration(ds []time.Duration) time.Duration {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	return time.Duration(median(xs))
}

// medianLoad folds measured runs into one: the median of req/s, p50, p99
// and CPU per request, summed requests and failures.
func medianLoad(spec load, runs []load) load {
	out := spec
	if len(runs) == 0 {
		return out
	}
	var rps []float64
	var p50, p99, cpu, redisCPU []time.Duration
	for _, r := range runs {
		rps = append(rps, r.RPS)
		p50, p99, cpu = append(p50, r.P50), append(p99, r.P99), append(cpu, r.CPU)
		redisCPU = append(redisCPU, r.RedisCPU)
		out.Requests += r.Requests
		out.Errors += r.Errors
	}
	out.RPS = median(rps)
	out.P50, out.P99, out.CPU = medianDuration(p50), medianDuration(p99), medianDuration(cpu)
	out.RedisCPU = medianDuration(redisCPU)
	return out
}

func cpuProfile(admin int, d time.Duration, path string) {
	c := &http.Client{Timeout: d + 10*time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/profile?seconds=%d", admin, max(1, int(d.Seconds()))))
	if err != nil {
		log.Printf("profile: %v", err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := writeFile(path, b); err != nil {
		log.Printf("profile: %v", err)
	}
}

// checkBody makes sure a side answers 200 with the expected body: a fast
// wrong answer (an auth refusal, a 502) must not pass as throughput.
func checkBody(u string, headers []string, want []byte) string {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return err.Error()
	}
	for _, h := range headers {
		if name, value, ok := strings.Cut(h, ":"); ok {
			req.Header.Set(name, strings.TrimSpace(value))
		}
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	switch {
	case resp.StatusCode != http.StatusOK:
		return fmt.Sprintf("status %d: %.200s", resp.StatusCode, body)
	case len(want) == 0:
		return "no expected body to compare with"
	case !bytes.Equal(body, want):
		return fmt.Sprintf("body differs from the expected one (%d bytes, want %d): %.200s", len(body), len(want), body)
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

// redisStats is Redis's total_commands_processed and total_reads_processed
// (INFO stats): a pipeline of commands sent in one write is one read event,
// so reads count round trips. The INFO itself is one command and one read.
func redisStats(port int) (commands, reads int64) {
	c, err := net.DialTimeout("tcp", addr(port), 2*time.Second)
	if err != nil {
		return 0, 0
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, "INFO stats\r\nQUIT\r\n"); err != nil {
		return 0, 0
	}
	b, _ := io.ReadAll(c)
	field := func(name string) int64 {
		_, rest, ok := strings.Cut(string(b), name+":")
		if !ok {
			return 0
		}
		n, _ := strconv.ParseInt(strings.TrimSpace(firstLine(rest)), 10, 64)
		return n
	}
	return field("total_commands_processed"), field("total_reads_processed")
}

// perRequest is n per measured request of sd, for the report.
func (sd *side) perRequest(n int64) float64 {
	if sd.Load.Requests == 0 {
		return 0
	}
	return float64(n) / float64(sd.Load.Requests)
}

// verdict says whether s meets its target, and if not, why.
func (s *scenario) verdict() (met bool, why string) {
	for _, sd := range []*side{&s.Subject, &s.Baseline} {
		switch {
		case sd.Err != nil:
			return false, sd.Name + " did not run: " + firstLine(sd.Err.Error())
		case sd.BodyErr != "":
			return false, sd.Name + " answered wrong: " + firstLine(sd.BodyErr)
		case len(sd.Runs) == 0:
			return false, sd.Name + " has no measured run"
		case sd.Load.Errors > 0:
			why = fmt.Sprintf("%s had %d failed requests", sd.Name, sd.Load.Errors)
		}
	}
	if s.Cached && s.Subject.Calls*100 > s.Subject.Load.Requests {
		return false, fmt.Sprintf("not served from cache: %d of %d requests reached CiviCRM", s.Subject.Calls, s.Subject.Load.Requests)
	}
	if s.Subject.RedisPort != 0 {
		cmds, reads := s.Subject.perRequest(s.Subject.RedisCommands), s.Subject.perRequest(s.Subject.RedisReads)
		switch {
		case cmds < 1:
			return false, fmt.Sprintf("not served from Redis: %d Redis commands for %d requests", s.Subject.RedisCommands, s.Subject.Load.Requests)
		case s.MaxRedisCommands > 0 && round2(cmds) > s.MaxRedisCommands:
			return false, fmt.Sprintf("%.2f Redis commands per hit (at most %.0f)", cmds, s.MaxRedisCommands)
		case s.MaxRedisCommands > 0 && round2(reads) > 1:
			return false, fmt.Sprintf("%.2f round trips to Redis per hit (at most 1)", reads)
		}
	}
	if s.Memory != nil {
		switch {
		case s.Memory.Err != nil:
			return false, "memory not measured: " + firstLine(s.Memory.Err.Error())
		case s.Memory.perRequest() >= 2*int64(len(s.Subject.Expect)):
			why = "peak memory per request in flight is 2× the body or more"
		}
	}
	if why != "" {
		return false, why
	}
	switch s.Kind {
	case latency:
		if s.Subject.Load.P50 >= s.MaxP50 {
			if f := s.floorP50(); f >= s.MaxP50 {
				return false, fmt.Sprintf("this host's floor, Caddy respond on one connection, is %s", lat(f))
			}
		}
		return s.Subject.Load.P50 < s.MaxP50, ""
	case bigBody:
		return s.Ratio <= s.Target, ""
	}
	return s.Ratio >= s.Target, ""
}

func round2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

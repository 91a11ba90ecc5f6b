package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

type report struct {
	Table                     string
	Memory                    string // scenario (m)'s table, "" when it did not run
	Results                   []scenario
	Facts                     []string
	Notes                     []string
	LoadBefore, LoadAfter     string
	OthersBefore, OthersAfter string
	Caddyfile                 string
	Pinned                    bool
	Threads                   int
	Duration, Warm            time.Duration
	Rounds                    int
	SiteKey, APIKey           string
}

// renderTable is the one table of a run, in Markdown so the terminal and
// BENCHMARKS.md show the same thing.
func renderTable(list []scenario) string {
	var b strings.Builder
	b.WriteString("| | Civigate | req/s | p50 | p99 | CPU/req | baseline | req/s | p50 | p99 | CPU/req | ratio | target | met |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|---|\n")
	for i := range list {
		s := &list[i]
		met, why := s.verdict()
		verdict := "yes"
		if !met {
			verdict = "**no**"
		}
		if why != "" {
			verdict += " (" + why + ")"
		}
		fmt.Fprintf(&b, "| (%s) %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			s.ID, s.Title,
			s.Subject.Name, rps(s.Subject), lat(s.Subject.Load.P50), lat(s.Subject.Load.P99), cpu(s.Subject),
			s.Baseline.Name, rps(s.Baseline), lat(s.Baseline.Load.P50), lat(s.Baseline.Load.P99), cpu(s.Baseline),
			s.formatRatio(s.Ratio), s.targetText(), verdict)
	}
	return b.String()
}

// formatRatio writes a scenario's figure: a throughput fraction, how many
// times faster for latency, a latency factor for a big body.
func (s *scenario) formatRatio(x float64) string {
	switch s.Kind {
	case latency:
		return fmt.Sprintf("%.0f×", x)
	case bigBody:
		return fmt.Sprintf("%.2f× p50", x)
	}
	return fmt.Sprintf("%.2f", x)
}

func (s *scenario) targetText() string {
	switch s.Kind {
	case latency:
		return "p50 < " + lat(s.MaxP50)
	case bigBody:
		return fmt.Sprintf("≤ %.2f× p50; peak < 2× body per request", s.Target)
	}
	t := fmt.Sprintf("≥ %.2f", s.Target)
	if s.MaxRedisCommands > 0 {
		t += fmt.Sprintf("; ≤ %.0f commands, 1 round trip per hit", s.MaxRedisCommands)
	}
	return t
}

func rps(sd side) string {
	if len(sd.Runs) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f", sd.Load.RPS)
}

func cpu(sd side) string {
	if len(sd.Runs) == 0 || sd.Load.CPU == 0 {
		return "–"
	}
	return lat(sd.Load.CPU)
}

func lat(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	default:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	}
}

func writeReport(path string, r report) error {
	if len(r.Results) == 0 && r.Memory != "" {
		return spliceMemory(path, r)
	}
	var b strings.Builder
	b.WriteString("# Benchmarks\n\n")
	b.WriteString("Written by `make loadtest` (`go run ./tests/loadtest`), overwritten on every run; this is the\n")
	fmt.Fprintf(&b, "output of one run on %s. Numbers are requests per second measured by wrk, the\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	b.WriteString("latency percentiles wrk reports with `--latency`, and the server processes' CPU time per request;\n")
	b.WriteString("each is the median of the side's runs. ratio = Civigate req/s ÷ baseline req/s, the median of\n")
	b.WriteString("the rounds' ratios (for (d): the baseline's p50 ÷ Civigate's; for (f): Civigate's p50 ÷ the baseline's).\n\n")
	if r.Pinned {
		b.WriteString("**Pinned**: every server process (Civigate, the CiviCRM stubs, Redis) runs on CPU 0 (`taskset -c 0`,\n")
		fmt.Fprintf(&b, "so Go sizes GOMAXPROCS to 1) and wrk on CPU 1 (`taskset -c 1`, %d thread): a ratio compares what each\n", r.Threads)
		b.WriteString("request costs the server's core, and CPU/req is that cost. `-pin=false` runs everything unpinned.\n")
	} else {
		fmt.Fprintf(&b, "**Unpinned** (`-pin=false`): wrk (%d threads) and the servers share every core, so ratios also\n", r.Threads)
		b.WriteString("measure scheduling; the default, pinned run isolates the server's cost.\n")
	}
	fmt.Fprintf(&b, "Machine load: load average %s before and %s after; other benchmark or test processes: %s before, %s after.\n\n",
		r.LoadBefore, r.LoadAfter, r.OthersBefore, r.OthersAfter)
	b.WriteString(r.Table)
	b.WriteString(redisSection(r.Results))
	b.WriteString(floorSection(r.Results))
	b.WriteString(bigSection(r.Results))
	if r.Memory != "" {
		b.WriteString(memorySection(r))
	}
	b.WriteString("\n## What ran\n\n")

	b.WriteString("Every process listens on 127.0.0.1 only:\n\n")
	b.WriteString("- **Civigate**: `bin/civigate run` (built by the run with `go build -o bin/civigate ./cmd/civigate`), one process\n")
	b.WriteString("  with every scenario on its own site and the plain-Caddy baselines (`reverse_proxy`, `respond`) on\n")
	b.WriteString("  sites of the same process, so each ratio compares handlers on the same binary and defaults.\n")
	b.WriteString("- **CiviCRM stubs**: the load test binary with `-stub`, a net/http server answering `civicrm/ajax/rest`\n")
	fmt.Fprintf(&b, "  with the %d-byte Contact.get of contact 2 a live CiviCRM 6.17.2 sent (recording `rt-correct-user`),\n", len(contactGet))
	fmt.Fprintf(&b, "  `civicrm/ajax/api4/Contact/get` with the APIv4 answer of recording `route-1` (%d bytes) and\n", len(contactGetV4))
	b.WriteString("  `civicrm/authx/id` for the API key, every API answer with CiviCRM's session cookie and no-cache headers;\n")
	fmt.Fprintf(&b, "  a second one answers after 100 ms for (d), a third a Contact.get of %d rows (%d bytes) for (f).\n", bigRows, len(contactGetBig))
	b.WriteString("- **Redis**: a private `redis-server --save '' --appendonly no` on a free port, for (c) and (i).\n")
	fmt.Fprintf(&b, "- **wrk**: %s warm-up per side (discarded; it also fills the cache), then %d rounds of one %s run\n", r.Warm, r.Rounds, r.Duration)
	b.WriteString("  per side, interleaved (baseline first in even rounds, Civigate first in odd ones); each round gives\n")
	b.WriteString("  a ratio and the row's ratio is their median, so a burst of background load spoils a round, not the row.\n")
	b.WriteString("- **CPU/req**: the CPU time (user + system, from `/proc/<pid>/stat`) of every server process (Civigate,\n")
	b.WriteString("  stubs, Redis) during a run, divided by the run's requests; baselines that reach a stub include it.\n")
	b.WriteString("- Every side is checked first to answer 200 with the expected body byte for byte (the recorded body;\n")
	b.WriteString("  for the XML client, translate's rendering of it, which the XML recordings pin down), and each\n")
	b.WriteString("  cached side's stub counts the API calls it served during the measured runs (a cached row that reached\n")
	b.WriteString("  CiviCRM for more than 1% of its requests fails whatever its speed); a Redis row must send Redis at\n")
	b.WriteString("  least one command per request (or it was not a Redis hit), at most two, in one round trip (Redis's\n")
	b.WriteString("  `total_reads_processed`: a pipeline arrives as one read).\n")
	b.WriteString("- The `respond` baseline is Caddy's handler as shipped: it passes its body through the placeholder\n")
	b.WriteString("  replacer on every request, and this JSON body has `{` in it, so that cost is part of the baseline.\n\n")
	b.WriteString("Ratio of each round (Civigate ÷ baseline):\n\n")
	b.WriteString("| | rounds | lowest | highest |\n|---|---|--:|--:|\n")
	for i := range r.Results {
		s := &r.Results[i]
		if len(s.RoundRatios) == 0 {
			continue
		}
		var list []string
		for _, x := range s.RoundRatios {
			list = append(list, s.formatRatio(x))
		}
		fmt.Fprintf(&b, "| (%s) | %s | %s | %s |\n", s.ID, strings.Join(list, ", "),
			s.formatRatio(slices.Min(s.RoundRatios)), s.formatRatio(slices.Max(s.RoundRatios)))
	}
	b.WriteString("\nUpstream API calls and failed requests during the measured runs (all runs of each side):\n\n")
	b.WriteString("| | side | requests | failed | upstream API calls | Redis commands | Redis round trips |\n|---|---|--:|--:|--:|--:|--:|\n")
	for _, s := range r.Results {
		for _, sdp := range s.sides() {
			sd := *sdp
			calls, cmds, reads := "–", "–", "–"
			if sd.StubPort != 0 {
				calls = fmt.Sprint(sd.Calls)
			}
			if sd.RedisPort != 0 {
				cmds, reads = fmt.Sprint(sd.RedisCommands), fmt.Sprint(sd.RedisReads)
			}
			fmt.Fprintf(&b, "| (%s) | %s | %d | %d | %s | %s | %s |\n", s.ID, sd.Name, sd.Load.Requests, sd.Load.Errors, calls, cmds, reads)
		}
	}
	b.WriteString("\n## Machine\n\n")
	for _, f := range r.Facts {
		b.WriteString("- " + f + "\n")
	}
	fmt.Fprintf(&b, "- load average before / after the run: %s / %s\n", r.LoadBefore, r.LoadAfter)
	if len(r.Notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range r.Notes {
			b.WriteString("- " + n + "\n")
		}
	}
	b.WriteString("\n## Commands\n\n```sh\nmake loadtest\n")
	for _, s := range r.Results {
		for _, sd := range []side{s.Baseline, s.Subject} {
			fmt.Fprintf(&b, "# (%s) %s\n%s\n", s.ID, sd.Name, redact(sd.Load.command(), r.SiteKey, r.APIKey))
		}
	}
	b.WriteString("```\n\nThe Caddyfile of the run (SK and AK stand for the run's random site key and API key; the\nbaselines' `respond` bodies are the recorded bodies, elided here):\n\n```caddyfile\n")
	b.WriteString(elideBody(r.Caddyfile))
	b.WriteString("```\n")
	// The Reliability section (make reliability) is measured elsewhere:
	// keep it.
	if old, err := os.ReadFile(path); err == nil {
		if i := strings.Index(string(old), "\n## Reliability\n"); i >= 0 {
			b.WriteString(string(old[i:]))
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// redisSection is what the Redis rows cost Redis, per hit.
func redisSection(list []scenario) string {
	var b strings.Builder
	for i := range list {
		sd := &list[i].Subject
		if sd.RedisPort == 0 || sd.Load.Requests == 0 {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("\nRedis per hit (all measured runs; the Redis rows' CPU/req includes Redis's own):\n\n")
			b.WriteString("| | commands per hit | round trips per hit | Redis's CPU per hit |\n|---|--:|--:|--:|\n")
		}
		fmt.Fprintf(&b, "| (%s) | %.2f | %.2f | %s |\n", list[i].ID, sd.perRequest(sd.RedisCommands), sd.perRequest(sd.RedisReads), lat(sd.Load.RedisCPU))
	}
	return b.String()
}

// bigSection is (f)'s memory figure.
// floorSection is what a latency scenario's floor measured: the host's
// own one-connection latency, and what Civigate adds to it.
func floorSection(list []scenario) string {
	var b strings.Builder
	for i := range list {
		s := &list[i]
		if s.Floor == nil {
			continue
		}
		fmt.Fprintf(&b, "\n(%s) floor, the host's own latency for one connection: %s (the same body, the same rounds): ", s.ID, s.Floor.Name)
		f := s.floorP50()
		if f == 0 {
			b.WriteString("not measured.\n")
			continue
		}
		fmt.Fprintf(&b, "p50 %s, p99 %s, CPU/req %s", lat(f), lat(s.Floor.Load.P99), cpu(*s.Floor))
		if len(s.Subject.Runs) > 0 {
			fmt.Fprintf(&b, "; Civigate's p50 %s is %s", lat(s.Subject.Load.P50), aboveBelow(s.Subject.Load.P50-f))
		}
		b.WriteString(". Most of a one-connection request's time is the host's (two cross-CPU wake-ups, two loopback\n")
		b.WriteString("writes), not the handler's: a target below the floor cannot be met by any handler on the same host that day.\n")
	}
	return b.String()
}

// aboveBelow says how far a latency is from the floor.
func aboveBelow(d time.Duration) string {
	switch {
	case d == 0:
		return "the floor's"
	case d < 0:
		return lat(-d) + " below it"
	}
	return lat(d) + " above it"
}

func bigSection(list []scenario) string {
	var b strings.Builder
	for i := range list {
		s := &list[i]
		m := s.Memory
		if m == nil {
			continue
		}
		fmt.Fprintf(&b, "\n(%s) memory: a fresh Civigate process with the (f) site alone, %d connections fetching the %.1f MB answer\n",
			s.ID, m.Conns, float64(len(s.Subject.Expect))/1e6)
		if m.Err != nil {
			fmt.Fprintf(&b, "for one run: not measured (%s).\n", firstLine(m.Err.Error()))
			continue
		}
		fmt.Fprintf(&b, "for one run (%d requests): resident memory %s after one call, peak %s above it, %s per request in flight\n",
			m.Requests, mib(m.IdleRSS), mib(m.PeakRSS-m.IdleRSS), mib(m.perRequest()))
		fmt.Fprintf(&b, "(target: under 2× the body, %s).\n", mib(2*int64(len(s.Subject.Expect))))
	}
	return b.String()
}

// memorySection is scenario (m)'s part of the report.
func memorySection(r report) string {
	var b strings.Builder
	b.WriteString("\n## Memory\n\n")
	b.WriteString("Peak resident memory of Civigate while 16 clients send it the same 8 MiB body over and over\n")
	b.WriteString("(`-mem-duration` each; a fresh process per case, in front of the stub, `cache off`): the kernel's\n")
	b.WriteString("VmHWM minus the VmRSS after one small warm-up call. The first two bodies are issue 12's `json=`\n")
	b.WriteString("of 2.8 million empty arrays, which Civigate refuses undecoded (without a credential after reading\n")
	b.WriteString("the envelope, with 429 once the guessing protection blocks the address, still after reading the\n")
	b.WriteString("body; with a valid one with 413, over the decode budget). The third is the APIv4 route's worst\n")
	b.WriteString("body before authentication, 1.4 million `a[]=1`, read whole for the routing scan and refused with\n")
	b.WriteString("401, its parameters undecoded. The last case, for comparison and\n")
	b.WriteString("without a target, is the most a caller with a valid credential can make Civigate decode and\n")
	b.WriteString("forward: one 8 MiB string full of escapes (see the README's \"Memory\").\n\n")
	fmt.Fprintf(&b, "Measured on %s, load average %s before and %s after.\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"), r.LoadBefore, r.LoadAfter)
	b.WriteString(r.Memory)
	return b.String()
}

// spliceMemory puts a run of scenario (m) alone (-only m) into an existing
// report in place of its memory section, or after its table, leaving the
// throughput numbers of the last full run as they are.
func spliceMemory(path string, r report) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	s := string(old) // a report of its own when there is none (-out elsewhere)
	section := memorySection(r)
	if i := strings.Index(s, "\n## Memory\n"); i >= 0 {
		rest := s[i+1:]
		end := strings.Index(rest[len("## Memory\n"):], "\n## ")
		if end < 0 {
			s = s[:i] + section
		} else {
			s = s[:i] + section + rest[len("## Memory\n")+end:]
		}
	} else if i := strings.Index(s, "\n## What ran\n"); i >= 0 {
		s = s[:i] + section + s[i:]
	} else {
		s += section
	}
	return os.WriteFile(path, []byte(s), 0o644)
}

func elideBody(cf string) string {
	cf = strings.Replace(cf, string(contactGet), "… the recorded Contact.get JSON …", 1)
	return strings.Replace(cf, string(contactGetV4), "… the recorded APIv4 Contact.get JSON …", 1)
}

// machineFacts describes where the numbers come from.
func machineFacts(civigate string) []string {
	facts := []string{
		fmt.Sprintf("CPU: %s, %d logical cores", cpuModel(), runtime.NumCPU()),
		"memory: " + memTotal(),
		"kernel: " + strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")),
		"Go: " + runtime.Version(),
	}
	if v := firstLine(cmdOut(civigate, "version")); v != "" {
		facts = append(facts, "Caddy: "+v)
	}
	if v := firstLine(cmdOut("wrk", "-v")); v != "" {
		facts = append(facts, "wrk: "+strings.TrimSpace(v))
	}
	if v := firstLine(cmdOut("redis-server", "--version")); v != "" {
		facts = append(facts, "Redis: "+v)
	}
	return facts
}

func cmdOut(name string, args ...string) string {
	out, _ := exec.Command(name, args...).CombinedOutput()
	return strings.TrimSpace(string(out))
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

func cpuModel() string {
	return procField("/proc/cpuinfo", "model name")
}

func memTotal() string {
	return procField("/proc/meminfo", "MemTotal")
}

func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func loadAvg() string {
	f := strings.Fields(readFile("/proc/loadavg"))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// otherWork describes the benchmark and test processes running besides
// this run's own (another session's `go test`, wrk, Civigate, simulator):
// what a shared machine's figures have to be read against.
func otherWork() string {
	own := map[int]bool{os.Getpid(): true}
	for _, p := range ownPIDs() {
		own[p] = true
	}
	counts := map[string]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || own[pid] {
			continue
		}
		raw, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || len(raw) == 0 {
			continue
		}
		argv := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
		name := filepath.Base(argv[0])
		switch {
		case name == "go" && len(argv) > 1 && argv[1] == "test":
			counts["go test"]++
		case name == "wrk" || name == "civigate" || name == "civicrmsim" || strings.HasSuffix(name, ".test"):
			counts[name]++
		}
	}
	if len(counts) == 0 {
		return "none"
	}
	var parts []string
	for name, n := range counts {
		parts = append(parts, fmt.Sprintf("%s ×%d", name, n))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

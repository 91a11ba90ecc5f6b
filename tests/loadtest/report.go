package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

type report struct {
	Table                 string
	Memory                string // scenario (m)'s table, "" when it did not run
	Results               []scenario
	Facts                 []string
	Notes                 []string
	LoadBefore, LoadAfter string
	Caddyfile             string
	Duration, Warm        time.Duration
	Rounds                int
	SiteKey, APIKey       string
}

// renderTable is the one table of a run, in Markdown so the terminal and
// BENCHMARKS.md show the same thing.
func renderTable(list []scenario) string {
	var b strings.Builder
	b.WriteString("| | Civigate | req/s | p50 | p99 | baseline | req/s | p50 | p99 | ratio | target | met |\n")
	b.WriteString("|---|---|--:|--:|--:|---|--:|--:|--:|--:|--:|---|\n")
	for i := range list {
		s := &list[i]
		ratio, met, why := s.verdict()
		verdict := "yes"
		if !met {
			verdict = "**no**"
		}
		if why != "" {
			verdict += " (" + why + ")"
		}
		target := "≥ " + formatRatio(*s, s.Target)
		ratioS := formatRatio(*s, ratio)
		fmt.Fprintf(&b, "| (%s) %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			s.ID, s.Title,
			s.Subject.Name, rps(s.Subject), lat(s.Subject.Load.P50), lat(s.Subject.Load.P99),
			s.Baseline.Name, rps(s.Baseline), lat(s.Baseline.Load.P50), lat(s.Baseline.Load.P99),
			ratioS, target, verdict)
	}
	return b.String()
}

// formatRatio writes a ratio as its scenario's target is written: a
// fraction, or a multiple for targets of 10 and more.
func formatRatio(s scenario, x float64) string {
	if s.Target >= 10 {
		return fmt.Sprintf("%.0f×", x)
	}
	return fmt.Sprintf("%.2f", x)
}

func rps(sd side) string {
	if sd.Err != nil {
		return "–"
	}
	return fmt.Sprintf("%.0f", sd.Load.RPS)
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
	fmt.Fprintf(&b, "output of one run on %s. Numbers are requests per second measured by wrk, and\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	b.WriteString("the latency percentiles wrk reports with `--latency`. ratio = Civigate req/s ÷ baseline req/s.\n\n")
	b.WriteString(r.Table)
	if r.Memory != "" {
		b.WriteString(memorySection(r))
	}
	b.WriteString("\n## What ran\n\n")

	b.WriteString("Every process listens on 127.0.0.1 only:\n\n")
	b.WriteString("- **Civigate**: `bin/civigate run` (built by the run with `go build -o bin/civigate ./cmd/civigate`), one process\n")
	b.WriteString("  with every scenario on its own site and the plain-Caddy baselines (`reverse_proxy`, `respond`) on\n")
	b.WriteString("  sites of the same process, so each ratio compares handlers on the same binary and defaults.\n")
	b.WriteString("- **CiviCRM stub**: the load test binary with `-stub`, a net/http server answering `civicrm/ajax/rest`\n")
	b.WriteString("  with the 8 KiB Contact.get body a live CiviCRM 6.17.2 sent (recording rt-1) and `civicrm/authx/id`\n")
	b.WriteString("  for the API key; a second one answers after 100 ms for (d).\n")
	b.WriteString("- **Redis**: a private `redis-server --save '' --appendonly no` on a free port, for (c).\n")
	b.WriteString("- **wrk**: " + fmt.Sprintf("%s warm-up per side (discarded; it also fills the cache), then runs of %s measured\n", r.Warm, r.Duration))
	fmt.Fprintf(&b, "  in %d rounds of ABBA order (baseline, Civigate, Civigate, baseline); each side's %d runs are\n", r.Rounds, 2*r.Rounds)
	b.WriteString("  averaged (req/s, p50, p99), so background-load drift hits both sides alike. The ratio of each\n")
	b.WriteString("  round is listed below to show the spread.\n")
	b.WriteString("  Nothing is pinned: wrk (2 threads, or 1 for (d)) and the servers share the cores.\n")
	b.WriteString("- Every side is checked first to answer 200 with the recorded body byte for byte, and each cached\n")
	b.WriteString("  side's stub counts the API calls it served during the measured run (a cached run that reached\n")
	b.WriteString("  CiviCRM for more than 1% of its requests fails its target whatever its speed); the Redis side\n")
	b.WriteString("  must also send Redis at least one command per request, or it was not a Redis hit.\n")
	b.WriteString("- The `respond` baseline is Caddy's handler as shipped: it passes its body through the placeholder\n")
	b.WriteString("  replacer on every request, and this JSON body has `{` in it, so that cost is part of the baseline.\n")
	b.WriteString("- The machine is shared with other work (see the load averages): repeated runs move ratios by\n")
	b.WriteString("  ±0.1 or more. Pairs run back to back so both sides of a ratio see similar background load.\n\n")
	b.WriteString("Ratio of each round (Civigate ÷ baseline, the two runs of each side averaged):\n\n")
	b.WriteString("| | rounds | lowest | highest |\n|---|---|--:|--:|\n")
	for _, s := range r.Results {
		if len(s.RoundRatios) == 0 {
			continue
		}
		var list []string
		lo, hi := s.RoundRatios[0], s.RoundRatios[0]
		for _, x := range s.RoundRatios {
			list = append(list, formatRatio(s, x))
			lo, hi = min(lo, x), max(hi, x)
		}
		fmt.Fprintf(&b, "| (%s) | %s | %s | %s |\n", s.ID, strings.Join(list, ", "), formatRatio(s, lo), formatRatio(s, hi))
	}
	b.WriteString("\nUpstream API calls and failed requests during the measured runs (all runs of each side):\n\n")
	b.WriteString("| | side | requests | failed | upstream API calls | Redis commands |\n|---|---|--:|--:|--:|--:|\n")
	for _, s := range r.Results {
		for _, sd := range []side{s.Subject, s.Baseline} {
			calls := "–"
			if sd.StubPort != 0 {
				calls = fmt.Sprint(sd.Calls)
			}
			cmds := "–"
			if sd.RedisPort != 0 {
				cmds = fmt.Sprint(sd.RedisCommands)
			}
			fmt.Fprintf(&b, "| (%s) | %s | %d | %d | %s | %s |\n", s.ID, sd.Name, sd.Load.Requests, sd.Load.Errors, calls, cmds)
		}
	}
	b.WriteString("\n## Machine\n\n")
	for _, f := range r.Facts {
		b.WriteString("- " + f + "\n")
	}
	fmt.Fprintf(&b, "- load average before / after the run: %s / %s (the machine is shared; other work was running)\n", r.LoadBefore, r.LoadAfter)
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
	b.WriteString("```\n\nThe Caddyfile of the run (SK and AK stand for the run's random site key and API key; the\nbaseline's `respond` body is the recorded body, elided here):\n\n```caddyfile\n")
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

// memorySection is scenario (m)'s part of the report.
func memorySection(r report) string {
	var b strings.Builder
	b.WriteString("\n## Memory\n\n")
	b.WriteString("Peak resident memory of Civigate while 16 clients send it the same 8 MiB body over and over\n")
	b.WriteString("(`-mem-duration` each; a fresh process per case, in front of the stub, `cache off`): the kernel's\n")
	b.WriteString("VmHWM minus the VmRSS after one small warm-up call. The first two bodies are issue 12's `json=`\n")
	b.WriteString("of 2.8 million empty arrays, which Civigate refuses undecoded (without a credential after reading\n")
	b.WriteString("the envelope, with 429 once the guessing protection blocks the address, still after reading the\n")
	b.WriteString("body; with a valid one with 413, over the decode budget). The last case, for comparison and\n")
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
	if err != nil {
		return err
	}
	s := string(old)
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
	return strings.Replace(cf, string(contactGet), "… 8 KiB recorded Contact.get JSON …", 1)
}

// machineFacts describes where the numbers come from.
func machineFacts(civigate string) []string {
	facts := []string{
		fmt.Sprintf("CPU: %s, %d logical cores (GOMAXPROCS default)", cpuModel(), runtime.NumCPU()),
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

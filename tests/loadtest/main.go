// Command loadtest is `make loadtest`: it builds bin/civigate, starts real
// processes on 127.0.0.1 only (Civigate with every scenario on its own
// site, a fixed-body CiviCRM stub, a private redis-server) and measures
// Civigate against plain-Caddy baselines with wrk. It prints one table and
// writes it, with the command and the machine, to BENCHMARKS.md.
//
// The same binary is the upstream stub when run with -stub, so the stub is
// a separate process like a real CiviCRM, not a goroutine beside wrk's
// bookkeeping.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

func main() {
	var (
		stubMode = flag.Bool("stub", false, "run as the CiviCRM stub (used by the load test itself)")
		listen   = flag.String("listen", "127.0.0.1:0", "stub: address to listen on")
		apiKey   = flag.String("api-key", "", "stub: the API key civicrm/authx/id accepts")
		latency  = flag.Duration("latency", 0, "stub: time taken by each civicrm/ajax/rest answer")
		big      = flag.Bool("big", false, "stub: civicrm/ajax/rest answers the 10,000-row Contact.get")

		duration = flag.Duration("duration", 3*time.Second, "measured time per wrk run")
		rounds   = flag.Int("rounds", 9, "interleaved rounds per scenario (one wrk run per side each)")
		warm     = flag.Duration("warm", 2*time.Second, "warm-up per side before the first round (not measured)")
		pin      = flag.Bool("pin", true, "servers on CPU 0, wrk (one thread) on CPU 1; -pin=false shares every core (wrk with 2 threads)")
		out      = flag.String("out", "BENCHMARKS.md", "report file (overwritten)")
		profile  = flag.String("profile", "", "directory for CPU profiles of the Civigate process, one per scenario, side and round (ID.N.pprof, ID-baseline.N.pprof; go tool pprof merges a side's rounds)")
		only     = flag.String("only", "", "comma-separated scenario ids to run (e.g. b,c or m); default all")
		memDur   = flag.Duration("mem-duration", 10*time.Second, "(m): load time per memory case")
	)
	flag.Parse()
	if *stubMode {
		log.Fatal(runStub(*listen, *apiKey, *latency, *big))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *rounds < 1 {
		log.Fatal("loadtest: -rounds must be at least 1")
	}
	threads := 1
	if *pin {
		serverCPUs, clientCPUs = "0", "1"
	} else {
		threads = 2
	}
	if err := run(ctx, *duration, *rounds, threads, *warm, *out, *profile, *only, *memDur); err != nil {
		log.Fatalf("loadtest: %v", err)
	}
}

func run(ctx context.Context, duration time.Duration, rounds, threads int, warm time.Duration, out, profileDir, only string, memDur time.Duration) error {
	tools := []string{"wrk", "redis-server"}
	if serverCPUs != "" {
		tools = append(tools, "taskset")
		if runtime.NumCPU() < 2 {
			return fmt.Errorf("pinning needs 2 CPUs (servers on one, wrk on the other); run with -pin=false")
		}
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is not installed (Debian: apt-get install %s)", tool, tool)
		}
	}
	if _, err := os.Stat("go.mod"); err != nil {
		return fmt.Errorf("run from the repository root (make loadtest)")
	}
	log.Print("building bin/civigate")
	build := exec.CommandContext(ctx, "go", "build", "-o", "bin/civigate", "./cmd/civigate")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build: %v", err)
	}
	civigate, _ := filepath.Abs("bin/civigate")
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "civigate-loadtest-")
	if err != nil {
		return err
	}
	keep := false
	defer func() {
		if !keep {
			os.RemoveAll(dir)
		}
	}()

	p, err := allocPorts()
	if err != nil {
		return err
	}
	sk, ak := "sk-"+randHex(12), randHex(16)

	var procs []*proc
	defer func() {
		// Civigate first, so it never sees its upstreams vanish mid-request.
		for i := len(procs) - 1; i >= 0; i-- {
			procs[i].stop()
		}
	}()
	launch := func(name, addr, bin string, args ...string) error {
		pr, err := start(dir, name, nil, bin, args...)
		if err != nil {
			return err
		}
		procs = append(procs, pr)
		return waitPort(pr, addr)
	}
	stubAddr, slowAddr, bigAddr := addr(p.Stub), addr(p.SlowStub), addr(p.BigStub)
	if err := launch("stub", stubAddr, self, "-stub", "-listen", stubAddr, "-api-key", ak); err != nil {
		return err
	}
	if err := launch("stub-100ms", slowAddr, self, "-stub", "-listen", slowAddr, "-api-key", ak, "-latency", "100ms"); err != nil {
		return err
	}
	if err := launch("stub-big", bigAddr, self, "-stub", "-listen", bigAddr, "-api-key", ak, "-big"); err != nil {
		return err
	}
	if err := launch("redis", addr(p.Redis), "redis-server", "--port", fmt.Sprint(p.Redis), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir); err != nil {
		return err
	}

	cfg := siteConfig{SiteKey: sk}
	var notes []string
	if cacheOffSupported(ctx, civigate, dir) {
		cfg.CacheOff = "cache off"
	} else {
		notes = append(notes, "This build's `civicrm` grammar has no `cache off`: the uncached sites run with the default.")
	}
	cf := caddyfile(p, cfg)
	cfPath := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(cfPath, []byte(cf), 0o600); err != nil {
		return err
	}
	if err := startCivigate(civigate, dir, cfPath, p, &procs); err != nil {
		return err
	}

	facts := machineFacts(civigate)
	loadBefore, othersBefore := loadAvg(), otherWork()
	list := scenarios(p, sk, ak, duration, threads)
	if only != "" {
		var picked []scenario
		for _, s := range list {
			if strings.Contains(","+only+",", ","+s.ID+",") {
				picked = append(picked, s)
			}
		}
		list = picked
		notes = append(notes, "Only scenarios "+only+" were run (-only).")
	}
	results := runScenarios(ctx, list, rounds, warm, p.Admin, profileDir, procs)
	for i := range results {
		if s := &results[i]; s.Memory != nil {
			measureBigMemory(ctx, civigate, dir, p.BigStub, sk, s)
		}
	}
	var memory []memCase
	if only == "" || strings.Contains(","+only+",", ",m,") {
		memory = runMemory(ctx, civigate, dir, p.Stub, sk, ak, memDur)
	}
	loadAfter, othersAfter := loadAvg(), otherWork()
	for _, pr := range procs {
		if pr.exited() {
			// Keep the logs: a crash under load is the finding of the run.
			keep = true
			notes = append(notes, fmt.Sprintf("%s exited during the run (%s); its log is kept at %s, last lines:\n\n```\n%s\n```",
				pr.name, pr.cmd.ProcessState, pr.log, redact(tail(pr.log, 30), sk, ak)))
		}
	}
	table := redact(renderTable(results), sk, ak)
	fmt.Println(table)
	memTable := ""
	if memory != nil {
		memTable = renderMemory(memory)
		fmt.Println(memTable)
	}
	for _, n := range notes {
		fmt.Println("note: " + n)
	}
	return writeReport(out, report{
		Table: table, Memory: memTable, Results: results, Facts: facts, Notes: notes,
		LoadBefore: loadBefore, LoadAfter: loadAfter, OthersBefore: othersBefore, OthersAfter: othersAfter,
		Caddyfile: redact(cf, sk, ak), Pinned: serverCPUs != "", Threads: threads,
		Duration: duration, Rounds: rounds, Warm: warm, SiteKey: sk, APIKey: ak,
	})
}

func startCivigate(civigate, dir, cfPath string, p ports, procs *[]*proc) error {
	// Caddy's data and config dirs go to the temp dir: nothing lands in $HOME.
	pr, err := start(dir, "civigate", []string{"XDG_DATA_HOME=" + dir, "XDG_CONFIG_HOME=" + dir},
		civigate, "run", "--config", cfPath, "--adapter", "caddyfile")
	if err != nil {
		return err
	}
	*procs = append(*procs, pr)
	for _, port := range p.sites() {
		if err := waitPort(pr, addr(port)); err != nil {
			return err
		}
	}
	return nil
}

// cacheOffSupported asks the built binary whether `cache off` parses.
func cacheOffSupported(ctx context.Context, civigate, dir string) bool {
	probe := filepath.Join(dir, "probe.Caddyfile")
	_ = os.WriteFile(probe, []byte("http://:1 {\n\tcivicrm {\n\t\tcache off\n\t}\n}\n"), 0o600)
	return exec.CommandContext(ctx, civigate, "adapt", "--config", probe, "--adapter", "caddyfile").Run() == nil
}

func allocPorts() (ports, error) {
	var p ports
	seen := map[int]bool{}
	for _, dst := range []*int{&p.Admin, &p.Stub, &p.SlowStub, &p.BigStub, &p.Redis, &p.Uncached, &p.Proxy,
		&p.Memory, &p.Respond, &p.RedisCached, &p.SlowOpen, &p.BigOpen, &p.BigProxy, &p.RespondV4} {
		for tries := 0; ; tries++ {
			n, err := freePort()
			if err != nil {
				return p, err
			}
			if !seen[n] {
				seen[n], *dst = true, n
				break
			}
			if tries > 20 {
				return p, fmt.Errorf("no distinct free ports")
			}
		}
	}
	return p, nil
}

// writeFile writes b to path, making its directory.
func writeFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func addr(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// tail is the last n lines of a file.
func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// redact replaces this run's secrets by their names in anything published.
func redact(s, sk, ak string) string {
	return strings.NewReplacer(sk, "SK", ak, "AK").Replace(s)
}

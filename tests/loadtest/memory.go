package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Scenario (m): what worst-case bodies cost Civigate in memory. For each
// case a fresh Civigate process (one site in front of the stub) takes
// memConns concurrent clients sending the same 8 MiB body over and over;
// the case's number is the process's peak resident set (the kernel's
// VmHWM) above its resident set when idle, after one small warm-up call.
const (
	memConns  = 16
	memTarget = 256 << 20 // bytes above idle
)

type memCase struct {
	Name     string
	Target   bool   // held to memTarget (issue 12's worst case)
	Query    string // credentials, appended to the legacy URL
	Path     string // the APIv4 route instead of the legacy URL
	Body     []byte
	Requests int64
	Answers  map[int]int64 // HTTP status → count
	IdleRSS  int64
	PeakRSS  int64
	Err      error
}

// worstBody is issue 12's body: json= holding as many empty arrays as
// 8 MiB take (2.8 million).
func worstBody() []byte {
	prefix, suffix := `entity=Contact&action=get&json={"a":[`, "[]]}"
	return []byte(prefix + strings.Repeat("[],", (8<<20-1-len(prefix)-len(suffix))/3) + suffix)
}

// bigStringBody is the most an authenticated caller can make Civigate
// decode and forward in 8 MiB: one long JSON string full of escapes,
// which is copied when decoded and encoded again for CiviCRM.
func bigStringBody() []byte {
	prefix := "entity=Contact&action=get&json=" + url.QueryEscape(`{"note":"`)
	suffix := url.QueryEscape(`"}`)
	unit := url.QueryEscape(`\/`)
	return []byte(prefix + strings.Repeat(unit, (8<<20-1-len(prefix)-len(suffix))/len(unit)) + suffix)
}

// manyVarsBody is the APIv4 route's worst case before authentication:
// as many one-member arrays as 8 MiB take (1.4 million a[]=1).
func manyVarsBody() []byte {
	return []byte(strings.Repeat("a[]=1&", (8<<20-1)/6))
}

func memCases(sk, ak string) []memCase {
	good := "&key=" + sk + "&api_key=" + ak
	worst := worstBody()
	return []memCase{
		{Name: "no credential, 2.8 million empty arrays", Target: true, Body: worst},
		{Name: "valid credential, 2.8 million empty arrays", Target: true, Query: good, Body: worst},
		{Name: "APIv4, no credential, 1.4 million a[]=1", Target: true, Path: "/civicrm/ajax/api4/Contact/get", Body: manyVarsBody()},
		// For comparison: the most a caller with a valid credential can
		// make Civigate hold (README, "Memory").
		{Name: "valid credential, an 8 MiB string decoded and forwarded", Query: good, Body: bigStringBody()},
	}
}

// runMemory measures every case against its own Civigate process.
func runMemory(ctx context.Context, civigate, dir string, stubPort int, sk, ak string, d time.Duration) []memCase {
	cases := memCases(sk, ak)
	for i := range cases {
		c := &cases[i]
		c.Err = measureMemory(ctx, civigate, dir, stubPort, sk, c, d)
		if c.Err != nil {
			log.Printf("(m) %s: %v", c.Name, c.Err)
		} else {
			log.Printf("(m) %s: %d requests, peak RSS %s above idle %s", c.Name, c.Requests, mib(c.PeakRSS-c.IdleRSS), mib(c.IdleRSS))
		}
	}
	return cases
}

func measureMemory(ctx context.Context, civigate, dir string, stubPort int, sk string, c *memCase, d time.Duration) error {
	pr, port, err := startCacheOff(civigate, dir, "memory", stubPort, sk)
	if err != nil {
		return err
	}
	defer pr.stop()
	target := fmt.Sprintf("http://127.0.0.1:%d/sites/all/modules/civicrm/extern/rest.php?json=1%s", port, c.Query)
	if c.Path != "" {
		target = fmt.Sprintf("http://127.0.0.1:%d%s", port, c.Path)
	}
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: memConns}}
	post := func(body []byte) (int, error) {
		resp, err := client.Post(target, "application/x-www-form-urlencoded", bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	// A small call first: the credential's verdict is learnt, the process
	// has served a request, and what it then holds is idle.
	if _, err := post([]byte("entity=Contact&action=get&id=2")); err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond)
	if c.IdleRSS, err = procMemory(pr, "VmRSS"); err != nil {
		return err
	}
	c.Answers = map[int]int64{}
	var mu sync.Mutex
	var n atomic.Int64
	var failed error
	loadCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	for range memConns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for loadCtx.Err() == nil {
				status, err := post(c.Body)
				mu.Lock()
				if err != nil && failed == nil && loadCtx.Err() == nil {
					failed = err
				}
				if err == nil {
					c.Answers[status]++
				}
				mu.Unlock()
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	c.Requests = n.Load()
	if pr.exited() {
		return fmt.Errorf("Civigate exited under the load; see %s", pr.log)
	}
	if c.PeakRSS, err = procMemory(pr, "VmHWM"); err != nil {
		return err
	}
	return failed
}

// procMemory reads a /proc/<pid>/status field given in kB, in bytes.
func procMemory(p *proc, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, p.cmd.Process.Pid)
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// renderMemory is scenario (m)'s table.
func renderMemory(cases []memCase) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| (m) %d clients, 8 MiB bodies, one Civigate process per case | requests | answers | idle RSS | peak RSS above idle | target | met |\n", memConns)
	b.WriteString("|---|--:|---|--:|--:|--:|---|\n")
	for _, c := range cases {
		if c.Err != nil {
			fmt.Fprintf(&b, "| %s | – | – | – | – | < %s | **no** (%s) |\n", c.Name, mib(memTarget), firstLine(c.Err.Error()))
			continue
		}
		var answers []string
		for status, k := range c.Answers {
			answers = append(answers, fmt.Sprintf("%d×%d", k, status))
		}
		slices.Sort(answers)
		target, met := "–", "–"
		if c.Target {
			target, met = "< "+mib(memTarget), "yes"
			if c.PeakRSS-c.IdleRSS >= memTarget {
				met = "**no**"
			}
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s |\n", c.Name, c.Requests, strings.Join(answers, ", "),
			mib(c.IdleRSS), mib(c.PeakRSS-c.IdleRSS), target, met)
	}
	return b.String()
}

// bigMemory is scenario (f)'s memory figure: the peak resident memory of
// a fresh Civigate process (caching off, in front of the big stub) above
// its resident memory after one call, while Conns clients fetch the large
// answer over and over, per request in flight.
type bigMemory struct {
	Conns            int
	Requests         int64
	IdleRSS, PeakRSS int64
	Err              error
}

func (m *bigMemory) perRequest() int64 {
	if m.Conns == 0 {
		return 0
	}
	return (m.PeakRSS - m.IdleRSS) / int64(m.Conns)
}

// measureBigMemory fills s.Memory: s.Subject's load, against a fresh
// process serving the same site.
func measureBigMemory(ctx context.Context, civigate, dir string, bigStub int, sk string, s *scenario) {
	m := s.Memory
	m.Conns = s.Subject.Load.Connections
	m.Err = func() error {
		pr, port, err := startCacheOff(civigate, dir, "big", bigStub, sk)
		if err != nil {
			return err
		}
		defer pr.stop()
		l := s.Subject.Load
		l.URL = strings.Replace(l.URL, fmt.Sprintf(":%d/", portOf(l.URL)), fmt.Sprintf(":%d/", port), 1)
		if why := checkBody(l.URL, l.Headers, s.Subject.Expect); why != "" {
			return fmt.Errorf("fresh process answered wrong: %s", why)
		}
		time.Sleep(500 * time.Millisecond)
		if m.IdleRSS, err = procMemory(pr, "VmRSS"); err != nil {
			return err
		}
		if err := l.run(ctx); err != nil {
			return err
		}
		m.Requests = l.Requests
		if pr.exited() {
			return fmt.Errorf("Civigate exited under the load; see %s", pr.log)
		}
		m.PeakRSS, err = procMemory(pr, "VmHWM")
		return err
	}()
}

// portOf is the port of a loopback URL, or 0.
func portOf(u string) int {
	pu, err := url.Parse(u)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(pu.Port())
	return n
}

// startCacheOff starts a fresh Civigate process (its log and Caddyfile
// named after name in dir) serving one plain-HTTP site with caching off in
// front of the stub on stubPort, and waits until it listens: the memory
// measurements want a process of their own, untouched by other rows.
func startCacheOff(civigate, dir, name string, stubPort int, sk string) (*proc, int, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	admin, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	cf := fmt.Sprintf("{\n\tadmin 127.0.0.1:%d\n\tauto_https off\n\tpersist_config off\n\tlog {\n\t\tlevel ERROR\n\t}\n}\n\n"+
		"http://127.0.0.1:%d {\n\tcivicrm {\n\t\tsite_key %s\n\t\tcache off\n\t}\n\treverse_proxy 127.0.0.1:%d\n}\n",
		admin, port, sk, stubPort)
	cfPath := filepath.Join(dir, name+".Caddyfile")
	if err := os.WriteFile(cfPath, []byte(cf), 0o600); err != nil {
		return nil, 0, err
	}
	pr, err := start(dir, "civigate-"+name, []string{"XDG_DATA_HOME=" + dir, "XDG_CONFIG_HOME=" + dir},
		civigate, "run", "--config", cfPath, "--adapter", "caddyfile")
	if err != nil {
		return nil, 0, err
	}
	if err := waitPort(pr, addr(port)); err != nil {
		pr.stop()
		return nil, 0, err
	}
	return pr, port, nil
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// load is one wrk run: what was asked and what wrk measured.
type load struct {
	URL         string
	Headers     []string // "Name: value"
	Connections int
	Threads     int
	Duration    time.Duration

	RPS      float64
	P50, P99 time.Duration
	Requests int64
	Errors   int64 // socket errors + non-2xx/3xx answers
	// CPU is the server processes' CPU time per request (Civigate, the
	// stubs and Redis together), measured around the run.
	CPU time.Duration
	// RedisCPU is Redis's share of CPU (Redis rows).
	RedisCPU time.Duration
	Raw      string
}

// args is the wrk command line (without the binary).
func (l *load) args(d time.Duration) []string {
	a := []string{"--latency", "-t", strconv.Itoa(l.Threads), "-c", strconv.Itoa(l.Connections),
		"-d", fmt.Sprintf("%ds", int(d.Seconds())), "--timeout", "5s"}
	for _, h := range l.Headers {
		a = append(a, "-H", h)
	}
	return append(a, l.URL)
}

// command is the wrk command as a shell line, secrets elided by the caller.
func (l *load) command() string {
	var b strings.Builder
	bin, args := pinned(clientCPUs, "wrk", l.args(l.Duration))
	b.WriteString(bin)
	for _, a := range args {
		if strings.ContainsAny(a, " &?{}\"") {
			a = "'" + a + "'"
		}
		b.WriteString(" " + a)
	}
	return b.String()
}

// run measures for l.Duration.
func (l *load) run(ctx context.Context) error {
	out, err := wrk(ctx, l.args(l.Duration))
	if err != nil {
		return err
	}
	l.Raw = out
	return l.parse(out)
}

func wrk(ctx context.Context, args []string) (string, error) {
	// Bounded: wrk stops itself after -d; the context is the backstop.
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	bin, args := pinned(clientCPUs, "wrk", args)
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("wrk %v: %v\n%s", args, err, out)
	}
	return string(out), nil
}

var (
	reRPS      = regexp.MustCompile(`^Requests/sec:\s+([0-9.]+)`)
	rePct      = regexp.MustCompile(`^\s+(50|99)%\s+([0-9.]+(?:us|ms|s|m))`)
	reTotal    = regexp.MustCompile(`^\s+(\d+) requests in`)
	reNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	reSockErrs = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// parse reads wrk's --latency report.
func (l *load) parse(out string) error {
	var haveRPS, have50, have99 bool
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if m := reRPS.FindStringSubmatch(line); m != nil {
			l.RPS, _ = strconv.ParseFloat(m[1], 64)
			haveRPS = true
		}
		if m := rePct.FindStringSubmatch(line); m != nil {
			d, err := time.ParseDuration(m[2])
			if err != nil {
				return fmt.Errorf("wrk latency %q: %v", m[2], err)
			}
			if m[1] == "50" {
				l.P50, have50 = d, true
			} else {
				l.P99, have99 = d, true
			}
		}
		if m := reTotal.FindStringSubmatch(line); m != nil {
			l.Requests, _ = strconv.ParseInt(m[1], 10, 64)
		}
		if m := reNon2xx.FindStringSubmatch(line); m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			l.Errors += n
		}
		if m := reSockErrs.FindStringSubmatch(line); m != nil {
			for _, s := range m[1:] {
				n, _ := strconv.ParseInt(s, 10, 64)
				l.Errors += n
			}
		}
	}
	if !haveRPS || !have50 || !have99 {
		return fmt.Errorf("could not parse wrk output:\n%s", out)
	}
	return nil
}

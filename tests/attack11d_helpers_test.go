package tests

// Helpers of the attack 11d tests (reliability and fidelity as an operator
// judges them): a private redis-server, Civigate as separate processes (the
// README's "several Caddy instances with the same Caddyfile and one
// Redis").

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// a11dRedis is a redis-server this test started (and stops).
type a11dRedis struct {
	port int
}

// a11dStartRedis starts a private redis-server on a free loopback port,
// without persistence, stopped when the test ends.
func a11dStartRedis(t *testing.T, extra ...string) *a11dRedis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server is needed: ", err)
	}
	port := freePort(t)
	args := append([]string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}, extra...)
	cmd := exec.Command("redis-server", args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	r := &a11dRedis{port: port}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if out, err := r.cli("PING"); err == nil && strings.TrimSpace(out) == "PONG" {
			return r
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("redis-server on %d did not come up", port)
	return nil
}

func (r *a11dRedis) url() string { return fmt.Sprintf("redis://127.0.0.1:%d", r.port) }

// cli runs one redis-cli command against this server.
func (r *a11dRedis) cli(args ...string) (string, error) {
	out, err := exec.Command("redis-cli", append([]string{"-p", fmt.Sprint(r.port)}, args...)...).CombinedOutput()
	return string(out), err
}

var (
	a11dBinOnce sync.Once
	a11dBin     string
	a11dBinErr  error
)

// a11dBinary builds cmd/civigate (Caddy with Civigate) once per test run.
func a11dBinary(t *testing.T) string {
	t.Helper()
	a11dBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "a11d-bin")
		if err != nil {
			a11dBinErr = err
			return
		}
		a11dBin = filepath.Join(dir, "civigate")
		out, err := exec.Command("go", "build", "-o", a11dBin, "../cmd/civigate").CombinedOutput()
		if err != nil {
			a11dBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if a11dBinErr != nil {
		t.Fatal(a11dBinErr)
	}
	return a11dBin
}

// a11dProc is one Civigate process.
type a11dProc struct {
	URL, Admin string
}

// a11dStartProc runs Civigate as its own process on caddyfile ({PORT} and
// {ADMIN} replaced by free ports), stopped when the test ends.
func a11dStartProc(t *testing.T, caddyfile string) a11dProc {
	t.Helper()
	bin := a11dBinary(t)
	port, admin := freePort(t), freePort(t)
	cf := strings.NewReplacer("{PORT}", fmt.Sprint(port), "{ADMIN}", fmt.Sprint(admin)).Replace(caddyfile)
	dir := t.TempDir()
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(cf), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", path, "--adapter", "caddyfile")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "log"))
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			t.Logf("Civigate process log (tail):\n%s", b)
		}
	})
	p := a11dProc{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Admin: fmt.Sprintf("http://127.0.0.1:%d", admin)}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(p.Admin + "/config/"); err == nil {
			resp.Body.Close()
			if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
				c.Close()
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("Civigate process on %d did not come up", port)
	return a11dProc{}
}

// fill makes this Redis refuse every write command ("OOM command not
// allowed": maxmemory 1 with noeviction) while it still answers reads and
// PUBLISH; lift takes writes again.
func (r *a11dRedis) fill(t *testing.T) (lift func()) {
	t.Helper()
	for _, c := range [][]string{{"CONFIG", "SET", "maxmemory-policy", "noeviction"}, {"CONFIG", "SET", "maxmemory", "1"}} {
		if out, err := r.cli(c...); err != nil || !strings.Contains(out, "OK") {
			t.Fatalf("redis-cli %v: %v %s", c, err, out)
		}
	}
	if out, _ := r.cli("SET", "a11d-probe", "x"); !strings.Contains(out, "OOM") {
		t.Fatalf("precondition: Redis refuses writes: %s", out)
	}
	return func() {
		if out, err := r.cli("CONFIG", "SET", "maxmemory", "0"); err != nil || !strings.Contains(out, "OK") {
			t.Fatalf("redis-cli CONFIG SET maxmemory 0: %v %s", err, out)
		}
	}
}

package tests

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// `CIVIGATE_LISTEN=127.0.0.1:PORT make run` serves the example over plain
// HTTP on exactly that address: no certificate, no attempt to install a
// root into a trust store, no other port bound (no :80 redirects, no :443)
// besides the admin API it was given. It answers there whatever name the
// client used: the calls the README and make run print use
// http://localhost:8080 (a site address with the host would answer only
// Host 127.0.0.1:PORT, and Caddy's empty 200 to the rest).
func TestMakeRunServesPlainHTTPOnListenAddress(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs bin/civigate")
	}
	stub := newStubCiviCRM(t)
	port, admin := freePort(t), freePort(t)
	listen, adminAddr := fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("127.0.0.1:%d", admin)
	siteKey := "sk-" + randomHex(t, 12)

	// Whatever Caddy would run to install a root certificate (smallstep
	// truststore: sudo, tee, the distribution's update command, NSS's
	// certutil, Java's keytool) is a stand-in that only records the call,
	// so a failing run cannot touch this machine's trust store.
	fakes, touched := t.TempDir(), filepath.Join(t.TempDir(), "trust-store-calls")
	for _, name := range []string{"sudo", "tee", "update-ca-certificates", "update-ca-trust", "trust", "certutil", "keytool"} {
		script := "#!/bin/sh\necho \"$0 $*\" >> " + touched + "\ncat >/dev/null 2>&1 </dev/null\nexit 0\n"
		if err := os.WriteFile(filepath.Join(fakes, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Caddy keeps its data (a local CA, if it made one) under HOME; Go's
	// caches stay where they are, or make would rebuild everything.
	home := t.TempDir()
	goEnv, err := exec.Command("go", "env", "GOPATH", "GOMODCACHE", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	goDirs := strings.Split(strings.TrimSpace(string(goEnv)), "\n")
	cmd := exec.Command("make", "-C", "..", "run")
	cmd.Env = append(os.Environ(), "GOPATH="+goDirs[0], "GOMODCACHE="+goDirs[1], "GOCACHE="+goDirs[2],
		"PATH="+fakes+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+home, "XDG_DATA_HOME="+filepath.Join(home, "data"), "XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"CIVIGATE_LISTEN="+listen, "CIVIGATE_ADMIN="+adminAddr,
		"CIVICRM_UPSTREAM="+stub.Host(), "CIVICRM_SITE_KEY="+siteKey, "REDIS_URL=", "CIVIGATE_ACCESS_LOG=discard")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) // make's own process group
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})

	// make builds first; under load that takes a while.
	url := "http://" + listen + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&key=" + siteKey + "&api_key=" + stub.APIKey
	var body string
	for deadline := time.Now().Add(5 * time.Minute); ; {
		select {
		case <-exited:
			t.Fatalf("make run exited:\n%s", out.String())
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing answered plain HTTP on %s: %v\n%s", listen, err, out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(body, "Standalone Admin") {
		t.Errorf("plain HTTP on %s answered %.300q, not the Contact.get data", listen, body)
	}
	for _, u := range []string{strings.Replace(url, "127.0.0.1", "localhost", 1), url} {
		req, err := http.NewRequest("GET", u, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, host := range []string{"", "civi.example.org", "localhost"} {
			if host != "" {
				req.Host = host
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s (Host %q): %v", u, req.Host, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(b), "Standalone Admin") {
				t.Errorf("%s with Host %q answered %d %.300q, not the Contact.get data", u, req.Host, resp.StatusCode, b)
			}
		}
	}

	pid := descendantNamed(t, cmd.Process.Pid, "civigate")
	got := listeningSockets(t, pid)
	want := []string{"tcp " + listen, "tcp " + adminAddr}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("civigate listens on %v, want exactly %v", got, want)
	}
	if b, err := os.ReadFile(touched); err == nil {
		t.Errorf("Caddy tried to install a root certificate:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(home, "data", "caddy", "pki")); err == nil {
		t.Errorf("Caddy created a local CA under %s", filepath.Join(home, "data", "caddy", "pki"))
	}
	if strings.Contains(out.String(), "root certificate") {
		t.Errorf("Caddy speaks of a root certificate:\n%s", out.String())
	}
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// descendantNamed is the pid of the process below root whose executable is
// called name.
func descendantNamed(t *testing.T, root int, name string) int {
	t.Helper()
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces, so cut at the last ')'.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) > 1 {
			ppid, _ := strconv.Atoi(f[1])
			children[ppid] = append(children[ppid], pid)
		}
	}
	for queue := children[root]; len(queue) > 0; queue = queue[1:] {
		pid := queue[0]
		if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && filepath.Base(exe) == name {
			return pid
		}
		queue = append(queue, children[pid]...)
	}
	t.Fatalf("no process %q below pid %d", name, root)
	return 0
}

// listeningSockets are the TCP sockets pid listens on and the UDP sockets
// it has bound, as sorted "tcp 127.0.0.1:8080" strings, read from its file
// descriptors and /proc/net.
func listeningSockets(t *testing.T, pid int) []string {
	t.Helper()
	inodes := map[string]bool{}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if inode, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	var out []string
	for _, table := range []string{"tcp", "tcp6", "udp", "udp6"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			c := strings.Fields(sc.Text())
			if len(c) < 10 || !inodes[c[9]] {
				continue
			}
			if strings.HasPrefix(table, "tcp") && c[3] != "0A" { // TCP_LISTEN
				continue
			}
			out = append(out, strings.TrimSuffix(table, "6")+" "+procNetAddr(c[1]))
		}
		f.Close()
	}
	slices.Sort(out)
	return out
}

// procNetAddr turns /proc/net's "0100007F:1F90" (little-endian words) into
// "127.0.0.1:8080", and IPv6 addresses into "[…]:port".
func procNetAddr(s string) string {
	hexIP, hexPort, _ := strings.Cut(s, ":")
	port, _ := strconv.ParseUint(hexPort, 16, 16)
	var ip []byte
	for i := 0; i+8 <= len(hexIP); i += 8 {
		w, _ := strconv.ParseUint(hexIP[i:i+8], 16, 32)
		ip = append(ip, byte(w), byte(w>>8), byte(w>>16), byte(w>>24))
	}
	if len(ip) == 4 {
		return fmt.Sprintf("%d.%d.%d.%d:%d", ip[0], ip[1], ip[2], ip[3], port)
	}
	var groups []string
	for i := 0; i+1 < len(ip); i += 2 {
		groups = append(groups, strconv.FormatUint(uint64(ip[i])<<8|uint64(ip[i+1]), 16))
	}
	return fmt.Sprintf("[%s]:%d", strings.Join(groups, ":"), port)
}

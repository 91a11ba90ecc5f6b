package tests

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// README: "Trust a front proxy only strictly": the usual front proxies
// append their peer's address to the X-Forwarded-For the client wrote
// (nginx's $proxy_add_x_forwarded_for, Apache's mod_proxy), and without
// trusted_proxies_strict Caddy takes the left-most address, the client's
// own claim. TestAttackGuessingThroughTrustedProxyAppending has the test
// play the front proxy; here a real nginx and a real Apache httpd,
// configured as their documentation recommends, stand in front of real
// Caddy+Civigate.
//
// Addresses: the fronts listen on 127.0.0.1 and reach Caddy from
// 127.0.0.1, the one address Caddy trusts (trusted_proxies static
// 127.0.0.1/32). The guesser connects to the front from 127.0.0.2, a valid
// client from 127.0.0.3 (Linux routes all of 127.0.0.0/8 to lo), so the
// address a front appends is never a trusted one: strict reading stops at
// it.

func TestFrontProxyNginx(t *testing.T) { frontProxyScenarios(t, startNginxFront) }

func TestFrontProxyApache(t *testing.T) { frontProxyScenarios(t, startApacheFront) }

// startFront starts a front proxy in front of upstream (127.0.0.1:PORT of
// Caddy), stopped when the test ends, and returns its 127.0.0.1:PORT.
type startFront func(t *testing.T, upstream string) string

const frontMaxFailures = 3

func frontProxyScenarios(t *testing.T, start startFront) {
	// Caddy as README says: trust the front, strictly.
	//  - A guesser claiming a fresh address in front of each guess is
	//    verified max_failures times (civicrm/authx/id asked), then refused
	//    (429 with Retry-After) unseen: the address counted is the one the
	//    front appended.
	//  - A valid client behind the same front still gets through on its
	//    own address's budget; once its key is proven, the key passes from
	//    the guesser's blocked address too (README: proven credentials
	//    pass), while the next guess from there is still refused unseen.
	//  - Legacy calls through the front are answered as directly, status
	//    and body byte for byte.
	//  - No warning is logged.
	t.Run("strict", func(t *testing.T) {
		f := startFrontedCaddy(t, start, true)
		guesser := f.guesser("127.0.0.2")
		verified := 0
		for i := range 8 {
			h := http.Header{"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", 10+i)}}
			a, asked := f.guess(guesser, h)
			verified += asked
			limited := i >= frontMaxFailures
			switch {
			case limited && (a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == ""):
				t.Errorf("guess %d, past max_failures: %d %q %.200s, want 429 with Retry-After", i+1, a.status, a.header.Get("Retry-After"), a.body)
			case !limited && (a.status == http.StatusTooManyRequests || !strings.Contains(a.body, "No CMS user")):
				t.Errorf("guess %d: %d %.200s, want CiviCRM's refusal", i+1, a.status, a.body)
			}
		}
		if verified != frontMaxFailures {
			t.Errorf("%d guesses verified by CiviCRM (civicrm/authx/id), want max_failures = %d", verified, frontMaxFailures)
		}

		// A valid client behind the same front: its own address's budget
		// (its key not proven yet, so verified).
		valid := f.guesser("127.0.0.3")
		valid.proven()
		// The key is proven now: it passes from the blocked address too,
		// while a fresh guess from there is still refused unseen.
		guesser.proven()
		if a, asked := f.guess(guesser, http.Header{"X-Forwarded-For": {"198.51.100.99"}}); a.status != http.StatusTooManyRequests || asked != 0 {
			t.Errorf("a guess after the proven call: %d (CiviCRM asked %d times), want 429 unseen", a.status, asked)
		}

		// The front does not change a legacy answer.
		f.sameAsDirect(valid)
		f.noWarning()
	})

	// The same front and Caddy trusting it WITHOUT trusted_proxies_strict:
	// Caddy takes the left-most address, the one the guesser writes, so
	// each guess gets a fresh budget and all reach CiviCRM (why README
	// requires strict), and Civigate logs its warning once.
	t.Run("lax", func(t *testing.T) {
		f := startFrontedCaddy(t, start, false)
		guesser := f.guesser("127.0.0.2")
		verified := 0
		for i := range 8 {
			h := http.Header{"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", 10+i)}}
			a, asked := f.guess(guesser, h)
			verified += asked
			if a.status == http.StatusTooManyRequests || !strings.Contains(a.body, "No CMS user") {
				t.Errorf("lax guess %d: %d %.200s, want CiviCRM's refusal (the bypass)", i+1, a.status, a.body)
			}
		}
		if verified != 8 {
			t.Errorf("lax: %d of 8 guesses verified by CiviCRM, want all 8 (the bypass)", verified)
		}
		f.sameAsDirect(f.guesser("127.0.0.3"))
		caddyStopNow(t) // flushes the log
		var warnings []string
		for _, l := range f.logLines() {
			if strings.Contains(l, "without trusted_proxies_strict") {
				warnings = append(warnings, l)
			}
		}
		if len(warnings) != 1 {
			t.Fatalf("%d warnings, want one: %q", len(warnings), warnings)
		}
		for _, want := range []string{`"level":"warn"`, `"server":"srv0"`, "add trusted_proxies_strict to the global servers options"} {
			if !strings.Contains(warnings[0], want) {
				t.Errorf("the warning lacks %q: %s", want, warnings[0])
			}
		}
	})
}

// frontedCaddy is Caddy+Civigate (guessing budget frontMaxFailures per
// minute, cache off) behind a real front proxy.
type frontedCaddy struct {
	t       *testing.T
	stub    *stubCiviCRM
	sk      string
	inst    caddyInstance
	front   string // 127.0.0.1:PORT
	logFile string
}

func startFrontedCaddy(t *testing.T, start startFront, strict bool) *frontedCaddy {
	t.Helper()
	f := &frontedCaddy{t: t, stub: newStubCiviCRM(t), sk: "sk-" + randomHex(t, 12), logFile: filepath.Join(t.TempDir(), "caddy.log")}
	servers := "\tservers {\n\t\ttrusted_proxies static 127.0.0.1/32\n"
	if strict {
		servers += "\t\ttrusted_proxies_strict\n"
	}
	servers += "\t}\n"
	cf := strings.Replace(siteCaddyfile(f.stub.Host(), "site_key "+f.sk, "cache off", fmt.Sprintf("auth {\n\t\t\tmax_failures %d 1m\n\t\t}", frontMaxFailures)),
		"\tlog {\n\t\tlevel ERROR\n\t}\n", servers+"\tlog {\n\t\toutput file "+f.logFile+"\n\t\tlevel WARN\n\t}\n", 1)
	if !strings.Contains(cf, f.logFile) {
		t.Fatalf("the global options changed: %s", cf)
	}
	f.inst = startCaddy(t, cf)
	f.front = start(t, strings.TrimPrefix(f.inst.URL, "http://"))
	return f
}

// guesser asks through the front from the loopback address from.
func (f *frontedCaddy) guesser(from string) unixGuesser {
	f.t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return d.DialContext(ctx, "tcp", f.front)
	}}}
	f.t.Cleanup(client.CloseIdleConnections)
	return unixGuesser{t: f.t, client: client, stub: f.stub, sk: f.sk}
}

// guess sends a fresh wrong API key with h and returns the answer and how
// many times CiviCRM was asked to verify a credential meanwhile.
func (f *frontedCaddy) guess(g unixGuesser, h http.Header) (answer, int) {
	f.t.Helper()
	f.stub.seen()
	a := g.get("guess"+randomHex(f.t, 8), h)
	reqs, _ := f.stub.seen()
	asked := 0
	for _, r := range reqs {
		if r.URL.Path == "/civicrm/authx/id" {
			asked++
		}
	}
	return a, asked
}

// sameAsDirect: legacy APIv3 calls through the front (from g) are answered
// as the same calls straight to Caddy: status and body byte for byte.
func (f *frontedCaddy) sameAsDirect(g unixGuesser) {
	f.t.Helper()
	direct := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", strings.TrimPrefix(f.inst.URL, "http://"))
	}}}
	f.t.Cleanup(direct.CloseIdleConnections)
	rest := unixBase + "/sites/all/modules/civicrm/extern/rest.php"
	q := "entity=Contact&action=get&json=1&key=" + f.sk + "&api_key=" + f.stub.APIKey
	for _, c := range []struct{ name, method, target, body string }{
		{"GET", "GET", rest + "?" + q, ""},
		{"POST form", "POST", rest, q},
		{"wrong site key", "GET", rest + "?entity=Contact&action=get&json=1&key=sk-wrong&api_key=" + f.stub.APIKey, ""},
		{"no entity", "GET", rest + "?action=get&json=1&key=" + f.sk + "&api_key=" + f.stub.APIKey, ""},
	} {
		var got [2]answer
		for i, client := range []*http.Client{g.client, direct} {
			r, err := http.NewRequest(c.method, c.target, strings.NewReader(c.body))
			if err != nil {
				f.t.Fatal(err)
			}
			if c.body != "" {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			got[i] = doWith(f.t, client, r)
		}
		if got[0].status != got[1].status || got[0].body != got[1].body {
			f.t.Errorf("%s: through the front %d %q, directly %d %q", c.name, got[0].status, got[0].body, got[1].status, got[1].body)
		}
		if c.name == "GET" && (got[0].status != 200 || got[0].body != stubContactGet) {
			f.t.Errorf("%s: %d %q, want CiviCRM's answer", c.name, got[0].status, got[0].body)
		}
	}
}

func (f *frontedCaddy) logLines() []string {
	b, _ := os.ReadFile(f.logFile)
	return strings.Split(string(b), "\n")
}

// noWarning: a strict server is not warned about (Caddy still running:
// only what was written so far).
func (f *frontedCaddy) noWarning() {
	f.t.Helper()
	for _, l := range f.logLines() {
		if strings.Contains(l, "without trusted_proxies_strict") {
			f.t.Errorf("a strict server warned: %s", l)
		}
	}
}

// frontBinary finds a front proxy's binary; missing, the test fails in CI
// (.ci/run installs it) and is skipped elsewhere.
func frontBinary(t *testing.T, binary, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(binary)
	if err != nil {
		for _, dir := range []string{"/usr/sbin", "/usr/local/sbin"} { // not on every user's PATH
			if p := filepath.Join(dir, binary); fileExecutable(p) {
				return p
			}
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed; CI must install %s (see .ci/run)", binary, pkg)
		}
		t.Skipf("%s is not installed (apt-get install %s)", binary, pkg)
	}
	return path
}

func fileExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// frontDir is a private directory for a front's configuration, pid file,
// logs and temporary files, readable by the unprivileged user its workers
// switch to when it runs as root.
func frontDir(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "cg-"+name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startNginxFront: nginx as its documentation has a reverse proxy set up,
// appending the peer's address to the client's X-Forwarded-For.
func startNginxFront(t *testing.T, upstream string) string {
	t.Helper()
	bin := frontBinary(t, "nginx", "nginx-light")
	dir := frontDir(t, "nginx")
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	conf := fmt.Sprintf(`worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events {
	worker_connections 64;
}
http {
	access_log off;
	client_body_temp_path %[1]s/client_body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	server {
		listen %[2]s;
		location / {
			proxy_pass http://%[3]s;
			proxy_set_header Host $host;
			proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
		}
	}
}
`, dir, addr, upstream)
	file := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	runFront(t, "nginx", dir, addr, bin, "-e", filepath.Join(dir, "error.log"), "-c", file, "-p", dir, "-g", "daemon off;")
	return addr
}

// startApacheFront: Apache httpd's mod_proxy (ProxyPass, ProxyPassReverse),
// which adds the peer's address to X-Forwarded-For by itself.
func startApacheFront(t *testing.T, upstream string) string {
	t.Helper()
	bin := frontBinary(t, "apache2", "apache2")
	dir := frontDir(t, "apache")
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	user := "" // Apache refuses to serve as root: its children switch
	if os.Geteuid() == 0 {
		user = "User www-data\nGroup www-data\n"
	}
	conf := fmt.Sprintf(`ServerRoot %[1]s
DefaultRuntimeDir %[1]s
PidFile %[1]s/apache.pid
ErrorLog %[1]s/error.log
LogLevel warn
ServerName 127.0.0.1
Listen %[2]s
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
LoadModule proxy_http_module /usr/lib/apache2/modules/mod_proxy_http.so
%[4]sStartServers 1
ServerLimit 1
ThreadLimit 8
ThreadsPerChild 8
MaxRequestWorkers 8
MinSpareThreads 1
MaxSpareThreads 16
<Location />
	Require all granted
</Location>
ProxyPass / http://%[3]s/
ProxyPassReverse / http://%[3]s/
`, dir, addr, upstream, user)
	file := filepath.Join(dir, "apache2.conf")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	runFront(t, "apache2", dir, addr, bin, "-f", file, "-DFOREGROUND")
	return addr
}

// runFront runs a front proxy in the foreground, in a process group of its
// own, until the test ends (SIGTERM: both stop their workers and exit; the
// group is killed if that takes too long), and waits until addr answers.
func runFront(t *testing.T, name, dir, addr, bin string, args ...string) {
	t.Helper()
	out, err := os.Create(filepath.Join(dir, name+".out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out // files, not pipes: Wait does not wait for the workers' copies
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	logs := func() string {
		o, _ := os.ReadFile(filepath.Join(dir, name+".out"))
		e, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		return string(o) + string(e)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			t.Errorf("%s did not stop on SIGTERM; killing its process group", name)
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			t.Logf("%s's output and error log:\n%s", name, logs())
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			t.Fatalf("%s exited: %v\n%s", name, err, logs())
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("%s does not listen on %s: %v\n%s", name, addr, err, logs())
		}
	}
}

package tests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/civigate/civigate/translate"
)

// privateRedis is a redis-server of one test, on a free loopback port,
// that the test can kill and restart on the same port. Nothing persists:
// a restarted Redis is empty, as after a crash without persistence.
type privateRedis struct {
	t    testing.TB
	Port int
	cmd  *exec.Cmd
	done chan struct{}
	// conf, when set, is a config file given first (a Sentinel's); extra
	// are more options (cluster mode, replicaof, --sentinel).
	conf  string
	extra []string
}

func startPrivateRedis(t testing.TB) *privateRedis { return startRedisWith(t, "") }

// startRedisWith starts a private redis-server with a config file (or "")
// and extra options; it is killed when the test ends.
func startRedisWith(t testing.TB, conf string, extra ...string) *privateRedis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server is not installed (.ci/run installs it)")
	}
	r := &privateRedis{t: t, Port: freePort(t), conf: conf, extra: extra}
	r.start()
	t.Cleanup(r.kill)
	return r
}

func (r *privateRedis) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d", r.Port) }

func (r *privateRedis) start() {
	r.t.Helper()
	var args []string
	if r.conf != "" {
		args = append(args, r.conf)
	}
	args = append(args, "--port", fmt.Sprint(r.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.t.TempDir(), "--loglevel", "warning",
		"--repl-diskless-sync-delay", "0")
	r.cmd = exec.Command("redis-server", append(args, r.extra...)...)
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	done := make(chan struct{})
	r.done = done
	go func(c *exec.Cmd) { _ = c.Wait(); close(done) }(r.cmd)
	waitTCP(r.t, fmt.Sprintf("127.0.0.1:%d", r.Port))
}

// kill ends this Redis abruptly (SIGKILL: no goodbye to clients).
func (r *privateRedis) kill() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGCONT) // a paused process must die too
	_ = r.cmd.Process.Kill()
	<-r.done
	r.cmd = nil
}

// pause and resume freeze and thaw this Redis (SIGSTOP/SIGCONT): it keeps
// its connections but answers nothing, like a stalled or partitioned
// server, which is worse for clients than a dead one.
func (r *privateRedis) pause()  { _ = r.cmd.Process.Signal(syscall.SIGSTOP) }
func (r *privateRedis) resume() { _ = r.cmd.Process.Signal(syscall.SIGCONT) }

func waitTCP(t testing.TB, addr string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not come up", addr)
}

// faultUpstream is a modern CiviCRM that can die and come back on the same
// port. It is lighter than stubCiviCRM (it counts instead of recording every
// request) because fault tests put thousands of requests through it.
type faultUpstream struct {
	t      testing.TB
	APIKey string
	Addr   string

	mu  sync.Mutex
	srv *http.Server

	reads, writes atomic.Int64
	// readPad, when set, makes every read answer this many bytes larger
	// (a long note on the contact), for tests that count cache memory.
	readPad int
}

const faultWriteAnswer = `{"is_error":0,"version":3,"count":1,"id":3,"values":{"3":{"id":"3"}}}`

func newFaultUpstream(t testing.TB) *faultUpstream {
	t.Helper()
	u := &faultUpstream{t: t, APIKey: randomHex(t, 16), Addr: fmt.Sprintf("127.0.0.1:%d", freePort(t))}
	u.start()
	t.Cleanup(u.kill)
	return u
}

func (u *faultUpstream) start() {
	u.t.Helper()
	l, err := net.Listen("tcp", u.Addr)
	if err != nil {
		u.t.Fatalf("upstream listen on %s: %v", u.Addr, err)
	}
	srv := &http.Server{Handler: u, ReadHeaderTimeout: 5 * time.Second}
	u.mu.Lock()
	u.srv = srv
	u.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

// kill closes the listener and every connection: CiviCRM is gone.
func (u *faultUpstream) kill() {
	u.mu.Lock()
	srv := u.srv
	u.srv = nil
	u.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

func (u *faultUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	switch r.URL.Path {
	case "/civicrm/authx/id":
		if r.Header.Get("X-Civi-Auth") != "Bearer "+u.APIKey {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, "HTTP 401 Invalid credential")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"contact_id":2,"user_id":1,"flow":"xheader","cred":"api_key"}`)
	case "/civicrm/ajax/rest":
		w.Header().Set("Content-Type", "application/json")
		action := r.URL.Query().Get("action")
		if action == "" {
			action = postField(r, body, "action")
		}
		if action == "create" {
			u.writes.Add(1)
			_, _ = io.WriteString(w, faultWriteAnswer)
			return
		}
		u.reads.Add(1)
		if u.readPad > 0 {
			id := r.URL.Query().Get("json")
			if id == "" {
				id = postField(r, body, "json")
			}
			_, _ = fmt.Fprintf(w, `{"is_error":0,"version":3,"count":1,"values":[{"q":%q,"note":"%s"}]}`, id, strings.Repeat("x", u.readPad))
			return
		}
		_, _ = io.WriteString(w, stubContactGet)
	default:
		http.NotFound(w, r)
	}
}

// postField is the POST field PHP would register from body (Civigate
// sends multipart/form-data).
func postField(r *http.Request, body []byte, name string) string {
	post := translate.NewArray()
	translate.ParsePost(post, r.Header.Get("Content-Type"), body, translate.DefaultLimits)
	return post.String(name)
}

// outcome of one client request under load.
type outcome struct {
	method string
	took   time.Duration
	status int
	body   string
	err    error
	at     time.Duration // since the load began
	seq    int64         // the number send was given
}

// loadRun sends requests from workers goroutines until d has passed or max
// requests were sent (both bounds, so a fast machine cannot run away), and
// hands every outcome to check, which returns "" or why it is a failure.
// It returns the number of requests and the failures (at most 20 kept).
type loadRun struct {
	Requests int64
	Failures []string
	failed   atomic.Int64
}

func (lr *loadRun) Failed() int64 { return lr.failed.Load() }

func runLoad(ctx context.Context, workers int, d time.Duration, max int64,
	send func(i int64) (*http.Request, error), check func(outcome) string) *loadRun {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	client := &http.Client{Timeout: 10 * time.Second}
	lr := &loadRun{}
	var n atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	begin := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := n.Add(1)
				if i > max {
					return
				}
				o := outcome{at: time.Since(begin), seq: i}
				req, err := send(i)
				var resp *http.Response
				if err == nil {
					o.method = req.Method
					// The request is not bound to ctx: the test's deadline
					// must not turn an in-flight request into a failure.
					resp, err = client.Do(req)
				}
				o.took = time.Since(begin) - o.at
				if err != nil {
					o.err = err
				} else {
					b, rerr := io.ReadAll(resp.Body)
					resp.Body.Close()
					o.status, o.body, o.err = resp.StatusCode, string(b), rerr
				}
				if why := check(o); why != "" {
					lr.failed.Add(1)
					mu.Lock()
					if len(lr.Failures) < 20 {
						lr.Failures = append(lr.Failures, fmt.Sprintf("at %v: %s", o.at.Round(time.Millisecond), why))
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	lr.Requests = min(n.Load(), max)
	return lr
}

// describe is an outcome in a failure message, bounded in size.
func (o outcome) describe() string {
	if o.err != nil {
		var ne net.Error
		if errors.As(o.err, &ne) && ne.Timeout() {
			return "client timeout: " + o.err.Error()
		}
		return "transport error: " + o.err.Error()
	}
	return fmt.Sprintf("status %d: %.200s", o.status, o.body)
}

// goLoad is runLoad in the background, so the test goroutine can inject
// faults meanwhile (t.Fatal only works there); wait returns the result.
func goLoad(ctx context.Context, workers int, d time.Duration, max int64,
	send func(i int64) (*http.Request, error), check func(outcome) string) (wait func() *loadRun) {
	ch := make(chan *loadRun, 1)
	go func() { ch <- runLoad(ctx, workers, d, max, send, check) }()
	return func() *loadRun { return <-ch }
}

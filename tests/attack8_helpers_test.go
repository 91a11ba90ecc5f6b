package tests

// Helpers of the attack 8 tests: an upstream that answers a probe write
// itself, and whether that write made Civigate forget a verdict.

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// a8Up is the upstream: the simulator behind a counter, with an override
// that answers the probe writes itself.
type a8Up struct {
	c  *a7Counter
	mu sync.Mutex
	fn func(w http.ResponseWriter, r *http.Request) bool
}

func (u *a8Up) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	fn := u.fn
	u.mu.Unlock()
	if fn != nil && r.URL.Path != "/civicrm/authx/id" && fn(w, r) {
		return
	}
	u.c.ServeHTTP(w, r)
}

func (u *a8Up) set(fn func(w http.ResponseWriter, r *http.Request) bool) {
	u.mu.Lock()
	u.fn = fn
	u.mu.Unlock()
}

func a8Setup(t *testing.T, lines ...string) (*civicrmsim.Simulator, *a8Up, caddyInstance) {
	sim := civicrmsim.New(civicrmsim.Options{})
	u := &a8Up{c: &a7Counter{sim: sim}}
	up := httptest.NewServer(u)
	t.Cleanup(up.Close)
	lines = append([]string{"site_key " + sim.SiteKey()}, lines...)
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(up.URL, "http://"), lines...))
	return sim, u, inst
}

type a8Write struct {
	name, method, path, ctype, body string
	status                          int
	answer                          string
}

// a8Forgets reports whether w made Civigate ask about key again.
func a8Forgets(t *testing.T, sim *civicrmsim.Simulator, u *a8Up, inst caddyInstance, key string, w a8Write) bool {
	t.Helper()
	get := func() int {
		st, _ := a7Req(t, "POST", inst.URL+"/civicrm/ajax/api4/Contact/get", map[string]string{
			"X-Civi-Auth": "Bearer " + key, "X-Civi-Key": sim.SiteKey(), "X-Requested-With": "XMLHttpRequest"}, "params=%7B%22limit%22%3A1%7D")
		return st
	}
	if st := get(); st != 200 {
		t.Fatalf("warm: %d", st)
	}
	time.Sleep(1200 * time.Millisecond)
	get()
	before := u.c.count(key)
	u.set(func(rw http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/civicrm/ajax/api4/Contact/get" {
			return false
		}
		ct := "text/html"
		if strings.HasPrefix(w.answer, "{") || strings.HasPrefix(w.answer, "[") {
			ct = "application/json"
		}
		rw.Header().Set("Content-Type", ct)
		rw.WriteHeader(w.status)
		rw.Write([]byte(w.answer))
		return true
	})
	hdr := map[string]string{"Content-Type": w.ctype, "Cookie": "SESSabc=xyz", "X-Requested-With": "XMLHttpRequest"}
	if strings.Contains(w.path, "ajax/api4") || strings.Contains(w.path, "ajax/rest") || strings.Contains(w.path, "rest.php") {
		hdr["X-Civi-Auth"] = "Bearer " + key
		hdr["X-Civi-Key"] = sim.SiteKey()
		delete(hdr, "Cookie")
	}
	st, body := a7Req(t, w.method, inst.URL+w.path, hdr, w.body)
	u.set(nil)
	time.Sleep(1200 * time.Millisecond)
	get()
	after := u.c.count(key)
	t.Logf("%-40s -> %d %.80q forget=%v", w.name, st, body, after > before)
	return after > before
}

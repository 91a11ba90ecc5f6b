package tests

// Helpers of the attack 7 tests: a simulator wrapper that records the
// civicrm/authx/id questions, and plain requests.

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// a7Counter wraps the simulator, counting civicrm/authx/id questions that
// carry a given substring (a key) anywhere in headers or body.
type a7Counter struct {
	sim  *civicrmsim.Simulator
	mu   sync.Mutex
	asks []string
}

func (c *a7Counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/civicrm/authx/id" {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(b)))
		var sb strings.Builder
		for k, v := range r.Header {
			sb.WriteString(k + ": " + strings.Join(v, ",") + "\n")
		}
		sb.WriteString(r.URL.RawQuery + "\n" + string(b))
		c.mu.Lock()
		c.asks = append(c.asks, sb.String())
		c.mu.Unlock()
	}
	c.sim.ServeHTTP(w, r)
}

func (c *a7Counter) count(sub string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, a := range c.asks {
		if strings.Contains(a, sub) {
			n++
		}
	}
	return n
}

func a7Setup(t *testing.T, opts civicrmsim.Options, lines ...string) (*civicrmsim.Simulator, *a7Counter, caddyInstance) {
	sim := civicrmsim.New(opts)
	c := &a7Counter{sim: sim}
	up := httptest.NewServer(c)
	t.Cleanup(up.Close)
	lines = append([]string{"site_key " + sim.SiteKey()}, lines...)
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(up.URL, "http://"), lines...))
	return sim, c, inst
}

func a7Req(t *testing.T, method, u string, hdr map[string]string, body string) (int, string) {
	t.Helper()
	resp, b := fidDo(t, method, u, hdr, body)
	return resp.StatusCode, b
}

func newA7Server(t *testing.T, h http.Handler) string {
	up := httptest.NewServer(h)
	t.Cleanup(up.Close)
	return strings.TrimPrefix(up.URL, "http://")
}

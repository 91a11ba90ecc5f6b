package tests

// Helpers of the attack 25 tests (Standalone's APIv4 User.login at the
// edge): log-ins sent from a chosen loopback address, so the per-address
// and per-identifier guessing counters can be told apart.

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// a25From sends a request from 127.0.0.<last> (every 127/8 address is the
// loopback on Linux), so each caller is counted under its own address.
func a25From(t *testing.T, last byte, method, u string, hdr map[string]string, body string) a10bResp {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, last)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, "tcp4", addr)
	}, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 20 * time.Second}
	var rb io.Reader
	if body != "" {
		rb = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rb)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return a10bResp{resp.StatusCode, resp.Header.Get("Cache-Status"), string(b), resp.Header}
}

// a25Login is Standalone's login page's call (crmApi4('User', 'login',
// params)) with the params JSON given as is, from 127.0.0.<last>.
func a25Login(t *testing.T, base string, last byte, params string, hdr map[string]string) a10bResp {
	t.Helper()
	h := map[string]string{"X-Requested-With": "XMLHttpRequest", "Content-Type": "application/x-www-form-urlencoded"}
	for k, v := range hdr {
		h[k] = v
	}
	return a25From(t, last, "POST", base+"/civicrm/ajax/api4/User/login", h, url.Values{"params": {params}}.Encode())
}

// a25Up is a20Up with a hook run before each request reaches CiviCRM
// (here: to hold civicrm/authx/id as long as a bootstrapping CiviCRM
// would take to answer it).
type a25Up struct {
	*a20Up
	before func(r *http.Request)
}

func (u *a25Up) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if u.before != nil {
		u.before(r)
	}
	u.a20Up.ServeHTTP(w, r)
}

// a25Setup is a20Setup with a hook before the upstream.
func a25Setup(t *testing.T, opts civicrmsim.Options, before func(r *http.Request), lines ...string) (*civicrmsim.Simulator, *a20Up, caddyInstance) {
	t.Helper()
	sim := civicrmsim.New(opts)
	u := &a20Up{sim: sim}
	up := httptest.NewServer(&a25Up{a20Up: u, before: before})
	t.Cleanup(up.Close)
	var b strings.Builder
	b.WriteString(testGlobalOptions + "http://:{PORT} {\n\tcivicrm {\n\t\tsite_key " + sim.SiteKey() + "\n")
	for _, l := range lines {
		b.WriteString("\t\t" + l + "\n")
	}
	b.WriteString("\t}\n\treverse_proxy " + strings.TrimPrefix(up.URL, "http://") + "\n}\n")
	return sim, u, startCaddy(t, b.String())
}

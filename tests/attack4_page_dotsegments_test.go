package tests

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"
	"testing"
)

// A credential sent to a CiviCRM page is, README says, asked about
// "under the base its URL names", and a verdict or proof from one base
// never authorizes a call under another. A page URL with dot segments
// (literal or %2e) names /site2/ once a web server resolves them, as
// Apache and nginx do before routing (and a Drupal subdirectory
// multisite is picked by the resolved script path), yet Civigate reads
// its base as the root's: it asks /civicrm/authx/id, remembers the
// root's verdict, and lets the request on to /site2/ as sent. AuthX's own
// routes and APIv4 refuse the same spellings with 400 ("malformed path");
// pages do not. So the root's verdict (and, past max_failures, the root's
// proof) authorizes a request /site2/ runs: the policy and guessing gate
// judged the wrong site's principal, and a blocked address gets through
// to /site2/ on a key proven only at the root.
func TestAttack4PageDotSegmentsJudgedOnAnotherBase(t *testing.T) {
	var mu sync.Mutex
	var seen []string // site and request URI of every request upstream
	civi, upstream := newMultisiteCiviCRM(t, map[string]string{"root": "key-" + randomHex(t, 12), "site2": "key-" + randomHex(t, 12)},
		func(r *http.Request) string {
			s, _ := a4Site(r)
			mu.Lock()
			seen = append(seen, s+" "+r.RequestURI)
			mu.Unlock()
			return s
		}, func(r *http.Request) string {
			_, p := a4Site(r)
			if i := strings.Index(strings.ToLower(p), "/civicrm/"); i >= 0 {
				return strings.Join(strings.FieldsFunc(strings.ToLower(p[i+1:]), func(r rune) bool { return r == '/' }), "/")
			}
			return ""
		})
	take := func() []string {
		mu.Lock()
		defer mu.Unlock()
		s := seen
		seen = nil
		return s
	}
	sk := "sk-" + randomHex(t, 12)
	hdr := map[string]string{"X-Civi-Auth": "Bearer " + civi.keys["root"], "X-Civi-Key": sk}
	paths := []string{
		"/civicrm/x/../../site2/civicrm/contact/view",
		"/civicrm/contact/%2e%2e/%2e%2e/site2/civicrm/contact/view",
		"/x/../site2/civicrm/contact/view",
	}
	// check: a request that runs on /site2/ is refused at the edge or
	// asked about at /site2/, never judged by the root's verdict.
	check := func(t *testing.T, what string, status int, reqs []string) {
		t.Helper()
		askedRoot, reachedSite2, askedSite2 := false, false, false
		for _, s := range reqs {
			switch {
			case strings.HasPrefix(s, "root ") && strings.Contains(s, "authx/id"):
				askedRoot = true
			case strings.HasPrefix(s, "site2 ") && strings.Contains(s, "authx/id"):
				askedSite2 = true
			case strings.HasPrefix(s, "site2 "):
				reachedSite2 = true
			}
		}
		if askedRoot || (reachedSite2 && !askedSite2) {
			t.Errorf("%s: %d; upstream saw %q: judged by the root's verdict, run on /site2/", what, status, reqs)
		}
	}

	t.Run("verdict", func(t *testing.T) {
		inst := startCaddy(t, siteCaddyfile(upstream, "site_key "+sk, "cache off"))
		addr := strings.TrimPrefix(inst.URL, "http://")
		for _, p := range paths {
			take()
			st, _ := a4Raw(t, addr, "GET", p, hdr, "")
			check(t, "the root's key at "+p, st, take())
		}
	})

	t.Run("proof past max_failures", func(t *testing.T) {
		inst := startCaddy(t, siteCaddyfile(upstream, "site_key "+sk, "cache off", "auth {\n\t\t\tmax_failures 2 5m\n\t\t}"))
		addr := strings.TrimPrefix(inst.URL, "http://")
		// Proven at the root, then the address blocked.
		if st, b := a4Raw(t, addr, "GET", "/civicrm/contact/view", hdr, ""); st != 200 {
			t.Fatalf("the root's key at the root: %d %s", st, b)
		}
		for range 2 {
			a4Raw(t, addr, "GET", "/civicrm/contact/view", map[string]string{"X-Civi-Auth": "Bearer key-" + randomHex(t, 12), "X-Civi-Key": sk}, "")
		}
		if st, _ := a4Raw(t, addr, "GET", "/site2/civicrm/contact/view", hdr, ""); st != 429 {
			t.Fatalf("blocked address, root's key under /site2/: %d, want 429", st)
		}
		for _, p := range paths {
			take()
			st, _ := a4Raw(t, addr, "GET", p, hdr, "")
			if reqs := take(); st != 429 && st != 400 || len(reqs) > 0 {
				t.Errorf("blocked address, the root's key (proven at the root only) at %s: %d, upstream saw %q; want 429 (or 400) unseen", p, st, reqs)
			}
		}
	})
}

// a4Raw sends one request with the request target exactly as given.
func a4Raw(t *testing.T, addr, method, target string, hdr map[string]string, body string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, addr)
	for k, v := range hdr {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	if body != "" {
		fmt.Fprintf(&b, "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n" + body)
	io.WriteString(c, b.String())
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	bb, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(bb)
}

// a4Site is what a web server in front of a path multisite does: decode,
// resolve dot segments, merge slashes, then pick the site by first segment.
func a4Path(r *http.Request) string {
	p := r.URL.Path // decoded
	p = path.Clean("/" + p)
	return p
}

func a4Site(r *http.Request) (string, string) {
	p := a4Path(r)
	if len(p) >= 7 && strings.EqualFold(p[:7], "/site2/") {
		return "site2", p[6:]
	}
	return "root", p
}

package tests

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// HTTP/3 is the one protocol whose server (quic-go) counts no length for
// a HEAD answer, so Civigate sends its own there (serverCountsLength):
// the HEAD of an API call must carry the GET's Content-Length over HTTP/3
// too, streamed (caching off), missed and hit, as over HTTP/1.1 and
// HTTP/2 (TestAttackHeadContentLengthIsTheGets), and the GET's body must
// arrive whole. A real Caddy with an HTTPS site (HTTP/3 needs TLS), its
// certificate from Caddy's internal CA in the test's own storage, which
// is never installed in the system's trust store (skip_install_trust):
// the client trusts that root alone.
func TestHeadContentLengthOverHTTP3(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	storage := t.TempDir()
	for _, cache := range []string{"cache off", ""} {
		lines := []string{"site_key " + sim.SiteKey(), "sign_keys " + sim.SignKeys()}
		if cache != "" {
			lines = append(lines, cache)
		}
		inst := loadCaddy(t, http3Caddyfile(storage, strings.TrimPrefix(srv.URL, "http://"), lines...))
		base := strings.Replace(inst.URL, "http://", "https://", 1)
		client := http3Client(t, storage)
		waitHTTP3(t, client, base)
		for id := range 2 {
			// A contact of its own per round, so that its first HEAD is a miss.
			u := base + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&id=" + strconv.Itoa(2+id) +
				"&key=" + sim.SiteKey() + "&api_key=" + sim.Admin().APIKey
			do := func(method string) (*http.Response, []byte) {
				req, _ := http.NewRequest(method, u, nil)
				resp, err := client.Do(req)
				if err != nil {
					t.Fatalf("%q %s: %v", cache, method, err)
				}
				defer resp.Body.Close()
				body, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatalf("%q %s: reading the body: %v", cache, method, err)
				}
				if resp.ProtoMajor != 3 {
					t.Fatalf("%q %s: answered over HTTP/%d", cache, method, resp.ProtoMajor)
				}
				return resp, body
			}
			first, _ := do("HEAD")
			g, body := do("GET")
			if g.StatusCode != 200 || len(body) == 0 || !strings.HasPrefix(string(body), `{"is_error":0`) {
				t.Fatalf("%q: GET %d %.200s", cache, g.StatusCode, body)
			}
			if cl := g.Header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(body)) {
				t.Errorf("%q: GET's Content-Length %q, its body %d bytes", cache, cl, len(body))
			}
			second, _ := do("HEAD")
			for i, h := range []*http.Response{first, second} {
				if cl := h.Header.Get("Content-Length"); h.StatusCode != 200 || cl != strconv.Itoa(len(body)) {
					t.Errorf("%q: HEAD %d (%s): %d, Content-Length %q, the GET's content is %d bytes",
						cache, i+1, h.Header.Get("Cache-Status"), h.StatusCode, cl, len(body))
				}
				if want := []string{"miss", "hit"}[i]; cache == "" && !strings.Contains(h.Header.Get("Cache-Status"), want) {
					t.Errorf("HEAD %d is no %s: %s", i+1, want, h.Header.Get("Cache-Status"))
				}
			}
		}
		client.CloseIdleConnections()
		caddyStopNow(t)
	}
}

// http3Caddyfile is siteCaddyfile's site over HTTPS with HTTP/3, its
// certificate from Caddy's internal CA kept in storage.
func http3Caddyfile(storage, upstream string, civicrmLines ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "{\n\tadmin 127.0.0.1:{ADMIN}\n\tlog {\n\t\tlevel ERROR\n\t}\n\tskip_install_trust\n\tstorage file_system %s\n\tservers {\n\t\tprotocols h1 h2 h3\n\t}\n}\n", storage)
	b.WriteString("https://127.0.0.1:{PORT} {\n\ttls internal\n\tcivicrm {\n")
	for _, l := range civicrmLines {
		b.WriteString("\t\t" + l + "\n")
	}
	b.WriteString("\t}\n\treverse_proxy " + upstream + "\n}\n")
	return b.String()
}

// http3Client speaks HTTP/3 only and trusts the root of Caddy's internal
// CA in storage, once Caddy has made it.
func http3Client(t *testing.T, storage string) *http.Client {
	t.Helper()
	root := filepath.Join(storage, "pki", "authorities", "local", "root.crt")
	var pem []byte
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var err error
		if pem, err = os.ReadFile(root); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Caddy made no internal CA: %v", err)
		}
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no certificate", root)
	}
	tr := &http3.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(func() { _ = tr.Close() })
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// waitHTTP3 waits until the site answers over HTTP/3: Caddy gets its
// certificate after it starts.
func waitHTTP3(t *testing.T, client *http.Client, url string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer over HTTP/3: %v", url, err)
		}
	}
}

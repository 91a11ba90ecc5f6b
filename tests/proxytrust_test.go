package tests

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A server that trusts a front proxy (trusted_proxies over TCP,
// trusted_proxies_unix on a unix socket) without trusted_proxies_strict
// takes the client address from the left-most X-Forwarded-For address,
// which the client wrote itself behind an appending proxy
// (TestAttackGuessingThroughUnixSocketAppendingProxy): Civigate warns,
// once per server, naming the server and the fix; a strict server, and
// one that trusts no proxy, get no warning.
func TestLaxProxyTrustIsWarnedAbout(t *testing.T) {
	stub := newStubCiviCRM(t)
	for _, tc := range []struct {
		name    string
		unix    bool
		servers string
		warn    bool
	}{
		{"tcp trusted_proxies", false, "trusted_proxies static 127.0.0.1/32", true},
		{"tcp trusted_proxies strict", false, "trusted_proxies static 127.0.0.1/32\n\t\ttrusted_proxies_strict", false},
		{"tcp no trusted proxy", false, "", false},
		{"unix trusted_proxies_unix", true, "trusted_proxies_unix", true},
		{"unix trusted_proxies_unix strict", true, "trusted_proxies_unix\n\t\ttrusted_proxies_strict", false},
		{"unix no trusted proxy", true, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, err := os.MkdirTemp("", "cg-warn") // short: a socket's path
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
			logFile, sock := filepath.Join(dir, "caddy.log"), filepath.Join(dir, "sock")
			// Two sites on one server: one warning between them.
			site := func(host string) string {
				b := "http://" + host + ":{PORT} {\n"
				if tc.unix {
					b += "\tbind unix/" + sock + "\n"
				}
				return b + "\tcivicrm {\n\t\tsite_key sk-" + randomHex(t, 8) + "\n\t\tcache off\n\t}\n\treverse_proxy " + stub.Host() + "\n}\n"
			}
			global := "{\n\tadmin 127.0.0.1:{ADMIN}\n\tlog {\n\t\toutput file " + logFile + "\n\t\tlevel WARN\n\t}\n"
			if tc.servers != "" {
				global += "\tservers {\n\t\t" + tc.servers + "\n\t}\n"
			}
			inst := loadCaddy(t, global+"}\n"+site("civicrm.test")+site("other.test"))
			client := http.DefaultClient
			base := inst.URL
			if tc.unix {
				client = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
					var d net.Dialer
					return d.DialContext(ctx, "unix", sock)
				}}}
				t.Cleanup(client.CloseIdleConnections)
				base = unixBase
			}
			served := 0
			for deadline := time.Now().Add(5 * time.Second); served < 6 && time.Now().Before(deadline); {
				for _, host := range []string{"civicrm.test", "other.test"} {
					req, _ := http.NewRequest("GET", base+"/civicrm/ajax/rest?entity=Contact&action=get&json=1&api_key=k", nil)
					req.Host = host
					req.Header.Set("X-Forwarded-For", "198.51.100.7, 203.0.113.9")
					resp, err := client.Do(req)
					if err != nil {
						time.Sleep(20 * time.Millisecond) // not up yet
						continue
					}
					resp.Body.Close()
					served++
				}
			}
			if served < 6 {
				t.Fatalf("only %d requests answered", served)
			}
			caddyStopNow(t) // flushes the log
			logged, _ := os.ReadFile(logFile)
			var warnings []string
			for _, l := range strings.Split(string(logged), "\n") {
				if strings.Contains(l, "without trusted_proxies_strict") {
					warnings = append(warnings, l)
				}
			}
			if !tc.warn {
				if len(warnings) > 0 {
					t.Errorf("warned: %q", warnings)
				}
				return
			}
			if len(warnings) != 1 {
				t.Fatalf("%d warnings, want one: %q\n%s", len(warnings), warnings, logged)
			}
			w := warnings[0]
			for _, want := range []string{`"level":"warn"`, `"server":"srv0"`, "add trusted_proxies_strict to the global servers options", "X-Forwarded-For", "max_failures"} {
				if !strings.Contains(w, want) {
					t.Errorf("the warning lacks %q: %s", want, w)
				}
			}
		})
	}
}

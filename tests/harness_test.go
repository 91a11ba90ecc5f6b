package tests

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/civigate/civigate/caddymodule"
	"github.com/civigate/civigate/internal/testport"
)

// freePort returns a loopback port nobody listens on right now, and that
// no other test process is likely to pick (internal/testport).
func freePort(t testing.TB) int { return testport.Free(t) }

// caddyInstance is a real Caddy, started in this process from a Caddyfile.
type caddyInstance struct {
	URL   string // http://127.0.0.1:PORT
	Admin string // http://127.0.0.1:PORT of the admin API
}

// startCaddy adapts caddyfile (with {PORT} and {ADMIN} replaced by free ports)
// and runs it until the test ends. Caddy runs one configuration per process,
// so tests that use it must not run in parallel.
func startCaddy(t testing.TB, caddyfile string) caddyInstance {
	t.Helper()
	inst := loadCaddy(t, caddyfile)
	waitHTTP(t, inst.URL)
	return inst
}

// loadCaddy is startCaddy without waiting for {PORT} to answer: for sites
// that listen elsewhere (bind unix//…).
func loadCaddy(t testing.TB, caddyfile string) caddyInstance {
	t.Helper()
	port, admin := freePort(t), freePort(t)
	cf := strings.NewReplacer("{PORT}", fmt.Sprint(port), "{ADMIN}", fmt.Sprint(admin)).Replace(caddyfile)
	cfgJSON, warnings, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cf), map[string]any{"filename": "Caddyfile"})
	if err != nil {
		t.Fatalf("adapt Caddyfile: %v\n%s", err, cf)
	}
	for _, w := range warnings {
		t.Logf("Caddyfile warning: %s", w.String())
	}
	if err := caddy.Load(cfgJSON, true); err != nil {
		t.Fatalf("load Caddy config: %v", err)
	}
	t.Cleanup(func() {
		if err := caddy.Stop(); err != nil {
			t.Logf("stop Caddy: %v", err)
		}
	})
	return caddyInstance{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Admin: fmt.Sprintf("http://127.0.0.1:%d", admin)}
}

func waitHTTP(t testing.TB, url string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not come up", url)
}

// redisURL is the Redis the tests use; in CI a missing Redis is a failure.
func redisURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("REDIS_URL")
	if u == "" {
		u = "redis://127.0.0.1:6379"
	}
	return u
}

func itoa(n int) string { return strconv.Itoa(n) }

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }

// caddyStopNow stops Caddy before the test ends, e.g. to flush its logs.
func caddyStopNow(t testing.TB) {
	t.Helper()
	if err := caddy.Stop(); err != nil {
		t.Fatal(err)
	}
}

// testGlobalOptions start every test Caddyfile: admin on {ADMIN}, only
// errors logged.
const testGlobalOptions = "{\n\tadmin 127.0.0.1:{ADMIN}\n\tlog {\n\t\tlevel ERROR\n\t}\n}\n"

// siteCaddyfile is a Caddyfile for startCaddy: one site on {PORT} with the
// civicrm directive (civicrmLines inside its block) in front of upstream
// (host:port), admin on {ADMIN}, and only errors logged.
// testSiteKey is a site key for sites whose tests send none: every civicrm
// handler needs one to start.
const testSiteKey = "civigate-tests-site-key"

func siteCaddyfile(upstream string, civicrmLines ...string) string {
	var b strings.Builder
	b.WriteString(testGlobalOptions + "http://:{PORT} {\n\tcivicrm {\n")
	for _, l := range civicrmLines {
		b.WriteString("\t\t" + l + "\n")
	}
	b.WriteString("\t}\n\treverse_proxy " + upstream + "\n}\n")
	return b.String()
}

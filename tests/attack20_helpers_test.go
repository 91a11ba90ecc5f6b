package tests

// Helpers of the attack 20 tests (authentication at the edge): an upstream
// that records every request it receives (method, URI, headers), answers
// civicrm/authx/id and the API through the simulator, and everything else
// (CiviCRM's scripts outside its router, pages) with a 200 of its own, so a
// test sees exactly what reached CiviCRM.

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

type a20Up struct {
	sim  *civicrmsim.Simulator
	mu   sync.Mutex
	seen []*http.Request
	// binBodies are the bodies of the requests to bin/ scripts, in order
	// (the recorded requests' bodies are gone once answered).
	binBodies []string
}

func (u *a20Up) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body []byte
	if strings.Contains(r.URL.Path, "/bin/") {
		body, _ = io.ReadAll(r.Body)
	}
	u.mu.Lock()
	u.seen = append(u.seen, r.Clone(r.Context()))
	if body != nil {
		u.binBodies = append(u.binBodies, string(body))
	}
	u.mu.Unlock()
	if strings.Contains(r.URL.Path, "/bin/") || strings.HasSuffix(r.URL.Path, ".php") && !strings.HasSuffix(r.URL.Path, "/index.php") {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("script ran\n"))
		return
	}
	u.sim.ServeHTTP(w, r)
}

// lastBinBody is the body of the last request to a bin/ script.
func (u *a20Up) lastBinBody(t *testing.T) string {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.binBodies) == 0 {
		t.Fatal("no bin/ script got a request")
	}
	return u.binBodies[len(u.binBodies)-1]
}

// reached returns the requests whose path contains part.
func (u *a20Up) reached(part string) []*http.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []*http.Request
	for _, r := range u.seen {
		if strings.Contains(r.URL.Path, part) {
			out = append(out, r)
		}
	}
	return out
}

// a20Setup starts the simulator, the recording upstream and Civigate with
// civicrm lines (site_key is added), and an access log with Civigate's
// credential filter, as Caddyfile.example configures it. It returns the
// log file's path.
func a20Setup(t *testing.T, opts civicrmsim.Options, lines ...string) (*civicrmsim.Simulator, *a20Up, caddyInstance, string) {
	t.Helper()
	sim := civicrmsim.New(opts)
	u := &a20Up{sim: sim}
	up := httptest.NewServer(u)
	t.Cleanup(up.Close)
	logf := filepath.Join(t.TempDir(), "access.log")
	var b strings.Builder
	b.WriteString(testGlobalOptions + "http://:{PORT} {\n\tcivicrm {\n\t\tsite_key " + sim.SiteKey() + "\n")
	for _, l := range lines {
		b.WriteString("\t\t" + l + "\n")
	}
	b.WriteString("\t}\n\tlog {\n\t\toutput file " + logf + "\n\t\tformat filter {\n\t\t\trequest>uri civicrm_credentials\n\t\t\trequest>headers civicrm_credentials\n\t\t}\n\t}\n")
	b.WriteString("\treverse_proxy " + strings.TrimPrefix(up.URL, "http://") + "\n}\n")
	inst := startCaddy(t, b.String())
	return sim, u, inst, logf
}

// a20ReadLog stops Caddy (flushing its logs) and returns the access log.
func a20ReadLog(t *testing.T, logf string) string {
	t.Helper()
	caddyStopNow(t)
	b, err := os.ReadFile(logf)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// a20JWT signs claims with a CIVICRM_SIGN_KEYS entry of the form
// jwt-hs256:hkdf-sha256:<secret>, as CiviCRM's crypto.jwt service does
// (HS256, the key derived by HKDF-SHA256 from the secret).
func a20JWT(t *testing.T, secret string, claims map[string]any) string {
	t.Helper()
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, "", 32)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": "HS256"})
	p, _ := json.Marshal(claims)
	in := enc.EncodeToString(h) + "." + enc.EncodeToString(p)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(in))
	return in + "." + enc.EncodeToString(m.Sum(nil))
}

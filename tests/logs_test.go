package tests

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/authx"
)

// startExample runs Caddyfile.example as shipped, with its environment
// variables pointing at upstream, and every log line (access and others)
// written to files the test reads back.
func startExample(t *testing.T, upstream, siteKey, signKeys string) (inst caddyInstance, accessLog, otherLog string) {
	t.Helper()
	example, err := os.ReadFile("../Caddyfile.example")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	accessLog, otherLog = filepath.Join(dir, "access.log"), filepath.Join(dir, "caddy.log")
	t.Setenv("CIVIGATE_LISTEN", ":{PORT}")
	t.Setenv("CIVIGATE_ADMIN", "127.0.0.1:{ADMIN}")
	t.Setenv("CIVICRM_UPSTREAM", upstream)
	t.Setenv("CIVICRM_SITE_KEY", siteKey)
	t.Setenv("CIVICRM_SIGN_KEYS", signKeys)
	t.Setenv("REDIS_URL", "")
	t.Setenv("CIVIGATE_ACCESS_LOG", "file "+accessLog)
	// The example leaves Caddy's own log on stderr; send it to a file too.
	cf := strings.Replace(string(example), "\tlog {\n\t\tformat filter", "\tlog {\n\t\toutput file "+otherLog+"\n\t\tformat filter", 1)
	if cf == string(example) {
		t.Fatal("Caddyfile.example has no global log block to send to a file")
	}
	cf = strings.NewReplacer("{$CIVIGATE_LISTEN::8080}", os.Getenv("CIVIGATE_LISTEN"),
		"{$CIVIGATE_ADMIN:localhost:2019}", os.Getenv("CIVIGATE_ADMIN")).Replace(cf)
	return startCaddy(t, cf), accessLog, otherLog
}

// Whatever form a request uses, no credential may appear in any log line:
// not the site key, the API key, a JWT or a Basic password, in the query,
// the body, any header spelling or a Referer.
func TestLogsNeverContainCredentials(t *testing.T) {
	stub := newStubCiviCRM(t)
	siteKey := "sk-" + randomHex(t, 12)
	signKeys := "jwt-hs256:hkdf-sha256:" + randomHex(t, 16)
	inst, accessLog, otherLog := startExample(t, stub.Host(), siteKey, signKeys)

	keys, err := authx.ParseSignKeys(signKeys)
	if err != nil {
		t.Fatal(err)
	}
	jwt, err := authx.MintCiviJWT(keys, 2, time.Now(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	password := "pw-" + randomHex(t, 8)
	basic := base64.StdEncoding.EncodeToString([]byte("admin:" + password))
	wrongKey := "wrong-" + randomHex(t, 8)
	secrets := []string{siteKey, stub.APIKey, jwt, password, basic, wrongKey, url.QueryEscape(jwt)}

	extern := inst.URL + "/sites/all/modules/civicrm/extern/rest.php"
	ajax := inst.URL + "/civicrm/ajax/rest"
	q := url.Values{"entity": {"Contact"}, "action": {"get"}, "json": {"1"}}
	withQ := func(base string, extra url.Values) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		for k, vs := range extra {
			v[k] = vs
		}
		return base + "?" + v.Encode()
	}
	type req struct {
		method, url, body string
		header            http.Header
	}
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for _, rq := range []req{
		{"GET", withQ(extern, url.Values{"key": {siteKey}, "api_key": {stub.APIKey}}), "", nil},
		{"GET", withQ(extern, url.Values{"key": {siteKey}, "api_key": {jwt}}), "", nil},
		{"GET", withQ(extern, url.Values{"key": {wrongKey}, "api_key": {stub.APIKey}}), "", nil},
		{"GET", withQ(extern, url.Values{"key": {siteKey}, "api_key": {wrongKey}}), "", nil},
		{"POST", extern, url.Values{"entity": {"Contact"}, "action": {"get"}, "json": {"1"}, "key": {siteKey}, "api_key": {stub.APIKey}}.Encode(), form},
		{"GET", withQ(ajax, nil), "", http.Header{"X-Civi-Auth": {"Bearer " + stub.APIKey}, "X-Civi-Key": {siteKey}}},
		{"GET", withQ(ajax, nil), "", http.Header{"X_Civi_Auth": {"Bearer " + jwt}, "X_Civi_Key": {siteKey}}},
		{"GET", withQ(ajax, nil), "", http.Header{"Authorization": {"Bearer " + stub.APIKey}, "X-Civi-Key": {siteKey}, "X-Requested-With": {"XMLHttpRequest"}}},
		{"GET", withQ(ajax, nil), "", http.Header{"Authorization": {"Basic " + basic}, "X-Civi-Key": {siteKey}}},
		{"GET", withQ(ajax, url.Values{"_authx": {"Bearer " + stub.APIKey}, "_authxSiteKey": {siteKey}}), "", nil},
		{"GET", withQ(ajax, url.Values{"key": {siteKey}, "api_key": {stub.APIKey}}), "", http.Header{"Referer": {withQ(extern, url.Values{"key": {siteKey}, "api_key": {stub.APIKey}})}}},
	} {
		r, err := http.NewRequest(rq.method, rq.url, strings.NewReader(rq.body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range rq.header {
			r.Header[k] = v // verbatim, so X_Civi_Auth keeps its spelling
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	// Did the requests really go through (otherwise the logs prove nothing)?
	seen, _ := stub.seen()
	if len(seen) < 5 {
		t.Fatalf("only %d requests reached the upstream; the test did not exercise Civigate", len(seen))
	}
	caddyStopNow(t)
	for _, file := range []string{accessLog, otherLog} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if file == accessLog && strings.Count(string(b), "\n") < 11 {
			t.Fatalf("access log has %d lines, want one per request:\n%s", strings.Count(string(b), "\n"), b)
		}
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("%s contains a credential (%.6s…)", filepath.Base(file), s)
			}
		}
	}
}

// cuttingCiviCRM answers API calls with a JSON body it cuts off after
// `before` bytes, as a crashing PHP worker would; everything else as
// stubCiviCRM.
type cuttingCiviCRM struct {
	*stubCiviCRM
	before int
}

func (s cuttingCiviCRM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/civicrm/ajax/rest" {
		s.stubCiviCRM.ServeHTTP(w, r)
		return
	}
	head := `{"is_error":0,"values":["` + strings.Repeat("x", max(0, s.before-25))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(head)+1000))
	w.WriteHeader(200)
	io.WriteString(w, head)
	w.(http.Flusher).Flush()
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// When CiviCRM fails mid-answer, Caddy's proxy logs a warning with the
// request it sent upstream; that request carries the AuthX headers Civigate
// set, which must not reach the log either.
func TestLogsNeverContainCredentialsWhenCiviCRMFails(t *testing.T) {
	stub := newStubCiviCRM(t)
	cut := httptest.NewServer(cuttingCiviCRM{stub, 64 << 10})
	t.Cleanup(cut.Close)
	siteKey := "sk-" + randomHex(t, 12)
	inst, accessLog, otherLog := startExample(t, strings.TrimPrefix(cut.URL, "http://"), siteKey, "")
	for _, u := range []string{
		// A read the cache would store, and one it bypasses (debug), whose
		// answer streams through.
		inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&key=" + siteKey + "&api_key=" + stub.APIKey,
		inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&debug=1&json=1&key=" + siteKey + "&api_key=" + stub.APIKey,
	} {
		if resp, err := http.Get(u); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	caddyStopNow(t)
	logs := ""
	for _, file := range []string{accessLog, otherLog} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		logs += string(b)
	}
	if strings.Count(logs, "incomplete response") < 2 {
		t.Fatalf("the proxy logged no failure; the test did not exercise it:\n%s", logs)
	}
	for _, s := range []string{siteKey, stub.APIKey} {
		if strings.Contains(logs, s) {
			t.Errorf("a log contains a credential (%.6s…):\n%s", s, logs)
		}
	}
}

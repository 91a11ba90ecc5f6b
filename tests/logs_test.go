package tests

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/internal/phptest"
	"github.com/civigate/civigate/translate"
)

// startExample runs Caddyfile.example as shipped (plus any global options
// given), with its environment variables pointing at upstream, and every
// log line (access and others) written to files the test reads back.
func startExample(t *testing.T, upstream, siteKey, signKeys string, globals ...string) (inst caddyInstance, accessLog, otherLog string) {
	t.Helper()
	example, err := os.ReadFile("../Caddyfile.example")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	accessLog, otherLog = filepath.Join(dir, "access.log"), filepath.Join(dir, "caddy.log")
	t.Setenv("CIVIGATE_LISTEN", ":{PORT}")
	t.Setenv("CIVIGATE_PORT", "{PORT}")
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
	cf = strings.NewReplacer("{$CIVIGATE_LISTEN::8080}", os.Getenv("CIVIGATE_LISTEN"), "{$CIVIGATE_PORT:8080}", os.Getenv("CIVIGATE_PORT"),
		"{$CIVIGATE_ADMIN:localhost:2019}", os.Getenv("CIVIGATE_ADMIN")+"\n\t"+strings.Join(globals, "\n\t")).Replace(cf)
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

// credentialSpellings are names PHP registers as name, derived from its
// registration rules (php_register_variable_ex after url-decoding): leading
// spaces are dropped, ' ' and '.' become '_', so does an unmatched '[',
// the name ends at a NUL, "[…]" makes an array of the same name, and any
// byte may be percent-encoded. A space or '[' cannot stand for a leading
// '_' (the space would be dropped, the '[' would start an index).
func credentialSpellings(name string) []string {
	out := []string{name, "%20" + name, "+" + name, "+%20" + name, name + "%00x", name + "[]",
		name + "%5B%5D", name + "[x]", pctEncode(name, "%%%02X"), pctEncode(name, "%%%02x")}
	for i := 0; i < len(name); i++ {
		if name[i] != '_' {
			continue
		}
		subs := []string{".", "%2E", "%2e"}
		if i > 0 {
			subs = append(subs, "+", "%20", "[", "%5B", "%5b")
		}
		for _, s := range subs {
			out = append(out, name[:i]+s+name[i+1:])
		}
		out = append(out, "+"+name[:i]+"."+name[i+1:]+"%00z")
	}
	return out
}

func pctEncode(s, format string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, format, s[i])
	}
	return b.String()
}

// headerSpellings are the names CGI/FastCGI and PHP's $_SERVER fold into
// the same HTTP_* variable as h: each '-' as '-', '_' or '.', in any case.
func headerSpellings(h string) []string {
	spellings := []string{""}
	for _, part := range strings.Split(h, "-") {
		var next []string
		for _, s := range spellings {
			if s == "" {
				next = append(next, part)
				continue
			}
			for _, sep := range []string{"-", "_", "."} {
				next = append(next, s+sep+part)
			}
		}
		spellings = next
	}
	var out []string
	for _, s := range spellings {
		out = append(out, s, strings.ToLower(s), strings.ToUpper(s))
	}
	return out
}

// phpVarNames asks real PHP which variable parse_str registers each name
// (as sent) under; "" when none.
func phpVarNames(t *testing.T, names []string) []string {
	t.Helper()
	php := phptest.Path(t)
	const script = `while (($l = fgets(STDIN)) !== false) { $r = []; parse_str(hex2bin(rtrim($l)) . '=v', $r); echo bin2hex((string) array_key_first($r)), "\n"; }`
	var in strings.Builder
	for _, n := range names {
		in.WriteString(hex.EncodeToString([]byte(n)) + "\n")
	}
	cmd := exec.Command(php, "-n", "-r", script)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("php: %v", err)
	}
	lines := strings.Fields(string(out) + " ")
	got := make([]string, len(names))
	for i := range got {
		if i < len(lines) {
			b, _ := hex.DecodeString(lines[i])
			got[i] = string(b)
		}
	}
	return got
}

// No credential appears in any log line under any spelling CiviCRM or PHP
// accepts: every mangled query name (checked with real PHP to be read as the
// credential) and every identity header spelling, each carrying its own
// secret, plus valid credentials under mangled names that Civigate accepts.
// Caddy drops header names with '_' or '.' unless the operator lists them
// (expected_underscore_headers, expected_dot_headers); the second run lists
// them all, so they reach Civigate and the log.
func TestLogsNeverContainMangledCredentials(t *testing.T) {
	var names, targets []string
	// pass: the CMS password bin/cron.php (authenticateScript) reads.
	for _, p := range append(translate.CredentialParams[:], "pass") {
		for _, n := range credentialSpellings(p) {
			names, targets = append(names, n), append(targets, p)
		}
	}
	passNames := map[string]bool{} // sent to bin/cron.php, which reads pass
	for i, got := range phpVarNames(t, names) {
		if got != targets[i] {
			t.Fatalf("PHP registers %q as %q, not %q: the spelling rules above are wrong", names[i], got, targets[i])
		}
		passNames[names[i]] = got == "pass"
	}
	var headers, underscored, dotted []string
	for _, h := range authx.IdentityHeaders {
		for _, sp := range headerSpellings(h) {
			headers = append(headers, sp)
			switch {
			case strings.Contains(sp, "_"):
				underscored = append(underscored, sp)
			case strings.Contains(sp, "."):
				dotted = append(dotted, sp)
			}
		}
	}
	t.Run("shipped", func(t *testing.T) {
		checkCredentialLogs(t, names, headers, passNames, http.Header{"x-civi-auth": nil, "X-CIVI-KEY": nil})
	})
	t.Run("underscore and dot headers kept", func(t *testing.T) {
		checkCredentialLogs(t, names, headers, passNames, http.Header{"X.Civi.Auth": nil, "X_Civi-Key": nil},
			"servers {\n\t\texpected_underscore_headers "+strings.Join(underscored, " ")+
				"\n\t\texpected_dot_headers "+strings.Join(dotted, " ")+"\n\t}")
	})
}

// checkCredentialLogs sends each query name and header spelling with its
// own secret through the example (with globals), and valid credentials
// under mangled names, whose answer must be data; then no log line may
// hold any of them. accept names the auth and key headers whose spelling
// Civigate must accept.
func checkCredentialLogs(t *testing.T, names, headers []string, passNames map[string]bool, accept http.Header, globals ...string) {
	stub := newStubCiviCRM(t)
	siteKey := "sk-" + randomHex(t, 12)
	inst, accessLog, otherLog := startExample(t, stub.Host(), siteKey, "", globals...)
	extern := inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1"
	ajax := inst.URL + "/civicrm/ajax/rest?entity=Contact&action=get&json=1"

	type row struct {
		what, url string
		header    http.Header
		accepted  bool // Civigate must answer with data: the spelling is a credential to it
	}
	secrets := map[string]string{siteKey: "the site key", stub.APIKey: "the API key"} // secret -> what carried it
	secret := func(what string) string {
		s := randomHex(t, 10)
		secrets[s] = what
		return s
	}
	acceptHeader := http.Header{}
	for name := range accept {
		if strings.Contains(strings.ToLower(name), "auth") {
			acceptHeader[name] = []string{"Bearer " + stub.APIKey}
		} else {
			acceptHeader[name] = []string{siteKey}
		}
	}
	// The accepted ones first: guessing protection may refuse later calls.
	rows := []row{
		{what: "accepted: %20key and api.key", url: extern + "&%20key=" + siteKey + "&api.key=" + stub.APIKey, accepted: true},
		{what: "accepted: key%00x and api%5Bkey", url: extern + "&key%00x=" + siteKey + "&api%5Bkey=" + stub.APIKey, accepted: true},
		{what: "accepted: .authx and .authxSiteKey", url: ajax + "&.authx=Bearer+" + stub.APIKey + "&.authxSiteKey=" + siteKey, accepted: true},
		{what: fmt.Sprintf("accepted: headers %v", slices.Sorted(maps.Keys(accept))), url: ajax, header: acceptHeader, accepted: true},
	}
	cron := inst.URL + "/sites/all/modules/civicrm/bin/cron.php?name=admin"
	for _, n := range names {
		base := extern
		if strings.Contains(strings.ToLower(n), "authx") {
			base = ajax
		}
		if passNames[n] {
			base = cron
		}
		rows = append(rows, row{what: "query " + n, url: base + "&" + n + "=" + secret("query "+n)})
	}
	// The same names in a Referer, as a browser sends after a legacy call.
	for _, n := range names[:len(names)/4] {
		rows = append(rows, row{what: "Referer " + n, url: ajax,
			header: http.Header{"Referer": {extern + "&" + n + "=" + secret("Referer "+n)}}})
	}
	for _, h := range headers {
		value := secret("header " + h)
		if !strings.Contains(strings.ToLower(h), "key") {
			value = "Bearer " + value
		}
		rows = append(rows, row{what: "header " + h, url: ajax, header: http.Header{h: {value}}})
	}

	for _, rw := range rows {
		r, err := http.NewRequest("GET", rw.url, nil)
		if err != nil {
			t.Fatalf("%s: %v", rw.what, err)
		}
		for k, v := range rw.header {
			r.Header[k] = v // verbatim, so X.Civi.Auth keeps its spelling
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatalf("%s: %v", rw.what, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if rw.accepted && !strings.Contains(string(body), "Standalone Admin") {
			t.Errorf("%s: Civigate did not accept the credentials (%d %.200s)", rw.what, resp.StatusCode, body)
		}
	}

	caddyStopNow(t)
	for _, file := range []string{accessLog, otherLog} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if file == accessLog && strings.Count(string(b), "\n") < len(rows) {
			t.Fatalf("access log has %d lines for %d requests", strings.Count(string(b), "\n"), len(rows))
		}
		for s, what := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("%s contains the credential sent as %s", filepath.Base(file), what)
			}
		}
	}
}

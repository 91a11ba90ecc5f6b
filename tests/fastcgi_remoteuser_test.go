package tests

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Behind php_fastcgi, real PHP: Caddy's FastCGI transport sets REMOTE_USER,
// the user the web server authenticated (RFC 3875 4.1.11), from
// {http.auth.user.id}. CMS modules that trust the web server log that name
// in as a CMS user, so the caller's contact id must never be it: PHP gets
// the caller only from the AuthX headers. What {http.auth.user.id} was for
// stays: the access log's user_id names the contact once the call is over,
// and other handlers read the contact from {http.auth.user.contact_id}.
// A user authenticated by the web server in front of Civigate (basic_auth)
// is left as it set it: PHP gets it as it would without Civigate, and so
// does the log.
func TestPHPFastCGIGetsNoRemoteUserFromCivigate(t *testing.T) {
	root := t.TempDir()
	record := filepath.Join(root, "seen.jsonl")
	// Answers the credential question (authx/id has no query) with contact
	// 7, anything else with an empty result; records what PHP was handed.
	// Caching is off, so that every call reaches PHP.
	script := `<?php
$server = [];
foreach ($_SERVER as $k => $v) if (is_string($v)) $server[$k] = $v;
file_put_contents(` + "'" + record + "'" + `, json_encode(['server' => $server]) . "\n", FILE_APPEND);
header('Content-Type: application/json');
if (($_SERVER['QUERY_STRING'] ?? '') === '' && strpos($_SERVER['REQUEST_URI'], 'authx/id') !== false) { echo json_encode(['contact_id' => 7, 'user_id' => 3, 'flow' => 'header', 'cred' => 'api_key']); return; }
if (strpos($_SERVER['REQUEST_URI'], 'api4') !== false) { echo '{"values":[],"count":0,"countFetched":0}'; return; }
echo '{"is_error":0,"version":3,"count":0,"values":[]}';`
	if err := os.WriteFile(filepath.Join(root, "index.php"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	port := startPHPFastCGI(t)
	siteKey, apiKey := "sk-"+randomHex(t, 12), "ak-"+randomHex(t, 12)
	xAuth := http.Header{"X-Civi-Auth": {"Bearer " + apiKey}, "X-Civi-Key": {siteKey}, "X-Requested-With": {"XMLHttpRequest"}}
	type call struct {
		name, target string
		header       http.Header
	}
	calls := []call{
		{"legacy extern/rest.php", "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&key=" + siteKey + "&api_key=" + apiKey, nil},
		{"civicrm/ajax/rest", "/civicrm/ajax/rest?entity=Email&action=get&json=1", xAuth},
		{"APIv4", "/civicrm/ajax/api4/Contact/get?params=%7B%22limit%22%3A1%7D", xAuth},
		{"a CiviCRM page with X-Civi-Auth", "/civicrm/contact/view?cid=2", xAuth},
		{"AuthX's own route", "/civicrm/authx/id", xAuth},
	}
	// run sends calls (twice) through a Caddy whose site block holds front (a
	// handler before civicrm) and checks, for each, PHP's REMOTE_USER and
	// the access log's user_id.
	run := func(t *testing.T, front string, calls []call, auth http.Header, wantRemoteUser, wantLogUser string) {
		logf := filepath.Join(t.TempDir(), "access.log")
		inst := startCaddy(t, testGlobalOptions+"http://:{PORT} {\n\troot * "+root+"\n"+front+
			"\tlog {\n\t\toutput file "+logf+"\n\t\tformat json\n\t}\n"+
			"\theader >X-Caller \"{http.auth.user.contact_id} {http.auth.user.cred_type}\"\n"+
			"\tcivicrm {\n\t\tsite_key "+siteKey+"\n\t\tcache off\n\t}\n\tphp_fastcgi 127.0.0.1:"+itoa(port)+"\n}\n")
		// Each call twice: the second is a prepared request (prepared.go).
		for _, c := range slices.Concat(calls, calls) {
			os.Remove(record)
			h := http.Header{}
			for k, v := range c.header {
				h[k] = v
			}
			for k, v := range auth {
				h[k] = v
			}
			got := do(t, "GET", inst.URL+c.target, "", h)
			if got.status != http.StatusOK {
				t.Fatalf("%s: answered %d %s", c.name, got.status, got.body)
			}
			if want := "7 api_key"; !strings.HasPrefix(got.header.Get("X-Caller"), want) {
				t.Errorf("%s: {http.auth.user.contact_id} {http.auth.user.cred_type} = %q, want %q", c.name, got.header.Get("X-Caller"), want)
			}
			seen := readPHPRecords(t, record)
			if len(seen) == 0 {
				t.Fatalf("%s: PHP never ran", c.name)
			}
			for _, s := range seen {
				if u, _ := s.Server["REMOTE_USER"].(string); u != wantRemoteUser {
					t.Errorf("%s: PHP (%v) got REMOTE_USER=%q, want %q", c.name, s.Server["REQUEST_URI"], u, wantRemoteUser)
				}
			}
		}
		caddyStopNow(t)
		b, err := os.ReadFile(logf)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		for line := range strings.Lines(string(b)) {
			var entry struct {
				UserID  string `json:"user_id"`
				Request struct {
					URI string `json:"uri"`
				} `json:"request"`
			}
			if err := json.Unmarshal([]byte(line), &entry); err != nil {
				t.Fatalf("access log line %q: %v", line, err)
			}
			if entry.Request.URI == "/" {
				continue // startCaddy's wait for the site
			}
			n++
			if entry.UserID != wantLogUser {
				t.Errorf("access log of %s: user_id %q, want %q", entry.Request.URI, entry.UserID, wantLogUser)
			}
		}
		if n != 2*len(calls) {
			t.Errorf("%d access log lines for %d calls:\n%s", n, 2*len(calls), b)
		}
	}
	t.Run("no authentication in front", func(t *testing.T) {
		run(t, "", calls, nil, "", "7")
	})
	t.Run("basic_auth in front", func(t *testing.T) {
		// A staging site behind the web server's own password: the legacy
		// forms read no Authorization header, so the API key is the
		// caller's credential.
		front := "\tbasic_auth {\n\t\talice $2a$04$OV2oFdy6iIaegpj0pSshAuUXOqXg1S51iOrP9etNGP5.LMY4qeSr6\n\t}\n"
		basic := http.Header{"Authorization": {"Basic YWxpY2U6c3RhZ2luZy1wdw=="}} // alice:staging-pw
		run(t, front, calls[:1], basic, "alice", "alice")
	})
}

package tests

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Behind php_fastcgi, real PHP: Caddy builds REQUEST_URI from the request it
// stores as "original" (caddyhttp.OriginalRequestCtxKey), not from the one
// Civigate passes on. PHP must see only the request Civigate forwards: the
// modern route, with no credential and no legacy path anywhere in its
// CGI variables, $_GET or $_POST (the credential travels in X-Civi-Auth
// and X-Civi-Key only). That holds for the API call and for the credential
// question Civigate asks civicrm/authx/id through the same route.
func TestPHPFastCGISeesTheForwardedRequest(t *testing.T) {
	root := t.TempDir()
	record := filepath.Join(root, "seen.jsonl")
	// Answers the credential question (authx/id has no query) with a
	// contact and user, an API call with an empty result; records what PHP
	// was handed, as strings.
	script := `<?php
$server = [];
foreach ($_SERVER as $k => $v) if (is_string($v)) $server[$k] = $v;
file_put_contents(` + "'" + record + "'" + `, json_encode(['server' => $server, 'get' => $_GET, 'post' => $_POST, 'input' => file_get_contents('php://input')]) . "\n", FILE_APPEND);
header('Content-Type: application/json');
if (($_SERVER['QUERY_STRING'] ?? '') === '' && empty($_POST)) { echo json_encode(['contact_id' => 7, 'user_id' => 3, 'flow' => 'header', 'cred' => 'api_key']); return; }
if (strpos($_SERVER['SCRIPT_NAME'] . $_SERVER['REQUEST_URI'], 'api4') !== false) { echo '{"values":[],"count":0,"countFetched":0}'; return; }
echo '{"is_error":0,"version":3,"count":0,"values":[]}';`
	if err := os.WriteFile(filepath.Join(root, "index.php"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	port := startPHPFastCGI(t)
	siteKey, apiKey := "sk-"+randomHex(t, 12), "ak-"+randomHex(t, 12)
	inst := startCaddy(t, testGlobalOptions+"http://:{PORT} {\n\troot * "+root+"\n\tcivicrm {\n\t\tsite_key "+siteKey+
		"\n\t}\n\tphp_fastcgi 127.0.0.1:"+itoa(port)+"\n}\n")

	creds := "key=" + siteKey + "&api_key=" + apiKey
	for _, tc := range []struct {
		name, method, target, body string
		header                     http.Header
		route                      string // the path PHP must see
	}{
		{"legacy extern/rest.php, GET", "GET", "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&" + creds, "", nil, "/civicrm/ajax/rest"},
		{"legacy extern/rest.php, POST", "POST", "/sites/all/modules/civicrm/extern/rest.php", "entity=Activity&action=get&json=1&" + creds, nil, "/civicrm/ajax/rest"},
		{"key and api_key in the URL of civicrm/ajax/rest", "GET", "/civicrm/ajax/rest?entity=Email&action=get&json=1&" + creds, "", nil, "/civicrm/ajax/rest"},
		{"key and api_key in the URL of APIv4", "GET", "/civicrm/ajax/api4/Contact/get?" + creds, "", http.Header{"X-Requested-With": {"XMLHttpRequest"}}, "/civicrm/ajax/api4/Contact/get"},
	} {
		os.Remove(record)
		got := do(t, tc.method, inst.URL+tc.target, tc.body, tc.header)
		if got.status != http.StatusOK {
			t.Errorf("%s: answered %d %s", tc.name, got.status, got.body)
		}
		seen := readPHPRecords(t, record)
		if len(seen) == 0 {
			t.Errorf("%s: PHP never ran", tc.name)
			continue
		}
		served := false
		for _, s := range seen {
			uri, _ := s.Server["REQUEST_URI"].(string)
			// The credential belongs in the AuthX headers; anywhere else
			// (REQUEST_URI, QUERY_STRING, $_GET, ...) PHP and its logs
			// would keep it.
			delete(s.Server, "HTTP_X_CIVI_AUTH")
			delete(s.Server, "HTTP_X_CIVI_KEY")
			all, _ := json.Marshal(s)
			for _, leak := range []string{apiKey, siteKey, "extern/rest.php", "sites/all/modules"} {
				if strings.Contains(string(all), leak) {
					t.Errorf("%s: PHP was handed %q (REQUEST_URI %q): %s", tc.name, leak, uri, all)
				}
			}
			u, err := url.ParseRequestURI(uri)
			if err != nil {
				t.Errorf("%s: REQUEST_URI %q: %v", tc.name, uri, err)
				continue
			}
			switch {
			case u.Path == "/civicrm/authx/id":
			case u.Path == tc.route && u.RawQuery == s.Server["QUERY_STRING"]:
				served = true
			default:
				t.Errorf("%s: PHP routes on REQUEST_URI %q (QUERY_STRING %q), want %s", tc.name, uri, s.Server["QUERY_STRING"], tc.route)
			}
		}
		if !served {
			t.Errorf("%s: no request to %s reached PHP", tc.name, tc.route)
		}
	}
}

type phpRecord struct {
	Server map[string]any `json:"server"`
	Get    any            `json:"get"`
	Post   any            `json:"post"`
	Input  string         `json:"input"`
}

func readPHPRecords(t *testing.T, path string) []phpRecord {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []phpRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r phpRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("PHP's record %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

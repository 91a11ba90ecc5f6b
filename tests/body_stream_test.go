package tests

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/internal/bodytest"
)

// Form bodies Civigate does not translate stream through it (issue 12
// item 5, without the buffering): an upload of any size reaches the
// upstream whole while Civigate holds a few buffers, and a body whose
// routing parameter comes late still never reaches the upstream whole, nor
// with the routing parameter in what did.

// hashingUpstream records what reaches it: the body's size and hash, and
// whether it arrived whole.
type hashingUpstream struct {
	n        int64
	sum      [sha256.Size]byte
	complete bool
}

func (u *hashingUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := sha256.New()
	n, err := io.Copy(h, r.Body)
	u.n, u.complete = n, err == nil
	h.Sum(u.sum[:0])
	io.WriteString(w, "upstream")
}

// A 50 MiB upload to a WordPress page passes, past max_body_size, whole and
// unchanged; the whole process (client, Caddy, Civigate, upstream)
// allocates a small part of its size for it.
func TestBodyUploadStreams(t *testing.T) {
	up := &hashingUpstream{}
	srv := httptest.NewServer(up)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), "site_key "+testSiteKey, "max_body_size 1MiB"))
	const size = 50 << 20
	want := sha256.New()
	n, _ := io.Copy(want, bodytest.Upload(size, ""))

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	req, _ := http.NewRequest(http.MethodPost, inst.URL+"/wp-admin/async-upload.php", bodytest.Upload(size, ""))
	req.ContentLength = n
	req.Header.Set("Content-Type", bodytest.ContentType)
	a := doReq(t, req)
	runtime.ReadMemStats(&after)

	if a.status != http.StatusOK || a.body != "upstream" {
		t.Fatalf("answered %d %q", a.status, a.body)
	}
	if !up.complete || up.n != n || up.sum != [sha256.Size]byte(want.Sum(nil)) {
		t.Fatalf("the upstream got %d of %d bytes (whole: %v), same bytes: %v", up.n, n, up.complete, up.sum == [sha256.Size]byte(want.Sum(nil)))
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("a %d MiB upload through Caddy allocated %d KiB in the process", size>>20, alloc>>10)
	if alloc > 8<<20 {
		t.Errorf("a %d MiB upload allocated %d MiB", size>>20, alloc>>20)
	}
}

// A routing parameter at the very end of a large body, or of a chunked
// one: Civigate's 400, and the upstream never has the whole body, nor the
// routing parameter in the part it got.
func TestBodyRoutingAtTheEnd(t *testing.T) {
	log := &upstreamLog{}
	srv := httptest.NewServer(log)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), "site_key "+testSiteKey, "max_body_size 1MiB"))
	log.take()
	const form = "application/x-www-form-urlencoded"
	padding := strings.Repeat("padding=xxxxxxxx&", 128<<10) // 2 MiB
	upload := func(tail string) string {
		b, _ := io.ReadAll(bodytest.Upload(2<<20, tail))
		return string(b)
	}
	for _, tc := range []struct {
		name, target, ct, body string
		chunked, routes        bool
	}{
		{"urlencoded", "/", form, padding + "rest_route=/civicrm/v3/rest", false, true},
		{"urlencoded, value cut at the end", "/", form, padding + "q=civicrm/ajax/rest/x", false, true},
		{"multipart, after an upload", "/index.php?option=com_civicrm", "multipart/form-data; boundary=XyZ",
			upload("--XyZ\r\nContent-Disposition: form-data; name=\"task\"\r\n\r\ncivicrm/ajax/rest\r\n"), false, true},
		{"chunked", "/", form, padding + "rest_route=/civicrm/v3/rest", true, true},
		{"chunked control", "/contact-form", form, padding + "name=Alice", true, false},
		{"control upload", "/wp-admin/async-upload.php", "multipart/form-data; boundary=XyZ", upload(""), false, false},
	} {
		status, answer := postBody(t, inst.URL+tc.target, tc.ct, tc.body, tc.chunked)
		if !tc.routes {
			got := log.take()
			if status != http.StatusOK || len(got) != 1 || !got[0].complete || got[0].body != tc.body {
				t.Errorf("%s: answered %d; want it passed on whole", tc.name, status)
			}
			continue
		}
		if status != http.StatusBadRequest || !strings.Contains(answer, "malformed path to the CiviCRM API") {
			t.Errorf("%s: answered %d %q, want Civigate's 400", tc.name, status, answer)
		}
		// The upstream had the request's head and part of its body when
		// Civigate cut it; it records it when its read fails.
		for _, s := range log.waitFor(1, 5*time.Second) {
			if s.complete || !strings.HasPrefix(tc.body, s.body) || strings.Contains(s.body, "civicrm/") {
				t.Errorf("%s: the upstream got %d of %d bytes (whole: %v), ending %q", tc.name, len(s.body), len(tc.body), s.complete, tailOf(s.body))
			}
		}
	}
}

func tailOf(s string) string {
	if len(s) > 80 {
		return "…" + s[len(s)-80:]
	}
	return s
}

// postBody posts body, chunked or with its Content-Length.
func postBody(t *testing.T, target, ct, body string, chunked bool) (int, string) {
	t.Helper()
	var r io.Reader = strings.NewReader(body)
	if chunked {
		r = io.MultiReader(r) // no length known: sent chunked
	}
	req, _ := http.NewRequest(http.MethodPost, target, r)
	req.Header.Set("Content-Type", ct)
	if chunked {
		req.ContentLength = -1
		req.TransferEncoding = []string{"chunked"}
	}
	a := doReq(t, req)
	return a.status, a.body
}

// A client that goes away after sending a routing parameter past the
// first 64 KiB: PHP would run the script with what arrived, so what went
// on must not carry it, and the upstream's body must not end.
func TestBodyClientGoesAway(t *testing.T) {
	log := &upstreamLog{}
	srv := httptest.NewServer(log)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), "site_key "+testSiteKey))
	log.take()
	sent := strings.Repeat("padding=xxxxxxxx&", 8<<10) + "q=civicrm/ajax/rest"
	conn, err := net.Dial("tcp", strings.TrimPrefix(inst.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: civicrm.example\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", len(sent)+1000, sent)
	// Caddy has read it all when it asks for more; then the client is gone.
	time.Sleep(200 * time.Millisecond)
	conn.Close()
	for _, s := range log.waitFor(1, 5*time.Second) {
		if s.complete || strings.Contains(s.body, "civicrm") {
			t.Errorf("the upstream got %d bytes (whole: %v), ending %q", len(s.body), s.complete, tailOf(s.body))
		}
	}
}

// Behind php_fastcgi, real PHP: when Civigate refuses a body part-way, PHP
// (php-cgi as the FastCGI server) still runs the script, with the part of
// the body that went on; it must find no routing parameter in it. A body
// that does not route reaches the script whole.
func TestBodyRoutingPHPFastCGI(t *testing.T) {
	root := t.TempDir()
	record := filepath.Join(root, "seen.jsonl")
	script := `<?php
$o = ['uri' => $_SERVER['REQUEST_URI'], 'length' => (int) ($_SERVER['CONTENT_LENGTH'] ?? 0), 'vars' => count($_POST), 'input' => strlen(file_get_contents('php://input'))];
foreach (['q', 'task', 'rest_route'] as $k) if (isset($_POST[$k])) $o[$k] = substr($_POST[$k], 0, 100);
file_put_contents(` + "'" + record + "'" + `, json_encode($o) . "\n", FILE_APPEND);
echo "php";`
	if err := os.WriteFile(filepath.Join(root, "index.php"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	port := startPHPFastCGI(t)
	inst := startCaddy(t, testGlobalOptions+"http://:{PORT} {\n\troot * "+root+"\n\tcivicrm {\n\t\tsite_key "+testSiteKey+"\n\t}\n\tphp_fastcgi 127.0.0.1:"+itoa(port)+"\n}\n")

	const form = "application/x-www-form-urlencoded"
	padding := strings.Repeat("x", 256<<10)
	for _, tc := range []struct {
		name, target, ct, body string
		routes                 bool
	}{
		{"urlencoded", "/?case=urlencoded", form, "pad=" + padding + "&civiwp=CiviCRM&q=civicrm/ajax/rest/x", true},
		{"urlencoded, long value", "/?case=urlencoded-long", form, "pad=" + padding + "&civiwp=CiviCRM&q=civicrm/ajax/rest/" + padding, true},
		{"multipart, long value", "/index.php?option=com_civicrm&case=multipart-long", "multipart/form-data; boundary=XyZ",
			"--XyZ\r\nContent-Disposition: form-data; name=\"task\"\r\n\r\ncivicrm/ajax/rest/" + padding + "\r\n--XyZ--\r\n", true},
		{"multipart", "/index.php?option=com_civicrm&case=multipart", "multipart/form-data; boundary=XyZ",
			"--XyZ\r\nContent-Disposition: form-data; name=\"pad\"\r\n\r\n" + padding + "\r\n--XyZ\r\nContent-Disposition: form-data; name=\"task\"\r\n\r\ncivicrm/ajax/rest\r\n--XyZ--\r\n", true},
		{"control", "/?case=control", form, "pad=" + padding + "&q=node", false},
	} {
		status, answer := postBody(t, inst.URL+tc.target, tc.ct, tc.body, false)
		switch {
		case tc.routes && status != http.StatusBadRequest:
			t.Errorf("%s: answered %d %q, want Civigate's 400", tc.name, status, answer)
		case !tc.routes && (status != http.StatusOK || answer != "php"):
			t.Errorf("%s: answered %d %q", tc.name, status, answer)
		}
		// php-cgi runs one request at a time: once this one is answered,
		// the refused one has run, if it ran at all.
		if status, answer := postBody(t, inst.URL+"/?case=barrier", form, "x=1", false); status != http.StatusOK {
			t.Fatalf("barrier: %d %q", status, answer)
		}
	}
	f, err := os.Open(record)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ran := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var seen struct {
			URI                 string
			Length, Vars, Input int
			Q, Task, RestRoute  any `json:"-"`
		}
		var raw map[string]any
		json.Unmarshal(sc.Bytes(), &seen)
		json.Unmarshal(sc.Bytes(), &raw)
		switch {
		case !strings.Contains(seen.URI, "case=") || strings.Contains(seen.URI, "case=barrier"):
			continue
		case strings.Contains(seen.URI, "case=control"):
			ran["control"] = true
			if raw["q"] != "node" || seen.Input != seen.Length {
				t.Errorf("control: PHP read %d of %d bytes, q=%v", seen.Input, seen.Length, raw["q"])
			}
			continue
		}
		ran[seen.URI[strings.Index(seen.URI, "case=")+5:]] = true
		t.Logf("refused %s: PHP still ran, with %d vars (%d of %d bytes of input)", seen.URI, seen.Vars, seen.Input, seen.Length)
		for _, k := range []string{"q", "task", "rest_route"} {
			if v, ok := raw[k]; ok {
				t.Errorf("%s: PHP read %s=%v from the part that went on", seen.URI, k, v)
			}
		}
	}
	// PHP runs a script whose body broke off (it reads what came): the
	// refused bodies must have reached it too, or this test shows nothing.
	for _, c := range []string{"control", "urlencoded", "urlencoded-long", "multipart", "multipart-long"} {
		if !ran[c] {
			t.Errorf("%s: never reached PHP", c)
		}
	}
}

package tests

import (
	"bufio"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// haltingCiviCRM answers API calls with a JSON result in two halves and
// sends the second half only when the test releases it, so a test can see
// whether the first half reached the client before CiviCRM finished.
type haltingCiviCRM struct {
	*stubCiviCRM
	release chan struct{}
}

const haltingHead = `{"is_error":0,"version":3,"count":1,"values":[{"note":"`

var haltingBody = haltingHead + strings.Repeat("x", 64<<10) + `"}]}`

func (s *haltingCiviCRM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/civicrm/ajax/rest" {
		s.stubCiviCRM.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(haltingBody)))
	half := len(haltingBody) / 2
	io.WriteString(w, haltingBody[:half])
	w.(http.Flusher).Flush()
	select {
	case <-s.release:
	case <-r.Context().Done():
		return
	}
	io.WriteString(w, haltingBody[half:])
}

func newHaltingCiviCRM(t *testing.T) *haltingCiviCRM {
	s := &haltingCiviCRM{stubCiviCRM: &stubCiviCRM{APIKey: randomHex(t, 16)}, release: make(chan struct{})}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	// A failed test has not released the answer: do it before closing.
	t.Cleanup(s.releaseOnce)
	s.srv = srv
	return s
}

func (s *haltingCiviCRM) releaseOnce() {
	select {
	case <-s.release:
	default:
		close(s.release)
	}
}

// firstBytes sends req and reports when the first body bytes arrive; the
// whole answer comes on done.
func firstBytes(t *testing.T, req *http.Request) (first <-chan struct{}, done <-chan *http.Response, body func() string) {
	t.Helper()
	f, d := make(chan struct{}), make(chan *http.Response, 1)
	var all strings.Builder
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			close(f)
			d <- nil
			return
		}
		br := bufio.NewReader(resp.Body)
		if _, err := br.Peek(len(haltingHead)); err == nil {
			close(f)
		}
		b, _ := io.ReadAll(br)
		all.Write(b)
		resp.Body.Close()
		d <- resp
	}()
	return f, d, func() string { return all.String() }
}

// A legacy JSON answer that Civigate passes on unchanged reaches the client
// while CiviCRM is still sending it: the client does not wait for the whole
// answer, and Civigate does not hold it in memory.
func TestLegacyAnswerStreamsThrough(t *testing.T) {
	up := newHaltingCiviCRM(t)
	sk := randomHex(t, 12)
	inst := startCaddy(t, siteCaddyfile(up.Host(), "site_key "+sk, "cache off"))
	req, _ := http.NewRequest("GET", inst.URL+"/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&key="+sk+"&api_key="+up.APIKey, nil)
	first, done, body := firstBytes(t, req)
	select {
	case <-first:
	case <-time.After(10 * time.Second):
		t.Fatal("no byte reached the client before CiviCRM finished: the answer was buffered")
	}
	up.releaseOnce()
	resp := <-done
	if resp == nil {
		t.Fatal("request failed")
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" ||
		resp.ContentLength != int64(len(haltingBody)) || !strings.HasPrefix(resp.Header.Get("Cache-Status"), "Civigate; fwd=bypass") {
		t.Errorf("got %d %q length %d, Cache-Status %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.ContentLength, resp.Header.Get("Cache-Status"))
	}
	if body() != haltingBody {
		t.Errorf("body differs from CiviCRM's (%d bytes, want %d)", len(body()), len(haltingBody))
	}
}

// A write's answer is held until it is complete, with the cache on: the
// client must not see it before the cached reads it changed are invalidated.
func TestWriteAnswerWaitsForInvalidation(t *testing.T) {
	up := newHaltingCiviCRM(t)
	sk := randomHex(t, 12)
	inst := startCaddy(t, siteCaddyfile(up.Host(), "site_key "+sk))
	req, _ := http.NewRequest("POST", inst.URL+"/sites/all/modules/civicrm/extern/rest.php",
		strings.NewReader("entity=Contact&action=create&json=1&contact_type=Individual&first_name=A&key="+sk+"&api_key="+up.APIKey))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	first, done, body := firstBytes(t, req)
	select {
	case <-first:
		t.Fatal("a write's answer reached the client before CiviCRM finished it")
	case <-time.After(300 * time.Millisecond):
	}
	up.releaseOnce()
	resp := <-done
	if resp == nil || resp.StatusCode != 200 || body() != haltingBody {
		t.Fatalf("after release: %+v, %d bytes", resp, len(body()))
	}
}

// When CiviCRM's answer breaks off, or has text after its JSON (a PHP
// warning, with the server's paths), the client never gets it as if it
// were complete: an answer still held back whole (short, or read whole to
// be rewritten or stored) becomes an APIv3 error in the client's format; a
// long streamed one is cut short of its Content-Length, its end unsent.
func TestAnswerBreakingOff(t *testing.T) {
	stub := newStubCiviCRM(t)
	sk := randomHex(t, 12)
	long := 64 << 10
	warning := "<br />\n<b>Warning</b>: Undefined variable $x in <b>/var/www/civicrm/CRM/Core/Foo.php</b>"
	for _, tc := range []struct {
		name     string
		upstream http.Handler
		cache    string
		cut      bool // the client's connection is cut instead of an APIv3 error
	}{
		{"short break, cache off", cuttingCiviCRM{stub, 40}, "cache off", false},
		{"long break, cache off", cuttingCiviCRM{stub, long}, "cache off", true},
		{"long break, cache on", cuttingCiviCRM{stub, long}, "cache on", false},
		{"short text after JSON, cache off", trailingCiviCRM{stub, 40, warning}, "cache off", false},
		{"long text after JSON, cache off", trailingCiviCRM{stub, long, warning}, "cache off", true},
		{"long text after JSON, cache on", trailingCiviCRM{stub, long, warning}, "cache on", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := httptest.NewServer(tc.upstream)
			defer up.Close()
			lines := []string{"site_key " + sk}
			if tc.cache == "cache off" {
				lines = append(lines, "cache off")
			}
			inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(up.URL, "http://"), lines...))
			base := inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&key=" + sk + "&api_key=" + stub.APIKey

			resp, err := http.Get(base + "&json=1")
			if tc.cut {
				var b []byte
				if err == nil {
					b, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				if err == nil {
					t.Fatal("a spoilt streamed answer reached the client as if complete")
				}
				if strings.Contains(string(b), "Warning") {
					t.Fatal("text after the JSON reached the client")
				}
			} else {
				body := readAll(t, resp, err)
				if resp.StatusCode != 502 || !strings.HasPrefix(body, `{"is_error":1,"error_message":"CiviCRM`) {
					t.Fatalf("JSON: %d %.200s", resp.StatusCode, body)
				}
			}

			// XML is rewritten, so it is read whole: an APIv3 error in XML.
			resp, err = http.Get(base)
			body := readAll(t, resp, err)
			if resp.StatusCode != 502 || !strings.Contains(body, "<is_error>1</is_error>") {
				t.Fatalf("XML: %d %.200s", resp.StatusCode, body)
			}
			caddyStopNow(t)
		})
	}
}

// trailingCiviCRM answers API calls with a JSON result of about `size`
// bytes followed by text, as PHP prints a warning after the output.
type trailingCiviCRM struct {
	*stubCiviCRM
	size  int
	after string
}

func (s trailingCiviCRM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/civicrm/ajax/rest" {
		s.stubCiviCRM.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"is_error":0,"values":["`+strings.Repeat("x", max(0, s.size-28))+`"]}`+s.after)
}

// Clients send Accept-Encoding; CiviCRM's server may then compress. The
// answer is read and rewritten, so it must arrive uncompressed whatever the
// client asked for (and the client gets it uncompressed, as Civigate sends
// it).
func TestCompressingCiviCRM(t *testing.T) {
	stub := newStubCiviCRM(t)
	gz := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/civicrm/ajax/rest" || !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			stub.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, stubContactGet)
		zw.Close()
	}))
	defer gz.Close()
	sk := randomHex(t, 12)
	for _, cache := range []string{"cache off", "cache on"} {
		t.Run(cache, func(t *testing.T) {
			lines := []string{"site_key " + sk}
			if cache == "cache off" {
				lines = append(lines, "cache off")
			}
			inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(gz.URL, "http://"), lines...))
			client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
			for _, enc := range []string{"gzip", "gzip, deflate, br", "br"} {
				req, _ := http.NewRequest("GET", inst.URL+"/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&key="+sk+"&api_key="+stub.APIKey, nil)
				req.Header.Set("Accept-Encoding", enc)
				resp, err := client.Do(req)
				body := readAll(t, resp, err)
				if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || body != stubContactGet {
					t.Fatalf("Accept-Encoding %s: %d %q %.100q", enc, resp.StatusCode, resp.Header.Get("Content-Encoding"), body)
				}
			}
			caddyStopNow(t)
		})
	}
}

func readAll(t *testing.T, resp *http.Response, err error) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	return string(b)
}

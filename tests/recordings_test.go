package tests

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// Every request of the extern/rest.php recordings, sent to Civigate at each
// CMS's legacy path, reaches the client exactly as the real extern/rest.php
// answered it (hashes and dates aside), while CiviCRM, simulated, only
// serves civicrm/ajax/rest: its extern/rest.php is never called.
func TestRecordedLegacyAnswersThroughCivigate(t *testing.T) {
	exchanges := loadRecordings(t, "extern-rest-6.17.2.jsonl")
	// With caching off, CiviCRM's JSON answers stream through as they
	// arrive; with the cache, reads are read whole (to be stored) first.
	type run struct{ prefix, cache string }
	runs := []run{{"/sites/all/modules/civicrm", "cache on"}}
	for _, prefix := range []string{"/sites/all/modules/civicrm", "/wp-content/plugins/civicrm/civicrm",
		"/administrator/components/com_civicrm/civicrm", "/modules/civicrm"} {
		runs = append(runs, run{prefix, "cache off"})
	}
	for _, rn := range runs {
		prefix := rn.prefix
		t.Run(strings.Trim(prefix, "/")+" "+rn.cache, func(t *testing.T) {
			sim := civicrmsim.New(civicrmsim.Options{})
			directives := []string{"site_key " + sim.SiteKey()}
			if rn.cache == "cache off" {
				directives = append(directives, "cache off")
			}
			legacyCalls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "extern/rest.php") {
					legacyCalls++
					http.Error(w, "extern/rest.php is retired", http.StatusGone)
					return
				}
				sim.ServeHTTP(w, r)
			}))
			defer srv.Close()
			inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), directives...))
			subst := sim.Placeholders()
			for _, ex := range exchanges {
				resp, got, err := ex.Send(inst.URL, prefix+"/extern/rest.php", subst)
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != ex.Status || resp.Header.Get("Content-Type") != ex.ContentType {
					t.Errorf("%s: got %d %q, extern/rest.php answered %d %q", ex.Name, resp.StatusCode,
						resp.Header.Get("Content-Type"), ex.Status, ex.ContentType)
				}
				if g, w := civicrmsim.Normalise(string(got)), civicrmsim.Normalise(ex.Body); g != w {
					t.Errorf("%s: body differs\n got: %s\nwant: %s", ex.Name, g, w)
				}
			}
			if legacyCalls != 0 {
				t.Errorf("Civigate called extern/rest.php %d times", legacyCalls)
			}
			if sim.TotalCalls() == 0 {
				t.Error("no call reached the simulator's civicrm/ajax/rest")
			}
			caddyStopNow(t)
		})
	}
}

// Every request of headers-6.17.2.jsonl (both endpoints, every AuthX flow,
// successes, errors and refusals) sent through Civigate, in front of a
// CiviCRM that sets a session cookie on every answer: the client gets
// CiviCRM's no-store headers as recorded, and never CiviCRM's session
// cookie (Civigate authenticated the call statelessly, so that session
// holds no login; see the README's cache section), whether the answer came
// from CiviCRM, from the cache or from Civigate itself.
func TestRecordedHeadersThroughCivigate(t *testing.T) {
	exchanges := loadRecordings(t, "headers-6.17.2.jsonl")
	sim := civicrmsim.New(civicrmsim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), "site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys()))
	subst := sim.Placeholders()
	for round, what := range []string{"first", "repeated"} {
		for _, ex := range exchanges {
			if strings.HasSuffix(ex.URL, "/civicrm/authx/id") {
				continue // not an API call: Civigate passes it on untouched
			}
			resp, _, err := ex.Send(inst.URL, "", subst)
			if err != nil {
				t.Fatal(err)
			}
			// The XML read follows the same read in JSON, which stored it.
			if round == 1 && ex.Name == "extern GET get xml" && resp.Header.Get("Cache-Status") != "Civigate; hit" {
				t.Errorf("%s (%s): %s", ex.Name, what, resp.Header.Get("Cache-Status"))
			}
			for _, d := range ex.HeaderDiff(resp.Header, "Expires", "Cache-Control", "Pragma") {
				t.Errorf("%s (%s): %s", ex.Name, what, d)
			}
			if c := resp.Header.Values("Set-Cookie"); len(c) != 0 {
				t.Errorf("%s (%s): the client got a session cookie %q", ex.Name, what, c)
			}
			for name, want := range civigateAddedHeaders {
				if got := resp.Header.Values(name); len(got) != 1 || got[0] != want {
					t.Errorf("%s (%s): %s: got %q, Civigate adds %q", ex.Name, what, name, got, want)
				}
			}
			for name := range resp.Header {
				if ex.ResponseHeader(name) == "" && !slices.Contains(civigateOwnHeaders, name) &&
					civigateAddedHeaders[name] == "" {
					t.Errorf("%s (%s): header %s: not in the recording, nor one Civigate adds deliberately", ex.Name, what, name)
				}
			}
		}
	}
}

// civigateAddedHeaders are the headers Civigate adds to every API answer
// where CiviCRM sends none (README, deviations): they keep a browser from
// running an answer served as text/html as a page of the CiviCRM origin.
var civigateAddedHeaders = map[string]string{
	"X-Content-Type-Options":  "nosniff",
	"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; sandbox",
}

// civigateOwnHeaders are the other headers an answer through Civigate may
// carry that the recording need not: transport (length, date), Caddy's
// Server, Cache-Status, and the RFC 6750 challenge of the modern flows'
// edge refusals (README, auth).
var civigateOwnHeaders = []string{"Content-Length", "Date", "Server", "Cache-Status", "Www-Authenticate"}

// loadRecordings reads one file of the repository's copy of the recordings.
func loadRecordings(t *testing.T, file string) []civicrmsim.Exchange {
	t.Helper()
	dir, ok := civicrmsim.RecordingsDir()
	if !ok {
		t.Fatal("the recordings are missing from translate/testdata/recordings")
	}
	exchanges, err := civicrmsim.LoadRecordings(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return exchanges
}

// The repository's copy of the recordings is the real one: where
// shared/recordings is beside the repository, they must be identical.
func TestRecordingsCopyMatchesShared(t *testing.T) {
	shared := "../../shared/recordings"
	if _, err := os.Stat(shared); err != nil {
		t.Skip("shared/recordings is not beside the repository")
	}
	mine, ok := civicrmsim.RecordingsDir()
	if !ok {
		t.Fatal("no repository copy of the recordings")
	}
	files, _ := filepath.Glob(filepath.Join(shared, "*.jsonl"))
	if len(files) == 0 {
		t.Fatal("no recordings in shared/recordings")
	}
	for _, f := range files {
		want, _ := os.ReadFile(f)
		got, err := os.ReadFile(filepath.Join(mine, filepath.Base(f)))
		if err != nil || string(got) != string(want) {
			t.Errorf("%s: the repository copy differs from shared/recordings (copy it over)", filepath.Base(f))
		}
	}
}

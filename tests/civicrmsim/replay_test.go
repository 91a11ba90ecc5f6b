package civicrmsim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
)

// recordingsDir finds shared/recordings or skips (CI always has them).
func recordingsDir(t *testing.T) string {
	t.Helper()
	d, ok := RecordingsDir()
	if !ok {
		t.Fatal("the recordings are missing from translate/testdata/recordings")
	}
	return d
}

func replay(t *testing.T, sim *Simulator, srv *httptest.Server, file string) {
	exchanges, err := LoadRecordings(filepath.Join(recordingsDir(t), file))
	if err != nil {
		t.Fatal(err)
	}
	subst := sim.Placeholders()
	for _, ex := range exchanges {
		req, err := ex.Request(srv.URL, "", subst)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != ex.Status || resp.Header.Get("Content-Type") != ex.ContentType {
			t.Errorf("%s / %s: got %d %q, recorded %d %q", file, ex.Name, resp.StatusCode, resp.Header.Get("Content-Type"), ex.Status, ex.ContentType)
		}
		if g, w := Normalise(string(got)), Normalise(ex.Body); g != w {
			t.Errorf("%s / %s: body differs\n got: %s\nwant: %s", file, ex.Name, g, w)
		}
	}
}

func TestReplayRecordings617(t *testing.T) {
	sim := New(Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	replay(t, sim, srv, "extern-rest-6.17.2.jsonl")
	replay(t, sim, srv, "ajax-rest-unchanged-6.17.2.jsonl")
}

func TestReplayRecordings581(t *testing.T) {
	sim := New(Options{Version: "5.81.1", Fixture: Fixture581})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	replay(t, sim, srv, "extern-rest-5.81.1.jsonl")
}

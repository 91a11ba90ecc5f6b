package civicrmsim

import (
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
	replayExchanges(t, sim, srv, file, exchanges)
}

func replayExchanges(t *testing.T, sim *Simulator, srv *httptest.Server, file string, exchanges []Exchange) {
	subst := sim.Placeholders()
	for _, ex := range exchanges {
		resp, got, err := ex.Send(srv.URL, "", subst)
		if err != nil {
			t.Fatal(err)
		}
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

// Every recorded answer's session headers (headers-6.17.2.jsonl): a new
// session cookie and the no-store trio on both endpoints, success or error,
// every AuthX flow; status and content type as recorded. (Bodies name the
// recorded site's contact ids; the other files check them.)
func TestReplayResponseHeaders617(t *testing.T) {
	sim := New(Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	exchanges, err := LoadRecordings(filepath.Join(recordingsDir(t), "headers-6.17.2.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(exchanges) < 10 {
		t.Fatalf("only %d exchanges in headers-6.17.2.jsonl", len(exchanges))
	}
	subst := sim.Placeholders()
	for _, ex := range exchanges {
		resp, _, err := ex.Send(srv.URL, "", subst)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != ex.Status || resp.Header.Get("Content-Type") != ex.ContentType {
			t.Errorf("%s: got %d %q, recorded %d %q", ex.Name, resp.StatusCode, resp.Header.Get("Content-Type"), ex.Status, ex.ContentType)
		}
		for _, d := range ex.HeaderDiff(resp.Header, SessionHeaders...) {
			t.Errorf("%s: %s", ex.Name, d)
		}
	}
}

// A session id the site issued resumes that session: no new cookie (as
// CiviCRM does, APIv4 obs auth-39…43); an unknown one gets a new id; the
// no-store headers come every time.
func TestSessionCookieResumes(t *testing.T) {
	sim := New(Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	call := func(cookie string) http.Header {
		req, _ := http.NewRequest("GET", srv.URL+"/civicrm/ajax/rest?entity=Contact&action=getcount&json=1", nil)
		req.Header.Set("X-Civi-Auth", "Bearer "+sim.Admin().APIKey)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("Cache-Control") != NoStoreCacheControl || resp.Header.Get("Expires") != NoStoreExpires ||
			resp.Header.Get("Pragma") != NoStorePragma {
			t.Errorf("no-store headers missing: %v", resp.Header)
		}
		return resp.Header
	}
	first := call("")
	cookies := (&http.Response{Header: first}).Cookies()
	if len(cookies) != 1 || cookies[0].Name != SessionCookie || !cookies[0].HttpOnly || cookies[0].Path != "/" {
		t.Fatalf("first answer's cookie: %q", first.Values("Set-Cookie"))
	}
	if again := call(""); again.Get("Set-Cookie") == first.Get("Set-Cookie") {
		t.Errorf("two sessions got the same id: %q", again.Get("Set-Cookie"))
	}
	if resumed := call(cookies[0].Name + "=" + cookies[0].Value); len(resumed.Values("Set-Cookie")) != 0 {
		t.Errorf("a valid session got a new cookie: %q", resumed.Values("Set-Cookie"))
	}
	if unknown := call(SessionCookie + "=0123456789abcdef0123456789abcdef"); len(unknown.Values("Set-Cookie")) != 1 {
		t.Errorf("an unknown session id got %q", unknown.Values("Set-Cookie"))
	}
}

package civicrmsim

import (
	"net/http/httptest"
	"path/filepath"
	"testing"
)

// Every APIv4 exchange recorded from CiviCRM 6.17.2 replays, in order,
// against a simulator seeded with that site's data: status, content type,
// body (ids of created rows, error ids, dates and hosts normalised as the
// recordings README allows) and the recorded response headers (session
// cookie, no-store trio, Location). A cookie the recording sends back is
// the last session the simulator issued to the replay (the login of
// auth-38 for auth-39..42).
func TestReplayAPI4Recordings(t *testing.T) {
	sim := New(Options{Fixture: FixtureAPI4})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	exchanges, err := LoadRecordings(filepath.Join(recordingsDir(t), "api4-6.17.2.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(exchanges) != 156 {
		t.Fatalf("%d exchanges in api4-6.17.2.jsonl, want 156", len(exchanges))
	}
	session := ""
	for _, ex := range exchanges {
		subst := sim.Placeholders("{SESSION_ID}", session)
		resp, got, err := ex.Send(srv.URL, "", subst)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != ex.Status || resp.Header.Get("Content-Type") != ex.ContentType {
			t.Errorf("%s: got %d %q, recorded %d %q", ex.Name, resp.StatusCode, resp.Header.Get("Content-Type"), ex.Status, ex.ContentType)
		}
		if g, w := Normalise(string(got)), Normalise(subst.Replace(ex.Body)); g != w {
			t.Errorf("%s: body differs\n got: %s\nwant: %s", ex.Name, g, w)
		}
		for _, d := range ex.HeaderDiff(resp.Header, append(SessionHeaders, "Location")...) {
			t.Errorf("%s: %s", ex.Name, d)
		}
		for _, c := range resp.Cookies() {
			if c.Name == SessionCookie {
				session = c.Value
			}
		}
	}
}

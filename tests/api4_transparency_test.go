package tests

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// api4Deviation is a recorded APIv4 exchange Civigate deliberately answers
// otherwise than CiviCRM, and what it answers instead.
type api4Deviation struct {
	status      int
	contentType string
	bodyHas     string
	why         string
}

var api4Deviations = map[string]api4Deviation{
	"route-9": {400, "application/json", "SECURITY ALERT",
		"a URL some CMS routes to APIv4 (Drupal 7 takes ?q= over the path) is judged as APIv4, so CiviCRM's CSRF rule answers; Standalone would show its home page"},
	"route-18": {400, "application/json", "malformed path",
		"an empty segment before the action: Standalone drops it, WordPress and Drupal do not, so the path is refused"},
	"auth-14":  {204, "", "", "OPTIONS is answered at the edge as a preflight; CiviCRM would run the call"},
	"write-22": {405, "application/json", "", "HEAD runs writes in CiviCRM: refused (no body)"},
	"write-23": {204, "", "", "OPTIONS runs writes in CiviCRM: answered at the edge, nothing run"},
	"write-24": {405, "application/json", "GET and POST only", "PUT runs writes in CiviCRM: refused"},
	"write-25": {405, "application/json", "GET and POST only", "DELETE runs anything in CiviCRM: refused"},
	"auth-29": {401, "text/plain;charset=UTF-8", "HTTP 401 Login not permitted. Must satisfy guard (site_key, perm).",
		"a wrong site key is refused wherever it is sent, even where CiviCRM's perm guard lets an admin through"},
	"auth-33": {200, "text/javascript;charset=UTF-8", `FATAL: Login not permitted. Must satisfy guard (site_key, perm).`,
		"the same on the legacyrest flow, in its shape"},
	"route-7": {503, "application/json", "Authentication service unavailable",
		"civicrm/authx/id is asked in the call's own form (/?q=civicrm/authx/id), which Standalone does not route (302): the credential cannot be verified on the site the call would run on"},
	"route-8": {503, "application/json", "Authentication service unavailable",
		"the same at /index.php?q=civicrm/authx/id (Standalone: 404)"},
	"auth-41": {200, "application/json", `"values":`,
		"a caller Civigate vouches for runs on its AuthX identity alone: the browser's Cookie is not forwarded, so no mismatched session"},
}

// Transparency (issue 14): every APIv4 exchange recorded from CiviCRM
// 6.17.2 replays, in order, through Civigate (real Caddy) in front of the
// simulated site, and the client gets what CiviCRM answered directly:
// status, content type and body (volatile fields normalised). The rows in
// api4Deviations are answered as listed there; each is then also sent to
// the site directly, so the site's data moves on as recorded.
func TestAPI4RecordingsThroughCivigate(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{Fixture: civicrmsim.FixtureAPI4})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
		"site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys(), "cache off", "auth {\n\t\t\tanonymous\n\t\t\tmax_failures off\n\t\t}"))
	session := ""
	seen := map[string]bool{}
	for _, ex := range api4Recordings(t) {
		name, _, _ := strings.Cut(ex.Name, " ")
		subst := sim.Placeholders("{SESSION_ID}", session)
		resp, got, err := ex.Send(inst.URL, "", subst)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range resp.Cookies() {
			if c.Name == civicrmsim.SessionCookie {
				session = c.Value
			}
		}
		g := civicrmsim.Normalise(string(got))
		ct := resp.Header.Get("Content-Type")
		if dev, ok := api4Deviations[name]; ok {
			seen[name] = true
			if resp.StatusCode != dev.status || ct != dev.contentType || !strings.Contains(g, dev.bodyHas) {
				t.Errorf("%s (%s): got %d %q %s", ex.Name, dev.why, resp.StatusCode, ct, trunc(g))
			}
			if _, _, err := ex.Send(srv.URL, "", subst); err != nil {
				t.Fatal(err)
			}
			continue
		}
		w := civicrmsim.Normalise(subst.Replace(ex.Body))
		if resp.StatusCode != ex.Status || ct != ex.ContentType || g != w {
			t.Errorf("%s:\n got %d %q %s\nwant %d %q %s", ex.Name, resp.StatusCode, ct, trunc(g), ex.Status, ex.ContentType, trunc(w))
		}
	}
	for name := range api4Deviations {
		if !seen[name] {
			t.Errorf("deviation %s matches no recording", name)
		}
	}
}

func api4Recordings(t *testing.T) []civicrmsim.Exchange {
	t.Helper()
	dir, _ := civicrmsim.RecordingsDir()
	exchanges, err := civicrmsim.LoadRecordings(filepath.Join(dir, "api4-6.17.2.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(exchanges) != 156 {
		t.Fatalf("%d APIv4 recordings, want 156", len(exchanges))
	}
	return exchanges
}

func trunc(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// Cached answers are CiviCRM's answers byte for byte: every recorded APIv4
// read replays twice through Civigate with its cache on, and the second
// answer, from the cache where the call is cacheable, is the first, which
// is what CiviCRM answered.
func TestAPI4RecordedReadsCachedByteForByte(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{Fixture: civicrmsim.FixtureAPI4})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
		"site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys(), "auth {\n\t\t\tanonymous\n\t\t\tmax_failures off\n\t\t}",
		"cache {\n\t\t\tttl 1h\n\t\t}"))
	hits := 0
	for _, ex := range api4Recordings(t) {
		name, _, _ := strings.Cut(ex.Name, " ")
		if ex.Category != "read" && ex.Category != "route" || ex.Status != 200 || api4Deviations[name].status != 0 {
			continue
		}
		subst := sim.Placeholders()
		var got [2]string
		var status [2]string
		for i := range got {
			resp, body, err := ex.Send(inst.URL, "", subst)
			if err != nil {
				t.Fatal(err)
			}
			got[i], status[i] = string(body), resp.Header.Get("Cache-Status")
			if resp.StatusCode != ex.Status || resp.Header.Get("Content-Type") != ex.ContentType {
				t.Errorf("%s (%s): %d %q", ex.Name, status[i], resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		}
		if status[1] == "Civigate; hit" {
			hits++
		}
		if got[0] != got[1] {
			t.Errorf("%s: the second answer (%s) differs from the first (%s):\n%s\n%s", ex.Name, status[1], status[0], trunc(got[1]), trunc(got[0]))
		}
		if g, w := civicrmsim.Normalise(got[1]), civicrmsim.Normalise(subst.Replace(ex.Body)); g != w {
			t.Errorf("%s (%s): not CiviCRM's answer:\n got %s\nwant %s", ex.Name, status[1], trunc(g), trunc(w))
		}
	}
	t.Logf("%d recorded reads answered from the cache", hits)
	if hits < 20 {
		t.Errorf("only %d recorded reads were answered from the cache", hits)
	}
}

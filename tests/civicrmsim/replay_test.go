package civicrmsim

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/civigate/civigate/translate"
)

const recordings = "../../../shared/recordings"

// recordingsDir finds shared/recordings (beside the repository, or
// $CIVIGATE_RECORDINGS).
func recordingsDir(t *testing.T) string {
	t.Helper()
	for _, d := range []string{os.Getenv("CIVIGATE_RECORDINGS"), recordings, "/work/shared/recordings"} {
		if d == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "extern-rest-6.17.2.jsonl")); err == nil {
			return d
		}
	}
	t.Skip("shared/recordings not found (set CIVIGATE_RECORDINGS)")
	return ""
}

type exchange struct {
	name              string
	method, rawURL    string
	form              [][2]string // in recorded order
	headers           [][2]string
	status            int
	contentType, body string
}

func loadExchanges(t *testing.T, path string) []exchange {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []exchange
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		// translate's decoder keeps the order of the form fields.
		d, err := translate.DecodeJSON(sc.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		a := d.(*translate.Array)
		req, _ := a.Get("request")
		resp, _ := a.Get("response")
		rq, rs := req.(*translate.Array), resp.(*translate.Array)
		st, _ := rs.Get("status")
		status, _ := strconv.Atoi(translate.PHPString(st))
		e := exchange{name: a.String("name"), method: rq.String("method"), rawURL: rq.String("url"),
			status: status, contentType: rs.String("content_type"), body: rs.String("body")}
		pairs := func(k string) [][2]string {
			v, _ := rq.Get(k)
			m, _ := v.(*translate.Array)
			var p [][2]string
			for i := 0; i < m.Len(); i++ {
				p = append(p, [2]string{m.Key(i), translate.PHPString(m.Value(i))})
			}
			return p
		}
		e.form, e.headers = pairs("form"), pairs("headers")
		out = append(out, e)
	}
	return out
}

// Normalised before comparing (everything else must be byte-equal):
// contact hashes and created/modified dates (they vary per run on a real
// site too), and the host in the 403 page's asset URLs. Ids and counts are
// not normalised: the fixtures hold the recorded sites' rows, and the
// 6.17.2 files are replayed in recording order against one simulator, so
// the contact created by the extern run is counted by the ajax run, as it
// was on the real site.
var (
	normHash = regexp.MustCompile(`"hash":"[0-9a-f]{32}"`)
	normDate = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`)
	normHost = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
)

func normalise(s string) string {
	s = normHash.ReplaceAllString(s, `"hash":"<hash>"`)
	s = normDate.ReplaceAllString(s, "<date>")
	return normHost.ReplaceAllString(s, "http://<host>")
}

func replay(t *testing.T, sim *Simulator, srv *httptest.Server, file string) {
	subst := strings.NewReplacer("{SITE_KEY}", sim.SiteKey(), "{API_KEY}", sim.Admin().APIKey,
		"{BAD_API_KEY}", "0123456789abcdef0123456789abcdef", "{NOUSER_API_KEY}", sim.NoUser().APIKey,
		"{ADMIN_CID}", strconv.FormatInt(sim.Admin().ContactID, 10))
	for _, ex := range loadExchanges(t, filepath.Join(recordingsDir(t), file)) {
		u, err := url.Parse(subst.Replace(ex.rawURL))
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader
		if ex.form != nil {
			var b strings.Builder
			for i, kv := range ex.form {
				if i > 0 {
					b.WriteByte('&')
				}
				b.WriteString(url.QueryEscape(kv[0]) + "=" + url.QueryEscape(subst.Replace(kv[1])))
			}
			body = strings.NewReader(b.String())
		}
		req, _ := http.NewRequest(ex.method, srv.URL+u.RequestURI(), body)
		if ex.form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for _, h := range ex.headers {
			req.Header.Set(h[0], subst.Replace(h[1]))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != ex.status || resp.Header.Get("Content-Type") != ex.contentType {
			t.Errorf("%s / %s: got %d %q, recorded %d %q", file, ex.name, resp.StatusCode, resp.Header.Get("Content-Type"), ex.status, ex.contentType)
		}
		if g, w := normalise(string(got)), normalise(ex.body); g != w {
			t.Errorf("%s / %s: body differs\n got: %s\nwant: %s", file, ex.name, g, w)
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

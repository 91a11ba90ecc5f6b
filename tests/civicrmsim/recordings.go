package civicrmsim

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/civigate/civigate/translate"
)

// Exchange is one request/response pair recorded from a live CiviCRM
// (shared/recordings/*.jsonl).
type Exchange struct {
	Name              string
	Method, URL       string
	Form              [][2]string // in recorded order
	Headers           [][2]string
	Status            int
	ContentType, Body string
}

// RecordingsDir finds the recordings: $CIVIGATE_RECORDINGS, else the
// repository's copy (translate/testdata/recordings, which a test keeps equal
// to shared/recordings), looked up from a package directory one or two
// levels below the repository root.
func RecordingsDir() (string, bool) {
	for _, d := range []string{os.Getenv("CIVIGATE_RECORDINGS"), "../translate/testdata/recordings", "../../translate/testdata/recordings"} {
		if d == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "extern-rest-6.17.2.jsonl")); err == nil {
			return d, true
		}
	}
	return "", false
}

// LoadRecordings reads one recordings file.
func LoadRecordings(path string) ([]Exchange, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Exchange
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		// translate's decoder keeps the order of the form fields.
		d, err := translate.DecodeJSON(sc.Bytes())
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		a, ok := d.(*translate.Array)
		if !ok {
			return nil, fmt.Errorf("%s: a line is not an object", path)
		}
		req, _ := a.Get("request")
		resp, _ := a.Get("response")
		rq, _ := req.(*translate.Array)
		rs, _ := resp.(*translate.Array)
		if rq == nil || rs == nil {
			return nil, fmt.Errorf("%s: %s lacks request or response", path, a.String("name"))
		}
		st, _ := rs.Get("status")
		status, _ := strconv.Atoi(translate.PHPString(st))
		e := Exchange{Name: a.String("name"), Method: rq.String("method"), URL: rq.String("url"),
			Status: status, ContentType: rs.String("content_type"), Body: rs.String("body")}
		pairs := func(k string) [][2]string {
			v, _ := rq.Get(k)
			m, _ := v.(*translate.Array)
			var p [][2]string
			for i := 0; i < m.Len(); i++ {
				p = append(p, [2]string{m.Key(i), translate.PHPString(m.Value(i))})
			}
			return p
		}
		e.Form, e.Headers = pairs("form"), pairs("headers")
		out = append(out, e)
	}
	return out, sc.Err()
}

// Placeholders replaces the recordings' secret placeholders with this
// simulator's credentials.
func (s *Simulator) Placeholders() *strings.Replacer {
	return strings.NewReplacer("{SITE_KEY}", s.SiteKey(), "{API_KEY}", s.Admin().APIKey,
		"{BAD_API_KEY}", "0123456789abcdef0123456789abcdef", "{NOUSER_API_KEY}", s.NoUser().APIKey,
		"{ADMIN_CID}", strconv.FormatInt(s.Admin().ContactID, 10))
}

// Request rebuilds the recorded request against base (scheme://host), with
// path the recorded path or, when non-empty, pathOverride.
func (e Exchange) Request(base, pathOverride string, subst *strings.Replacer) (*http.Request, error) {
	u, err := url.Parse(subst.Replace(e.URL))
	if err != nil {
		return nil, err
	}
	if pathOverride != "" {
		u.Path = pathOverride
	}
	var body io.Reader
	if e.Form != nil {
		var b strings.Builder
		for i, kv := range e.Form {
			if i > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(kv[0]) + "=" + url.QueryEscape(subst.Replace(kv[1])))
		}
		body = strings.NewReader(b.String())
	}
	req, err := http.NewRequest(e.Method, base+u.RequestURI(), body)
	if err != nil {
		return nil, err
	}
	if e.Form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, h := range e.Headers {
		req.Header.Set(h[0], subst.Replace(h[1]))
	}
	return req, nil
}

// Normalise blanks what varies between runs of a real site: contact hashes,
// created/modified dates, and the host in the 403 page's asset URLs. Ids
// and counts stay: the fixtures hold the recorded sites' rows.
func Normalise(s string) string {
	s = normHash.ReplaceAllString(s, `"hash":"<hash>"`)
	s = normDate.ReplaceAllString(s, "<date>")
	return normHost.ReplaceAllString(s, "http://<host>")
}

var (
	normHash = regexp.MustCompile(`"hash":"[0-9a-f]{32}"`)
	normDate = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`)
	normHost = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
)

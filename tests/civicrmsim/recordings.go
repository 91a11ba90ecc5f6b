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
	"time"

	"github.com/civigate/civigate/translate"
)

// Exchange is one request/response pair recorded from a live CiviCRM
// (shared/recordings/*.jsonl).
type Exchange struct {
	Name        string
	Method, URL string
	Form        [][2]string // in recorded order
	Headers     [][2]string
	// RawBody is a request body sent as is (headers-6.17.2.jsonl), of
	// type RawBodyType.
	RawBody, RawBodyType string
	Status               int
	ContentType, Body    string
	// ResponseHeaders are the answer's recorded headers, where the file
	// keeps them (headers-6.17.2.jsonl, api4-6.17.2.jsonl).
	ResponseHeaders [][2]string
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
			RawBody: rq.String("body"), RawBodyType: rq.String("content_type"),
			Status: status, ContentType: rs.String("content_type"), Body: rs.String("body")}
		// pairs reads an object, or a list of [name, value] pairs.
		pairs := func(from *translate.Array, k string) [][2]string {
			v, _ := from.Get(k)
			m, _ := v.(*translate.Array)
			var p [][2]string
			for i := 0; i < m.Len(); i++ {
				if pair, ok := m.Value(i).(*translate.Array); ok && pair.Len() == 2 {
					p = append(p, [2]string{translate.PHPString(pair.Value(0)), translate.PHPString(pair.Value(1))})
					continue
				}
				p = append(p, [2]string{m.Key(i), translate.PHPString(m.Value(i))})
			}
			return p
		}
		e.Form, e.Headers, e.ResponseHeaders = pairs(rq, "form"), pairs(rq, "headers"), pairs(rs, "headers")
		if e.ContentType == "" {
			e.ContentType = e.ResponseHeader("Content-Type")
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// ResponseHeader is the recorded answer's first value of header name (any
// case), or "".
func (e Exchange) ResponseHeader(name string) string {
	for _, h := range e.ResponseHeaders {
		if strings.EqualFold(h[0], name) {
			return h[1]
		}
	}
	return ""
}

// Placeholders replaces the recordings' secret placeholders with this
// simulator's credentials.
// {JWT} is a fresh hour-long JWT for the admin; {LIMITED_API_KEY} is ada's
// key (fixture 6.17).
func (s *Simulator) Placeholders() *strings.Replacer {
	pairs := []string{"{SITE_KEY}", s.SiteKey(), "{API_KEY}", s.Admin().APIKey,
		"{BAD_API_KEY}", "0123456789abcdef0123456789abcdef", "{NOUSER_API_KEY}", s.NoUser().APIKey,
		"{ADMIN_CID}", strconv.FormatInt(s.Admin().ContactID, 10),
		"{JWT}", s.MintJWT(s.Admin().ContactID, time.Hour)}
	if limited, _ := s.ACLUsers(); limited != nil {
		pairs = append(pairs, "{LIMITED_API_KEY}", limited.APIKey)
	}
	return strings.NewReplacer(pairs...)
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
	if e.RawBody != "" {
		body = strings.NewReader(subst.Replace(e.RawBody))
	}
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
	if e.RawBodyType != "" {
		req.Header.Set("Content-Type", e.RawBodyType)
	}
	for _, h := range e.Headers {
		req.Header.Set(h[0], subst.Replace(h[1]))
	}
	return req, nil
}

// Send rebuilds the recorded request (as Request does), sends it and reads
// the whole answer.
func (e Exchange) Send(base, pathOverride string, subst *strings.Replacer) (*http.Response, []byte, error) {
	req, err := e.Request(base, pathOverride, subst)
	if err != nil {
		return nil, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
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

package civicrmsim

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/civigate/civigate/authx"
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
	// FormEncoding is multipart/form-data when Form went as such
	// (api4-6.17.2.jsonl); empty means urlencoded.
	FormEncoding string
	// Cookies are the cookies sent back (api4-6.17.2.jsonl); a value
	// {SESSION_ID} stands for a session the replay established.
	Cookies [][2]string
	// Category groups the APIv4 records (route, batch, auth, read, write,
	// v3v4).
	Category string
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
		e.FormEncoding, e.Cookies, e.Category = rq.String("form_encoding"), pairs(rq, "cookies"), a.String("category")
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
// {JWT} is a fresh hour-long JWT for the admin; {LIMITED_API_KEY} is the
// limited user's key (FixtureAPI4), else ada's (fixture 6.17).
func (s *Simulator) Placeholders(extra ...string) *strings.Replacer {
	return strings.NewReplacer(append(s.placeholderPairs(), extra...)...)
}

func (s *Simulator) placeholderPairs() []string {
	pairs := []string{"{SITE_KEY}", s.SiteKey(), "{API_KEY}", s.Admin().APIKey,
		"{BAD_API_KEY}", "garbage_" + s.Admin().APIKey, "{NOUSER_API_KEY}", s.NoUser().APIKey,
		"{ADMIN_CID}", strconv.FormatInt(s.Admin().ContactID, 10)}
	pairs = append(pairs, s.jwtPlaceholders()...)
	limited := s.User("limited")
	if limited == nil {
		limited, _ = s.ACLUsers()
	}
	if limited != nil {
		pairs = append(pairs, "{LIMITED_API_KEY}", limited.APIKey)
	}
	return pairs
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
	multipartType := ""
	if e.Form != nil && e.FormEncoding == "multipart/form-data" {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for _, kv := range e.Form {
			if err := mw.WriteField(kv[0], subst.Replace(kv[1])); err != nil {
				return nil, err
			}
		}
		if err := mw.Close(); err != nil {
			return nil, err
		}
		body, multipartType = &b, mw.FormDataContentType()
	} else if e.Form != nil {
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
	if multipartType != "" {
		req.Header.Set("Content-Type", multipartType)
	}
	for _, c := range e.Cookies {
		req.AddCookie(&http.Cookie{Name: c[0], Value: subst.Replace(c[1])})
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
	resp, err := replayClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// replayClient returns a redirect as the answer, as it was recorded
// (api4 route-7).
var replayClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

// Normalise blanks what varies between runs of a real site: contact hashes,
// created/modified dates, APIv4 error ids, and the host in the HTML pages'
// URLs. Ids and counts stay: the fixtures hold the recorded sites' rows
// (and their next ids).
func Normalise(s string) string {
	s = normHash.ReplaceAllString(s, `"hash":"<hash>"`)
	s = normDate.ReplaceAllString(s, "<date>")
	s = normStamp.ReplaceAllString(s, `"<date>"`)
	s = normErrorID.ReplaceAllString(s, "<error-id>")
	return normHost.ReplaceAllString(s, "http://<host>")
}

var (
	normHash = regexp.MustCompile(`"hash":"[0-9a-f]{32}"`)
	normDate = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`)
	normHost = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	// APIv4: a create answers dates as YmdHis; every error has a random id.
	normStamp   = regexp.MustCompile(`"\d{14}"`)
	normErrorID = regexp.MustCompile(`\b[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}\b`)
)

// jwtPlaceholders mints the APIv4 recordings' JWTs: {JWT} the admin's for
// an hour, {EXPIRED_JWT} expired a minute ago, {BADSIG_JWT} with one
// signature bit flipped, {UNKNOWN_CID_JWT} for contact 999999.
func (s *Simulator) jwtPlaceholders() []string {
	admin := s.Admin().ContactID
	good := s.MintJWT(admin, time.Hour)
	expired, err := authx.MintCiviJWT(s.keys, admin, s.opts.Now().Add(-2*time.Minute), time.Minute)
	if err != nil {
		panic(err)
	}
	dot := strings.LastIndexByte(good, '.')
	sig, _ := base64.RawURLEncoding.DecodeString(good[dot+1:])
	sig[len(sig)/2] ^= 1
	badSig := good[:dot+1] + base64.RawURLEncoding.EncodeToString(sig)
	return []string{"{JWT}", good, "{EXPIRED_JWT}", expired, "{BADSIG_JWT}", badSig,
		"{UNKNOWN_CID_JWT}", s.MintJWT(999999, time.Hour)}
}

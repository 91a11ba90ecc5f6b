package translate

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// A request may carry many Content-Type values: Caddy's default 16 KiB of
// header holds about 400 of "multipart/form-data;boundary=N", each with a
// boundary of its own. The body is read before any credential is checked,
// and PHP reads one Content-Type only (FastCGI's first value, or Apache's
// values joined), so reading the body must cost about the same whatever
// the number of values: the edge made one multipart reader per distinct
// boundary, each reading every line of the body (an unauthenticated 4 MiB
// body of line feeds to the APIv4 route cost Civigate 23 s of CPU with
// 400 values, 0.12 s with one). Values PHP could see differently are now
// refused before the body is read (OneContentType); what is accepted is
// one value, read by one reader.
func TestBodyScannerCostDoesNotGrowWithContentTypes(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	many := make([]string, 400)
	for i := range many {
		many[i] = "multipart/form-data;boundary=" + strconv.Itoa(i)
	}
	for _, tt := range []struct {
		name   string
		values []string
		want   string // the one Content-Type
		ok     bool
	}{
		{"none", nil, "", true},
		{"one", many[:1], many[0], true},
		{"one, empty", []string{""}, "", true},
		{"the same twice", []string{form, form}, form, true},
		{"the same 400 times", slices.Repeat(many[:1], 400), many[0], true},
		{"the same, quoted boundary", []string{`multipart/form-data; boundary="B"`, `multipart/form-data; boundary="B"`}, `multipart/form-data; boundary="B"`, true},
		{"two boundaries", many[:2], "", false},
		{"400 boundaries", many, "", false},
		{"not a form, then a form", []string{"text/plain", form}, "", false},
		{"a form, then an empty one", []string{form, ""}, "", false},
		// Alone, PHP finds no closing quote and reads no form; joined
		// (Apache), the boundary runs into the second value.
		{"the same, read otherwise joined", []string{`multipart/form-data; boundary="B`, `multipart/form-data; boundary="B`}, "", false},
	} {
		ct, ok := OneContentType(tt.values)
		if ct != tt.want || ok != tt.ok {
			t.Errorf("%s: OneContentType %q %v, want %q %v", tt.name, ct, ok, tt.want, tt.ok)
		}
	}

	// The API routes refuse such a request in their own shape, with none
	// of its body read.
	for _, tt := range []struct {
		target string
		cfg    RecogniseConfig
		shape  string
	}{
		{"/civicrm/ajax/api4/Contact/get", RecogniseConfig{API4: true}, `"error_code":400`},
		{"/civicrm/ajax/rest?entity=Contact&action=get&json=1", RecogniseConfig{}, `"is_error":1`},
		{"/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1", RecogniseConfig{}, `"is_error":1`},
		{"/wp-json/civicrm/v3/rest?entity=Contact&action=get", RecogniseConfig{}, `"code":"rest_invalid_header"`},
	} {
		for _, values := range [][]string{many[:2], many} {
			body := &countingBody{r: strings.NewReader(strings.Repeat("\n", 64<<10))}
			r := httptest.NewRequest(http.MethodPost, tt.target, body)
			r.Header["Content-Type"] = values
			route, ok := Recognise(r.Method, r.URL, tt.cfg)
			if !ok {
				t.Fatalf("%s not recognised", tt.target)
			}
			c, reply := ParseEnvelope(r, route, ParseOptions{})
			switch {
			case reply == nil:
				c.Release()
				t.Errorf("%s, %d Content-Types: not refused", tt.target, len(values))
			case reply.Status != http.StatusBadRequest || !strings.Contains(string(reply.Body), "more than one Content-Type") ||
				!strings.Contains(string(reply.Body), tt.shape):
				t.Errorf("%s, %d Content-Types: %d %s, want 400 naming the problem, with %s", tt.target, len(values), reply.Status, reply.Body, tt.shape)
			case body.n != 0:
				t.Errorf("%s, %d Content-Types: %d bytes of the body read", tt.target, len(values), body.n)
			}
		}
	}
}

// countingBody counts the bytes read from it.
type countingBody struct {
	r io.Reader
	n int
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += n
	return n, err
}

package tests

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Attack corpus, issue 12 items 1 and 8: what a request costs Civigate
// before and after authentication, and how large the request it sends
// CiviCRM is. Each row names its class. Memory is measured by counting
// what the process allocates while Civigate (in this process) handles the
// one request: no timing.
func TestAttackParse(t *testing.T) {
	up := newMeasuringCiviCRM(t)
	sk := "sk-" + randomHex(t, 12)
	inst := startCaddy(t, siteCaddyfile(up.host(), "site_key "+sk, "cache off"))
	extern := inst.URL + "/sites/all/modules/civicrm/extern/rest.php"
	good := "&key=" + sk + "&api_key=" + up.apiKey

	// The body: json= holding as many empty arrays as 8 MiB take.
	const maxBody = 8 << 20
	prefix, suffix := "entity=Contact&action=get&json="+`{"a":[`, "[]]}"
	emptyArrays := func(room int) string {
		return prefix + strings.Repeat("[],", (room-len(prefix)-len(suffix))/3) + suffix
	}
	worst := emptyArrays(maxBody - 1)
	worstJSON := `{"entity":"Contact","action":"get","json":{"a":[` + strings.Repeat("[],", (maxBody-80)/3) + `[]]}}`
	nested := func(depth int) string {
		return `{"a":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + "}"
	}
	// A string of the bytes URL-encoding triples: a urlencoded upstream
	// json= would be three times its JSON.
	heavy := url.QueryEscape(`{"id":"2","note":"` + strings.Repeat(`{}[]:,\/<>`, 250_000) + `"}`)

	type row struct {
		class, method, query, ct, body string
		status                         int
		answer                         string  // a part of the answer
		maxAlloc                       float64 // bytes allocated, in units of the body's size
		maxUpstream                    float64 // upstream body ÷ its json field, 0: not checked
	}
	rows := []row{
		{class: "pre-auth decode: no credential, json= of 2.8 million empty arrays", method: "POST", query: "?json=1",
			ct: "application/x-www-form-urlencoded", body: worst, status: 200, answer: `"Failed to authenticate key"`, maxAlloc: 2},
		{class: "pre-auth decode: a wrong site key", method: "POST", query: "?json=1&key=wrong&api_key=" + up.apiKey,
			ct: "application/x-www-form-urlencoded", body: worst, status: 200, answer: `"Failed to authenticate key"`, maxAlloc: 2},
		{class: "pre-auth decode: an unknown api_key", method: "POST", query: "?json=1&key=" + sk + "&api_key=" + randomHex(t, 16),
			ct: "application/x-www-form-urlencoded", body: worst, status: 200, answer: `"ERROR: No CMS user associated with given api-key"`, maxAlloc: 2},
		{class: "pre-auth decode: the same as multipart/form-data", method: "POST", query: "?json=1",
			ct: "multipart", body: worst, status: 200, answer: `"Failed to authenticate key"`, maxAlloc: 3},
		{class: "pre-auth decode: a JSON body of 2.8 million empty arrays", method: "POST", query: "?json=1",
			ct: "application/json", body: worstJSON, status: 200, answer: `"Failed to authenticate key"`, maxAlloc: 2},
		{class: "pre-auth parse: max_input_vars fields nested max_input_nesting_level deep", method: "POST", query: "?json=1",
			ct: "application/x-www-form-urlencoded", body: strings.Repeat("a"+strings.Repeat("[]", 63)+"=x&", 1000),
			status: 200, answer: `"Failed to authenticate key"`, maxAlloc: 2},
		{class: "post-auth decode: a valid credential, 2.8 million empty arrays: over the decode budget", method: "POST", query: "?json=1" + good,
			ct: "application/x-www-form-urlencoded", body: worst, status: 413, answer: `the request's JSON is too large to decode`, maxAlloc: 2},
		{class: "post-auth decode: a valid credential, a JSON body over the decode budget", method: "POST", query: "?json=1" + good,
			ct: "application/json", body: worstJSON, status: 413, answer: `the request's JSON is too large to decode`, maxAlloc: 2},
		{class: "post-auth decode: 511 levels, as deep as PHP's json_decode goes", method: "POST", query: "?json=1" + good,
			ct: "application/x-www-form-urlencoded", body: "entity=Contact&action=get&json=" + url.QueryEscape(nested(511)),
			status: 200, answer: `"is_error":0`},
		{class: "post-auth decode: 512 levels: CiviCRM's own decode error", method: "POST", query: "?json=1" + good,
			ct: "application/x-www-form-urlencoded", body: "entity=Contact&action=get&json=" + url.QueryEscape(nested(512)),
			status: 200, answer: `{"is_error":1,"0":"error_message","1":"Unable to decode supplied JSON."}`},
		{class: "upstream amplification: 6 MiB of JSON that URL-encoding triples", method: "POST", query: "?json=1" + good,
			ct: "application/x-www-form-urlencoded", body: "entity=Contact&action=get&json=" + heavy,
			status: 200, answer: `"is_error":0`, maxUpstream: 1.01},
	}
	for _, tc := range rows {
		t.Run(tc.class, func(t *testing.T) {
			body, ct := []byte(tc.body), tc.ct
			if ct == "multipart" {
				body, ct = asMultipart(t, tc.body)
				if extra := len(body) - len(tc.body); extra > 0 {
					body, ct = asMultipart(t, emptyArrays(maxBody-1-extra))
				}
			}
			if len(body) > maxBody {
				t.Fatalf("test body of %d bytes is over the 8 MiB limit", len(body))
			}
			req, err := http.NewRequest(tc.method, extern+tc.query, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", ct)
			up.reset()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			answer, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			runtime.ReadMemStats(&after)
			alloc := float64(after.TotalAlloc - before.TotalAlloc)
			if resp.StatusCode != tc.status || !strings.Contains(string(answer), tc.answer) {
				t.Errorf("answer %d %.300s, want %d with %s", resp.StatusCode, answer, tc.status, tc.answer)
			}
			t.Logf("body %d bytes, allocated %.1f MiB (%.2f× the body)", len(body), alloc/(1<<20), alloc/float64(len(body)))
			if tc.maxAlloc > 0 && alloc > tc.maxAlloc*float64(len(body))+1<<20 {
				t.Errorf("handling the request allocated %.1f MiB, %.1f× its %d bytes (at most %.0f× + 1 MiB)",
					alloc/(1<<20), alloc/float64(len(body)), len(body), tc.maxAlloc)
			}
			if tc.maxUpstream > 0 {
				size, jsonLen := up.last()
				t.Logf("upstream body %d bytes, its json field %d", size, jsonLen)
				if jsonLen == 0 || float64(size) > tc.maxUpstream*float64(jsonLen)+1024 {
					t.Errorf("upstream body of %d bytes for %d bytes of parameters (at most %.0f%% more)", size, jsonLen, (tc.maxUpstream-1)*100)
				}
			}
		})
	}
}

func asMultipart(t *testing.T, form string) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, kv := range strings.Split(form, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	_ = mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

// measuringCiviCRM is a modern CiviCRM that knows one API key, answers
// every API call with a small success, and measures the request each
// call came as: its body's size and the size of its json field, read as
// a stream so that measuring allocates next to nothing.
type measuringCiviCRM struct {
	apiKey string
	srv    *httptest.Server

	mu             sync.Mutex
	size, jsonSize int
}

func newMeasuringCiviCRM(t *testing.T) *measuringCiviCRM {
	m := &measuringCiviCRM{apiKey: randomHex(t, 16)}
	m.srv = httptest.NewServer(m)
	t.Cleanup(m.srv.Close)
	return m
}

func (m *measuringCiviCRM) host() string { return strings.TrimPrefix(m.srv.URL, "http://") }

func (m *measuringCiviCRM) reset() {
	m.mu.Lock()
	m.size, m.jsonSize = 0, 0
	m.mu.Unlock()
}

func (m *measuringCiviCRM) last() (size, jsonSize int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.size, m.jsonSize
}

func (m *measuringCiviCRM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Civi-Auth") != "Bearer "+m.apiKey {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, "HTTP 401 Invalid credential")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/civicrm/authx/id" {
		_, _ = io.WriteString(w, `{"contact_id":2,"user_id":1,"flow":"xheader","cred":"api_key"}`)
		return
	}
	counted := &countingReader{r: r.Body}
	jsonSize := 0
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		mr := multipart.NewReader(counted, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			n, _ := io.Copy(io.Discard, p)
			if p.FormName() == "json" {
				jsonSize = int(n)
			}
		}
	} else if mt == "application/x-www-form-urlencoded" {
		b, _ := io.ReadAll(counted)
		v, _ := url.ParseQuery(string(b))
		jsonSize = len(v.Get("json"))
	} else if v := r.URL.Query().Get("json"); v != "" {
		jsonSize = len(v)
	}
	_, _ = io.Copy(io.Discard, counted)
	m.mu.Lock()
	m.size, m.jsonSize = counted.n+len(r.URL.RawQuery), jsonSize
	m.mu.Unlock()
	_, _ = fmt.Fprint(w, `{"is_error":0,"version":3,"count":0,"values":[]}`)
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

package caddymodule

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/civigate/civigate/internal/bodytest"
)

// upstreamRecord is what a next handler that reads the body as an upstream
// would saw of it.
type upstreamRecord struct {
	body     bytes.Buffer
	hash     [sha256.Size]byte
	n        int64
	complete bool // the body read ended at io.EOF
	readErr  error
}

// reading is a next handler that reads the whole body (keeping the first
// keep bytes, hashing all), then answers "upstream"; a body read error is
// returned as reverse_proxy returns one (a 502).
func reading(rec *upstreamRecord, keep int) caddyhttp.Handler {
	return caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(h, &limitedWriter{&rec.body, keep}), r.Body)
		rec.n, rec.readErr, rec.complete = n, err, err == nil
		h.Sum(rec.hash[:0])
		if err != nil {
			return caddyhttp.Error(http.StatusBadGateway, err)
		}
		w.Header().Set("Content-Type", "text/plain")
		_, err = io.WriteString(w, "upstream")
		return err
	})
}

type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if k := min(len(p), l.n); k > 0 {
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

func unrecognisedHandler(t *testing.T) *Handler {
	h := &Handler{SiteKey: testSiteKey, Cache: &CacheConfig{Off: true}, MaxBodyBytes: 1 << 20}
	provisionBench(t, h)
	return h
}

func postRequest(target, ct string, body io.Reader, length int64) *http.Request {
	r := benchRequest(target, http.Header{"Content-Type": {ct}})
	r.Method = http.MethodPost
	r.Body = io.NopCloser(body)
	r.ContentLength = length
	return r
}

// A 50 MiB upload to a WordPress page goes on whole and unchanged, past
// max_body_size, while Civigate holds a small constant amount of memory
// for it (not the body: the old check read it whole).
func TestUnrecognisedUploadStreams(t *testing.T) {
	h := unrecognisedHandler(t)
	const size = 50 << 20
	want := sha256.New()
	n, _ := io.Copy(want, bodytest.Upload(size, ""))
	rec := &upstreamRecord{}
	next := reading(rec, 0)
	w := httptest.NewRecorder()
	r := postRequest("/wp-admin/async-upload.php", bodytest.ContentType, bodytest.Upload(size, ""), n)

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := h.ServeHTTP(w, r, next)
	runtime.ReadMemStats(&after)

	if err != nil || w.Code != http.StatusOK || w.Body.String() != "upstream" {
		t.Fatalf("answered %d %q, %v", w.Code, w.Body, err)
	}
	if !rec.complete || rec.n != n || rec.hash != [sha256.Size]byte(want.Sum(nil)) {
		t.Fatalf("upstream got %d of %d bytes (complete %v), hash differs: %v", rec.n, n, rec.complete, rec.hash != [sha256.Size]byte(want.Sum(nil)))
	}
	// Everything the request allocated, test handler included: a few
	// buffers, not the 50 MiB body.
	alloc := after.TotalAlloc - before.TotalAlloc
	if alloc > 2<<20 {
		t.Errorf("a %d MiB upload allocated %d KiB", size>>20, alloc>>10)
	}
	t.Logf("a %d MiB upload allocated %d KiB", size>>20, alloc>>10)
}

// A routing parameter after a large body is refused with Civigate's 400;
// the next handler's body read fails, and what it read before carries no
// routing parameter.
func TestUnrecognisedRoutingAtTheEnd(t *testing.T) {
	h := unrecognisedHandler(t)
	for _, tt := range []struct{ name, ct, body, secret string }{
		{"urlencoded", "application/x-www-form-urlencoded", strings.Repeat("padding=xxxxxxxx&", 1<<16) + "rest_route=/civicrm/v3/rest/", "/civicrm/v3/rest"},
		{"multipart", "multipart/form-data; boundary=XyZ", "", "civicrm/ajax/rest"},
	} {
		body := io.Reader(strings.NewReader(tt.body))
		length := int64(len(tt.body))
		if tt.body == "" {
			tail := "--XyZ\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\ncivicrm/ajax/rest/x\r\n"
			length, body = bodytest.UploadSize(1<<20, tail), bodytest.Upload(1<<20, tail)
		}
		rec := &upstreamRecord{}
		w := httptest.NewRecorder()
		err := h.ServeHTTP(w, postRequest("/", tt.ct, body, length), reading(rec, 4<<20))
		if err != nil || w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "malformed path to the CiviCRM API") {
			t.Errorf("%s: answered %d %q, %v", tt.name, w.Code, w.Body, err)
		}
		if rec.complete || !errors.Is(rec.readErr, errRoutesThroughBody) || rec.n == 0 {
			t.Errorf("%s: the next handler read %d bytes, complete %v, %v", tt.name, rec.n, rec.complete, rec.readErr)
		}
		if bytes.Contains(rec.body.Bytes(), []byte(tt.secret)) {
			t.Errorf("%s: the routing value went on", tt.name)
		}
	}
}

// An upstream that answers before the body ended (before PHP could run)
// has its answer held back: when the body turns out to route, the client
// gets Civigate's refusal and nothing of that answer.
func TestUnrecognisedEarlyAnswerHeld(t *testing.T) {
	h := unrecognisedHandler(t)
	body := strings.Repeat("padding=xxxxxxxx&", 1<<13) + "q=civicrm/ajax/rest"
	for _, size := range []int{10, gateHold + 1} {
		early := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("X-Upstream", "early")
			w.WriteHeader(http.StatusAccepted)
			w.Write(bytes.Repeat([]byte("e"), size))
			http.NewResponseController(w).Flush()
			if _, err := io.Copy(io.Discard, r.Body); err != nil {
				panic(http.ErrAbortHandler) // as reverse_proxy does when the answer breaks off
			}
			return nil
		})
		w := httptest.NewRecorder()
		var panicked any
		func() {
			defer func() { panicked = recover() }()
			h.ServeHTTP(w, postRequest("/", "application/x-www-form-urlencoded", strings.NewReader(body), int64(len(body))), early)
		}()
		if size <= gateHold {
			if panicked != nil || w.Code != http.StatusBadRequest || w.Header().Get("X-Upstream") != "" || strings.Contains(w.Body.String(), "eeeeeeeeee") {
				t.Errorf("held answer: %d %v %q, panic %v", w.Code, w.Header(), w.Body, panicked)
			}
			continue
		}
		// Past gateHold the answer went out: the client must see it cut.
		if panicked != http.ErrAbortHandler {
			t.Errorf("an answer under way was not cut: panic %v, answered %d", panicked, w.Code)
		}
	}
}

// A client that goes away part-way: the next handler's read fails too (no
// end of body), and what went on carries no routing parameter.
func TestUnrecognisedClientGoesAway(t *testing.T) {
	h := unrecognisedHandler(t)
	sent := strings.Repeat("padding=xxxxxxxx&", 1<<13) + "q=civicrm/ajax/rest"
	body := io.MultiReader(strings.NewReader(sent), errReader{io.ErrUnexpectedEOF})
	rec := &upstreamRecord{}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, postRequest("/", "application/x-www-form-urlencoded", body, int64(len(sent)+100)), reading(rec, 1<<20))
	if rec.complete || rec.readErr == nil || bytes.Contains(rec.body.Bytes(), []byte("civicrm")) {
		t.Errorf("the next handler read %d bytes (complete %v, %v): %q", rec.n, rec.complete, rec.readErr, tail(rec.body.String()))
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func tail(s string) string {
	if len(s) > 60 {
		return "…" + s[len(s)-60:]
	}
	return s
}

// A small body is judged before anything goes on: one that routes never
// reaches the next handler, one that does not reaches it unchanged.
func TestUnrecognisedSmallBody(t *testing.T) {
	h := unrecognisedHandler(t)
	for _, tt := range []struct {
		body   string
		routes bool
	}{
		{"a=1&rest_route=/civicrm/v3/rest", true},
		{"log=admin&pwd=secret&q=node", false},
	} {
		rec := &upstreamRecord{}
		called := false
		next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			called = true
			return reading(rec, 1<<10).ServeHTTP(w, r)
		})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, postRequest("/", "application/x-www-form-urlencoded", strings.NewReader(tt.body), int64(len(tt.body))), next)
		switch {
		case tt.routes && (called || w.Code != http.StatusBadRequest):
			t.Errorf("%q: answered %d, next called %v", tt.body, w.Code, called)
		case !tt.routes && (!called || rec.body.String() != tt.body || w.Code != http.StatusOK):
			t.Errorf("%q: answered %d, next got %q", tt.body, w.Code, rec.body.String())
		}
	}
}

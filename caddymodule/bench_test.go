package caddymodule

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/headers"

	"github.com/civigate/civigate/translate"
)

// The benchmarks measure what the civicrm handler adds to a request that
// CiviCRM answers: BenchmarkUpstreamOnly is the route behind it alone (a
// handler answering the recorded 8 KiB Contact.get), the others are the
// handler in front of that route. Their difference is Civigate's own cost;
// `make loadtest` measures the same on real processes.

var benchBody = func() []byte {
	b, err := os.ReadFile("../tests/loadtest/contact_get.json")
	if err != nil {
		panic(err)
	}
	return b
}()

// benchBodyV4 is CiviCRM 6.17.2's APIv4 Contact.get answer for contact 2
// (the load test's contactGetV4).
var benchBodyV4 = []byte(`{"values":[{"id":2,"display_name":"Standalone Admin"}],"entity":"Contact","action":"get","debug":null,"version":4,"count":1,"countFetched":1}`)

// benchUpstream answers like CiviCRM: authx/id for the API key, the body for
// every APIv3 call, benchBodyV4 for every APIv4 call.
func benchUpstream(apiKey string) caddyhttp.Handler {
	return caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if r.URL.Path == "/civicrm/authx/id" || r.URL.Query().Get("q") == "civicrm/authx/id" { // a clean or a verbose endpoint's
			if r.Header.Get("X-Civi-Auth") != "Bearer "+apiKey {
				w.WriteHeader(http.StatusUnauthorized)
				return nil
			}
			w.Header().Set("Content-Type", "application/json")
			_, err := io.WriteString(w, `{"contact_id":2,"user_id":1,"flow":"xheader","cred":"api_key"}`)
			return err
		}
		body := benchBody
		if strings.HasPrefix(r.URL.Path, "/civicrm/ajax/api4/") {
			body = benchBodyV4
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, err := w.Write(body)
		return err
	})
}

func benchKey(tb testing.TB) string {
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(raw)
}

// testSiteKey is a site key for tests whose requests do not send one:
// every handler needs a site key to provision (checkSiteKey).
const testSiteKey = "civigate-test-site-key"

func provisionBench(tb testing.TB, h *Handler) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	tb.Cleanup(cancel)
	if err := h.Provision(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = h.Cleanup() })
}

// benchRequest is a request as Caddy's server hands it to handlers: with
// its replacer, its variables (the client address from RemoteAddr, no
// trusted proxy) and its server in the context; a server without access
// logs, as the load test's and make run's sites are (setLogUserID then
// sets nothing for the log).
func benchRequest(target string, header http.Header) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	ctx := context.WithValue(r.Context(), caddy.ReplacerCtxKey, caddy.NewReplacer())
	ip, _, _ := strings.Cut(r.RemoteAddr, ":")
	ctx = context.WithValue(ctx, caddyhttp.VarsCtxKey, map[string]any{caddyhttp.ClientIPVarKey: ip, caddyhttp.TrustedProxyVarKey: false})
	ctx = context.WithValue(ctx, caddyhttp.ServerCtxKey, &caddyhttp.Server{})
	return r.WithContext(ctx)
}

// serveBench serves target over and over and checks every answer: 200
// with want (nil: the recorded body). b.ReportAllocs reports the
// allocations per request, the harness's own included: a replacer with
// the HTTP placeholders added to it and the request's shallow copy
// carrying it, as Caddy's server makes per request, and the header map
// (with Caddy's Server header) and its snapshot net/http's response makes
// (benchWriter). The request is parsed once, outside the loop, so what
// is measured is the handlers, not httptest.
func serveBench(b *testing.B, target string, header http.Header, serve func(w http.ResponseWriter, r *http.Request) error, want []byte) {
	if want == nil {
		want = benchBody
	}
	base := benchRequest(target, header)
	w := &benchWriter{}
	b.ReportAllocs()
	b.SetBytes(int64(len(want)))
	cpu := processCPU()
	for b.Loop() {
		w.reset()
		r := base.WithContext(context.WithValue(base.Context(), caddy.ReplacerCtxKey, newBenchReplacer()))
		if err := serve(w, r); err != nil {
			b.Fatal(err)
		}
		if w.status != http.StatusOK || !bytes.Equal(w.body, want) {
			b.Fatalf("answered %d with %.200q", w.status, w.body)
		}
	}
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
}

// newBenchReplacer is a request's replacer as Caddy's server hands it to
// handlers: with the HTTP placeholders mapped (addHTTPVarsToReplacer),
// which grows its list of providers once.
func newBenchReplacer() *caddy.Replacer {
	repl := caddy.NewReplacer()
	repl.Map(func(string) (any, bool) { return nil, false })
	return repl
}

// processCPU is the CPU time the process has used, in nanoseconds, the
// garbage collector's included. On a machine shared with other work,
// CPU per request moves less than the wall-clock ns/op.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// benchWriter is the part of net/http's response a handler's cost depends
// on: a fresh header map per request, cloned when the header is written,
// and the body written to a buffer (reused, so only the handler's own
// copies count).
type benchWriter struct {
	header, sent http.Header
	status       int
	body         []byte
}

func (w *benchWriter) reset() {
	w.header, w.sent, w.status, w.body = nil, nil, 0, w.body[:0]
}

func (w *benchWriter) Header() http.Header {
	if w.header == nil {
		w.header = make(http.Header)
		w.header["Server"] = benchServer // Caddy's server sets it on every answer
	}
	return w.header
}

var benchServer = []string{"Caddy"}

func (w *benchWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status, w.sent = status, w.header.Clone()
	}
}

func (w *benchWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.body = append(w.body, p...)
	return len(p), nil
}

func BenchmarkUpstreamOnly(b *testing.B) {
	key := benchKey(b)
	next := benchUpstream(key)
	serveBench(b, "/civicrm/ajax/rest?entity=Contact&action=get&json=%7B%22id%22%3A%222%22%7D",
		http.Header{"X-Civi-Auth": {"Bearer " + key}}, next.ServeHTTP, nil)
}

// BenchmarkCaddyRespond is the loadtest's baseline for hits: Caddy's
// respond with the recorded body (and the header directive's
// Content-Type), through Caddy's replacer like every request.
func BenchmarkCaddyRespond(b *testing.B) {
	respondBench(b, legacyTarget("site-key", "api-key", ""), nil, benchBody)
}

// BenchmarkCaddyRespondAPI4 is the loadtest's baseline for APIv4 hits
// (BenchmarkAPI4MemoryHit): respond with the APIv4 body.
func BenchmarkCaddyRespondAPI4(b *testing.B) {
	respondBench(b, api4BenchTarget, http.Header{"X-Civi-Auth": {"Bearer api-key"}, "X-Civi-Key": {"site-key"}}, benchBodyV4)
}

// The floor of an APIv4 answer: a handler that only writes the body,
// with the header of a Civigate hit (writeAnswer: answerHeader, the
// Content-Type and Cache-Status, eight entries with Caddy's Server) or
// with respond's (the Content-Type, two entries). BenchmarkAPI4MemoryHit
// less the first is what finding the hit costs; the first less the second
// is what the six more header entries cost in the server (growing the
// map, net/http's Clone of it; the harness does not write them out as
// net/http does, which costs the load test more per entry).
func BenchmarkAnswerFloorAPI4HitHeader(b *testing.B) {
	reply := translate.Reply{Status: http.StatusOK, ContentType: "application/json", Body: benchBodyV4}
	serveBench(b, api4BenchTarget, nil, func(w http.ResponseWriter, r *http.Request) error {
		return writeAnswer(w, r, reply, "", "Civigate; hit")
	}, benchBodyV4)
}

func BenchmarkAnswerFloorAPI4RespondHeader(b *testing.B) {
	serveBench(b, api4BenchTarget, nil, func(w http.ResponseWriter, r *http.Request) error {
		w.Header()["Content-Type"] = []string{"application/json"}
		_, err := w.Write(benchBodyV4)
		return err
	}, benchBodyV4)
}

func respondBench(b *testing.B, target string, header http.Header, body []byte) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	b.Cleanup(cancel)
	hdr := &headers.Handler{Response: &headers.RespHeaderOps{HeaderOps: &headers.HeaderOps{Set: http.Header{"Content-Type": {"application/json"}}}}}
	if err := hdr.Provision(ctx); err != nil {
		b.Fatal(err)
	}
	respond := caddyhttp.StaticResponse{Body: string(body)}
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error { return respond.ServeHTTP(w, r, nil) })
	serveBench(b, target, header, func(w http.ResponseWriter, r *http.Request) error { return hdr.ServeHTTP(w, r, next) }, body)
}

// legacyBench measures the civicrm handler h in front of benchUpstream
// for an extern/rest.php call (extra is added to its query), with what
// it must answer (nil: the recorded body).
func legacyBench(b *testing.B, h *Handler, extra string, want []byte, reset func()) {
	key, site := benchKey(b), benchKey(b)
	h.SiteKey = site
	provisionBench(b, h)
	next := benchUpstream(key)
	serve := func(w http.ResponseWriter, r *http.Request) error { return h.ServeHTTP(w, r, next) }
	target := legacyTarget(site, key, extra)
	if want == nil && extra != "" {
		// Rendered by the handler itself, caching off: what every hit
		// must answer byte for byte.
		off := &Handler{SiteKey: site, Cache: &CacheConfig{Off: true}}
		provisionBench(b, off)
		w := httptest.NewRecorder()
		if err := off.ServeHTTP(w, benchRequest(target, nil), next); err != nil || w.Code != 200 {
			b.Fatalf("uncached answer: %v %d", err, w.Code)
		}
		want = w.Body.Bytes()
	}
	if reset != nil {
		inner := serve
		serve = func(w http.ResponseWriter, r *http.Request) error { reset(); return inner(w, r) }
	}
	serveBench(b, target, nil, serve, want)
}

func BenchmarkLegacyCacheOff(b *testing.B) {
	legacyBench(b, &Handler{Cache: &CacheConfig{Off: true}}, "", nil, nil)
}

// BenchmarkLegacyMemoryHit is a client repeating its call: a prepared
// request (prepared.go) answered from the memory cache.
func BenchmarkLegacyMemoryHit(b *testing.B) {
	legacyBench(b, &Handler{}, "", nil, nil)
}

// BenchmarkLegacyMemoryHitUnprepared is the same hit with every step
// before the cache run (recognise, parse, authenticate, police, key).
func BenchmarkLegacyMemoryHitUnprepared(b *testing.B) {
	h := &Handler{}
	legacyBench(b, h, "", nil, func() {
		h.prepared.mu.Lock()
		clear(h.prepared.m)
		h.prepared.mu.Unlock()
	})
}

// BenchmarkLegacyXMLMemoryHit: an XML client served from the JSON entry.
func BenchmarkLegacyXMLMemoryHit(b *testing.B) {
	legacyBench(b, &Handler{}, "&json=0", nil, nil)
}

// BenchmarkLegacyRedisHit needs a Redis at REDIS_URL (default
// redis://127.0.0.1:6379); the hit's entry and generations come from it.
func BenchmarkLegacyRedisHit(b *testing.B) {
	u := os.Getenv("REDIS_URL")
	if u == "" {
		u = "redis://127.0.0.1:6379"
	}
	legacyBench(b, &Handler{Redis: u, RedisPrefix: "civigate-bench-" + benchKey(b)[:8] + ":"}, "", nil, nil)
}

// api4BenchTarget is the load test's APIv4 read (api4URL).
const api4BenchTarget = "/civicrm/ajax/api4/Contact/get?params=%7B%22select%22%3A%5B%22id%22%2C%22display_name%22%5D%2C%22where%22%3A%5B%5B%22id%22%2C%22%3D%22%2C2%5D%5D%7D"

func BenchmarkAPI4MemoryHit(b *testing.B) {
	api4Bench(b, &Handler{})
}

// BenchmarkAPI4CacheOff is an APIv4 read forwarded as sent, with
// Civigate's X-Civi-Auth and X-Civi-Key.
func BenchmarkAPI4CacheOff(b *testing.B) {
	api4Bench(b, &Handler{Cache: &CacheConfig{Off: true}})
}

// api4Bench measures the civicrm handler h in front of benchUpstream for
// an APIv4 Contact.get with an API key and the site key in headers.
func api4Bench(b *testing.B, h *Handler) {
	key, site := benchKey(b), benchKey(b)
	h.SiteKey = site
	provisionBench(b, h)
	next := benchUpstream(key)
	serveBench(b, api4BenchTarget, http.Header{"X-Civi-Auth": {"Bearer " + key}, "X-Civi-Key": {site}},
		func(w http.ResponseWriter, r *http.Request) error { return h.ServeHTTP(w, r, next) }, benchBodyV4)
}

// BenchmarkPreparedKey is what every request pays to be looked up as a
// prepared request: its key (the load test's APIv4 read, with its AuthX
// headers).
func BenchmarkPreparedKey(b *testing.B) {
	r := benchRequest(api4BenchTarget, http.Header{"X-Civi-Auth": {"Bearer " + benchKey(b)}, "X-Civi-Key": {benchKey(b)}})
	b.ReportAllocs()
	var room [preparedKeyRoom]byte
	cpu := processCPU()
	for b.Loop() {
		if preparedKey(room[:0], r) == nil {
			b.Fatal("no key")
		}
	}
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkKeptPlanHeader is what a repeated call forwarded to CiviCRM
// (caching off, a miss, a write) pays for its outbound header once its
// prepared request keeps the plan (forwardMemo): a map of its own (next
// may change it in place), its values in the forwarding's room. The load
// test's APIv4 read, with its two AuthX headers.
func BenchmarkKeptPlanHeader(b *testing.B) {
	key, site := benchKey(b), benchKey(b)
	h := &Handler{SiteKey: site, Cache: &CacheConfig{Off: true}}
	provisionBench(b, h)
	next := benchUpstream(key)
	header := http.Header{"X-Civi-Auth": {"Bearer " + key}, "X-Civi-Key": {site}}
	for range 2 { // prepared, then forwarded with the plan kept
		if err := h.ServeHTTP(httptest.NewRecorder(), benchRequest(api4BenchTarget, header), next); err != nil {
			b.Fatal(err)
		}
	}
	h.prepared.mu.RLock()
	var p *prepared
	for _, e := range h.prepared.m {
		p = e
	}
	h.prepared.mu.RUnlock()
	if p == nil || p.fwd.last.Load() == nil {
		b.Fatal("no kept plan")
	}
	r := benchRequest(api4BenchTarget, header)
	var room [8]string
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		_, out, err := h.plan(r, p.call, p.principal, &p.fwd, room[:0])
		if err != nil || len(out) != 2 {
			b.Fatalf("%v %v", out, err)
		}
	}
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
}

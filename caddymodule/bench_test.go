package caddymodule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
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

// benchUpstream answers like CiviCRM: authx/id for the API key, the body for
// every API call.
func benchUpstream(apiKey string) caddyhttp.Handler {
	return caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if r.URL.Path == "/civicrm/authx/id" {
			if r.Header.Get("X-Civi-Auth") != "Bearer "+apiKey {
				w.WriteHeader(http.StatusUnauthorized)
				return nil
			}
			w.Header().Set("Content-Type", "application/json")
			_, err := io.WriteString(w, `{"contact_id":2,"user_id":1,"flow":"xheader","cred":"api_key"}`)
			return err
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(benchBody)))
		_, err := w.Write(benchBody)
		return err
	})
}

func benchKey(b *testing.B) string {
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		b.Fatal(err)
	}
	return hex.EncodeToString(raw)
}

func provisionBench(b testing.TB, h *Handler) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	b.Cleanup(cancel)
	if err := h.Provision(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = h.Cleanup() })
}

// benchRequest is a request as Caddy's server hands it to handlers: with
// its replacer in the context.
func benchRequest(target string, header http.Header) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	ctx := context.WithValue(r.Context(), caddy.ReplacerCtxKey, caddy.NewReplacer())
	return r.WithContext(ctx)
}

func serveBench(b *testing.B, target string, header http.Header, serve func(w http.ResponseWriter, r *http.Request) error) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		w := httptest.NewRecorder()
		if err := serve(w, benchRequest(target, header)); err != nil {
			b.Fatal(err)
		}
		if w.Code != http.StatusOK || w.Body.Len() != len(benchBody) {
			b.Fatalf("answered %d with %d bytes", w.Code, w.Body.Len())
		}
	}
}

func BenchmarkUpstreamOnly(b *testing.B) {
	key := benchKey(b)
	next := benchUpstream(key)
	serveBench(b, "/civicrm/ajax/rest?entity=Contact&action=get&json=%7B%22id%22%3A%222%22%7D",
		http.Header{"X-Civi-Auth": {"Bearer " + key}}, next.ServeHTTP)
}

func BenchmarkLegacyCacheOff(b *testing.B) {
	key := benchKey(b)
	site := benchKey(b)
	h := &Handler{SiteKey: site, Cache: &CacheConfig{Off: true}}
	provisionBench(b, h)
	next := benchUpstream(key)
	serveBench(b, "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&key="+site+"&api_key="+key+"&id=2",
		nil, func(w http.ResponseWriter, r *http.Request) error { return h.ServeHTTP(w, r, next) })
}

func BenchmarkLegacyMemoryHit(b *testing.B) {
	key := benchKey(b)
	site := benchKey(b)
	h := &Handler{SiteKey: site}
	provisionBench(b, h)
	next := benchUpstream(key)
	serveBench(b, "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&key="+site+"&api_key="+key+"&id=2",
		nil, func(w http.ResponseWriter, r *http.Request) error { return h.ServeHTTP(w, r, next) })
}

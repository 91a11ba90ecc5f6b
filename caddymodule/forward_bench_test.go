package caddymodule

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy"
)

// The proxied benchmarks are the load test's cache-off rows (a) and (g)
// in one process: Caddy's reverse_proxy to a CiviCRM stub on loopback
// TCP, with and without the civicrm handler in front. What the handler
// changes in the proxy's and the stub's work (the headers it sends, the
// request it hands on) counts too, which the benchmarks in front of a
// plain handler (BenchmarkLegacyCacheOff) do not see. cpu-ns/op is the
// whole process's: handler, proxy and stub.

// proxyStub answers like the load test's stub: CiviCRM's session cookie
// and no-cache headers on every API answer.
func proxyStub(tb testing.TB, apiKey string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := benchBody
		switch r.URL.Path {
		case "/civicrm/authx/id":
			if r.Header.Get("X-Civi-Auth") != "Bearer "+apiKey {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"contact_id":2,"user_id":1,"flow":"xheader","cred":"api_key"}`))
			return
		case "/civicrm/ajax/api4/Contact/get":
			body = benchBodyV4
		}
		h := w.Header()
		h.Set("Set-Cookie", "SESSCIVISO=0123456789abcdef0123456789abcdef; path=/; HttpOnly")
		h.Set("Cache-Control", "no-store, no-cache, must-revalidate")
		h.Set("Expires", "Thu, 19 Nov 1981 08:52:00 GMT")
		h.Set("Pragma", "no-cache")
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	})}
	go func() { _ = srv.Serve(l) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return l.Addr().String()
}

// proxyTo is a provisioned reverse_proxy to addr.
func proxyTo(tb testing.TB, addr string) caddyhttp.Handler {
	// reverse_proxy provisions in a running configuration's context (it
	// asks for the events app).
	if err := caddy.Load([]byte(`{"admin":{"disabled":true,"config":{"persist":false}}}`), true); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = caddy.Stop() })
	ctx := caddy.ActiveContext()
	rp := &reverseproxy.Handler{Upstreams: reverseproxy.UpstreamPool{{Dial: addr}}}
	if err := rp.Provision(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = rp.Cleanup() })
	return caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return rp.ServeHTTP(w, r, caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil }))
	})
}

// proxiedBench serves target through the civicrm handler h (nil: the
// proxy alone) in front of reverse_proxy to the stub.
func proxiedBench(b *testing.B, h *Handler, target func(site, key string) (string, http.Header), want []byte) {
	key, site := benchKey(b), benchKey(b)
	next := proxyTo(b, proxyStub(b, key))
	serve := next.ServeHTTP
	if h != nil {
		h.SiteKey = site
		provisionBench(b, h)
		serve = func(w http.ResponseWriter, r *http.Request) error { return h.ServeHTTP(w, r, next) }
	}
	inner := serve
	serve = func(w http.ResponseWriter, r *http.Request) error { return inner(w, prepReq(r, w)) }
	t, header := target(site, key)
	if want == nil {
		want = benchBody
	}
	// 32 requests in flight, as the load test's wrk keeps: one at a time,
	// waking the proxy's and the stub's goroutines for each would be most
	// of the cost.
	base := benchRequest(t, header)
	// One call first, as the load test checks each side before loading
	// it: the credential is verified once, not by 32 callers at once.
	if w := httptest.NewRecorder(); serve(w, benchRequest(t, header)) != nil || w.Code != http.StatusOK {
		b.Fatalf("first call answered %d %q", w.Code, w.Body)
	}
	b.ReportAllocs()
	b.SetParallelism(32)
	cpu := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		w := &benchWriter{}
		for pb.Next() {
			w.reset()
			r := base.WithContext(context.WithValue(base.Context(), caddy.ReplacerCtxKey, caddy.NewReplacer()))
			if err := serve(w, r); err != nil {
				b.Error(err)
				return
			}
			if w.status != http.StatusOK || !bytes.Equal(w.body, want) {
				b.Errorf("answered %d with %.200q", w.status, w.body)
				return
			}
		}
	})
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkProxiedLegacyCacheOff is row (a)'s Civigate side.
func BenchmarkProxiedLegacyCacheOff(b *testing.B) {
	proxiedBench(b, &Handler{Cache: &CacheConfig{Off: true}}, func(site, key string) (string, http.Header) {
		return legacyTarget(site, key, ""), nil
	}, nil)
}

// BenchmarkProxiedModern is row (a)'s baseline: the modern call through
// reverse_proxy alone.
func BenchmarkProxiedModern(b *testing.B) {
	proxiedBench(b, nil, func(site, key string) (string, http.Header) {
		return "/civicrm/ajax/rest?entity=Contact&action=get&json=%7B%22id%22%3A%222%22%7D",
			http.Header{"X-Civi-Auth": {"Bearer " + key}}
	}, nil)
}

// BenchmarkProxiedAPI4CacheOff is row (g)'s Civigate side.
func BenchmarkProxiedAPI4CacheOff(b *testing.B) {
	proxiedBench(b, &Handler{Cache: &CacheConfig{Off: true}}, func(site, key string) (string, http.Header) {
		return api4BenchTarget, http.Header{"X-Civi-Auth": {"Bearer " + key}, "X-Civi-Key": {site}}
	}, benchBodyV4)
}

// BenchmarkProxiedAPI4 is row (g)'s baseline.
func BenchmarkProxiedAPI4(b *testing.B) {
	proxiedBench(b, nil, func(site, key string) (string, http.Header) {
		return api4BenchTarget, http.Header{"X-Civi-Auth": {"Bearer " + key}, "X-Civi-Key": {site}}
	}, benchBodyV4)
}

// prepReq is r with the context Caddy's server gives a request (client
// address, original request, variables), which the proxy reads.
func prepReq(r *http.Request, w http.ResponseWriter) *http.Request {
	repl, _ := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	return caddyhttp.PrepareRequest(r, repl, w, &caddyhttp.Server{})
}

package caddymodule

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// sentUpstream is what the route behind Civigate was handed.
type sentUpstream struct {
	method, requestURI, url, origURI, origURL string
	header                                    http.Header
	body                                      string
}

// recordingUpstream answers like benchUpstream and notes every API request
// it gets; then, as a handler later in the route may (request_header in a
// route block), it changes the request's header in place.
func recordingUpstream(key string, sent *[]sentUpstream) caddyhttp.Handler {
	inner := benchUpstream(key)
	return caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if r.URL.Path != "/civicrm/authx/id" {
			body, _ := io.ReadAll(r.Body)
			orig, _ := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request)
			*sent = append(*sent, sentUpstream{
				method: r.Method, requestURI: r.RequestURI, url: r.URL.String(),
				origURI: orig.RequestURI, origURL: orig.URL.String(),
				header: r.Header.Clone(), body: string(body),
			})
			r.Header.Set("X-Changed-Later", "1")
			r.Header.Del("X-Civi-Auth")
			r.Header["User-Agent"][0] = "rewritten in place"
		}
		return inner.ServeHTTP(w, r)
	})
}

// A prepared request forwarded again (caching off) sends CiviCRM exactly
// what its first forward sent, however a later handler changed the
// request it was handed: the kept plan's header is never handed on.
func TestForwardedRepeatSendsTheSameRequest(t *testing.T) {
	key, site := benchKey(t), benchKey(t)
	h := &Handler{SiteKey: site, Cache: &CacheConfig{Off: true}}
	provisionBench(t, h)
	var sent []sentUpstream
	next := recordingUpstream(key, &sent)
	for _, c := range []struct {
		name, target string
		header       http.Header
		want         []byte
	}{
		{"legacy", legacyTarget(site, key, ""), http.Header{"User-Agent": {"client/1"}}, benchBody},
		{"APIv4", api4BenchTarget, http.Header{"X-Civi-Auth": {"Bearer " + key}, "X-Civi-Key": {site}, "User-Agent": {"client/1"}}, benchBodyV4},
	} {
		sent = sent[:0]
		served := h.prepared.served.Load()
		// The first request is prepared, the second builds the plan its
		// repeats send.
		for range 4 {
			w := httptest.NewRecorder()
			if err := h.ServeHTTP(w, benchRequest(c.target, c.header), next); err != nil || w.Code != http.StatusOK || w.Body.String() != string(c.want) {
				t.Fatalf("%s: %v %d %.200q", c.name, err, w.Code, w.Body.String())
			}
		}
		if n := h.prepared.served.Load() - served; n != 3 {
			t.Fatalf("%s: %d requests served as prepared, want 3", c.name, n)
		}
		if len(sent) != 4 {
			t.Fatalf("%s: %d requests forwarded, want 4", c.name, len(sent))
		}
		first := sent[0]
		if first.header.Get("User-Agent") != "client/1" || first.header.Get("X-Civi-Auth") != "Bearer "+key ||
			first.header.Get("X-Changed-Later") != "" || strings.Contains(first.requestURI, key) || first.origURI != first.requestURI {
			t.Fatalf("%s: first forward %+v", c.name, first)
		}
		for i, s := range sent[1:] {
			if !reflect.DeepEqual(s, first) {
				t.Errorf("%s: forward %d\n%+v\nwant the first's\n%+v", c.name, i+2, s, first)
			}
		}
	}
}

// Requests that differ in anything the steps before the cache read are
// prepared apart, and each is forwarded with its own header, however they
// alternate.
func TestForwardPlanIsPerRequest(t *testing.T) {
	key, site := benchKey(t), benchKey(t)
	h := &Handler{SiteKey: site, Cache: &CacheConfig{Off: true}}
	provisionBench(t, h)
	var sent []sentUpstream
	next := recordingUpstream(key, &sent)
	agents := []string{"a", "b", "a", "b", "b", "a"}
	for _, ua := range agents {
		w := httptest.NewRecorder()
		if err := h.ServeHTTP(w, benchRequest(legacyTarget(site, key, ""), http.Header{"User-Agent": {ua}}), next); err != nil || w.Code != http.StatusOK {
			t.Fatalf("%v %d", err, w.Code)
		}
	}
	for i, s := range sent {
		if got := s.header.Get("User-Agent"); got != agents[i] {
			t.Errorf("forward %d went with User-Agent %q, want %q", i+1, got, agents[i])
		}
	}
	if n := h.prepared.served.Load(); n != 4 {
		t.Errorf("%d requests served as prepared, want 4", n)
	}
}

// With caching off every answer says so in its Cache-Status and carries
// the answer headers (answerHeader), whichever way it reaches the client:
// streamed as CiviCRM sends it, captured and rendered, or Civigate's own
// when CiviCRM could not be asked; the first time and when prepared.
func TestCacheOffStatusOnEveryAnswer(t *testing.T) {
	key, site := benchKey(t), benchKey(t)
	h := &Handler{SiteKey: site, Cache: &CacheConfig{Off: true}}
	provisionBench(t, h)
	// WordPress's route: a call with a civiwp parameter cannot go there.
	wp := &Handler{SiteKey: site, Cache: &CacheConfig{Off: true}, UpstreamEndpoint: "/?civiwp=CiviCRM&q=civicrm/ajax/rest"}
	provisionBench(t, wp)
	ok := benchUpstream(key)
	route := func(api caddyhttp.Handler) caddyhttp.Handler {
		return caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			// WordPress's endpoint is asked in its form (/?civiwp=CiviCRM&q=civicrm/authx/id).
			if r.URL.Path == "/civicrm/authx/id" || r.URL.Query().Get("q") == "civicrm/authx/id" {
				return ok.ServeHTTP(w, r)
			}
			return api.ServeHTTP(w, r)
		})
	}
	crash := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		_, err := io.WriteString(w, "<h1>Fatal error</h1>")
		return err
	})
	down := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error {
		return caddyhttp.Error(http.StatusBadGateway, errors.New("dial tcp: connection refused"))
	})
	for _, c := range []struct {
		name   string
		h      *Handler
		next   caddyhttp.Handler
		target string
		status int
	}{
		{"streamed", h, route(ok), legacyTarget(site, key, ""), http.StatusOK},
		{"rendered as XML", h, route(ok), strings.Replace(legacyTarget(site, key, ""), "&json=1", "", 1), http.StatusOK},
		{"CiviCRM crashed", h, route(crash), legacyTarget(site, key, ""), http.StatusInternalServerError},
		{"CiviCRM down", h, route(down), legacyTarget(site, key, ""), http.StatusBadGateway},
		{"not expressible upstream", wp, route(ok), legacyTarget(site, key, "&civiwp=x"), http.StatusBadRequest},
	} {
		for i := range 2 { // the second time prepared, if it can be
			w := httptest.NewRecorder()
			if err := c.h.ServeHTTP(w, benchRequest(c.target, nil), c.next); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if got := w.Header().Values("Cache-Status"); w.Code != c.status || len(got) != 1 || got[0] != cacheOffStatus {
				t.Errorf("%s (%d): %d with Cache-Status %q, want %d with %q; body %.200q", c.name, i+1, w.Code, got, c.status, cacheOffStatus, w.Body.String())
			}
			for _, nh := range answerHeader {
				if got := w.Header().Values(nh.name); len(got) != 1 || got[0] != nh.value {
					t.Errorf("%s (%d): %s %q, want %q", c.name, i+1, nh.name, got, nh.value)
				}
			}
		}
	}
}

// A kept header's map is Clone's, nil values included, with its values
// in room when they fit; neither the kept header nor the map made from
// it shares anything with the original or the other.
func TestKeptHeaderMap(t *testing.T) {
	h := http.Header{"A": {"1", "2"}, "B": {"3"}, "Nil": nil, "Empty": {}}
	kept := headerList(h)
	h["A"][1] = "changed in the original"
	h = http.Header{"A": {"1", "2"}, "B": {"3"}, "Nil": nil, "Empty": {}}
	for _, room := range [][]string{make([]string, 16), make([]string, 2)} {
		got := kept.headerMap(room)
		if !reflect.DeepEqual(got, h.Clone()) || got["Nil"] != nil || got["Empty"] == nil {
			t.Fatalf("room %d: %#v, want %#v", len(room), got, h.Clone())
		}
		got["A"][0] = "changed"
		got["B"] = append(got["B"], "appended")
		if h["A"][0] != "1" || len(h["B"]) != 1 || got["A"][1] != "2" {
			t.Errorf("room %d: the copy shares values with the original: %v / %v", len(room), got, h)
		}
	}
}

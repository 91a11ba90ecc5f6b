package caddymodule

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/civigate/civigate/translate"
)

// What a client says of the host it asked for binds the cache and reaches
// CiviCRM only when Caddy trusts it as a proxy.
func TestSiteOfRequest(t *testing.T) {
	req := func(trusted bool) *http.Request {
		r := httptest.NewRequest("GET", "http://a.example:8080/civicrm/ajax/rest", nil)
		r.Header["X-Forwarded-Host"] = []string{"b.example"}
		r.Header["X_forwarded_host"] = []string{"c.example"}
		// PHP registers '.' in a header name as '_' too: HTTP_X_FORWARDED_PROTO.
		r.Header["X-Forwarded.Proto"] = []string{"https"}
		r.Header["Forwarded"] = []string{"host=d.example"}
		r.Header["X-Forwarded-Port"] = []string{"8443"}
		r.Header["X-Other"] = []string{"x"}
		vars := map[string]any{caddyhttp.TrustedProxyVarKey: trusted}
		return r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, vars))
	}

	untrusted := req(false)
	if s := cacheSite(untrusted); s.Host != "a.example:8080" || s.TLS || s.Proxy != "" {
		t.Errorf("untrusted: %+v", s)
	}
	out := untrusted.Header.Clone()
	dropUntrustedForwarded(out, untrusted)
	if len(out) != 1 || out.Get("X-Other") != "x" {
		t.Errorf("untrusted: upstream gets %v", out)
	}

	trusted := req(true)
	s := cacheSite(trusted)
	if s.Proxy == "" || s.Proxy != cacheSite(req(true)).Proxy {
		t.Errorf("trusted: %+v", s)
	}
	swapped := req(true)
	swapped.Header["X-Forwarded-Host"] = []string{"e.example"}
	if cacheSite(swapped).Proxy == s.Proxy {
		t.Error("trusted: another forwarded host, the same site")
	}
	out = trusted.Header.Clone()
	dropUntrustedForwarded(out, trusted)
	if len(out) != len(trusted.Header) {
		t.Errorf("trusted: upstream gets %v", out)
	}
}

// Civigate's question about a request's credential (routeTransport)
// carries the client's forwarded headers exactly as the call it
// authorizes does: from a trusted proxy every spelling of the forwarded
// host headers and of X-Forwarded-For, names and values as they came;
// from anyone else none. Its site (authSite, which verdicts are
// remembered by) is the cache's.
func TestVerificationSubrequestGoesWhereTheCallGoes(t *testing.T) {
	var sites [][2]string
	for _, trusted := range []bool{false, true} {
		r := httptest.NewRequest("GET", "http://a.example:8080/civicrm/ajax/rest", nil)
		r.Header["X-Forwarded-Host"] = []string{"b.example"}
		r.Header["X_forwarded_host"] = []string{"c.example"}
		r.Header["Forwarded"] = []string{"host=d.example", "for=10.0.0.1"}
		r.Header["X-Forwarded-Port"] = []string{"8443"}
		r.Header["X-Forwarded-Proto"] = []string{"https"}
		r.Header["X-Forwarded-For"] = []string{"10.0.0.1, 10.0.0.2"}
		r.Header["X_Forwarded_For"] = []string{"10.0.0.3"}
		r.Header["X-Other"] = []string{"x"}
		r.Header["Cookie"] = []string{"s=1"}
		vars := map[string]any{caddyhttp.TrustedProxyVarKey: trusted}
		r = r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, vars))

		var sub *http.Request
		next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, q *http.Request) error {
			sub = q
			w.WriteHeader(http.StatusOK)
			return nil
		})
		aid := &url.URL{Path: "/site2/index.php", RawQuery: "q=civicrm/authx/id"}
		q, _ := http.NewRequestWithContext((&Handler{}).withRoute(r, next, aid), "GET", "http://civicrm.upstream/civicrm/authx/id", nil)
		q.Header.Set("X-Civi-Auth", "Bearer k")
		if _, err := (routeTransport{}).RoundTrip(q); err != nil {
			t.Fatal(err)
		}
		// What the call's header keeps of them.
		call := r.Header.Clone()
		dropUntrustedForwarded(call, r)
		for _, name := range []string{"X-Forwarded-Host", "X_forwarded_host", "Forwarded", "X-Forwarded-Port", "X-Forwarded-Proto", "X-Forwarded-For", "X_Forwarded_For"} {
			vs := r.Header[name]
			want := call[name]
			if !trusted {
				want = nil // nor the X-Forwarded-For of a client not trusted
			}
			if got := sub.Header[name]; !slices.Equal(got, want) {
				t.Errorf("trusted %v: %s %q, the client sent %q, want %q", trusted, name, got, vs, want)
			}
		}
		if sub.Header.Get("X-Other") != "" || sub.Header.Get("Cookie") != "" || sub.Header.Get("X-Civi-Auth") != "Bearer k" || sub.Host != r.Host {
			t.Errorf("trusted %v: the question's header %v, Host %q", trusted, sub.Header, sub.Host)
		}
		// At the call's civicrm/authx/id, whatever the resolver's URL.
		if sub.URL.RequestURI() != aid.RequestURI() || sub.RequestURI != aid.RequestURI() {
			t.Errorf("trusted %v: asked at %q (%q), want %q", trusted, sub.URL.RequestURI(), sub.RequestURI, aid)
		}
		sites = append(sites, [2]string{authSite(r, aid), authSite(sub, aid)})
	}
	// The question's site (authSite, by which verdicts are remembered) is
	// the call's and the cache's; a trusted proxy's forwarded host makes
	// another.
	if sites[0][0] != sites[0][1] || sites[1][0] != sites[1][1] || sites[0][0] == sites[1][0] {
		t.Errorf("sites (untrusted, trusted; the call's, the question's): %q", sites)
	}
	// Another base is another site; without one, nothing is asked.
	r := httptest.NewRequest("GET", "http://a.example/site2/civicrm/ajax/rest", nil)
	if authSite(r, &url.URL{Path: "/civicrm/authx/id"}) == authSite(r, &url.URL{Path: "/site2/civicrm/authx/id"}) || authSite(r, nil) == authSite(r, &url.URL{Path: "/"}) {
		t.Error("bases share a site")
	}
	// Nor at a URL that is not civicrm/authx/id as a client's would be read.
	for _, u := range []*url.URL{nil, {Path: "/site2/civicrm/ajax/rest"}, {Path: "/civicrm/authx/id", RawQuery: "q=civicrm/ajax/rest"},
		{Path: "/site2/civicrm/authx/id/x"}, {Path: "/site2/x.js", RawQuery: "q=civicrm/authx/id"}} {
		q, _ := http.NewRequestWithContext((&Handler{}).withRoute(r, caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error {
			t.Errorf("asked at %v", u)
			return nil
		}), u), "GET", "http://civicrm.upstream/civicrm/authx/id", nil)
		if _, err := (routeTransport{}).RoundTrip(q); err == nil {
			t.Errorf("no error at %v", u)
		}
	}
}

// Where civicrm/authx/id is asked for each form: under an APIv4 call's
// or an AuthX route's own base, in its form; under upstream_endpoint's
// for APIv3 calls and pages whose URL names no base. An endpoint whose
// site is not known is refused at provisioning when questions go
// through the route.
func TestAuthxIDPerForm(t *testing.T) {
	h := &Handler{SiteKey: testSiteKey, UpstreamEndpoint: "/site2/index.php?q=civicrm/ajax/rest", Cache: &CacheConfig{Off: true}}
	provisionBench(t, h)
	for _, tc := range []struct{ target, want string }{
		{"/fr/civicrm/ajax/api4/Contact/get", "/fr/civicrm/authx/id"},
		{"/site3/?civiwp=CiviCRM&q=civicrm/ajax/api4/Contact/get", "/site3/?civiwp=CiviCRM&q=civicrm/authx/id"},
		{"/site3/civicrm/authx/login", "/site3/civicrm/authx/id"},
		{"/site3/civicrm/ajax/rest", "/site2/index.php?q=civicrm/authx/id"},
		{"/site3/sites/all/modules/civicrm/extern/rest.php", "/site2/index.php?q=civicrm/authx/id"},
		{"/wp-json/civicrm/v3/rest", "/site2/index.php?q=civicrm/authx/id"},
	} {
		u, _ := url.Parse(tc.target)
		route, ok := translate.Recognise("GET", u, h.recognise)
		if !ok {
			t.Fatalf("%s: not recognised", tc.target)
		}
		if got := h.authxID(route); got == nil || got.RequestURI() != tc.want {
			t.Errorf("%s: authx/id at %v, want %s", tc.target, got, tc.want)
		}
	}
	for target, want := range map[string]string{"/site3/civicrm/contact/view": "/site3/civicrm/authx/id", "/site3/events/": "/site2/index.php?q=civicrm/authx/id"} {
		if got := h.pageAuthxID(httptest.NewRequest("GET", target, nil)); got == nil || got.RequestURI() != want {
			t.Errorf("page %s: authx/id at %v, want %s", target, got, want)
		}
	}
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	if err := (&Handler{SiteKey: testSiteKey, UpstreamEndpoint: "/custom/api.php", Cache: &CacheConfig{Off: true}}).Provision(ctx); err == nil || !strings.Contains(err.Error(), "upstream endpoint") {
		t.Errorf("an endpoint of no known site: %v", err)
	}
	other := &Handler{SiteKey: testSiteKey, UpstreamEndpoint: "/custom/api.php", Cache: &CacheConfig{Off: true}, Auth: &AuthConfig{ResolveURL: "https://civicrm.example/civicrm/authx/id"}}
	provisionBench(t, other)
	if other.authxV3 != nil {
		t.Errorf("authx/id at %v", other.authxV3)
	}
}

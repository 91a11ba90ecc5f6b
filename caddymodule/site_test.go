package caddymodule

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// What a client says of the host it asked for binds the cache and reaches
// CiviCRM only when Caddy trusts it as a proxy.
func TestSiteOfRequest(t *testing.T) {
	req := func(trusted bool) *http.Request {
		r := httptest.NewRequest("GET", "http://a.example:8080/civicrm/ajax/rest", nil)
		r.Header["X-Forwarded-Host"] = []string{"b.example"}
		r.Header["X_forwarded_host"] = []string{"c.example"}
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

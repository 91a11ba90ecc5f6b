package caddymodule

import (
	"net/http"
	"slices"
	"strings"

	"github.com/civigate/civigate/cache"
)

// A cached answer is bound to where upstream its call ran (cache.Site):
// one Civigate site can front several CiviCRM domains, told apart by the
// Host CiviCRM gets and, behind a proxy Caddy trusts, by what that proxy
// says of the host the client asked for. The path is the rest of it, which
// the cache binds itself.

// forwardedHostHeaders are the headers through which a proxy tells the
// host, port and scheme the client asked for. A CMS behind a proxy it
// trusts selects its site by them (Symfony's trusted headers in Drupal,
// whose sites/ directory is chosen by host and port; a
// civicrm.settings.php reading HTTP_X_FORWARDED_HOST to choose
// CIVICRM_DOMAIN_ID), so what a client may say there decides which
// CiviCRM domain answers.
var forwardedHostHeaders = [...]string{"X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Proto", "Forwarded"}

// isForwardedHostHeader reports whether a header name is one of
// forwardedHostHeaders in any letter case, '_' for '-' included (PHP's
// FastCGI variables name both HTTP_X_FORWARDED_HOST).
func isForwardedHostHeader(name string) bool {
	for _, f := range forwardedHostHeaders {
		if sameHeader(name, f) {
			return true
		}
	}
	return false
}

// sameHeader reports whether name spells the header canonical, as PHP
// reads it: any letter case, '_' for '-'.
func sameHeader(name, canonical string) bool {
	return len(name) == len(canonical) && strings.EqualFold(strings.ReplaceAll(name, "_", "-"), canonical)
}

// trustedProxy reports whether Caddy's server trusts the client as a proxy
// (trusted_proxies): only then may what it says of the client's host go
// on to CiviCRM.
func trustedProxy(r *http.Request) bool {
	_, trusted := clientVars(r)
	return trusted
}

// dropUntrustedForwarded removes forwardedHostHeaders from the request
// CiviCRM gets unless the client is a trusted proxy: reverse_proxy then
// sets its own from the request (the Host itself), but php_fastcgi hands
// the client's to PHP as they came, where a CMS trusting Caddy would
// select another site by them than the one the entry is bound to.
func dropUntrustedForwarded(out http.Header, r *http.Request) {
	if trustedProxy(r) {
		return
	}
	for name := range out {
		if isForwardedHostHeader(name) {
			delete(out, name)
		}
	}
}

// withForwarded adds to out, the header of the question Civigate asks
// civicrm/authx/id through the rest of the route about r's credential
// (routeTransport), what the call r authorizes carries on of the
// client's forwarded headers: from a trusted proxy, its forwarded host
// headers and its X-Forwarded-For, every spelling, names and values as
// they came (the call's header keeps them: dropUntrustedForwarded);
// from any other client, nothing (the call's header drops the forwarded
// host headers). The question then reaches the site the call runs on:
// the same Host (the subrequest is r's clone), the same forwarded host
// by which a CMS behind a trusted proxy selects its site, and, after
// reverse_proxy, the same forwarded chain (it appends the proxy's
// address to a trusted proxy's X-Forwarded-For and replaces anyone
// else's: the question is then asked as from the client the call is
// from). An untrusted client's X-Forwarded-For, which php_fastcgi hands
// PHP with the call, is not copied: nothing from an untrusted client
// goes into Civigate's own question, and PHP behind php_fastcgi sees the
// client's own address in REMOTE_ADDR, by which a CMS decides whether to
// read that header at all.
func withForwarded(out http.Header, r *http.Request) {
	if !trustedProxy(r) {
		return
	}
	for name, vs := range r.Header {
		if isForwardedHostHeader(name) || sameHeader(name, "X-Forwarded-For") {
			out[name] = slices.Clone(vs)
		}
	}
}

// authSite is the site a request's credential is verified on
// (authx.Request.Site), by which CiviCRM's verdicts and the proofs of
// credentials are remembered: the response cache's (cacheSite), which
// is where routeTransport's question goes too (withForwarded).
func authSite(r *http.Request) string { return cacheSite(r).Tag() }

// cacheSite is the cache.Site of a request: the Host CiviCRM gets (the
// client's: reverse_proxy and php_fastcgi pass it on), exactly as sent
// (the absolute-form request target's authority when there is one: Go
// puts it in r.Host), the scheme, and, from a trusted proxy, the
// forwarded host headers as they go on. X-Forwarded-Host from anyone else
// changes nothing: it never reaches CiviCRM (dropUntrustedForwarded).
func cacheSite(r *http.Request) cache.Site {
	s := cache.Site{Host: r.Host, TLS: r.TLS != nil}
	if trustedProxy(r) {
		s.Proxy = forwardedHost(r.Header)
	}
	return s
}

// forwardedHost is the forwardedHostHeaders of h, names and values as they
// go upstream, in one string ("" without any).
func forwardedHost(h http.Header) string {
	var names []string
	for name := range h {
		if isForwardedHostHeader(name) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	slices.Sort(names)
	var b strings.Builder
	for _, name := range names {
		for _, v := range h[name] {
			b.WriteString(name)
			b.WriteByte(0)
			b.WriteString(v)
			b.WriteByte(0)
		}
	}
	return b.String()
}

package caddymodule

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/cache"
	"github.com/civigate/civigate/translate"
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
var forwardedHostHeaders = [...]string{"x-forwarded-host", "x-forwarded-port", "x-forwarded-proto", "forwarded"}

// isForwardedHostHeader reports whether a header name is one of
// forwardedHostHeaders under any spelling PHP registers as the same
// $_SERVER entry (authx.SameHeaderName: letter case, '_' and '.' for
// '-'; X-Forwarded-Host, X_Forwarded_Host and X-Forwarded.Host are all
// HTTP_X_FORWARDED_HOST).
func isForwardedHostHeader(name string) bool {
	for _, f := range forwardedHostHeaders {
		if authx.SameHeaderName(name, f) {
			return true
		}
	}
	return false
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
		if isForwardedHostHeader(name) || authx.SameHeaderName(name, "x-forwarded-for") {
			out[name] = slices.Clone(vs)
		}
	}
}

// authSite is the site a request's credential is verified on
// (authx.Request.Site), by which CiviCRM's verdicts and the proofs of
// credentials are remembered: the response cache's (cacheSite), which
// is where routeTransport's question goes too (withForwarded), and
// under it the URL of civicrm/authx/id the question is asked at (q,
// Handler.authxID: under the path base the call runs under, in its URL
// form), which tells the CMS multisite subdirectories, CiviCRM domains
// and language prefixes a path selects apart as the response cache's
// base does. nil: none is known (the question is an outage), "".
func authSite(r *http.Request, q *url.URL) string {
	base := ""
	if q != nil {
		base = q.RequestURI()
	}
	return cacheSite(r).Tag(base)
}

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
func forwardedHost(h http.Header) string { return headersAsSent(h, isForwardedHostHeader) }

// headersAsSent is the headers of h whose names match, names and values as
// they go upstream, in one string, names sorted ("" without any: then it
// costs a look at each name).
func headersAsSent(h http.Header, match func(name string) bool) string {
	var names []string
	for name := range h {
		if match(name) {
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

// authxID is where civicrm/authx/id is asked about the credential of a
// call that came in by route (routeTransport): under the path base the
// call runs under, in its URL form. APIv4 and AuthX's own routes go
// upstream on the client's path, so under theirs (Route.Base:
// translate.AuthxIDURL, checked by routeTransport when it asks); the
// APIv3 forms go to upstream_endpoint, so under its (authxV3). nil: none
// (the question is an outage, never a verdict).
func (h *Handler) authxID(route translate.Route) *url.URL {
	switch route.Form {
	case translate.FormAPI4, translate.FormAuthx:
		if u, ok := translate.AuthxIDURL(route); ok {
			return u
		}
		return nil
	}
	return h.authxV3
}

// pageAuthxID is where civicrm/authx/id is asked about the credential a
// request to a CiviCRM page carries (refusePageCredentials): under the
// base its URL names (translate.RecogniseConfig.PageAuthxID), else, for
// a page whose URL does not say (a path alias, a shortcode), under
// upstream_endpoint's, the site Civigate is configured for.
func (h *Handler) pageAuthxID(r *http.Request) *url.URL {
	if u, ok := h.recognise.PageAuthxID(r.URL); ok {
		return u
	}
	return h.authxV3
}

// provisionAuthxID finds where civicrm/authx/id is for the APIv3 calls
// (upstream_endpoint's base: translate.RecogniseConfig.EndpointAuthxID).
// An endpoint Civigate cannot place is an error when the questions go
// through the route; with resolve_url (or no_resolve) it is not asked
// there, and verdicts are remembered by the site alone.
func (h *Handler) provisionAuthxID() error {
	u, err := h.recognise.EndpointAuthxID(h.UpstreamEndpoint)
	if err != nil {
		if ac := h.Auth; ac != nil && (ac.NoResolve || ac.ResolveURL != "") {
			return nil
		}
		return fmt.Errorf("%v; set upstream_endpoint to civicrm/ajax/rest under that site's base, or resolve_url", err)
	}
	h.authxV3 = u
	return nil
}

package caddymodule

import (
	"net/http"
	"slices"
	"strings"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/translate"
)

// upstreamHeader is the header of the request CiviCRM gets: the client's
// headers minus what must not reach CiviCRM, then the translation's own
// headers, then the identity Civigate vouches for (auth in the header
// name, and key in X-Civi-Key, from authx.UpstreamIdentity; empty ones are
// not sent).
//
// Dropped from the client's: up.StripHeaders, every spelling of an AuthX
// identity header (dropped from the translation's too) and of Civigate's
// subrequest token (a client has no business sending one), Content-Length
// (the body is Civigate's) and Accept-Encoding (the answer is read, checked
// and rewritten here, so it must come uncompressed; the proxy's transport
// negotiates compression with CiviCRM itself and decompresses).
//
// The client's session and its CSRF proof depend on whether Civigate
// vouches for the caller (auth set). If it does, the client's Cookie stays
// behind: the answer may be cached for the principal, so a session must not
// change it (and next to AuthX a CiviCRM session could only clash with it,
// "mismatched session"). If it does not (an anonymous call, which CiviCRM
// may still run as the browser session's user), the call carries the
// client's Cookie, less any cookie CiviCRM could read as a request
// parameter (withoutRequestVarCookies), and only the X-Requested-With
// the client itself sent,
// never the translation's: added by Civigate it would lift CiviCRM's CSRF
// check from a cross-site request riding on a logged-in browser.
//
// It is built in one pass into up.Header, the call's own map (it already
// holds the translation's headers, which win over the client's), with the
// client's values copied into one slice (as http.Header.Clone does):
// copying, stripping and setting headers one by one, in a map of their
// own, was a measurable part of every call's cost.
func upstreamHeader(client http.Header, up *translate.UpstreamRequest, name, auth, key string) http.Header {
	out := up.Header
	if out == nil {
		out = make(http.Header, len(client)+2)
	}
	// Only auth and key speak for the caller, even if the translation was
	// built to carry a credential of its own (translate.UpstreamConfig
	// without OmitCredentials).
	vouched := auth != ""
	for name := range out {
		if authx.IsIdentityHeader(name) || !vouched && isSessionProof(name) {
			delete(out, name)
		}
	}
	values := 0
	for _, vs := range client {
		values += len(vs)
	}
	copied := make([]string, 0, values+2)
	for name, vs := range client {
		if _, set := out[name]; set || !forwardsClientHeader(name, up.StripHeaders) || vouched && isSession(name) {
			continue
		}
		if isSession(name) {
			vs = withoutRequestVarCookies(vs)
			if len(vs) == 0 {
				continue
			}
		}
		start := len(copied)
		copied = append(copied, vs...)
		out[name] = copied[start:len(copied):len(copied)]
	}
	for _, id := range [...]struct{ name, value string }{{name, auth}, {"X-Civi-Key", key}} {
		if id.value != "" {
			copied = append(copied, id.value)
			n := len(copied)
			out[id.name] = copied[n-1 : n : n]
		}
	}
	return out
}

// urlHeaders are the request headers whose value is a URL the browser
// sends of its own accord: the page the request came from (Referer) and
// its origin (Origin, which has no query unless malformed).
var urlHeaders = [...]string{"Referer", "Origin"}

// redactURLHeaders replaces in h, the client's request header, the
// credentials in the query of urlHeaders' values, as the log filter does
// (redactQuery: every spelling PHP reads as key, api_key, _authx,
// _authxSiteKey or _authxSes), so that no request Civigate passes on to
// CiviCRM carries them: a legacy client's page URL holds the site key and
// an API key, the browser sends it as the Referer of the calls it makes,
// and CiviCRM's web server logs the Referer as it gets it (nginx's and
// Apache's combined formats). Only the values change; a Referer without a
// credential, the common case, costs a scan for '?' and its query's
// names, and is left as it is. Caddy's own log of the request shows the
// redacted value too.
func redactURLHeaders(h http.Header) {
	for _, name := range urlHeaders {
		vs := h[name]
		if len(vs) == 0 {
			continue
		}
		if out := redactURIs(vs); &out[0] != &vs[0] {
			h[name] = out
		}
	}
}

// neverForwarded are client headers that describe the client's own
// request, not the one Civigate sends (see upstreamHeader).
var neverForwarded = []string{"Content-Length", "Content-Encoding", "Accept-Encoding"}

// forwardsClientHeader reports whether the client's header name may go on
// to CiviCRM (see upstreamHeader).
func forwardsClientHeader(name string, strip []string) bool {
	sameName := func(s string) bool { return strings.EqualFold(name, s) }
	return !slices.ContainsFunc(strip, sameName) && !slices.ContainsFunc(neverForwarded, sameName) &&
		!authx.IsIdentityHeader(name) && !authx.IsSubrequestHeader(name)
}

// isSession reports whether the client's header name carries its CMS
// session (PHP reads $_COOKIE from it alone).
func isSession(name string) bool { return strings.EqualFold(name, "Cookie") }

// withoutRequestVarCookies is the client's Cookie header values less every
// cookie PHP would register under a name CiviCRM's API pages read from the
// request (translate.IsRequestVar): where php.ini sets no request_order,
// $_REQUEST holds the cookies too, over the query and the form, and
// retrieve('params') or the legacyrest flow's $_REQUEST['api_key'] would
// read the cookie instead of what the edge judged. PHP splits the header
// on ";" alone, drops leading white space from a name and does not
// url-decode it; translate.PHPVarName does, which can only make more
// names match. The values are returned as they are when nothing is
// dropped.
func withoutRequestVarCookies(values []string) []string {
	var out []string
	for i, v := range values {
		kept, dropped := cookieHeaderWithoutRequestVars(v)
		if dropped && out == nil {
			out = append(make([]string, 0, len(values)), values[:i]...)
		}
		if out != nil && kept != "" {
			out = append(out, kept)
		}
	}
	if out == nil {
		return values
	}
	return out
}

// cookieHeaderWithoutRequestVars is one Cookie header value less the
// cookies withoutRequestVarCookies drops, and whether there was one.
func cookieHeaderWithoutRequestVars(v string) (string, bool) {
	var kept []string
	dropped := false
	for pair := range strings.SplitSeq(v, ";") {
		if translate.IsRequestVar(phpCookieName(pair)) {
			dropped = true
			continue
		}
		kept = append(kept, pair)
	}
	if !dropped {
		return v, false
	}
	return strings.TrimLeft(strings.Join(kept, ";"), " "), true
}

// phpCookieName is the variable PHP registers one "name=value" pair of a
// Cookie header under (see withoutRequestVarCookies): leading white space
// dropped, the name mangled as translate.PHPVarName does.
func phpCookieName(pair string) string {
	name, _, _ := strings.Cut(pair, "=")
	return translate.PHPVarName(strings.TrimLeft(name, " \t\n\v\f\r"))
}

// duplicateCookie reports whether the client's Cookie header values name
// one variable twice as PHP reads them (phpCookieName), across all its
// Cookie lines: PHP keeps the first of a name and skips the others
// (php_register_variable_ex), so the session CiviCRM runs in is not the
// one a reader taking the last would see.
func duplicateCookie(values []string) bool {
	seen := map[string]bool{}
	for _, v := range values {
		for pair := range strings.SplitSeq(v, ";") {
			name := phpCookieName(pair)
			if name == "" {
				continue
			}
			if seen[name] {
				return true
			}
			seen[name] = true
		}
	}
	return false
}

// isSessionProof reports whether the header name is the proof that a
// session-authenticated request comes from the site's own JavaScript
// (CRM_Utils_REST::isWebServiceRequest), which only the client may give.
func isSessionProof(name string) bool { return strings.EqualFold(name, "X-Requested-With") }

package authx

import (
	"net/http"
	"strings"
)

// IdentityHeaders are the headers CiviCRM (AuthX, Afform) reads an identity
// or a site key from. Clients' values for them must never reach CiviCRM
// unchecked, under any spelling: CGI/FastCGI maps X_Civi_Auth and
// X-Civi-Auth to the same HTTP_X_CIVI_AUTH, so both spellings are removed.
var IdentityHeaders = []string{
	"Authorization",      // AuthX header flow
	"X-Civi-Auth",        // AuthX xheader flow
	"X-Civi-Key",         // site key for the site_key guard
	"X-Civi-Auth-Afform", // Afform page tokens (PageTokenCredential)
}

// identityFolded are IdentityHeaders lowercased, for sameHeaderName.
var identityFolded = func() []string {
	out := make([]string, len(IdentityHeaders))
	for i, h := range IdentityHeaders {
		out[i] = strings.ToLower(h)
	}
	return out
}()

// IsIdentityHeader reports whether a header of this name, in any spelling,
// is one of IdentityHeaders.
func IsIdentityHeader(name string) bool {
	for _, folded := range identityFolded {
		if sameHeaderName(name, folded) {
			return true
		}
	}
	return false
}

// IdentityHeaderNames lists the identity headers present in h, as spelled
// by the client (e.g. "X_civi_auth"), for logging which ones were dropped.
func IdentityHeaderNames(h http.Header) []string {
	var out []string
	for k := range h {
		if IsIdentityHeader(k) {
			out = append(out, k)
		}
	}
	return out
}

// StripIdentityHeaders removes every client-supplied identity header in
// every spelling and returns the names removed.
func StripIdentityHeaders(h http.Header) []string {
	names := IdentityHeaderNames(h)
	for _, k := range names {
		delete(h, k)
	}
	return names
}

// SetUpstreamAuth strips the client's identity headers and sets the
// canonical AuthX headers for a verified principal (UpstreamIdentity).
func SetUpstreamAuth(h http.Header, p *Principal, siteKey string) {
	StripIdentityHeaders(h)
	auth, key := UpstreamIdentity(p, siteKey)
	if auth != "" {
		h.Set("X-Civi-Auth", auth)
	}
	if key != "" {
		h.Set("X-Civi-Key", key)
	}
}

// UpstreamIdentity is what CiviCRM is told about a verified principal:
// auth for X-Civi-Auth, the credential Civigate forwards (the client's API
// key, or a JWT it minted), and key for X-Civi-Key, the configured site key
// so CiviCRM's site_key guard passes for contacts lacking "authenticate
// with api key". An anonymous principal gets neither. X-Civi-Auth (xheader
// flow) is used rather than Authorization because it also satisfies
// ajax/rest's CSRF check (spec §4).
func UpstreamIdentity(p *Principal, siteKey string) (auth, key string) {
	if p == nil || p.forward == "" {
		return "", ""
	}
	return p.forward, siteKey
}

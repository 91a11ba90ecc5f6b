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

// IdentityHeaderNames lists the identity headers present in h, as spelled
// by the client (e.g. "X_civi_auth"), for logging which ones were dropped.
func IdentityHeaderNames(h http.Header) []string {
	var out []string
	for k := range h {
		for _, name := range identityFolded {
			if sameHeaderName(k, name) {
				out = append(out, k)
				break
			}
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
// canonical AuthX headers for a verified principal: X-Civi-Auth with the
// credential Civigate forwards (the client's API key, or a JWT it minted),
// and X-Civi-Key when a site key is configured so CiviCRM's site_key guard
// passes for contacts lacking "authenticate with api key". An anonymous
// principal gets no identity headers at all. X-Civi-Auth (xheader flow) is
// used rather than Authorization because it also satisfies ajax/rest's CSRF
// check (spec §4).
func SetUpstreamAuth(h http.Header, p *Principal, siteKey string) {
	StripIdentityHeaders(h)
	if p == nil || p.forward == "" {
		return
	}
	h.Set("X-Civi-Auth", p.forward)
	if siteKey != "" {
		h.Set("X-Civi-Key", siteKey)
	}
}

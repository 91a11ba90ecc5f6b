package authx

import "strings"

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

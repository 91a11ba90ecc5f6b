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

// identityFolded are IdentityHeaders lowercased, for SameHeaderName.
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
		if SameHeaderName(name, folded) {
			return true
		}
	}
	return false
}

// UpstreamIdentity is what CiviCRM is told about a verified principal:
// auth for the identity header name, the credential Civigate forwards (the
// client's API key, or a JWT it minted), and key for X-Civi-Key, the
// configured site key so CiviCRM's site_key guard passes for contacts
// lacking "authenticate with api key". An anonymous principal gets
// nothing. X-Civi-Auth (xheader flow) is used rather than Authorization
// because it also satisfies ajax/rest's CSRF check (spec §4).
//
// An Afform page token (FlowAfformPage) goes as the client sent it, in
// X-Civi-Auth-Afform, where PageTokenCredential::onInvoke reads it: only
// that listener accepts it (afformPageToken, in the afformpage flow, which
// its afformPagePolicy lets in without a site key, guards []), and it
// checks the call against the token's form again (checkAllowedRoute).
// CiviCRM cannot be told the contact otherwise: the token carries the
// form's arguments (afformArgs, which Afform's processors read from the
// authx session), and a JWT Civigate minted would lift the form's limits.
func UpstreamIdentity(p *Principal, siteKey string) (name, auth, key string) {
	switch {
	case p == nil || p.forward == "":
		return "", "", ""
	case p.Flow == FlowAfformPage:
		return pageTokenHeader, p.forward, ""
	}
	return "X-Civi-Auth", p.forward, siteKey
}

// pageTokenHeader is the header Afform's pages send their page token in
// (PageTokenCredential's CRM.$.ajaxSetup, afForm's file uploads).
const pageTokenHeader = "X-Civi-Auth-Afform"

// CredentialHeaders reports whether h carries, under any spelling PHP
// folds into the same $_SERVER entry, a credential AuthX takes on every
// CiviCRM page: a non-empty X-Civi-Auth (xheader flow), and an
// Authorization that is not empty nor Basic or Digest (header flow; AuthX
// ignores those by default, as extract does on AuthX's routes); and
// Afform's page token, a non-empty X-Civi-Auth-Afform, which
// PageTokenCredential::onInvoke takes on every page too. One pass over
// the header names, no allocation: it runs on every request that is not
// API traffic.
func CredentialHeaders(h http.Header) (xAuth, authorization, afform bool) {
	for k, vs := range h {
		switch {
		case SameHeaderName(k, "x-civi-auth"):
			for _, v := range vs {
				xAuth = xAuth || !phpEmpty(v)
			}
		case SameHeaderName(k, "authorization"):
			for _, v := range vs {
				scheme, _, _ := strings.Cut(v, " ")
				authorization = authorization || !phpEmpty(v) && scheme != "Basic" && scheme != "Digest"
			}
		case SameHeaderName(k, "x-civi-auth-afform"):
			for _, v := range vs {
				afform = afform || !phpEmpty(v)
			}
		}
	}
	return xAuth, authorization, afform
}

package translate

import (
	"net/url"
	"strings"
)

// An API key is data too: a lookup of the contact a key belongs to (APIv3
// json={"api_key":…}, APIv4 params with where api_key = …, setvalue's
// field=api_key and value=…, where[0][]=api_key…) carries a live
// credential where CiviCRM reads parameters. One detector decides that a
// query or form names api_key so: the log filter (caddymodule's
// civicrm_credentials) redacts such a query's values, and BuildUpstream
// sends such a call's parameters in a body, never in the URL CiviCRM's web
// server logs.

// NamesAPIKeyAsData reports whether query (a query string or urlencoded
// form, as sent) names api_key, in any letter case, once percent-decoded
// (three times at most, as a double encoding of JSON would need), in a
// parameter that is not a credential one (IsCredentialQueryName): in a
// value or inside a name's brackets.
//
// It runs on every request's Referer and every query Civigate sends
// upstream, so a piece that cannot name api_key is known without decoding
// (mayNameAPIKey): the common query costs a scan and allocates nothing.
func NamesAPIKeyAsData(query string) bool {
	for piece := range strings.SplitSeq(query, "&") {
		if !mayNameAPIKey(piece) {
			continue
		}
		name, _, _ := strings.Cut(piece, "=")
		if IsCredentialQueryName(name) {
			continue
		}
		d := piece
		for range 3 {
			u, err := url.QueryUnescape(d)
			if err != nil || u == d {
				break
			}
			d = u
		}
		if containsFold(d, "api_key") {
			return true
		}
	}
	return false
}

// mayNameAPIKey reports whether piece could hold api_key once decoded: it
// does as it is (in any letter case), or it has a percent-escape of one of
// api_key's letters (either case) or of '%' (the start of an escape one
// more decoding reads). Without either, decoding only turns escapes into
// other bytes (and '+' into a space): no new api_key can appear, nor any
// escape for the next round. One pass over the bytes.
func mayNameAPIKey(piece string) bool {
	for i := 0; i < len(piece); i++ {
		switch piece[i] {
		case 'a', 'A':
			if hasPrefixFold(piece[i:], "api_key") {
				return true
			}
		case '%':
			if i+2 < len(piece) && isHex(piece[i+1]) && isHex(piece[i+2]) {
				switch unhex(piece[i+1])<<4 | unhex(piece[i+2]) {
				case 'a', 'p', 'i', '_', 'k', 'e', 'y', 'A', 'P', 'I', 'K', 'E', 'Y', '%':
					return true
				}
			}
		}
	}
	return false
}

// IsCredentialQueryName reports whether PHP registers a query name (as
// sent) as a spelling of one of CredentialParams (IsCredentialSpelling: any
// letter case, amp;api_key, amp;key). Every such name holds "key" or
// "authx" in some letter case, or a percent-escape: any other is known at
// once, without working out what PHP makes of it (the Referer of every
// request is looked at).
func IsCredentialQueryName(name string) bool {
	if strings.IndexByte(name, '%') < 0 && !containsFold(name, "key") && !containsFold(name, "authx") {
		return false
	}
	return IsCredentialSpelling(PHPVarName(name))
}

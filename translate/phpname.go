package translate

import (
	"math"
	"strings"
)

// CredentialParams are the request parameters CiviCRM reads a credential
// or the site key from: extern/rest.php's key and api_key, AuthX's _authx,
// _authxSiteKey and _authxSes, and Afform's page token _aff
// (PageTokenCredential::onInvoke reads $_REQUEST['_aff'] on every page and
// API route, and logs the token's contact in for the request). The one
// list of them: never an API parameter upstream, never a cookie beside a
// call Civigate rebuilds (IsRequestVar), always redacted in logs.
var CredentialParams = [...]string{"key", "api_key", "_authx", "_authxSiteKey", "_authxSes", ParamAfformToken}

// ParamAfformToken is Afform's page token parameter (its header is
// X-Civi-Auth-Afform, authx.IdentityHeaders).
const ParamAfformToken = "_aff"

// IsCredentialSpelling reports whether name (a top-level PHP variable
// name, as PHPVarName gives it) spells one of CredentialParams: exactly, in
// another letter case, or with "amp;" in it (a URL whose "&" was written
// "&amp;", CRM-18384). Only the exact names are read as credentials on the
// API routes (AuthX and the legacyrest listener read $_GET, $_POST and
// $_REQUEST by exact name; extern/rest.php alone reads api_key through
// retrieve(), which takes an "amp;" alias), but a value under any of these
// names is, to every appearance, a credential a client meant to send: it
// never goes upstream, in a URL or a body, and the log filter hides it.
//
// Letter case is ignored in "amp;" too (getValue's is not): the wider
// net costs nothing, no API parameter is spelled like a credential.
func IsCredentialSpelling(name string) bool {
	name = strings.ToLower(name)
	if strings.Contains(name, "amp;") {
		name = withoutAmp(name)
	}
	for _, c := range CredentialParams {
		if strings.EqualFold(name, c) {
			return true
		}
	}
	return false
}

// PHPVarName is the top-level variable PHP registers one name of a query
// string or form body under, the name given as sent (percent-encoded, '+'
// for a space): "api.key", "api+key", "api%5Bkey", "%20api_key",
// "api_key%00x" and "api_key[x]" are all api_key. It is registerVar's own
// mangling, with no nesting limit, so a name PHP drops for its depth still
// tells which variable it aimed at. "" when PHP registers nothing.
func PHPVarName(encoded string) string {
	var one Array
	registerVar(&one, urlDecode(encoded), "", Limits{MaxInputVars: 1, MaxNestingLevel: math.MaxInt})
	if one.Len() == 0 {
		return ""
	}
	return one.Key(0)
}

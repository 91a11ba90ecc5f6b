package translate

import "math"

// CredentialParams are the request parameters CiviCRM reads a credential
// or the site key from: extern/rest.php's key and api_key, and AuthX's
// _authx, _authxSiteKey and _authxSes.
var CredentialParams = [...]string{"key", "api_key", "_authx", "_authxSiteKey", "_authxSes"}

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

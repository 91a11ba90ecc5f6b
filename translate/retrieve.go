package translate

import (
	"slices"
	"strings"
)

// CiviCRM reads some request variables through CRM_Utils_Request::retrieve,
// whose getValue takes, when the name itself is not set, a key with
// "amp;" in it that reads as the name once every "amp;" is removed
// (CRM-18384: URLs whose "&" were written "&amp;"). So `amp;params`,
// `paramp;ams` and `amp;amp;params` all stand for `params` on the APIv4
// page, and `amp;api_key` for `api_key` on extern/rest.php. The edge reads
// those variables as getValue does (Retrieve), and sends CiviCRM a request
// in which no alias is left (IsRetrieveAlias).

// retrievedVars are the request variables CiviCRM's API pages read through
// CRM_Utils_Request::retrieve: the APIv4 page's params and index
// ($_REQUEST) and calls ($_POST), extern/rest.php's api_key ($_REQUEST).
// Everything else those pages read comes from $_GET, $_POST, $_REQUEST or
// exportValues() by exact name.
var retrievedVars = [...]string{"params", "index", "calls", "api_key"}

// requestVars are the variables the API pages read from $_REQUEST, or
// through retrieve (which reads it), beside the credentials: the APIv4
// page's params and index, the body of an APIv3 batch (processMultiple's
// $_REQUEST['json']). Where php.ini leaves request_order empty, PHP builds
// $_REQUEST from variables_order (EGPCS), so a cookie of such a name is in
// it too, and wins over the query and the form.
var requestVars = [...]string{"params", "index", "calls", "json"}

// IsRequestVar reports whether name (a top-level PHP variable name, as
// PHPVarName gives it) is one CiviCRM's API pages read from the request,
// whatever the source: a credential (CredentialParams; the legacyrest flow
// reads key and api_key from $_REQUEST on ajax/rest and ajax/api4), a
// variable of requestVars, of the envelope (envelopeFields) or of the
// APIv3 call itself (reservedParams), an alias getValue would take for
// one it retrieves, or one Joomla routes by (joomlaRequestVars: a cookie
// task would route Civigate's own call elsewhere).
func IsRequestVar(name string) bool {
	if isCredentialParam(name) || isEnvelopeField(name) || isReservedParam(name) || isRetrieveAliasOfAny(name) {
		return true
	}
	return slices.Contains(requestVars[:], name) || slices.Contains(retrievedVars[:], name) ||
		slices.Contains(joomlaRequestVars[:], name)
}

// IsRetrieveAlias reports whether getValue could take key's value for
// name when name itself is not set: key holds "amp;", and removing "amp;"
// from it for as long as there is one (getValue removes them in one pass,
// but may copy the value to a key that still has one and reach that key
// later, see Retrieve) leaves name.
func IsRetrieveAlias(key, name string) bool {
	return strings.Contains(key, "amp;") && withoutAmp(key) == name
}

// withoutAmp is s with "amp;" removed until none is left. The pattern has
// no overlap with itself, so every order of removal ends with the same
// text: one pass with a stack finds it in linear time (repeated
// ReplaceAll would be quadratic on "amamamp;p;p;").
func withoutAmp(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		b = append(b, s[i])
		if n := len(b); n >= 4 && string(b[n-4:]) == "amp;" {
			b = b[:n-4]
		}
	}
	return string(b)
}

// isRetrieveAliasOfAny reports whether key is an alias of one of
// retrievedVars.
func isRetrieveAliasOfAny(key string) bool {
	for _, v := range retrievedVars {
		if IsRetrieveAlias(key, v) {
			return true
		}
	}
	return false
}

// Retrieve is CRM_Utils_Request::getValue(name, a): a[name] when it is set
// (request values are never NULL); otherwise getValue walks a's keys in
// order, and for each key holding "amp;" copies its value, as the array
// holds it at that moment, to the key without "amp;", until name is set.
// The copy is what makes the value found not always the alias's own:
// `amamp;p;params=A&amp;params=B` gives A (the first key's copy lands on
// `amp;params` before that key is reached). Checked against PHP 8.2.
func Retrieve(a *Array, name string) (any, bool) {
	if v, ok := a.Get(name); ok {
		return v, true
	}
	var copied map[string]any // the keys getValue has written so far
	for i := 0; i < a.Len(); i++ {
		k := a.Key(i)
		if !strings.Contains(k, "amp;") {
			continue
		}
		v, ok := copied[k]
		if !ok {
			v = a.Value(i)
		}
		target := strings.ReplaceAll(k, "amp;", "")
		if target == name {
			return v, true
		}
		if copied == nil {
			copied = make(map[string]any)
		}
		copied[target] = v
	}
	return nil, false
}

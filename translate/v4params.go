package translate

import "strings"

// APIv4 parameter names as CiviCRM resolves them. Civi\API\Request::create
// sets each key of a call's params on the action object with
// $apiRequest->{'set' . ucfirst($key)}($value), and so do the calls
// CiviCRM makes of params a client gave (civicrm_api4 for a chain,
// Api4EntitySetQuery for a set, SearchKit for a saved search's
// api_params). PHP method names ignore case, so a setter an action
// declares (AbstractAction::setVersion and setCheckPermissions,
// DAOGetAction::setJoin and setGroupBy, …; which ones varies by class and
// release) is reached by its name in any case: `VALUES`, `vAlUeS`. A
// parameter without one goes to AbstractAction::__call, which takes
// lcfirst(substr($name, 3)) and looks that up exactly (paramExists):
// `Values` is values there, `VALUES` an "Unknown api parameter". Each
// setter overwrites what an earlier one set, so of two spellings of one
// parameter the last one decides. CiviCRM 6.17.2 refuses a key not spelled
// exactly before setting anything ("Unknown api parameter: Select",
// recording read-32); the releases that set every key through its setter
// run it as the parameter. The edge reads each key as the parameter it may
// set on some release: one that folds to a name in v4ParamNames is that
// parameter, any other has its first letter lowered as __call lowers it.
// Reading a key as a parameter CiviCRM refuses it as only judges a call
// that runs nothing. checkPermissions keeps its spellings: CiviCRM sets
// its own value under the exact key, and v4ChecksOff judges the others.

// v4ParamNames are the APIv4 parameters by their declared names: every
// one a reader of a call's params looks up (the query clauses and joins,
// writes' values, records, defaults, match and reload, chain, EntitySet's
// sets, SearchKit's savedSearch, display, filters and sort, an
// autocomplete's formName and fieldName, getFields' loadOptions,
// Order.create's contributionValues, contributionRecurValues and lineItems, debug), and the others every action
// or every get declares. A name a reader looks up must be here, or a
// declared setter could take a spelling the edge does not read.
var v4ParamNames = [...]string{
	"version", "language", "chain", "debug",
	"select", "join", "where", "groupBy", "having", "orderBy", "limit", "offset", "translationMode",
	"values", "records", "defaults", "match", "reload", "useTrash",
	"action", "loadOptions", "includeCustom",
	"sets", "savedSearch", "display", "filters", "sort", "formName", "fieldName",
	"contributionValues", "contributionRecurValues", "lineItems",
}

// v4ParamFold maps each of v4ParamNames, lower-cased, to itself.
var v4ParamFold = func() map[string]string {
	m := make(map[string]string, len(v4ParamNames))
	for _, n := range v4ParamNames {
		m[strings.ToLower(n)] = n
	}
	return m
}()

// v4ParamName is the parameter key k may set (see above).
func v4ParamName(k string) string {
	if strings.EqualFold(k, CheckPermissionsV4) {
		return k
	}
	var buf [24]byte
	if len(k) <= len(buf) {
		lower := buf[:len(k)]
		for i := 0; i < len(k); i++ {
			c := k[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			lower[i] = c
		}
		if n, ok := v4ParamFold[string(lower)]; ok {
			return n
		}
	}
	if k != "" && 'A' <= k[0] && k[0] <= 'Z' {
		return string(k[0]+'a'-'A') + k[1:]
	}
	return k
}

// v4Params are an APIv4 call's params keyed as CiviCRM resolves them:
// each key under the parameter it sets (v4ParamName), in the order the
// parameters are first set, with the value set last. params itself when
// every key is already so (no copy); never changed.
func v4Params(params *Array) *Array {
	i := 0
	for ; i < params.Len(); i++ {
		if k := params.Key(i); v4ParamName(k) != k {
			break
		}
	}
	if i == params.Len() {
		return params
	}
	out := NewArray()
	for j := 0; j < params.Len(); j++ {
		out.Set(v4ParamName(params.Key(j)), params.Value(j))
	}
	return out
}

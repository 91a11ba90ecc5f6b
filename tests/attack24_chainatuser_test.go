package tests

// Attack 24, policy: "@user:<name>" made by the parent call and handed to a
// chained call's where clause through a $ reference.
//
// Civi\Api4\Provider\ActionObjectProvider::runChain resolves every string
// of a chain's params that starts with '$' against the parent row
// (resolveChainLinks: $row[$key], or its dotted path), after the parent
// ran. The parent row may hold any string the caller computes: APIv4 select
// takes SQL functions of string literals (SqlFunctionCONCAT's arguments
// may be SqlString), so select "CONCAT('@user:', 'admin') AS u" gives every
// row u = "@user:admin". The chained Contact.get with where
// [["id", "=", "$u"]] then runs with "@user:admin" as the id, and
// Api4Query::composeClause formats it (FormattingUtil::formatInputValue:
// a contact's id under '=' or 'IN' -> resolveContactID ->
// _civicrm_api3_resolve_contactID): the CMS user's UFMatch contact, or the
// error "cannot be resolved to a contact ID" -- the same read Civigate
// refuses under deny { entity UFMatch } when the where clause names
// "@user:admin" itself, and when a chained create's values take "$u".

import "testing"

func TestA24ChainRefAtUserReadsUFMatch(t *testing.T) {
	why := "ActionObjectProvider::runChain -> resolveChainLinks fills \"$u\" with the parent row's u, " +
		"\"@user:admin\" (select CONCAT('@user:', 'admin') AS u), then the chained get's where clause is formatted by " +
		"FormattingUtil::formatInputValue -> resolveContactID -> _civicrm_api3_resolve_contactID('@user:admin') -> CRM_Core_BAO_UFMatch::getContactId"
	parent := `{"select":["id","CONCAT('@user:', 'admin') AS u"],"where":[["id","=",2]],"chain":{"x":`
	a14Check(t, a14Policy{
		lines: a17Deny("UFMatch"),
		controls: []a11aCase{
			{"chained where '@user:admin'", a10V4("Contact", "get", parent+`["Contact","get",{"where":[["id","=","@user:admin"]]}]}}`), "the same clause, written by the client"},
			{"chained create values $u", a10V4("Contact", "get", parent+`["Email","create",{"values":{"contact_id":"$u","email":"a@example.org"}}]}}`), "the same reference in a chained write"},
		},
		cases: []a11aCase{
			{"chained where id = $u", a10V4("Contact", "get", parent+`["Contact","get",{"where":[["id","=","$u"]]}]}}`), why},
			{"chained where id IN [$u]", a10V4("Contact", "get", parent+`["Contact","get",{"where":[["id","IN",["$u"]]]}]}}`), why + " (each element under IN)"},
			{"chained Email.get where contact_id = $u", a10V4("Contact", "get", parent+`["Email","get",{"where":[["contact_id","=","$u"]]}]}}`), why + " (a contact reference)"},
			{"calls= member's chain", a17V4Calls(`[["Contact","get",` + parent + `["Contact","get",{"where":[["id","=","$u"]]}]}}]]`), why},
		},
	})
}

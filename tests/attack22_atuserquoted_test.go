package tests

// Attack 22, policy: "@user:<name>" as a quoted string in an APIv4 join's
// ON clause, or in a where clause whose value is an expression.
//
// Civi\Api4\Query\Api4Query::composeClause reads [$valueA, $operator,
// $valueB, $isBAnExpression]; $isBAnExpression defaults to TRUE in ON
// clauses and is the clause's 4th element in WHERE. When it is set and
// $valueB is a quoted string (a SqlString), the quotes are stripped and the
// value goes through FormattingUtil::formatInputValue with the field's spec
// and operator, as a plain WHERE value does: for a contact reference under
// =, !=, IN… that is resolveContactID, which turns "@user:admin" into the
// CMS user's contact through _civicrm_api3_resolve_contactID (getUfId, then
// CRM_Core_BAO_UFMatch::getContactId). Civigate refuses the plain where
// value under deny { entity UFMatch } (README: a contact reference in a
// where or having clause) but not the quoted one, which reads the same
// civicrm_uf_match row.

import "testing"

func TestA22AtUserQuotedInOnAndExpressionWhere(t *testing.T) {
	why := "Api4Query::composeClause: a quoted string compared with a field when $isBAnExpression (ON clauses by default, a WHERE clause's 4th element) is unquoted and formatted by FormattingUtil::formatInputValue -> resolveContactID -> _civicrm_api3_resolve_contactID('@user:admin') -> CRM_Core_BAO_UFMatch::getContactId"
	a14Check(t, a14Policy{
		lines: a17Deny("UFMatch"),
		controls: []a11aCase{
			{"where contact_id = @user:admin", a10V4("Email", "get", `{"where":[["contact_id","=","@user:admin"]]}`), "the same lookup as a plain where value"},
		},
		cases: []a11aCase{
			{"join ON e.contact_id = '@user:admin'", a10V4("Contact", "get", `{"select":["id","e.email"],"join":[["Email AS e","INNER",["e.contact_id","=","id"],["e.contact_id","=","'@user:admin'"]]]}`), why},
			{"where with the 4th element true", a10V4("Email", "get", `{"where":[["contact_id","=","'@user:admin'",true]]}`), why},
			{"chained where with the 4th element true", a10V4("Contact", "get", `{"select":["id"],"chain":{"e":["Email","get",{"where":[["contact_id","=","'@user:admin'",true]]}]}}`), why + " (in a chain)"},
		},
	})
}

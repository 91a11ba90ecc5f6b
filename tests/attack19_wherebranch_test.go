package tests

import "testing"

// TestA19WhereBranchTrueIsOr: an APIv4 clause whose first element is the
// JSON boolean true is an OR branch for CiviCRM, and the fields inside it
// are read, yet Civigate does not look inside it.
//
// Civi\Api4\Query\Api4Query::treeWalkClauses tests a clause with
// `in_array($clause[0], ['AND', 'OR', 'NOT'])` (no strict flag) and then
// `switch ($clause[0]) { case 'OR': case 'AND': ... }`; both compare
// loosely, and under PHP 8 `true == 'OR'` holds (a non-empty string is
// true), so `[true, [[...], [...]]]` takes the OR branch and walks every
// sub-clause through composeClause, which renders each field
// (getExpression -> getField -> autoJoinFK: email_primary.email joins
// civicrm_email). Nothing before it checks the shape: setWhere takes any
// array (AbstractQueryAction), DAOGetAction::_run only looks for `id` and
// default values, and the same walk serves WHERE, HAVING and join ON
// clauses (Api4SelectQuery::addExplicitJoins passes each array condition
// to treeWalkClauses($clause, 'ON')). json_decode gives PHP `true` for a
// JSON true, so a REST client sends it as written.
//
// So under deny { entity Email } a client filters contacts by their
// primary e-mail (and learns it a character at a time with LIKE), which
// the same call with "OR" in place of true is refused for.
func TestA19WhereBranchTrueIsOr(t *testing.T) {
	const branch = `[true,[["email_primary.email","LIKE","a%"],["id",">",0]]]`
	const why = "Api4Query::treeWalkClauses compares $clause[0] loosely (in_array without strict, switch): " +
		"PHP 8's true == 'OR', so a clause [true, [...]] is an OR branch whose sub-clauses CiviCRM renders, " +
		"joining civicrm_email for email_primary.email"
	a14Check(t, a14Policy{
		lines: []string{"deny {", "entity Email", "}"},
		controls: []a11aCase{
			{"the same branch spelled OR", a10V4("Contact", "get", `{"select":["id"],"where":[["OR",[["email_primary.email","LIKE","a%"],["id",">",0]]]]}`), "the string spelling"},
			{"the sub-clause alone", a10V4("Contact", "get", `{"select":["id"],"where":[["email_primary.email","LIKE","a%"]]}`), "a plain where"},
		},
		cases: []a11aCase{
			{"Contact.get where [true, ...]", a10V4("Contact", "get", `{"select":["id"],"where":[`+branch+`]}`), why},
			{"Contact.get where [true, ...] with one sub-clause", a10V4("Contact", "get", `{"select":["id"],"where":[[true,[["email_primary.email","LIKE","a%"]]]]}`), why + " (one sub-clause is walked alone)"},
			{"Contact.get where [true, ...] nested in OR", a10V4("Contact", "get", `{"select":["id"],"where":[["OR",[`+branch+`,["id","=",0]]]]}`), why},
			{"Contact.get join ON [true, ...]", a10V4("Contact", "get", `{"select":["id","c.id"],"join":[["Contribution AS c","LEFT",["c.contact_id","=","id"],[true,[["c.source","=","email_primary.email"],["c.id",">","0"]]]]]}`), why + " (ON clauses are walked by the same function, values as expressions)"},
			{"Individual.get where [true, ...]", a10V4("Individual", "get", `{"select":["id"],"where":[`+branch+`]}`), why},
			{"chained Contact.get", a10V4("Contact", "get", `{"select":["id"],"chain":{"x":["Contact","get",{"select":["id"],"where":[`+branch+`]}]}}`), why},
			{"batch member", a19Batch(`[["Contact","get",{"select":["id"],"where":[` + branch + `]}]]`), why},
			{"SearchDisplay.run inline saved search", a10V4("SearchDisplay", "run", `{"savedSearch":{"api_entity":"Contact","api_params":{"version":4,"select":["id"],"where":[`+branch+`]}},"display":{"type":"table","settings":{"columns":[{"type":"field","key":"id"}]}}}`), why + " (SearchKit runs the saved search's api_params as an APIv4 get)"},
		},
	})
}

package tests

// Attack 22, policy: APIv4's index names a field CiviCRM adds to the select.
//
// civicrm_api4($entity, $action, $params, $index) (api/api.php): a string
// index that is not an integer is an index field; when $params['select'] is
// a non-empty array that does not select it, civicrm_api4 appends it
// ($params['select'][] = $indexField) before Request::create, runs the
// query, indexes the rows by it (Result::indexBy) and only then unsets it
// from each row: the answer's keys are the field's values. An array index
// [key => column] is added with $apiCall->addSelect() for both. The page
// passes the request's index through (CRM_Api4_Page_AJAX::run:
// CRM_Utils_Request::retrieve('index', 'String'), from the body or the
// query; a calls= member's 4th element or "index" key, execute($entity,
// $action, $params, $index)), and so does a chain's 4th element
// (ActionObjectProvider::runChain: civicrm_api4($entity, $action, $params,
// $index)). So Contact.get {"select":["id"]} with index
// email_primary.email reads every contact's primary e-mail (the implicit
// join Civigate refuses under deny { entity Email } when it is in select)
// and answers it as the keys of values.

import (
	"net/url"
	"testing"
)

func TestA22V4IndexReadsItsField(t *testing.T) {
	why := "civicrm_api4() appends a string index field to a non-empty select ($params['select'][] = $indexField) and keys the rows by its values (Result::indexBy): the primary e-mail of every contact, an implicit join on Email"
	a14Check(t, a14Policy{
		lines: a17Deny("Email"),
		controls: []a11aCase{
			{"select email_primary.email", a10V4("Contact", "get", `{"select":["id","email_primary.email"]}`), "the same join in select"},
		},
		cases: []a11aCase{
			{"index in the body", a22V4Index("Contact", "get", `{"select":["id"]}`, "email_primary.email"), why},
			{"index in the query", a10Req{method: "POST", pathQuery: "/civicrm/ajax/api4/Contact/get?index=" + url.QueryEscape("email_primary.email"),
				ctype: "application/x-www-form-urlencoded", body: a10Form("params", `{"select":["id"]}`)}, why + " (retrieve() reads $_REQUEST: the query too)"},
			{"calls= member's 4th element", a17V4Calls(`[["Contact","get",{"select":["id"]},"email_primary.email"]]`), why + " (call_user_func_array([$this, 'execute'], $call))"},
			{"calls= member's index key", a17V4Calls(`[{"entity":"Contact","action":"get","params":{"select":["id"]},"index":"email_primary.email"}]`), why + " (a named argument of execute())"},
			{"calls= array index", a17V4Calls(`[["Contact","get",{},{"email_primary.email":"id"}]]`), "civicrm_api4(): an array index [key => column] is added with $apiCall->addSelect() for the key and the column"},
			{"chain's 4th element", a10V4("Contact", "get", `{"select":["id"],"chain":{"e":["Contact","get",{"select":["id"],"where":[["id","=","$id"]]},"email_primary.email"]}}`), why + " (ActionObjectProvider::runChain: civicrm_api4($entity, $action, $params, $index))"},
		},
	})
}

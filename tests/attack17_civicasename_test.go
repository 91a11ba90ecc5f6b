package tests

// Attack 17, policy: APIv4 runs the Case entity under the name CiviCase.
//
// CRM_Api4_Page_AJAX::execute passes the URL's entity to civicrm_api4(),
// whose Civi\API\Request::create calls CoreUtil::getApiClass($entity):
// 'Civi\Api4\' . $entity when that class exists. The class of the Case
// entity is Civi\Api4\CiviCase ("Case" is a reserved PHP word), so
// civicrm/ajax/api4/CiviCase/get runs Civi\Api4\CiviCase::get(), whose actions are built
// with getEntityName() 'Case' (Civi/Api4/CiviCase.php): the same call as
// Case/get, CiviCRM's own permission checks included. APIv4 chains
// (["CiviCase","get",…]) and the calls= multi-call format go through the
// same Request::create. Civigate compares the name ignoring case and
// underscores only, so `deny { entity Case }` lets CiviCase read, create
// and delete cases.

import "testing"

func TestA17V4CiviCaseIsCase(t *testing.T) {
	why := "Request::create -> CoreUtil::getApiClass('CiviCase') is Civi\\Api4\\CiviCase, the Case entity's class (getEntityName() 'Case'): CiviCRM runs the Case call"
	a14Check(t, a14Policy{
		lines:    a17Deny("Case"),
		controls: []a11aCase{{"Case.get", a10V4("Case", "get", `{}`), "the Case entity's own name"}},
		cases: []a11aCase{
			{"CiviCase.get", a10V4("CiviCase", "get", `{"select":["subject","details"]}`), why},
			{"CiviCase.create", a10V4("CiviCase", "create", `{"values":{"contact_id":3,"case_type_id":1,"subject":"x"}}`), why + " (Civi\\Api4\\Action\\CiviCase\\Create)"},
			{"CiviCase.delete", a10V4("CiviCase", "delete", `{"where":[["id","=",1]]}`), why},
			{"chained CiviCase.get", a10V4("Contact", "get", `{"where":[["id","=",3]],"chain":{"cases":["CiviCase","get",{}]}}`), why + " (an APIv4 chain runs civicrm_api4 with the chain's entity)"},
			{"calls= CiviCase.get", a17V4Calls(`{"a":["CiviCase","get",{}]}`), why + " (CRM_Api4_Page_AJAX's multi-call format)"},
		},
	})
}

package tests

import "testing"

// TestA14CaseCreateWritesItsClients: opening a case writes its clients.
// APIv4 Case.create (and save of a record without id) runs
// CiviCaseSaveTrait::writeObjects, whose openCase() calls
// CRM_Case_BAO_CaseContact::create for each contact_id (the "Case
// Client(s)" field CaseCreationSpecProvider declares, required), then
// CRM_Case_XMLProcessor_Process::run with activityTypeName "Open Case" and
// standardTimeline, which creates the Open Case activity (Activity) and the
// case roles' relationships (civicrm-core Civi/Api4/Action/CiviCase/CiviCaseSaveTrait.php).
// APIv3 civicrm_api3_case_create does the same (api/v3/Case.php: "foreach
// ((array) $params['contact_id'] as $cid) CRM_Case_BAO_CaseContact::create",
// then _civicrm_api3_case_create_xmlProcessor). Under
// deny { entity CaseContact action create } they pass: a client the policy
// forbids to write case clients adds them by opening cases.
func TestA14CaseCreateWritesItsClients(t *testing.T) {
	why := "opening a case calls CRM_Case_BAO_CaseContact::create for each contact_id (CiviCaseSaveTrait::openCase, civicrm_api3_case_create): a CaseContact create"
	a14Check(t, a14Policy{
		lines: []string{"deny {", "entity CaseContact", "action create", "}"},
		controls: []a11aCase{
			{name: "APIv4 CaseContact.create", r: a10V4("CaseContact", "create", `{"values":{"case_id":1,"contact_id":2}}`), why: "the rule itself"},
		},
		cases: []a11aCase{
			{name: "APIv4 Case.create contact_id", r: a10V4("Case", "create", `{"values":{"case_type_id":1,"contact_id":[2],"creator_id":2,"subject":"x"}}`), why: why},
			{name: "APIv4 Case.save new record", r: a10V4("Case", "save", `{"records":[{"case_type_id":1,"contact_id":[2],"creator_id":2,"subject":"x"}]}`), why: why},
			{name: "APIv3 Case.create contact_id", r: a10V3("Case", "create", `{"case_type_id":1,"contact_id":2,"subject":"x"}`), why: why},
		},
	})
}

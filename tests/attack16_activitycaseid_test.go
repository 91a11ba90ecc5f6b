package tests

// Attack 16: an APIv3 Activity.create naming case_id files the activity on
// the case: a CaseActivity write.

import "testing"

// TestA16V3ActivityCreateCaseIDWritesCaseActivity: civicrm_api3_activity_create
// (api/v3/Activity.php) takes case_id and, after
// CRM_Activity_BAO_Activity::create, for a new activity (no revision) runs
// `CRM_Case_BAO_Case::processCaseActivity(['activity_id' => …, 'case_id' =>
// $singleCaseId])` for each case: a civicrm_case_activity row. The README
// lists the fields that make CiviCRM write another entity (an activity's
// source/target/assignee ActivityContact rows, a participant's note…) and
// reads case_id as CaseActivity on the read side, yet deny { entity
// CaseActivity } lets Activity.create with case_id (alone or chained) file
// the activity on a case, as APIv4 CaseActivity.create, refused, would.
func TestA16V3ActivityCreateCaseIDWritesCaseActivity(t *testing.T) {
	const why = "civicrm_api3_activity_create runs CRM_Case_BAO_Case::processCaseActivity for case_id: a CaseActivity create"
	a14Check(t, a14Policy{
		lines: []string{"deny {", "entity CaseActivity", "}"},
		controls: []a11aCase{
			{"APIv4 CaseActivity.create", a10V4("CaseActivity", "create", `{"values":{"case_id":1,"activity_id":5}}`), "the same row written directly"},
			{"APIv4 Activity.get case_id", a10V4("Activity", "get", `{"select":["case_id"]}`), "the read side"},
		},
		cases: []a11aCase{
			{"APIv3 Activity.create case_id", a10V3("Activity", "create", `{"activity_type_id":1,"subject":"x","source_contact_id":2,"case_id":1}`), why},
			{"chained api.Activity.create case_id", a10V3("Contact", "get", `{"id":2,"api.Activity.create":{"activity_type_id":1,"subject":"x","source_contact_id":2,"case_id":1}}`), why},
		},
	})
}

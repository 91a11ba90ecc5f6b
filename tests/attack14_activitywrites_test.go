package tests

import "testing"

// TestA14ActivityWriteSavesItsContactsAndCase: an Activity create writes
// more than civicrm_activity. CRM_Activity_BAO_Activity::create saves the
// source, target and assignee contacts as civicrm_activity_contact rows
// (ActivityContact), whichever API runs it: APIv3 civicrm_api3_activity_create
// (api/v3/Activity.php; its spec even defaults source_contact_id to
// user_contact_id and names CRM_Activity_DAO_ActivityContact as the fields'
// FKClassName), and APIv4 Activity.create/update/save, whose
// ActivitySpecProvider declares source_contact_id, target_contact_id and
// assignee_contact_id as create and update fields. A case_id makes APIv3's
// create call CRM_Case_BAO_Case::processCaseActivity (a civicrm_case_activity
// row: CaseActivity). The README says other entities' writes save what
// their BAO saves for a field they name (a Group's parents writes
// GroupNesting, an Address's master_id a Relationship…) and a deny rule
// refuses a call whose data meets the rule's at all; these pass
// deny { entity ActivityContact action create } and
// deny { entity CaseActivity action create }.
func TestA14ActivityWriteSavesItsContactsAndCase(t *testing.T) {
	why := "CRM_Activity_BAO_Activity::create writes civicrm_activity_contact rows for source_contact_id, target_contact_id and assignee_contact_id: an ActivityContact create"
	t.Run("deny ActivityContact create", func(t *testing.T) {
		a14Check(t, a14Policy{
			lines: []string{"deny {", "entity ActivityContact", "action create", "}"},
			controls: []a11aCase{
				{name: "APIv4 ActivityContact.create", r: a10V4("ActivityContact", "create", `{"values":{"activity_id":1,"contact_id":3,"record_type_id":3}}`), why: "the rule itself"},
			},
			cases: []a11aCase{
				{name: "APIv4 Activity.create target_contact_id", r: a10V4("Activity", "create", `{"values":{"activity_type_id":1,"source_contact_id":2,"target_contact_id":[3]}}`), why: why},
				{name: "APIv4 Activity.update assignee_contact_id", r: a10V4("Activity", "update", `{"where":[["id","=",1]],"values":{"assignee_contact_id":[3]}}`), why: why},
				{name: "APIv4 Activity.save target_contact_id", r: a10V4("Activity", "save", `{"records":[{"activity_type_id":1,"source_contact_id":2,"target_contact_id":[3]}]}`), why: why},
				{name: "APIv3 Activity.create target_contact_id", r: a10V3("Activity", "create", `{"activity_type_id":1,"source_contact_id":2,"target_contact_id":[3]}`), why: why},
				{name: "APIv3 chained api.Activity.create", r: a10V3("Contact", "get", `{"id":2,"return":"id","api.Activity.create":{"activity_type_id":1,"target_contact_id":3}}`), why: why},
			},
		})
	})
	t.Run("deny CaseActivity create", func(t *testing.T) {
		why := "civicrm_api3_activity_create runs CRM_Case_BAO_Case::processCaseActivity for a case_id: a CaseActivity create"
		a14Check(t, a14Policy{
			lines: []string{"deny {", "entity CaseActivity", "action create", "}"},
			controls: []a11aCase{
				{name: "APIv3 CaseActivity.create", r: a10V3("CaseActivity", "create", `{"case_id":1,"activity_id":1}`), why: "the rule itself"},
			},
			cases: []a11aCase{
				{name: "APIv3 Activity.create case_id", r: a10V3("Activity", "create", `{"activity_type_id":1,"source_contact_id":2,"case_id":1}`), why: why},
			},
		})
	})
}

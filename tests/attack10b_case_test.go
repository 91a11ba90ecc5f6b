package tests

import "testing"

// TestA10CaseGetDependsOnActivities: APIv3 Case.get answers, when asked,
// the case's activities (civicrm_case_activity rows). Activity writes that
// add or remove those rows must make a cached Case.get go back to CiviCRM.
// (A Relationship write with case_id, a case role, does invalidate it.)
func TestA10CaseGetDependsOnActivities(t *testing.T) {
	a10bRunDepCases(t, []a10bDepCase{
		{
			name:  "Activity.create with case_id adds to Case.get's activities",
			read:  a10bCall{3, "Case", "get", `{"id":1,"return":["id","subject","activities"]}`},
			write: a10bCall{3, "Activity", "create", `{"activity_type_id":1,"source_contact_id":2,"case_id":1,"subject":"follow-up"}`},
			why: "api/v3/Case.php _civicrm_api3_case_read: if return holds 'activities', \"SELECT activity_id FROM civicrm_case_activity " +
				"WHERE case_id = %1\"; CRM_Activity_BAO_Activity::create with case_id writes that civicrm_case_activity row",
		},
		{
			name:  "Activity.delete removes from Case.get's activities",
			read:  a10bCall{3, "Case", "get", `{"id":1,"return":["id","subject","activities"]}`},
			write: a10bCall{4, "Activity", "delete", `{"where":[["id","=",1]]}`},
			why:   "civicrm_case_activity.activity_id is ON DELETE CASCADE",
		},
	})
}

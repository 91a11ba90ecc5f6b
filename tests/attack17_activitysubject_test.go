package tests

// Attack 17, policy: an APIv3 activity's subject given under its unique
// name, activity_subject, files the activity on the case it names.
//
// schema/Activity/Activity.entityType.php gives subject the unique_name
// activity_subject; APIv3SchemaAdapter::onApiPrepare_validate runs
// _civicrm_api3_swap_out_aliases, which copies a field given by its unique
// name to the field when the field is not set. civicrm_api3_activity_create
// then saves the subject through CRM_Activity_BAO_Activity::create, whose
// post hook CRM_Case_BAO_Case::on_hook_civicrm_post matches "[case #12]"
// (or the case's hash) in $activity->subject and runs updateCaseActivity: a
// CaseActivity write. Civigate refuses the same call with "subject" under
// deny { entity CaseActivity }, as the README says (a subject naming a
// case), and lets "activity_subject" through.

import "testing"

func TestA17V3ActivitySubjectUniqueNameFilesOnCase(t *testing.T) {
	why := "_civicrm_api3_swap_out_aliases copies activity_subject (subject's unique name) to subject; CRM_Case_BAO_Case::on_hook_civicrm_post files the activity on case 1 (updateCaseActivity)"
	a14Check(t, a14Policy{
		lines:    a17Deny("CaseActivity", "create"),
		controls: []a11aCase{{"Activity.create subject", a10V3("Activity", "create", `{"activity_type_id":1,"subject":"[case #1] x"}`), "a subject naming a case"}},
		cases: []a11aCase{
			{"Activity.create activity_subject", a10V3("Activity", "create", `{"activity_type_id":1,"activity_subject":"[case #1] x"}`), why},
			{"Activity.create activity_subject, hash", a10V3("Activity", "create", `{"activity_type_id":1,"activity_subject":"Re: [case #0a1b2c3]"}`), why + " (by the case's hash)"},
			{"Activity.create id activity_subject", a10V3("Activity", "create", `{"id":5,"activity_subject":"[case #1] x"}`), why + " (an edit: the hook runs for 'edit' too)"},
			{"key-value activity_subject", a11aKV("entity=Activity", "action=create", "json=1", "activity_type_id=1", "activity_subject=%5Bcase+%231%5D+x"), why},
			{"chained api.Activity.create", a10V3("Contact", "create", `{"contact_type":"Individual","first_name":"a","api.Activity.create":{"activity_type_id":1,"activity_subject":"[case #1] x"}}`), why},
		},
	})
}

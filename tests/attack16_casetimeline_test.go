package tests

// Attack 16: APIv3 Case.create and Case.addtimeline run the case type's
// timeline, which writes activities, their contacts, their case links and
// the case roles' relationships under the Case call's name.

import "testing"

// TestA16V3CaseTimelineWritesActivities: civicrm_api3_case_create (api/v3/
// Case.php), for a new case (no id), creates the CaseContact rows and runs
// _civicrm_api3_case_create_xmlProcessor: CRM_Case_XMLProcessor_Process::run
// with activityTypeName 'Open Case' and standardTimeline, whose process()
// creates the creator's case roles (createRelationships: a civicrm_relationship
// row per client) and whose createActivity() runs
// CRM_Activity_BAO_Activity::create (source_contact_id the creator, targets
// the clients: Activity and ActivityContact rows) and links each activity to
// the case (CaseActivity). civicrm_api3_case_addtimeline runs the same
// processor for a named activity set. The README reports such side writes for
// other calls (a contact merge's two Activity records, Mailing.clone's
// MailingGroup rows, a new APIv3 Activity's default source ActivityContact
// row) and says the cache sees a case write's Activity, CaseContact and
// Relationship rows, yet a deny rule on those entities lets Case.create and
// Case.addtimeline write them.
func TestA16V3CaseTimelineWritesActivities(t *testing.T) {
	const why = "CiviCRM runs the case type's Open Case timeline (CRM_Case_XMLProcessor_Process): Activity, ActivityContact, CaseActivity and Relationship rows"
	create := a10V3("Case", "create", `{"contact_id":2,"case_type_id":1,"subject":"x"}`)
	byClient := a10V3("Case", "create", `{"client_id":2,"case_type":"housing_support","subject":"x"}`)
	timeline := a10V3("Case", "addtimeline", `{"case_id":1,"timeline":"standard_timeline"}`)
	controls := map[string]a10Req{
		"Activity":        a10V3("Activity", "create", `{"activity_type_id":1,"subject":"x","source_contact_id":2,"target_contact_id":3}`),
		"ActivityContact": a10V3("Activity", "create", `{"activity_type_id":1,"subject":"x","source_contact_id":2,"target_contact_id":3}`),
		"CaseActivity":    a10V4("CaseActivity", "create", `{"values":{"case_id":1,"activity_id":5}}`),
	}
	for _, ent := range []string{"Activity", "ActivityContact", "CaseActivity"} {
		a14Check(t, a14Policy{
			lines: []string{"deny {", "entity " + ent, "}"},
			controls: []a11aCase{
				{"the same rows written directly", controls[ent], "control"},
			},
			cases: []a11aCase{
				{"Case.create under deny " + ent, create, why},
				{"Case.create by client_id under deny " + ent, byClient, why},
				{"Case.addtimeline under deny " + ent, timeline, why},
			},
		})
	}
	a14Check(t, a14Policy{
		lines: []string{"deny {", "entity Relationship", "}"},
		controls: []a11aCase{
			{"APIv3 Relationship.create", a10V3("Relationship", "create", `{"contact_id_a":2,"contact_id_b":3,"relationship_type_id":1}`), "the same row written directly"},
		},
		cases: []a11aCase{
			{"Case.create under deny Relationship", create, "createRelationships: the creator's case role for each client"},
		},
	})
}

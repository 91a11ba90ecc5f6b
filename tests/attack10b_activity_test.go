package tests

import "testing"

// a10bDepCase is a read CiviCRM answers from rows that a write of another
// entity changes, and the CiviCRM code that makes it so.
type a10bDepCase struct {
	name        string
	read, write a10bCall
	why         string
}

func a10bRunDepCases(t *testing.T, cases []a10bDepCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sim, u, inst := a10bSetup(t)
			if msg := a10bStaleAfter(t, sim, u, inst, c.read, c.write); msg != "" {
				t.Errorf("%s\nWhy the answer is stale: %s", msg, c.why)
			}
		})
	}
}

// TestA10ActivityRowsWrittenByOtherEntities: CiviCRM writes activities and
// their contacts, tags and case links as side effects of writes that name
// another entity, and APIv3's Activity.get answers from those rows. A
// cached read must not outlive the write that changed its rows.
func TestA10ActivityRowsWrittenByOtherEntities(t *testing.T) {
	a10bRunDepCases(t, []a10bDepCase{
		{
			name:  "Activity.create writes ActivityContact rows",
			read:  a10bCall{4, "ActivityContact", "get", `{"select":["id","activity_id","contact_id","record_type_id"]}`},
			write: a10bCall{3, "Activity", "create", `{"activity_type_id":1,"source_contact_id":2,"target_contact_id":[3,4],"subject":"x"}`},
			why: "CRM_Activity_BAO_Activity::create writes one civicrm_activity_contact row for the source and one for each target " +
				"and assignee (record_type_id 2, 3, 1): an ActivityContact.get listing the activity's contacts now misses them",
		},
		{
			name:  "ActivityContact write changes APIv3 Activity.get",
			read:  a10bCall{3, "Activity", "get", `{"return":["id","subject","target_contact_id"]}`},
			write: a10bCall{4, "ActivityContact", "update", `{"where":[["id","=",1]],"values":{"contact_id":4}}`},
			why: "api/v3/Activity.php _civicrm_api3_activity_get_formatResult always returns source_contact_id ($returns['source_contact_id'] = 1) " +
				"and, asked, target_contact_id and assignee_contact_id, all read from civicrm_activity_contact",
		},
		{
			name:  "ActivityContact write changes APIv3 Activity.get's target_contact_id filter",
			read:  a10bCall{3, "Activity", "get", `{"target_contact_id":3}`},
			write: a10bCall{4, "ActivityContact", "create", `{"values":{"activity_id":1,"contact_id":3,"record_type_id":3}}`},
			why:   "civicrm_api3_activity_get filters target_contact_id, assignee_contact_id and source_contact_id by a subquery on civicrm_activity_contact ('ac.contact_id IN (#cid)')",
		},
		{
			name:  "EntityTag write changes APIv3 Activity.get return tag_id",
			read:  a10bCall{3, "Activity", "get", `{"return":["id","tag_id"]}`},
			write: a10bCall{4, "EntityTag", "create", `{"values":{"entity_table":"civicrm_activity","entity_id":1,"tag_id":1}}`},
			why:   "_civicrm_api3_activity_get_formatResult answers tag_id from the activity's EntityTag rows (case 'tag_id': EntityTag get)",
		},
		{
			name:  "Membership.create records a Membership Signup activity",
			read:  a10bCall{4, "Activity", "get", `{"select":["id","activity_type_id:name","source_record_id"]}`},
			write: a10bCall{3, "Membership", "create", `{"contact_id":3,"membership_type_id":1}`},
			why: "CRM_Member_BAO_Membership::create calls CRM_Activity_BAO_Activity::addActivity($membership, 'Membership Signup' …) " +
				"for a new membership (and 'Change Membership Status' / 'Change Membership Type' on updates)",
		},
		{
			name:  "Participant.create records an Event Registration activity",
			read:  a10bCall{4, "Activity", "get", `{"select":["id","activity_type_id:name","source_record_id"]}`},
			write: a10bCall{4, "Participant", "create", `{"values":{"contact_id":3,"event_id":1}}`},
			why: "CRM_Event_BAO_Participant::create: 'Log activity when creating new participant or changing status' — " +
				"CRM_Activity_BAO_Activity::addActivity($participant, 'Event Registration', …)",
		},
		{
			name:  "Case.create records its Open Case activity",
			read:  a10bCall{4, "Activity", "get", `{"select":["id","activity_type_id:name","subject"]}`},
			write: a10bCall{3, "Case", "create", `{"contact_id":3,"case_type_id":1,"subject":"New case","creator_id":2}`},
			why: "api/v3/Case.php civicrm_api3_case_create runs the case type's standard timeline " +
				"(CRM_Case_XMLProcessor_Process::run with 'standardTimeline'), which creates the Open Case activity and its activity contacts",
		},
	})
}

package tests

import "testing"

// TestAttack10V3GetsCarryJoinedEntities: APIv3 reads whose answers carry
// another entity's fields by CiviCRM's own query objects, which the README
// itself lists for cache invalidation ("APIv3's Contribution.get,
// Participant.get and Pledge.get, which return their contact's display_name
// and sort_name", "APIv3's Participant.get returns its event's title, type
// and dates by default") but not for the policy, which the README says
// covers "that entity's data however a call reaches it":
//   - Contribution.get with return=display_name (and by default):
//     _civicrm_api3_get_using_query_object('Contribution') runs
//     CRM_Contribute_BAO_Query, whose default return properties include the
//     contact's sort_name and display_name (civicrm_contact joined);
//   - Participant.get with return=event_title (and by default):
//     CRM_Event_BAO_Query joins civicrm_event for event_title,
//     event_start_date, event_type.
//
// `deny { entity Contact Event }` lets both through.
func TestAttack10V3GetsCarryJoinedEntities(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity Contact Event", "}")
	if st, body, reached, _ := a10Send(t, sim, rec, inst, a10V4("Contribution", "get", `{"select":["contact_id.display_name"]}`)); len(reached) > 0 || !a9PolicyRefused(st, body) {
		t.Fatalf("control: APIv4 Contribution.get of contact_id.display_name not refused: %d %s", st, body)
	}
	a10MustRefuse(t, sim, rec, inst, "Contribution.get display_name", a10V3("Contribution", "get", `{"return":["display_name","sort_name"]}`),
		"CRM_Contribute_BAO_Query joins civicrm_contact and answers each contribution's contact's display_name and "+
			"sort_name: Contact data though a rule forbids Contact (APIv4's contact_id.display_name is refused).")
	a10MustRefuse(t, sim, rec, inst, "Participant.get event_title", a10V3("Participant", "get", `{"return":["event_title","event_start_date"]}`),
		"CRM_Event_BAO_Query joins civicrm_event and answers the event's title and dates: Event data though a rule forbids Event.")
}

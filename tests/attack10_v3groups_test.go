package tests

import "testing"

// TestAttack10V3ContactGroupMembership: APIv3 Contact.create writes, and
// Contact.get reads, group memberships (GroupContact rows) under the
// Contact's own name, past `deny { entity GroupContact }`.
//   - Contact.create with group: CRM_Contact_BAO_Contact::create (behind
//     civicrm_api3_contact_create) runs, for each "group" => [groupId =>
//     flag], CRM_Contact_BAO_GroupContact::addContactsToGroup (flag 1) or
//     removeContactsFromGroup (flag -1) on the contact: GroupContact
//     creates and deletes. Group membership is what CiviCRM's ACLs grant
//     access by (an ACL role is given to a group), so a key held away from
//     GroupContact can put any contact, its own included, in an ACL group.
//   - Contact.get with group (a filter, resolved by
//     _civicrm_api3_contact_get_supportanomalies) or return=group,tag
//     answers who is in which group (the simulator answers contact 2 for
//     group 1), as GroupContact.get would (refused here).
//
// The README: "An entity rule covers that entity's data however a call
// reaches it"; APIv4's contact writes are judged as writes of the records
// they save (email_primary…), not these.
func TestAttack10V3ContactGroupMembership(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity GroupContact", "}")
	if st, body, reached, _ := a10Send(t, sim, rec, inst, a10V3("GroupContact", "get", `{"contact_id":2}`)); len(reached) > 0 || !a9PolicyRefused(st, body) {
		t.Fatalf("control: GroupContact.get not refused: %d %s", st, body)
	}
	a10MustRefuse(t, sim, rec, inst, "Contact.create group add", a10V3("Contact", "create", `{"id":2,"group":{"1":1}}`),
		"CRM_Contact_BAO_Contact::create runs CRM_Contact_BAO_GroupContact::addContactsToGroup for group => [1 => 1]: "+
			"a GroupContact create (ACL groups grant permissions) though a rule forbids GroupContact.")
	a10MustRefuse(t, sim, rec, inst, "Contact.create group remove", a10V3("Contact", "create", `{"id":2,"group":{"1":-1}}`),
		"flag -1 runs CRM_Contact_BAO_GroupContact::removeContactsFromGroup: a GroupContact delete.")
	a10MustRefuse(t, sim, rec, inst, "Contact.get group filter", a10V3("Contact", "get", `{"group":1,"return":["id"]}`),
		"the group filter answers the members of group 1 (GroupContact rows) though a rule forbids GroupContact.")
}

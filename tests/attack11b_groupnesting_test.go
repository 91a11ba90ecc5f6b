package tests

// A Group write that names its parents writes GroupNesting rows: CiviCRM's
// CRM_Contact_BAO_Group::self_hook_civicrm_post (run for every Group create
// and edit, APIv3 and APIv4 alike) removes the group's GroupNesting rows
// for parents no longer listed and calls CRM_Contact_BAO_GroupNesting::add
// for each new parent. The README counts GroupNesting writes among those
// that change who may see what ("CiviCRM grants ACLs through groups both
// ways"): a group nested under an ACL group makes its contacts, with their
// activities and memberships, visible to that ACL's role. So such a write
// must invalidate everything, as a GroupNesting write does.

import "testing"

func TestA11bGroupParentsWriteNesting(t *testing.T) {
	reads := []a10bCall{
		{4, "Membership", "get", `{"select":["id","contact_id"]}`},
		{4, "Activity", "get", `{"select":["id","subject"]}`},
		{3, "Membership", "get", `{"sequential":1}`},
	}
	writes := []a10bCall{
		{4, "Group", "update", `{"where":[["id","=",3]],"values":{"parents":[2]}}`},
		{4, "Group", "create", `{"values":{"title":"Nested","parents":[2]}}`},
		{4, "Group", "save", `{"records":[{"id":3,"parents":[2]}]}`},
		{3, "Group", "create", `{"id":3,"parents":"2"}`},
		{3, "Group", "create", `{"title":"Nested","parents":{"2":1}}`},
	}
	for _, w := range writes {
		for _, r := range reads {
			sim, u, inst := a10bSetup(t)
			if msg := a10bStaleAfter(t, sim, u, inst, r, w); msg != "" {
				t.Errorf("a Group write naming parents writes GroupNesting (ACL-bearing group nesting), which must invalidate every cached read: %s", msg)
			}
			caddyStopNow(t)
		}
	}
}

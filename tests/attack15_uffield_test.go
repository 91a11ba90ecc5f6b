package tests

import "testing"

// A profile field's write rewrites its profile: CRM_Core_BAO_UFField::create
// (CRM/Core/BAO/UFField.php), which APIv3's UFField.create
// (_civicrm_api3_basic_create) and APIv4's create (DAOActionTrait::write uses
// the BAO's create) run, ends with CRM_Core_BAO_UFGroup::updateGroupTypes(
// $ufField->uf_group_id, calculateGroupType(...)), saving the profile's
// civicrm_uf_group.group_type, and then clears Profile.getfields' cache
// (civicrm_api3('profile', 'getfields', ['cache_clear' => TRUE])), since a
// profile's fields are its UFField rows. civicrm_api3_uf_field_delete
// (api/v3/UFField.php) likewise calls updateGroupTypes after deleting. So
// cached UFGroup.get (group_type) and Profile.getfields answers are stale
// after a UFField write; Civigate keeps serving them.
func TestA15UFFieldWriteRetypesProfile(t *testing.T) {
	why := "CRM_Core_BAO_UFField::create and civicrm_api3_uf_field_delete call CRM_Core_BAO_UFGroup::updateGroupTypes " +
		"(civicrm_uf_group.group_type) and a profile's fields are its UFField rows (create clears Profile.getfields' cache)"
	a15MustInvalidate(t, []a15Case{
		{read: a10bCall{3, "UFGroup", "get", `{"id":1,"return":"group_type"}`},
			write: a10bCall{3, "UFField", "create", `{"uf_group_id":1,"field_name":"participant_role","field_type":"Participant"}`}, why: why},
		{read: a10bCall{4, "UFGroup", "get", `{"select":["group_type"],"where":[["id","=",1]]}`},
			write: a10bCall{4, "UFField", "create", `{"values":{"uf_group_id":1,"field_name":"membership_type_id","field_type":"Membership"}}`}, why: why},
		{read: a10bCall{3, "UFGroup", "get", `{"id":1,"return":"group_type"}`},
			write: a10bCall{3, "UFField", "delete", `{"id":3}`}, why: why},
		{read: a10bCall{3, "Profile", "getfields", `{"profile_id":1,"action":"submit"}`},
			write: a10bCall{3, "UFField", "create", `{"uf_group_id":1,"field_name":"email","field_type":"Contact"}`}, why: why},
	})
}

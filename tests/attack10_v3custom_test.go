package tests

import "testing"

// TestAttack10V3CustomFields: APIv3 writes and reads custom data with
// custom_<field id> keys, past `deny { entity CustomValue }`, which refuses
// the APIv4 spelling of the same data (README: "custom or custom_12 writes
// CustomValue"; `deny { entity CustomValue }` covers "every Custom_*").
//   - Contact.create with custom_1: civicrm_api3_contact_create runs
//     _civicrm_api3_custom_format_params($params, $values, contact_type,
//     $contactID) and the BAO stores the values
//     (CRM_Core_BAO_CustomValueTable::store); every other APIv3 create does
//     the same through _civicrm_api3_basic_create
//     (_civicrm_api3_format_params_for_create, api/v3/utils.php).
//   - Contact.get with return=custom_1, or custom_1 as a filter: the query
//     object joins the custom group's table and answers or matches its
//     values.
func TestAttack10V3CustomFields(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity CustomValue", "}")
	if st, body, reached, _ := a10Send(t, sim, rec, inst, a10V4("Contact", "update", `{"where":[["id","=",2]],"values":{"custom_1":"x"}}`)); len(reached) > 0 || !a9PolicyRefused(st, body) {
		t.Fatalf("control: APIv4 Contact.update with custom_1 not refused: %d %s", st, body)
	}
	write := "_civicrm_api3_custom_format_params turns custom_1 into the custom group's values and the BAO stores " +
		"them (CRM_Core_BAO_CustomValueTable::store): a CustomValue write, refused in its APIv4 spelling."
	a10MustRefuse(t, sim, rec, inst, "Contact.create custom_1", a10V3("Contact", "create", `{"id":2,"custom_1":"x"}`), write)
	a10MustRefuse(t, sim, rec, inst, "Activity.create custom_1", a10V3("Activity", "create",
		`{"activity_type_id":1,"source_contact_id":2,"subject":"s","custom_1":"x"}`), write)
	a10MustRefuse(t, sim, rec, inst, "Contact.get return custom_1", a10V3("Contact", "get", `{"id":2,"return":["custom_1"]}`),
		"the query object joins the custom table and answers custom_1's value: a CustomValue read.")
	a10MustRefuse(t, sim, rec, inst, "Contact.get filter custom_1", a10V3("Contact", "get", `{"custom_1":"x","return":["id"]}`),
		"a filter on custom_1 matches contacts by their custom values: a CustomValue read.")
}

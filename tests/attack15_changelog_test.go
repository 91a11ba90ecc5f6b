package tests

import "testing"

// Contact writes add a row to the contact's change log: CRM_Contact_BAO_
// Contact::add (CRM/Contact/BAO/Contact.php) saves the contact and calls
// CRM_Core_BAO_Log::register($contact->id, 'civicrm_contact', $contact->id),
// which saves a civicrm_log row (entity_table civicrm_contact, modified_id,
// modified_date); APIv3 setvalue does the same for a contact
// (_civicrm_api3_generic_setvalue: "Add changelog entry"), and
// CRM_Grant_BAO_Grant::create calls CRM_Core_BAO_Log::add for the grant.
// APIv4's Log entity (Civi/Api4/Log.php, since 5.49) reads civicrm_log: the
// contact's "Change Log". Its cached answer is stale after such writes.
func TestA15ContactWriteAddsChangeLog(t *testing.T) {
	why := "CRM_Contact_BAO_Contact::add calls CRM_Core_BAO_Log::register (a civicrm_log row), as APIv3 setvalue on a " +
		"contact and CRM_Grant_BAO_Grant::create (CRM_Core_BAO_Log::add) do; APIv4 Log.get reads civicrm_log"
	read := a10bCall{4, "Log", "get", `{"where":[["entity_table","=","civicrm_contact"],["entity_id","=",2]],"orderBy":{"modified_date":"DESC"}}`}
	a15MustInvalidate(t, []a15Case{
		{read: read, write: a10bCall{4, "Contact", "update", `{"where":[["id","=",2]],"values":{"first_name":"Ada"}}`}, why: why},
		{read: read, write: a10bCall{3, "Contact", "create", `{"id":2,"last_name":"Lovelace"}`}, why: why},
		{read: read, write: a10bCall{3, "Contact", "setvalue", `{"id":2,"field":"nick_name","value":"A"}`}, why: why},
		{read: a10bCall{4, "Log", "get", `{"where":[["entity_table","=","civicrm_grant"]]}`},
			write: a10bCall{3, "Grant", "create", `{"contact_id":2,"grant_type_id":1,"status_id":1,"amount_total":100}`}, why: why},
	})
}

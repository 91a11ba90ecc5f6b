package tests

import "testing"

// TestAttack10V3ContactLocationFields: APIv3 Contact reads and writes the
// primary e-mail (phone, address, IM) itself, as APIv4's email_primary.*
// does, and `deny { entity Email }` covers only the APIv4 spelling.
// The README: "An entity rule covers that entity's data however a call
// reaches it"; APIv4 Contact.get with email_primary.email and an APIv4
// contact write naming email_primary are judged as Email reads and writes
// (both refused here). The APIv3 counterparts go through:
//   - Contact.get with return=email, a filter on email, or no return at all
//     (the default return list includes email, phone, street_address, im…):
//     civicrm_api3_contact_get runs _civicrm_api3_get_using_query_object,
//     whose CRM_Contact_BAO_Query joins civicrm_email (api/v3/Contact.php
//     declares email, email_id, on_hold, phone, im… as Contact.get fields);
//     the simulator itself answers the contact's e-mail address;
//   - Contact.create with email: civicrm_api3_contact_create turns a string
//     email into a primary Email record of the new contact, and an email
//     array (location blocks) is written by CRM_Contact_BAO_Contact::create
//     through CRM_Core_BAO_Location::create, for an existing contact too.
func TestAttack10V3ContactLocationFields(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity Email", "}")
	// The APIv4 spellings of the same data are refused.
	if st, body, reached, _ := a10Send(t, sim, rec, inst, a10V4("Contact", "get", `{"select":["email_primary.email"],"where":[["id","=",1]]}`)); len(reached) > 0 || !a9PolicyRefused(st, body) {
		t.Fatalf("control: APIv4 Contact.get of email_primary.email not refused: %d %s", st, body)
	}
	read := "CRM_Contact_BAO_Query (behind APIv3 Contact.get) joins civicrm_email and answers the contact's " +
		"e-mail address (the simulator answered it), the same data APIv4's email_primary.email reads, which is refused."
	a10MustRefuse(t, sim, rec, inst, "Contact.get return email", a10V3("Contact", "get", `{"id":1,"return":["email"]}`), read)
	a10MustRefuse(t, sim, rec, inst, "Contact.get filter on email", a10V3("Contact", "get", `{"email":"ada@example.org","return":["id"]}`),
		"a filter on email searches civicrm_email: the answer tells who owns an address.")
	a10MustRefuse(t, sim, rec, inst, "Contact.get default return", a10V3("Contact", "get", `{"id":1}`),
		"Contact.get's default return list includes email (and phone, street_address, im): "+read)
	write := "civicrm_api3_contact_create / CRM_Contact_BAO_Contact::create write an Email record from the contact's " +
		"email parameter, as APIv4's email_primary does (ContactSaveTrait::saveLocations), which is judged as an Email write."
	a10MustRefuse(t, sim, rec, inst, "Contact.create email string", a10V3("Contact", "create", `{"contact_type":"Individual","email":"new@example.org"}`), write)
	a10MustRefuse(t, sim, rec, inst, "Contact.create email blocks", a10V3("Contact", "create",
		`{"id":2,"email":[{"email":"attacker@example.org","location_type_id":1,"is_primary":1}]}`), write)
}

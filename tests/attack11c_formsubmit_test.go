package tests

import "testing"

// TestA11cFormSubmitsWriteContacts: APIv4 Afform.submit saves the records a
// form declares (Civi\Api4\Action\Afform\Submit::processForm: each entity of
// the form layout, Individual1 here, is saved with the values the client
// sends for it, an update when the client gives an id the form may
// autofill), and APIv3 Profile.submit saves the contact a profile's fields
// belong to (civicrm_api3_profile_submit → CRM_Contact_BAO_Contact::
// createProfileContact). Which entities they write is the site's
// configuration, not the call's name, as for Job.execute, which the README
// reports as "one call the edge cannot name: every deny rule naming an entity
// or an action refuses it". These form submissions pass
// deny { entity Contact action create update }, so a client the operator
// forbade to create or change contacts still writes contact rows with
// values it chooses, through the forms.
func TestA11cFormSubmitsWriteContacts(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity Contact", "action create update", "}")
	a10MustRefuse(t, sim, rec, inst, "APIv4 Contact.create (control)",
		a10V4("Contact", "create", `{"values":{"contact_type":"Individual","first_name":"x"}}`), "the rule names it.")
	for _, c := range []struct {
		name, why string
		r         a10Req
	}{
		{"APIv4 Afform.submit", "Afform's Submit saves the form's Individual1 with the client's values (a Contact create, or an update of the id given).",
			a10V4("Afform", "submit", `{"name":"afformNewContact","values":{"Individual1":[{"fields":{"first_name":"Mallory","id":3}}]}}`)},
		{"APIv3 Profile.submit", "civicrm_api3_profile_submit saves the contact with the profile's fields (CRM_Contact_BAO_Contact::createProfileContact).",
			a10V3("Profile", "submit", `{"profile_id":1,"contact_id":3,"first_name":"Mallory"}`)},
	} {
		a10MustRefuse(t, sim, rec, inst, c.name, c.r, c.why+" The writes it runs are the site's form configuration, which the edge cannot name, as Job.execute's.")
	}
}

package tests

// An APIv4 contact write with is_deceased moves the contact's memberships
// to Deceased: APIv4's Contact create/update/save (ContactSaveTrait, then
// DAOActionTrait) save through CRM_Contact_BAO_Contact::create, which ends
// with "if (!empty($params['is_deceased'])) { ...
// CRM_Member_BAO_Membership::updateMembershipStatus($deceasedParams); }".
// The README says so of APIv3's Contact.create ("is_deceased (a Membership
// update: memberships move to Deceased)"); the same BAO runs for APIv4, so
// cached Membership reads must be invalidated by either.

import "testing"

func TestA11bAPIv4DeceasedMovesMemberships(t *testing.T) {
	reads := []a10bCall{
		{4, "Membership", "get", `{"select":["id","status_id"]}`},
		{3, "Membership", "get", `{"contact_id":3}`},
	}
	writes := []a10bCall{
		{4, "Contact", "update", `{"where":[["id","=",3]],"values":{"is_deceased":true,"deceased_date":"2026-12-01"}}`},
		{4, "Individual", "update", `{"where":[["id","=",3]],"values":{"is_deceased":true}}`},
		{4, "Contact", "save", `{"records":[{"id":3,"is_deceased":1}]}`},
		{3, "Contact", "create", `{"id":3,"is_deceased":1}`},
	}
	sim, u, inst := a10bSetup(t)
	for _, w := range writes {
		for _, r := range reads {
			if msg := a10bStaleAfter(t, sim, u, inst, r, w); msg != "" {
				t.Errorf("is_deceased makes CRM_Contact_BAO_Contact::create update the contact's memberships: %s", msg)
			}
		}
	}
}

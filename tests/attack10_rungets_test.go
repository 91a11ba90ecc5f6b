package tests

import "testing"

// TestAttack10ActionsThatRunGet: APIv3 actions whose names do not start
// with "get" but run the entity's get. The README: "A rule on an action
// covers every call that runs that action on the same entity under another
// name" and a rule on get covers "APIv4 … save with reload"; these APIv3
// ones pass `deny { entity Contact action get }`:
//   - Contact.duplicatecheck with return: civicrm_api3_contact_duplicatecheck
//     (api/v3/Contact.php) returns civicrm_api3('Contact', 'get',
//     ['return' => $params['return'], 'id' => ['IN' => $dupes], …]):
//     the contacts matching the caller's criteria, with the fields it asks;
//   - create with options.reload: CRM_Utils_API_ReloadOption (wrapped
//     around every APIv3 call, Civi/Core/Container.php) runs
//     civicrm_api3($entity, 'get', ['id' => $result['id']]) after the
//     create and merges the whole row into the answer (APIv3's
//     counterpart of APIv4's save with reload).
func TestAttack10ActionsThatRunGet(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity Contact", "action get", "}")
	a10MustRefuse(t, sim, rec, inst, "Contact.duplicatecheck with return",
		a10V3("Contact", "duplicatecheck", `{"match":{"contact_type":"Individual","email":"ada@example.org"},"return":["display_name","email","phone","street_address"]}`),
		"civicrm_api3_contact_duplicatecheck returns civicrm_api3('Contact', 'get', ['return' => $params['return'], "+
			"'id' => ['IN' => $dupes]]): contact rows found by e-mail, though a rule forbids Contact.get.")
	a10MustRefuse(t, sim, rec, inst, "Contact.create with options.reload",
		a10V3("Contact", "create", `{"contact_type":"Individual","first_name":"Ada","options":{"reload":1}}`),
		"CRM_Utils_API_ReloadOption::toApiOutput runs civicrm_api3('Contact', 'get', ['id' => …]) after the "+
			"create, as APIv4's save with reload (which the README counts as a get) does.")
}

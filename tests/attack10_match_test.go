package tests

import "testing"

// TestAttack10MatchOptionMakesCreateAnUpdate: an APIv3 create with
// options.match (or options.match-mandatory) is an update of an existing
// row. CiviCRM's API kernel wraps every APIv3 call in
// CRM_Utils_API_MatchOption (Civi/Core/Container.php, the WrapperAdapter
// of civi_api_kernel); for a create without an id its fromApiInput runs
// civicrm_api3($entity, 'get', <the match keys' values>) and, when one row
// matches, sets $params['id'] to it, so the create writes that row
// (CRM/Utils/API/MatchOption.php: "If the submitted record doesn't have an
// ID but a 'match' key is specified, then we will automatically search for
// pre-existing record and fill-in the missing ID"). The README says a rule
// on update covers "APIv3 create with a non-empty id or <entity>_id"; the
// match option gives CiviCRM the id without the client sending one, so
// `deny { entity Contact action update }` must refuse it too (and a rule
// on get must refuse the get it runs).
func TestAttack10MatchOptionMakesCreateAnUpdate(t *testing.T) {
	why := "CiviCRM's CRM_Utils_API_MatchOption looks the row up with " +
		"civicrm_api3(entity, 'get', match keys) and sets the create's id to it: the create overwrites " +
		"an existing contact (nick_name here) though a rule forbids Contact updates."
	sim, rec, inst := a9Setup(t, "deny {", "entity Contact", "action update", "}")
	for _, c := range []struct{ name, json string }{
		{"match list", `{"contact_type":"Individual","first_name":"Ada","last_name":"Lovelace","nick_name":"pwned","options":{"match":["first_name","last_name"]}}`},
		{"match string", `{"contact_type":"Individual","external_identifier":"ext-1","nick_name":"pwned","options":{"match":"external_identifier"}}`},
		{"match-mandatory", `{"contact_type":"Individual","email":"ada@example.org","nick_name":"pwned","options":{"match-mandatory":["email"]}}`},
	} {
		a10MustRefuse(t, sim, rec, inst, c.name, a10V3("Contact", "create", c.json), why)
	}

	t.Run("get", func(t *testing.T) {
		sim, rec, inst := a9Setup(t, "deny {", "entity Contact", "action get", "}")
		a10MustRefuse(t, sim, rec, inst, "match runs get", a10V3("Contact", "create",
			`{"contact_type":"Individual","first_name":"Ada","last_name":"Lovelace","options":{"match":["first_name","last_name"]}}`),
			"CRM_Utils_API_MatchOption::match runs civicrm_api3('Contact', 'get', …) with the caller's values "+
				"(its answer, 'Ambiguous match criteria' or the updated row, tells whether such a contact exists) "+
				"though a rule forbids Contact.get.")
	})

	t.Run("allow create only", func(t *testing.T) {
		// The README: "an allow rule on create never admits an APIv3 create
		// that is an update". A key allowed only to create contacts (a
		// sign-up integration) overwrites any existing one with match.
		sim, rec, inst := a9Setup(t, "default deny", "allow {", "entity Contact", "action create", "}")
		a10MustRefuse(t, sim, rec, inst, "create-only key, match", a10V3("Contact", "create",
			`{"contact_type":"Individual","email":"ada@example.org","first_name":"Mallory","options":{"match":["email"]}}`),
			"with options.match CiviCRM updates the contact owning ada@example.org: a create-only key rewrites "+
				"existing contacts, which the README says an allow rule on create never admits.")
	})
}

package tests

import (
	"net/url"
	"testing"
)

// a12V3Form is an APIv3 call's form body.
func a12V3Form(entity, action, jsonParams string) string {
	return url.Values{"entity": {entity}, "action": {action}, "json": {jsonParams}}.Encode()
}

// a12TrashWrites runs each write (answered by the stub as CiviCRM would
// answer it) and fails for each after which the writer's remembered
// credential verdict was not forgotten (the next call did not ask AuthX).
func a12TrashWrites(t *testing.T, ws []a8Write) {
	t.Helper()
	for _, w := range ws {
		sim, u, inst := a8Setup(t)
		if !a8Forgets(t, sim, u, inst, sim.Admin().APIKey, w) {
			t.Errorf("%s: CiviCRM moves contact 5 to the trash (AuthX accepts no credential of a trashed contact), "+
				"yet Civigate kept its remembered credential verdicts: a trashed contact's key keeps working for up to verdict_ttl "+
				"(the README: a contact write naming is_deleted forgets every remembered verdict within a second)", w.name)
		}
	}
}

const a12OK3 = `{"is_error":0,"version":3,"count":1,"id":5,"values":{"5":{"id":"5"}}}`

// TestA12TrashByUniqueNameForgetsVerdicts: APIv3 reads a field under its
// unique name too (_civicrm_api3_swap_out_aliases copies
// params[uniqueName] to params[name]); civicrm_contact.is_deleted's unique
// name is contact_is_deleted (the name APIv3's Contact.get answers with and
// filters by). So Contact.create {"id":5,"contact_is_deleted":1}, alone or
// chained, trashes contact 5 as {"is_deleted":1} does, but Civigate, which
// looks for is_deleted, does not forget the verdicts it remembered.
func TestA12TrashByUniqueNameForgetsVerdicts(t *testing.T) {
	form := "application/x-www-form-urlencoded"
	a12TrashWrites(t, []a8Write{
		{"APIv3 Contact.create contact_is_deleted", "POST", "/civicrm/ajax/rest", form,
			a12V3Form("Contact", "create", `{"id":5,"contact_is_deleted":1}`), 200, a12OK3},
		{"APIv3 Contact.get chaining Contact.create contact_is_deleted", "POST", "/civicrm/ajax/rest", form,
			a12V3Form("Contact", "get", `{"id":5,"api.Contact.create":{"contact_is_deleted":1}}`), 200, a12OK3},
	})
}

// TestA12TrashBySetvalueForgetsVerdicts: APIv3's generic setvalue
// (api/v3/Generic/Setvalue.php) writes one field of one row,
// CRM_Core_DAO::setFieldValue: Contact.setvalue {"id":5,"field":
// "is_deleted","value":1} trashes contact 5. The field is named as a value
// of "field", not as a parameter, and Civigate keeps its remembered
// verdicts.
func TestA12TrashBySetvalueForgetsVerdicts(t *testing.T) {
	form := "application/x-www-form-urlencoded"
	a12TrashWrites(t, []a8Write{
		{"APIv3 Contact.setvalue field=is_deleted", "POST", "/civicrm/ajax/rest", form,
			a12V3Form("Contact", "setvalue", `{"id":5,"field":"is_deleted","value":1}`), 200, a12OK3},
		{"APIv3 Contact.setvalue field=contact_is_deleted", "POST", "/civicrm/ajax/rest", form,
			a12V3Form("Contact", "setvalue", `{"id":5,"field":"contact_is_deleted","value":1}`), 200, a12OK3},
	})
}

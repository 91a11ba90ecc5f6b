package tests

// Attack 22, policy: "@user:<name>" among an APIv4 autocomplete's ids.
//
// Civi\Api4\Generic\AutocompleteAction::_run, in render mode, adds
// [$idField, 'IN', $this->ids] to the where clause of the get it runs
// (civicrm_api4($entityName, 'get', $this->_apiParams)). Api4Query::
// composeClause formats the list with FormattingUtil::formatInputValue,
// element by element under IN; a contact's id is a contact reference there
// ($fieldSpec['name'] == 'id' ? $fieldSpec['entity']: Contact, and
// CoreUtil::isContact for Individual…), so each element goes through
// resolveContactID -> _civicrm_api3_resolve_contactID: "@user:admin" is
// the CMS user's contact (CRM_Core_BAO_UFMatch::getContactId), answered
// with its label. Civigate refuses the same list in a Contact.get where
// clause under deny { entity UFMatch }, not in ids.

import "testing"

func TestA22V4AutocompleteIdsAtUser(t *testing.T) {
	why := "AutocompleteAction::_run adds [$idField, 'IN', $this->ids] to its get; FormattingUtil::formatInputValue resolves each contact id element with resolveContactID -> _civicrm_api3_resolve_contactID('@user:admin') -> CRM_Core_BAO_UFMatch::getContactId"
	a14Check(t, a14Policy{
		lines: a17Deny("UFMatch"),
		controls: []a11aCase{
			{"Contact.get where id IN", a10V4("Contact", "get", `{"where":[["id","IN",["@user:admin"]]]}`), "the same where clause, written by the client"},
		},
		cases: []a11aCase{
			{"Contact.autocomplete ids", a10V4("Contact", "autocomplete", `{"ids":["@user:admin"]}`), why},
			{"Individual.autocomplete ids", a10V4("Individual", "autocomplete", `{"ids":["@user:admin"]}`), why + " (Individual is a contact type: CoreUtil::isContact)"},
			{"calls= Contact.autocomplete ids", a17V4Calls(`[["Contact","autocomplete",{"ids":["@user:admin"]}]]`), why},
		},
	})
}

package tests

// "@user:<name>" as the value of a SearchKit filter.
//
// SearchDisplay.run and download (AbstractRunAction::applyFilters) and
// any entity's autocomplete (AutocompleteAction::_run hands its filters
// to SearchDisplay::run) turn each allowed filter (a select alias, an
// Afform field) into a where clause with SavedSearchInspectorTrait::
// applyFilter: a scalar value of an Integer field (a contact reference, a
// contact's id) under "=", a list under IN, an {operator: value} map as
// given. The search's get (civicrm_api4($entity, 'get', $apiParams))
// formats those values with FormattingUtil::formatInputValue, which under
// the exact-match operators resolves a contact reference's "@user:admin"
// through resolveContactID -> _civicrm_api3_resolve_contactID (the CMS
// user, then CRM_Core_BAO_UFMatch::getContactId). Civigate refuses the
// same where clause under deny { entity UFMatch }; the filter must be
// refused too, directly, in calls= and in chains.

import (
	"testing"
)

func TestFilterAtUserReadsUFMatch(t *testing.T) {
	why := "AbstractRunAction::applyFilters -> SavedSearchInspectorTrait::applyFilter adds [contact_id, '=', '@user:admin'] (IN for a list) to the search's where; FormattingUtil::formatInputValue -> resolveContactID -> _civicrm_api3_resolve_contactID -> CRM_Core_BAO_UFMatch::getContactId"
	inline := `"savedSearch":{"api_entity":"Email","api_params":{"version":4,"select":["id","contact_id","email"]}},"display":{"type":"table","settings":{"columns":[{"type":"field","key":"email"}]}}`
	sim, rec, inst := a9Setup(t, a17Deny("UFMatch")...)
	for _, c := range []a11aCase{
		{"Email.get where contact_id = @user:admin", a10V4("Email", "get", `{"where":[["contact_id","=","@user:admin"]]}`), "the same where clause, written by the client"},
	} {
		st, body, reached, _ := a10Send(t, sim, rec, inst, c.r)
		if len(reached) > 0 || !a9PolicyRefused(st, body) {
			t.Fatalf("precondition: control %s went through (%d %s): %s", c.name, st, body, c.why)
		}
	}
	// The same searches with a numeric filter go through: what refuses the
	// cases below is the @user value, nothing else of the call.
	for _, c := range []a11aCase{
		{"SearchDisplay.run inline, numeric filter", a10V4("SearchDisplay", "run", `{`+inline+`,"filters":{"contact_id":2}}`), ""},
		{"Contact.autocomplete, numeric filter", a10V4("Contact", "autocomplete", `{"input":"a","filters":{"id":2}}`), ""},
	} {
		st, body, reached, _ := a10Send(t, sim, rec, inst, c.r)
		if len(reached) == 0 || a9PolicyRefused(st, body) {
			t.Fatalf("precondition: %s was refused (%d %s)", c.name, st, body)
		}
	}
	for _, c := range []a11aCase{
		// A search by name is refused already: which entity it reads is
		// CiviCRM's to know, and the policy names entities.
		{"SearchDisplay.run named search, filter = @user", a10V4("SearchDisplay", "run", `{"savedSearch":"Emails","display":"Emails_Table","filters":{"contact_id":"@user:admin"}}`), why},
		{"SearchDisplay.run inline search, filter = @user", a10V4("SearchDisplay", "run", `{`+inline+`,"filters":{"contact_id":"@user:admin"}}`), why},
		{"SearchDisplay.download, filter IN list", a10V4("SearchDisplay", "download", `{`+inline+`,"format":"csv","filters":{"contact_id":[3,"@user:admin"]}}`), why + " (a list: IN, each element)"},
		{"SearchDisplay.run, filter {IN: [@user]}", a10V4("SearchDisplay", "run", `{`+inline+`,"filters":{"contact_id":{"IN":["@user:admin"]}}}`), why + " (an operator map: [contact_id, IN, list])"},
		{"SearchDisplay.run, comma-separated filter key", a10V4("SearchDisplay", "run", `{`+inline+`,"filters":{"email,contact_id":"@user:admin"}}`), why + " (an OR of both fields)"},
		{"Contact.autocomplete, filter id = @user", a10V4("Contact", "autocomplete", `{"input":"a","filters":{"id":"@user:admin"}}`), why + " (AutocompleteAction::_run passes its filters to SearchDisplay::run; a contact's id)"},
		{"calls= SearchDisplay.run", a17V4Calls(`[["SearchDisplay","run",{` + inline + `,"filters":{"contact_id":"@user:admin"}}]]`), why},
		{"calls= Email.autocomplete", a17V4Calls(`[["Email","autocomplete",{"input":"a","filters":{"contact_id":"@user:admin"}}]]`), why},
		{"chained SearchDisplay.run", a10V4("Contact", "get", `{"select":["id"],"chain":{"s":["SearchDisplay","run",{`+inline+`,"filters":{"contact_id":"@user:admin"}}]}}`), why + " (in a chain)"},
	} {
		a10MustRefuse(t, sim, rec, inst, c.name, c.r, c.why)
	}
}

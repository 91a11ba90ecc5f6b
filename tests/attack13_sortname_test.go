package tests

import "testing"

// TestA13SortNameFilterSearchesEmail: APIv3 Contact.get's sort_name (and
// display_name; and Contribution.get's, the same query object) filter runs CRM_Contact_BAO_Query::sortName, which with
// core's default includeEmailInName setting adds
// "OR civicrm_email.email LIKE …" and joins civicrm_email: with return=id
// it is an oracle on every contact's email ("which contacts have an
// address starting admin@"). The README counts Contact.get's filters naming
// location data as reads of those entities, so deny { entity Email } must
// refuse it, nothing upstream. (email_on_hold, which convertFormValues
// turns into the on_hold filter of civicrm_email, passes the same way.)
func TestA13SortNameFilterSearchesEmail(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity Email", "}")
	why := "CRM_Contact_BAO_Query::sortName searches civicrm_email.email under includeEmailInName (on by default)"
	a10MustRefuse(t, sim, rec, inst, "sort_name filter", a10V3("Contact", "get", `{"sort_name":"admin@","return":"id"}`), why)
	a10MustRefuse(t, sim, rec, inst, "display_name filter", a10V3("Contact", "get", `{"display_name":"admin@","return":"id"}`),
		"whereClauseSingle sends display_name to sortName as it does sort_name")
	a10MustRefuse(t, sim, rec, inst, "Contribution.get sort_name filter", a10V3("Contribution", "get", `{"sort_name":"admin@","return":"id"}`),
		"Contribution.get runs the same query object, so its sort_name filter is sortName's too")
	a10MustRefuse(t, sim, rec, inst, "email_on_hold filter", a10V3("Contact", "get", `{"email_on_hold":1,"return":"id"}`),
		"convertFormValues turns email_on_hold into the on_hold filter of civicrm_email")
}

package tests

// The quick search's reads. APIv4 Contact.autocomplete with formName
// crmMenubar and fieldName crm-qsearch-input (the client chooses both) is
// rewritten by core's ContactAutocompleteProvider::on_civi_api_prepare
// into an EntitySet search whose select and LIKE filter include
// email_primary.email (includeEmailInName, on by default) and the columns
// of contact_autocomplete_options (email_primary.email, phone_primary.phone,
// address_primary.*): the answer's description holds the contacts'
// primary emails, and matches on them. APIv3 Contact.getquick reads the
// email, phone and address tables by SQL the same way. Civigate judges
// both as reads of Contact only, while it refuses APIv3 Contact.getlist,
// whose description comes from the same setting, under the same rule.

import "testing"

func TestA11aQuicksearchReadsEmail(t *testing.T) {
	const why = "the menubar quick search (ContactAutocompleteProvider for formName crmMenubar, fieldName crm-qsearch-input) and Contact.getquick search and answer the primary email (includeEmailInName, contact_autocomplete_options), as Contact.getlist does, which Civigate refuses"
	a11aRefuses(t, []string{"deny {", "entity Email", "}"}, []a11aCase{
		{"APIv4 Contact.autocomplete crmMenubar", a10V4("Contact", "autocomplete", `{"input":"a","formName":"crmMenubar","fieldName":"crm-qsearch-input"}`), why},
		{"APIv3 Contact.getquick", a10V3("Contact", "getquick", `{"name":"a"}`), why},
		{"control: APIv3 Contact.getlist", a10V3("Contact", "getlist", `{"input":"a"}`), why},
	})
}

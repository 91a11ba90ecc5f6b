package authx

import (
	"testing"

	"github.com/civigate/civigate/translate"
)

// What an APIv3 read answers of other entities under its own name
// (translate.V3Returns, the table the cache's invalidation reads too) and
// what an autocomplete reads by configuration (translate's autocomplete.go)
// meet the rules on those entities; an allow rule naming the client's call
// admits its default answer, not what the client names.
func TestPolicyReadsUnderTheCallsName(t *testing.T) {
	v4 := func(path, params string) *translate.Call { return policyV4Call(t, path, params) }
	deny := func(entity string) *Policy {
		return &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{entity}}}}
	}
	only := func(entity, action string) *Policy {
		return &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{entity}, Actions: []string{action}}}}
	}
	menubar := `{"input":"a","formName":"crmMenubar","fieldName":"crm-qsearch-input"}`
	checkPolicyRows(t, []policyRow{
		// The table's Activity.get and Case.get entries (moved from the
		// cache's own list): tag_id is EntityTag's.
		{"Activity.get return tag_id reads EntityTag", deny("EntityTag"), jsonCall(t, "Activity", "get", `{"return":"id,tag_id"}`), false, ""},
		{"Activity.get filtered by tag_id reads EntityTag", deny("EntityTag"), jsonCall(t, "Activity", "get", `{"return":"id","tag_id":3}`), false, ""},
		{"control: Activity.get without tag_id", deny("EntityTag"), jsonCall(t, "Activity", "get", `{"return":"id,subject"}`), true, ""},
		{"Activity.get answers its source contact's name", deny("Contact"), jsonCall(t, "Activity", "get", `{"return":"id"}`), false, ""},
		{"an allow on Activity.get admits that answer", only("Activity", "get"), jsonCall(t, "Activity", "get", `{"return":"id"}`), true, ""},
		{"Case.get by id answers its activities", deny("Activity"), jsonCall(t, "Case", "get", `{"id":3}`), false, ""},
		{"control: Case.get by id with a return", deny("Activity"), jsonCall(t, "Case", "get", `{"id":3,"return":"subject"}`), true, ""},
		// A case's clients are CaseContact rows: answered with no return,
		// searched by a contact_id filter, also under its api.aliases
		// name client_id.
		{"Case.get answers its clients", deny("CaseContact"), jsonCall(t, "Case", "get", `{"status_id":1}`), false, ""},
		{"Case.get by client", deny("CaseContact"), jsonCall(t, "Case", "get", `{"return":"subject","contact_id":3}`), false, ""},
		{"Case.get by client under its alias", deny("CaseContact"), jsonCall(t, "Case", "get", `{"return":"subject","client_id":3}`), false, ""},
		{"an allow on Case.get admits its clients", only("Case", "get"), jsonCall(t, "Case", "get", `{"status_id":1}`), true, ""},
		{"control: Case.get naming no client", deny("CaseContact"), jsonCall(t, "Case", "get", `{"return":"subject","status_id":1}`), true, ""},
		// Component filters and spaced returns of Contact.get.
		{"Contact.get filtered by a membership type", deny("Membership"), jsonCall(t, "Contact", "get", `{"return":"id","membership_type_id":1}`), false, ""},
		{"Contact.get with a spaced return", deny("Email"), jsonCall(t, "Contact", "get", `{"return":"id,e mail"}`), false, ""},
		{"an allow on Contact.get admits its default answer", only("Contact", "get"), jsonCall(t, "Contact", "get", `{"id":2}`), true, ""},
		{"not a return the client names", only("Contact", "get"), jsonCall(t, "Contact", "get", `{"return":"e mail"}`), false, ""},
		// A name search matches the e-mail too (includeEmailInName): the
		// call's own answer, as a quick search's columns are.
		{"a sort_name filter searches e-mails", deny("Email"), jsonCall(t, "Contact", "get", `{"sort_name":"admin@","return":"id"}`), false, ""},
		{"an allow on Contact.get admits a sort_name search", only("Contact", "get"), jsonCall(t, "Contact", "get", `{"sort_name":"ada","return":"id"}`), true, ""},
		{"control: display_name as a return is no search", deny("Email"), jsonCall(t, "Contact", "get", `{"id":2,"return":"display_name"}`), true, ""},
		// The quick searches.
		{"the menubar reads e-mails", deny("Email"), v4("Contact/autocomplete", menubar), false, ""},
		{"an allow on Contact.autocomplete admits its columns", only("Contact", "autocomplete"), v4("Contact/autocomplete", menubar), true, ""},
		{"the menubar from another entity searches contacts", deny("Contact"), v4("Activity/autocomplete", menubar), false, ""},
		{"which an allow on that entity's autocomplete does not admit", only("Activity", "autocomplete"), v4("Activity/autocomplete", menubar), false, ""},
		{"getquick reads e-mails", deny("Email"), jsonCall(t, "Contact", "getquick", `{"name":"a"}`), false, ""},
		{"an allow on getquick admits them", only("Contact", "getquick"), jsonCall(t, "Contact", "getquick", `{"name":"a"}`), true, ""},
		{"an Afform's field reads what the form names", deny("Email"),
			v4("Contact/autocomplete", `{"input":"a","formName":"afform:afformX","fieldName":"Individual1:id"}`), false, "formName"},
		{"a provider's default display", deny("Contact"), v4("Contribution/autocomplete", `{"input":"a"}`), false, ""},
		{"getoptions of campaign", deny("Campaign"), jsonCall(t, "Event", "getoptions", `{"field":"campaign"}`), false, ""},
		// Reads the site configures, triggered by a profile or form name.
		{"Profile.get reads what its profile names", deny("Email"), jsonCall(t, "Profile", "get", `{"profile_id":1,"contact_id":3}`), false, "profile_id"},
		{"an allow on Profile.get admits it", only("Profile", "get"), jsonCall(t, "Profile", "get", `{"profile_id":1,"contact_id":3}`), true, ""},
		{"Afform.prefill reads its form's entities", deny("Contact"), v4("Afform/prefill", `{"name":"afformX"}`), false, "name"},
		{"control: a policy naming no entity", &Policy{Rules: []Rule{{Effect: "deny", Actions: []string{"delete"}}}},
			v4("Afform/prefill", `{"name":"afformX"}`), true, ""},
		// LocBlock.get with a return and Domain.get (attack 15).
		{"LocBlock.get returns the e-mail it names", deny("Email"), jsonCall(t, "LocBlock", "get", `{"id":1,"return":"email"}`), false, ""},
		{"which an allow on LocBlock.get does not admit", only("LocBlock", "get"), jsonCall(t, "LocBlock", "get", `{"id":1,"return":"all"}`), false, ""},
		{"control: LocBlock.get's ids", deny("Email"), jsonCall(t, "LocBlock", "get", `{"id":1}`), true, ""},
		{"Domain.get answers the domain's e-mail", deny("Email"), jsonCall(t, "Domain", "get", `{"current_domain":1}`), false, ""},
		{"an allow on Domain.get admits it", only("Domain", "get"), jsonCall(t, "Domain", "get", `{"current_domain":1}`), true, ""},
		// LocBlock.create runs the create of the records it is given
		// inline, and what they chain (attack 15).
		{"LocBlock.create writes its e-mail", deny("Email"), jsonCall(t, "LocBlock", "create", `{"email":{"email":"v@example.org"}}`), false, ""},
		{"and runs its chains", deny("Contact"), jsonCall(t, "LocBlock", "create", `{"email":{"email":"v@example.org","api.Contact.delete":{"id":3}}}`), false, ""},
		{"control: a record linked by its id", deny("Email"), jsonCall(t, "LocBlock", "create", `{"email":{"id":4}}`), true, ""},
	})
}

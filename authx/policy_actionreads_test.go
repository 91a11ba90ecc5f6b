package authx

import (
	"testing"

	"github.com/civigate/civigate/translate"
)

// Actions that read contacts under another name than get (translate's
// actionreads.go) meet the rules on get and on what else they read.
func TestPolicyActionsThatRead(t *testing.T) {
	v4 := func(path, params string) *translate.Call { return policyV4Call(t, path, params) }
	noContactGet := &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{"Contact"}, Actions: []string{"get"}}}}
	noEmail := &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{"Email"}}}}
	noActivity := &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{"Activity"}}}}
	noSearchGet := &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{"SavedSearch"}, Actions: []string{"get"}}}}
	checkPolicyRows(t, []policyRow{
		{"APIv3 duplicatecheck reads contacts", noContactGet, jsonCall(t, "Contact", "duplicatecheck", `{"match":{"contact_type":"Individual","first_name":"A"}}`), false, ""},
		{"APIv3 duplicatecheck matches e-mails", noEmail, jsonCall(t, "Contact", "duplicatecheck", `{"match":{"contact_type":"Individual","email":"a@x.org"}}`), false, ""},
		{"APIv3 proximity reads contacts", noContactGet, jsonCall(t, "Contact", "proximity", `{"latitude":1,"longitude":2,"distance":3}`), false, ""},
		{"APIv3 getmergedto reads activities", noActivity, jsonCall(t, "Contact", "getmergedto", `{"contact_id":3}`), false, ""},
		{"APIv4 getDuplicates reads contacts", noContactGet, v4("Contact/getDuplicates", `{"values":{"first_name":"A"}}`), false, ""},
		{"APIv4 getDuplicates matches e-mails", noEmail, v4("Individual/getDuplicates", `{"values":{"email_primary.email":"a@x.org"}}`), false, ""},
		{"APIv4 getMergedFrom reads contacts", noContactGet, v4("Contact/getMergedFrom", `{"contactId":3}`), false, ""},
		{"APIv4 export reads its record", noSearchGet, v4("SavedSearch/export", `{"id":3}`), false, ""},
		{"control: getDuplicates without e-mail values", noEmail, v4("Contact/getDuplicates", `{"values":{"first_name":"A"}}`), true, ""},
		{"control: checkAccess reads no rows", noContactGet, v4("Contact/checkAccess", `{"action":"update","values":{"id":3}}`), true, ""},
		{"control: getLinks reads no rows", noContactGet, v4("Contact/getLinks", `{}`), true, ""},
	})
}

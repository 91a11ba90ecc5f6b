package authx

import (
	"testing"

	"github.com/civigate/civigate/translate"
)

// A saved primary e-mail renames its contact's CMS user
// (CRM_Core_BAO_Email::self_hook_civicrm_post ->
// CRM_Core_BAO_UFMatch::updateUFName: uf_name, and updateCMSName):
// translate's Own field write, the e-mail write's own doing. A deny rule
// on UFMatch or User refuses it; an allow rule admitting the e-mail write
// admits it.
func TestPolicyPrimaryEmailRenamesUser(t *testing.T) {
	v4 := func(path, params string) *translate.Call { return policyV4Call(t, path, params) }
	deny := func(entity string, actions ...string) *Policy {
		return &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{entity}, Actions: actions}}}
	}
	checkPolicyRows(t, []policyRow{
		{"v3 Email.create is_primary", deny("UFMatch", "update"), jsonCall(t, "Email", "create", `{"contact_id":3,"email":"n@x.org","is_primary":1}`), false, ""},
		{"v3 chained below a contact", deny("UFMatch", "update"), jsonCall(t, "Contact", "get", `{"id":3,"api.Email.create":{"email":"n@x.org","is_primary":1}}`), false, ""},
		{"v4 Email.update is_primary", deny("User"), v4("Email/update", `{"where":[["id","=",4]],"values":{"is_primary":true}}`), false, ""},
		{"v4 a contact's email_primary", deny("UFMatch", "update"), v4("Contact/update", `{"where":[["id","=",3]],"values":{"email_primary.email":"n@x.org"}}`), false, ""},
		{"an allow admitting the e-mail write admits its copy", &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"Email"},
			Actions: []string{"create"}}}}, jsonCall(t, "Email", "create", `{"contact_id":3,"email":"n@x.org","is_primary":1}`), true, ""},
		{"control: an edit not naming is_primary", deny("UFMatch", "update"), jsonCall(t, "Email", "create", `{"id":4,"email":"n@x.org"}`), true, ""},
		{"control: a new contact's e-mail", deny("UFMatch"), v4("Individual/create", `{"values":{"first_name":"a","email_primary.email":"n@x.org"}}`), true, ""},
	})
}

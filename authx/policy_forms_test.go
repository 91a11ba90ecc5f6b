package authx

import (
	"testing"

	"github.com/civigate/civigate/translate"
)

// Form submissions write what the site's form declares (attack 11c):
// judged as a create and an update of an entity the edge cannot name,
// admitted by an allow rule naming the form call, as Job.execute's jobs.
func TestPolicyFormSubmits(t *testing.T) {
	v4 := func(path, params string) *translate.Call { return policyV4Call(t, path, params) }
	afform := func() *translate.Call {
		return v4("Afform/submit", `{"name":"afformNewContact","values":{"Individual1":[{"fields":{"first_name":"M","id":3}}]}}`)
	}
	profile := func() *translate.Call {
		return jsonCall(t, "Profile", "submit", `{"profile_id":1,"contact_id":3,"first_name":"M"}`)
	}
	noContactWrites := &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{"Contact"}, Actions: []string{"create", "update"}}}}
	noGets := &Policy{Rules: []Rule{{Effect: "deny", Actions: []string{"get"}}, {Effect: "deny", Entities: []string{"Contact"}, Actions: []string{"get", "getFields"}}}}
	noDeletes := &Policy{Rules: []Rule{{Effect: "deny", Actions: []string{"delete"}}}}
	noEmail := &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{"Email"}}}}
	forms := &Policy{Default: "deny", Rules: []Rule{
		{Effect: "allow", Entities: []string{"Afform"}, Actions: []string{"submit", "submitDraft"}},
		{Effect: "allow", Entities: []string{"Profile"}, Actions: []string{"submit"}},
	}}
	formWithParams := &Policy{Default: "deny", Rules: []Rule{
		{Effect: "allow", Entities: []string{"Afform"}, Actions: []string{"submit"}, Params: map[string]string{"name": "string", "values": "array"}},
	}}
	contactWrites := &Policy{Default: "deny", Rules: []Rule{
		{Effect: "allow", Entities: []string{"Afform", "Profile"}, Actions: []string{"get"}},
		{Effect: "allow", Entities: []string{"Contact"}, Actions: []string{"create", "update"}},
	}}
	noDrafts := &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{"AfformSubmission"}}}}
	checkPolicyRows(t, []policyRow{
		{"Afform.submit under a deny on contact writes", noContactWrites, afform(), false, ""},
		{"Profile.submit under a deny on contact writes", noContactWrites, profile(), false, ""},
		{"Afform.submit under a deny naming no action", noEmail, afform(), false, ""},
		{"Afform.submitFile under a deny on contact writes", noContactWrites, v4("Afform/submitFile", `{"name":"f","modelName":"Individual1","fieldName":"image_URL"}`), false, ""},
		{"Afform.process under a deny on contact writes", noContactWrites, v4("Afform/process", `{"name":"f","submissionId":1}`), false, ""},
		{"a chained Afform.submit", noContactWrites, v4("Contact/get", `{"chain":{"f":["Afform","submit",{"name":"f"}]}}`), false, ""},
		{"an allow rule on the contacts the form writes", contactWrites, afform(), false, ""},
		{"submitDraft writes AfformSubmission", noDrafts, v4("Afform/submitDraft", `{"name":"f","values":{}}`), false, ""},
		{"control: reads denied, forms taken", noGets, afform(), true, ""},
		{"control: reads denied, profiles taken", noGets, profile(), true, ""},
		{"control: deletes denied, forms taken", noDeletes, afform(), true, ""},
		{"control: the forms allowed", forms, afform(), true, ""},
		{"control: the profiles allowed", forms, profile(), true, ""},
		{"control: drafts allowed", forms, v4("Afform/submitDraft", `{"name":"f","values":{}}`), true, ""},
		{"control: the form allowed with its params", formWithParams, afform(), true, ""},
		{"control: no rules", &Policy{}, afform(), true, ""},
	})
}

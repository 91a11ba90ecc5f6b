package authx

import (
	"testing"

	"github.com/civigate/civigate/translate"
)

// What a case's and an activity's writes save of the case links
// (translate's field-write table, attack 14): a new case's clients
// (CaseContact), an APIv3 edit reassigning a case to another client (a
// copy of the case with its activities), an activity's case_id or a
// subject naming a case (CaseActivity), also where an APIv3 chain fills the key in from its
// parent's row.
func TestPolicyCaseLinksWritten(t *testing.T) {
	v4 := func(path, params string) *translate.Call { return policyV4Call(t, path, params) }
	deny := func(entity string, actions ...string) *Policy {
		return &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{entity}, Actions: actions}}}
	}
	checkPolicyRows(t, []policyRow{
		{"a new case's client", deny("CaseContact", "create"), v4("Case/create", `{"values":{"case_type_id":1,"contact_id":[2],"subject":"x"}}`), false, ""},
		{"a chained case below a contact gets it as its client", deny("CaseContact", "create"),
			jsonCall(t, "Contact", "get", `{"id":2,"return":"id","api.Case.create":{"case_type_id":1,"subject":"x"}}`), false, ""},
		{"an APIv3 edit naming a client copies the case's activities", deny("Activity", "create"), jsonCall(t, "Case", "create", `{"id":4,"contact_id":5}`), false, ""},
		{"control: an APIv3 edit naming no client", deny("CaseContact", "create"), jsonCall(t, "Case", "create", `{"id":4,"status_id":2}`), true, ""},
		{"an activity's case", deny("CaseActivity", "create"), v4("Activity/create", `{"values":{"activity_type_id":1,"source_contact_id":2,"case_id":1}}`), false, ""},
		{"an edit dropping an activity's case", deny("CaseActivity", "delete"), v4("Activity/update", `{"where":[["id","=",3]],"values":{"case_id":null}}`), false, ""},
		{"a chained activity below a case is filed on it", deny("CaseActivity", "create"),
			jsonCall(t, "Case", "get", `{"id":1,"return":"id","api.Activity.create":{"activity_type_id":1,"source_contact_id":2}}`), false, ""},
		{"an activity filed on a case by its subject", deny("CaseActivity", "create"), v4("Activity/create", `{"values":{"activity_type_id":1,"source_contact_id":2,"subject":"Re: [case #12]"}}`), false, ""},
		{"an APIv3 activity filed on a case by its subject's unique name", deny("CaseActivity", "create"),
			jsonCall(t, "Activity", "create", `{"activity_type_id":1,"source_contact_id":2,"activity_subject":"Re: [case #12]"}`), false, ""},
		{"control: an activity on no case", deny("CaseActivity", "create"), v4("Activity/create", `{"values":{"activity_type_id":1,"source_contact_id":2}}`), true, ""},
		// A new APIv3 case runs its type's Open Case timeline, Case.addtimeline
		// an activity set (casetimeline.go): the call's own doing.
		{"a new APIv3 case's timeline", deny("Activity"), jsonCall(t, "Case", "create", `{"contact_id":2,"case_type_id":1,"subject":"x"}`), false, ""},
		{"a new APIv3 case's creator roles", deny("Relationship", "create"), jsonCall(t, "Case", "create", `{"client_id":2,"case_type":"housing","subject":"x"}`), false, ""},
		{"an APIv3 timeline added", deny("CaseActivity"), jsonCall(t, "Case", "addtimeline", `{"case_id":1,"timeline":"standard_timeline"}`), false, ""},
		{"an allow on Case.create admits its timeline", &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"Case", "CaseContact"},
			Actions: []string{"create"}}}}, jsonCall(t, "Case", "create", `{"contact_id":2,"case_type_id":1,"subject":"x"}`), true, ""},
		{"control: an APIv3 edit runs no timeline", deny("Relationship"), jsonCall(t, "Case", "create", `{"id":4,"status_id":2}`), true, ""},
		{"control: nor one by case_id", deny("Activity"), jsonCall(t, "Case", "create", `{"case_id":4,"status_id":2}`), true, ""},
		// So does a new APIv4 case (CiviCaseSaveTrait::openCase).
		{"a new APIv4 case's timeline", deny("Activity", "create"), v4("Case/create", `{"values":{"case_type_id":1,"contact_id":[2],"subject":"x"}}`), false, ""},
		{"an APIv4 save's new case's roles", deny("Relationship"), v4("Case/save", `{"records":[{"case_type_id":1,"subject":"x"}],"defaults":{"contact_id":2}}`), false, ""},
		{"an APIv4 replace's new case's activity links", deny("CaseActivity"), v4("Case/replace", `{"where":[["subject","=","x"]],"records":[{"case_type_id":1,"contact_id":2}]}`), false, ""},
		{"an allow on APIv4 Case.save admits its timeline", &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"Case", "CaseContact"},
			Actions: []string{"save", "create", "update"}}}}, v4("Case/save", `{"records":[{"case_type_id":1,"contact_id":2,"subject":"x"}]}`), true, ""},
		{"control: an APIv4 save of an existing case runs no timeline", deny("Activity"), v4("Case/save", `{"records":[{"id":4,"subject":"x"}]}`), true, ""},
		// APIv3 Case.merge runs mergeCases, as the reassignment above does.
		{"an APIv3 merge copies the case's activities", deny("Activity", "create"), jsonCall(t, "Case", "merge", `{"case_id_1":1,"case_id_2":2}`), false, ""},
		{"an APIv3 merge trashes the other case", deny("Case", "update"), jsonCall(t, "Case", "merge", `{"case_id_1":1,"case_id_2":2}`), false, ""},
		{"a chained APIv3 merge copies the roles", deny("Relationship"), jsonCall(t, "Contact", "get", `{"id":3,"api.Case.merge":{"case_id_1":1,"case_id_2":2}}`), false, ""},
		{"an allow on Case.merge admits what it writes", &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"Case"},
			Actions: []string{"merge"}}}}, jsonCall(t, "Case", "merge", `{"case_id_1":1,"case_id_2":2}`), true, ""},
	})
}

package authx

import (
	"testing"

	"github.com/civigate/civigate/translate"
)

// An activity's contacts are ActivityContact rows that
// CRM_Activity_BAO_Activity::create saves for source_contact_id,
// assignee_contact_id and target_contact_id (and, on an edit, deletes the
// ones it no longer lists), whichever API makes the write: a deny rule on
// ActivityContact writes refuses it, alone or chained. APIv3 takes those
// fields under their spec names too (target_id, assignee_id), and gives a
// new activity the caller as its source (api.default user_contact_id):
// CiviCRM's own doing, admitted by an allow rule naming the call.
func TestPolicyActivityContactWrites(t *testing.T) {
	v4 := func(path, params string) *translate.Call { return policyV4Call(t, path, params) }
	deny := func(actions ...string) *Policy {
		return &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{"ActivityContact"}, Actions: actions}}}
	}
	activities := &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"Activity"}, Actions: []string{"create", "update", "get"}}}}
	checkPolicyRows(t, []policyRow{
		{"v3 create with targets", deny("create"), jsonCall(t, "Activity", "create",
			`{"activity_type_id":1,"source_contact_id":2,"target_contact_id":[3,4]}`), false, ""},
		{"v3 create with the caller as its source by default", deny("create"), jsonCall(t, "Activity", "create",
			`{"activity_type_id":1,"subject":"x"}`), false, ""},
		{"v3 edit of the assignees", deny("update", "delete"), jsonCall(t, "Activity", "create",
			`{"id":5,"assignee_contact_id":3}`), false, ""},
		{"v3 chained below another call", deny("create"), jsonCall(t, "Contact", "get",
			`{"id":3,"return":"id","api.Activity.create":{"activity_type_id":1,"target_contact_id":"$value.id"}}`), false, ""},
		{"v3 in a batch", deny("create"), batchCall(t, `{"a":["Activity","create",{"activity_type_id":1,"source_contact_id":2}]}`), false, ""},
		{"v3 setvalue of the targets", deny("create"), jsonCall(t, "Activity", "setvalue",
			`{"id":5,"field":"target_contact_id","value":3}`), false, ""},
		{"v4 create", deny("create"), v4("Activity/create", `{"values":{"activity_type_id":1,"source_contact_id":2}}`), false, ""},
		{"v4 update of the targets", deny("delete"), v4("Activity/update", `{"where":[["id","=",5]],"values":{"target_contact_id":[3]}}`), false, ""},
		{"v4 save", deny("create"), v4("Activity/save", `{"records":[{"id":5,"assignee_contact_id":[3]}]}`), false, ""},
		{"v4 chained", deny("create"), v4("Contact/get", `{"select":["id"],"chain":{"a":["Activity","create",{"values":{"activity_type_id":1,"source_contact_id":"$id"}}]}}`), false, ""},
		// APIv3's spec names: _civicrm_api3_activity_create_spec's
		// 'name' => 'target_id' and 'assignee_id', which
		// _civicrm_api3_swap_out_aliases copies to the field.
		{"v3 edit naming the targets by target_id", deny("create"), jsonCall(t, "Activity", "create",
			`{"id":5,"target_id":[3]}`), false, ""},
		{"v3 edit naming the assignees by assignee_id", deny("delete"), jsonCall(t, "Activity", "create",
			`{"id":5,"assignee_id":3}`), false, ""},
		{"v3 chained edit by alias", deny("create"), jsonCall(t, "Contact", "get",
			`{"id":3,"return":"id","api.Activity.create":{"id":5,"target_id":"$value.id"}}`), false, ""},
		// What CiviCRM writes by default is the call's own doing; what
		// the client names needs the entity allowed.
		{"an allow on Activity.create admits the default source", activities, jsonCall(t, "Activity", "create",
			`{"activity_type_id":1,"subject":"x"}`), true, ""},
		{"not the targets the client names", activities, jsonCall(t, "Activity", "create",
			`{"activity_type_id":1,"target_contact_id":[3]}`), false, ""},
		{"control: an edit naming no contact", deny("create", "update", "delete"), jsonCall(t, "Activity", "create",
			`{"id":5,"subject":"y"}`), true, ""},
		{"control: a deny rule on reads", deny("get"), jsonCall(t, "Activity", "create",
			`{"id":5,"target_contact_id":[3]}`), true, ""},
		{"control: another entity's target_id", deny("create", "update", "delete"), jsonCall(t, "Relationship", "create",
			`{"id":5,"target_id":3}`), true, ""},
	})
}

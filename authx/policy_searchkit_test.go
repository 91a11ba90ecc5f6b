package authx

import (
	"testing"

	"github.com/civigate/civigate/translate"
)

// An inline SearchKit display's acl_bypass runs its query and InlineEdit's
// writes unchecked: judged as a falsy check_permissions, refused. An
// inlineEdit of <Group>.<field> writes that custom group's data, named so
// that rules on custom groups judge it.
func TestPolicySearchKitBypassAndCustomEdits(t *testing.T) {
	v4 := func(path, params string) *translate.Call { return policyV4Call(t, path, params) }
	open := &Policy{}
	contactAndExtra := &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"SearchDisplay", "Contact", "Custom_Extra"}}}}
	noOther := &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{"Custom_Other"}}}}
	noExtra := &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{"CustomValue"}, Actions: []string{"update"}}}}
	edit := func(values string) *translate.Call {
		return v4("SearchDisplay/inlineEdit", `{"savedSearch":{"api_entity":"Contact","api_params":{"select":["id"]}},"rowKey":2,"values":`+values+`}`)
	}
	checkPolicyRows(t, []policyRow{
		{"inline display acl_bypass", open, v4("SearchDisplay/run", `{"savedSearch":{"api_entity":"Contact"},"display":{"acl_bypass":true}}`), false, "acl_bypass cannot be turned on over REST"},
		{"inlineEdit with the settings' acl_bypass", open, v4("SearchDisplay/inlineEdit", `{"savedSearch":{"api_entity":"Contact"},"rowKey":2,"values":{"first_name":"x"},"display":{"settings":{"acl_bypass":true}}}`), false, "acl_bypass"},
		{"inlineEdit of a custom field under deny CustomValue update", noExtra, edit(`{"Extra.colour":"red"}`), false, ""},
		{"inlineEdit of a custom field through a foreign key", noExtra, edit(`{"employer_id.Extra.colour":"red"}`), false, ""},
		{"inlineEdit of custom_N", noExtra, edit(`{"custom_3":"red"}`), false, ""},
		{"control: inlineEdit of an allowed custom group", contactAndExtra, edit(`{"Extra.colour":"red"}`), true, ""},
		{"control: inlineEdit of another custom group than the denied one", noOther, edit(`{"Extra.colour":"red"}`), true, ""},
		{"control: an unknown key ending in _id stays unnamed", noOther, edit(`{"foo_id.title":"x"}`), false, ""},
		{"control: autocomplete's acl_bypass is its own checkPermissions", open, v4("Contact/autocomplete", `{"display":{"acl_bypass":true}}`), true, ""},
		{"control: a display without acl_bypass", open, v4("SearchDisplay/run", `{"savedSearch":{"api_entity":"Contact"},"display":{"acl_bypass":0}}`), true, ""},
	})
}

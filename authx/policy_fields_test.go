package authx

import (
	"testing"

	"github.com/civigate/civigate/translate"
)

// Fields whose value or options are other entities' rows (attack 11c):
// APIv4's groups filter reads GroupContact, tags reads and writes
// EntityTag, a label suffix on campaign_id (and the other fields whose
// options are another entity's table) reads that entity, as getFields'
// loadOptions does; a written label is looked up for the write, admitted
// with it. Every row names its class.
func TestPolicyFieldsOfOtherEntities(t *testing.T) {
	v4 := func(path, params string) *translate.Call { return policyV4Call(t, path, params) }
	deny := func(entities ...string) *Policy {
		return &Policy{Rules: []Rule{{Effect: "deny", Entities: entities}}}
	}
	allow := func(entities []string, actions ...string) *Policy {
		return &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: entities, Actions: actions}}}
	}
	contactGet := allow([]string{"Contact", "Individual"}, "get", "autocomplete")
	contactWrites := allow([]string{"Contact"}, "get", "create", "update", "save")
	contributions := allow([]string{"Contribution"}, "get", "create")
	contributionsAndTypes := &Policy{Default: "deny", Rules: []Rule{
		{Effect: "allow", Entities: []string{"Contribution"}, Actions: []string{"get"}},
		{Effect: "allow", Entities: []string{"FinancialType"}, Actions: []string{"get"}},
	}}
	checkPolicyRows(t, []policyRow{
		{"groups filter", deny("GroupContact"), v4("Contact/get", `{"where":[["groups","IN",[1]]]}`), false, ""},
		{"groups filter through a foreign key", deny("GroupContact"), v4("Email/get", `{"where":[["contact_id.groups","IN",[1]]]}`), false, ""},
		{"groups filter in autocomplete's filters", contactGet, v4("Contact/autocomplete", `{"input":"","filters":{"groups":[1]}}`), false, ""},
		{"groups filter under an allow list of contacts", contactGet, v4("Individual/get", `{"where":[["groups","NOT IN",[1]]]}`), false, ""},
		{"groups names read Group", deny("Group"), v4("Contact/get", `{"where":[["groups:name","IN",["x"]]]}`), false, ""},
		{"control: a plain get under the allow list", contactGet, v4("Contact/get", `{"select":["id","display_name"]}`), true, ""},

		{"tags read", deny("EntityTag"), v4("Contact/get", `{"select":["id","tags"]}`), false, ""},
		{"tags filter under an allow list of contacts", contactWrites, v4("Contact/get", `{"where":[["tags","IN",[1]]]}`), false, ""},
		{"tags written", deny("EntityTag"), v4("Activity/create", `{"values":{"subject":"x","tags":[1]}}`), false, ""},
		{"tags written under an allow list of contacts", contactWrites, v4("Contact/save", `{"records":[{"id":3}],"defaults":{"tags":[1]}}`), false, ""},
		{"control: a contact write without tags", contactWrites, v4("Contact/update", `{"where":[["id","=",3]],"values":{"nick_name":"x"}}`), true, ""},

		{"campaign label selected", deny("Campaign"), v4("Contribution/get", `{"select":["id","campaign_id:label"]}`), false, ""},
		{"campaign label in a where", deny("Campaign"), v4("Contribution/get", `{"where":[["campaign_id:label","=","Spring"]]}`), false, ""},
		{"campaign options loaded", deny("Campaign"), v4("Contribution/getFields", `{"loadOptions":true}`), false, ""},
		{"campaign label written: a deny rule refuses the lookup", deny("Campaign"), v4("Contribution/create", `{"values":{"campaign_id:label":"Spring"}}`), false, ""},
		{"financial type label selected needs it allowed", contributions, v4("Contribution/get", `{"select":["financial_type_id:label"]}`), false, ""},
		{"control: allowed with its entity", contributionsAndTypes, v4("Contribution/get", `{"select":["financial_type_id:label"]}`), true, ""},
		{"control: a written label is the write's own lookup", contributions, v4("Contribution/create", `{"values":{"financial_type_id:name":"Donation","total_amount":5}}`), true, ""},
		{"control: an option group's label", deny("Campaign", "OptionValue"), v4("Contribution/get", `{"select":["contribution_status_id:label","campaign_id"]}`), true, ""},
		{"control: getFields without loadOptions", deny("Campaign"), v4("Contribution/getFields", `{}`), true, ""},
	})
}

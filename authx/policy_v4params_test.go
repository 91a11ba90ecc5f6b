package authx

import (
	"context"
	"net/url"
	"testing"

	"github.com/civigate/civigate/translate"
)

// APIv4 parameter names are judged as CiviCRM resolves them (fix 21):
// Request::create sets each key with 'set'.ucfirst($key), PHP finds a
// declared setter in any case and AbstractAction::__call lowers the first
// letter, so `Values` is a write of values, `Select` a read of what it
// selects, `Chain` a chain, at every level and in a batch; a `param` rule
// sees them under the parameter's name. Every row names its class.
func TestPolicyV4ParamNames(t *testing.T) {
	v4 := func(path, params string) *translate.Call { return policyV4Call(t, path, params) }
	batch := func(calls string) *translate.Call {
		c, _ := api4Call(t, "POST", "/civicrm/ajax/api4", "calls="+url.QueryEscape(calls), nil)
		c.DecodeParams(context.Background())
		return c
	}
	denyEmail := &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{"Email"}}}}
	denyMembership := &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{"Membership"}}}}
	denyNoteWrites := &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{"Note"}, Actions: []string{"create", "update", "delete"}}}}
	selectOnly := &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"Contact"}, Params: map[string]string{"select": "array", "limit": "int"}}}}
	cases := []policyRow{
		{"Select reads what it selects", denyEmail, v4("Contact/get", `{"Select":["email_primary.email"]}`), false, ""},
		{"SELECT (a declared setter takes any case)", denyEmail, v4("Contact/get", `{"SELECT":["id","email_primary.email"]}`), false, ""},
		{"Where", denyEmail, v4("Contact/get", `{"Where":[["email_primary.email","LIKE","a%"]]}`), false, ""},
		{"Join", denyEmail, v4("Contact/get", `{"Join":[["Email AS e","LEFT"]]}`), false, ""},
		{"Values writes its fields", denyMembership, v4("Contact/update", `{"where":[["id","=",3]],"Values":{"is_deceased":true}}`), false, ""},
		{"VALUES", denyMembership, v4("Contact/update", `{"where":[["id","=",3]],"VALUES":{"is_deceased":true}}`), false, ""},
		{"vAlUeS", denyMembership, v4("Individual/update", `{"where":[["id","=",3]],"vAlUeS":{"is_deceased":1}}`), false, ""},
		{"Records", denyMembership, v4("Contact/save", `{"Records":[{"id":3,"is_deceased":1}]}`), false, ""},
		{"Chain", denyNoteWrites, v4("Contact/get", `{"Chain":{"n":["Note","create",{"values":{"note":"x","entity_id":"$id"}}]}}`), false, ""},
		{"a chain's Values", denyMembership, v4("Email/get", `{"chain":{"c":["Contact","update",{"where":[["id","=","$contact_id"]],"Values":{"is_deceased":1}}]}}`), false, ""},
		{"a batch member's Select", denyEmail, batch(`{"a":["Contact","get",{"Select":["email_primary.email"]}]}`), false, ""},
		{"a batch member's Chain", denyNoteWrites, batch(`[["Contact","get",{"CHAIN":{"n":["Note","delete",{"where":[]}]}}]]`), false, ""},
		{"a saved search's Select", denyEmail, v4("SearchDisplay/run", `{"SavedSearch":{"api_entity":"Contact","api_params":{"Select":["email_primary.email"]}}}`), false, ""},
		{"a param rule sees a parameter by its name", selectOnly, v4("Contact/get", `{"Select":["id"],"Where":[["id","=",1]]}`), false, ""},

		{"control: a param rule admits Select as select", selectOnly, v4("Contact/get", `{"Select":["id"],"LIMIT":2}`), true, ""},
		{"control: Select of the call's own fields", denyEmail, v4("Contact/get", `{"Select":["id","display_name"]}`), true, ""},
		{"control: the last spelling decides", denyEmail, v4("Contact/get", `{"Select":["email_primary.email"],"select":["id"]}`), true, ""},
		{"control: a name no setter takes", denyEmail, v4("Contact/get", `{"Selects":["email_primary.email"]}`), true, ""},
	}
	checkPolicyRows(t, cases)
}

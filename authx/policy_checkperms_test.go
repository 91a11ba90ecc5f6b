package authx

import (
	"testing"

	"github.com/civigate/civigate/translate"
)

// A call that would turn CiviCRM's permission checks off (a falsy
// check_permissions in an APIv3 replace value or chain, an APIv4
// checkPermissions in another case after the exact key) is refused under
// any policy, the default one included, with a message naming the
// parameter, unless the allow rule it matches names that parameter.
func TestPolicyChecksOff(t *testing.T) {
	v4 := func(path, params string) *translate.Call { return policyV4Call(t, path, params) }
	denyContact := &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{"Contact"}}}}
	allowEmail := &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"Email", "Contact"}}}}
	emailParams := map[string]string{"contact_id": "int", "values": "array", "email": "string"}
	withOptIn := map[string]string{"contact_id": "int", "values": "array", "email": "string", "check_permissions": "any"}
	optIn := &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"Email"}, Params: withOptIn}}}
	noOptIn := &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"Email"}, Params: emailParams}}}
	v4OptIn := &Policy{Rules: []Rule{{Effect: "allow", Entities: []string{"Contact"}, Versions: []int{4},
		Params: map[string]string{"select": "array", "checkpermissions": "any"}}}}
	replace0 := `{"contact_id":4,"values":[{"email":"r@x.org","check_permissions":0}]}`
	const v3Says = ": check_permissions cannot be turned off over REST"
	checkPolicyRows(t, []policyRow{
		{"replace value, no policy", nil, jsonCall(t, "Email", "replace", replace0), false, v3Says},
		{"replace value, a deny rule", denyContact, jsonCall(t, "Email", "replace", replace0), false, v3Says},
		{"replace value, allowed entity", allowEmail, jsonCall(t, "Email", "replace", replace0), false, v3Says},
		{"replace value \"0\" in key-value form", nil, jsonCall(t, "Email", "replace", `{"values":{"0":{"check_permissions":"0"}}}`), false, v3Says},
		{"replace value, rule with params not naming it", noOptIn, jsonCall(t, "Email", "replace", replace0), false, v3Says},
		{"chain", allowEmail, jsonCall(t, "Contact", "get", `{"return":"id","api.Email.get":{"check_permissions":false}}`), false, v3Says},
		{"chain in a batch member", nil, batchCall(t, `{"a":["Contact","get",{"api.Email.get":[{"check_permissions":""}]}]}`), false, v3Says},
		{"APIv4 other case after the exact key", nil, v4("Contact/get", `{"checkPermissions":true,"checkpermissions":false}`), false, "checkpermissions cannot be turned off over REST"},
		{"APIv4 chain", nil, v4("Contact/get", `{"chain":{"e":["Email","get",{"checkPermissions":1,"CheckPermissions":0}]}}`), false, "CheckPermissions cannot be turned off over REST"},

		{"opt-in: an allow rule naming check_permissions", optIn, jsonCall(t, "Email", "replace", replace0), true, ""},
		{"opt-in: an allow rule naming the APIv4 spelling", v4OptIn, v4("Contact/get", `{"select":["id"],"checkPermissions":true,"checkpermissions":false}`), true, ""},
		{"control: replace without it", noOptIn, jsonCall(t, "Email", "replace", `{"contact_id":4,"values":[{"email":"r@x.org"}]}`), true, ""},
		{"control: top-level check_permissions (REST forces TRUE)", nil, jsonCall(t, "Contact", "get", `{"check_permissions":0}`), true, ""},
		{"control: APIv4 exact key (CiviCRM overwrites it)", nil, v4("Contact/get", `{"checkPermissions":false,"chain":{"e":["Email","get",{"checkPermissions":false}]}}`), true, ""},
	})
}

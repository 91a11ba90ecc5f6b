package tests

import (
	"strings"
	"testing"
)

// TestPolicyV4ParamNamesEndToEnd: CiviCRM sets an APIv4 call's parameters
// through 'set'.ucfirst($key) (Civi\API\Request::create); PHP finds a
// declared setter in any letter case, and AbstractAction::__call takes the
// name with its first letter lowered. So `Select`, `Values`, `Chain` are
// select, values and chain on the releases that set each key so (6.17.2
// refuses a key not spelled exactly), and the edge judges them as such:
// deny { entity Email } refuses a Contact.get selecting the primary
// e-mail as `Select`, deny { entity Membership } a contact's is_deceased
// written as `Values` (CRM_Member_BAO_Membership::updateMembershipStatus),
// deny { entity Note action create } a `Chain`ed Note.create, in a calls=
// batch too, and nothing goes upstream; a call naming neither goes through.
func TestPolicyV4ParamNamesEndToEnd(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity Email", "}", "deny {", "entity Membership", "}", "deny {", "entity Note", "action create", "}")
	why := "APIv4 sets each parameter through 'set'.ucfirst($key): PHP method names ignore case and __call lowers the first letter"
	a10MustRefuse(t, sim, rec, inst, "Select", a10V4("Contact", "get", `{"Select":["id","email_primary.email"]}`), why)
	a10MustRefuse(t, sim, rec, inst, "SELECT", a10V4("Contact", "get", `{"SELECT":["email_primary.email"]}`), why)
	a10MustRefuse(t, sim, rec, inst, "Where in the query", a10Req{method: "GET",
		pathQuery: "/civicrm/ajax/api4/Contact/get?Where[0][]=email_primary.email&Where[0][]=LIKE&Where[0][]=a%25"}, why)
	a10MustRefuse(t, sim, rec, inst, "Values", a10V4("Contact", "update", `{"where":[["id","=",2]],"Values":{"is_deceased":true}}`), why)
	a10MustRefuse(t, sim, rec, inst, "vAlUeS", a10V4("Individual", "update", `{"where":[["id","=",2]],"vAlUeS":{"is_deceased":1}}`), why)
	a10MustRefuse(t, sim, rec, inst, "Chain", a10V4("Contact", "get",
		`{"select":["id"],"Chain":{"n":["Note","create",{"values":{"entity_id":"$id","note":"x"}}]}}`), why)
	a10MustRefuse(t, sim, rec, inst, "a chain's Values", a10V4("Phone", "get",
		`{"chain":{"c":["Contact","update",{"where":[["id","=","$contact_id"]],"Values":{"is_deceased":1}}]}}`), why)
	a10MustRefuse(t, sim, rec, inst, "calls= batch", a10Req{method: "POST", pathQuery: "/civicrm/ajax/api4", ctype: "application/x-www-form-urlencoded",
		body: a10Form("calls", `{"a":["Contact","get",{"select":["id"]}],"b":["Contact","update",{"where":[["id","=",2]],"Values":{"is_deceased":true}}],"c":["Contact","get",{"CHAIN":{"n":["Note","create",{"values":{"note":"x"}}]}}]}`)}, why)

	// Control: a call naming neither goes to CiviCRM, as sent.
	st, body, reached, _ := a10Send(t, sim, rec, inst, a10V4("Contact", "get", `{"Select":["id","display_name"],"limit":1}`))
	if len(reached) == 0 {
		t.Fatalf("Select of the contact's own fields was refused: %d %s", st, body)
	}
	if !strings.Contains(strings.Join(reached, "\n"), `"Select":["id","display_name"]`) {
		t.Errorf("the call did not go upstream as sent: %q", reached)
	}
}

package tests

// Attack 9, policy: one entity, two names across the API versions.
//
// APIv3's AclRole is APIv4's ACLEntityRole: api/v3/AclRole.php reads and
// writes CRM_ACL_BAO_ACLEntityRole (its create passes 'ACLEntityRole' to
// _civicrm_api3_basic_create), the table civicrm_acl_entity_role. APIv4's
// Custom_<group> entities are CustomValue: Civi\API\Request::create runs
// `\Civi\Api4\CustomValue::$action(substr($entity, 7))` for any entity named
// Custom_*. README: "a deny rule without [version] is for every version. So
// existing rules cover APIv4 as written"; Civigate's cache already treats
// these pairs as one entity (ACLEntityRole "which APIv3 calls AclRole",
// "Custom_* is CustomValue"), but its policy compares the names as spelled:
// an operator's APIv3-era `deny { entity AclRole }` does not stop APIv4's
// ACLEntityRole (who holds which ACL role, and their creation), nor
// `deny { entity ACLEntityRole }` APIv3's AclRole, nor `deny { entity
// CustomValue }` APIv4's Custom_Extra.

import (
	"net/url"
	"testing"
)

func TestA9DenyCoversTheOtherVersionsName(t *testing.T) {
	cases := []struct {
		name, rule string
		v3         bool // the call is APIv3's
		entity     string
	}{
		{"AclRole rule, APIv4 ACLEntityRole", "AclRole", false, "ACLEntityRole"},
		{"ACLEntityRole rule, APIv3 AclRole", "ACLEntityRole", true, "AclRole"},
		{"CustomValue rule, APIv4 Custom_Extra", "CustomValue", false, "Custom_Extra"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sim, rec, inst := a9Setup(t, "deny {", "entity "+c.rule, "}")
			var st int
			var body, path string
			if c.v3 {
				path = "/civicrm/ajax/rest"
				st, body = a9Call(t, sim, inst, "POST", path, url.Values{"entity": {c.entity}, "action": {"get"}, "json": {"1"}})
			} else {
				path = "/civicrm/ajax/api4/" + c.entity + "/get"
				st, body = a9V4(t, sim, inst, c.entity, "get", `{"limit":1}`)
			}
			if !a9PolicyRefused(st, body) {
				t.Errorf("%s.get under deny { entity %s }: %d %.200s; want the policy's 403", c.entity, c.rule, st, body)
			}
			if rec.reached(path) {
				t.Errorf("the call reached CiviCRM")
			}
		})
	}
}

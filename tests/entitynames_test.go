package tests

// A rule names an entity's data, not one spelling of it (README: one
// entity, several names): end to end, beside the attacker's
// TestA9DenyCoversTheOtherVersionsName, for the APIv3 names of the dedupe
// entities, a view (RelationshipCache) and a name spanning two entities
// (Attachment), with a control that other entities still pass.

import (
	"testing"
)

func TestDenyCoversEveryNameOfAnEntity(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity DedupeRuleGroup Relationship", "}", "deny {", "entity File", "}")
	v4get := func(entity string) (int, string) {
		return a9Call(t, sim, inst, "GET", "/civicrm/ajax/api4/"+entity+"/get?params="+a9q(`{"limit":1}`), nil)
	}
	for _, c := range []struct {
		name, path string
		call       func() (int, string)
		refused    bool
	}{
		{"APIv3 RuleGroup under deny DedupeRuleGroup", "/civicrm/ajax/rest", func() (int, string) { return a9V3(t, sim, inst, "RuleGroup", "get", `{}`) }, true},
		{"APIv4 RelationshipCache under deny Relationship", "/civicrm/ajax/api4/RelationshipCache/get", func() (int, string) { return v4get("RelationshipCache") }, true},
		{"APIv3 Attachment under deny File", "/civicrm/ajax/rest", func() (int, string) {
			return a9V3(t, sim, inst, "Attachment", "get", `{"entity_table":"civicrm_activity"}`)
		}, true},
		{"control: APIv3 Email passes", "/civicrm/ajax/rest", func() (int, string) { return a9V3(t, sim, inst, "Email", "get", `{}`) }, false},
		{"control: APIv4 Email passes", "/civicrm/ajax/api4/Email/get", func() (int, string) { return v4get("Email") }, false},
	} {
		rec.reset()
		st, body := c.call()
		if a9PolicyRefused(st, body) != c.refused || rec.reached(c.path) == c.refused {
			t.Errorf("%s: %d %.200s (reached CiviCRM: %v), want refused %v", c.name, st, body, rec.reached(c.path), c.refused)
		}
	}
}

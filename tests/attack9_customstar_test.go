package tests

// Attack 9, policy: APIv4's `custom.*` selects every custom group.
//
// Api4SelectQuery::buildSelectClause expands "the superstar 'custom.*' to
// select all fields in all custom groups": it asks getFields for the
// entity's custom groups and replaces the item with `<Group>.*` for each, the
// same `Extra.*` and `Extra.colour` paths Civigate refuses under any rule
// that names entities ("Civigate cannot tell which entity 'Extra.colour'
// reads"), since a custom group's rows are CustomValue data it cannot name.
// `custom.*` itself passes, so `deny { entity CustomValue }`, or an allow
// list of entities, lets a caller read every custom field of every contact.

import (
	"testing"
)

func TestA9CustomStarReadsCustomGroups(t *testing.T) {
	policies := map[string][]string{
		"deny CustomValue":   {"deny {", "entity CustomValue", "}"},
		"allow Contact only": {"default deny", "allow {", "entity Contact", "}"},
	}
	for name, rules := range policies {
		t.Run(name, func(t *testing.T) {
			sim, rec, inst := a9Setup(t, rules...)
			// Control: one custom group's fields, named, are refused.
			if st, body := a9V4(t, sim, inst, "Contact", "get", `{"select":["id","Extra.*"]}`); !a9PolicyRefused(st, body) {
				t.Fatalf("control: Extra.*: %d %s", st, body)
			}
			for _, c := range []struct{ name, entity, action, params string }{
				{"select", "Contact", "get", `{"select":["id","custom.*"]}`},
				{"select with *", "Contact", "get", `{"select":["*","custom.*"]}`},
				{"chain", "Contact", "get", `{"select":["id"],"chain":{"c":["Contact","get",{"select":["custom.*"],"where":[["id","=","$id"]]}]}}`},
				{"inline saved search", "SearchDisplay", "run", `{"savedSearch":{"api_entity":"Contact","api_params":{"version":4,"select":["id","custom.*"]}}}`},
			} {
				rec.reset()
				st, body := a9V4(t, sim, inst, c.entity, c.action, c.params)
				if !a9PolicyRefused(st, body) {
					t.Errorf("%s: %s.%s selecting custom.* (every custom group's fields): %d %.200s; want the policy's 403", c.name, c.entity, c.action, st, body)
				}
				if rec.reached("/civicrm/ajax/api4/" + c.entity + "/" + c.action) {
					t.Errorf("%s: the call reached CiviCRM", c.name)
				}
			}
		})
	}
}

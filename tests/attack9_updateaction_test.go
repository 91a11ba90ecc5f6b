package tests

// Attack 9, policy: APIv3 updates under other action names.
//
// APIv3 has no update of its own for most entities: `create` with an `id`
// updates the row, and CiviCRM's API permission layer says so itself:
// _civicrm_api3_permissions() (CRM/Core/DAO/permissions.php) turns the
// action `create` into `update` when `id` or `<entity>_id` is set, and
// CRM_Core_Permission::getGenericAction() files `setvalue` under `update`.
// A chained create of the parent's own entity gets the parent row's id
// (ChainSubscriber: `if ($lowercase_entity == $subEntity) $subParams['id'] =
// …['id']`), so it updates that row. The generic `update`
// (api/v3/Generic/Update.php) runs `get`, then `create` on the merged row.
//
// Civigate judges replace's elements with an id as updates (deny { action
// update } refuses Email.replace with values carrying an id) but judges the
// top-level or chained `create` with an id, and `setvalue`, by their names:
// `deny { entity Contact action update }` lets any caller rewrite an
// existing contact with Contact.create, and `deny { action create }` lets
// Email.update run Email.create.

import (
	"strings"
	"testing"
)

func TestA9CreateWithIDIsUpdate(t *testing.T) {
	rule := []string{"deny {", "entity Contact", "action update", "}"}
	sim, _, inst := a9Setup(t, rule...)

	// Controls: update itself is refused, a create of a new contact passes.
	if st, body := a9V3(t, sim, inst, "Contact", "update", `{"id":2,"first_name":"Mallory"}`); !a9PolicyRefused(st, body) {
		t.Fatalf("control: Contact.update: %d %s", st, body)
	}
	if st, body := a9V3(t, sim, inst, "Contact", "create", `{"contact_type":"Individual","first_name":"New"}`); st != 200 || a9PolicyRefused(st, body) {
		t.Fatalf("control: Contact.create of a new contact: %d %s", st, body)
	}

	cases := []struct{ name, entity, action, json string }{
		{"create with id", "Contact", "create", `{"id":2,"first_name":"Mallory"}`},
		{"create with contact_id", "Contact", "create", `{"contact_id":2,"first_name":"Mallory"}`},
		{"chained create of the parent", "Contact", "get", `{"id":2,"api.Contact.create":{"first_name":"Mallory"}}`},
		{"chained create with id", "Email", "get", `{"id":2,"api.Contact.create":{"id":2,"first_name":"Mallory"}}`},
		{"setvalue", "Contact", "setvalue", `{"id":2,"field":"first_name","value":"Mallory"}`},
		// replace's elements are creates of the base parameters merged
		// with each element: contact_id among them makes them updates.
		{"replace with contact_id in its base", "Contact", "replace", `{"contact_id":2,"values":[{"first_name":"Mallory"}]}`},
		{"replace with contact_id in an element", "Contact", "replace", `{"id":2,"values":[{"contact_id":2,"first_name":"Mallory"}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sim, _, inst := a9Setup(t, rule...) // a fresh site: contact 2 as seeded
			st, body := a9V3(t, sim, inst, c.entity, c.action, c.json)
			if !a9PolicyRefused(st, body) {
				t.Errorf("%s.%s %s (an update of contact 2) under deny { entity Contact action update }: %d %.200s; want the policy's 403",
					c.entity, c.action, c.json, st, body)
			}
			if n := sim.Calls(c.entity + "." + c.action); n != 0 {
				t.Errorf("CiviCRM ran %s.%s", c.entity, c.action)
			}
			st, body = a9V3(t, sim, inst, "Contact", "getvalue", `{"id":2,"return":"first_name"}`)
			if st != 200 || strings.Contains(body, "Mallory") {
				t.Errorf("contact 2 was updated: %d %s", st, body)
			}
		})
	}
}

func TestA9UpdateActionRunsCreate(t *testing.T) {
	sim, _, inst := a9Setup(t, "deny {", "entity Email", "action create", "}")
	if st, body := a9V3(t, sim, inst, "Email", "create", `{"contact_id":2,"email":"c@example.org"}`); !a9PolicyRefused(st, body) {
		t.Fatalf("control: Email.create: %d %s", st, body)
	}
	st, body := a9V3(t, sim, inst, "Email", "update", `{"id":2,"email":"u@example.org"}`)
	if !a9PolicyRefused(st, body) {
		t.Errorf("Email.update (runs Email.get, then Email.create) under deny { entity Email action create }: %d %.200s; want the policy's 403", st, body)
	}
	if n := sim.Calls("Email.update"); n != 0 {
		t.Errorf("CiviCRM ran Email.update")
	}
}

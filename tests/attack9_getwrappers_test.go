package tests

// Attack 9, policy: the actions that run `get` under another name.
//
// APIv3's generic getsingle, getvalue and getcount (api/v3/Generic.php) are
// each `civicrm_api($entity, 'get', $params)` plus a reshaping of its answer,
// with the caller's parameters (chains included); CiviCRM's own permission
// layer files them under `get` (CRM_Core_Permission::getGenericAction: any
// action starting with "get"). The deprecated generic update
// (api/v3/Generic/Update.php) runs `get` on the id, then `create`. APIv4's
// autocomplete without a savedSearch runs the get of its own entity
// (AutocompleteAction: savedSearch = ['api_entity' => $entityName], then
// SearchDisplay::run, which calls the entity's get).
//
// Civigate walks getlist into its get and refuses Contact.autocomplete with
// an inline savedSearch of Email under `deny { entity Email action get }`,
// but lets Email.getsingle, Email.getvalue, Email.getcount, a chained
// api.Email.getsingle, Email.update and Email.autocomplete (the same
// savedSearch, left implicit) through: each reads the e-mail addresses the
// rule denies.

import (
	"net/url"
	"testing"
)

func TestA9GetWrappersRunGet(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity Email", "action get", "}")

	// Controls: the rule refuses Email.get and getlist, and other entities' getsingle pass.
	if st, body := a9V3(t, sim, inst, "Email", "get", `{"id":2}`); !a9PolicyRefused(st, body) {
		t.Fatalf("control: Email.get: %d %s", st, body)
	}
	if st, body := a9V3(t, sim, inst, "Email", "getlist", `{"input":"a"}`); !a9PolicyRefused(st, body) {
		t.Fatalf("control: Email.getlist: %d %s", st, body)
	}
	if st, body := a9V4(t, sim, inst, "Contact", "autocomplete", `{"input":"a","savedSearch":{"api_entity":"Email","api_params":{"version":4,"select":["id","email"]}}}`); !a9PolicyRefused(st, body) {
		t.Fatalf("control: Contact.autocomplete over an inline Email search: %d %s", st, body)
	}
	// With a return: Contact.get's default return holds the primary e-mail
	// (translate.V3Returns), which the rule denies.
	if st, body := a9V3(t, sim, inst, "Contact", "getsingle", `{"id":2,"return":"display_name"}`); st != 200 || a9PolicyRefused(st, body) {
		t.Fatalf("control: Contact.getsingle: %d %s", st, body)
	}

	v3 := []struct{ name, entity, action, json, upstream string }{
		{"getsingle", "Email", "getsingle", `{"id":2}`, "Email.getsingle"},
		{"getvalue", "Email", "getvalue", `{"id":2,"return":"email"}`, "Email.getvalue"},
		{"getcount", "Email", "getcount", `{"contact_id":2}`, "Email.getcount"},
		{"chained getsingle", "Contact", "get", `{"id":4,"api.Email.getsingle":{}}`, "Contact.get"},
		{"update", "Email", "update", `{"id":2,"email":"u@example.org"}`, "Email.update"},
	}
	for _, c := range v3 {
		t.Run("v3 "+c.name, func(t *testing.T) {
			sim.ResetCounts()
			st, body := a9V3(t, sim, inst, c.entity, c.action, c.json)
			if !a9PolicyRefused(st, body) {
				t.Errorf("%s.%s %s (runs Email.get) under deny { entity Email action get }: %d %.200s; want the policy's 403",
					c.entity, c.action, c.json, st, body)
			}
			if n := sim.Calls(c.upstream); n != 0 {
				t.Errorf("CiviCRM ran %s %d time(s)", c.upstream, n)
			}
		})
	}
	t.Run("v4 autocomplete", func(t *testing.T) {
		rec.reset()
		st, body := a9Call(t, sim, inst, "POST", "/civicrm/ajax/api4/Email/autocomplete", url.Values{"params": {`{"input":"a"}`}})
		if !a9PolicyRefused(st, body) {
			t.Errorf("Email.autocomplete (runs Email.get) under deny { entity Email action get }: %d %.200s; want the policy's 403", st, body)
		}
		if rec.reached("/civicrm/ajax/api4/Email/autocomplete") {
			t.Errorf("the autocomplete reached CiviCRM")
		}
	})
}

package tests

// Attack 9, policy: APIv4's save is a create or an update, record by record.
//
// Civi\Api4\Generic\AbstractSaveAction::validateValues checks each record as
// CiviCRM's own access rules see it: `$action = empty($record[$idField]) ?
// 'create' : 'update'` (CoreUtil::checkAccessDelegated), then the DAO save
// creates the records without an id and updates those with one; replace
// hands its records to save. Civigate judges the call `save` by its name, so
// `deny { entity Email action create }` lets Email.save create addresses and
// `deny { entity Email action update }` lets it rewrite existing ones.

import (
	"strings"
	"testing"
)

func TestA9API4SaveIsCreateOrUpdate(t *testing.T) {
	t.Run("create", func(t *testing.T) {
		sim, rec, inst := a9Setup(t, "deny {", "entity Email", "action create", "}")
		if st, body := a9V4(t, sim, inst, "Email", "create", `{"values":{"contact_id":4,"email":"c@example.org"}}`); !a9PolicyRefused(st, body) {
			t.Fatalf("control: Email.create: %d %s", st, body)
		}
		for _, c := range []struct{ name, entity, action, params string }{
			{"save", "Email", "save", `{"records":[{"contact_id":4,"email":"s@example.org"}]}`},
			{"save with defaults", "Email", "save", `{"defaults":{"contact_id":4},"records":[{"email":"s@example.org"}]}`},
			{"chained save", "Contact", "get", `{"where":[["id","=",4]],"chain":{"s":["Email","save",{"records":[{"contact_id":"$id","email":"s@example.org"}]}]}}`},
		} {
			rec.reset()
			st, body := a9V4(t, sim, inst, c.entity, c.action, c.params)
			if !a9PolicyRefused(st, body) {
				t.Errorf("%s: %s.%s (creates an Email) under deny { entity Email action create }: %d %.200s; want the policy's 403", c.name, c.entity, c.action, st, body)
			}
			if rec.reached("/civicrm/ajax/api4/" + c.entity + "/" + c.action) {
				t.Errorf("%s: the call reached CiviCRM", c.name)
			}
		}
		if st, body := a9V4(t, sim, inst, "Email", "get", `{"select":["email"],"where":[["contact_id","=",4]]}`); st != 200 || strings.Contains(body, "s@example.org") {
			t.Errorf("an Email was created: %d %s", st, body)
		}
	})
	t.Run("update", func(t *testing.T) {
		sim, rec, inst := a9Setup(t, "deny {", "entity Email", "action update", "}")
		if st, body := a9V4(t, sim, inst, "Email", "update", `{"where":[["id","=",2]],"values":{"email":"u@example.org"}}`); !a9PolicyRefused(st, body) {
			t.Fatalf("control: Email.update: %d %s", st, body)
		}
		st, body := a9V4(t, sim, inst, "Email", "save", `{"records":[{"id":2,"email":"u@example.org"}]}`)
		if !a9PolicyRefused(st, body) {
			t.Errorf("Email.save of Email 2 (an update) under deny { entity Email action update }: %d %.200s; want the policy's 403", st, body)
		}
		if rec.reached("/civicrm/ajax/api4/Email/save") {
			t.Errorf("the call reached CiviCRM")
		}
		if st, body := a9V4(t, sim, inst, "Email", "get", `{"select":["email"],"where":[["id","=",2]]}`); st != 200 || strings.Contains(body, "u@example.org") {
			t.Errorf("Email 2 was updated: %d %s", st, body)
		}
	})
}

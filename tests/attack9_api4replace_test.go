package tests

// Attack 9, policy: APIv4's replace runs the delete action (and save).
//
// CiviCRM's Civi\Api4\Generic\BasicReplaceAction::_run fetches the rows
// matching `where`, saves `records` through the entity's save action
// (ActionUtil::getAction($entity, 'save')->execute()) and then deletes every
// matching row not in `records` with civicrm_api4($entity, 'delete', …).
// Civigate walks APIv3's replace into its get, create and delete calls (a
// `deny { action delete }` refuses Email.replace on civicrm/ajax/rest), but
// judges APIv4's replace as the call `replace` alone: the same rule lets
// /civicrm/ajax/api4/Email/replace delete a contact's e-mail addresses.

import (
	"strings"
	"testing"
)

func TestA9API4ReplaceRunsDelete(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "action delete", "}")

	// The rule holds on APIv3's replace and on APIv4's own delete.
	if st, body := a9V3(t, sim, inst, "Email", "replace", `{"contact_id":4,"values":[]}`); !a9PolicyRefused(st, body) {
		t.Fatalf("control: APIv3 Email.replace under deny delete: %d %s", st, body)
	}
	if st, body := a9V4(t, sim, inst, "Email", "delete", `{"where":[["contact_id","=",4]]}`); !a9PolicyRefused(st, body) {
		t.Fatalf("control: APIv4 Email.delete under deny delete: %d %s", st, body)
	}

	replace := `["Email","replace",{"where":[["contact_id","=",4]],"records":[{"contact_id":4,"email":"new@example.org"}]}]`
	cases := []struct{ name, path, form string }{
		{"single", "/civicrm/ajax/api4/Email/replace", "params=" + a9q(`{"where":[["contact_id","=",4]],"records":[{"contact_id":4,"email":"new@example.org"}]}`)},
		{"chain", "/civicrm/ajax/api4/Contact/get", "params=" + a9q(`{"where":[["id","=",4]],"chain":{"r":`+replace+`}}`)},
		{"batch", "/civicrm/ajax/api4", "calls=" + a9q(`[`+replace+`]`)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec.reset()
			st, body := a7Req(t, "POST", inst.URL+c.path, map[string]string{
				"X-Civi-Auth": "Bearer " + sim.Admin().APIKey, "X-Civi-Key": sim.SiteKey(),
				"X-Requested-With": "XMLHttpRequest"}, c.form)
			if !a9PolicyRefused(st, body) {
				t.Errorf("APIv4 replace (which runs Email.delete) under deny { action delete }: %d %.200s; want the policy's 403", st, body)
			}
			if rec.reached(c.path) {
				t.Errorf("the replace reached CiviCRM")
			}
			// grace's address (Email 3) must still be there.
			st, body = a9V4(t, sim, inst, "Email", "get", `{"select":["id"],"where":[["contact_id","=",4]]}`)
			if st != 200 || !strings.Contains(body, `"id":3`) {
				t.Errorf("contact 4's e-mail was deleted: %d %s", st, body)
			}
		})
	}
}

// TestA9API4ReplaceRunsSave: replace hands its records to the save action,
// so a rule refusing save refuses replace too.
func TestA9API4ReplaceRunsSave(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity Email", "action save", "}")
	if st, body := a9V4(t, sim, inst, "Email", "save", `{"records":[{"contact_id":4,"email":"s@example.org"}]}`); !a9PolicyRefused(st, body) {
		t.Fatalf("control: Email.save under deny save: %d %s", st, body)
	}
	st, body := a9V4(t, sim, inst, "Email", "replace", `{"where":[["contact_id","=",4]],"records":[{"contact_id":4,"email":"r@example.org"}]}`)
	if !a9PolicyRefused(st, body) {
		t.Errorf("Email.replace (which runs Email.save) under deny { entity Email action save }: %d %.200s; want the policy's 403", st, body)
	}
	if rec.reached("/civicrm/ajax/api4/Email/replace") {
		t.Errorf("the replace reached CiviCRM")
	}
}

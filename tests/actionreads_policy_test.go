package tests

// Actions that read contacts under another name than get (translate's
// actionreads.go, from api/v3/Contact.php and Civi/Api4/Action/Contact):
// end to end through Caddy, `deny { entity Contact action get }` refuses
// them before CiviCRM runs them, and leaves an action that reads no rows.

import "testing"

func TestActionsThatReadContactsMeetGetRules(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity Contact", "action get", "}")
	cases := []struct {
		name, entity, action, params string
		v4                           bool
	}{
		{"APIv3 duplicatecheck", "Contact", "duplicatecheck", `{"match":{"contact_type":"Individual","first_name":"A"}}`, false},
		{"APIv3 proximity", "Contact", "proximity", `{"latitude":1,"longitude":2,"distance":3}`, false},
		{"APIv3 getmergedto", "Contact", "getmergedto", `{"contact_id":3}`, false},
		{"APIv4 getDuplicates", "Contact", "getDuplicates", `{"values":{"first_name":"A"}}`, true},
		{"APIv4 getDuplicates of a contact type", "Individual", "getDuplicates", `{"values":{"email_primary.email":"a@example.org"}}`, true},
		{"APIv4 getMergedTo", "Contact", "getMergedTo", `{"contactId":3}`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec.reset()
			path := "/civicrm/ajax/rest"
			st, body := 0, ""
			if c.v4 {
				path = "/civicrm/ajax/api4/" + c.entity + "/" + c.action
				st, body = a9V4(t, sim, inst, c.entity, c.action, c.params)
			} else {
				st, body = a9V3(t, sim, inst, c.entity, c.action, c.params)
			}
			if !a9PolicyRefused(st, body) {
				t.Errorf("%s.%s under deny { entity Contact action get }: %d %.200s; want the policy's 403", c.entity, c.action, st, body)
			}
			if rec.reached(path) {
				t.Errorf("the call reached CiviCRM")
			}
		})
	}
	rec.reset()
	if st, body := a9V4(t, sim, inst, "Contact", "checkAccess", `{"action":"update","values":{"id":3}}`); a9PolicyRefused(st, body) ||
		!rec.reached("/civicrm/ajax/api4/Contact/checkAccess") {
		t.Errorf("control: Contact.checkAccess reads no rows, refused: %d %.200s", st, body)
	}
}

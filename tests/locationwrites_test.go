package tests

// An APIv4 contact write saves the contact's primary and billing Email,
// Phone, Address and IM from values named through them
// (ContactSaveTrait::saveLocations: civicrm_api4($entity, 'save' or
// 'delete', checkPermissions FALSE)): under rules about Email those are
// writes of Email, made under Contact's name.

import (
	"testing"
)

func TestContactWritesLocationRecords(t *testing.T) {
	cases := []struct {
		name           string
		rules          []string
		entity, action string
		params         string
		allowed        bool
	}{
		{"create with email_primary.email", []string{"deny {", "entity Email", "}"},
			"Contact", "create", `{"values":{"contact_type":"Individual","first_name":"A","email_primary.email":"a@example.org"}}`, false},
		{"an Individual's save with email_billing.email", []string{"deny {", "entity Email", "}"},
			"Individual", "save", `{"records":[{"id":2,"email_billing.email":"b@example.org"}]}`, false},
		{"update giving email_primary another contact's email id", []string{"deny {", "entity Email", "action update", "}"},
			"Contact", "update", `{"where":[["id","=",2]],"values":{"email_primary":7}}`, false},
		{"update deleting the primary email", []string{"deny {", "entity Email", "action delete", "}"},
			"Contact", "update", `{"where":[["id","=",2]],"values":{"email_primary.email":null}}`, false},
		{"update deleting the primary phone by id", []string{"default deny", "allow {", "entity Contact", "}"},
			"Contact", "update", `{"where":[["id","=",2]],"values":{"phone_primary":null}}`, false},

		{"control: a contact's own fields", []string{"deny {", "entity Email", "}"},
			"Contact", "create", `{"values":{"contact_type":"Individual","first_name":"A","email":"not a join"}}`, true},
		{"control: a saved email is no delete", []string{"deny {", "entity Email", "action delete", "}"},
			"Contact", "update", `{"where":[["id","=",2]],"values":{"email_primary.email":"c@example.org"}}`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sim, rec, inst := a9Setup(t, c.rules...)
			path := "/civicrm/ajax/api4/" + c.entity + "/" + c.action
			st, body := a9V4(t, sim, inst, c.entity, c.action, c.params)
			if refused := a9PolicyRefused(st, body); refused == c.allowed {
				t.Errorf("%s.%s %s: %d %.200s; want allowed=%v", c.entity, c.action, c.params, st, body, c.allowed)
			}
			if rec.reached(path) != c.allowed {
				t.Errorf("reached CiviCRM: %v, want %v", rec.reached(path), c.allowed)
			}
		})
	}
}

package tests

// Attack 9, policy: an APIv4 write naming a custom field writes CustomValue.
//
// DAOCreateAction/DAOUpdateAction (and save's, replace's) formatCustomParams
// take each value key "<Group>.<field>" (getCustomFieldInfo: the part before
// the dot is the custom group's name) into $params['custom'], which the BAO
// saves in that group's table: CustomValue data, the same data Civigate
// already refuses reading as `Extra.colour`. The write passed the edge under
// `deny { entity CustomValue }` and allow lists of the call's own entity.

import (
	"testing"
)

func TestA9CustomFieldWritesCustomValue(t *testing.T) {
	policies := map[string][]string{
		"deny CustomValue":   {"deny {", "entity CustomValue", "}"},
		"allow Contact only": {"default deny", "allow {", "entity Contact", "}"},
	}
	for name, rules := range policies {
		t.Run(name, func(t *testing.T) {
			sim, rec, inst := a9Setup(t, rules...)
			// Control: a write of the contact's own fields passes.
			if st, body := a9V4(t, sim, inst, "Contact", "update", `{"where":[["id","=",2]],"values":{"first_name":"A"}}`); a9PolicyRefused(st, body) {
				t.Fatalf("control: own fields: %d %s", st, body)
			}
			for _, c := range []struct{ name, entity, action, params string }{
				{"update values", "Contact", "update", `{"where":[["id","=",2]],"values":{"Extra.colour":"red"}}`},
				{"create values with a suffix", "Contact", "create", `{"values":{"contact_type":"Individual","Extra.colour:label":"Red"}}`},
				{"save records", "Individual", "save", `{"records":[{"id":2,"Extra.colour":"red"}]}`},
				{"save defaults", "Contact", "save", `{"records":[{"id":2}],"defaults":{"Extra.colour":"red"}}`},
				{"replace records", "Contact", "replace", `{"where":[["id","=",2]],"records":[{"id":2,"Extra.colour":"red"}]}`},
				{"chain", "Contact", "get", `{"select":["id"],"chain":{"c":["Contact","update",{"where":[["id","=","$id"]],"values":{"Extra.colour":"red"}}]}}`},
			} {
				rec.reset()
				st, body := a9V4(t, sim, inst, c.entity, c.action, c.params)
				if !a9PolicyRefused(st, body) {
					t.Errorf("%s: %s.%s writing Extra.colour (CustomValue): %d %.200s; want the policy's 403", c.name, c.entity, c.action, st, body)
				}
				if rec.reached("/civicrm/ajax/api4/" + c.entity + "/" + c.action) {
					t.Errorf("%s: the call reached CiviCRM", c.name)
				}
			}
			rec.reset()
			st, body := a7Req(t, "POST", inst.URL+"/civicrm/ajax/api4", map[string]string{
				"X-Civi-Auth": "Bearer " + sim.Admin().APIKey, "X-Civi-Key": sim.SiteKey(),
				"X-Requested-With": "XMLHttpRequest"},
				"calls="+a9q(`[["Contact","update",{"where":[["id","=",2]],"values":{"Extra.colour":"red"}}]]`))
			if !a9PolicyRefused(st, body) {
				t.Errorf("batch member writing Extra.colour: %d %.200s; want the policy's 403", st, body)
			}
			if rec.reached("/civicrm/ajax/api4") {
				t.Errorf("batch: the call reached CiviCRM")
			}
		})
	}
}

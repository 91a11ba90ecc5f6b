package tests

import "testing"

// TestA19StandaloneUserIsUFMatch: on CiviCRM Standalone the APIv4 entity
// User is the table civicrm_uf_match, the rows UFMatch reads (which contact
// is which user, its uf_name, uf_id, language), yet a deny rule naming one
// name does not cover the other.
//
// ext/standaloneusers/schema/User.entityType.php declares 'name' => 'User',
// 'table' => 'civicrm_uf_match' ("In Standalone this is a superset of the
// original civicrm_uf_match table"), and schema/Core/UFMatch.entityType.php
// 'name' => 'UFMatch', 'table' => 'civicrm_uf_match'. Civi\Api4\User (a
// Generic\DAOEntity whose default permission is 'access CiviCRM') serves
// get, and Api4SelectQuery joins it like any entity (addExplicitJoins:
// CoreUtil::getTableExpr('User') is civicrm_uf_match). The README's "one
// entity, several names" merges the names CiviCRM gives one table's rows
// (Individual and Contact, RelationshipCache and Relationship, AclRole and
// ACLEntityRole...) but not these two, though its cache section already
// treats a UFMatch write as changing User reads.
func TestA19StandaloneUserIsUFMatch(t *testing.T) {
	const why = "Standalone's User entity (ext/standaloneusers, User.entityType.php) and core's UFMatch are both civicrm_uf_match: " +
		"User.get answers the same rows (contact_id, uf_id, uf_name, language) the deny rule keeps from UFMatch.get"
	t.Run("deny UFMatch", func(t *testing.T) {
		a14Check(t, a14Policy{
			lines: []string{"deny {", "entity UFMatch", "}"},
			controls: []a11aCase{
				{"UFMatch.get", a10V4("UFMatch", "get", `{"select":["contact_id","uf_name","uf_id"]}`), "the rule's own name"},
			},
			cases: []a11aCase{
				{"User.get", a10V4("User", "get", `{"select":["contact_id","uf_name","uf_id"]}`), why},
				{"User.get with no select", a10V4("User", "get", `{}`), why},
				{"Contact.get joining User", a10V4("Contact", "get", `{"select":["id","u.uf_name"],"join":[["User AS u","INNER",["u.contact_id","=","id"]]]}`), why + " (an explicit join reads the joined entity's table)"},
				{"chained User.get", a10V4("Contact", "get", `{"select":["id"],"chain":{"u":["User","get",{"where":[["contact_id","=","$id"]]}]}}`), why},
			},
		})
	})
	t.Run("deny User", func(t *testing.T) {
		a14Check(t, a14Policy{
			lines: []string{"deny {", "entity User", "}"},
			controls: []a11aCase{
				{"User.get", a10V4("User", "get", `{"select":["contact_id","uf_name","uf_id"]}`), "the rule's own name"},
			},
			cases: []a11aCase{
				{"UFMatch.get", a10V4("UFMatch", "get", `{"select":["contact_id","uf_name","uf_id"]}`), why},
				{"APIv3 UFMatch.get", a10V3("UFMatch", "get", `{"return":"contact_id,uf_name,uf_id"}`), why + " (APIv3's UFMatch is the same table)"},
			},
		})
	})
}

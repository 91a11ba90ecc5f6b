package tests

import "testing"

// TestA11cV4TagsFieldReadsAndWritesEntityTag: APIv4 gives every taggable
// entity (contacts and the entities in the tag_used_for option group:
// Activity, Case, File…) a `tags` field on get, create and update
// (Civi/Api4/Service/Spec/Provider/TagFieldSpecProvider.php). On get it is
// civicrm_entity_tag: selected, getTagSelectSql answers GROUP_CONCAT(tag_id)
// of the record's EntityTag rows (`tags:label` their Tag labels); in where,
// getTagFilterSql is `id IN (SELECT entity_id FROM civicrm_entity_tag …)`.
// On create and update its hook_civicrm_post listener saveTags runs
// \Civi\Api4\EntityTag::replace(FALSE) with the given tag ids: it writes
// (creates and deletes) EntityTag rows, with permission checks off. The
// README judges the APIv3 spellings (tag/tags in a return or filter) as
// EntityTag reads and an APIv4 contact write's email_primary etc. as writes
// of those entities; `tags` is neither, so a deny on EntityTag, and an allow
// list for Contact get and update, let a client read which records carry
// which tags and tag or untag any contact.
func TestA11cV4TagsFieldReadsAndWritesEntityTag(t *testing.T) {
	reads := []struct {
		name string
		r    a10Req
	}{
		{"Contact.get select tags", a10V4("Contact", "get", `{"select":["id","tags"]}`)},
		{"Contact.get select tags:label", a10V4("Contact", "get", `{"select":["id","tags:label"]}`)},
		{"Contact.get where tags IN", a10V4("Contact", "get", `{"select":["id"],"where":[["tags","IN",[1]]]}`)},
	}
	writes := []struct {
		name string
		r    a10Req
	}{
		{"Contact.update values tags", a10V4("Contact", "update", `{"where":[["id","=",3]],"values":{"tags":[1]}}`)},
		{"Contact.create values tags", a10V4("Contact", "create", `{"values":{"contact_type":"Individual","first_name":"T","tags":[1]}}`)},
		{"Contact.save records tags", a10V4("Contact", "save", `{"records":[{"id":3,"tags":[1]}]}`)},
		{"Contact.save defaults tags", a10V4("Contact", "save", `{"records":[{"id":3}],"defaults":{"tags":[1]}}`)},
		{"Contact.get chain Contact.update tags", a10V4("Contact", "get", `{"select":["id"],"where":[["id","=",3]],"chain":{"u":["Contact","update",{"where":[["id","=","$id"]],"values":{"tags":[]}}]}}`)},
	}
	readWhy := "TagFieldSpecProvider makes `tags` a read of civicrm_entity_tag (GROUP_CONCAT(tag_id), or a subquery in where): EntityTag data."
	writeWhy := "TagFieldSpecProvider::saveTags runs EntityTag::replace(FALSE) with the given tags after the contact is saved: " +
		"an EntityTag create and delete, with CiviCRM's permission checks off."

	t.Run("deny EntityTag", func(t *testing.T) {
		sim, rec, inst := a9Setup(t, "deny {", "entity EntityTag", "}")
		for _, c := range reads {
			a10MustRefuse(t, sim, rec, inst, c.name, c.r, readWhy)
		}
		for _, c := range writes {
			a10MustRefuse(t, sim, rec, inst, c.name, c.r, writeWhy)
		}
	})

	t.Run("allow Contact get update create save only", func(t *testing.T) {
		sim, rec, inst := a9Setup(t, "default deny", "allow {", "entity Contact", "action get update create save", "}")
		if st, body, _, _ := a10Send(t, sim, rec, inst, a10V4("Contact", "update", `{"where":[["id","=",3]],"values":{"nick_name":"x"}}`)); st != 200 {
			t.Fatalf("control: a plain APIv4 Contact.update under this allow list answered %d %s", st, body)
		}
		for _, c := range reads {
			a10MustRefuse(t, sim, rec, inst, c.name, c.r, readWhy+" The allow list names no EntityTag.")
		}
		for _, c := range writes {
			a10MustRefuse(t, sim, rec, inst, c.name, c.r, writeWhy+" The allow list names no EntityTag.")
		}
	})
}

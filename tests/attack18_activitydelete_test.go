package tests

import "testing"

// TestA18ActivityDeleteRemovesTagsAndFiles: APIv3 Activity.delete runs
// CRM_Activity_BAO_Activity::deleteActivity (civicrm_api3_activity_delete),
// which after deleting the activity deletes its tags ("DELETE FROM
// civicrm_entity_tag WHERE entity_table = 'civicrm_activity' AND entity_id
// = %1", CRM-13994) and its attachments (CRM_Core_BAO_File::
// deleteEntityFile('civicrm_activity', id): the civicrm_entity_file rows,
// and each civicrm_file no other entity uses). Neither table has a foreign
// key to civicrm_activity (entity_table/entity_id), so the cascade table
// cannot see it; cached EntityTag, File, EntityFile and APIv3
// Attachment.get answers stay served with the deleted rows.
func TestA18ActivityDeleteRemovesTagsAndFiles(t *testing.T) {
	why := "CRM_Activity_BAO_Activity::deleteActivity deletes the activity's civicrm_entity_tag rows and its attachments " +
		"(CRM_Core_BAO_File::deleteEntityFile)"
	w := a10bCall{3, "Activity", "delete", `{"id":1}`}
	controls := []a15Case{{read: a10bCall{4, "Activity", "get", `{}`}, write: w}}
	cases := []a15Case{
		{read: a10bCall{4, "EntityTag", "get", `{"where":[["entity_table","=","civicrm_activity"],["entity_id","=",1]]}`}, write: w, why: why},
		{read: a10bCall{3, "EntityTag", "get", `{"entity_table":"civicrm_activity","entity_id":1}`}, write: w, why: why},
		{read: a10bCall{4, "EntityFile", "get", `{"where":[["entity_table","=","civicrm_activity"],["entity_id","=",1]]}`}, write: w, why: why},
		{read: a10bCall{4, "File", "get", `{}`}, write: w, why: why},
		{read: a10bCall{3, "Attachment", "get", `{"entity_table":"civicrm_activity","entity_id":1}`}, write: w, why: why},
	}
	a18MustInvalidate(t, controls, cases)
}

package tests

import "testing"

// TestA18ContactNoteWritesChangeLog: a note on a contact, through either
// API, adds a change log row for the contact (CRM_Core_BAO_Note::add: when
// entity_table is civicrm_contact, CRM_Core_BAO_Log::register(entity_id,
// 'civicrm_note', note id); APIv3 Note.create and APIv4 Note.create/save
// both run Note::add). The README lists the change log's writers (a
// contact, an activity, a participant, an event, a grant) and a contact
// write does invalidate Log reads (the control), but a note's does not:
// cached APIv4 Log.get answers stay served without the new row.
func TestA18ContactNoteWritesChangeLog(t *testing.T) {
	why := "CRM_Core_BAO_Note::add registers a civicrm_log row (CRM_Core_BAO_Log::register) for every note on a contact"
	logRead := a10bCall{4, "Log", "get", `{"where":[["entity_table","=","civicrm_contact"],["entity_id","=",2]]}`}
	controls := []a15Case{{read: logRead, write: a10bCall{4, "Contact", "update", `{"where":[["id","=",2]],"values":{"first_name":"Ann"}}`}}}
	cases := []a15Case{
		{read: logRead, write: a10bCall{4, "Note", "create", `{"values":{"entity_table":"civicrm_contact","entity_id":2,"note":"called"}}`}, why: why},
		{read: logRead, write: a10bCall{4, "Note", "save", `{"records":[{"entity_table":"civicrm_contact","entity_id":2,"note":"called"}]}`}, why: why},
		{read: logRead, write: a10bCall{3, "Note", "create", `{"entity_table":"civicrm_contact","entity_id":2,"note":"called"}`}, why: why},
	}
	a18MustInvalidate(t, controls, cases)
}

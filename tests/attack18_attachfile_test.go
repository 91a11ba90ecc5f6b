package tests

import "testing"

// TestA18AttachFileParamsWriteFiles: APIv3 Activity.create and Note.create
// pass their parameters whole to the BAO, which saves attachments named
// attachFile_1…attachFile_N (CRM_Activity_BAO_Activity::create and
// CRM_Core_BAO_Note::add call CRM_Core_BAO_File::processAttachment, which
// for each array attachFile_i runs filePostProcess: the file at its
// location is renamed into the upload directory, a civicrm_file row and a
// civicrm_entity_file row are saved, and its 'tag' list saved as
// EntityTag rows of the file). Cached File, EntityFile and APIv3
// Attachment.get answers (which read both tables) stay served without the
// new attachment.
func TestA18AttachFileParamsWriteFiles(t *testing.T) {
	why := "CRM_Core_BAO_File::processAttachment (called by Activity::create and Note::add) saves a civicrm_file and a " +
		"civicrm_entity_file row for each attachFile_i parameter"
	actW := a10bCall{3, "Activity", "create", `{"id":1,"attachFile_1":{"location":"/tmp/minutes.txt","type":"text/plain","uri":"minutes.txt"}}`}
	noteW := a10bCall{3, "Note", "create", `{"entity_table":"civicrm_contact","entity_id":2,"note":"see file","attachFile_1":{"location":"/tmp/minutes.txt","type":"text/plain"}}`}
	controls := []a15Case{{read: a10bCall{4, "File", "get", `{}`}, write: a10bCall{3, "Attachment", "create", `{"entity_table":"civicrm_activity","entity_id":1,"name":"minutes.txt","mime_type":"text/plain","content":"x"}`}}}
	var cases []a15Case
	for _, w := range []a10bCall{actW, noteW} {
		cases = append(cases,
			a15Case{read: a10bCall{4, "File", "get", `{}`}, write: w, why: why},
			a15Case{read: a10bCall{4, "EntityFile", "get", `{}`}, write: w, why: why},
		)
	}
	cases = append(cases,
		a15Case{read: a10bCall{3, "Attachment", "get", `{"entity_table":"civicrm_activity","entity_id":1}`}, write: actW, why: why},
		a15Case{read: a10bCall{3, "Attachment", "get", `{"entity_table":"civicrm_note","entity_id":8}`}, write: noteW, why: why},
	)
	a18MustInvalidate(t, controls, cases)
}

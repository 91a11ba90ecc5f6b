package tests

import "testing"

// TestA18AttachFilePassesDenyFile: an APIv3 Activity.create or Note.create
// naming attachFile_1 makes CiviCRM move the file at the caller's
// 'location' into its upload directory (rename()) and save civicrm_file
// and civicrm_entity_file rows (CRM_Activity_BAO_Activity::create and
// CRM_Core_BAO_Note::add -> CRM_Core_BAO_File::processAttachment ->
// filePostProcess), the writes APIv3 Attachment.create does. What a write
// saves because of a parameter it names is the call's own doing (README,
// reads through joins: a contact's note, website, group…), and
// deny { entity File } refuses Attachment.create (the control), yet these
// calls reach CiviCRM.
func TestA18AttachFilePassesDenyFile(t *testing.T) {
	why := "CRM_Core_BAO_File::processAttachment saves a civicrm_file and civicrm_entity_file row (and moves the named file) for attachFile_1"
	att := `"attachFile_1":{"location":"/tmp/minutes.txt","type":"text/plain"}`
	for _, ent := range []string{"File", "EntityFile"} {
		t.Run(ent, func(t *testing.T) {
			a14Check(t, a14Policy{
				lines: []string{"deny {", "entity " + ent, "}"},
				controls: []a11aCase{{name: "Attachment.create", r: a10V3("Attachment", "create",
					`{"entity_table":"civicrm_activity","entity_id":1,"name":"minutes.txt","mime_type":"text/plain","content":"x"}`)}},
				cases: []a11aCase{
					{name: "APIv3 Activity.create attachFile_1", r: a10V3("Activity", "create", `{"id":1,`+att+`}`), why: why},
					{name: "APIv3 Activity.create attachFile_1 (new)", r: a10V3("Activity", "create", `{"activity_type_id":1,"source_contact_id":2,`+att+`}`), why: why},
					{name: "APIv3 Note.create attachFile_1", r: a10V3("Note", "create", `{"entity_table":"civicrm_contact","entity_id":2,"note":"see file",`+att+`}`), why: why},
					{name: "APIv3 Activity.create attachFile_1 key-value", r: a11aKV("entity=Activity", "action=create", "id=1",
						"attachFile_1%5Blocation%5D=%2Ftmp%2Fminutes.txt", "attachFile_1%5Btype%5D=text%2Fplain"), why: why},
				},
			})
		})
	}
}

package authx

import (
	"testing"

	"github.com/civigate/civigate/translate"
)

// What a write saves of other entities for a field it names (translate's
// field-write table, attack 18): an attachFile_<n> array saves a file and
// its link (CRM_Core_BAO_File::processAttachment, which also moves the
// server file its location names), as Attachment.create does; a report's
// is_navigation and addToDashboard its menu item and dashlet; a recurring
// contribution's amount edit its template contribution.
func TestPolicyAttachmentsAndReportsWritten(t *testing.T) {
	v4 := func(path, params string) *translate.Call { return policyV4Call(t, path, params) }
	deny := func(entity string, actions ...string) *Policy {
		return &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{entity}, Actions: actions}}}
	}
	att := `"attachFile_1":{"location":"/etc/passwd","type":"text/plain"}`
	checkPolicyRows(t, []policyRow{
		{"control: Attachment.create under deny File", deny("File"), jsonCall(t, "Attachment", "create",
			`{"entity_table":"civicrm_activity","entity_id":1,"name":"x.txt","mime_type":"text/plain","content":"x"}`), false, ""},
		{"an activity's attachment", deny("File"), jsonCall(t, "Activity", "create", `{"id":1,`+att+`}`), false, ""},
		{"a new activity's attachment", deny("EntityFile", "create"), jsonCall(t, "Activity", "create", `{"activity_type_id":1,"source_contact_id":2,`+att+`}`), false, ""},
		{"a note's attachment", deny("File", "create"), jsonCall(t, "Note", "create", `{"entity_table":"civicrm_contact","entity_id":2,"note":"n",`+att+`}`), false, ""},
		{"an APIv4 activity's attachment", deny("File"), v4("Activity/update", `{"where":[["id","=",1]],"values":{`+att+`}}`), false, ""},
		{"a grant's attachment", deny("EntityFile"), jsonCall(t, "Grant", "create", `{"id":1,`+att+`}`), false, ""},
		{"a mailing's attachment", deny("File"), jsonCall(t, "Mailing", "create", `{"id":1,`+att+`}`), false, ""},
		{"an attachment's tags", deny("EntityTag", "create"), jsonCall(t, "Activity", "create",
			`{"id":1,"attachFile_1":{"location":"/tmp/x","type":"text/plain","tag":{"2":1}}}`), false, ""},
		{"control: an attachment without tags", deny("EntityTag"), jsonCall(t, "Activity", "create", `{"id":1,`+att+`}`), true, ""},
		{"control: an activity without one", deny("File"), jsonCall(t, "Activity", "create", `{"id":1,"subject":"s"}`), true, ""},
		{"control: a contact's create saves none", deny("File"), jsonCall(t, "Contact", "create", `{"id":2,`+att+`}`), true, ""},
		{"an allow naming the call does not admit its attachment", &Policy{Default: "deny", Rules: []Rule{{Effect: "allow",
			Entities: []string{"Activity", "ActivityContact"}}}}, jsonCall(t, "Activity", "create", `{"id":1,`+att+`}`), false, ""},
		{"a report's menu item", deny("Navigation"), jsonCall(t, "ReportInstance", "create", `{"title":"T","report_id":"x","is_navigation":1}`), false, ""},
		{"a report's dashlet", deny("Dashboard", "create"), jsonCall(t, "ReportInstance", "create", `{"title":"T","report_id":"x","addToDashboard":1}`), false, ""},
		{"control: a report alone", deny("Navigation"), jsonCall(t, "ReportInstance", "create", `{"title":"T","report_id":"x"}`), true, ""},
		{"a recurring contribution's amount edit", deny("Contribution", "update"), v4("ContributionRecur/update", `{"where":[["id","=",1]],"values":{"amount":20}}`), false, ""},
		{"control: a new recurring contribution", deny("Contribution"), jsonCall(t, "ContributionRecur", "create", `{"contact_id":2,"amount":20}`), true, ""},
	})
}

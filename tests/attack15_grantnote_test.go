package tests

import "testing"

// APIv3 Grant.create saves the grant's note: civicrm_api3_grant_create
// (ext/civigrant/api/v3/Grant.php) is _civicrm_api3_basic_create, which runs
// CRM_Grant_BAO_Grant::create, and that (ext/civigrant/CRM/Grant/BAO/
// Grant.php) calls CRM_Core_BAO_Note::add(['entity_table' =>
// 'civicrm_grant', 'note' => $params['note'], ...]) when note is given. So
// a Grant write naming note adds or edits a Note row; cached Note.get
// answers are stale, as they are for the contact and participant notes the
// README names.
func TestA15GrantNoteWritesNote(t *testing.T) {
	why := "CRM_Grant_BAO_Grant::create (ext/civigrant/CRM/Grant/BAO/Grant.php) calls CRM_Core_BAO_Note::add for the grant's note"
	a15MustInvalidate(t, []a15Case{
		{read: a10bCall{3, "Note", "get", `{"entity_table":"civicrm_grant"}`},
			write: a10bCall{3, "Grant", "create", `{"contact_id":2,"grant_type_id":1,"status_id":1,"amount_total":100,"note":"approved by the board"}`}, why: why},
		{read: a10bCall{4, "Note", "get", `{"where":[["entity_table","=","civicrm_grant"]]}`},
			write: a10bCall{3, "Grant", "create", `{"id":1,"note":"amended"}`}, why: why},
	})
}

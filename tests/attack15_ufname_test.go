package tests

import "testing"

// A write of a contact's primary e-mail rewrites its CMS user's name:
// CRM_Core_BAO_Email::self_hook_civicrm_post (CRM/Core/BAO/Email.php) calls
// CRM_Core_BAO_UFMatch::updateUFName($email->contact_id) for a primary
// e-mail, which (syncCMSEmail, on by default) saves the contact's
// civicrm_uf_match.uf_name as its new primary e-mail and calls
// $config->userSystem->updateCMSName(): on Standalone
// Civi\Standalone\Security::updateCMSName runs User::update()->addValue(
// 'uf_name', $email). A Contact create or update with an e-mail saves it
// through the same Email BAO (CRM_Core_BAO_Location::create). So cached
// UFMatch.get and Standalone User.get answers are stale after such a write;
// Civigate invalidates neither (UFMatch and User are written by none of
// these calls under their own name).
func TestA15PrimaryEmailWriteRenamesUFMatch(t *testing.T) {
	why := "CRM_Core_BAO_Email::self_hook_civicrm_post -> CRM_Core_BAO_UFMatch::updateUFName saves uf_match.uf_name " +
		"as the new primary e-mail and updateCMSName renames the CMS user (Standalone: User.uf_name)"
	a15MustInvalidate(t, []a15Case{
		{read: a10bCall{3, "UFMatch", "get", `{"contact_id":2}`},
			write: a10bCall{3, "Email", "create", `{"contact_id":2,"email":"renamed@example.org","is_primary":1}`}, why: why},
		{read: a10bCall{4, "UFMatch", "get", `{"select":["uf_name"],"where":[["contact_id","=",2]]}`},
			write: a10bCall{4, "Email", "update", `{"where":[["contact_id","=",2],["is_primary","=",true]],"values":{"email":"renamed@example.org"}}`}, why: why},
		{read: a10bCall{4, "User", "get", `{"select":["uf_name"],"where":[["contact_id","=",2]]}`},
			write: a10bCall{4, "Email", "save", `{"records":[{"contact_id":2,"email":"renamed@example.org","is_primary":true}]}`}, why: why},
		{read: a10bCall{3, "UFMatch", "get", `{"contact_id":2}`},
			write: a10bCall{3, "Contact", "create", `{"id":2,"email":"renamed@example.org"}`}, why: why},
	})
}

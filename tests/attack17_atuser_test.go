package tests

// Attack 17, policy: "@user:<CMS user name>" as a contact id reads which
// contact a CMS user is (UFMatch), in both APIs.
//
// APIv3: APIv3SchemaAdapter::onApiPrepare_validate ->
// _civicrm_api3_validate_fields -> _civicrm_api3_validate_integer turns a
// non-numeric value of an integer field, filter or written value, into
// _civicrm_api3_resolve_contactID($value) (api/v3/utils.php): for
// "@user:<name>" it asks the CMS for the user id ($config->userSystem->
// getUfId) and then CRM_Core_BAO_UFMatch::getContactId($ufID), the
// civicrm_uf_match row, failing with '"contact_id" "@user:x" cannot be
// resolved to a contact ID' when there is none. APIv4:
// Civi\Api4\Utils\FormattingUtil::formatInputValue does the same
// (resolveContactID -> _civicrm_api3_resolve_contactID) for any value of a
// contact reference or a contact's id compared with =, !=, IN…, in a where
// clause or a written value. So Contact.get {"id":"@user:admin"} answers
// the contact of the CMS user "admin" (and whether one exists), a write
// records it: what `deny { entity UFMatch }` is there to keep from the
// caller, and what Civigate refuses when the same caller asks for the
// Contact.get return uf_user.

import "testing"

func TestA17AtUserReadsUFMatch(t *testing.T) {
	v3 := "_civicrm_api3_validate_integer -> _civicrm_api3_resolve_contactID('@user:admin') -> CRM_Core_BAO_UFMatch::getContactId: the CMS user's contact"
	v4 := "FormattingUtil::formatInputValue -> resolveContactID -> _civicrm_api3_resolve_contactID('@user:admin') -> CRM_Core_BAO_UFMatch::getContactId"
	a14Check(t, a14Policy{
		lines:    a17Deny("UFMatch"),
		controls: []a11aCase{{"Contact.get return uf_user", a10V3("Contact", "get", `{"return":"uf_user"}`), "the contact's CMS user"}},
		cases: []a11aCase{
			{"v3 Contact.get id", a10V3("Contact", "get", `{"id":"@user:admin","return":"display_name"}`), v3},
			{"v3 Email.get contact_id", a10V3("Email", "get", `{"contact_id":"@user:admin"}`), v3},
			{"v3 Activity.create source_contact_id", a10V3("Activity", "create", `{"activity_type_id":1,"source_contact_id":"@user:admin"}`), v3 + " (a written value)"},
			{"v3 key-value Email.get", a11aKV("entity=Email", "action=get", "json=1", "contact_id=%40user%3Aadmin"), v3},
			{"v4 Contact.get where id", a10V4("Contact", "get", `{"where":[["id","=","@user:admin"]],"select":["display_name"]}`), v4},
			{"v4 Email.get where contact_id IN", a10V4("Email", "get", `{"where":[["contact_id","IN",["@user:admin"]]]}`), v4},
			{"v4 Activity.create source_contact_id", a10V4("Activity", "create", `{"values":{"activity_type_id":1,"source_contact_id":"@user:admin"}}`), v4 + " (a written value, formatWriteParams)"},
		},
	})
}

package tests

// Attack 17, policy: a primary e-mail's save rewrites the contact's
// UFMatch row (and the CMS user's e-mail), yet passes a deny rule on
// UFMatch updates.
//
// CRM_Core_BAO_Email's save of a primary e-mail calls
// CRM_Core_BAO_UFMatch::updateUFName($contactId), which (under the
// syncCMSEmail setting) sets the contact's civicrm_uf_match row's uf_name to
// the new primary e-mail, $ufmatch->save(), and renames the CMS user
// ($config->userSystem->updateCMSName). civicrm-core's own
// api_v3_UFMatchTest::testUFNameMatchSync checks it in both API versions:
// Email.create {contact_id, email, is_primary: 1} and then UFMatch.getvalue
// uf_name is the new e-mail. The README records this write for the cache
// (an Email write invalidates UFMatch reads) but the policy does not see
// it: `deny { entity UFMatch action update }` refuses UFMatch.create with an
// id and lets an Email write rewrite the same row.

import "testing"

func TestA17PrimaryEmailUpdatesUFMatch(t *testing.T) {
	why := "a primary e-mail's save runs CRM_Core_BAO_UFMatch::updateUFName: the contact's civicrm_uf_match uf_name is saved, and the CMS user renamed (api_v3_UFMatchTest::testUFNameMatchSync, versions 3 and 4)"
	a14Check(t, a14Policy{
		lines:    a17Deny("UFMatch", "update"),
		controls: []a11aCase{{"UFMatch.create with id", a10V3("UFMatch", "create", `{"id":1,"uf_name":"new@example.org"}`), "an update of the row"}},
		cases: []a11aCase{
			{"v3 Email.create is_primary", a10V3("Email", "create", `{"contact_id":3,"email":"new@example.org","is_primary":1}`), why},
			{"v3 chained api.Email.create", a10V3("Contact", "get", `{"id":3,"api.Email.create":{"email":"new@example.org","is_primary":1}}`), why},
			{"v4 Email.create is_primary", a10V4("Email", "create", `{"values":{"contact_id":3,"email":"new@example.org","is_primary":true}}`), why},
			{"v4 Email.save is_primary", a10V4("Email", "save", `{"records":[{"contact_id":3,"email":"new@example.org","is_primary":true}]}`), why},
		},
	})
}

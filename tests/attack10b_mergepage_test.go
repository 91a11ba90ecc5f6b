package tests

import "testing"

// TestA10MergePageForgetsVerdicts: a contact merge changes which contact a
// credential belongs to (CRM_Dedupe_Merger moves the other contact's
// civicrm_uf_match row, so its CMS user's password and JWTs now log in the
// surviving contact, and the merged contact is trashed), which is why an
// API merge (Contact.merge, mergeDuplicates, Job.process_batch_merge) makes
// Civigate forget every remembered verdict. CiviCRM's merge screen does
// the same merge through a page Civigate passes on: its POST
// (civicrm/contact/merge, CRM_Contact_Form_Merge) and the batch merge's
// queue runner (civicrm/queue/ajax/runNext, which runs
// CRM_Contact_Page_DedupeMerge's tasks) must make Civigate forget too, or
// a credential keeps its pre-merge contact (and that contact's cache
// entries) for verdict_ttl.
func TestA10MergePageForgetsVerdicts(t *testing.T) {
	sim, u, inst := a8Setup(t)
	key := sim.Admin().APIKey
	// Control: an administration page write does make it forget.
	if !a8Forgets(t, sim, u, inst, key, a8Write{name: "control: admin page", method: "POST", path: "/civicrm/admin/setting/authx?reset=1",
		ctype: "application/x-www-form-urlencoded", body: "qfKey=abc", status: 302}) {
		t.Fatal("precondition: a POST to civicrm/admin/… makes Civigate forget verdicts")
	}
	for _, w := range []a8Write{
		{name: "merge form", method: "POST", path: "/civicrm/contact/merge?reset=1&cid=3&oid=4&action=update&rgid=1",
			ctype: "application/x-www-form-urlencoded", body: "qfKey=abc&_qf_Merge_submit=Merge&move_email_Primary=1", status: 302},
		{name: "batch merge queue runner", method: "POST", path: "/civicrm/queue/ajax/runNext?qrid=merge-1",
			ctype: "application/x-www-form-urlencoded", body: "qrid=merge-1", status: 200, answer: `{"is_error":0,"is_continue":1}`},
		{name: "WordPress merge form", method: "POST", path: "/wp-admin/admin.php?page=CiviCRM&q=civicrm/contact/merge&reset=1&cid=3&oid=4",
			ctype: "application/x-www-form-urlencoded", body: "qfKey=abc&_qf_Merge_submit=Merge", status: 302},
	} {
		if !a8Forgets(t, sim, u, inst, key, w) {
			t.Errorf("%s %s: a contact merge through CiviCRM's own screen did not make Civigate forget the remembered credential "+
				"verdicts (no new civicrm/authx/id question for the admin's key afterwards), while the same merge through the API "+
				"(Contact.merge) does: the merge moves the merged contact's CMS user (civicrm_uf_match) to the surviving contact", w.method, w.path)
		}
	}
}

// TestA10UserAddPageForgetsVerdicts: CiviCRM's "Create User Record" screen
// (civicrm/contact/view/useradd, CRM_Contact_Form_Task_Useradd) creates a
// CMS user for a contact and links it (civicrm_uf_match), the write that
// decides whether a key's contact "has a CMS user" (require_user) and
// which role's permissions its calls run with. A UFMatch write through the
// API makes Civigate forget every verdict; the same link made through this
// page must too.
func TestA10UserAddPageForgetsVerdicts(t *testing.T) {
	sim, u, inst := a8Setup(t)
	w := a8Write{name: "useradd form", method: "POST", path: "/civicrm/contact/view/useradd?reset=1&action=add&cid=14",
		ctype: "application/x-www-form-urlencoded", body: "qfKey=abc&cms_name=newuser&cms_pass=x&cms_confirm_pass=x&email=a%40b.c&_qf_Useradd_next=Add", status: 302}
	if !a8Forgets(t, sim, u, inst, sim.Admin().APIKey, w) {
		t.Errorf("%s %s: linking a CMS user to a contact through CiviCRM's Create User Record screen did not make Civigate "+
			"forget the remembered credential verdicts, while a UFMatch write through the API does", w.method, w.path)
	}
}

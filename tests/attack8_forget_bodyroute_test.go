package tests

import "testing"

// TestA8ForgetBodyRoutedAdminPage: WordPress takes its public query vars
// (civiwp, q: the CiviCRM plugin registers both) from $_POST as well as
// $_GET (WP::parse_request), so a POST to the front page whose form body
// carries civiwp=CiviCRM&q=civicrm/admin/setting/authx runs CiviCRM's AuthX
// settings page. The README promises that a write through an
// administration page forgets every verdict "in any URL form"; this one
// forgets nothing, so a key or setting changed this way keeps its
// remembered verdict for verdict_ttl. (wp-admin reads page and q from
// $_GET only: not tested here. Unconfirmed against a live WordPress.)
func TestA8ForgetBodyRoutedAdminPage(t *testing.T) {
	sim, u, inst := a8Setup(t)
	key := sim.Admin().APIKey
	form := "application/x-www-form-urlencoded"
	page := "<html><form id=Setting>saved</form></html>"
	for _, w := range []a8Write{
		{"wp civiwp+q in body", "POST", "/", form, "civiwp=CiviCRM&q=civicrm/admin/setting/authx&_qf_Setting_next=Save&authx_xheader_cred[]=pass", 200, page},
		{"wp q in body", "POST", "/?civiwp=CiviCRM", form, "q=civicrm/admin/setting/authx&_qf_Setting_next=Save", 200, page},
	} {
		if !a8Forgets(t, sim, u, inst, key, w) {
			t.Errorf("%s: POST %s with body %q (an admin page write) forgot no verdict", w.name, w.path, w.body)
		}
	}
}

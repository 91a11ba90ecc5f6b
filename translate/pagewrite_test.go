package translate

import (
	"net/url"
	"testing"
)

func TestPageMayWrite(t *testing.T) {
	cfg := RecogniseConfig{WPBasePages: []string{"crm"}}
	cases := []struct {
		method, target string
		want           bool
	}{
		// CiviCRM pages, in every URL form, written to.
		{"POST", "/civicrm/ajax/inline?class_name=CRM_Contact_Form_Inline_ContactName&cid=2", true},
		{"POST", "/site2/civicrm/contact/add?reset=1", true},
		{"POST", "/index.php?q=civicrm/profile/create&gid=1", true},
		{"POST", "/?civiwp=CiviCRM&q=civicrm/mailing/optout", true},
		{"POST", "/wp-admin/admin.php?page=CiviCRM&q=civicrm/contact/add", true},
		{"POST", "/index.php?option=com_civicrm&task=civicrm/profile/create", true},
		{"POST", "/crm/profile/create", true},
		{"PUT", "/civicrm/payment/ipn/1", true},
		{"DELETE", "/CiviCRM/contact/view", true},
		{"POST", "/sites/all/modules/civicrm/extern/ipn.php", true},
		{"POST", "/core/extern/ipn.php", true},
		{"POST", "/core/Extern/authorizeIPN.php", true},
		// What a CMS serves of its own.
		{"POST", "/wp-login.php", false},
		{"POST", "/wp-comments-post.php", false},
		{"POST", "/node/1?destination=comment", false},
		{"POST", "/extern/notes.txt", false},
		// Methods that write nothing.
		{"GET", "/civicrm/contact/view?cid=2", false},
		{"HEAD", "/civicrm/profile/create?gid=1", false},
		{"OPTIONS", "/civicrm/ajax/inline", false},
		{"TRACE", "/civicrm/ajax/inline", false},
		{"GET", "/sites/all/modules/civicrm/extern/ipn.php", false},
		{"GET", "/civicrm/mailing/report/event?event=opened", false},
		{"GET", "/blog/mailing/open-letter", false},
		// Pages that write when fetched.
		{"GET", "/civicrm/mailing/open?qid=12", true},
		{"HEAD", "/civicrm/mailing/url?u=3&qid=12", true},
		{"GET", "/civicrm/mailing/confirm?reset=1&cid=2&sid=3&h=abc", true},
		{"GET", "/index.php?q=civicrm/mailing/open&qid=12", true},
		{"GET", "/index.php?q=civicrm%2Fmailing%2Furl&u=3", true},
		{"GET", "/crm/mailing/open?qid=12", true},
		{"GET", "/sites/all/modules/civicrm/extern/open.php?q=12", true},
		{"GET", "/core/extern/url.php?u=3&qid=12", true},
		{"GET", "/core/extern/URL.php?u=3&qid=12", true},
	}
	for _, tc := range cases {
		u, err := url.Parse(tc.target)
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.PageMayWrite(tc.method, u); got != tc.want {
			t.Errorf("%s %s: %v, want %v", tc.method, tc.target, got, tc.want)
		}
	}
}

// A GET to a page that does not name a tracking route costs a scan and
// allocates nothing.
func TestTrackingPageCost(t *testing.T) {
	cfg := RecogniseConfig{}
	u, _ := url.Parse("/civicrm/contact/view?reset=1&cid=2&selectedChild=activity")
	if n := testing.AllocsPerRun(100, func() { cfg.PageMayWrite("GET", u) }); n != 0 {
		t.Errorf("%v allocations per GET", n)
	}
}

func TestContainsFold(t *testing.T) {
	for _, s := range []string{"", "m", "mailin", "mailing", "MAILING", "xmMaIlInG", "mmailin", "Mailinmailing", "q=civicrm/MaiLing/open", "mamamailing", "M"} {
		if got, want := containsFold(s, "mailing"), indexFold(s, "mailing") >= 0; got != want {
			t.Errorf("containsFold(%q): %v, want %v", s, got, want)
		}
	}
}

func TestPageChangesCredentials(t *testing.T) {
	cfg := RecogniseConfig{WPBasePages: []string{"crm"}}
	for _, tc := range []struct {
		method, target string
		want           bool
	}{
		// Administration, AuthX, API keys, users: in every URL form.
		{"POST", "/civicrm/admin/setting/authx?reset=1", true},
		{"POST", "/site2/CiviCRM/Admin/setting/smtp", true},
		{"POST", "/index.php?q=civicrm/admin/setting/authx", true},
		{"POST", "/?civiwp=CiviCRM&q=civicrm%2Fadmin%2Fuser", true},
		{"POST", "/wp-admin/admin.php?page=CiviCRM&q=civicrm/admin/setting/authx", true},
		{"POST", "/administrator/index.php?option=com_civicrm&task=civicrm/admin/setting/authx", true},
		{"POST", "/crm/admin/setting/authx", true},
		{"POST", "/civicrm/admin", true},
		{"POST", "/civicrm/user/#?User1=3", true},
		{"POST", "/civicrm/contact/view/apiKey?cid=3", true},
		{"POST", "/civicrm/authx/settings", true},
		{"PUT", "/civicrm/admin/user/3", true},
		{"POST", "/index.php?q=civicrm/user&reset=1", true},
		// Pages that merge contacts or link a CMS user to a contact.
		{"POST", "/civicrm/contact/merge?reset=1&cid=3&oid=4&action=update&rgid=1", true},
		{"POST", "/index.php?q=civicrm/contact/merge&reset=1&cid=3&oid=4", true},
		{"POST", "/?civiwp=CiviCRM&q=civicrm%2Fcontact%2Fmerge&cid=3", true},
		{"POST", "/wp-admin/admin.php?page=CiviCRM&q=civicrm/contact/merge&reset=1&cid=3&oid=4", true},
		{"POST", "/administrator/index.php?option=com_civicrm&task=civicrm/contact/merge&cid=3", true},
		{"POST", "/crm/contact/merge?cid=3", true},
		{"POST", "/civicrm/queue/ajax/runNext?qrid=merge-1", true},
		{"POST", "/index.php?q=civicrm/queue/ajax/runNext&qrid=merge-1", true},
		{"POST", "/civicrm/contact/dedupemerge?reset=1&rgid=1&action=map", true},
		{"POST", "/civicrm/contact/view/useradd?reset=1&action=add&cid=14", true},
		{"POST", "/wp-admin/admin.php?page=CiviCRM&q=civicrm/contact/view/useradd&cid=14", true},
		{"POST", "/crm/contact/view/useradd?cid=14", true},
		{"POST", "/civicrm/contact/mergeable-form", false},
		{"POST", "/civicrm/contact/view?cid=14", false},
		{"POST", "/index.php?q=civicrm/contact/view&cid=14", false},
		// Public forms and other pages: frequent, no credential.
		{"POST", "/civicrm/profile/create?gid=1&reset=1", false},
		{"POST", "/civicrm/contribute/transact?reset=1&id=1", false},
		{"POST", "/index.php?q=civicrm/event/register&id=2", false},
		{"POST", "/civicrm/mailing/subscribe", false},
		{"POST", "/civicrm/mailing/optout", false},
		{"POST", "/civicrm/my-petition-form", false},
		{"POST", "/crm/profile/create", false},
		{"POST", "/civicrm/contact/add?reset=1", false},
		{"POST", "/civicrm/ajax/inline?class_name=CRM_Contact_Form_Inline_ContactName&cid=2", false},
		{"POST", "/civicrm/administrative-form", false},
		{"POST", "/wp-admin/admin.php?page=CiviCRM&q=civicrm/contribute/transact", false},
		// Not a page write at all.
		{"GET", "/civicrm/admin/setting/authx", false},
		{"POST", "/wp-admin/options.php", false},
	} {
		u, err := url.Parse(tc.target)
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.PageChangesCredentials(tc.method, u); got != tc.want {
			t.Errorf("%s %s: PageChangesCredentials = %v, want %v", tc.method, tc.target, got, tc.want)
		}
	}
}

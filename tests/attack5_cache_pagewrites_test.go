package tests

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// TestAttack5CachePageWritesDoNotInvalidate: CiviCRM writes contacts, emails,
// group memberships and contributions through pages that are not API
// routes, and Civigate passes them through (it authenticates AuthX
// credentials on every page, then lets the request go on): a contact's
// inline edit and the contact form with an X-Civi-Auth credential, public
// profile forms (civicrm/profile/create creates or updates the contact
// matching the e-mail), the mailing opt-out and unsubscribe pages (set
// is_opt_out, remove group memberships), payment processors' IPN
// (civicrm/payment/ipn, extern/ipn.php: contributions, memberships,
// participants). None of these POSTs invalidates anything, so cached reads
// (Contact.get with is_opt_out, GroupContact, Contribution…) are served
// stale for the whole TTL after a write made through Civigate itself. The
// README says a write through Civigate invalidates what it may change and
// that an action the edge cannot classify invalidates everything ("fails
// safe"); it says nothing of writes through pages. The simulator answers
// these pages with a stand-in (or 403/404); whether the page wrote anything
// does not matter to an invalidation that runs "successful or not".
func TestAttack5CachePageWritesDoNotInvalidate(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
		"site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys(), "auth {\n\t\t\tanonymous\n\t\t}", "cache {\n\t\t\tttl 1h\n\t\t}"))
	admin := sim.Admin()
	read := inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&id=2&return=display_name,is_opt_out&key=" +
		sim.SiteKey() + "&api_key=" + admin.APIKey
	cred := http.Header{"X-Civi-Auth": {"Bearer " + admin.APIKey}, "X-Civi-Key": {sim.SiteKey()}}
	writes := []struct {
		name, path, form string
		h                http.Header
	}{
		{"credentialed inline edit", "/civicrm/ajax/inline?class_name=CRM_Contact_Form_Inline_ContactName&cid=2", "first_name=Changed", cred},
		{"credentialed contact form", "/civicrm/contact/add?reset=1&action=update&cid=2", "first_name=Changed&_qf_Contact_upload_view=1", cred},
		{"public profile form", "/civicrm/profile/create?gid=1&reset=1", "first_name=Changed&email-Primary=admin@example.org", nil},
		{"mailing opt-out", "/civicrm/mailing/optout?jid=1&qid=1&h=0123456789abcdef", "_qf_Optout_next=1", nil},
		{"payment processor IPN", "/civicrm/payment/ipn/1", "txn_type=subscr_payment&payment_status=Completed", nil},
		{"legacy extern/ipn.php", "/sites/all/modules/civicrm/extern/ipn.php", "txn_type=subscr_payment&payment_status=Completed", nil},
	}
	for _, w := range writes {
		for i := 0; i < 2; i++ {
			if st, cs, b := a5Do(t, "GET", read, "", nil); st != 200 || !strings.Contains(b, `"is_error":0`) {
				t.Fatalf("admin's read: %d %s %s", st, cs, b)
			}
		}
		if _, cs, _ := a5Do(t, "GET", read, "", nil); !strings.Contains(cs, "hit") {
			t.Fatalf("admin's read is not cached (%s)", cs)
		}
		st, _, _ := a5Do(t, "POST", inst.URL+w.path, w.form, w.h)
		if _, cs, _ := a5Do(t, "GET", read, "", nil); strings.Contains(cs, "hit") {
			t.Errorf("%s (POST %s → %d): the cached Contact.get is still served (%s): a write through a CiviCRM page passed on by Civigate invalidates nothing",
				w.name, w.path, st, cs)
		}
	}
}

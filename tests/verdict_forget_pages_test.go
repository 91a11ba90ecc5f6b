package tests

import (
	"encoding/base64"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// A POST to a public CiviCRM form through Civigate (a profile, a
// contribution page, an event registration, a mailing subscription, in
// any URL form) is frequent and changes no key: it forgets no remembered
// verdict on one. It may save a contact's primary e-mail, which renames
// its CMS user (CRM_Core_BAO_UFMatch::updateUFName), so it forgets the
// verdicts on passwords (Basic credentials), within a second. A POST to an
// administration page (AuthX's settings) forgets every verdict, unless
// the site refuses it (403).
func TestPublicPageWritesForgetNoVerdict(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{AllowPassword: true})
	c := &a7Counter{sim: sim}
	var refuse atomic.Bool
	pages := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && !strings.HasPrefix(r.URL.Path, "/civicrm/ajax/") && !strings.HasPrefix(r.URL.Path, "/civicrm/authx/") {
			if refuse.Load() {
				http.Error(w, "You do not have permission to access this page.", http.StatusForbidden)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=UTF-8")
			_, _ = w.Write([]byte("<html><body>Thank you.</body></html>"))
			return
		}
		c.ServeHTTP(w, r)
	})
	inst := startCaddy(t, siteCaddyfile(newA7Server(t, pages), "site_key "+sim.SiteKey()))
	ada := sim.User("ada")
	asked := func() int {
		t.Helper()
		before := c.count(ada.APIKey)
		if st, body := a7Req(t, "GET", inst.URL+"/civicrm/ajax/rest?entity=Contact&action=getcount&json=1",
			map[string]string{"X-Civi-Auth": "Bearer " + ada.APIKey}, ""); st != 200 {
			t.Fatalf("ada: %d %s", st, body)
		}
		return c.count(ada.APIKey) - before
	}
	if n := asked(); n != 1 {
		t.Fatalf("first use asked %d times, want 1", n)
	}
	grace := sim.User("grace")
	basic := base64.StdEncoding.EncodeToString([]byte(grace.Name + ":" + grace.Password))
	askedBasic := func() int {
		t.Helper()
		before := c.count(basic)
		if st, body := a7Req(t, "GET", inst.URL+"/civicrm/ajax/rest?entity=Contact&action=getcount&json=1",
			map[string]string{"X-Civi-Auth": "Basic " + basic, "X-Civi-Key": sim.SiteKey()}, ""); st != 200 {
			t.Fatalf("grace's password: %d %s", st, body)
		}
		return c.count(basic) - before
	}
	if n := askedBasic(); n != 1 {
		t.Fatalf("first use of a password asked %d times, want 1", n)
	}
	for _, p := range []string{
		"/civicrm/profile/create?gid=1&reset=1",
		"/civicrm/contribute/transact?reset=1&id=1",
		"/index.php?q=civicrm/event/register&id=2",
		"/civicrm/mailing/subscribe",
		"/wp-admin/admin.php?page=CiviCRM&q=civicrm/contribute/transact",
	} {
		if st, body := a7Req(t, "POST", inst.URL+p, nil, "first_name=A&email-Primary=a%40example.org"); st != 200 {
			t.Fatalf("POST %s: %d %.200s", p, st, body)
		}
		if n := asked(); n != 0 {
			t.Errorf("after a POST to the public form %s, ada's key was asked about again (%d): its verdict was forgotten", p, n)
		}
	}
	// The route in the form body (WordPress reads civiwp and q from
	// $_POST): a public form still, and so is no route at all.
	for _, b := range []string{
		"civiwp=CiviCRM&q=civicrm/profile/create&gid=1&first_name=A",
		"name=A&message=" + strings.Repeat("x", 100<<10),
	} {
		if st, body := a7Req(t, "POST", inst.URL+"/", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, b); st != 200 {
			t.Fatalf("POST / %.60s: %d %.200s", b, st, body)
		}
		if n := asked(); n != 0 {
			t.Errorf("after a POST to / with body %.60q, ada's key was asked about again (%d): its verdict was forgotten", b, n)
		}
	}
	for deadline := time.Now().Add(3 * time.Second); askedBasic() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("after POSTs to public forms, which may rename a CMS user, grace's password was never asked about again")
		}
	}
	refuse.Store(true)
	if st, _ := a7Req(t, "POST", inst.URL+"/civicrm/admin/setting/authx?reset=1", nil, "authx_xheader_cred%5B%5D=jwt"); st != 403 {
		t.Fatalf("refused admin page POST: %d", st)
	}
	if n := asked(); n != 0 {
		t.Errorf("after an administration page the site refused (403), ada's key was asked about again (%d)", n)
	}
	refuse.Store(false)
	if st, _ := a7Req(t, "POST", inst.URL+"/civicrm/admin/setting/authx?reset=1", nil, "authx_xheader_cred%5B%5D=jwt"); st != 200 {
		t.Fatalf("admin page POST: %d", st)
	}
	if n := asked(); n != 1 {
		t.Errorf("after a POST to AuthX's settings page, ada's key was asked about %d times, want once (its verdict forgotten)", n)
	}
}

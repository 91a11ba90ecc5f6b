package tests

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// a5Do sends one request and returns its status, Cache-Status and body.
func a5Do(t *testing.T, method, u, form string, h http.Header) (int, string, string) {
	t.Helper()
	var body io.Reader
	if form != "" {
		body = strings.NewReader(form)
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Cache-Status"), string(b)
}

// TestAttack5CacheACLWritesDoNotInvalidate: what a user may see of contacts
// is decided by CiviCRM's ACLs (ACL, ACLEntityRole), by smart groups'
// criteria (SavedSearch), by which CMS user a contact is (UFMatch) and, on
// Standalone, by the user's roles and their permissions (User, Role,
// UserRole). A write to any of these changes the answers of Contact reads
// (and every other ACL-filtered read) of the users concerned, yet Civigate
// treats them as plain CRUD of an entity of their own: the ACL-limited
// user's cached Contact.get (APIv3 and APIv4) stays a hit after the admin
// revokes the ACL, so a revoked user keeps reading contacts it may no
// longer see for the whole TTL. The README promises that a write
// (successful or not) invalidates the reads it may change, and that any
// write that may change other entities' answers invalidates everything
// (custom fields, option values, settings… do; Group and GroupContact do).
// The simulator does not implement these entities; the invalidation does
// not depend on the write's success, so the test reads only Cache-Status.
func TestAttack5CacheACLWritesDoNotInvalidate(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
		"site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys(), "cache {\n\t\t\tttl 1h\n\t\t}"))
	ada, _ := sim.ACLUsers()
	admin := sim.Admin()
	v3Read := inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&return=display_name&key=" +
		sim.SiteKey() + "&api_key=" + ada.APIKey
	v4Read := inst.URL + "/civicrm/ajax/api4/Contact/get?params=" + url.QueryEscape(`{"select":["id","display_name"]}`)
	adaH := http.Header{"X-Civi-Auth": {"Bearer " + ada.APIKey}}
	adminH := http.Header{"X-Civi-Auth": {"Bearer " + admin.APIKey}, "X-Civi-Key": {sim.SiteKey()}}

	writes := []struct{ name, method, url, form string }{
		{"APIv3 Acl.delete", "POST", inst.URL + "/civicrm/ajax/rest", "entity=Acl&action=delete&json=" + url.QueryEscape(`{"id":1}`)},
		{"APIv3 AclRole.create", "POST", inst.URL + "/civicrm/ajax/rest", "entity=AclRole&action=create&json=" + url.QueryEscape(`{"id":1,"is_active":0}`)},
		{"APIv3 UFMatch.delete", "POST", inst.URL + "/civicrm/ajax/rest", "entity=UFMatch&action=delete&json=" + url.QueryEscape(`{"id":2}`)},
		{"APIv3 SavedSearch.create", "POST", inst.URL + "/civicrm/ajax/rest", "entity=SavedSearch&action=create&json=" + url.QueryEscape(`{"id":1,"form_values":{}}`)},
		{"APIv4 ACL.delete", "POST", inst.URL + "/civicrm/ajax/api4/ACL/delete", "params=" + url.QueryEscape(`{"where":[["id","=",1]]}`)},
		{"APIv4 ACLEntityRole.delete", "POST", inst.URL + "/civicrm/ajax/api4/ACLEntityRole/delete", "params=" + url.QueryEscape(`{"where":[["entity_id","=",2]]}`)},
		{"APIv4 UFMatch.update", "POST", inst.URL + "/civicrm/ajax/api4/UFMatch/update", "params=" + url.QueryEscape(`{"where":[["uf_id","=",2]],"values":{"contact_id":5}}`)},
		{"APIv4 SavedSearch.update", "POST", inst.URL + "/civicrm/ajax/api4/SavedSearch/update", "params=" + url.QueryEscape(`{"where":[["id","=",1]],"values":{"api_params":{}}}`)},
		{"APIv4 Role.update", "POST", inst.URL + "/civicrm/ajax/api4/Role/update", "params=" + url.QueryEscape(`{"where":[["id","=",2]],"values":{"permissions":[]}}`)},
		{"APIv4 UserRole.delete", "POST", inst.URL + "/civicrm/ajax/api4/UserRole/delete", "params=" + url.QueryEscape(`{"where":[["user_id","=",2]]}`)},
		{"APIv4 User.update", "POST", inst.URL + "/civicrm/ajax/api4/User/update", "params=" + url.QueryEscape(`{"where":[["id","=",2]],"values":{"roles":[]}}`)},
	}
	for _, w := range writes {
		// Fill (or refresh) ada's entries.
		for i := 0; i < 2; i++ {
			if st, cs, b := a5Do(t, "GET", v3Read, "", nil); st != 200 || !strings.Contains(b, `"is_error":0`) {
				t.Fatalf("ada's APIv3 read: %d %s %s", st, cs, b)
			}
			if st, cs, b := a5Do(t, "GET", v4Read, "", adaH); st != 200 {
				t.Fatalf("ada's APIv4 read: %d %s %s", st, cs, b)
			}
		}
		if _, cs, _ := a5Do(t, "GET", v3Read, "", nil); !strings.Contains(cs, "hit") {
			t.Fatalf("ada's APIv3 read is not cached (%s)", cs)
		}
		// The admin's write that revokes (or changes) what ada may see.
		st, cs, b := a5Do(t, w.method, w.url, w.form, adminH)
		if !strings.Contains(cs, "bypass") {
			t.Fatalf("%s: not seen as a write: %d %s %.200s", w.name, st, cs, b)
		}
		if _, cs, _ := a5Do(t, "GET", v3Read, "", nil); strings.Contains(cs, "hit") {
			t.Errorf("%s: ada's APIv3 Contact.get is still served from the cache (%s): an ACL/permission write does not invalidate the reads it changes", w.name, cs)
		}
		if _, cs, _ := a5Do(t, "GET", v4Read, "", adaH); strings.Contains(cs, "hit") {
			t.Errorf("%s: ada's APIv4 Contact.get is still served from the cache (%s): an ACL/permission write does not invalidate the reads it changes", w.name, cs)
		}
	}
}

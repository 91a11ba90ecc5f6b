package tests

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// TestAttack5CacheSharedGetFieldsIsPerUser: the README offers `*.getfields`
// as its example of `shared` ("reads identical for every caller"), but
// getFields is not identical for every caller: APIv4 leaves out the custom
// fields a user may not access ("access all custom data", custom group
// ACLs), and the option lists and field metadata it returns are the ones
// the caller may see. With the README's own example configured, the first
// caller's answer is served to everyone: the limited user (and an
// anonymous caller) gets the admin's list, custom fields included, instead
// of its own.
func TestAttack5CacheSharedGetFieldsIsPerUser(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{Fixture: civicrmsim.FixtureAPI4})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
		"site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys(), "cache {\n\t\t\tttl 1h\n\t\t\tshared *.getfields\n\t\t}"))
	admin := http.Header{"X-Civi-Auth": {"Bearer " + sim.Admin().APIKey}, "X-Civi-Key": {sim.SiteKey()}}
	limited := http.Header{"X-Civi-Auth": {"Bearer " + sim.User("limited").APIKey}, "X-Civi-Key": {sim.SiteKey()}}
	path := "/civicrm/ajax/api4/Contact/getFields?params=" + url.QueryEscape(`{"select":["name"]}`)
	count := func(body string) int {
		var v struct{ Count int }
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatalf("answer %.200s: %v", body, err)
		}
		return v.Count
	}
	_, _, direct := a5Do(t, "GET", srv.URL+path, "", limited)
	want := count(direct)
	_, _, adminBody := a5Do(t, "GET", inst.URL+path, "", admin)
	if count(adminBody) == want {
		t.Fatalf("the simulator answers both users alike (%d fields): nothing to show", want)
	}
	_, cs, got := a5Do(t, "GET", inst.URL+path, "", limited)
	if count(got) != want {
		t.Errorf("limited user's Contact.getFields with `shared *.getfields` (the README's example): %d fields (%s), CiviCRM gives it %d: "+
			"the admin's field list (custom fields it may not access) is served to another user", count(got), cs, want)
	}
}

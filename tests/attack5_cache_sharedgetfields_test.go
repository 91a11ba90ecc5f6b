package tests

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// TestAttack5CacheSharedGetFieldsIsPerUser: the README offered `*.getfields`
// as its example of `shared` ("reads identical for every caller"), but
// getFields is not identical for every caller: APIv4 leaves out the custom
// fields a user may not access ("access all custom data", custom group
// ACLs), and the option lists and field metadata it returns are the ones
// the caller may see. With that configured, the first caller's answer was
// served to everyone: the limited user (and an anonymous caller) got the
// admin's list, custom fields included, instead of its own.
//
// Rewritten from the attacker's version (which configured `shared
// *.getfields` and expected the limited user to get its own list): such a
// configuration is now refused, so Caddy does not start, and the error
// names the pattern and says why. So is any pattern that matches
// getoptions, getActions or getLinks, named or through an action wildcard.
// The attack itself stays covered: TestAPI4CacheThroughCaddy checks that
// getFields gets an entry per caller.
func TestAttack5CacheSharedGetFieldsIsPerUser(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{Fixture: civicrmsim.FixtureAPI4})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	for _, pattern := range []string{
		"*.getfields", "Contact.getFields", "contact.GETFIELDS", "*.getoptions", "Contact.getOptions",
		"*.getActions", "Contact.getactions", "*.getLinks", "Contact", "Contact.*", "*.*",
	} {
		cf := siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
			"site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys(), "cache {\n\t\t\tttl 1h\n\t\t\tshared Email.getunique "+pattern+"\n\t\t}")
		cf = strings.NewReplacer("{PORT}", fmt.Sprint(freePort(t)), "{ADMIN}", fmt.Sprint(freePort(t))).Replace(cf)
		cfgJSON, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cf), map[string]any{"filename": "Caddyfile"})
		if err != nil {
			t.Fatalf("adapt Caddyfile: %v\n%s", err, cf)
		}
		err = caddy.Load(cfgJSON, true)
		if err == nil {
			_ = caddy.Stop()
			t.Errorf("shared %s: Caddy started; a shared pattern that matches a caller-dependent read must be refused", pattern)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, `shared "`+pattern+`"`) || !strings.Contains(msg, "permissions") {
			t.Errorf("shared %s: the error does not name the pattern and why: %v", pattern, err)
		}
	}
}

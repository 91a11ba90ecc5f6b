package tests

// Attack 7 (site key required): a site_key that is a placeholder Caddy
// does not resolve at provisioning is taken as its literal text. The site
// key is now required, and a placeholder that resolves to nothing
// ({env.CIVICRM_SITE_KEY} of an unset variable) is refused at start; but a
// slip in the placeholder's spelling ({env:CIVICRM_SITE_KEY},
// {ENV.CIVICRM_SITE_KEY}, a missing closing brace) or a request-time one
// ({http.request.header.X-Key}) starts Caddy with the site key being the
// placeholder's own text. Whoever holds any API key then passes the
// site-key check of every legacy call by sending that text as key= (the
// text of a documented configuration line, no secret), while the real site
// key is refused; with forward_jwt (or any call the edge answers) CiviCRM
// never sees a site key to refuse. Expected: Caddy refuses to start, as for
// an empty site key (the error naming the setting, not the value); it does
// (resolveSecret in caddymodule).

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"

	"github.com/civigate/civigate/tests/civicrmsim"
)

func TestAttack7SiteKeyUnresolvedPlaceholderRefused(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	t.Setenv("CIVICRM_SITE_KEY", sim.SiteKey())
	up := newA7Server(t, sim)
	ada := sim.User("ada")
	for _, sk := range []string{"{env:CIVICRM_SITE_KEY}", "{ENV.CIVICRM_SITE_KEY}", "{env.CIVICRM_SITE_KEY", "{http.request.header.X-Civi-Key}"} {
		t.Run(sk, func(t *testing.T) {
			port, admin := freePort(t), freePort(t)
			cf := strings.NewReplacer("{PORT}", fmt.Sprint(port), "{ADMIN}", fmt.Sprint(admin)).Replace(
				siteCaddyfile(up, "site_key "+sk, "sign_keys \""+sim.SignKeys()+"\"", "auth {", "forward_jwt", "}"))
			cfgJSON, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cf), map[string]any{"filename": "Caddyfile"})
			if err != nil {
				t.Fatalf("the adapter refused the Caddyfile (expected: provisioning to refuse the site key): %v", err)
			}
			if err := caddy.Load(cfgJSON, true); err != nil {
				t.Logf("refused: %v", err)
				if !strings.Contains(err.Error(), "site_key") {
					t.Errorf("refused, but the error does not name site_key: %v", err)
				}
				if strings.Contains(err.Error(), sim.SiteKey()) {
					t.Errorf("the error shows the site key: %v", err)
				}
				return
			}
			defer func() { _ = caddy.Stop() }()
			base := fmt.Sprintf("http://127.0.0.1:%d", port)
			waitHTTP(t, base)
			call := func(key string) (int, string) {
				return a7Req(t, "GET", base+"/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=getcount&json=1&key="+
					url.QueryEscape(key)+"&api_key="+ada.APIKey, nil, "")
			}
			_, real := call(sim.SiteKey())
			st, lit := call(sk)
			t.Errorf("site_key %s started Caddy; the real site key gets %.80s, the placeholder's text as key= gets %d %.80s (expected: refused at provisioning, as an empty site key is)", sk, real, st, lit)
		})
	}
}

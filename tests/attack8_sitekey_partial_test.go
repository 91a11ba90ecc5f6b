package tests

import (
	"os"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/civigate/civigate/tests/civicrmsim"
)

// TestA8SiteKeyPartialPlaceholder: the README says Caddy refuses to start
// when site_key's placeholder cannot be resolved, or when {env.X} is of an
// unset variable. An unset variable beside literal text resolves to ""
// silently (site_key abc{env.UNSET}defghijk starts with the guessable
// "abcdefghijk"), and {time.now.unix} starts with the start time as site
// key (ten guessable digits). Both should stop Caddy like {env.UNSET} alone.
func TestA8SiteKeyPartialPlaceholder(t *testing.T) {
	os.Unsetenv("A8_UNSET_PART")
	sim := civicrmsim.New(civicrmsim.Options{})
	up := newA7Server(t, sim)
	for _, sk := range []string{"abc{env.A8_UNSET_PART}defghijk", "{time.now.unix}"} {
		cf := strings.NewReplacer("{PORT}", itoa(freePort(t)), "{ADMIN}", itoa(freePort(t))).Replace(siteCaddyfile(up, "site_key "+sk))
		cfgJSON, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cf), map[string]any{"filename": "Caddyfile"})
		if err != nil {
			continue
		}
		if err := caddy.Load(cfgJSON, true); err == nil {
			caddy.Stop()
			t.Errorf("site_key %s: Caddy started (a placeholder resolved to a guessable or partial key)", sk)
		}
	}
}

package tests

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// TestAttack6NoEdgeSiteKeyChecksNoSiteKey: `site_key` is optional (README:
// "checked at the edge in constant time when `site_key` is set"), and
// Caddyfile.example sets it from {env.CIVICRM_SITE_KEY}, which may be
// unset. README's auth section still says "A missing one is refused on the
// legacy forms", a wrong one "is refused wherever the client sends it", and
// `site_key_modern require` "refuses" a modern caller without it. Without
// `site_key`, Civigate checks no site key and does not have CiviCRM check it
// either (civicrm/authx/id is asked without X-Civi-Key, and the call goes on
// as an AuthX call, where a contact with "authenticate with api key" passes
// AuthX's site_key-OR-perm guard):
//   - extern/rest.php?api_key=<admin's key>&key=wrong (or no key) returns
//     the admin's contacts, where extern/rest.php answers "Failed to
//     authenticate key";
//   - with `site_key_modern require`, X-Civi-Auth with a wrong X-Civi-Key
//     or none is served;
//   - and the other way round, a caller whose contact lacks that permission
//     and who sends the right site key (grace, X-Civi-Key) is refused with
//     403 "Cannot login. No matching user is available.", where CiviCRM
//     serves it: the credential is only ever asked about without its site
//     key.
//
// Expected: either the configuration is refused when it loads, or the site
// key is checked (by CiviCRM, since the edge does not know it) as README
// describes. Civigate refuses it: a civicrm handler whose site key is empty
// once resolved does not provision, so Caddy does not start, with an error
// that names site_key (and the variable it reads). The test asserts that
// refusal; should such a configuration load again, it still reports what
// it serves.
func TestAttack6NoEdgeSiteKeyChecksNoSiteKey(t *testing.T) {
	const admKey, graceKey = "atk6admkey0123456789", "atk6gracekey0123456789"
	sim := civicrmsim.New(civicrmsim.Options{APIKeys: map[string]string{"admin": admKey, "grace": graceKey}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	sk := sim.SiteKey()
	legacy := "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&api_key=" + admKey
	ajax := "/civicrm/ajax/rest?entity=Contact&action=get&json=1"

	for _, cfg := range []struct {
		name  string
		lines []string
		want  []string // what the refusal names
	}{
		{"no site_key", []string{"sign_keys " + sim.SignKeys(), "auth {", "\tsite_key_modern require", "}"},
			[]string{"site_key is missing", "CIVICRM_SITE_KEY"}},
		{"site_key from an unset variable", []string{"site_key {env.ATK6_UNSET_CIVICRM_SITE_KEY}", "sign_keys " + sim.SignKeys(), "auth {", "\tsite_key_modern require", "}"},
			[]string{"site_key is empty", "is ATK6_UNSET_CIVICRM_SITE_KEY set?"}},
	} {
		t.Run(cfg.name, func(t *testing.T) {
			port, admin := freePort(t), freePort(t)
			cf := strings.NewReplacer("{PORT}", fmt.Sprint(port), "{ADMIN}", fmt.Sprint(admin)).
				Replace(siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), cfg.lines...))
			cfgJSON, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cf), map[string]any{"filename": "Caddyfile"})
			if err == nil {
				err = caddy.Load(cfgJSON, true)
			}
			if err != nil {
				for _, w := range cfg.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("refused with %q, want it to name %q", err, w)
					}
				}
				return
			}
			defer caddyStopNow(t)
			t.Errorf("the configuration loaded (Caddy started); want it refused with an error naming site_key")
			base := fmt.Sprintf("http://127.0.0.1:%d", port)
			waitHTTP(t, base)

			get := func(path string, hdr ...string) (int, string) {
				req, _ := http.NewRequest("GET", base+path, nil)
				for i := 0; i+1 < len(hdr); i += 2 {
					req.Header.Set(hdr[i], hdr[i+1])
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			for _, c := range []struct {
				name string
				path string
				hdr  []string
			}{
				{"extern/rest.php, wrong site key", legacy + "&key=wrong", nil},
				{"extern/rest.php, no site key", legacy, nil},
				{"ajax/rest, site_key_modern require, wrong X-Civi-Key", ajax, []string{"X-Civi-Auth", "Bearer " + admKey, "X-Civi-Key", "wrong"}},
				{"ajax/rest, site_key_modern require, no site key", ajax, []string{"X-Civi-Auth", "Bearer " + admKey}},
			} {
				if st, body := get(c.path, c.hdr...); strings.Contains(body, `"is_error":0`) {
					t.Errorf("%s: served (%d %.100s), want a site key refusal", c.name, st, body)
				}
			}
			if st, body := get(ajax, "X-Civi-Auth", "Bearer "+graceKey, "X-Civi-Key", sk); st != 200 || !strings.Contains(body, `"is_error":0`) {
				t.Errorf("grace with the right site key: %d %.120s, want 200 as CiviCRM answers", st, body)
			}
		})
	}
}

// Caddyfile.example as shipped, with CIVICRM_SITE_KEY unset or empty (and
// everything else set), does not start: the error names site_key and the
// variable to set. With the variable set, the same file starts (see
// startExample's users, e.g. TestLogsNeverContainCredentials).
func TestExampleWithoutSiteKeyIsRefused(t *testing.T) {
	example, err := os.ReadFile("../Caddyfile.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, unset := range []bool{true, false} {
		name := map[bool]string{true: "unset", false: "empty"}[unset]
		t.Run(name, func(t *testing.T) {
			port, admin := freePort(t), freePort(t)
			t.Setenv("CIVICRM_UPSTREAM", "127.0.0.1:1")
			t.Setenv("CIVICRM_SITE_KEY", "")
			if unset {
				os.Unsetenv("CIVICRM_SITE_KEY") // t.Setenv restores it
			}
			t.Setenv("CIVICRM_SIGN_KEYS", "")
			t.Setenv("REDIS_URL", "")
			t.Setenv("CIVIGATE_ACCESS_LOG", "discard")
			cf := strings.NewReplacer("{$CIVIGATE_LISTEN::8080}", fmt.Sprintf("127.0.0.1:%d", port), "{$CIVIGATE_PORT:8080}", fmt.Sprint(port),
				"{$CIVIGATE_ADMIN:localhost:2019}", fmt.Sprintf("127.0.0.1:%d", admin)).Replace(string(example))
			cfgJSON, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cf), map[string]any{"filename": "Caddyfile"})
			if err != nil {
				t.Fatalf("adapt: %v", err)
			}
			if err := caddy.Load(cfgJSON, true); err == nil {
				caddyStopNow(t)
				t.Fatal("Caddyfile.example started without a site key")
			} else if want := "site_key is empty (is CIVICRM_SITE_KEY set?)"; !strings.Contains(err.Error(), want) {
				t.Errorf("refused with %q, want it to say %q", err, want)
			}
		})
	}
}

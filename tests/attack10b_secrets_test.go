package tests

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// a10bLogSite starts Civigate with the global log at DEBUG and the site's
// access log, both written to files through the civicrm_credentials filter
// as Caddyfile.example configures them, plus metrics.
func a10bLogSite(t *testing.T, sim *civicrmsim.Simulator, upstream string, civicrmLines ...string) (caddyInstance, string, string) {
	t.Helper()
	dir := t.TempDir()
	global, access := filepath.Join(dir, "global.log"), filepath.Join(dir, "access.log")
	var b strings.Builder
	fmt.Fprintf(&b, "{\n\tadmin 127.0.0.1:{ADMIN}\n\tlog {\n\t\toutput file %s\n\t\tlevel DEBUG\n\t\tformat filter {\n\t\t\trequest>uri civicrm_credentials\n\t\t\trequest>headers civicrm_credentials\n\t\t}\n\t}\n\tmetrics\n}\n", global)
	t.Setenv("A10_SITE_KEY", sim.SiteKey())
	t.Setenv("A10_SIGN_KEYS", sim.SignKeys())
	b.WriteString("http://:{PORT} {\n\tcivicrm {\n\t\tsite_key {env.A10_SITE_KEY}\n\t\tsign_keys {env.A10_SIGN_KEYS}\n")
	for _, l := range civicrmLines {
		b.WriteString("\t\t" + l + "\n")
	}
	fmt.Fprintf(&b, "\t}\n\tlog {\n\t\toutput file %s\n\t\tformat filter {\n\t\t\trequest>uri civicrm_credentials\n\t\t\trequest>headers civicrm_credentials\n\t\t}\n\t}\n\treverse_proxy %s\n}\n", access, upstream)
	return startCaddy(t, b.String()), global, access
}

func a10bScan(t *testing.T, where, text string, secrets map[string]string) []string {
	var found []string
	for name, s := range secrets {
		for _, form := range []string{s, url.QueryEscape(s), strings.ToLower(s), strings.ToUpper(s)} {
			if i := strings.Index(text, form); i >= 0 {
				lo, hi := max(0, i-300), min(len(text), i+len(form)+100)
				found = append(found, fmt.Sprintf("%s: %s found: ...%s...", where, name, text[lo:hi]))
				break
			}
		}
	}
	return found
}

// TestA10APIKeyInJSONParametersNotLogged: an API key is also data: a
// lookup of the contact a key belongs to (APIv3 Contact.get with json=
// {"api_key": …}, APIv4 Contact.get where api_key = …, how SSO bridges and
// key-rotation scripts find a key's contact) carries a live credential in
// the query string, inside json= or params=. Caddy's access log records the
// request URI; the civicrm_credentials filter redacts parameters PHP reads
// as key/api_key/_authx but not the same credential one level down, so the
// API key is written to the log in clear (and, the call being a GET,
// goes on to CiviCRM in the URL of the upstream request, which
// reverse_proxy logs at debug level and CiviCRM's web server logs).
func TestA10APIKeyInJSONParametersNotLogged(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	u := &a10bUp{sim: sim}
	up := httptest.NewServer(u)
	t.Cleanup(up.Close)
	inst, global, access := a10bLogSite(t, sim, strings.TrimPrefix(up.URL, "http://"))
	admin, other := sim.Admin(), sim.User("ada")
	sk := sim.SiteKey()
	hdr := map[string]string{"X-Civi-Auth": "Bearer " + admin.APIKey, "X-Civi-Key": sk}
	for _, r := range []struct {
		path string
		hdr  map[string]string
	}{
		{"/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=" + url.QueryEscape(`{"api_key":"`+other.APIKey+`","return":"id"}`) + "&key=" + sk + "&api_key=" + admin.APIKey, nil},
		{"/civicrm/ajax/rest?entity=Contact&action=get&json=" + url.QueryEscape(`{"api_key":"`+other.APIKey+`","return":"id"}`), hdr},
		{"/civicrm/ajax/api4/Contact/get?params=" + url.QueryEscape(`{"select":["id"],"where":[["api_key","=","`+other.APIKey+`"]]}`), hdr},
	} {
		res := a10bDo(t, "GET", inst.URL+r.path, r.hdr, "")
		if res.status != 200 {
			t.Fatalf("precondition: GET %.80s answered %d %s", r.path, res.status, res.body)
		}
	}
	caddyStopNow(t)
	secrets := map[string]string{"the looked-up contact's API key": other.APIKey, "the caller's API key": admin.APIKey, "the site key": sk}
	for _, f := range []string{global, access} {
		b, _ := os.ReadFile(f)
		for _, found := range a10bScan(t, filepath.Base(f), string(b), secrets) {
			t.Errorf("%s\n(with the civicrm_credentials filter on request>uri, as Caddyfile.example configures it)", found)
		}
	}
}

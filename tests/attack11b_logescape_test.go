package tests

// The civicrm_credentials log filter redacts a query that names api_key as
// data (README: "APIv3 json={"api_key":…}, APIv4 params with where api_key
// = …; found once percent-decoded, in any letter case"). json_decode reads
// "api\u005fkey" (or "\u0061pi_key") as api_key, and Civigate itself does:
// the call it sends CiviCRM names api_key. The filter looks for the bytes
// api_key only, so the looked-up key is written to the access log in clear.

import (
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

func TestA11bLogFilterJSONEscapedAPIKey(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	up := httptest.NewServer(sim)
	t.Cleanup(up.Close)
	logf := filepath.Join(t.TempDir(), "access.log")
	// The README's configuration: the filter on request>uri and
	// request>headers of the site's access log.
	cf := testGlobalOptions + "http://:{PORT} {\n\tcivicrm {\n\t\tsite_key " + sim.SiteKey() + "\n\t}\n" +
		"\tlog {\n\t\toutput file " + logf + "\n\t\tformat filter {\n\t\t\trequest>uri civicrm_credentials\n\t\t\trequest>headers civicrm_credentials\n\t\t}\n\t}\n" +
		"\treverse_proxy " + strings.TrimPrefix(up.URL, "http://") + "\n}\n"
	inst := startCaddy(t, cf)
	hdr := map[string]string{"X-Civi-Auth": "Bearer " + sim.Admin().APIKey, "X-Civi-Key": sim.SiteKey(), "X-Requested-With": "XMLHttpRequest"}
	looked := []struct{ name, secret, pathQuery string }{
		{`APIv3 json api\u005fkey`, "LOOKEDUPKEYa11b0001", "/civicrm/ajax/rest?entity=Contact&action=get&json=" + url.QueryEscape(`{"api\u005fkey":"LOOKEDUPKEYa11b0001"}`)},
		{`APIv3 json \u0061pi_key`, "LOOKEDUPKEYa11b0002", "/civicrm/ajax/rest?entity=Contact&action=get&json=" + url.QueryEscape(`{"\u0061pi_key":"LOOKEDUPKEYa11b0002"}`)},
		{`APIv4 where api\u005fkey =`, "LOOKEDUPKEYa11b0003", "/civicrm/ajax/api4/Contact/get?params=" + url.QueryEscape(`{"select":["id"],"where":[["api\u005fkey","=","LOOKEDUPKEYa11b0003"]]}`)},
		{`APIv4 where api_k\u0065y =`, "LOOKEDUPKEYa11b0004", "/civicrm/ajax/api4/Contact/get?params=" + url.QueryEscape(`{"select":["id"],"where":[["api_k\u0065y","=","LOOKEDUPKEYa11b0004"]]}`)},
	}
	for _, c := range looked {
		resp, body := fidDo(t, "GET", inst.URL+c.pathQuery, hdr, "")
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", c.name, resp.StatusCode, body)
		}
	}
	caddyStopNow(t)
	b, err := os.ReadFile(logf)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range looked {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, c.secret) {
				t.Errorf("%s: the access log, filtered by civicrm_credentials as the README configures it, holds the API key looked up as data (%s), which json_decode and Civigate read as api_key: %.300s", c.name, c.secret, line)
			}
		}
	}
}

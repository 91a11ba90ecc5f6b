package tests

// A GET that looks a contact up by its API key (APIv3 json={"api_key":…},
// APIv4 where api_key = …) goes upstream as a GET with the key in the URL,
// so CiviCRM's web server logs it in its request line, as it logs every
// URL. The README's security model: "credentials never travel in a URL or
// body upstream (except on AuthX's own routes)", and it moves the
// credentials the log filter finds in a Referer out of the request for
// exactly that reason ("CiviCRM's web server logs the Referer too"). The
// value is an API key whichever contact it belongs to; a read can go
// upstream as a POST (its parameters in the body) as any write does.

import (
	"net/url"
	"strings"
	"testing"
)

func TestA11bAPIKeyDataNotInUpstreamURL(t *testing.T) {
	sim, rec, inst := a9Setup(t, "default allow")
	calls := []struct{ name, secret, pathQuery string }{
		{"APIv3 json api_key", "LOOKEDUPKEYa11bU1", "/civicrm/ajax/rest?entity=Contact&action=get&json=" + url.QueryEscape(`{"api_key":"LOOKEDUPKEYa11bU1"}`)},
		{"APIv3 getvalue api_key", "LOOKEDUPKEYa11bU2", "/civicrm/ajax/rest?entity=Contact&action=getvalue&json=" + url.QueryEscape(`{"return":"id","api_key":"LOOKEDUPKEYa11bU2"}`)},
		{"APIv4 where api_key =", "LOOKEDUPKEYa11bU3", "/civicrm/ajax/api4/Contact/get?params=" + url.QueryEscape(`{"select":["id"],"where":[["api_key","=","LOOKEDUPKEYa11bU3"]]}`)},
		{"APIv4 query where", "LOOKEDUPKEYa11bU4", "/civicrm/ajax/api4/Contact/get?where%5B0%5D%5B%5D=api_key&where%5B0%5D%5B%5D=%3D&where%5B0%5D%5B%5D=LOOKEDUPKEYa11bU4"},
	}
	for _, c := range calls {
		name, secret, pq := c.name, c.secret, c.pathQuery
		st, body, reached, _ := a10Send(t, sim, rec, inst, a10Req{method: "GET", pathQuery: pq})
		if st != 200 || len(reached) == 0 {
			t.Fatalf("%s: %d %.200s (reached %v)", name, st, body, reached)
		}
		for _, r := range reached {
			line := strings.SplitN(r, "\n", 2)[0]
			if u, err := url.QueryUnescape(line); err == nil && strings.Contains(u, secret) {
				t.Errorf("%s: the API key looked up as data (%s) reached CiviCRM in the request's URL, which CiviCRM's web server logs: %.300s", name, secret, line)
			}
		}
	}
}

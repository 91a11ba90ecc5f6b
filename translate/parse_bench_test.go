package translate

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A typical legacy client: civicrm-api-php style GET with key-value params.
const benchGETQuery = "entity=Contact&action=get&key=0123456789abcdef&api_key=userkey123&json=1&sequential=1" +
	"&contact_type=Individual&options[limit]=25&options[sort]=sort_name&return[]=display_name&return[]=email"

func BenchmarkParseLegacyGET(b *testing.B) {
	b.ReportAllocs()
	route := Route{Form: FormExtern}
	for b.Loop() {
		r := httptest.NewRequest(http.MethodGet, "/sites/all/modules/civicrm/extern/rest.php", nil)
		r.URL.RawQuery = benchGETQuery
		if c, reply := ParseRequest(r, route, ParseOptions{}); c == nil || reply != nil || c.Refusal != nil {
			b.Fatal("unexpected reply")
		}
	}
}

// class.api.php style POST: entity/action in the query, json object in the body.
func BenchmarkParseLegacyPOST(b *testing.B) {
	b.ReportAllocs()
	route := Route{Form: FormExtern}
	body := "key=0123456789abcdef&api_key=userkey123&json=" +
		"%7B%22contact_type%22%3A%22Individual%22%2C%22first_name%22%3A%22Alice%22%2C%22api.Email.create%22%3A%7B%22email%22%3A%22a%40example.org%22%7D%7D"
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=create", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if c, reply := ParseRequest(r, route, ParseOptions{}); c == nil || reply != nil || c.Refusal != nil {
			b.Fatal("unexpected reply")
		}
	}
}

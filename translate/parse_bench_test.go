package translate

import (
	"context"
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

// The issue 12 attack body: json= holding as many empty arrays as 8 MiB
// take (2.8 million), which a full parse turns into half a gigabyte.
var worstCaseBody = func() string {
	prefix, suffix := `entity=Contact&action=get&json={"a":[`, "[]]}"
	return prefix + strings.Repeat("[],", (8<<20-1-len(prefix)-len(suffix))/3) + suffix
}()

func worstCaseRequest(query string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/sites/all/modules/civicrm/extern/rest.php?"+query, strings.NewReader(worstCaseBody))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// What a caller without a valid credential costs: the envelope of the
// worst-case body (the request is refused after it). B/op is about the
// body's 8 MiB; body-bytes/op puts it in proportion.
func BenchmarkParseEnvelopeWorstCase(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(worstCaseBody)))
	for b.Loop() {
		if c, reply := ParseEnvelope(worstCaseRequest("json=1"), Route{Form: FormExtern}, ParseOptions{}); c == nil || reply != nil {
			b.Fatal("unexpected reply")
		}
	}
}

// The same body from an authenticated caller: DecodeParams weighs it and
// refuses it with 413, undecoded, instead of building 2.8 million arrays.
func BenchmarkDecodeParamsWorstCase(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(worstCaseBody)))
	for b.Loop() {
		c, _ := ParseEnvelope(worstCaseRequest("json=1&key=k&api_key=a"), Route{Form: FormExtern}, ParseOptions{})
		c.DecodeParams(context.Background())
		if c.Refusal == nil || c.Refusal.Status != http.StatusRequestEntityTooLarge {
			b.Fatal("not refused")
		}
		c.Release()
	}
}

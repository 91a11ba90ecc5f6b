package translate

import (
	"net/url"
	"testing"
)

func TestWPBatch(t *testing.T) {
	for _, tc := range []struct {
		target string
		want   bool
	}{
		{"/wp-json/batch/v1", true},
		{"/wp-json/batch/v1/", true},
		{"/blog/wp-json/Batch/V1", true}, // routes match case-insensitively
		{"/index.php/wp-json/batch/v1", true},
		{"/api/batch/v1", true}, // any rest_url_prefix
		{"/wp-json/batch%2Fv1", true},
		{"/wp-json/batch/v1%0A", true},
		{"/?rest_route=/batch/v1", true},
		{"/?rest_route=batch/v1/", true},
		{"/?rest_route=%2Fbatch%2Fv1", true},
		{"/wp-json/x&rest_route=/batch/v1", true},
		{"/wp-json/batch/v2", false},
		{"/wp-json/wp/v2/posts", false},
		{"/?rest_route[]=/batch/v1", false},
		{"/batch-processing/", false},
		{"/?rest_route=/wp/v2/posts&batch=v1", false},
	} {
		u, err := url.ParseRequestURI(tc.target)
		if err != nil {
			t.Fatal(err)
		}
		if got := (RecogniseConfig{}).WPBatch(u); got != tc.want {
			t.Errorf("WPBatch(%s) = %v", tc.target, got)
		}
	}
}

func TestWPBatchLogsIn(t *testing.T) {
	for _, tc := range []struct {
		query, body string
		want        bool
	}{
		{"", `{"requests":[{"path":"/civicrm/v3/rest?entity=Contact&action=get","body":{"api_key":"k"}}]}`, true},
		{"", `{"requests":[{"path":"/x/civicrm-rest"}]}`, true},
		{"", `{"requests":[{"path":"/civi\u0063rm/v3/\u0072est"}]}`, true}, // json_decode undoes the escapes
		{"", `{"requests":[{"path":"\/civicrm\/v3\/rest"}]}`, true},
		{"", "requests%5B0%5D%5Bpath%5D=%2Fcivi%63rm%2Fv3%2Frest&requests%5B0%5D%5Bbody%5D%5Bapi_key%5D=k", true},
		{"_method=POST&requests[0][path]=/civicrm/v3/rest&requests[0][body][api_key]=k", "", true},
		{"", "--B\r\nContent-Disposition: form-data; name=\"requests[0][path]\"\r\n\r\n/civicrm/v3/restx\r\n--B--\r\n", true},
		// The block editor's batches.
		{"", `{"validation":"require-all-validate","requests":[{"method":"PUT","path":"/wp/v2/widgets/block-2","body":{"id":"block-2","instance":{"raw":{"content":"<p>Hello</p>"}}}}]}`, false},
		{"", `{"requests":[{"path":"/wp/v2/menu-items/7","body":{"title":"Our CiviCRM events"}}]}`, false},
		{"", `{"requests":[{"path":"/wp/v2/widgets/rest-1"}]}`, false},
		{"", "", false},
	} {
		if got := WPBatchLogsIn(tc.query, []byte(tc.body)); got != tc.want {
			t.Errorf("WPBatchLogsIn(%q, %q) = %v", tc.query, tc.body, got)
		}
	}
}

func TestJSONUnescapeLoose(t *testing.T) {
	for in, want := range map[string]string{
		`a\u0063b`:          "acb",
		`\/x\\y\"z\n`:       "/x\\y\"z\n",
		`\u00e9\ud800`:      "é\uFFFD",
		`\u12`:              "u12",
		`plain`:             "plain",
		`trailing\`:         `trailing\`,
		`\u0043\u0069viCRM`: "CiviCRM",
	} {
		if got := jsonUnescapeLoose(in); got != want {
			t.Errorf("jsonUnescapeLoose(%q) = %q, want %q", in, got, want)
		}
	}
}

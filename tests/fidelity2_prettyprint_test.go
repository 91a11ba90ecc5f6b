package tests

import (
	"net/http"
	"net/url"
	"testing"
)

// A JSON object in CiviCRM's answer stays an object when extern/rest.php
// prettyprints it. PHP's json_encode writes an array as [] or as a list
// when its keys are 0…n-1, so `{}` and `{"0":"x","1":"y"}` in
// civicrm/ajax/rest's answer can only come from a PHP object, and
// CRM_Utils_REST::output()'s prettyprint branch
// (json_encode(array_merge($result), JSON_PRETTY_PRINT |
// JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE)) keeps them objects.
// Civigate, which prettyprints from the upstream JSON itself (prettyprint
// goes upstream inside json=, README "Forward"), writes them as [] and
// ["x","y"]. Plain JSON answers stream through and are not affected. The
// expected bytes are PHP 8.2's json_encode of the same value.
func TestFidPrettyprintKeepsObjects(t *testing.T) {
	sim, u, inst := a8Setup(t, "cache off")
	u.set(func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"is_error":0,"version":3,"count":1,"values":{"a":{"o":{},"l":{"0":"x","1":"y"},"e":[]}}}`))
		return true
	})
	resp, body := fidDo(t, "GET", inst.URL+"/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=getfields&json=1&prettyprint=1&key="+
		url.QueryEscape(sim.SiteKey())+"&api_key="+url.QueryEscape(sim.Admin().APIKey), nil, "")
	want := "{\n    \"is_error\": 0,\n    \"version\": 3,\n    \"count\": 1,\n    \"values\": {\n        \"a\": {\n            \"o\": {},\n" +
		"            \"l\": {\n                \"0\": \"x\",\n                \"1\": \"y\"\n            },\n            \"e\": []\n        }\n    }\n}"
	if resp.StatusCode != 200 || body != want {
		t.Errorf("prettyprint:\n got: %d %s\nwant: 200 %s", resp.StatusCode, body, want)
	}
}

package tests

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// The simulator as CiviCRM 5.81.1 escapes "/" and non-ASCII in a
// prettyprinted answer, as it does in a plain one. In CiviCRM the
// prettyprint branch of CRM_Utils_REST::output() encodes with
// JSON_PRETTY_PRINT + JSON_UNESCAPED_SLASHES + JSON_UNESCAPED_UNICODE both
// in 4.7 (jsonFormated(), "If php is 5.4+ we can use the native method")
// and in 6.17 (inlined, same three flags); what 6.8 changed (f372f10,
// shared/spec/civicrm-apiv3-rest.md §0) is the plain branch, which was a
// bare json_encode(array_merge($result)) before. So before 6.8 only the
// plain answer is escaped. Civigate in front of a 5.81 site answers
// unescaped; the simulator that should be the reference does not.
// (Moderate confidence: 5.81's REST.php itself was not available to read.)
func TestFidSim581PrettyprintUnescaped(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{Version: "5.81.1", Fixture: civicrmsim.Fixture581})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	rest := srv.URL + "/sites/all/modules/civicrm/extern/rest.php"
	creds := "&key=" + url.QueryEscape(sim.SiteKey()) + "&api_key=" + url.QueryEscape(sim.Admin().APIKey)
	resp, err := http.Post(rest, "application/x-www-form-urlencoded", strings.NewReader(
		"entity=Contact&action=create&json="+url.QueryEscape(`{"contact_type":"Individual","first_name":"é/ü","last_name":"x"}`)+creds))
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ ID int }
	err = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil || created.ID == 0 {
		t.Fatalf("create: %v %+v", err, created)
	}
	id := strconv.Itoa(created.ID)
	resp, err = http.Get(rest + "?entity=Contact&action=get&id=" + id + "&return=display_name&json=1&prettyprint=1" + creds)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := "{\n    \"is_error\": 0,\n    \"version\": 3,\n    \"count\": 1,\n    \"id\": " + id + ",\n    \"values\": {\n        \"" + id +
		"\": {\n            \"contact_id\": \"" + id + "\",\n            \"display_name\": \"é/ü x\",\n            \"id\": \"" + id + "\"\n        }\n    }\n}"
	if string(body) != want || resp.Header.Get("Content-Type") != "text/html; charset=UTF-8" {
		t.Errorf("5.81 prettyprint:\n got: %q %s\nwant: %q %s", resp.Header.Get("Content-Type"), body, "text/html; charset=UTF-8", want)
	}
}

package tests

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// The rules of extern/rest.php a live CiviCRM 6.17.2 showed beyond the
// recordings (issue 15), each as a request sent both to the simulator's
// extern/rest.php and to Civigate in front of the simulator's
// civicrm/ajax/rest: the two answers must match byte for byte, and match
// what the live site answered.
func TestLegacyFidelityRules(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), "site_key "+sim.SiteKey()))
	creds := [][2]string{{"key", sim.SiteKey()}, {"api_key", sim.Admin().APIKey}}
	for _, tc := range []struct {
		name string
		req  diffReq
		// What the live site answered: status, Content-Type, and a part
		// of the body ("" for any).
		status   int
		ct, part string
	}{
		{name: "1: json in the query and json=0 in the body: XML under text/html (the query's json alone chose the type)",
			req:    diffReq{method: "POST", transport: "form", query: append([][2]string{{"entity", "Contact"}, {"action", "get"}, {"json", "1"}}, creds...), body: [][2]string{{"json", "0"}}},
			status: 200, ct: "text/html; charset=UTF-8", part: `<?xml version="1.0"?>`},
		{name: "1: json=0 in the query, json=1 in the body: JSON",
			req:    diffReq{method: "POST", transport: "form", query: append([][2]string{{"entity", "Contact"}, {"action", "getcount"}, {"json", "0"}}, creds...), body: [][2]string{{"json", "1"}}},
			status: 200, ct: "application/json", part: `{"is_error":0,"result":`},
		{name: "2: a JSON body with json as an object: JSON, its members are the parameters",
			req: diffReq{method: "POST", transport: "json", query: creds, jsonBody: []diffMember{{"entity", "Contact"}, {"action", "get"},
				{"json", map[string]any{"id": "2", "return": "display_name"}}}},
			status: 200, ct: "application/json", part: `"count":1,"id":2,"values":{"2":{"contact_id":"2","display_name":`},
		{name: "3: credentials inside a JSON body are no credentials",
			req: diffReq{method: "POST", transport: "json", jsonBody: []diffMember{{"entity", "Contact"}, {"action", "get"},
				{"json", map[string]any{"id": "2"}}, {"key", sim.SiteKey()}, {"api_key", sim.Admin().APIKey}}},
			status: 200, ct: "application/json", part: `{"error_message":"Failed to authenticate key","is_error":1}`},
		{name: "3: an api_key inside a JSON body is no api_key",
			req: diffReq{method: "POST", transport: "json", query: creds[:1], jsonBody: []diffMember{{"entity", "Contact"}, {"action", "get"},
				{"json", 1}, {"api_key", sim.Admin().APIKey}}},
			status: 200, ct: "application/json", part: `FATAL: mandatory param 'api_key' (user key) missing`},
		{name: "4: fnName=civicrm/ping checks the key first",
			req:    diffReq{method: "GET", transport: "query", query: [][2]string{{"fnName", "civicrm/ping"}, {"json", "1"}}},
			status: 200, ct: "application/json", part: `{"error_message":"Failed to authenticate key","is_error":1}`},
		{name: "4: fnName=civicrm/ping with credentials: PONG",
			req:    diffReq{method: "GET", transport: "query", query: append([][2]string{{"fnName", "civicrm/ping"}, {"json", "1"}}, creds...)},
			status: 200, ct: "application/json", part: `{"is_error":0,"message":"PONG: "}`},
		{name: "4: q=civicrm/ping stays public",
			req:    diffReq{method: "GET", transport: "query", query: [][2]string{{"q", "civicrm/ping"}, {"json", "1"}}},
			status: 200, ct: "application/json", part: `{"is_error":0,"message":"PONG: "}`},
		{name: "JSON body merged: json as a string",
			req:    diffReq{method: "POST", transport: "json", query: append([][2]string{{"entity", "Contact"}, {"action", "getcount"}}, creds...), jsonBody: []diffMember{{"json", "2"}}},
			status: 200, ct: "application/json", part: `{"is_error":0,"result":`},
		{name: "JSON body merged: entity and action from the body, XML",
			req:    diffReq{method: "POST", transport: "json", query: creds, jsonBody: []diffMember{{"entity", "Phone"}, {"action", "get"}}},
			status: 200, ct: "text/xml;charset=UTF-8", part: `<ResultSet xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"  count=`},
		{name: "JSON body merged: other keys are parameters",
			req: diffReq{method: "POST", transport: "json", query: creds, jsonBody: []diffMember{{"entity", "Contact"}, {"action", "get"},
				{"json", 1}, {"id", 2}, {"sequential", 1}, {"return", "display_name"}}},
			status: 200, ct: "application/json", part: `"count":1,"id":2,"values":[{"contact_id":"2"`},
		{name: "json as an array: JSON output, its members are parameters",
			req:    diffReq{method: "GET", transport: "query", query: append([][2]string{{"entity", "Contact"}, {"action", "get"}, {"json[sequential]", "1"}, {"json[return]", "id"}}, creds...)},
			status: 200, ct: "application/json", part: `"count":6,"values":[{"contact_id":"1","id":"1"}`},
		{name: "json as an array in a form body",
			req:    diffReq{method: "POST", transport: "form", query: creds, body: [][2]string{{"entity", "Contact"}, {"action", "getsingle"}, {"json[id]", "2"}, {"json[return]", "display_name"}}},
			status: 200, ct: "application/json", part: `"display_name":`},
		{name: "crash: POST without an action (civicrm_api gets NULL)",
			req:    diffReq{method: "POST", transport: "form", query: creds, body: [][2]string{{"entity", "Contact"}, {"json", "1"}}},
			status: 500, ct: "", part: ""},
		{name: "crash: an array entity (munge's trim gets an array)",
			req:    diffReq{method: "GET", transport: "query", query: append([][2]string{{"entity[]", "Contact"}, {"action", "get"}, {"json", "1"}}, creds...)},
			status: 500, ct: "", part: ""},
		{name: "crash before any key check: an array q",
			req:    diffReq{method: "GET", transport: "query", query: [][2]string{{"q[]", "civicrm/contact/get"}}},
			status: 500, ct: "", part: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.prefix = "/sites/all/modules/civicrm"
			direct := tc.req.send(t, srv.URL)
			via := tc.req.send(t, inst.URL)
			if direct.status != tc.status || tc.ct != "" && direct.ct != tc.ct || !strings.Contains(direct.body, tc.part) {
				t.Errorf("the simulator's extern/rest.php does not answer as CiviCRM did: %d %q %.300s", direct.status, direct.ct, direct.body)
			}
			if msg := diffAnswers(direct, via); msg != "" {
				t.Errorf("%s\nextern/rest.php: %d %q %.400s\nCivigate:        %d %q %.400s", msg,
					direct.status, direct.ct, direct.body, via.status, via.ct, via.body)
			}
		})
	}
}

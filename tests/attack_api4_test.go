package tests

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// APIv4 through the edge (issue 14): the opening reproduction and every
// "gets wrong most easily" class, tried through real Caddy in front of the
// simulated CiviCRM 6.17 site. A refused row must not reach CiviCRM's
// APIv4 route at all; an admitted row must reach it.
func TestAPI4AttacksThroughCaddy(t *testing.T) {
	const (
		// The policy: only Contact.getcount (which APIv4 has not).
		getcountOnly = "default deny\n\t\t\tallow {\n\t\t\t\tentity Contact\n\t\t\t\taction getcount\n\t\t\t}"
		// A read-only key, written as for APIv3: no version named.
		readOnly = "default deny\n\t\t\tallow {\n\t\t\t\tentity Contact Note Email\n\t\t\t\taction get getFields\n\t\t\t}"
		noWrites = "deny {\n\t\t\t\taction create update save delete replace\n\t\t\t}"
		noNotes  = "deny {\n\t\t\t\tentity Note\n\t\t\t}\n\t\t\tdeny {\n\t\t\t\tentity Contact\n\t\t\t\taction delete\n\t\t\t}"
		params   = "default deny\n\t\t\tallow {\n\t\t\t\tentity Contact\n\t\t\t\taction get\n\t\t\t\tparam select array\n\t\t\t\tparam where array\n\t\t\t}"
		v3Only   = "deny {\n\t\t\t\tversion 4\n\t\t\t}"
	)
	p := func(js string) string { return "params=" + url.QueryEscape(js) }
	noteCreate := `{"values":{"entity_id":203,"subject":"attack","note":"x"}}`
	chainCreate := `{"select":["id"],"where":[["id","=",203]],"chain":{"n":["Note","create",{"values":{"entity_id":"$id","subject":"attack","note":"x"}}]}}`
	deepDelete := `{"select":["id"],"where":[["id","=",203]],"chain":{"e":["Email","get",{"where":[["contact_id","=","$id"]],"chain":{"d":["Email","delete",{"where":[["id","=","$id"]]}]}}]}}`
	queryChain := "chain%5Bn%5D%5B0%5D=Note&chain%5Bn%5D%5B1%5D=create&chain%5Bn%5D%5B2%5D%5Bvalues%5D%5Bentity_id%5D=%24id&chain%5Bn%5D%5B2%5D%5Bvalues%5D%5Bnote%5D=x"

	type row struct {
		class   string
		policy  string
		method  string
		path    string // after /civicrm/ajax/api4
		query   string
		form    string // urlencoded POST body
		json    string // application/json POST body instead
		who     string // "admin" (X-Civi-Auth + site key), "admin-nokey", "bearer-header", "basic", "key-only", "anon"
		xrw     string // X-Requested-With sent
		refused bool
		status  int    // expected status, 0: any
		has     string // expected in the body
	}
	rows := []row{
		// The opening reproduction: site_key set, only
		// Contact.getcount allowed, no site key sent.
		{class: "opening reproduction", policy: getcountOnly, method: "POST", path: "/Contact/get", form: p(`{"select":["id"]}`), who: "admin-nokey", refused: true, status: 403},
		{class: "opening reproduction", policy: getcountOnly, method: "POST", path: "/Note/create", form: p(noteCreate), who: "admin-nokey", refused: true, status: 403},

		{class: "control: a rule without version covers APIv4", policy: readOnly, method: "POST", path: "/Contact/get", form: p(`{"select":["id"]}`), who: "admin", status: 200},
		{class: "control: version 4 can be denied alone", policy: v3Only, method: "GET", path: "/Contact/get", query: p(`{"select":["id"]}`), who: "admin", refused: true, status: 403},

		{class: "method: HEAD runs writes", policy: noWrites, method: "HEAD", path: "/Note/create", query: p(noteCreate), who: "admin", refused: true, status: 405},
		{class: "method: OPTIONS runs writes and skips CSRF", policy: noWrites, method: "OPTIONS", path: "/Note/create", query: p(noteCreate), who: "anon", refused: true, status: 204},
		{class: "method: PUT runs writes", policy: noWrites, method: "PUT", path: "/Note/create", query: p(noteCreate), who: "admin", refused: true, status: 405},
		{class: "method: PATCH runs writes", policy: noWrites, method: "PATCH", path: "/Note/create", query: p(noteCreate), who: "admin", refused: true, status: 405},
		{class: "method: DELETE runs anything", policy: noWrites, method: "DELETE", path: "/Note/create", query: p(noteCreate), who: "admin", refused: true, status: 405},
		{class: "method: a write over GET is still policed", policy: noWrites, method: "GET", path: "/Note/create", query: p(noteCreate), who: "admin", refused: true, status: 403},

		{class: "query merge: chain in the query of a POST", policy: readOnly, method: "POST", path: "/Contact/get", query: queryChain, form: p(`{"select":["id"],"where":[["id","=",203]]}`), who: "admin", refused: true, status: 403},
		{class: "query merge: chain in the query of a GET", policy: noWrites, method: "GET", path: "/Contact/get", query: p(`{"select":["id"],"where":[["id","=",203]]}`) + "&" + queryChain, who: "admin", refused: true, status: 403},
		{class: "query merge: a key the JSON has wins", policy: readOnly, method: "GET", path: "/Contact/get", query: p(`{"select":["id"],"chain":{}}`) + "&" + queryChain, who: "admin", status: 200},
		{class: "JSON body is invisible: judged as what runs (empty params)", policy: noWrites, method: "POST", path: "/Note/create", json: noteCreate, who: "admin", refused: true, status: 403},

		{class: "chain: a write inside a GET read", policy: readOnly, method: "GET", path: "/Contact/get", query: p(chainCreate), who: "admin", refused: true, status: 403},
		{class: "chain: a write at depth 2", policy: noWrites, method: "GET", path: "/Contact/get", query: p(deepDelete), who: "admin", refused: true, status: 403},
		{class: "chain: entity from the row ($contact_type)", policy: readOnly, method: "GET", path: "/Contact/get",
			query: p(`{"select":["id","contact_type"],"chain":{"x":["$contact_type","get",{}]}}`), who: "admin", refused: true, status: 403},
		{class: "chain: action from the row", policy: noWrites, method: "GET", path: "/Contact/get",
			query: p(`{"select":["id"],"chain":{"x":["Note","$display_name",{}]}}`), who: "admin", refused: true, status: 403},
		{class: "batch: a write among reads", policy: readOnly, method: "POST", path: "",
			form: "calls=" + url.QueryEscape(`[["Contact","get",{"select":["id"]}],["Note","create",`+noteCreate+`]]`), who: "admin", refused: true, status: 403},
		{class: "batch: a member as named arguments", policy: noWrites, method: "POST", path: "/",
			form: "calls=" + url.QueryEscape(`{"a":{"entity":"Note","action":"create","params":`+noteCreate+`}}`), who: "admin", refused: true, status: 403},

		{class: "names: contact/GET resolves to Contact.get", policy: noNotes, method: "POST", path: "/contact/DELETE", form: p(`{"where":[["id","=",1]]}`), who: "admin", refused: true, status: 403},
		{class: "names: percent-encoded slash", policy: noNotes, method: "POST", path: "/Note%2Fget", form: p(`{}`), who: "admin", refused: true, status: 403},
		{class: "names: extra segments ignored", policy: noWrites, method: "POST", path: "/Note/create/extra", form: p(noteCreate), who: "admin", refused: true, status: 403},
		{class: "names: a contact type is a contact", policy: noNotes, method: "POST", path: "/Individual/delete", form: p(`{"where":[["id","=",1]]}`), who: "admin", refused: true, status: 403},

		{class: "param rules: only the keys allowed", policy: params, method: "POST", path: "/Contact/get", form: p(`{"select":["id"],"where":[["id","=",203]]}`), who: "admin", status: 200},
		{class: "param rules: a chain is a key too", policy: params, method: "POST", path: "/Contact/get", form: p(`{"select":["id"],"chain":{"e":["Email","get",{}]}}`), who: "admin", refused: true, status: 403},
		{class: "param rules: a merged query key counts", policy: params, method: "GET", path: "/Contact/get", query: p(`{"select":["id"]}`) + "&limit=5", who: "admin", refused: true, status: 403},

		{class: "AuthX: Authorization Bearer needs X-Requested-With", policy: noWrites, method: "POST", path: "/Contact/get", form: p(`{}`), who: "bearer-header", refused: true, status: 400, has: "SECURITY ALERT"},
		{class: "AuthX: X-Requested-With must be exact", policy: noWrites, method: "POST", path: "/Contact/get", form: p(`{}`), who: "bearer-header", xrw: "xmlhttprequest", refused: true, status: 400, has: "SECURITY ALERT"},
		{class: "control: Authorization Bearer with X-Requested-With", policy: noWrites, method: "POST", path: "/Contact/get", form: p(`{}`), who: "bearer-header", xrw: "XMLHttpRequest", status: 200},
		{class: "AuthX: Basic is ignored, the call is anonymous", policy: noWrites, method: "POST", path: "/Contact/get", form: p(`{}`), who: "basic", xrw: "XMLHttpRequest", refused: true, status: 401},
		{class: "AuthX: a lone key starts the legacy flow", policy: noWrites, method: "POST", path: "/Contact/get", form: p(`{}`) + "&key=SITEKEY", refused: true, status: 200, has: "FATAL: Invalid credential"},
		{class: "AuthX: _authx in the query of a POST is no credential", policy: noWrites, method: "POST", path: "/Contact/get", query: "_authx=Bearer+ADMINKEY", form: p(`{}`), xrw: "XMLHttpRequest", refused: true, status: 401},
		{class: "anonymous: the route needs no permission, the edge does", policy: noWrites, method: "POST", path: "/Contact/get", form: p(`{}`), xrw: "XMLHttpRequest", refused: true, status: 401},
	}

	byPolicy := map[string][]row{}
	for _, r := range rows {
		byPolicy[r.policy] = append(byPolicy[r.policy], r)
	}
	for policy, rows := range byPolicy {
		t.Run(strings.Fields(rows[0].class)[0], func(t *testing.T) {
			sim := civicrmsim.New(civicrmsim.Options{Fixture: civicrmsim.FixtureAPI4})
			var reached atomic.Int64
			upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Path, "ajax/api4") {
					reached.Add(1)
				}
				sim.ServeHTTP(w, r)
			}))
			defer upstream.Close()
			inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(upstream.URL, "http://"),
				"site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys(), "cache off", "auth {\n\t\t\t"+policy+"\n\t\t}"))
			admin := sim.Admin()
			fill := strings.NewReplacer("SITEKEY", url.QueryEscape(sim.SiteKey()), "ADMINKEY", url.QueryEscape(admin.APIKey))
			for _, rw := range rows {
				target := inst.URL + "/civicrm/ajax/api4" + rw.path
				if rw.query != "" {
					target += "?" + fill.Replace(rw.query)
				}
				body := fill.Replace(rw.form)
				if rw.json != "" {
					body = rw.json
				}
				r, err := http.NewRequest(rw.method, target, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case rw.json != "":
					r.Header.Set("Content-Type", "application/json")
				case body != "":
					r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				switch rw.who {
				case "admin":
					r.Header.Set("X-Civi-Auth", "Bearer "+admin.APIKey)
					r.Header.Set("X-Civi-Key", sim.SiteKey())
				case "admin-nokey":
					r.Header.Set("X-Civi-Auth", "Bearer "+admin.APIKey)
				case "bearer-header":
					r.Header.Set("Authorization", "Bearer "+admin.APIKey)
				case "basic":
					r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(admin.Name+":"+admin.Password)))
				}
				if rw.xrw != "" {
					r.Header.Set("X-Requested-With", rw.xrw)
				}
				before := reached.Load()
				got := doReq(t, r)
				hit := reached.Load() != before
				switch {
				case rw.refused && hit:
					t.Errorf("%s: reached CiviCRM (%d %s)", rw.class, got.status, got.body)
				case !rw.refused && !hit:
					t.Errorf("%s: refused at the edge (%d %s)", rw.class, got.status, got.body)
				}
				if rw.status != 0 && got.status != rw.status || !strings.Contains(got.body, rw.has) {
					t.Errorf("%s: got %d %s, want %d with %q", rw.class, got.status, got.body, rw.status, rw.has)
				}
			}
		})
	}
}

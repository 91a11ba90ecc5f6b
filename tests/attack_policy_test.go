package tests

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// Policy escapes through chains and batches (issue 12, item 3), tried
// through real Caddy in front of the simulated CiviCRM under the two
// policies an operator writes to keep a key read-only. Every row names its
// class; a refused row must not reach CiviCRM's API at all. Where CiviCRM
// itself runs nothing (a version other than 3), Civigate's answer must be
// byte for byte what CiviCRM answers the same request.
func TestPolicyEscapesThroughCaddy(t *testing.T) {
	const (
		// APIv3 Contact.get's default return reads the primary e-mail,
		// phone, address and IM (translate.V3Returns): an operator's
		// read-only key names them.
		readOnly = "default deny\n\t\t\tallow {\n\t\t\t\tentity Contact Email Phone Address IM\n\t\t\t\taction get\n\t\t\t}"
		noWrites = "deny {\n\t\t\t\taction create delete\n\t\t\t}"
		anyV4    = "allow {\n\t\t\t\tversion 3 4\n\t\t\t}"
		// Attack round 4, F1 and F4: an entity kept out.
		noContact = "deny {\n\t\t\t\tentity Contact\n\t\t\t}"
	)
	deep := `{"api.Email.create":{"contact_id":3,"email":"deep@e.org"}}`
	for range 10 {
		deep = `{"api.Contact.get":` + deep + `}`
	}
	jsonForm := func(entity, action, js string) string {
		return "entity=" + entity + "&action=" + action + "&json=" + url.QueryEscape(js)
	}
	substituted := func(ref string) string {
		return `{"id":5,"api.Contact.get.a":{"id":"$value.id"},"api.Contact.get.b":{"id":"$value.id","api_Contact_delete":` + ref + `}}`
	}
	type row struct {
		class    string
		policy   string
		body     string // POST form body to civicrm/ajax/rest; "" for query
		query    string // extern/rest.php query (credentials added)
		extern   string // POST form body to extern/rest.php (credentials added)
		wp       string // POST form body to WordPress REST (credentials added)
		refused  bool   // never reaches CiviCRM's API
		civiSame bool   // the answer is exactly CiviCRM's own
		// unrun are calls that must not run in CiviCRM (Simulator.Calls
		// names), and says what the answer must say instead.
		unrun []string
		says  string
	}
	rows := []row{
		{class: "control: plain read", policy: readOnly, body: jsonForm("Contact", "get", `{"id":3}`)},
		{class: "control: chained read", policy: readOnly, body: jsonForm("Contact", "get", `{"id":3,"api_Contact_get":{}}`)},
		{class: "control: chained read", policy: noWrites, body: jsonForm("Contact", "get", `{"id":3,"api.Email.get":{}}`)},

		{class: "underscore separator, PHP-mangled key-value", policy: readOnly, refused: true,
			body: "entity=Contact&action=get&json=1&id=3&api.Email.create[contact_id]=3&api.Email.create[email]=x@e.org"},
		{class: "underscore separator, PHP-mangled key-value", policy: noWrites, refused: true,
			body: "entity=Contact&action=get&json=1&id=3&api.Email.create[contact_id]=3&api.Email.create[email]=x@e.org"},
		{class: "underscore separator in json", policy: readOnly, refused: true,
			body: jsonForm("Contact", "get", `{"id":3,"api_Email_create":{"email":"x@e.org"}}`)},
		{class: "underscore separator in json", policy: noWrites, refused: true,
			body: jsonForm("Contact", "get", `{"id":3,"api_Email_create":{"email":"x@e.org"}}`)},
		{class: "nesting deeper than 9 levels", policy: readOnly, refused: true, body: jsonForm("Contact", "get", deep)},
		{class: "nesting deeper than 9 levels", policy: noWrites, refused: true, body: jsonForm("Contact", "get", deep)},
		{class: "chained action with a suffix", policy: noWrites, refused: true,
			body: jsonForm("Contact", "get", `{"id":3,"api.Email.create.x":{"email":"x@e.org"}}`)},
		{class: "batch member action with spaces", policy: noWrites, refused: true,
			body: jsonForm("api3", "call", `{"a":["Email"," create",{"contact_id":3,"email":"x@e.org"}]}`)},
		{class: "batch member entity and action munged", policy: noWrites, refused: true,
			body: jsonForm("api3", "call", `{"a":["Contact","get",{}],"b":["Email\t","delete\n",{"id":1}]}`)},

		{class: "version 4 with an APIv4 chain", policy: readOnly, refused: true, civiSame: true,
			body: jsonForm("Contact", "get", `{"version":4,"chain":{"e":["Email","create",{"values":{"contact_id":3,"email":"x@e.org"}}]}}`)},
		{class: "version 4 with an APIv4 chain", policy: noWrites, refused: true, civiSame: true,
			body: jsonForm("Contact", "get", `{"version":4,"chain":{"e":["Email","create",{"values":{"contact_id":3,"email":"x@e.org"}}]}}`)},
		{class: "version 4 as a key-value", policy: readOnly, refused: true, civiSame: true, body: "entity=Contact&action=get&json=1&version=4"},
		{class: "version 4 in a batch member", policy: noWrites, refused: true, civiSame: true,
			body: jsonForm("api3", "call", `{"a":["Contact","get",{"version":4,"select":["id"],"where":[["id","=",3]]}]}`)},
		{class: "version 4 in a chain", policy: noWrites, refused: true, body: jsonForm("Contact", "get", `{"id":3,"api.Email.get":{"version":4}}`)},
		{class: "unknown version", policy: noWrites, refused: true, civiSame: true, body: jsonForm("Contact", "get", `{"version":"2"}`)},
		// CiviCRM 6.x has no "API v2 not accessible" branch any more: 2 is
		// an unknown version on every form but WordPress's, which forces 3.
		{class: "unknown version", policy: noWrites, refused: true, civiSame: true, query: "entity=contact&action=get&json=1&version=2"},
		{class: "unknown version", policy: noWrites, refused: true, civiSame: true, query: "entity=contact&action=get&version=2.0"},
		{class: "control: version true is 3", policy: noWrites, civiSame: true, body: jsonForm("Contact", "get", `{"version":true,"id":3}`)},
		{class: "control: WordPress forces version 3", policy: noWrites, wp: "entity=Contact&action=get&json=" + url.QueryEscape(`{"version":2,"id":3}`)},
		{class: "version 4 on a legacy read (XML)", policy: readOnly, refused: true, civiSame: true,
			query: "entity=contact&action=get&version=4"},
		{class: "version 4 on a legacy read (XML)", policy: noWrites, refused: true, civiSame: true,
			query: "entity=contact&action=getfields&version=4"},

		// Chains CiviCRM creates at run time: _civicrm_api_replace_variables
		// turns a "$value…" reference in a chained call's params into the
		// parent row's data (an earlier chain's result array, its count 1).
		{class: "chain created by $value substitution", policy: readOnly, refused: true,
			body: jsonForm("Contact", "get", substituted(`"$value.api.Contact.get.a"`))},
		{class: "chain created by $value substitution", policy: noWrites, refused: true,
			body: jsonForm("Contact", "get", substituted(`"$value.api.Contact.get.a.count"`))},
		{class: "chain created by $value substitution", policy: noWrites, refused: true,
			body: jsonForm("Contact", "get", substituted(`["$value.api.Contact.get.a.values.0"]`))},
		{class: "chain created by $value substitution", policy: readOnly, refused: true,
			query: "entity=Contact&action=get&json=" + url.QueryEscape(substituted(`"$value.api.Contact.get.a"`))},
		{class: "chain created by $value substitution (api. key, releases before CRM-21246)", policy: readOnly, refused: true,
			query: "entity=Contact&action=get&json=" + url.QueryEscape(strings.Replace(substituted(`"$value.api.Contact.get.a"`), "api_Contact_delete", "api.Contact.delete", 1))},
		{class: "control: a $value reference in a chained read", policy: readOnly,
			body: jsonForm("Contact", "get", `{"id":4,"api.Contact.get":{"id":"$value.id"}}`)},

		// A float with an integral value is no chain trigger in CiviCRM
		// (=== 1 is false for 1.0): it must reach CiviCRM as a float.
		{class: "float chain value re-encoded as the integer 1", policy: readOnly, civiSame: true,
			body: jsonForm("Contact", "get", `{"id":3,"api.Contact.delete":1.0,"api.Email.delete":10e-1}`)},
		{class: "float chain value re-encoded as the integer 1", policy: noWrites, civiSame: true,
			query: "entity=Contact&action=get&json=" + url.QueryEscape(`{"id":4,"api.Contact.delete":1e0,"api_Email_delete":1.00000000000000000001}`)},

		// entity=api3 is a batch on ajax/rest only: extern/rest.php and
		// WordPress REST run the API kernel on an entity "Api3" that does
		// not exist, so nothing runs, as when CiviCRM answers it itself.
		{class: "api3 on extern/rest.php is no batch", policy: noWrites, civiSame: true, unrun: []string{"Contact.delete"},
			says: "API (Api3, call) does not exist", extern: "entity=api3&action=call&json=" + url.QueryEscape(`{"a":["Contact","delete",{"id":3}]}`)},
		{class: "api3 on extern/rest.php is no batch", policy: noWrites, civiSame: true, unrun: []string{"Contact.delete"},
			says: "API (Api3, call) does not exist", extern: "q=civicrm/api3/call&json=" + url.QueryEscape(`{"a":["Contact","delete",{"id":3}]}`)},
		{class: "api3 on WordPress REST is no batch", policy: noWrites, unrun: []string{"Contact.delete", "Contact.get"},
			says: "API (Api3, call) does not exist", wp: "entity=api3&action=call&json=" + url.QueryEscape(`{"a":["Contact","delete",{"id":3}],"b":["Contact","get",{}]}`)},

		// className makes process() call a page method instead of the API:
		// no rule naming an API call covers it.
		{class: "className page call named as an API call", policy: readOnly, refused: true,
			body: jsonForm("Contact", "get", `{"className":"CRM_Contact_Page_AJAX","fnName":"getContactEmail"}`)},
		{class: "className page call named as an API call", policy: readOnly, refused: true,
			query: "entity=Contact&action=get&className=CRM_Contact_Page_AJAX&fnName=getContactEmail"},
		{class: "className page call named as an API call", policy: noWrites, refused: true,
			body: jsonForm("api3", "call", `{"a":["Contact","get",{"className":"CRM_Contact_Page_AJAX","fnName":"getContactEmail"}]}`)},
		{class: "className page call named as an API call", policy: readOnly, refused: true,
			wp: "entity=Contact&action=get&json=" + url.QueryEscape(`{"className":"CRM_Contact_Page_AJAX","fnName":"getContactEmail"}`)},

		// Attack round 4: another entity's data through a foreign key
		// (F1), calls nested in getlist's params and replace's values (F4).
		{class: "return through a foreign key", policy: noContact, refused: true,
			body: jsonForm("Email", "get", `{"return":["contact_id.api_key"]}`)},
		{class: "filter through a foreign key (an oracle)", policy: noContact, refused: true,
			query: "entity=Email&action=get&json=" + url.QueryEscape(`{"contact_id.api_key":{"LIKE":"A%"}}`)},
		{class: "getlist runs its params' chains", policy: noContact, refused: true, unrun: []string{"Contact.get"},
			body: jsonForm("Email", "getlist", `{"params":{"api.Contact.get":{}}}`)},
		{class: "getlist runs its params' chains", policy: noWrites, refused: true, unrun: []string{"Email.create"},
			query: "entity=Email&action=getlist&json=" + url.QueryEscape(`{"params":{"api.Email.create":{"email":"x@y.z","contact_id":2}}}`)},
		{class: "replace runs each value's chains", policy: noContact, refused: true, unrun: []string{"Contact.delete"},
			body: jsonForm("Email", "replace", `{"contact_id":4,"values":[{"email":"r@x.org","api.Contact.delete":{"id":3}}]}`)},
		{class: "replace deletes", policy: noWrites, refused: true,
			body: jsonForm("Email", "replace", `{"contact_id":4,"values":[{"email":"r@x.org"}]}`)},
		{class: "control: a read of the allowed entity", policy: noContact, body: jsonForm("Email", "get", `{"contact_id":3,"return":["email"]}`)},

		// check_permissions turned off where CiviCRM takes the client's
		// value over the TRUE REST forces: replace merges each value over
		// the other parameters (its own last), 4.x chains merged the
		// chain's params last. Refused whatever the policy allows.
		{class: "replace value turns permission checks off", policy: noContact, refused: true, unrun: []string{"Email.create"},
			says: "check_permissions cannot be turned off over REST",
			body: jsonForm("Email", "replace", `{"contact_id":4,"values":[{"email":"r@x.org","check_permissions":0}]}`)},
		{class: "replace value turns permission checks off", policy: noContact, refused: true, unrun: []string{"Email.create"},
			says:   "check_permissions cannot be turned off over REST",
			extern: "entity=Email&action=replace&json=1&contact_id=4&values[0][email]=r@x.org&values[0][check_permissions]=0"},
		{class: "chain turns permission checks off", policy: noContact, refused: true,
			says: "check_permissions cannot be turned off over REST",
			body: jsonForm("Email", "get", `{"contact_id":3,"api.Phone.get":{"check_permissions":""}}`)},
		{class: "control: a top-level check_permissions (REST forces TRUE)", policy: noContact,
			body: jsonForm("Email", "get", `{"contact_id":3,"check_permissions":0}`)},

		// A rule naming version 4 lets it through: CiviCRM then answers
		// itself, with the same words.
		{class: "control: version 4 allowed by a rule", policy: anyV4, civiSame: true,
			body: jsonForm("Contact", "get", `{"version":4,"select":["id"]}`)},
	}

	for name, policy := range map[string]string{"read-only": readOnly, "no-writes": noWrites, "any-version": anyV4, "no-contact": noContact} {
		t.Run(name, func(t *testing.T) {
			sim := civicrmsim.New(civicrmsim.Options{})
			var apiCalls atomic.Int64
			upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Path, "ajax/rest") || strings.Contains(r.URL.Path, "extern/rest") {
					apiCalls.Add(1)
				}
				sim.ServeHTTP(w, r)
			}))
			defer upstream.Close()
			direct := httptest.NewServer(sim) // CiviCRM answering the same request itself
			defer direct.Close()
			inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(upstream.URL, "http://"),
				"site_key "+sim.SiteKey(), "cache off", "auth {\n\t\t\t"+policy+"\n\t\t}"))
			admin := sim.Admin()
			modern := http.Header{"X-Civi-Auth": {"Bearer " + admin.APIKey}, "X-Civi-Key": {sim.SiteKey()}}
			legacyCreds := "&key=" + url.QueryEscape(sim.SiteKey()) + "&api_key=" + url.QueryEscape(admin.APIKey)

			for _, rw := range rows {
				if rw.policy != policy {
					continue
				}
				send := func(base string) answer {
					switch {
					case rw.query != "":
						return do(t, "GET", base+"/sites/all/modules/civicrm/extern/rest.php?"+rw.query+legacyCreds, "", nil)
					case rw.extern != "":
						return do(t, "POST", base+"/sites/all/modules/civicrm/extern/rest.php", rw.extern+legacyCreds, nil)
					case rw.wp != "":
						return do(t, "POST", base+"/wp-json/civicrm/v3/rest", rw.wp+legacyCreds, nil)
					}
					return do(t, "POST", base+"/civicrm/ajax/rest", rw.body, modern)
				}
				before := apiCalls.Load()
				ran := make([]int, len(rw.unrun))
				for i, c := range rw.unrun {
					ran[i] = sim.Calls(c)
				}
				got := send(inst.URL)
				reached := apiCalls.Load() != before
				for i, c := range rw.unrun {
					if sim.Calls(c) != ran[i] {
						t.Errorf("%s: %s ran in CiviCRM (%d %s)", rw.class, c, got.status, got.body)
					}
				}
				if !strings.Contains(got.body, rw.says) {
					t.Errorf("%s: the answer does not say %q: %d %s", rw.class, rw.says, got.status, got.body)
				}
				switch {
				case rw.refused && reached:
					t.Errorf("%s: reached CiviCRM (%d %s)", rw.class, got.status, got.body)
				case !rw.refused && !reached:
					t.Errorf("%s: refused at the edge (%d %s)", rw.class, got.status, got.body)
				case !rw.refused && !rw.civiSame && rw.says == "" && (got.status != 200 || !strings.Contains(got.body, `"is_error":0`)):
					t.Errorf("%s: %d %s", rw.class, got.status, got.body)
				}
				// The policy's refusal in each form's shape: 403 on the
				// modern forms, extern/rest.php's HTTP 200 error, WordPress's.
				refusal := got.status == 403 && strings.Contains(got.body, "Forbidden by gateway policy") ||
					rw.query+rw.extern != "" && got.status == 200 && strings.Contains(got.body, "Forbidden by gateway policy") ||
					rw.wp != "" && got.status == 403 && strings.Contains(got.body, `"code":"rest_forbidden"`)
				if rw.refused && !rw.civiSame && !refusal {
					t.Errorf("%s: refusal %d %s", rw.class, got.status, got.body)
				}
				if rw.civiSame {
					want := sendDirect(t, direct.URL, rw.query, rw.extern, legacyCreds, rw.body, modern)
					if got.status != want.status || got.header.Get("Content-Type") != want.header.Get("Content-Type") || got.body != want.body {
						t.Errorf("%s: Civigate answered %d %q %s\nCiviCRM answers    %d %q %s", rw.class,
							got.status, got.header.Get("Content-Type"), got.body, want.status, want.header.Get("Content-Type"), want.body)
					}
				}
			}
		})
	}
}

// sendDirect asks the simulated CiviCRM itself: ajax/rest for a form body,
// its own extern/rest.php for a legacy query or form.
func sendDirect(t *testing.T, base, query, extern, legacyCreds, body string, modern http.Header) answer {
	t.Helper()
	switch {
	case query != "":
		return do(t, "GET", base+"/sites/all/modules/civicrm/extern/rest.php?"+query+legacyCreds, "", nil)
	case extern != "":
		return do(t, "POST", base+"/sites/all/modules/civicrm/extern/rest.php", extern+legacyCreds, nil)
	}
	h := modern.Clone()
	h.Set("X-Requested-With", "XMLHttpRequest")
	return do(t, "POST", base+"/civicrm/ajax/rest", body, h)
}

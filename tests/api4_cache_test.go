package tests

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// The APIv4 cache through real Caddy in front of the simulated 6.17 site
// (issue 14): reads are served from entries bound to the caller, hits are
// byte for byte CiviCRM's answer, equivalent requests share an entry and
// different ones never do, and writes through either API version
// invalidate reads of both. Each step names the class it checks.
func TestAPI4CacheThroughCaddy(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{Fixture: civicrmsim.FixtureAPI4})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
		"site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys(), "auth {\n\t\t\tanonymous\n\t\t}",
		"cache {\n\t\t\tttl 1h\n\t\t}"))
	admin := http.Header{"X-Civi-Auth": {"Bearer " + sim.Admin().APIKey}, "X-Civi-Key": {sim.SiteKey()}}
	limited := http.Header{"X-Civi-Auth": {"Bearer " + sim.User("limited").APIKey}, "X-Civi-Key": {sim.SiteKey()}}
	anon := http.Header{"X-Requested-With": {"XMLHttpRequest"}}
	api4 := inst.URL + "/civicrm/ajax/api4/"
	get := func(path, params string, h http.Header) answer {
		return do(t, "GET", api4+path+"?params="+url.QueryEscape(params), "", h)
	}
	post := func(path, form string, h http.Header) answer {
		return do(t, "POST", api4+path, form, h)
	}
	direct := func(method, path, form string) answer {
		h := admin.Clone()
		if method == "GET" {
			return do(t, method, srv.URL+"/civicrm/ajax/api4/"+path+"?"+form, "", h)
		}
		return do(t, method, srv.URL+"/civicrm/ajax/api4/"+path, form, h)
	}
	status := func(class string, a answer, want string) {
		t.Helper()
		got := a.header.Get("Cache-Status")
		for _, part := range strings.Split(want, "; ") {
			if !strings.Contains(got+";", "; "+part+";") {
				t.Errorf("%s: Cache-Status %q, want %q (%d %s)", class, got, want, a.status, trunc(a.body))
				return
			}
		}
	}
	same := func(class string, a, b answer) {
		t.Helper()
		if a.status != b.status || a.header.Get("Content-Type") != b.header.Get("Content-Type") || a.body != b.body {
			t.Errorf("%s: answers differ:\n%d %q %s\n%d %q %s", class, a.status, a.header.Get("Content-Type"), trunc(a.body),
				b.status, b.header.Get("Content-Type"), trunc(b.body))
		}
	}

	q := `{"select":["id","display_name","api_key"],"where":[["id","IN",[203,205]]],"orderBy":{"id":"ASC"}}`
	miss := get("Contact/get", q, admin)
	status("a read is stored", miss, "fwd=miss; stored")
	hit := get("Contact/get", q, admin)
	status("a second read is a hit", hit, "hit")
	same("hits are byte for byte the miss", miss, hit)
	same("hits are byte for byte CiviCRM's answer", hit, direct("GET", "Contact/get", "params="+url.QueryEscape(q)))
	if hit.header.Get("Set-Cookie") != "" {
		t.Errorf("a hit replays a cookie: %q", hit.header.Get("Set-Cookie"))
	}
	reordered := `{"orderBy":{"id":"ASC"},"where":[["id","IN",[203,205]]],"select":["id","display_name","api_key"]}`
	status("GET and POST, params in another key order, share an entry", post("Contact/get", "params="+url.QueryEscape(reordered), admin), "hit")

	other := get("Contact/get", q, limited)
	status("principal-bound: another caller never gets the admin's entry", other, "fwd=miss")
	if strings.Contains(other.body, `"api_key"`) || other.body == hit.body {
		t.Errorf("the limited user got the admin's answer: %s", trunc(other.body))
	}
	a1, a2 := get("Contact/get", q, anon), get("Contact/get", q, anon)
	status("anonymous callers are never cached", a2, "fwd=bypass; detail=anonymous")
	same("anonymous answers pass through", a1, a2)

	idx := do(t, "POST", api4+"Contact/get?index=0", "params="+url.QueryEscape(q), admin)
	status("index changes the answer's shape: its own entry", idx, "fwd=miss")
	if idx.body == hit.body {
		t.Errorf("index=0 got the list answer")
	}
	status("the spelling is part of the key (contact/get resolves only when a class is loaded)", get("contact/get", q, admin), "fwd=miss")
	// getFields answers per caller's permissions (custom fields): never
	// shared (a shared pattern naming it is refused at provisioning).
	status("getFields is per caller", get("Contact/getFields", `{"select":["name"]}`, admin), "fwd=miss; stored")
	status("getFields is per caller", get("Contact/getFields", `{"select":["name"]}`, limited), "fwd=miss; stored")
	status("getFields is per caller", get("Contact/getFields", `{"select":["name"]}`, limited), "hit")

	status("batch never cached", post("", "calls="+url.QueryEscape(`[["Contact","get",{"select":["id"]}]]`), admin), "fwd=bypass; detail=batch")
	status("debug never cached", get("Contact/get", `{"select":["id"],"debug":true}`, admin), "fwd=bypass; detail=debug")
	status("a chained write is never cached", get("Contact/get", `{"select":["id"],"where":[["id","=",203]],"chain":{"n":["Note","create",{"values":{"entity_id":"$id","subject":"c","note":"x"}}]}}`, admin), "fwd=bypass; detail=chained-write")
	status("a $-named chain is never cached", get("Contact/get", `{"select":["id","contact_type"],"chain":{"x":["$contact_type","get",{}]}}`, admin), "fwd=bypass; detail=chained-write")
	status("a write is never cached", post("Note/create", "params="+url.QueryEscape(`{"values":{"entity_id":203,"subject":"c","note":"x"}}`), admin), "fwd=bypass; detail=write")
	status("a non-200 answer is not stored", get("Contact/get", `{"where":[["nope","=",1]]}`, admin), "fwd=miss; detail=not-storable")
	// Autocomplete runs over POST in any case, over GET only exactly.
	ac := `{"input":"Admin"}`
	status("POST Autocomplete is cached", post("Contact/Autocomplete", "params="+url.QueryEscape(ac), admin), "fwd=miss; stored")
	if got := get("Contact/Autocomplete", ac, admin); got.status != 405 {
		t.Errorf("GET Contact/Autocomplete after a cached POST: %d %s (CiviCRM answers 405)", got.status, got.header.Get("Cache-Status"))
	}

	// Invalidation shared across versions, and purge by entity.
	get("Contact/get", q, admin) // the writes above invalidated the Contact family
	status("cached before an APIv3 write", get("Contact/get", q, admin), "hit")
	v3 := do(t, "POST", inst.URL+"/civicrm/ajax/rest", "entity=Contact&action=create&json="+url.QueryEscape(`{"contact_type":"Individual","first_name":"Ada","last_name":"Viathree"}`), admin)
	if v3.status != 200 || !strings.Contains(v3.body, `"is_error":0`) {
		t.Fatalf("APIv3 Contact.create: %d %s", v3.status, v3.body)
	}
	status("an APIv3 Contact.create invalidates APIv4 Contact.get", get("Contact/get", q, admin), "fwd=miss; stored")

	v3read := "entity=Contact&action=get&json=" + url.QueryEscape(`{"id":203,"return":["email"]}`)
	status("an APIv3 read is stored", do(t, "POST", inst.URL+"/civicrm/ajax/rest", v3read, admin), "fwd=miss; stored")
	save := post("Email/save", "params="+url.QueryEscape(`{"records":[{"contact_id":203,"email":"v4@example.org"}]}`), admin)
	if save.status != 200 {
		t.Fatalf("APIv4 Email.save: %d %s", save.status, save.body)
	}
	status("an APIv4 Email.save invalidates APIv3 reads of its group", do(t, "POST", inst.URL+"/civicrm/ajax/rest", v3read, admin), "fwd=miss; stored")

	// Counted: the usage report has the admin's APIv4 calls as their own feature.
	if rep := do(t, "GET", inst.Admin+"/civigate/legacy-usage", "", nil); !strings.Contains(rep.body, `{"feature":"api4","contact_id":203`) {
		t.Errorf("usage report without the admin's APIv4 calls: %s", trunc(rep.body))
	}

	get("Contact/get", q, admin)
	status("cached before a purge", get("Contact/get", q, admin), "hit")
	purge(t, inst.Admin, "?entity=Contact")
	status("purge by entity covers APIv4", get("Contact/get", q, admin), "fwd=miss; stored")
}

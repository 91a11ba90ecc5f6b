package cache

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/internal/calltest"
	"github.com/civigate/civigate/translate"
)

func api4(t testing.TB, method, target, form string) *translate.Call {
	c, _ := calltest.API4(t, method, target, form, nil)
	c.DecodeParams(context.Background())
	return c
}

func TestDecideAPI4(t *testing.T) {
	c, _ := newTestCache(t, Config{Deny: []string{"Contact.getLinks", "CiviCase.getFields", "Case.getActions"}})
	cases := []struct {
		name, method, target, form string
		want                       Reason // "" = cacheable
	}{
		{"get", "GET", `/civicrm/ajax/api4/Contact/get?params={"select":["id"]}`, "", ""},
		{"getFields in any case over POST", "POST", "/civicrm/ajax/api4/Contact/getfields", "params={}", ""},
		{"autocomplete", "POST", "/civicrm/ajax/api4/Contact/Autocomplete", "params={}", ""},
		{"Autocomplete over GET is CiviCRM's 405", "GET", "/civicrm/ajax/api4/Contact/Autocomplete", "", ReasonWrite},
		{"a write", "POST", "/civicrm/ajax/api4/Note/create", "params={}", ReasonWrite},
		{"a get* that is not a pure read", "GET", "/civicrm/ajax/api4/Contact/getOptions", "", ReasonUncacheable},
		{"getChecksum may write the contact's hash", "GET", "/civicrm/ajax/api4/Contact/getChecksum", "", ReasonWrite},
		{"checkAccess", "POST", "/civicrm/ajax/api4/Contact/checkAccess", "params={}", ReasonUncacheable},
		{"the deny list", "GET", "/civicrm/ajax/api4/Contact/getLinks", "", ReasonDenied},
		{"a chained write", "GET", `/civicrm/ajax/api4/Contact/get?params={"chain":{"n":["Note","create",{}]}}`, "", ReasonChainedWrite},
		{"a chained write from the query", "GET", `/civicrm/ajax/api4/Contact/get?params={}&chain[n][0]=Note&chain[n][1]=save`, "", ReasonChainedWrite},
		{"a nested chained write", "GET", `/civicrm/ajax/api4/Contact/get?params={"chain":{"e":["Email","get",{"chain":{"d":["Email","delete"]}}]}}`, "", ReasonChainedWrite},
		{"a $-named chain", "GET", `/civicrm/ajax/api4/Contact/get?params={"chain":{"x":["$contact_type","get"]}}`, "", ReasonChainedWrite},
		{"a read chain", "GET", `/civicrm/ajax/api4/Contact/get?params={"chain":{"e":["Email","get",{}]}}`, "", ""},
		{"debug", "GET", `/civicrm/ajax/api4/Contact/get?params={"debug":true}`, "", ReasonDebug},
		{"debug in a chain", "GET", `/civicrm/ajax/api4/Contact/get?params={"chain":{"e":["Email","get",{"debug":1}]}}`, "", ReasonDebug},
		{"batch", "POST", "/civicrm/ajax/api4", `calls=[["Contact","get"]]`, ReasonBatch},
		{"params CiviCRM cannot decode", "POST", "/civicrm/ajax/api4/Contact/get", "params=nope", ReasonUncacheable},
		{"a join that cannot be read", "GET", `/civicrm/ajax/api4/Contact/get?params={"join":[5]}`, "", ReasonUncacheable},
		// Civi\Api4\CiviCase runs the Case entity: a rule naming either covers both.
		{"the deny list names the CiviCase class", "GET", "/civicrm/ajax/api4/Case/getFields", "", ReasonDenied},
		{"the deny list names the Case entity", "GET", "/civicrm/ajax/api4/CiviCase/getActions", "", ReasonDenied},
		{"the CiviCase class in a chain", "GET", `/civicrm/ajax/api4/Contact/get?params={"chain":{"c":["CiviCase","getFields"]}}`, "", ReasonDenied},
	}
	for _, tc := range cases {
		d := c.Decide(api4(t, tc.method, tc.target, tc.form))
		if d.Reason != tc.want || d.Cacheable != (tc.want == "") {
			t.Errorf("%s: %+v, want %q", tc.name, d, tc.want)
		}
	}
	d := c.Decide(api4(t, "GET", `/civicrm/ajax/api4/Contact/get?params={"join":[["Email%20AS%20e","LEFT"]],"chain":{"n":["Note","get"]}}`, ""))
	if strings.Join(d.Reads, ",") != "Contact,Email,Note" {
		t.Errorf("reads: %v", d.Reads)
	}
}

// Equivalent requests share a key; requests CiviCRM answers differently
// never do.
func TestKeyAPI4(t *testing.T) {
	c, _ := newTestCache(t, Config{Shared: []string{"Contact.getFields"}})
	key := func(method, target, form string, contact int64) string {
		r := c.Prepare(api4(t, method, target, form), contact)
		if !r.Cacheable {
			t.Fatalf("%s %s not cacheable: %s", method, target, r.Reason)
		}
		return r.Key
	}
	base := key("GET", `/civicrm/ajax/api4/Contact/get?params={"select":["id"],"limit":2}`, "", 5)
	for name, k := range map[string]string{
		"POST":                         key("POST", "/civicrm/ajax/api4/Contact/get", `params={"limit":2,"select":["id"]}`, 5),
		"version and checkPermissions": key("GET", `/civicrm/ajax/api4/Contact/get?params={"select":["id"],"limit":2,"version":4,"CheckPermissions":false}`, "", 5),
		"a cache buster":               key("GET", `/civicrm/ajax/api4/Contact/get?params={"select":["id"],"limit":2}&_=123`, "", 5),
	} {
		if k != base {
			t.Errorf("%s: another key", name)
		}
	}
	for name, k := range map[string]string{
		"another contact":     key("GET", `/civicrm/ajax/api4/Contact/get?params={"select":["id"],"limit":2}`, "", 6),
		"index":               key("GET", `/civicrm/ajax/api4/Contact/get?params={"select":["id"],"limit":2}&index=0`, "", 5),
		"a string limit":      key("GET", `/civicrm/ajax/api4/Contact/get?params={"select":["id"],"limit":"2"}`, "", 5),
		"select order":        key("GET", `/civicrm/ajax/api4/Contact/get?params={"select":["id","display_name"],"limit":2}`, "", 5),
		"spelling":            key("GET", `/civicrm/ajax/api4/contact/get?params={"select":["id"],"limit":2}`, "", 5),
		"language":            key("GET", `/civicrm/ajax/api4/Contact/get?params={"select":["id"],"limit":2,"language":"fr_FR"}`, "", 5),
		"a merged query key":  key("GET", `/civicrm/ajax/api4/Contact/get?params={"select":["id"],"limit":2}&offset=1`, "", 5),
		"APIv3's Contact.get": c.Prepare(jsonCall(t, "Contact", "get", `{"select":["id"],"limit":2}`), 5).Key,
		"a CMS's verbose URL": key("GET", `/index.php?q=civicrm/ajax/api4/Contact/get&params={"select":["id"],"limit":2}`, "", 5),
	} {
		if k == base {
			t.Errorf("%s: the same key", name)
		}
	}
	// lcMessages chooses the answer's language, from the query or the
	// form body ($_REQUEST: the body's over the query's).
	post := `params={"limit":2,"select":["id"]}`
	queryDE := key("POST", "/civicrm/ajax/api4/Contact/get?lcMessages=de_DE", post, 5)
	bodyDE := key("POST", "/civicrm/ajax/api4/Contact/get", post+"&lcMessages=de_DE", 5)
	bodyFR := key("POST", "/civicrm/ajax/api4/Contact/get", post+"&lcMessages=fr_FR", 5)
	bodyOverQuery := key("POST", "/civicrm/ajax/api4/Contact/get?lcMessages=de_DE", post+"&lcMessages=fr_FR", 5)
	aliasFR := key("POST", "/civicrm/ajax/api4/Contact/get", post+"&amp;lcMessages=fr_FR", 5)
	for name, k := range map[string]string{"query": queryDE, "body": bodyDE, "body fr": bodyFR, "body over query": bodyOverQuery, "an amp; alias": aliasFR} {
		if k == base {
			t.Errorf("lcMessages in the %s: the key of the call without it", name)
		}
	}
	if bodyDE == bodyFR || bodyOverQuery == queryDE {
		t.Error("lcMessages: two languages share a key")
	}
	ob1 := key("GET", `/civicrm/ajax/api4/Contact/get?params={"orderBy":{"a":"ASC","b":"ASC"}}`, "", 5)
	if ob2 := key("GET", `/civicrm/ajax/api4/Contact/get?params={"orderBy":{"b":"ASC","a":"ASC"}}`, "", 5); ob1 == ob2 {
		t.Error("orderBy's key order changes the answer")
	}
	// Two spellings of one parameter: the last one sets it on the releases
	// that take both (each setter overwrites), so their order is the call.
	sp1 := key("GET", `/civicrm/ajax/api4/Contact/get?params={"Select":["display_name"],"select":["id"]}`, "", 5)
	if sp2 := key("GET", `/civicrm/ajax/api4/Contact/get?params={"select":["id"],"Select":["display_name"]}`, "", 5); sp1 == sp2 {
		t.Error("Select and select in either order share a key: the last one decides")
	}
	if sp3 := key("GET", `/civicrm/ajax/api4/Contact/get?params={"select":["id"]}`, "", 5); sp1 == sp3 {
		t.Error("a call 6.17.2 refuses (Select) shares a key with one it runs")
	}
	gf := `/civicrm/ajax/api4/Contact/getFields?params={}`
	if key("GET", gf, "", 5) != key("GET", gf, "", 6) || key("GET", gf, "", 5) == key("GET", gf, "", Anonymous) {
		t.Error("shared: one entry for authenticated callers, another for anonymous ones")
	}
}

// Writes of either API version invalidate reads of both.
func TestInvalidationAcrossVersions(t *testing.T) {
	c, _ := newTestCache(t, Config{DefaultTTL: time.Hour})
	ctx := context.Background()
	v4body := `{"values":[],"entity":"Contact","action":"get","debug":null,"version":4,"count":0,"countFetched":0}`
	store := func(call *translate.Call, body string) {
		up := &counter{resp: ok200(body)}
		c.Serve(ctx, c.Prepare(call, 5), up.fetch)
		if out := c.Serve(ctx, c.Prepare(call, 5), up.fetch); !out.Status.Hit {
			t.Fatalf("not a hit: %s", out.Status)
		}
	}
	missed := func(name string, call *translate.Call) {
		up := &counter{resp: ok200(okBody)}
		if out := c.Serve(ctx, c.Prepare(call, 5), up.fetch); out.Status.Hit {
			t.Errorf("%s: still a hit", name)
		}
	}
	v4get := api4(t, "GET", `/civicrm/ajax/api4/Contact/get?params={}`, "")
	v3get := jsonCall(t, "Email", "get", `{"contact_id":3}`)

	store(v4get, v4body)
	if err := c.Invalidate(ctx, jsonCall(t, "Contact", "create", `{"contact_type":"Individual"}`)); err != nil {
		t.Fatal(err)
	}
	missed("APIv3 Contact.create → APIv4 Contact.get", v4get)

	store(v3get, okBody)
	if err := c.Invalidate(ctx, api4(t, "POST", "/civicrm/ajax/api4/Email/save", `params={"records":[{}]}`)); err != nil {
		t.Fatal(err)
	}
	missed("APIv4 Email.save → APIv3 Email.get", v3get)

	store(v4get, v4body)
	if err := c.Invalidate(ctx, api4(t, "POST", "/civicrm/ajax/api4/Individual/update", `params={}`)); err != nil {
		t.Fatal(err)
	}
	missed("APIv4 Individual.update → APIv4 Contact.get", v4get)

	// Civi\Api4\CiviCase is the Case entity (CiviCase::getEntityName).
	v4cases := api4(t, "GET", `/civicrm/ajax/api4/CiviCase/get?params={}`, "")
	store(v4cases, v4body)
	if err := c.Invalidate(ctx, jsonCall(t, "Case", "create", `{"contact_id":3}`)); err != nil {
		t.Fatal(err)
	}
	missed("APIv3 Case.create → APIv4 CiviCase.get", v4cases)
	v3cases := jsonCall(t, "Case", "get", `{}`)
	store(v3cases, okBody)
	if err := c.Invalidate(ctx, api4(t, "POST", "/civicrm/ajax/api4", `calls=[["CiviCase","delete",{"where":[["id","=",1]]}]]`)); err != nil {
		t.Fatal(err)
	}
	missed("APIv4 CiviCase.delete in a batch → APIv3 Case.get", v3cases)

	store(v4get, v4body)
	if err := c.PurgeEntity(ctx, "contact"); err != nil {
		t.Fatal(err)
	}
	missed("purge contact → APIv4 Contact.get", v4get)

	for name, call := range map[string]*translate.Call{
		"a read":                   api4(t, "POST", "/civicrm/ajax/api4/Contact/get", `params={}`),
		"autocomplete":             api4(t, "POST", "/civicrm/ajax/api4/Contact/autocomplete", `params={}`),
		"a batch of reads":         api4(t, "POST", "/civicrm/ajax/api4", `calls=[["Contact","get"]]`),
		"a read with a read chain": api4(t, "GET", `/civicrm/ajax/api4/Contact/get?params={"chain":{"e":["Email","get"]}}`, ""),
		// Not what the entity's writes make CiviCRM write (sideWrites).
		"a read of an entity whose writes write others": api4(t, "GET", `/civicrm/ajax/api4/Membership/get?params={}`, ""),
	} {
		if e, all := WriteTargets(call); len(e) > 0 || all {
			t.Errorf("%s writes %v %v", name, e, all)
		}
	}
	for name, want := range map[*translate.Call]string{
		api4(t, "POST", "/civicrm/ajax/api4", `calls=[["Contact","get"],["Log,Note","create"]]`):            "Log,Note",
		api4(t, "GET", `/civicrm/ajax/api4/Contact/get?params={"chain":{"n":["Email","delete"]}}`, ""):      "Email",
		api4(t, "POST", "/civicrm/ajax/api4/Contact/getChecksum", `params={}`):                              "Contact",
		api4(t, "GET", `/civicrm/ajax/api4/Contact/get?params={"chain":{"n":["$entity","delete"]}}`, ""):    "*",
		api4(t, "POST", "/civicrm/ajax/api4/Note/create", `params=nope`):                                    "Log,Note",
		api4(t, "POST", "/civicrm/ajax/api4/Note/save", `params={}`):                                        "Log,Note",
		api4(t, "POST", "/civicrm/ajax/api4/Afform/submit", `params={}`):                                    "*",
		api4(t, "POST", "/civicrm/ajax/api4/SearchDisplay/inlineEdit", `params={}`):                         "*",
		api4(t, "POST", "/civicrm/ajax/api4/Contact/mergeDuplicates", `params={}`):                          "*",
		api4(t, "POST", "/civicrm/ajax/api4", `calls=[["Note","create"],["Afform","SUBMIT"]]`):              "*",
		api4(t, "POST", "/civicrm/ajax/api4/Contact/get?chain[e][0]=Email&chain[e][1]=create", `params={}`): "Email",
	} {
		e, all := WriteTargets(name)
		got := strings.Join(e, ",")
		if all {
			got = "*"
		}
		if got != want {
			t.Errorf("%s %s: writes %q, want %q", name.Method, name.API4.Entity+"."+name.API4.Action, got, want)
		}
	}
}

// A name whose data spans entities (APIv3's Attachment is File and
// EntityFile, translate.EntityDataOf) is written and read under each of
// them: an Attachment write empties cached APIv4 File and EntityFile reads,
// and a write of either empties a cached APIv3 Attachment.get.
func TestSpanningNamesMeetEveryPart(t *testing.T) {
	c, _ := newTestCache(t, Config{DefaultTTL: time.Hour})
	ctx := context.Background()
	file4 := api4(t, "GET", `/civicrm/ajax/api4/File/get?params={}`, "")
	entityFile4 := api4(t, "GET", `/civicrm/ajax/api4/EntityFile/get?params={}`, "")
	attachment3 := jsonCall(t, "Attachment", "get", `{"id":1}`)
	contact4 := api4(t, "GET", `/civicrm/ajax/api4/Contact/get?params={}`, "")
	for _, w := range []*translate.Call{
		jsonCall(t, "Attachment", "create", `{"entity_table":"civicrm_contact","entity_id":3,"name":"a.txt","content":"x"}`),
		jsonCall(t, "Attachment", "delete", `{"id":1}`),
		api4(t, "POST", "/civicrm/ajax/api4/EntityFile/create", `params={"values":{"file_id":1}}`),
		api4(t, "POST", "/civicrm/ajax/api4/File/delete", `params={"where":[["id","=",1]]}`),
	} {
		var cached []*translate.Call
		for _, r := range []*translate.Call{file4, entityFile4, attachment3, contact4} {
			body := okV4Body
			if r.API4 == nil {
				body = okBody
			}
			up := &counter{resp: ok200(body)}
			c.Serve(ctx, c.Prepare(r, 5), up.fetch)
			if c.Lookup(ctx, c.Prepare(r, 5)).State != Fresh {
				t.Fatalf("%s.%s not stored", r.Entity, r.Action)
			}
			cached = append(cached, r)
		}
		if err := c.Invalidate(ctx, w); err != nil {
			t.Fatal(err)
		}
		name := w.Entity + "." + w.Action
		if w.API4 != nil {
			name = "APIv4 " + w.API4.Entity + "." + w.API4.Action
		}
		wantMissed := map[*translate.Call]bool{attachment3: true}
		switch {
		case w.API4 == nil:
			wantMissed[file4], wantMissed[entityFile4] = true, true
		case w.API4.Entity == "File":
			wantMissed[file4] = true
		default:
			wantMissed[entityFile4] = true
		}
		for _, r := range cached {
			fresh := c.Lookup(ctx, c.Prepare(r, 5)).State == Fresh
			what := r.Entity + "." + r.Action
			if r.API4 != nil {
				what = "APIv4 " + r.API4.Entity + "." + r.API4.Action
			}
			if wantMissed[r] && fresh {
				t.Errorf("%s left a cached %s fresh", name, what)
			}
			if !wantMissed[r] && !fresh {
				t.Errorf("%s invalidated a cached %s", name, what)
			}
		}
	}
}

func TestEntityKey(t *testing.T) {
	for in, want := range map[string]string{"OptionValue": "optionvalue", "option_value": "optionvalue", "Individual": "contact",
		"household": "contact", "Custom_Extra": "customvalue", "AclRole": "aclentityrole", "Exception": "dedupeexception", "CustomValue": "customvalue", "Contact": "contact", "UFGroup": "ufgroup",
		"User": "ufmatch", "uf_match": "ufmatch",
		"CiviCase": "case"} {
		if got := entityKey(in); got != want {
			t.Errorf("entityKey(%q) = %q, want %q", in, got, want)
		}
	}
	if !apiV4Success([]byte(`{"values":[],"count":0}`)) || apiV4Success([]byte(`{"error_code":0,"error_message":"x"}`)) || apiV4Success([]byte(`[{}]`)) {
		t.Error("apiV4Success")
	}
}

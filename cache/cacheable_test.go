package cache

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/translate"
)

func testPolicy(t *testing.T, cfg Config) *Cache {
	t.Helper()
	c, err := New(cfg, NewMemoryStore(1<<20, nil))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDecide(t *testing.T) {
	c := testPolicy(t, Config{})
	cases := []struct {
		name           string
		entity, action string
		params         string
		want           Reason // "" = cacheable
	}{
		{"plain get", "Contact", "get", `{"sequential":1}`, ""},
		{"lowercase entity", "contact", "Get", ``, ""},
		{"every generic read", "Email", "getsingle", `{"id":1}`, ""},
		{"getvalue", "Contact", "getvalue", `{"id":1,"return":"display_name"}`, ""},
		{"getcount", "Contact", "getcount", ``, ""},
		{"getoptions", "Contact", "getoptions", `{"field":"gender_id"}`, ""},
		{"getfields", "Contact", "getfields", ``, ""},
		{"getfields cache_clear", "Contact", "getfields", `{"cache_clear":1}`, ReasonUncacheable},
		{"getlist", "Contact", "getlist", ``, ""},
		{"getactions", "Contact", "getactions", ``, ""},
		{"getunique", "Contact", "getunique", ``, ""},
		{"getrefcount", "Contact", "getrefcount", `{"id":3}`, ""},
		{"create", "Contact", "create", `{"contact_type":"Individual"}`, ReasonWrite},
		{"delete", "Contact", "delete", `{"id":3}`, ReasonWrite},
		{"entity-specific get*", "Contact", "getmergedfrom", `{"id":3}`, ReasonUncacheable},
		{"System.check denied", "System", "check", ``, ReasonDenied},
		{"other check", "Foo", "check", ``, ReasonUncacheable},

		{"version 3 int", "Contact", "get", `{"version":3}`, ""},
		{"version 3 string", "Contact", "get", `{"version":"3"}`, ""},
		{"version 4", "Contact", "get", `{"version":4}`, ReasonVersion},
		{"version 3.0 is 3 to CiviCRM", "Contact", "get", `{"version":"3.0"}`, ""},
		{"version true is 3 to CiviCRM", "Contact", "get", `{"version":true}`, ""},
		{"version 4 in a chain", "Contact", "get", `{"api.Email.get":{"version":4}}`, ReasonVersion},
		{"version null", "Contact", "get", `{"version":null}`, ReasonVersion},

		{"debug 1", "Contact", "get", `{"debug":1}`, ReasonDebug},
		{"debug string 1", "Contact", "get", `{"debug":"1"}`, ReasonDebug},
		{"debug string false is on", "Contact", "get", `{"debug":"false"}`, ReasonDebug},
		{"debug true", "Contact", "get", `{"debug":true}`, ReasonDebug},
		{"debug array", "Contact", "get", `{"debug":[0]}`, ReasonDebug},
		{"debug 0", "Contact", "get", `{"debug":0}`, ""},
		{"debug string 0", "Contact", "get", `{"debug":"0"}`, ""},
		{"debug 0.0", "Contact", "get", `{"debug":0.0}`, ""},
		{"debug empty", "Contact", "get", `{"debug":""}`, ""},
		{"debug false", "Contact", "get", `{"debug":false}`, ""},
		{"debug null", "Contact", "get", `{"debug":null}`, ""},

		{"force_rollback", "Contact", "get", `{"options":{"force_rollback":1}}`, ReasonUncacheable},
		{"force_rollback dotted", "Contact", "get", `{"options.force_rollback":1}`, ReasonUncacheable},
		{"is_transactional", "Contact", "get", `{"is_transactional":0}`, ReasonUncacheable},

		{"deny ReportTemplate.getrows", "ReportTemplate", "getrows", ``, ReasonDenied},
		{"deny Extension.getremote", "Extension", "getremote", ``, ReasonDenied},
		{"deny Dedupe.getduplicates", "Dedupe", "getduplicates", ``, ReasonDenied},
		{"Dedupe.getstatistics not generic", "Dedupe", "getstatistics", ``, ReasonUncacheable},

		// Chains (ChainSubscriber rules).
		{"chained get", "Contact", "get", `{"api.Email.get":{}}`, ""},
		{"chained get list", "Contact", "get", `{"api.Email.get":[{"is_primary":1},{}]}`, ""},
		{"chained create", "Contact", "get", `{"api.Email.create":{"email":"a@b.c"}}`, ReasonChainedWrite},
		{"chained delete int 1", "Contact", "get", `{"api.Contact.delete":1}`, ReasonChainedWrite},
		{"chained delete string 1 is no chain", "Contact", "get", `{"api.Contact.delete":"1"}`, ""},
		{"chained delete float 1.0 is no chain", "Contact", "get", `{"api.Contact.delete":1.0}`, ""},
		{"chained delete true is no chain", "Contact", "get", `{"api.Contact.delete":true}`, ""},
		{"chained delete 2 is no chain", "Contact", "get", `{"api.Contact.delete":2}`, ""},
		{"underscore separator", "Contact", "get", `{"api_Email_create":{"email":"x"}}`, ReasonChainedWrite},
		{"other separator ignored", "Contact", "get", `{"api-Email-create":{"email":"x"}}`, ""},
		{"missing action = parent get", "Contact", "get", `{"api.Email":{}}`, ""},
		{"missing action = parent create", "Contact", "create", `{"api.Email":{}}`, ReasonWrite},
		{"action 0 = parent", "Contact", "get", `{"api.Email.0":{}}`, ""},
		{"write in list element", "Contact", "get", `{"api.Email.get":[{},{"api.Phone.create":{"phone":"1"}}]}`, ReasonChainedWrite},
		{"nested write", "Contact", "get", `{"api.Email.get":{"api.Phone.get":{"api.Note.delete":1}}}`, ReasonChainedWrite},
		{"nested reads", "Contact", "get", `{"api.Email.get":{"api.Phone.get":{"api.Note.get":1}}}`, ""},
		{"api.has_parent ignored", "Contact", "get", `{"api.has_parent":1}`, ""},
		{"api_params ignored", "Contact", "get", `{"api_params":{"x":1}}`, ""},
		{"Contact api_key is a field", "Contact", "get", `{"api_key":{"IS NOT NULL":1}}`, ""},
		{"Job api_action is a field", "Job", "get", `{"api_action":{"x":1}}`, ""},
		{"Email api_key is a chain (Key.get)", "Email", "get", `{"api_key":{"x":1}}`, ""},
		{"Email api_key_create is a chained write", "Email", "get", `{"api_key_create":{"x":1}}`, ReasonChainedWrite},
		{"chained entity-specific read", "Contact", "get", `{"api.Contact.getmergedfrom":{}}`, ReasonUncacheable},
		{"chained denied read", "Contact", "get", `{"api.ReportTemplate.getrows":{}}`, ReasonDenied},
		{"chained getfields cache_clear", "Contact", "get", `{"api.Email.getfields":{"cache_clear":1}}`, ReasonUncacheable},
		{"deep chain of reads", "Contact", "get", deepChain(40), ""},
		{"deep chained write", "Contact", "get", strings.Replace(deepChain(40), "{}", `{"api.Note.delete":1}`, 1), ReasonChainedWrite},
		{"Contact api.key is a field too", "Contact", "get", `{"api.key":{"x":1}}`, ""},
		{"chained action with a suffix", "Contact", "get", `{"api.Email.create.x":{}}`, ReasonChainedWrite},
		{"chain created by $value substitution", "Contact", "get", `{"api.Contact.get":{"api_Contact_get":"$value.api.Email.get"}}`, ReasonChainedWrite},
		{"a $value reference in a chained read", "Contact", "get", `{"api.Email.get":{"contact_id":"$value.id"}}`, ""},
		{"className page call on any form", "Contact", "get", `{"className":"CRM_Contact_Page_AJAX"}`, ReasonChainedWrite},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := c.Decide(jsonCall(t, tc.entity, tc.action, tc.params))
			if d.Cacheable != (tc.want == "") || d.Reason != tc.want {
				t.Fatalf("Decide = cacheable %v reason %q, want reason %q", d.Cacheable, d.Reason, tc.want)
			}
		})
	}
}

// A chain deeper than any JSON can carry is built by hand: it is never
// cacheable, and its writes cannot be bounded.
func TestDecideTruncated(t *testing.T) {
	c := testPolicy(t, Config{})
	leaf := translate.NewArray()
	for range translate.MaxSubcallDepth + 2 {
		p := translate.NewArray()
		p.Set("api.Email.get", leaf)
		leaf = p
	}
	call := &translate.Call{Form: translate.FormAjax, Entity: "Contact", Action: "get", Params: leaf}
	if d := c.Decide(call); d.Cacheable || d.Reason != ReasonUncacheable {
		t.Fatalf("Decide = %+v", d)
	}
	if _, all := WriteTargets(call); !all {
		t.Fatal("WriteTargets bounded a truncated walk")
	}
}

func deepChain(n int) string {
	s := `{}`
	for range n {
		s = `{"api.Email.get":` + s + `}`
	}
	return s
}

func TestDecideCallShapes(t *testing.T) {
	c := testPolicy(t, Config{})
	base := func() *translate.Call { return jsonCall(t, "Contact", "get", ``) }
	cases := []struct {
		name string
		mod  func(*translate.Call)
		want Reason
	}{
		{"batch", func(c *translate.Call) { c.Batch = true }, ReasonBatch},
		{"className", func(c *translate.Call) { c.HasClassName = true; c.ClassName = "CRM_Contact_Page_AJAX" }, ReasonUncacheable},
		{"fnName", func(c *translate.Call) { c.FnName = "civicrm/Contact/get" }, ReasonUncacheable},
		{"refusal", func(c *translate.Call) { c.Refusal = &translate.Reply{} }, ReasonUncacheable},
		{"ping", func(c *translate.Call) { c.Ping = true }, ReasonUncacheable},
	}
	for _, tc := range cases {
		call := base()
		tc.mod(call)
		if d := c.Decide(call); d.Cacheable || d.Reason != tc.want {
			t.Errorf("%s: got %v %q, want %q", tc.name, d.Cacheable, d.Reason, tc.want)
		}
	}
	if d := c.Decide(nil); d.Cacheable {
		t.Error("nil call cacheable")
	}
}

// Key-value params are strings: api.Contact.delete=1 is no chain in PHP,
// and the GET rule has already let it through.
func TestDecideKeyValueChainString(t *testing.T) {
	c := testPolicy(t, Config{})
	call := httpCall(t, "GET", "/civicrm/extern/rest.php?entity=Contact&action=get&json=1&api.Contact.delete=1", "")
	if d := c.Decide(call); !d.Cacheable {
		t.Fatalf("string \"1\" treated as chain: %q", d.Reason)
	}
	call = httpCall(t, "GET", "/civicrm/extern/rest.php?entity=Contact&action=get&json="+q(`{"api.Contact.delete":1}`), "")
	if d := c.Decide(call); d.Reason != ReasonChainedWrite {
		t.Fatalf("json int 1 chain: got %v %q", d.Cacheable, d.Reason)
	}
	// Key-value array chain: api_Email_create[email]=x is a chain.
	call = httpCall(t, "GET", "/civicrm/extern/rest.php?entity=Contact&action=get&json=1&api.Email.create[email]=x", "")
	if d := c.Decide(call); d.Reason != ReasonChainedWrite {
		t.Fatalf("kv array chain: got %v %q", d.Cacheable, d.Reason)
	}
	call = httpCall(t, "GET", "/civicrm/extern/rest.php?entity=Contact&action=get&debug=false&json=1", "")
	if d := c.Decide(call); d.Reason != ReasonDebug {
		t.Fatalf("debug=false: got %v %q", d.Cacheable, d.Reason)
	}
}

func TestDecideConfig(t *testing.T) {
	c := testPolicy(t, Config{
		DefaultTTL: time.Minute,
		TTL: map[string]time.Duration{
			"Contact.getfields": time.Hour,
			"*.getoptions":      30 * time.Minute,
			"Email":             10 * time.Second,
			"Note.get":          0,
		},
		Deny:   []string{"Phone.get", "Website"},
		Shared: []string{"*.getfields", "OptionValue.get"},
	})
	check := func(entity, action, params string, cacheable bool, reason Reason, ttl time.Duration, shared bool) {
		t.Helper()
		d := c.Decide(jsonCall(t, entity, action, params))
		if d.Cacheable != cacheable || d.Reason != reason || (cacheable && (d.TTL != ttl || d.Shared != shared)) {
			t.Errorf("%s.%s %s: got %+v", entity, action, params, d)
		}
	}
	check("Contact", "getfields", ``, true, "", time.Hour, true)
	check("Contact", "getoptions", ``, true, "", 30*time.Minute, false)
	check("Email", "getoptions", ``, true, "", 30*time.Minute, false) // *.action beats Entity
	check("Email", "get", ``, true, "", 10*time.Second, false)
	check("Contact", "get", `{"return":"display_name"}`, true, "", time.Minute, false)
	check("Contact", "get", `{"return":"display_name","api.Email.get":{}}`, true, "", 10*time.Second, false) // smallest TTL
	// Contact.get's default return holds the primary phone (translate.V3Returns):
	// a read of Phone, which this cache never keeps; so does return=phone.
	check("Contact", "get", ``, false, ReasonDenied, 0, false)
	check("Contact", "get", `{"return":"phone"}`, false, ReasonDenied, 0, false)
	check("Note", "get", ``, false, ReasonDisabled, 0, false)
	check("Phone", "get", ``, false, ReasonDenied, 0, false)
	check("Phone", "getcount", ``, true, "", time.Minute, false)
	check("Website", "getcount", ``, false, ReasonDenied, 0, false)
	check("OptionValue", "get", ``, true, "", time.Minute, true)
	check("OptionValue", "get", `{"api.Contact.get":{"return":"id"}}`, true, "", time.Minute, false) // chains are never shared
	// The default deny list still applies.
	check("ReportTemplate", "getrows", ``, false, ReasonDenied, 0, false)
}

func TestDecideReads(t *testing.T) {
	c := testPolicy(t, Config{})
	d := c.Decide(jsonCall(t, "contact", "get", `{"api.Email.get":{"api.phone.get":1},"api.option_value.get":{}, "api_Email_get":{}}`))
	// Contact.get without a return answers the primary address and IM
	// too (translate.V3Returns).
	want := []string{"Address", "Contact", "Email", "IM", "OptionValue", "Phone"}
	if !slices.Equal(d.Reads, want) {
		t.Fatalf("Reads = %v, want %v", d.Reads, want)
	}
}

func TestWriteTargets(t *testing.T) {
	cases := []struct {
		call *translate.Call
		want []string
		all  bool
	}{
		{jsonCall(t, "Contact", "get", `{"api.Email.get":{}}`), nil, false},
		// A contact's save adds a change log row (sideWrites).
		{jsonCall(t, "Contact", "create", `{"api.Email.get":{}}`), []string{"Contact", "Log"}, false},
		// A phone's delete empties the phone_id of activities that
		// called it (schema ON DELETE SET NULL: deleteCascades).
		{jsonCall(t, "Contact", "get", `{"api.Email.create":{"api.Phone.delete":1}}`), []string{"Activity", "Email", "Phone"}, false},
		{jsonCall(t, "Contact", "create", `{"api.Address":{}}`), []string{"Address", "Contact", "Log"}, false},
		{jsonCall(t, "Activity", "get", `{"api.activity_contact.create":[{},{}]}`), []string{"ActivityContact"}, false},
		{&translate.Call{Batch: true, Params: mustArray(t, `{"a":["Contact","create",{}],"b":["Email","get",{"api.Phone.create":{}}]}`)}, []string{"Contact", "Log", "Phone"}, false},
		{&translate.Call{Batch: true, Params: mustArray(t, `{"a":"junk"}`)}, nil, true},
		{&translate.Call{HasClassName: true, Params: translate.NewArray()}, nil, true},
		// Never cached, but not writes either: no invalidation storm.
		{jsonCall(t, "System", "check", ``), nil, false},
		{jsonCall(t, "Dedupe", "getduplicates", ``), nil, false},
		{jsonCall(t, "Contact", "getfields", `{"cache_clear":1}`), nil, false},
		// Not cacheable for another reason first, yet it writes.
		{jsonCall(t, "Contact", "get", `{"debug":1,"api.Email.create":{}}`), []string{"Email"}, false},
		// A primary e-mail's UFMatch copy (translate's Own field write) is
		// no write of its own: UFMatch reads depend on Email (readsThrough),
		// and a global write would empty the cache on every e-mail save.
		{jsonCall(t, "Email", "create", `{"contact_id":3,"email":"n@x.org","is_primary":1}`), []string{"Email"}, false},
		{jsonCall(t, "Contact", "get", `{"version":4,"api.Note.delete":1}`), []string{"Log", "Note"}, false},
		// An APIv4 write's custom field keys write the group's CustomValue data.
		{jsonCall(t, "Contact", "update", `{"version":4,"where":[["id","=",2]],"values":{"Extra.colour":"red"}}`), []string{"Contact", "Custom_Extra", "Log"}, false},
		// An APIv3 contact create saves group memberships, location records
		// and custom values under its own name (translate's contactWrites,
		// v3CustomWrites): their cached reads are invalidated.
		{jsonCall(t, "Contact", "create", `{"id":2,"group":{"1":1},"email":"a@b.c","custom_1":"x"}`), []string{"Contact", "CustomValue", "Email", "GroupContact", "Log"}, false},
		// A new activity also writes its source contact's ActivityContact row.
		{jsonCall(t, "Activity", "create", `{"custom_3_-1":"x"}`), []string{"Activity", "ActivityContact", "CustomValue", "Log"}, false},
		// Order.create's line items save what they name before the
		// contribution (translate's v3OrderLines, v4OrderLines): a
		// participant with its params' chains, any entity_table's
		// record, and a table the edge cannot tell may be anything.
		{jsonCall(t, "Order", "create", `{"contact_id":3,"line_items":[{"params":{"contact_id":3,"event_id":1,"api.Phone.create":{"phone":"1"}},"line_item":[{"entity_table":"civicrm_participant","membership_type_id":0}]}]}`),
			[]string{"Activity", "Contribution", "Log", "Order", "Participant", "Phone"}, false},
		{api4(t, "POST", "/civicrm/ajax/api4/Order/create", "params="+q(`{"contributionValues":{"contact_id":3},"lineItems":[{"entity_table":"civicrm_phone","entity_id":4,"entity_id.phone":"1"}]}`)),
			[]string{"Contribution", "Order", "Phone"}, false},
		{api4(t, "POST", "/civicrm/ajax/api4/Order/create", "params="+q(`{"contributionValues":{"contact_id":3},"lineItems":[{"entity_table":"civicrm_value_extra","entity_id":4,"entity_id.colour":"red"}]}`)),
			nil, true},
		// The recurring contribution contributionRecurValues create, and a
		// listed table's entity (civicrm_status_pref: StatusPreference).
		{api4(t, "POST", "/civicrm/ajax/api4/Order/create", "params="+q(`{"contributionValues":{"contact_id":3},"contributionRecurValues":{"amount":5},"lineItems":[{"entity_table":"civicrm_status_pref","entity_id":4,"entity_id.is_active":false}]}`)),
			[]string{"Contribution", "ContributionRecur", "Order", "StatusPreference"}, false},
		// A write that is not plain CRUD on its entity may change any
		// entity (attack round 4, F11): everything, whatever the entity.
		{jsonCall(t, "Job", "execute", ``), nil, true},
		{jsonCall(t, "Profile", "submit", `{"profile_id":1,"contact_id":3}`), nil, true},
		{jsonCall(t, "Contribution", "completetransaction", `{"id":1}`), nil, true},
		{jsonCall(t, "Contribution", "repeattransaction", `{"original_contribution_id":1}`), nil, true},
		{jsonCall(t, "Contact", "merge", `{"to_keep_id":1,"to_remove_id":2}`), nil, true},
		{jsonCall(t, "Widget", "frobnicate", ``), nil, true},
		{jsonCall(t, "Contact", "get", `{"api.Mailing.event_unsubscribe":{}}`), nil, true},
		{jsonCall(t, "Note", "setvalue", `{"id":1,"field":"note","value":"x"}`), []string{"Log", "Note"}, false},
		{jsonCall(t, "Note", "replace", `{"entity_id":1,"values":[]}`), []string{"Log", "Note"}, false},
		{jsonCall(t, "Note", "Update", `{"id":1}`), []string{"Log", "Note"}, false},
		{jsonCall(t, "Contact", "get", `{"api_Email_create":{},"api.Phone.delete.x":1}`), []string{"Activity", "Email", "Phone"}, false},
		{jsonCall(t, "Contact", "get", `{"version":4,"chain":{"e":["Note","delete",{}]}}`), []string{"Log", "Note"}, false},
		{jsonCall(t, "Contact", "get", `{"version":4,"chain":{"e":["$entity","delete",{}]}}`), nil, true},
		{&translate.Call{Batch: true, Params: mustArray(t, `{"a":["Email"," create",{}],"b":[["x"],"get"]}`)}, nil, true},
		{&translate.Call{Batch: true, Params: mustArray(t, `{"a":["Email"," create",{}],"b":["Phone","get",{"api_Note_delete":1}]}`)}, []string{"Email", "Log", "Note"}, false},
		// What CiviCRM builds at run time may hide anything.
		{jsonCall(t, "Contact", "get", `{"api.Contact.get":{"api_Note_delete":"$value.x"}}`), nil, true},
		{&translate.Call{Form: translate.FormWPRest, Entity: "Contact", Action: "get", Params: mustArray(t, `{"className":"CRM_Contact_Page_AJAX"}`)}, nil, true},
	}
	for i, tc := range cases {
		got, all := WriteTargets(tc.call)
		if !slices.Equal(got, tc.want) || all != tc.all {
			t.Errorf("case %d: got %v all=%v, want %v all=%v", i, got, all, tc.want, tc.all)
		}
	}
}

func mustArray(t *testing.T, s string) *translate.Array {
	v, err := translate.DecodeJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v.(*translate.Array)
}

// A cache deny line keeps out the reads of every name whose data overlaps
// its entity's (translate.EntitiesSharingData): Standalone's User is
// UFMatch's table, APIv4's Individual is Contact, APIv3's Attachment is
// File and EntityFile. shared lines, which let an answer reach other
// callers, stay exact.
func TestDecideDenyCoversSharedData(t *testing.T) {
	c := testPolicy(t, Config{
		DefaultTTL: time.Minute,
		Deny:       []string{"UFMatch", "Contact.get", "File.get"},
		Shared:     []string{"User.get"},
	})
	v3 := []struct {
		entity, action string
		want           Reason
	}{
		{"User", "get", ReasonDenied},
		{"user", "getcount", ReasonDenied},
		{"UFMatch", "get", ReasonDenied},
		{"Attachment", "get", ReasonDenied},
		{"EntityFile", "get", ""}, // File's rows alone are denied; Attachment reads both
		{"Email", "get", ""},
	}
	for _, tc := range v3 {
		d := c.Decide(jsonCall(t, tc.entity, tc.action, ``))
		if d.Reason != tc.want {
			t.Errorf("APIv3 %s.%s: got %+v, want reason %q", tc.entity, tc.action, d, tc.want)
		}
	}
	for _, target := range []string{
		`/civicrm/ajax/api4/User/get?params={"select":["id"]}`,
		`/civicrm/ajax/api4/Individual/get?params={"select":["id"]}`,
		`/civicrm/ajax/api4/Organization/get?params={"select":["id"]}`,
	} {
		if d := c.Decide(api4(t, "GET", target, "")); d.Reason != ReasonDenied {
			t.Errorf("%s: got %+v, want denied", target, d)
		}
	}
	// A deny on User keeps UFMatch out too; shared UFMatch does not share User.
	c = testPolicy(t, Config{DefaultTTL: time.Minute, Deny: []string{"User.get"}, Shared: []string{"UFMatch.get"}})
	if d := c.Decide(jsonCall(t, "UFMatch", "get", ``)); d.Reason != ReasonDenied {
		t.Errorf("deny User.get, UFMatch.get: got %+v", d)
	}
	c = testPolicy(t, Config{DefaultTTL: time.Minute, Shared: []string{"UFMatch.get"}})
	if d := c.Decide(jsonCall(t, "User", "get", ``)); d.Shared {
		t.Errorf("shared UFMatch.get made User.get shared: %+v", d)
	}
}

package authx

import (
	"net/netip"
	"testing"

	"github.com/civigate/civigate/translate"
)

func arr(kv ...any) *translate.Array {
	a := translate.NewArray()
	for i := 0; i < len(kv); i += 2 {
		a.Set(kv[i].(string), kv[i+1])
	}
	return a
}

func TestPolicy(t *testing.T) {
	p := &Policy{Default: "deny", Rules: []Rule{
		{Effect: "deny", Fingerprints: []string{"deadbeef"}},
		{Effect: "deny", Networks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, Actions: []string{"create", "delete"}},
		{Effect: "allow", Contacts: []int64{3}, Entities: []string{"*"}},
		{Effect: "allow", Entities: []string{"contact"}, Actions: []string{"Get", "getsingle"},
			Params: map[string]string{"id": "int", "email": "email", "return": "array", "options": "array"}},
		{Effect: "allow", Entities: []string{"option_value"}, Actions: []string{"get"}},
		// APIv3 Contact.get's default return and its email filter read
		// these (translate.V3Returns).
		{Effect: "allow", Entities: []string{"Email", "Phone", "Address", "IM"}, Actions: []string{"get"}},
	}}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	admin := &Principal{ContactID: 3, KeyFingerprint: "00000000"}
	user := &Principal{ContactID: 8, KeyFingerprint: "11111111"}
	revoked := &Principal{ContactID: 3, KeyFingerprint: "deadbeef"}
	ip := netip.MustParseAddr("192.0.2.1")
	lan := netip.MustParseAddr("::ffff:10.1.2.3")
	call := func(ent, act string, params *translate.Array) *translate.Call {
		return &translate.Call{Entity: ent, Action: act, Params: params}
	}
	cases := []struct {
		name string
		p    *Principal
		c    *translate.Call
		ip   netip.Addr
		ok   bool
	}{
		{"admin anything", admin, call("Contact", "delete", arr("id", "4")), ip, true},
		{"revoked key first", revoked, call("Contact", "get", nil), ip, false},
		{"network deny before admin allow (v4-mapped)", admin, call("Contact", "create", nil), lan, false},
		{"network rule only for create/delete", admin, call("Contact", "get", nil), lan, true},
		{"user get with typed params", user, call("Contact", "get", arr("id", "5", "sequential", "1")), ip, true},
		{"action normalised", user, call("contact", "GET", arr("id", translate.Number("5"))), ip, true},
		{"wrong param type", user, call("Contact", "get", arr("id", "5 OR 1")), ip, false},
		{"undeclared param", user, call("Contact", "get", arr("id", "5", "api_key", "x")), ip, false},
		{"email type", user, call("Contact", "getsingle", arr("email", "a@example.org")), ip, true},
		{"email type bad", user, call("Contact", "getsingle", arr("email", "nope")), ip, false},
		{"entity camel/underscore", user, call("OptionValue", "get", nil), ip, true},
		{"default deny", user, call("Contact", "create", nil), ip, false},
		{"chained delete smuggled in a get", user, call("OptionValue", "get", arr("api.Contact.delete", translate.Number("1"))), ip, false},
		{"chained call allowed when its rule allows", user, call("OptionValue", "get", arr("api.option_value.get", arr())), ip, true},
		{"API. prefix is a parameter, not a chain (CiviCRM compares it case-sensitively)", user, call("OptionValue", "get", arr("API.Contact.delete", arr("id", "1"))), ip, true},
		{"underscore chain separator", user, call("OptionValue", "get", arr("api_Contact_delete", arr("id", "1"))), ip, false},
		{"chained action with a suffix", user, call("OptionValue", "get", arr("api.option_value.get.x", arr(), "api.Contact.delete.x", arr())), ip, false},
		{"chained entity spelled otherwise", user, call("OptionValue", "get", arr("api.optionValue.get", arr())), ip, true},
		{"nested chain", user, call("OptionValue", "get", arr("api.OptionValue.get", arr("api.Contact.create", arr()))), ip, false},
		{"batch members checked", user, &translate.Call{Entity: "api3", Action: "call", Batch: true, Params: arr("a", arr("0", "Contact", "1", "delete", "2", arr()))}, ip, false},
		{"version 4 needs a rule naming it", admin, call("Contact", "get", arr("version", translate.Number("4"))), ip, false},
		{"version 4 chain needs a rule naming it", admin, call("Contact", "get", arr("api.Email.get", arr("version", "4"))), ip, false},
	}
	for _, c := range cases {
		rej := p.Check(c.p, c.c, c.ip)
		if (rej == nil) != c.ok {
			t.Errorf("%s: allowed=%v, want %v (%v)", c.name, rej == nil, c.ok, rej)
		}
		if rej != nil && (rej.Reason != ReasonPolicy || rej.HTTPStatus() != 403) {
			t.Errorf("%s: %+v", c.name, rej)
		}
	}
	if (&Policy{}).Check(user, call("Contact", "delete", nil), ip) != nil {
		t.Error("empty policy should allow")
	}
	var nilPolicy *Policy
	if nilPolicy.Check(user, call("Contact", "delete", nil), ip) != nil {
		t.Error("nil policy should allow")
	}
	for _, bad := range []*Policy{{Default: "maybe"}, {Rules: []Rule{{Effect: "permit"}}}, {Rules: []Rule{{Effect: "allow", Params: map[string]string{"id": "uuid"}}}}} {
		if bad.Validate() == nil {
			t.Errorf("%+v validated", bad)
		}
	}
}

func TestPolicyThroughAuthenticate(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		// Contact.get's default return reads the location records too.
		c.Policy = &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"Contact", "Email", "Phone", "Address", "IM"}, Actions: []string{"get"}}}}
	})
	c := contactGet()
	c.Credentials = credsWith("Bearer " + akUser)
	if _, rej := e.a.Authenticate(t.Context(), Request{Call: c}); rej != nil {
		t.Fatal(rej)
	}
	c.Action = "delete"
	_, rej := e.a.Authenticate(t.Context(), Request{Call: c})
	if rej == nil || rej.Reason != ReasonPolicy || rej.Flow != FlowXHeader {
		t.Fatalf("%+v", rej)
	}
}

func jsonParams(t *testing.T, s string) *translate.Array {
	t.Helper()
	v, err := translate.DecodeJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v.(*translate.Array)
}

// The two policies of issue 12 against every way a call could hide from
// them: each row names its class. Refusals of calls CiviCRM refuses anyway
// (a version it does not run) carry CiviCRM's own answer.
func TestPolicyEscapes(t *testing.T) {
	// APIv3 Contact.get's default return reads the primary e-mail, phone,
	// address and IM (translate.V3Returns): reads, not escapes.
	readOnly := &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"Contact", "Email", "Phone", "Address", "IM"}, Actions: []string{"get"}}}}
	noWrites := &Policy{Rules: []Rule{{Effect: "deny", Actions: []string{"create", "delete"}}}}
	pr := &Principal{ContactID: 3}
	ip := netip.MustParseAddr("192.0.2.1")
	deep := `{"api.Email.create":{"email":"x"}}`
	for range 12 {
		deep = `{"api.Contact.get":` + deep + `}`
	}
	v4 := `{"error_code":0,"entity":null,"action":null,"is_error":1,"error_message":"Unknown api parameter: check_permissions"}`
	cases := []struct {
		class  string
		policy *Policy
		call   *translate.Call
		ok     bool
		answer string // CiviCRM's own answer, when the refusal carries one
	}{
		{"control: plain read", readOnly, jsonCall(t, "Contact", "get", `{"id":3}`), true, ""},
		{"control: chained read", readOnly, jsonCall(t, "Contact", "get", `{"api.Contact.get":{"api_Contact_get":1}}`), true, ""},
		{"underscore separator", readOnly, jsonCall(t, "Contact", "get", `{"id":3,"api_Email_create":{"email":"x"}}`), false, ""},
		{"underscore separator", noWrites, jsonCall(t, "Contact", "get", `{"id":3,"api_Email_create":{"email":"x"}}`), false, ""},
		{"deep nesting", readOnly, jsonCall(t, "Contact", "get", deep), false, ""},
		{"deep nesting", noWrites, jsonCall(t, "Contact", "get", deep), false, ""},
		{"action suffix", noWrites, jsonCall(t, "Contact", "get", `{"api.Email.create.x":{"email":"x"}}`), false, ""},
		{"batch member names trimmed", noWrites, batchCall(t, `{"a":["Email"," create",{"email":"x"}]}`), false, ""},
		// ("delete!" munges to delete_, which CiviCRM's permission checks file
		// under delete, as del* actions are: refused, runs.go.)
		{"batch member names munged", noWrites, batchCall(t, `{"a":["Email","create!",{"email":"x"}]}`), true, ""},
		{"batch member names munged into a del* action", noWrites, batchCall(t, `{"a":["Email","delete!",{"id":1}]}`), false, ""},
		{"batch needs api3 under default deny", readOnly, batchCall(t, `{"a":["Contact","get",{}]}`), false, ""},
		{"control: batch of reads", noWrites, batchCall(t, `{"a":["Contact","get",{}]}`), true, ""},
		{"version 4", readOnly, jsonCall(t, "Contact", "get", `{"version":4,"chain":{"e":["Email","create",{"values":{}}]}}`), false, v4},
		{"version 4", noWrites, jsonCall(t, "Contact", "get", `{"version":"4"}`), false, v4},
		{"unknown version", noWrites, jsonCall(t, "Contact", "get", `{"version":"2"}`), false,
			`{"error_code":"not-found","entity":null,"action":null,"is_error":1,"error_message":"Unknown api version"}`},
		{"version 4 in a chain", noWrites, jsonCall(t, "Contact", "get", `{"api.Email.get":{"version":4}}`), false, ""},
		{"version 4 batch member", noWrites, batchCall(t, `{"a":["Contact","get",{"version":4}]}`), false, `{"a":` + v4 + `}`},
		{"version 4 beside a version 3 member", noWrites, batchCall(t, `{"a":["Contact","get",{"version":4}],"b":["Contact","get",{}]}`), false, ""},
		{"control: version 3 spelled loosely", readOnly, jsonCall(t, "Contact", "get", `{"version":"3.0"}`), true, ""},
		{"chain created by $value substitution", readOnly, jsonCall(t, "Contact", "get",
			`{"api.Contact.get":{"id":"$value.id","api_Contact_delete":"$value.api.Contact.get"}}`), false, ""},
		{"chain created by $value substitution", noWrites, jsonCall(t, "Contact", "get",
			`{"api.Contact.get":{"id":"$value.id","api_Contact_get":"$value.x"}}`), false, ""},
		{"control: a reference at depth 0 is a string", readOnly, jsonCall(t, "Contact", "get", `{"api_Contact_delete":"$value.x"}`), true, ""},
		{"className page call", readOnly, jsonCall(t, "Contact", "get", `{"className":"CRM_Contact_Page_AJAX","fnName":"getContactEmail"}`), false, ""},
		{"className page call", noWrites, jsonCall(t, "Contact", "get", `{"className":"CRM_Contact_Page_AJAX","fnName":"getContactEmail"}`), false, ""},
		{"className page call in a batch", noWrites, batchCall(t, `{"a":["Contact","get",{"className":"CRM_Contact_Page_AJAX"}]}`), false, ""},
		{"control: className null is not set", readOnly, jsonCall(t, "Contact", "get", `{"className":null}`), true, ""},
	}
	for _, tc := range cases {
		rej := tc.policy.Check(pr, tc.call, ip)
		if (rej == nil) != tc.ok {
			t.Errorf("%s: allowed=%v, want %v", tc.class, rej == nil, tc.ok)
			continue
		}
		if rej == nil {
			continue
		}
		switch {
		case tc.answer == "" && rej.Answer != nil:
			t.Errorf("%s: CiviCRM's answer %s given where CiviCRM would run something", tc.class, rej.Answer.Body)
		case tc.answer != "" && (rej.Answer == nil || string(rej.Answer.Body) != tc.answer):
			t.Errorf("%s: answer %v, want %s", tc.class, rej.Answer, tc.answer)
		}
	}
}

// A call of another version runs only when a rule names its version; a
// deny rule without versions holds for every version; names known only at
// run time match allow rules only through "*" and every deny rule.
func TestPolicyVersionsAndDynamicNames(t *testing.T) {
	pr := &Principal{ContactID: 3}
	ip := netip.Addr{}
	v4 := translate.Subcall{Version: 4, Entity: "Contact", Action: "get"}
	dyn := translate.Subcall{Version: 4, EntityDynamic: true, Action: "get"}
	unknown := translate.Subcall{Version: 3, Entity: "Contact", Action: "get", Depth: 2, ParamsUnknown: true}
	runTime := translate.Subcall{Version: 3, Entity: "Contact", Action: "get", Depth: 1, Params: arr("id", "$value.id")}
	cases := []struct {
		name  string
		rules []Rule
		def   string
		sc    translate.Subcall
		ok    bool
	}{
		{"default allow is for version 3", nil, "", v4, false},
		{"an allow rule without versions is for version 3", []Rule{{Effect: "allow", Entities: []string{"*"}}}, "", v4, false},
		{"an allow rule naming version 4", []Rule{{Effect: "allow", Versions: []int{4}}}, "deny", v4, true},
		{"a deny rule without versions holds for version 4", []Rule{{Effect: "deny", Entities: []string{"contact"}}, {Effect: "allow", Versions: []int{3, 4}}}, "", v4, false},
		{"a deny rule for version 3 only", []Rule{{Effect: "deny", Versions: []int{3}}, {Effect: "allow", Versions: []int{4}}}, "", v4, true},
		{"dynamic entity and a named allow", []Rule{{Effect: "allow", Versions: []int{4}, Entities: []string{"Contact"}}}, "deny", dyn, false},
		{"dynamic entity and allow *", []Rule{{Effect: "allow", Versions: []int{4}, Entities: []string{"*"}, Actions: []string{"get"}}}, "deny", dyn, true},
		{"dynamic entity and a named deny", []Rule{{Effect: "deny", Entities: []string{"Note"}}, {Effect: "allow", Versions: []int{4}}}, "", dyn, false},
		{"truncated is never allowed", []Rule{{Effect: "allow", Versions: []int{3, 4}}}, "", translate.Subcall{Version: 3, Entity: "Contact", Action: "get", Truncated: true}, false},
		{"unknown params and an allow rule with params", []Rule{{Effect: "allow", Params: map[string]string{"id": "any"}}}, "deny", unknown, false},
		{"unknown params and an allow rule without params", []Rule{{Effect: "allow", Entities: []string{"Contact"}}}, "deny", unknown, true},
		{"unknown params and a deny rule with params", []Rule{{Effect: "deny", Params: map[string]string{"id": "int"}}}, "", unknown, false},
		{"a run-time value fits an allow rule as any", []Rule{{Effect: "allow", Params: map[string]string{"id": "any"}}}, "deny", runTime, true},
		{"a run-time value fits no other type", []Rule{{Effect: "allow", Params: map[string]string{"id": "string"}}}, "deny", runTime, false},
		{"a run-time value fits a deny rule", []Rule{{Effect: "deny", Params: map[string]string{"id": "int"}}}, "", runTime, false},
		{"control: at depth 0 a reference is a string", []Rule{{Effect: "allow", Params: map[string]string{"id": "string"}}}, "deny",
			translate.Subcall{Version: 3, Entity: "Contact", Action: "get", Params: arr("id", "$value.id")}, true},
	}
	for _, tc := range cases {
		p := &Policy{Rules: tc.rules, Default: tc.def}
		if err := p.Validate(); err != nil {
			t.Fatal(err)
		}
		if got := p.allows(pr, tc.sc, ip, false); got != tc.ok {
			t.Errorf("%s: allowed=%v, want %v", tc.name, got, tc.ok)
		}
	}
	if (&Policy{Rules: []Rule{{Effect: "allow", Versions: []int{2}}}}).Validate() == nil {
		t.Error("version 2 validated")
	}
	// No policy at all still refuses another version, with CiviCRM's answer.
	var none *Policy
	rej := none.Check(pr, jsonCall(t, "Contact", "get", `{"version":4}`), ip)
	if rej == nil || rej.Answer == nil {
		t.Fatalf("nil policy: %+v", rej)
	}
	if reply, _ := rej.Reply(jsonCall(t, "Contact", "get", `{"version":4}`), ""); reply.Status != 200 || reply.ContentType != "application/json" {
		t.Errorf("reply %d %q", reply.Status, reply.ContentType)
	}
}

func jsonCall(t *testing.T, entity, action, params string) *translate.Call {
	return &translate.Call{Form: translate.FormAjax, Method: "POST", Format: translate.FormatJSON, Entity: entity, Action: action, Params: jsonParams(t, params)}
}

func batchCall(t *testing.T, members string) *translate.Call {
	c := jsonCall(t, "api3", "call", members)
	c.Batch = true
	return c
}

// The rules on the principal alone, for AuthX's routes and CiviCRM pages
// (no API call to judge): refused only when the policy would refuse the
// principal every call.
func TestAdmitsPrincipal(t *testing.T) {
	p2 := &Principal{ContactID: 2, CredType: CredJWT, KeyFingerprint: "fp2"}
	p3 := &Principal{ContactID: 3, CredType: CredAPIKey, KeyFingerprint: "fp3"}
	inside, outside := mustAddr("10.0.0.5"), mustAddr("192.0.2.1")
	net10 := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, row := range []struct {
		class string
		pol   *Policy
		p     *Principal
		ip    netip.Addr
		want  bool
	}{
		{"no policy", nil, p2, outside, true},
		{"a deny rule naming the contact", &Policy{Rules: []Rule{{Effect: "deny", Contacts: []int64{2}}}}, p2, outside, false},
		{"the same rule, another contact", &Policy{Rules: []Rule{{Effect: "deny", Contacts: []int64{2}}}}, p3, outside, true},
		{"a deny rule naming the key", &Policy{Rules: []Rule{{Effect: "deny", Fingerprints: []string{"fp3"}}}}, p3, outside, false},
		{"a deny rule naming the credential type", &Policy{Rules: []Rule{{Effect: "deny", CredTypes: []string{CredJWT}}}}, p2, outside, false},
		{"a deny rule for entity * and action *", &Policy{Rules: []Rule{{Effect: "deny", Contacts: []int64{2}, Entities: []string{"*"}, Actions: []string{"*"}}}}, p2, outside, false},
		{"a deny rule for both versions", &Policy{Rules: []Rule{{Effect: "deny", Contacts: []int64{2}, Versions: []int{3, 4}}}}, p2, outside, false},
		{"a deny rule for one entity only", &Policy{Rules: []Rule{{Effect: "deny", Contacts: []int64{2}, Entities: []string{"Note"}}}}, p2, outside, true},
		{"a deny rule for APIv4 only", &Policy{Rules: []Rule{{Effect: "deny", Contacts: []int64{2}, Versions: []int{4}}}}, p2, outside, true},
		{"an allow rule first wins", &Policy{Rules: []Rule{{Effect: "allow", Contacts: []int64{2}, Entities: []string{"Contact"}}, {Effect: "deny"}}}, p2, outside, true},
		{"default deny, no rule for the principal", &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Contacts: []int64{3}}}}, p2, outside, false},
		{"default deny, an allow rule for it", &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Contacts: []int64{2}, Actions: []string{"get"}}}}, p2, outside, true},
		{"allowed only inside a network, from outside", &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Networks: net10}}}, p2, outside, false},
		{"allowed only inside a network, from inside", &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Networks: net10}}}, p2, inside, true},
		{"denied from a network", &Policy{Rules: []Rule{{Effect: "deny", Networks: net10}}}, p2, inside, false},
	} {
		if got := row.pol.AdmitsPrincipal(row.p, row.ip); got != row.want {
			t.Errorf("%s: %v", row.class, got)
		}
	}
}

// One entity's data under several names (translate.EntityDataOf): a deny
// rule naming either refuses both, an allow rule admits a name whose data
// is all the rule's.
func TestPolicyEntityNames(t *testing.T) {
	pr := &Principal{ContactID: 3}
	for _, tc := range []struct {
		effect, rule string
		version      int
		entity       string
		matches      bool
	}{
		{"deny", "AclRole", 4, "ACLEntityRole", true},
		{"deny", "ACLEntityRole", 3, "AclRole", true},
		{"deny", "acl_role", 4, "ACLEntityRole", true},
		{"deny", "DedupeException", 3, "Exception", true},
		{"deny", "Rule", 4, "DedupeRule", true},
		{"deny", "DedupeRuleGroup", 3, "RuleGroup", true},
		{"deny", "CustomValue", 4, "Custom_Extra", true},
		{"deny", "Custom_Extra", 3, "CustomValue", true},
		{"deny", "Custom_Extra", 4, "Custom_Other", false},
		{"deny", "Relationship", 4, "RelationshipCache", true},
		{"deny", "File", 3, "Attachment", true},
		{"deny", "OptionValue", 3, "ActivityType", true},
		{"deny", "Individual", 3, "Contact", true},
		{"deny", "Email", 3, "Phone", false},
		{"deny", "UFMatch", 4, "User", true},
		{"deny", "User", 4, "UFMatch", true},
		{"deny", "uf_match", 3, "User", true},
		{"deny", "User", 3, "UFMatch", true},
		{"deny", "CiviCase", 3, "Case", true},
		{"deny", "Case", 4, "CiviCase", true},
		{"deny", "CiviCase", 4, "CaseContact", false},
		{"allow", "ACLEntityRole", 3, "AclRole", true},
		{"allow", "AclRole", 4, "ACLEntityRole", true},
		{"allow", "CustomValue", 4, "Custom_Extra", true},
		{"allow", "Custom_Extra", 3, "CustomValue", false},
		{"allow", "Contact", 4, "Individual", true},
		{"allow", "Individual", 4, "Contact", false},
		{"allow", "RelationshipCache", 4, "Relationship", false},
		{"allow", "File", 3, "Attachment", false},
		{"allow", "User", 4, "UFMatch", true},
		{"allow", "UFMatch", 4, "User", false},
		{"allow", "CiviCase", 4, "Case", true},
		{"allow", "Case", 4, "CiviCase", true},
	} {
		r := Rule{Effect: tc.effect, Entities: []string{tc.rule}}
		sc := translate.Subcall{Version: tc.version, Entity: tc.entity, Action: "get"}
		if got := r.matches(pr, sc, netip.Addr{}, tc.version == 4); got != tc.matches {
			t.Errorf("%s { entity %s } against APIv%d %s: matches=%v, want %v", tc.effect, tc.rule, tc.version, tc.entity, got, tc.matches)
		}
	}
}

// With anonymous on, a session's API calls are judged as anonymous's: a
// principal may create one only when anonymous is refused every call the
// principal is (attack 9, TestA9SessionEscapesPrincipalRules).
func TestSessionKeepsRules(t *testing.T) {
	p3 := &Principal{ContactID: 3, CredType: CredJWT, KeyFingerprint: "fp3"}
	net10 := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	checksOff := map[string]string{"check_permissions": "any"}
	for _, row := range []struct {
		class string
		pol   *Policy
		want  bool
	}{
		{"no policy", nil, true},
		{"rules for everyone alike", &Policy{Default: "deny", Rules: []Rule{{Effect: "deny", Entities: []string{"Note"}}, {Effect: "allow", Actions: []string{"get"}}}}, true},
		{"a deny of one entity for the contact", &Policy{Rules: []Rule{{Effect: "deny", Contacts: []int64{3}, Entities: []string{"Contact"}}}}, false},
		{"a deny of its key", &Policy{Rules: []Rule{{Effect: "deny", Fingerprints: []string{"fp3"}, Actions: []string{"delete"}}}}, false},
		{"a deny of its credential type", &Policy{Rules: []Rule{{Effect: "deny", CredTypes: []string{CredJWT}, Versions: []int{4}}}}, false},
		{"a deny of its contact inside a network only", &Policy{Rules: []Rule{{Effect: "deny", Contacts: []int64{3}, Networks: net10, Entities: []string{"Contact"}}}}, false},
		{"an allow for anonymous callers only", &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", CredTypes: []string{CredNone}, Entities: []string{"Event"}}}}, false},
		{"a deny for anonymous callers only", &Policy{Rules: []Rule{{Effect: "deny", CredTypes: []string{CredNone}}}}, true},
		{"an allow for the contact", &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Contacts: []int64{3}}}}, true},
		{"another contact's deny", &Policy{Rules: []Rule{{Effect: "deny", Contacts: []int64{4}}}}, true},
		{"an allow for the contact before anonymous's checks-off allow", &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Contacts: []int64{3}},
			{Effect: "allow", Params: checksOff}}}, false},
		{"an allow for the contact naming checks off too", &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Contacts: []int64{3}, Params: checksOff},
			{Effect: "allow", Params: checksOff}}}, false},
	} {
		if got := row.pol.SessionKeepsRules(p3, anonymousPrincipal); got != row.want {
			t.Errorf("%s: %v, want %v", row.class, got, row.want)
		}
	}

	// Soundness, by brute force: whenever it holds, no call from any
	// address is allowed anonymous and refused the principal.
	rules := []Rule{
		{Effect: "deny", Contacts: []int64{3}, Entities: []string{"Contact"}},
		{Effect: "allow", Contacts: []int64{3}, Entities: []string{"Note"}},
		{Effect: "deny", CredTypes: []string{CredNone}, Actions: []string{"create"}},
		{Effect: "allow", CredTypes: []string{CredNone}, Entities: []string{"Event"}},
		{Effect: "deny", Networks: net10, Entities: []string{"Email"}},
		{Effect: "allow", Params: checksOff},
		{Effect: "allow", Actions: []string{"get"}},
		{Effect: "deny", Fingerprints: []string{"fp3"}, Versions: []int{4}},
	}
	var calls []translate.Subcall
	for _, e := range []string{"Contact", "Note", "Event", "Email", "Phone"} {
		for _, a := range []string{"get", "create"} {
			for _, v := range []int{3, 4} {
				calls = append(calls, translate.Subcall{Version: v, Entity: e, Action: a},
					translate.Subcall{Version: v, Entity: e, Action: a, ChecksOff: "check_permissions", Params: arr("check_permissions", 0)})
			}
		}
	}
	ips := []netip.Addr{mustAddr("10.0.0.5"), mustAddr("192.0.2.1")}
	for mask := 0; mask < 1<<len(rules); mask++ {
		for _, def := range []string{"allow", "deny"} {
			p := &Policy{Default: def}
			for i, r := range rules {
				if mask&(1<<i) != 0 {
					p.Rules = append(p.Rules, r)
				}
			}
			if !p.SessionKeepsRules(p3, anonymousPrincipal) {
				continue
			}
			for _, sc := range calls {
				for _, ip := range ips {
					for _, native4 := range []bool{false, true} {
						if p.allows(anonymousPrincipal, sc, ip, native4) && !p.allows(p3, sc, ip, native4) {
							t.Fatalf("rules %b default %s: %s.%s v%d from %s allowed anonymous, refused the principal", mask, def, sc.Entity, sc.Action, sc.Version, ip)
						}
					}
				}
			}
		}
	}
}

// AuthX makes a session of a non-empty _authx on civicrm/authx/login and,
// with a non-empty _authxSes, on any page; never of X-Civi-Auth.
func TestMayCreateSession(t *testing.T) {
	for _, row := range []struct {
		class string
		form  translate.Form
		route string
		c     translate.Credentials
		want  bool
	}{
		{"login with _authx", translate.FormAuthx, "login", translate.Credentials{Authx: "Bearer x"}, true},
		{"login with X-Civi-Auth (taken as may)", translate.FormAuthx, "login", translate.Credentials{XCiviAuth: "Bearer x"}, true},
		{"authx/id with _authx", translate.FormAuthx, "id", translate.Credentials{Authx: "Bearer x"}, false},
		{"authx/id with _authx and _authxSes", translate.FormAuthx, "id", translate.Credentials{Authx: "Bearer x", AuthxSession: true}, true},
		{"authx/id with X-Civi-Auth and _authxSes", translate.FormAuthx, "id", translate.Credentials{XCiviAuth: "Bearer x", Authx: "Bearer x", AuthxSession: true}, false},
		{"authx/id with X-Civi-Auth 0 (empty to PHP)", translate.FormAuthx, "id", translate.Credentials{XCiviAuth: "0", Authx: "Bearer x", AuthxSession: true}, true},
		{"a page with _authx (perhaps an alias of authx/login)", translate.FormPage, "", translate.Credentials{Authx: "Bearer x"}, true},
		{"a page with X-Civi-Auth", translate.FormPage, "", translate.Credentials{XCiviAuth: "Bearer x", AuthxSession: true}, false},
		{"a page with Authorization", translate.FormPage, "", translate.Credentials{Authorization: "Bearer x"}, false},
	} {
		call := &translate.Call{Form: row.form, Action: row.route, Credentials: row.c}
		if got := mayCreateSession(call); got != row.want {
			t.Errorf("%s: %v", row.class, got)
		}
	}
}

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
		{"chain in upper case", user, call("OptionValue", "get", arr("API.Contact.delete", arr("id", "1"))), ip, false},
		{"nested chain", user, call("OptionValue", "get", arr("api.OptionValue.get", arr("api.Contact.create", arr()))), ip, false},
		{"batch members checked", user, &translate.Call{Entity: "api3", Action: "call", Batch: true, Params: arr("a", arr("0", "Contact", "1", "delete", "2", arr()))}, ip, false},
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
		c.Policy = &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"Contact"}, Actions: []string{"get"}}}}
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

package authx

import (
	"context"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/translate"
)

// Entity rules cover an entity's data however a call reaches it (attack
// round 4, F1 and F4): a join, a field path through a foreign key, an
// EntitySet set, a saved search, getlist's and replace's nested calls. A
// path the edge cannot resolve is refused where a rule names entities,
// with an APIv4 message naming it. Every row names its class.
func TestPolicyJoinsAndCarriers(t *testing.T) {
	v4 := func(path, params string) *translate.Call { return policyV4Call(t, path, params) }
	denyContact := &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{"Contact"}}}}
	onlyEmail := &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"Email", "EntitySet", "SearchDisplay"}}}}
	noDeletes := &Policy{Rules: []Rule{{Effect: "deny", Actions: []string{"delete"}}}}
	noUpdates := &Policy{Rules: []Rule{{Effect: "deny", Actions: []string{"update"}}}}
	emailUpdates := &Policy{Default: "deny", Rules: []Rule{
		{Effect: "allow", Entities: []string{"SearchDisplay"}},
		{Effect: "allow", Entities: []string{"Email"}, Params: map[string]string{"values": "array", "where": "array"}},
	}}
	everything := &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"*"}}}}
	emailParams := &Policy{Default: "deny", Rules: []Rule{
		{Effect: "allow", Entities: []string{"Email"}},
		{Effect: "allow", Entities: []string{"Contact"}, Params: map[string]string{"id": "int"}},
	}}
	v4Index := func(path, params, index string) *translate.Call {
		form := "params=" + url.QueryEscape(params) + "&index=" + url.QueryEscape(index)
		if index == "" {
			form = "params=" + url.QueryEscape(params) + "&index[contact_id.display_name]=id"
		}
		c, _ := api4Call(t, "POST", "/civicrm/ajax/api4/"+path, form, nil)
		c.DecodeParams(context.Background())
		return c
	}
	v4Batch := func(calls string) *translate.Call {
		c, _ := api4Call(t, "POST", "/civicrm/ajax/api4", "calls="+url.QueryEscape(calls), nil)
		c.DecodeParams(context.Background())
		return c
	}
	cases := []policyRow{
		{"implicit join in select", denyContact, v4("Email/get", `{"select":["contact_id.api_key"]}`), false, ""},
		{"implicit join in select", onlyEmail, v4("Email/get", `{"select":["contact_id.api_key"]}`), false, ""},
		{"implicit join in where (oracle)", denyContact, v4("Email/get", `{"select":["id"],"where":[["contact_id.api_key","LIKE","A%"]]}`), false, ""},
		{"explicit join", denyContact, v4("Email/get", `{"select":["c.api_key"],"join":[["Contact AS c","INNER",["contact_id","=","c.id"]]]}`), false, ""},
		{"explicit join", onlyEmail, v4("Email/get", `{"select":["c.api_key"],"join":[["Contact AS c","INNER",["contact_id","=","c.id"]]]}`), false, ""},
		{"explicit join of a contact type", denyContact, v4("Email/get", `{"join":[["Individual AS i","LEFT"]]}`), false, ""},
		{"EntitySet with a Contact set", denyContact, v4("EntitySet/get", `{"sets":[["UNION ALL","Contact","get",{"select":["id","api_key"]}]]}`), false, ""},
		{"EntitySet with a Contact set", onlyEmail, v4("EntitySet/get", `{"sets":[["UNION ALL","Contact","get",{"select":["id","api_key"]}]]}`), false, ""},
		{"inline saved search", denyContact, v4("SearchDisplay/run", `{"savedSearch":{"api_entity":"Contact","api_params":{"select":["api_key"]}}}`), false, ""},
		{"named saved search", denyContact, v4("SearchDisplay/run", `{"savedSearch":"All_contacts"}`), false, "Civigate cannot tell which entity the call's savedSearch reads"},
		{"unresolvable path", denyContact, v4("Email/get", `{"select":["foo_id.bar"]}`), false, "Civigate cannot tell which entity 'foo_id.bar' reads"},
		{"unresolvable path", onlyEmail, v4("Email/get", `{"select":["Extra.colour"]}`), false, "'Extra.colour'"},
		{"a joined read is no parameter-restricted call", emailParams, v4("Email/get", `{"select":["contact_id.api_key"]}`), false, ""},
		{"APIv3 return through a foreign key", denyContact, jsonCall(t, "Email", "get", `{"return":["contact_id.api_key"]}`), false, ""},
		{"APIv3 filter through a foreign key", onlyEmail, jsonCall(t, "Email", "get", `{"contact_id.api_key":{"LIKE":"A%"}}`), false, ""},
		{"APIv3 getlist params chain", denyContact, jsonCall(t, "Email", "getlist", `{"params":{"api.Contact.get":{}}}`), false, ""},
		{"APIv3 getlist params chain", onlyEmail, jsonCall(t, "Email", "getlist", `{"params":{"api.Contact.get":{}}}`), false, ""},
		{"APIv3 replace values chain", denyContact, jsonCall(t, "Email", "replace", `{"contact_id":4,"values":[{"email":"r@x.org","api.Contact.delete":{"id":3}}]}`), false, ""},
		{"APIv3 replace deletes", noDeletes, jsonCall(t, "Email", "replace", `{"contact_id":4,"values":[]}`), false, ""},

		// civicrm_api4 selects the index field and keys the answer by it
		// (attack 22): read as select is, wherever the index comes from.
		{"an index field through a foreign key", denyContact, v4Index("Email/get", `{"select":["id"]}`, "contact_id.api_key"), false, ""},
		{"an array index", onlyEmail, v4Index("Email/get", `{}`, ""), false, ""},
		{"a batch member's index", denyContact, v4Batch(`[["Email","get",{"select":["id"]},"contact_id.api_key"]]`), false, ""},
		{"a chain's index", denyContact, v4("Email/get", `{"select":["id"],"chain":{"e":["Email","get",{"select":["id"]},"contact_id.api_key"]}}`), false, ""},
		{"control: an index of the entity's own", onlyEmail, v4Index("Email/get", `{"select":["id"]}`, "email"), true, ""},

		{"inline display column", denyContact, v4("SearchDisplay/run", `{"savedSearch":{"api_entity":"Email","api_params":{"select":["id"]}},"display":{"settings":{"columns":[{"key":"contact_id.api_key"}]}}}`), false, ""},
		{"inline display link token", onlyEmail, v4("SearchDisplay/run", `{"savedSearch":{"api_entity":"Email","api_params":{"select":["id"]}},"display":{"settings":{"columns":[{"type":"links","links":[{"path":"x?k=[contact_id.api_key]"}]}]}}}`), false, ""},
		{"display by name beside an inline saved search", denyContact, v4("SearchDisplay/run", `{"savedSearch":{"id":1,"api_entity":"Email"},"display":"Emails"}`), false, "Civigate cannot tell which entity the call's display reads"},
		{"inlineEdit updates its saved search's entity", noUpdates, v4("SearchDisplay/inlineEdit", `{"savedSearch":{"api_entity":"Email"},"rowKey":1,"values":{"email":"x@y.z"},"display":{"settings":{"columns":[{"key":"email","editable":true}]}}}`), false, ""},
		{"inlineEdit of a saved search by name", noUpdates, v4("SearchDisplay/inlineEdit", `{"savedSearch":"x","display":"y","rowKey":1,"values":{"email":"x@y.z"}}`), false, ""},
		{"inlineEdit writes a joined entity", onlyEmail, v4("SearchDisplay/inlineEdit", `{"savedSearch":{"api_entity":"Email"},"rowKey":1,"values":{"contact_id.first_name":"x"}}`), false, ""},
		{"inlineEdit's write is no parameter-restricted call", emailUpdates, v4("SearchDisplay/inlineEdit", `{"savedSearch":{"api_entity":"Email"},"rowKey":1,"values":{"email":"x@y.z"}}`), false, ""},

		{"control: inlineEdit of an allowed entity", onlyEmail, v4("SearchDisplay/inlineEdit", `{"savedSearch":{"api_entity":"Email"},"rowKey":1,"values":{"email":"x@y.z"},"display":{"settings":{"columns":[{"key":"email","editable":true}]}}}`), true, ""},
		{"control: a display run is no update", noUpdates, v4("SearchDisplay/run", `{"savedSearch":{"api_entity":"Email"},"display":{"settings":{"columns":[{"key":"email","editable":true}]}}}`), true, ""},
		{"control: joins of allowed entities", onlyEmail, v4("Email/get", `{"select":["e.email"],"join":[["Email AS e","LEFT"]]}`), true, ""},
		{"control: a policy without entity names", noDeletes, v4("Email/get", `{"select":["foo_id.bar","contact_id.api_key"],"join":[["Contact AS c","LEFT"]]}`), true, ""},
		{"control: allow *", everything, v4("SearchDisplay/run", `{"savedSearch":"All_contacts"}`), true, ""},
		{"control: a where literal is no path", denyContact, v4("Email/get", `{"where":[["email","=","contact_id.api_key"]]}`), true, ""},
		{"control: APIv3 getlist without nested calls", denyContact, jsonCall(t, "Email", "getlist", `{"input":"a"}`), true, ""},
	}
	checkPolicyRows(t, cases)
}

// policyRow is one call under one policy: allowed, or refused with a 403
// whose message contains says.
type policyRow struct {
	class   string
	p       *Policy
	call    *translate.Call
	allowed bool
	says    string // in the refusal's message
}

func checkPolicyRows(t *testing.T, rows []policyRow) {
	t.Helper()
	pr := &Principal{ContactID: 2, CredType: CredAPIKey}
	ip := netip.MustParseAddr("192.0.2.1")
	for _, tc := range rows {
		rej := tc.p.Check(pr, tc.call, ip)
		if (rej == nil) != tc.allowed {
			t.Errorf("%s: allowed=%v, want %v (%+v)", tc.class, rej == nil, tc.allowed, rej)
			continue
		}
		if rej == nil {
			continue
		}
		reply, _ := rej.Reply(tc.call, "")
		if reply.Status != 403 || !strings.Contains(string(reply.Body), "Forbidden by gateway policy") || !strings.Contains(string(reply.Body), tc.says) {
			t.Errorf("%s: refusal %d %s, want it to say %q", tc.class, reply.Status, reply.Body, tc.says)
		}
	}
}

// policyV4Call is an APIv4 POST of params to path, decoded.
func policyV4Call(t *testing.T, path, params string) *translate.Call {
	c, _ := api4Call(t, "POST", "/civicrm/ajax/api4/"+path, "params="+url.QueryEscape(params), nil)
	c.DecodeParams(context.Background())
	return c
}

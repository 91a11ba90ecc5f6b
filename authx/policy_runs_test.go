package authx

import (
	"context"
	"net/url"
	"testing"

	"github.com/civigate/civigate/translate"
)

// A rule on an action covers every call that runs it under another name
// (translate's runs.go), in both API versions, at the top, chained and in
// a batch; an allow rule naming the client's action admits what that
// action runs, but an allow rule on create admits no create with an id
// (an update). Every row names the spelling it tries.
func TestPolicyActionsRunUnderOtherNames(t *testing.T) {
	v4 := func(path, params string) *translate.Call { return policyV4Call(t, path, params) }
	v4Batch := func(calls string) *translate.Call {
		c, _ := api4Call(t, "POST", "/civicrm/ajax/api4", "calls="+url.QueryEscape(calls), nil)
		c.DecodeParams(context.Background())
		return c
	}
	deny := func(entity string, actions ...string) *Policy {
		r := Rule{Effect: "deny", Actions: actions}
		if entity != "" {
			r.Entities = []string{entity}
		}
		return &Policy{Rules: []Rule{r}}
	}
	noEmailGet, noContactUpdate, noEmailCreate := deny("Email", "get"), deny("Contact", "update"), deny("Email", "create")
	noEmailUpdate, noDelete, noEmailSave := deny("Email", "update"), deny("", "delete"), deny("Email", "save")
	getsingleOnly := &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"Contact"}, Actions: []string{"getsingle"},
		Params: map[string]string{"id": "int", "return": "string"}}}}
	createOnly := &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"Contact"}, Actions: []string{"create"}}}}
	createThenNoUpdate := &Policy{Rules: []Rule{
		{Effect: "allow", Entities: []string{"Contact"}, Actions: []string{"create"}},
		{Effect: "deny", Actions: []string{"update"}},
	}}
	saveAllowed := &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"Email"}, Actions: []string{"save", "replace"}}}}
	autocompleteAllowed := &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"Email"}, Actions: []string{"autocomplete"},
		Params: map[string]string{"input": "string"}}}}
	getFirst := &Policy{Rules: []Rule{
		{Effect: "deny", Entities: []string{"Email"}, Actions: []string{"get"}},
		{Effect: "allow", Entities: []string{"Email"}, Actions: []string{"getsingle"}},
	}}
	cases := []policyRow{
		{"APIv3 getsingle", noEmailGet, jsonCall(t, "Email", "getsingle", `{"id":2}`), false, ""},
		{"APIv3 getvalue, another case", noEmailGet, jsonCall(t, "email", "GETVALUE", `{"id":2,"return":"email"}`), false, ""},
		{"APIv3 getcount", noEmailGet, jsonCall(t, "Email", "getcount", `{}`), false, ""},
		{"APIv3 chained getsingle", noEmailGet, jsonCall(t, "Contact", "get", `{"api.Email.getsingle":{}}`), false, ""},
		{"APIv3 update runs get", noEmailGet, jsonCall(t, "Email", "update", `{"id":2,"email":"u@x.org"}`), false, ""},
		{"APIv3 update runs create", noEmailCreate, jsonCall(t, "Email", "update", `{"id":2,"email":"u@x.org"}`), false, ""},
		{"APIv3 batch member getsingle", noEmailGet, batchCall(t, `{"a":["Email","getsingle",{"id":2}]}`), false, ""},
		{"APIv4 autocomplete", noEmailGet, v4("Email/autocomplete", `{"input":"a"}`), false, ""},
		{"APIv4 autocomplete, another case", noEmailGet, v4("Email/AutoComplete", `{}`), false, ""},
		{"APIv4 update reads its rows", noEmailGet, v4("Email/update", `{"where":[["email","LIKE","a%"]],"values":{"is_primary":1},"reload":true}`), false, ""},

		{"APIv3 create with id", noContactUpdate, jsonCall(t, "Contact", "create", `{"id":"2","first_name":"M"}`), false, ""},
		{"APIv3 create with contact_id", noContactUpdate, jsonCall(t, "Contact", "create", `{"contact_id":2}`), false, ""},
		{"APIv3 chained create of the parent's entity", noContactUpdate, jsonCall(t, "Contact", "get", `{"id":2,"api.Contact.create":{"first_name":"M"}}`), false, ""},
		{"APIv3 chained Contact create below Email (the row's contact_id)", noContactUpdate, jsonCall(t, "Email", "get", `{"id":2,"api.Contact.create":{}}`), false, ""},
		{"APIv3 setvalue", noContactUpdate, jsonCall(t, "Contact", "setvalue", `{"id":2,"field":"first_name","value":"M"}`), false, ""},
		{"APIv4 save with an id", noEmailUpdate, v4("Email/save", `{"records":[{"id":2}]}`), false, ""},
		{"APIv4 save with an id in defaults", noEmailUpdate, v4("Email/save", `{"defaults":{"id":2},"records":[{"email":"a"}]}`), false, ""},
		{"APIv4 save with match", noEmailUpdate, v4("Email/save", `{"match":["contact_id"],"records":[{"contact_id":2,"email":"a"}]}`), false, ""},
		{"APIv4 save without an id", noEmailCreate, v4("Email/save", `{"records":[{"email":"a"}]}`), false, ""},
		{"APIv4 replace deletes", noDelete, v4("Email/replace", `{"where":[["contact_id","=",4]],"records":[]}`), false, ""},
		{"APIv4 replace saves", noEmailSave, v4("Email/replace", `{"where":[["contact_id","=",4]],"records":[]}`), false, ""},
		{"APIv4 replace with where id = updates", noEmailUpdate, v4("Email/replace", `{"where":[["id","=",2]],"records":[{"email":"a"}]}`), false, ""},
		{"APIv4 chained replace", noDelete, v4("Contact/get", `{"chain":{"r":["Email","replace",{"where":[["contact_id","=","$id"]],"records":[]}]}}`), false, ""},
		{"APIv4 batch replace", noDelete, v4Batch(`[["Email","replace",{"where":[["contact_id","=",4]],"records":[]}]]`), false, ""},

		{"allow getsingle admits the get it runs", getsingleOnly, jsonCall(t, "Contact", "getsingle", `{"id":2,"return":"display_name"}`), true, ""},
		// Without a return, Contact.get's default return reads the primary
		// e-mail, phone, address and IM (translate.V3Returns): CiviCRM's own
		// answer to the call the rule admits.
		{"allow getsingle admits its default return", getsingleOnly, jsonCall(t, "Contact", "getsingle", `{"id":2}`), true, ""},
		{"allow getsingle with params: other params", getsingleOnly, jsonCall(t, "Contact", "getsingle", `{"email":"a@x.org"}`), false, ""},
		{"allow create admits no update", createOnly, jsonCall(t, "Contact", "create", `{"id":2}`), false, ""},
		{"allow create before deny update admits no update", createThenNoUpdate, jsonCall(t, "Contact", "create", `{"id":2}`), false, ""},
		{"allow save and replace admit what they run", saveAllowed, v4("Email/replace", `{"where":[["contact_id","=",4]],"records":[{"id":3}]}`), true, ""},
		{"allow autocomplete admits its own search", autocompleteAllowed, v4("Email/autocomplete", `{"input":"a"}`), true, ""},
		{"a deny rule before the allow rule wins", getFirst, jsonCall(t, "Email", "getsingle", `{"id":2}`), false, ""},

		{"control: create without an id", noContactUpdate, jsonCall(t, "Contact", "create", `{"contact_type":"Individual","id":""}`), true, ""},
		{"control: Id is not id", noContactUpdate, jsonCall(t, "Contact", "create", `{"Id":2}`), true, ""},
		{"control: chained Email create below Contact", noContactUpdate, jsonCall(t, "Contact", "get", `{"api.Email.create":{"email":"a"}}`), true, ""},
		{"control: create allowed", createOnly, jsonCall(t, "Contact", "create", `{"contact_type":"Individual"}`), true, ""},
		{"control: APIv4 save without an id", noEmailUpdate, v4("Email/save", `{"records":[{"email":"a","id":0}]}`), true, ""},
		{"control: getfields is no get", noEmailGet, jsonCall(t, "Email", "getfields", `{}`), true, ""},
		{"control: other entities", noEmailGet, jsonCall(t, "Contact", "getsingle", `{"id":2,"return":"display_name,phone"}`), true, ""},
		{"APIv3 Contact.getsingle's default return reads the e-mail", noEmailGet, jsonCall(t, "Contact", "getsingle", `{"id":2}`), false, ""},
	}
	checkPolicyRows(t, cases)
}

// APIv3 Job.execute runs the scheduled jobs the site configures, calls the
// edge cannot name: every deny rule naming an entity or an action refuses
// it, while an allow rule naming Job.execute itself (a cron key's allow
// list) admits it, since the client chooses none of those calls (with
// params, when the client's call fits them); an allow rule naming other
// entities does not.
func TestPolicyJobExecuteStartsTheSitesJobs(t *testing.T) {
	allow := func(entities, actions []string, params map[string]string) *Policy {
		return &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: entities, Actions: actions, Params: params}}}
	}
	cronOnly := allow([]string{"Job"}, []string{"execute"}, nil)
	anyJob := allow([]string{"Job"}, nil, nil)
	contactOnly := allow([]string{"Contact"}, nil, nil)
	cronWithParams := allow([]string{"Job"}, []string{"execute"}, map[string]string{"id": "int"})
	noContactDeleteThenCron := &Policy{Default: "deny", Rules: []Rule{
		{Effect: "deny", Entities: []string{"Contact"}, Actions: []string{"delete"}},
		{Effect: "allow", Entities: []string{"Job"}, Actions: []string{"execute"}},
	}}
	execute := func() *translate.Call { return jsonCall(t, "Job", "execute", `{}`) }
	checkPolicyRows(t, []policyRow{
		{"allow Job.execute admits the jobs it starts", cronOnly, execute(), true, ""},
		{"allow Job.execute, another case", cronOnly, jsonCall(t, "job", "Execute", `{}`), true, ""},
		{"allow every Job action", anyJob, execute(), true, ""},
		{"an allow rule on another entity", contactOnly, execute(), false, ""},
		{"an allow rule with params admits the jobs of a call it admits", cronWithParams, execute(), true, ""},
		{"an allow rule with params refuses a call it does not admit", cronWithParams, jsonCall(t, "Job", "execute", `{"x":"y"}`), false, ""},
		{"a deny rule before the allow rule refuses", noContactDeleteThenCron, execute(), false, ""},
		{"allow Job.execute admits no other Job action", cronOnly, jsonCall(t, "Job", "process_batch_merge", `{}`), false, ""},
		{"allow Job.execute admits no chained call", cronOnly, jsonCall(t, "Job", "execute", `{"api.Contact.delete":{"id":3}}`), false, ""},
	})
}

// An APIv3 get without a return answers other entities' data by default
// (translate/v3returns.go: Contact.get's primary e-mail, phone, address
// and IM; Contribution.get its contact's names, batch and soft credits):
// deny rules on those entities refuse it, while an allow rule naming the
// client's entity and action admits CiviCRM's own answer to the call it
// admits. What the client names (a return or filter field of another
// entity) needs that entity allowed, as APIv4's joins do.
func TestPolicyV3DefaultReturnIsTheCallsOwnAnswer(t *testing.T) {
	allow := func(entity string, actions ...string) *Policy {
		return &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{entity}, Actions: actions}}}
	}
	contactGet, contributionGet := allow("Contact", "get"), allow("Contribution", "get")
	contactGetsingle := allow("Contact", "getsingle")
	noEmail := &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{"Email"}}}}
	noEmailThenContact := &Policy{Default: "deny", Rules: []Rule{
		{Effect: "deny", Entities: []string{"Email"}},
		{Effect: "allow", Entities: []string{"Contact"}, Actions: []string{"get"}},
	}}
	checkPolicyRows(t, []policyRow{
		{"allow Contact.get admits its default answer", contactGet, jsonCall(t, "Contact", "get", `{"id":2}`), true, ""},
		{"control: allow Contact.get admits no getsingle (an allow rule names the client's action)", contactGet, jsonCall(t, "Contact", "getsingle", `{"id":2}`), false, ""},
		{"allow Contact.getsingle admits its default answer", contactGetsingle, jsonCall(t, "Contact", "getsingle", `{"id":2}`), true, ""},
		{"allow Contribution.get admits its default answer", contributionGet, jsonCall(t, "Contribution", "get", `{"id":1}`), true, ""},
		{"allow Contact.get: return naming the e-mail", contactGet, jsonCall(t, "Contact", "get", `{"id":2,"return":"email"}`), false, ""},
		{"allow Contact.get: a filter on the e-mail", contactGet, jsonCall(t, "Contact", "get", `{"email":"a@x.org"}`), false, ""},
		{"allow Contact.get: a group filter", contactGet, jsonCall(t, "Contact", "get", `{"group":1}`), false, ""},
		{"allow Contribution.get: return naming the contact's e-mail", contributionGet, jsonCall(t, "Contribution", "get", `{"return":"email"}`), false, ""},
		{"allow Contact.get: a chained Email get", contactGet, jsonCall(t, "Contact", "get", `{"id":2,"api.Email.get":{}}`), false, ""},
		{"deny Email refuses the default answer", noEmail, jsonCall(t, "Contact", "get", `{"id":2}`), false, ""},
		{"deny Email before allow Contact.get refuses it", noEmailThenContact, jsonCall(t, "Contact", "get", `{"id":2}`), false, ""},
		{"control: deny Email, a return without location fields", noEmail, jsonCall(t, "Contact", "get", `{"id":2,"return":"display_name"}`), true, ""},
		{"control: allow Contact.get, a return of its own fields", contactGet, jsonCall(t, "Contact", "get", `{"id":2,"return":"display_name"}`), true, ""},
	})
}

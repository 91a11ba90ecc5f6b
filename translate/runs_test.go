package translate

import (
	"strings"
	"testing"
)

// ran lists what a walk reports as run by another call (Subcall.Implied),
// "Entity.action<client's action", in walk order.
func ran(walk func(func(Subcall) bool) bool) []string {
	var out []string
	walk(func(sc Subcall) bool {
		if sc.Implied != "" {
			s := sc.Entity + "." + sc.Action + "<" + sc.Implied
			if sc.Via != "" {
				s += " via " + sc.Via
			}
			out = append(out, s)
		}
		return true
	})
	return out
}

// The calls an action runs under its own name, each spelling an attacker
// would try, for both versions (runs.go).
func TestRunsV3(t *testing.T) {
	cases := []struct {
		name, entity, action, params string
		want                         []string
	}{
		// create with an id is an update (_civicrm_api3_permissions).
		{"create with id", "Contact", "create", `{"id":2}`, []string{"Contact.update<create"}},
		{"create with a numeric string id", "Contact", "create", `{"id":"2"}`, []string{"Contact.update<create"}},
		{"create with contact_id", "Contact", "create", `{"contact_id":2}`, []string{"Contact.update<create"}},
		{"action in another case", "contact", "CREATE", `{"id":2}`, []string{"Contact.update<create"}},
		{"id \"0.0\" is not empty in PHP", "Contact", "create", `{"id":"0.0"}`, []string{"Contact.update<create"}},
		{"id as an operator array", "Contact", "create", `{"id":{"IN":[2]}}`, []string{"Contact.update<create"}},
		{"<entity>_id of a two-word entity", "OptionValue", "create", `{"option_value_id":3}`, []string{"OptionValue.update<create"}},
		{"email_id is Email's", "Email", "create", `{"email_id":3}`, []string{"Email.update<create"}},
		{"contact_id on Email is its contact: a create", "Email", "create", `{"contact_id":2,"email":"x@y.z"}`, nil},
		{"empty ids create", "Contact", "create", `{"id":"","contact_id":0}`, nil},
		{"id 0, \"0\", null, false create", "Contact", "create", `{"id":"0","contact_id":null}`, nil},
		{"id 0.0 (a float) creates", "Contact", "create", `{"id":0.0}`, nil},
		{"Id and ID are not id (PHP keys are case-sensitive)", "Contact", "create", `{"Id":2,"ID":2,"Contact_id":2}`, nil},
		{"key-value form (strings)", "Contact", "create", `{"id":"7"}`, []string{"Contact.update<create"}},

		// ChainSubscriber fills in the id of a chained create.
		{"chained create of the parent's entity", "Contact", "get", `{"id":2,"api.Contact.create":{"first_name":"M"}}`,
			[]string{"Contact.update<create"}},
		{"chained, entity spelled otherwise", "Contact", "get", `{"api.contact.create":{}}`, []string{"Contact.update<create"}},
		{"chained with an explicit empty id", "Contact", "get", `{"api.Contact.create":{"id":""}}`, nil},
		{"chained Email below Email: email_id is filled in too", "Email", "get", `{"api.Email.create":{"id":""}}`,
			[]string{"Email.update<create"}},
		{"chained Contact below Email: the row's contact_id", "Email", "get", `{"id":2,"api.Contact.create":{}}`,
			[]string{"Contact.update<create"}},
		{"chained Email below Contact: a create", "Contact", "get", `{"api.Email.create":{"email":"x@y.z"}}`, nil},
		{"chained list: the element with an id", "Contact", "get", `{"api.Email.create":[{"email":"a"},{"id":3}]}`,
			[]string{"Email.update<create"}},
		{"chained, the action missing (the parent's)", "Contact", "create", `{"api.Contact":{}}`, []string{"Contact.update<create"}},
		{"chained, a run-time id", "Contact", "get", `{"api.Email.create":{"id":"$value.email_id"}}`,
			[]string{"Email.update<create"}},

		// Actions that run get, update or delete (Generic*.php, getGenericAction).
		{"getsingle", "Email", "getsingle", `{"id":2}`, []string{"Email.get<getsingle"}},
		{"getvalue", "Email", "GetValue", `{"id":2,"return":"email"}`, []string{"Email.get<getvalue"}},
		{"getcount", "Email", "getcount", ``, []string{"Email.get<getcount"}},
		{"any other get*", "Contact", "getquick", `{"name":"a"}`, []string{"Contact.get<getquick"}},
		{"metadata is not get", "Email", "getfields", ``, nil},
		{"getoptions is not get", "Email", "getoptions", `{"field":"location_type_id"}`, nil},
		{"chained getsingle", "Contact", "get", `{"api.Email.getsingle":{}}`, []string{"Email.get<getsingle"}},
		{"update runs get and create", "Email", "update", `{"id":2,"email":"u@x.org"}`, []string{"Email.get<update", "Email.create<update"}},
		{"setvalue is update", "Contact", "setvalue", `{"id":2,"field":"first_name","value":"M"}`, []string{"Contact.update<setvalue"}},
		{"upd* is update", "Mailing", "update_email_resetdate", ``, []string{"Mailing.update<update_email_resetdate"}},
		{"del* is delete", "Email", "delete_all", ``, []string{"Email.delete<delete_all"}},
		{"getlist's get", "Email", "getlist", `{"input":"a"}`, []string{"Email.get<getlist"}},
		{"replace: <entity>_id in the base params makes elements updates", "Contact", "replace", `{"contact_id":2,"values":[{"first_name":"M"}]}`,
			[]string{"Contact.get<replace", "Contact.update<replace", "Contact.get<replace", "Contact.create<replace", "Contact.delete<replace"}},
		{"replace: an element's <entity>_id makes it an update", "OptionValue", "replace", `{"option_group_id":4,"values":[{"option_value_id":7}]}`,
			[]string{"OptionValue.get<replace", "OptionValue.update<replace", "OptionValue.get<replace", "OptionValue.create<replace", "OptionValue.delete<replace"}},
		{"replace's calls", "Email", "replace", `{"contact_id":4,"values":[{"email":"a"},{"id":3}]}`,
			[]string{"Email.get<replace", "Email.create<replace", "Email.update<replace", "Email.get<replace", "Email.create<replace", "Email.delete<replace"}},
		// CRM_Utils_API_MatchOption: get on the match keys, then the
		// matched row's id makes the create an update.
		{"options.match (a list)", "Contact", "create", `{"first_name":"A","options":{"match":["first_name","last_name"]}}`,
			[]string{"Contact.get<create", "Contact.update<create"}},
		{"options.match (a string)", "Contact", "create", `{"external_identifier":"x","options":{"match":"external_identifier"}}`,
			[]string{"Contact.get<create", "Contact.update<create"}},
		{"options.match-mandatory", "Email", "CREATE", `{"email":"a","options":{"match-mandatory":["email"]}}`,
			[]string{"Email.get<create", "Email.update<create"}},
		{"options.match of another type still runs the get", "Contact", "create", `{"options":{"match":1}}`,
			[]string{"Contact.get<create", "Contact.update<create"}},
		{"options.match null is not set", "Contact", "create", `{"options":{"match":null}}`, nil},
		{"options.match with an id: already an update", "Contact", "create", `{"id":2,"options":{"match":"email"}}`,
			[]string{"Contact.get<create", "Contact.update<create"}},
		{"options as a string is no array", "Contact", "create", `{"options":"match"}`, nil},
		{"options.match as one key is not read", "Contact", "create", `{"options.match":"email","options_match":"email"}`, nil},
		{"chained create with match", "Email", "get", `{"api.Contact.create":{"options":{"match":"email"}}}`,
			[]string{"Contact.get<create", "Contact.update<create"}},
		{"match on get is ignored", "Contact", "get", `{"options":{"match":"email"}}`, nil},
		{"replace with match: each element may be an update", "Email", "replace", `{"contact_id":4,"options":{"match":"email"},"values":[{"email":"a"}]}`,
			[]string{"Email.get<replace", "Email.create<replace", "Email.update<replace", "Email.delete<replace"}},
		// CRM_Utils_API_ReloadOption: get of the written row.
		{"options.reload", "Contact", "create", `{"first_name":"A","options":{"reload":1}}`, []string{"Contact.get<create"}},
		{"options.reload default", "Contact", "create", `{"options":{"reload":"default"}}`, []string{"Contact.get<create"}},
		{"options.reload selected", "Contact", "create", `{"options":{"reload":"selected"}}`, []string{"Contact.get<create"}},
		{"options.reload with an id", "Contact", "create", `{"id":2,"options":{"reload":"1"}}`, []string{"Contact.update<create", "Contact.get<create"}},
		{"options.reload off", "Contact", "create", `{"options":{"reload":"0"}}`, nil},
		{"options.reload null", "Contact", "create", `{"options":{"reload":"null"}}`, nil},
		{"options.reload true is 'null' to PHP's switch", "Contact", "create", `{"options":{"reload":true}}`, nil},
		{"options.reload on delete runs no reload", "Email", "delete", `{"id":2,"options":{"reload":1}}`, nil},
		{"plain get runs nothing more", "Email", "get", `{"id":2}`, nil},
		{"version 4 through APIv3 is judged as APIv4", "Email", "save", `{"version":4,"records":[{"id":2}]}`, []string{"Email.update<save"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ajaxCall(t, tc.entity, tc.action, tc.params)
			got := ran(func(v func(Subcall) bool) bool { return WalkV3(c, v) })
			if !sameLines(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
	batch := &Call{Form: FormAjax, Method: "POST", Entity: "api3", Action: "call", Batch: true,
		Params: jsonArray(t, `{"a":["Contact","create",{"id":2}],"b":["Email","getsingle",{}]}`)}
	if got := ran(func(v func(Subcall) bool) bool { return WalkV3(batch, v) }); !sameLines(got, []string{"Contact.update<create", "Email.get<getsingle"}) {
		t.Errorf("batch: %v", got)
	}
}

func TestRunsV4(t *testing.T) {
	cases := []struct {
		name, entity, action, params string
		want                         []string
	}{
		{"save without an id creates", "Email", "save", `{"records":[{"email":"a"}]}`, []string{"Email.create<save"}},
		{"save with an id updates", "Email", "save", `{"records":[{"id":2}]}`, []string{"Email.update<save"}},
		{"a numeric string id", "Email", "save", `{"records":[{"id":"2"}]}`, []string{"Email.update<save"}},
		{"empty ids create", "Email", "save", `{"records":[{"id":0},{"id":""},{"id":null},{"id":"0"}]}`, []string{"Email.create<save"}},
		{"both", "Email", "save", `{"records":[{"id":2},{"email":"a"}]}`, []string{"Email.create<save", "Email.update<save"}},
		{"an id in defaults", "Email", "save", `{"defaults":{"id":2},"records":[{"email":"a"}]}`, []string{"Email.update<save"}},
		{"the record's own empty id wins over defaults", "Email", "save", `{"defaults":{"id":2},"records":[{"id":""}]}`, []string{"Email.create<save"}},
		{"match may find a row", "Email", "save", `{"match":["email"],"records":[{"email":"a"}]}`, []string{"Email.create<save", "Email.update<save"}},
		{"ID is not id", "Email", "save", `{"records":[{"ID":2}]}`, []string{"Email.create<save"}},
		{"records as an object", "Email", "save", `{"records":{"a":{"id":2}}}`, []string{"Email.update<save"}},
		{"a record that is no array", "Email", "save", `{"records":["x"]}`, []string{"Email.create<save", "Email.update<save"}},
		{"reload reads the rows", "Email", "save", `{"records":[{"id":2}],"reload":true}`, []string{"Email.update<save", "Email.get<save"}},
		{"action in another case", "Email", "SAVE", `{"records":[{"id":2}]}`, []string{"Email.update<SAVE"}},
		{"no records", "Email", "save", `{"records":"x"}`, nil},
		{"chained save, a row's value as id", "Contact", "get", `{"chain":{"s":["Email","save",{"records":[{"id":"$email_primary"}]}]}}`,
			[]string{"Email.create<save", "Email.update<save"}},
		{"chained save, the row's contact", "Contact", "get", `{"chain":{"s":["Email","save",{"records":[{"contact_id":"$id"}]}]}}`,
			[]string{"Email.create<save"}},

		{"replace runs get, save, delete", "Email", "replace", `{"where":[["contact_id","=",4]],"records":[{"email":"a"}]}`,
			[]string{"Email.get<replace", "Email.save<replace", "Email.create<replace", "Email.delete<replace"}},
		{"replace: where id = makes records updates", "Email", "replace", `{"where":[["id","=",2]],"records":[{"email":"a"}]}`,
			[]string{"Email.get<replace", "Email.save<replace", "Email.update<replace", "Email.delete<replace"}},
		{"replace: where id with another operator", "Email", "replace", `{"where":[["id","IN",[2]]],"records":[{"email":"a"}]}`,
			[]string{"Email.get<replace", "Email.save<replace", "Email.create<replace", "Email.delete<replace"}},
		{"replace in another case", "Email", "Replace", `{"where":[["contact_id","=",4]],"records":[{"id":3}]}`,
			[]string{"Email.get<Replace", "Email.save<Replace", "Email.update<Replace", "Email.delete<Replace"}},
		{"chained replace", "Contact", "get", `{"chain":{"r":["Email","replace",{"where":[["contact_id","=","$id"]],"records":[]}]}}`,
			[]string{"Email.get<replace", "Email.save<replace", "Email.delete<replace"}},
		{"update runs get", "Email", "update", `{"where":[["id","=",2]],"values":{"email":"a"}}`, []string{"Email.get<update"}},
		{"delete runs get", "Email", "delete", `{"where":[["id","=",2]]}`, []string{"Email.get<delete"}},
		{"autocomplete runs get of its entity", "Email", "autocomplete", `{"input":"a"}`, []string{"Email.get<autocomplete via savedSearch"}},
		{"autocomplete without params", "Email", "autoComplete", ``, []string{"Email.get<autoComplete via savedSearch"}},
		{"an empty savedSearch is the default", "Email", "autocomplete", `{"savedSearch":""}`, []string{"Email.get<autocomplete via savedSearch"}},
		{"create runs nothing more (APIv4 refuses an id)", "Email", "create", `{"values":{"id":2}}`, nil},
		{"get runs nothing more", "Email", "get", `{}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := jsonArray(t, tc.params)
			got := ran(func(v func(Subcall) bool) bool { return WalkV4(tc.entity, tc.action, p, nil, v) })
			if !sameLines(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
	calls := jsonArray(t, `[["Email","replace",{"where":[["contact_id","=",4]],"records":[]}],{"entity":"Email","action":"save","params":{"records":[{"id":1}]}}]`)
	got := ran(func(v func(Subcall) bool) bool { return WalkV4Batch(calls, v) })
	if !sameLines(got, []string{"Email.get<replace", "Email.save<replace", "Email.delete<replace", "Email.update<save"}) {
		t.Errorf("batch: %v", got)
	}
}

// A filter of an autocomplete without a savedSearch is a field of its
// search: a join through it is read, as with an explicit one.
func TestRunsAutocompleteFilters(t *testing.T) {
	p := jsonArray(t, `{"filters":{"contact_id.display_name":"a"}}`)
	got := collect(func(v func(Subcall) bool) bool { return WalkV4("Email", "autocomplete", p, nil, v) })
	want := []string{"4 Email.autocomplete", "  4 Email.get via savedSearch", "    4 Contact.get via contact_id.display_name"}
	if !sameLines(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

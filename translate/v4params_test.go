package translate

import (
	"strings"
	"testing"
)

// APIv4 parameter names are read as CiviCRM resolves them (fix 21):
// Request::create sets each key with 'set'.ucfirst($key), PHP finds a
// declared setter in any case and AbstractAction::__call takes the name
// with its first letter lowered, so `Values`, `VALUES`, `Select`, `Chain`
// may be values, select and chain, on every reader of a call's
// parameters, at every level: the route's call, a batch member, a chain,
// an EntitySet set, a saved search's api_params. Of two spellings of one
// parameter the last one decides (each setter overwrites). Every row
// names its class; each failed before the fix.
func TestWalkV4ParamNames(t *testing.T) {
	batch := func(calls string) []string {
		c := jsonArray(t, calls)
		return collect(func(v func(Subcall) bool) bool { return WalkV4Batch(c, v) })
	}
	cases := []struct {
		class string
		got   []string
		want  []string
	}{
		{"Select: the magic setter lowers the first letter", v4Walk(t, "Contact", "get", `{"Select":["email_primary.email"]}`),
			[]string{"4 Contact.get", "  4 Email.get via email_primary.email"}},
		{"SELECT: a declared setter takes any case", v4Walk(t, "Contact", "get", `{"SELECT":["email_primary.email"]}`),
			[]string{"4 Contact.get", "  4 Email.get via email_primary.email"}},
		{"Where, ORDERBY, GroupBy, HAVING", v4Walk(t, "Email", "get",
			`{"Where":[["contact_id.api_key","LIKE","A%"]],"ORDERBY":{"created_id.id":"ASC"},"GroupBy":["modified_id.id"],"HAVING":[["contact_id.first_name","=","x"]]}`),
			[]string{"4 Email.get", "  4 Contact.get via contact_id.api_key", "  4 Contact.get via contact_id.first_name",
				"  4 Contact.get via created_id.id", "  4 Contact.get via modified_id.id"}},
		{"JOIN (DAOGetAction::setJoin)", v4Walk(t, "Email", "get", `{"JOIN":[["Contact AS c","LEFT"]]}`),
			[]string{"4 Email.get", "  4 Contact.get via join"}},
		{"Values of an update", v4Walk(t, "Contact", "update", `{"where":[["id","=",3]],"Values":{"is_deceased":true}}`),
			[]string{"4 Contact.update", "  4 Membership.update ?", "  4 Contact.get"}},
		{"vAlUeS of a create", v4Walk(t, "Membership", "create", `{"vAlUeS":{"contact_id":3,"contribution_status_id:name":"Completed"}}`),
			[]string{"4 Membership.create", "  4 Contribution.create ?", "  4 MembershipPayment.create ?"}},
		{"Records and DEFAULTS of a save", v4Walk(t, "Contact", "save", `{"Records":[{"id":3}],"DEFAULTS":{"is_deceased":1}}`),
			[]string{"4 Contact.save", "  4 Membership.update ?", "  4 Contact.update"}},
		{"Reload of a save", v4Walk(t, "Note", "save", `{"records":[{"id":3,"note":"x"}],"Reload":true}`),
			[]string{"4 Note.save", "  4 Note.update", "  4 Note.get"}},
		{"Match of a save", v4Walk(t, "Note", "save", `{"records":[{"note":"x"}],"MATCH":["note"]}`),
			[]string{"4 Note.save", "  4 Note.create", "  4 Note.update"}},
		{"Chain", v4Walk(t, "Contact", "get", `{"Chain":{"e":["Email","delete",{"where":[]}]}}`),
			[]string{"4 Contact.get", "  4 Email.delete", "    4 Email.get"}},
		{"CHAIN in a chain, Values below", v4Walk(t, "Contact", "get", `{"chain":{"a":["Email","get",{"CHAIN":{"b":["Contact","update",{"Values":{"is_deceased":1}}]}}]}}`),
			[]string{"4 Contact.get", "  4 Email.get", "    4 Contact.update", "      4 Membership.update ?", "      4 Contact.get"}},
		{"a batch member's Chain and Values", batch(`{"a":["Contact","get",{"Chain":{"n":["Note","create",{"Values":{"note":"x"}}]}}]}`),
			[]string{"[a] 4 Contact.get", "  [a] 4 Note.create"}},
		{"Sets of an EntitySet, Select in a set", v4Walk(t, "EntitySet", "get", `{"Sets":[["UNION ALL","Email","get",{"Select":["contact_id.api_key"]}]]}`),
			[]string{"4 EntitySet.get", "  4 Email.get via sets", "    4 Contact.get via contact_id.api_key"}},
		{"SavedSearch, and Join in its api_params", v4Walk(t, "SearchDisplay", "run", `{"SavedSearch":{"api_entity":"Contact","api_params":{"Join":[["Email AS e","LEFT"]]}}}`),
			[]string{"4 SearchDisplay.run", "  4 Contact.get via savedSearch", "    4 Email.get via join"}},
		{"Display fields", v4Walk(t, "SearchDisplay", "run", `{"savedSearch":{"api_entity":"Email"},"Display":{"settings":{"columns":[{"key":"contact_id.api_key"}]}}}`),
			[]string{"4 SearchDisplay.run", "  4 Email.get via savedSearch", "    4 Contact.get via contact_id.api_key"}},
		{"api_params' GroupBy beside a display's fields", v4Walk(t, "SearchDisplay", "run",
			`{"savedSearch":{"api_entity":"Email","api_params":{"GroupBy":["contact_id.api_key"]}},"filters":{"created_id.id":1}}`),
			[]string{"4 SearchDisplay.run", "  4 Email.get via savedSearch", "    4 Contact.get via contact_id.api_key", "    4 Contact.get via created_id.id"}},
		{"LoadOptions of a getFields", v4Walk(t, "Email", "getFields", `{"LoadOptions":true,"where":[["name","=","location_type_id"]]}`),
			[]string{"4 Email.getFields", "  4 LocationType.get via loadOptions"}},
		{"ContributionValues of an Order.create", v4Walk(t, "Order", "create", `{"ContributionValues":{"contact_id":2,"note":"x"}}`),
			[]string{"4 Order.create", "  4 Contribution.create", "    4 Note.create ?"}},
		{"two spellings: the last one decides", v4Walk(t, "Contact", "get", `{"Select":["email_primary.email"],"select":["id"],"chain":{"x":["Note","get"]},"Chain":{"y":["Note","delete"]}}`),
			[]string{"4 Contact.get", "  4 Note.delete", "    4 Note.get"}},

		{"control: other names stay other names", v4Walk(t, "Contact", "get", `{"Selects":["email_primary.email"],"chains":{"x":["Note","delete"]}}`),
			[]string{"4 Contact.get"}},
		{"control: a field name in values is not a parameter", v4Walk(t, "Contact", "update", `{"values":{"Is_deceased":1}}`),
			[]string{"4 Contact.update", "  4 Contact.get"}},
	}
	for _, tc := range cases {
		t.Run(tc.class, func(t *testing.T) {
			if !sameLines(tc.got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(tc.got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// The parameters a subcall carries are keyed as CiviCRM resolves them,
// for every consumer of the walk (the policy's param rules, the cache);
// checkPermissions keeps its spelling, which v4ChecksOff judges.
func TestV4ParamsKeyedAsResolved(t *testing.T) {
	p := jsonArray(t, `{"Select":["id"],"LIMIT":2,"orderBy":{"id":"ASC"},"Foo":1,"CheckPermissions":false,"select":["display_name"],"0":1}`)
	var keys []string
	WalkV4("Contact", "get", p, nil, func(sc Subcall) bool {
		if sc.Depth == 0 {
			keys = sc.Params.Keys()
		}
		return true
	})
	if got, want := strings.Join(keys, ","), "select,limit,orderBy,foo,CheckPermissions,0"; got != want {
		t.Errorf("keys %s, want %s", got, want)
	}
	if v, _ := p.Get("Select"); v == nil {
		t.Error("the client's params were changed")
	}
}

package translate

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// describe renders a subcall for the tables: "3 Contact.get" for a
// top-level call, "  4 ~.create" two levels below it ("~" a dynamic name),
// "[a] …" for batch member a, "!" for a truncated walk, a trailing " ?"
// for parameters known only at run time, " via X" for a read through X.
func describe(sc Subcall) string {
	var b strings.Builder
	b.WriteString(strings.Repeat("  ", sc.Depth))
	if sc.InBatch {
		b.WriteString("[" + sc.Member + "] ")
	}
	if sc.Truncated {
		b.WriteString("! ")
	}
	b.WriteString(strconv.Itoa(sc.Version) + " ")
	if sc.EntityDynamic {
		b.WriteString("~")
	} else {
		b.WriteString(sc.Entity)
	}
	b.WriteByte('.')
	if sc.ActionDynamic {
		b.WriteString("~")
	} else {
		b.WriteString(sc.Action)
	}
	if sc.ParamsUnknown {
		b.WriteString(" ?")
	}
	if sc.Via != "" {
		b.WriteString(" via " + sc.Via)
	}
	return b.String()
}

func collect(walk func(func(Subcall) bool) bool) []string {
	var out []string
	walk(func(sc Subcall) bool {
		out = append(out, describe(sc))
		return true
	})
	return out
}

func v3Walk(c *Call) []string {
	return collect(func(v func(Subcall) bool) bool { return WalkV3(c, v) })
}

// v3CallsWalk is v3Walk without the reads a call makes under its own name
// (Via: joins_test.go and v3returns_test.go judge them) and what it makes
// CiviCRM do by itself (StartedBy: fieldwrites_test.go judges a saved
// e-mail's UFMatch copy), for the tables of chains and batches, whose
// calls (Contact.get) read their default return.
func v3CallsWalk(c *Call) []string {
	return collect(func(v func(Subcall) bool) bool {
		return WalkV3(c, func(sc Subcall) bool { return sc.Via != "" || sc.StartedBy != "" || v(sc) })
	})
}

func jsonArray(t testing.TB, s string) *Array {
	t.Helper()
	if s == "" {
		return NewArray()
	}
	a, ok := mustDecode(t, s).(*Array)
	if !ok {
		t.Fatalf("not an object: %s", s)
	}
	return a
}

func ajaxCall(t testing.TB, entity, action, params string) *Call {
	return &Call{Form: FormAjax, Method: "POST", Entity: entity, Action: action, Params: jsonArray(t, params)}
}

func sameLines(got, want []string) bool {
	return strings.Join(got, "\n") == strings.Join(want, "\n")
}

// Every way ChainSubscriber finds, names and nests a chained call, and the
// version Request::create gives each call.
func TestWalkV3(t *testing.T) {
	cases := []struct {
		name           string
		entity, action string
		params         string
		want           []string
	}{
		{"plain call", "contact", "GET", ``, []string{"3 Contact.get"}},
		{"entity normalised as the kernel does", "option_value", "get", ``, []string{"3 OptionValue.get"}},
		{"dot separator", "Contact", "get", `{"api.Email.create":{"email":"x@e.org"}}`,
			[]string{"3 Contact.get", "  3 Email.create"}},
		{"underscore separator", "Contact", "get", `{"id":3,"api_Email_create":{"email":"x@e.org"}}`,
			[]string{"3 Contact.get", "  3 Email.create"}},
		{"underscore splits a two-word entity", "Contact", "get", `{"api_option_value_get":{}}`,
			[]string{"3 Contact.get", "  3 Option.value"}},
		{"other separator is no chain", "Contact", "get", `{"api-Email-create":{}}`, []string{"3 Contact.get"}},
		{"prefix is case-sensitive", "Contact", "get", `{"API.Contact.delete":{"id":1}}`, []string{"3 Contact.get"}},
		{"trailing parts after the action", "Contact", "get", `{"api.Email.create.x":{}}`,
			[]string{"3 Contact.get", "  3 Email.create"}},
		{"missing action is the parent's", "Contact", "create", `{"api.Email":{}}`,
			[]string{"3 Contact.create", "  3 Email.create"}},
		{"action 0 is the parent's", "Contact", "get", `{"api.Email.0":{}}`, []string{"3 Contact.get", "  3 Email.get"}},
		{"action is munged and lowered", "Contact", "get", `{"api.Email.CREATE":{}, "api.Email. delete":{}}`,
			[]string{"3 Contact.get", "  3 Email.create", "  3 Email.delete"}},
		{"entity from camel then to camel", "Contact", "get",
			`{"api.optionValue.get":{},"api.UFGroup.get":{},"api.uf_group.get":{},"api. Email.get":{},"api.EMAIL.get":{}}`,
			[]string{"3 Contact.get", "  3 OptionValue.get", "  3 UFGroup.get", "  3 UFGroup.get", "  3 Email.get", "  3 EMAIL.get"}},
		{"an entity with nothing alphanumeric names nothing", "Contact", "get", `{"api..delete":{}}`,
			[]string{"3 Contact.get", "  3 .delete"}},
		{"integer 1 is a chain", "Contact", "get", `{"api.Contact.delete":1}`, []string{"3 Contact.get", "  3 Contact.delete"}},
		{"string 1, float 1.0, true and 2 are not", "Contact", "get",
			`{"api.Contact.delete":"1","api.Email.delete":1.0,"api.Phone.delete":true,"api.Note.delete":2}`, []string{"3 Contact.get"}},
		{"a list runs once per element", "Contact", "get", `{"api.Email.create":[{"email":"a"},{"email":"b"}]}`,
			[]string{"3 Contact.get", "  3 Email.create", "  3 Email.create"}},
		{"key 0 makes every value an element", "Contact", "get", `{"api.Email.create":{"x":{"api.Phone.delete":1},"0":{}}}`,
			[]string{"3 Contact.get", "  3 Email.create", "    3 Phone.delete", "  3 Email.create"}},
		{"nested chains", "Contact", "get", `{"api.Email.get":{"api.Phone.get":{"api_Note_delete":1}}}`,
			[]string{"3 Contact.get", "  3 Email.get", "    3 Phone.get", "      3 Note.delete"}},
		{"not chains", "Contact", "get", `{"api.has_parent":1,"api_params":{"a":1}}`, []string{"3 Contact.get"}},
		{"Contact's api_key field, any spelling", "Contact", "get", `{"api_key":{"IS NOT NULL":1},"api.key":{},"api_Key":{},"api_Key.create":{}}`,
			[]string{"3 Contact.get", "  3 KeyCreate.get"}},
		{"api_key on another entity is a chain", "Email", "get", `{"api_key":{},"api_key_create":{}}`,
			[]string{"3 Email.get", "  3 Key.get", "  3 Key.create", "    3 Key.update"}},
		{"Job and SmsProvider fields", "Job", "get", `{"api_entity":{},"api_action":{},"api_prefix":{},"api_Email_get":{}}`,
			[]string{"3 Job.get", "  3 Email.get"}},

		{"version 4", "Contact", "get", `{"version":4}`, []string{"4 Contact.get"}},
		{"version 4 as loose text", "Contact", "get", `{"version":" 4.0 "}`, []string{"4 Contact.get"}},
		{"version true is 3", "Contact", "get", `{"version":true}`, []string{"3 Contact.get"}},
		{"version 3e0", "Contact", "get", `{"version":"3e0"}`, []string{"3 Contact.get"}},
		{"version null is unknown", "Contact", "get", `{"version":null}`, []string{"0 Contact.get"}},
		{"version 3abc is unknown", "Contact", "get", `{"version":"3abc"}`, []string{"0 Contact.get"}},
		{"version list is unknown", "Contact", "get", `{"version":[3]}`, []string{"0 Contact.get"}},
		{"version 4 runs its APIv4 chain", "Contact", "get", `{"version":4,"chain":{"e":["Email","create",{"values":{}}]}}`,
			[]string{"4 Contact.get", "  4 Email.create"}},
		{"an APIv3 call has no APIv4 chain", "Contact", "get", `{"chain":{"e":["Email","create",{}]}}`,
			[]string{"3 Contact.get"}},
		{"a chain's own version", "Contact", "get", `{"api.Email.get":{"version":4},"api.Phone.get":{"version":"3"}}`,
			[]string{"3 Contact.get", "  4 Email.get", "  3 Phone.get"}},
		{"the integer-1 chain has the parent's version", "Contact", "get", `{"version":"4","api.Email.delete":1}`,
			[]string{"4 Contact.get", "  4 Email.delete", "    4 Email.get"}},

		// _civicrm_api_replace_variables runs over a chained call's params
		// before it runs: a "$value…" reference becomes whatever the parent
		// row holds (an earlier chain's result array, its count 1).
		{"a reference is no chain at depth 0 (nothing substitutes it)", "Contact", "get",
			`{"api_Contact_delete":"$value.id","api.Contact.delete":"$value"}`, []string{"3 Contact.get"}},
		{"a reference under a chained call's chain key becomes a chain", "Contact", "get",
			`{"id":7,"api.Contact.get.a":{"id":"$value.id"},"api.Contact.get.b":{"id":"$value.id","api.Contact.delete":"$value.api.Contact.get.a"}}`,
			[]string{"3 Contact.get", "  3 Contact.get", "  3 Contact.get", "    3 Contact.delete ?", "      3 ~.~ ?"}},
		{"underscore separator, any depth", "Contact", "get",
			`{"api.Email.get":{"api.Phone.get":{"api_Note_create":"$value.api.Email.get"}}}`,
			[]string{"3 Contact.get", "  3 Email.get", "    3 Phone.get", "      3 Note.create ?", "        3 ~.~ ?"}},
		{"a reference as a list element (the operator syntax)", "Contact", "get",
			`{"api.Email.get":{"api_Note_create":["$value.x",{"note":"n"}]}}`,
			[]string{"3 Contact.get", "  3 Email.get", "    3 Note.create ?", "      3 ~.~ ?", "    3 Note.create", "      3 Note.update"}},
		{"missing action is the parent's, version the parent's", "Contact", "create",
			`{"version":4,"api.Email":{"api_Phone":"$value.x"}}`,
			[]string{"4 Contact.create", "  4 Email.create", "    4 Phone.create ?", "      4 ~.~ ?"}},
		{"a skipped field stays skipped", "Contact", "get", `{"api.Contact.get":{"api_key":"$value.x"}}`,
			[]string{"3 Contact.get", "  3 Contact.get"}},
		{"other strings are not references", "Contact", "get", `{"api.Contact.get":{"api_Note_create":"value.x","api_Email_create":" $value"}}`,
			[]string{"3 Contact.get", "  3 Contact.get"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := v3CallsWalk(ajaxCall(t, tc.entity, tc.action, tc.params)); !sameLines(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// No depth cut-off: a chain nested far deeper than clients use is walked
// to its end; past MaxSubcallDepth the walk reports a truncated call
// instead of skipping what lies below.
func TestWalkV3Depth(t *testing.T) {
	deep := `{"api.Email.create":{}}`
	for range 30 {
		deep = `{"api.Contact.get":` + deep + `}`
	}
	got := v3CallsWalk(ajaxCall(t, "Contact", "get", deep))
	if len(got) != 32 || strings.TrimSpace(got[31]) != "3 Email.create" {
		t.Fatalf("deep chain: %d calls, last %q", len(got), got[len(got)-1])
	}

	// Deeper than JSON can carry: built by hand.
	leaf := NewArray()
	for range MaxSubcallDepth + 5 {
		p := NewArray()
		p.Set("api.Contact.get", leaf)
		leaf = p
	}
	var last Subcall
	n := 0
	WalkV3(&Call{Form: FormAjax, Entity: "Contact", Action: "get", Params: leaf}, func(sc Subcall) bool {
		if sc.Via != "" {
			return true // each Contact.get's default return (v3returns.go)
		}
		last, n = sc, n+1
		return true
	})
	if !last.Truncated || last.Depth != MaxSubcallDepth+1 || n != MaxSubcallDepth+2 {
		t.Fatalf("past the bound: %d calls, last %+v", n, last)
	}
}

func TestWalkV3Stops(t *testing.T) {
	calls := 0
	done := WalkV3(ajaxCall(t, "Contact", "get", `{"api.Email.get":{"api.Phone.get":{}},"api.Note.get":{}}`), func(sc Subcall) bool {
		calls++
		return sc.Entity != "Email"
	})
	if done || calls != 2 {
		t.Fatalf("walk went on after false: done=%v calls=%d", done, calls)
	}
}

// The forms CiviCRM gives a call: PHP's name mangling turns a key-value
// api.Email.create[email] into api_Email_create, a chain; WordPress REST
// forces version 3 (civicrm_api3); a batch runs each member through
// process(), which munges its names.
func TestWalkV3Forms(t *testing.T) {
	body := "entity=Contact&action=get&json=1&id=3&api.Email.create[email]=x@e.org&api.Phone.delete=1"
	r := httptest.NewRequest("POST", "/civicrm/ajax/rest", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	route, ok := Recognise("POST", r.URL, RecogniseConfig{})
	if !ok {
		t.Fatal("not recognised")
	}
	c := mustParse(t, r, route)
	if got, want := v3CallsWalk(c), []string{"3 Contact.get", "  3 Email.create"}; !sameLines(got, want) {
		t.Errorf("mangled key-value chain: got %q, want %q", got, want)
	}

	wp := ajaxCall(t, "Contact", "get", `{"version":4}`)
	wp.Form = FormWPRest
	if got := v3CallsWalk(wp); !sameLines(got, []string{"3 Contact.get"}) {
		t.Errorf("WordPress REST: %q", got)
	}
	// process() calls className::fnName instead of the API: a call the
	// edge cannot name, on every form (WordPress's too: it is forwarded
	// to process()), and for a batch member.
	for _, form := range []Form{FormAjax, FormExtern, FormWPRest} {
		page := ajaxCall(t, "Contact", "get", `{"version":4,"className":"CRM_Contact_Page_AJAX","fnName":"getX","api.Email.delete":1}`)
		page.Form = form
		if got := v3CallsWalk(page); !sameLines(got, []string{"3 ~.~", "  3 Email.delete"}) {
			t.Errorf("className call (%s): %q", form, got)
		}
		var sc Subcall
		WalkV3(page, func(s Subcall) bool { sc = s; return false })
		if sc.Entity != "CRM_Contact_Page_AJAX" || sc.Action != "getX" {
			t.Errorf("className call names %q.%q", sc.Entity, sc.Action)
		}
	}
	if got := v3CallsWalk(ajaxCall(t, "Contact", "get", `{"className":null}`)); !sameLines(got, []string{"3 Contact.get"}) {
		t.Errorf("className null is not set: %q", got)
	}

	batch := &Call{Form: FormAjax, Entity: "api3", Action: "call", Batch: true, Params: jsonArray(t,
		`{"a":["Email"," create",{"email":"x"}],"b":["contact","get",{"version":4,"api.Email.delete":1}],"c":"junk",`+
			`"d":[["Contact"],"get"],"e":["Contact","get",{"api_Note_delete":1}],"f":[5,true],`+
			`"g":["Contact","get",{"className":"CRM_Core_Page_AJAX","fnName":"x"}],"h":["Contact","get",{"api_Note_delete":"$value.id"}]}`)}
	want := []string{
		"[a] 3 Email.create",
		"[b] 4 contact.get", "  [b] 4 Email.delete", "    [b] 4 Email.get",
		"[c] 3 ~.~",
		"[d] 3 ~.get",
		"[e] 3 Contact.get", "  [e] 3 Note.delete",
		"[f] 3 5.1",
		"[g] 3 ~.~",
		"[h] 3 Contact.get",
	}
	if got := v3CallsWalk(batch); !sameLines(got, want) {
		t.Errorf("batch: got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestAPIVersion(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want int
	}{
		{Number("3"), 3}, {Number("3.0"), 3}, {Number("30e-1"), 3}, {"3", 3}, {" 3", 3}, {"3 ", 3}, {"\n3\t", 3},
		{"03", 3}, {"+3", 3}, {"3.", 3}, {true, 3},
		{Number("4"), 4}, {"4", 4}, {"4.0", 4}, {".4e1", 4},
		{false, 0}, {nil, 0}, {"", 0}, {"3abc", 0}, {"0x3", 0}, {"three", 0}, {NewArray(), 0}, {Number("2"), 0}, {"3 3", 0},
	} {
		if got := APIVersion(tc.v); got != tc.want {
			t.Errorf("APIVersion(%#v) = %d, want %d", tc.v, got, tc.want)
		}
	}
}

func TestEntityNames(t *testing.T) {
	for in, want := range map[string]string{
		"OptionValue": "option_value", "option_value": "option_value", "UFGroup": "uf_group", "Contact": "contact",
		"ACL": "acl", "PCP": "pcp", "Acl": "acl", "EMAIL": "e_m_a_i_l", "": "", "0": "", " Email": " _email", "XU_F": "x_u__f", "XUF": "x_uf", "UFJoin": "uf_join",
	} {
		if got := EntityNameToLower(in); got != want {
			t.Errorf("EntityNameToLower(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"contact": "Contact", "option_value": "OptionValue", " _email": "Email", "uf_group": "UFGroup", "!!": "", "": "", "a--b": "AB",
	} {
		if got := KernelEntity(in); got != want {
			t.Errorf("KernelEntity(%q) = %q, want %q", in, got, want)
		}
	}
	if got := KernelAction(" Create\t"); got != "create" {
		t.Errorf("KernelAction = %q", got)
	}
}

func v4Walk(t *testing.T, entity, action, params string) []string {
	p := jsonArray(t, params)
	return collect(func(v func(Subcall) bool) bool { return WalkV4(entity, action, p, nil, v) })
}

// APIv4 chains (spec §4, civicrm-apiv4-rest.md): [entity, action, params,
// index] under the key "chain" (as setChain resolves it), at any depth; "$field" names come
// from the parent row and are dynamic, as is anything that is not a
// string; an element is read by key (list()), whatever its order.
func TestWalkV4(t *testing.T) {
	cases := []struct {
		name   string
		params string
		want   []string
	}{
		{"no chain", `{"select":["id"]}`, []string{"4 Contact.get"}},
		{"a chained write", `{"chain":{"e":["Email","create",{"values":{"email":"x"}}]}}`,
			[]string{"4 Contact.get", "  4 Email.create", "    4 UFMatch.update ?", "    4 User.update ?"}},
		{"entity from the row", `{"chain":{"x":["$contact_type","get",{}]}}`, []string{"4 Contact.get", "  4 ~.get"}},
		{"action from the row", `{"chain":{"x":["Note","$verb"]}}`, []string{"4 Contact.get", "  4 Note.~"}},
		{"a lone $ is a name", `{"chain":{"x":["$","get"]}}`, []string{"4 Contact.get", "  4 $.get"}},
		{"non-string names", `{"chain":{"x":[5,["get"]]}}`, []string{"4 Contact.get", "  4 ~.~"}},
		{"element not a list: read by key", `{"chain":{"x":{"0":"Email","1":"get","x":1,"2":{"chain":{"y":["Note","delete"]}}}}}`,
			[]string{"4 Contact.get", "  4 Email.get", "    4 Note.delete", "      4 Note.get"}},
		{"element out of order: read by key", `{"chain":{"x":{"1":"create","0":"Note","2":{}}}}`,
			[]string{"4 Contact.get", "  4 Note.create"}},
		{"element with a gap: params missing", `{"chain":{"x":{"0":"Note","1":"create","3":{"chain":{"y":["Email","delete"]}}}}}`,
			[]string{"4 Contact.get", "  4 Note.create"}},
		{"element not an array", `{"chain":{"x":"Email.delete"}}`, []string{"4 Contact.get", "  4 ~.~"}},
		{"chain not an array", `{"chain":"x"}`, []string{"4 Contact.get", "  4 ~.~"}},
		// 6.17.2 refuses Chain ("Unknown api parameter"), releases that
		// set each key through its setter take it as chain (v4params.go).
		{"the key as setters resolve it", `{"Chain":{"x":["Email","delete"]},"chains":{"x":["Note","delete"]}}`,
			[]string{"4 Contact.get", "  4 Email.delete", "    4 Email.get"}},
		{"the last duplicate key wins", `{"chain":{"a":["Email","get"]},"chain":{"b":["Email","delete"]}}`,
			[]string{"4 Contact.get", "  4 Email.delete", "    4 Email.get"}},
		{"nested chains and versions", `{"chain":{"a":["Email","get",{"version":3,"chain":{"b":["Phone","delete",{}]}}]}}`,
			[]string{"4 Contact.get", "  4 Email.get", "    4 Phone.delete", "      4 Phone.get"}},
		{"no APIv3 chains", `{"api.Email.delete":1}`, []string{"4 Contact.get"}},
		{"a chain of the CiviCase class runs Case", `{"chain":{"c":["CiviCase","delete",{"where":[["id","=",1]]}]}}`,
			[]string{"4 Contact.get", "  4 Case.delete", "    4 Case.get"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := v4Walk(t, "Contact", "get", tc.params); !sameLines(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// A batch member is bound to execute() as call_user_func_array binds it:
// integer keys by their order, string keys by name (issue 14's review:
// reading members by the keys "0", "1", "2" ran a chain under params
// given as "3", and named {"1":"Note","0":"create"} create.Note).
func TestWalkV4Batch(t *testing.T) {
	cases := []struct {
		name, calls string
		want        []string
	}{
		{"a list, named arguments, a PHP error, no array",
			`{"a":["Contact","get",{"chain":{"n":["Note","create"]}}],` +
				`"b":{"entity":"Email","action":"delete","params":{"where":[]}},"c":{"0":"Email","entity":"Phone","action":"get"},"d":7}`,
			[]string{"[a] 4 Contact.get", "  [a] 4 Note.create", "[b] 4 Email.delete", "  [b] 4 Email.get", "[c] 4 ~.~", "[d] 4 ~.~"}},
		{"integer keys bind by order, not by value", `{"a":{"1":"Note","0":"create","2":{}}}`, []string{"[a] 4 Note.create"}},
		{"a gap in the keys: the third argument is params",
			`{"a":{"0":"Contact","1":"get","3":{"limit":1,"chain":{"x":["Note","create",{"values":{"note":"pwned"}}]}}}}`,
			[]string{"[a] 4 Contact.get", "  [a] 4 Note.create"}},
		{"negative and large keys are positional too", `{"a":{"-1":"Note","7":"delete","9":{"chain":{"x":["Email","create"]}}}}`,
			[]string{"[a] 4 Note.delete", "  [a] 4 Note.get", "  [a] 4 Email.create"}},
		{"extra positional arguments are dropped", `[["Note","get",{},"id",{"chain":1},5]]`, []string{"[0] 4 Note.get"}},
		{"named arguments in any order", `[{"params":{"chain":{"x":["Email","delete"]}},"action":"get","entity":"Note"}]`,
			[]string{"[0] 4 Note.get", "  [0] 4 Email.delete", "    [0] 4 Email.get"}},
		{"positional then named", `[{"0":"Note","action":"create","index":"id"}]`, []string{"[0] 4 Note.create"}},
		{"a positional argument after a named one", `[{"entity":"Note","0":"create"}]`, []string{"[0] 4 ~.~"}},
		{"a named argument over a positional one", `[{"0":"Contact","1":"get","action":"delete"}]`, []string{"[0] 4 ~.~"}},
		{"names are case-sensitive", `[{"Entity":"Note","action":"delete"}]`, []string{"[0] 4 ~.~"}},
		{"an unknown named argument", `[{"entity":"Note","action":"get","chain":{"x":["Email","delete"]}}]`, []string{"[0] 4 ~.~"}},
		{"a numeric string key is a name", `[{"00":"Note","1":"get"}]`, []string{"[0] 4 ~.~"}},
		{"too few arguments", `[["Note"]]`, []string{"[0] 4 ~.~"}},
		{"a null name", `[[null,"get"]]`, []string{"[0] 4 ~.~"}},
		{"params not an array", `[["Note","create","x"]]`, []string{"[0] 4 ~.~"}},
		{"params null", `[["Note","create",null]]`, []string{"[0] 4 ~.~"}},
		{"a number for a name", `[[5,"get"]]`, []string{"[0] 4 ~.get"}},
		{"a $ name is literal in a batch", `[["$x","get"]]`, []string{"[0] 4 $x.get"}},
		{"the CiviCase class runs Case", `[["CiviCase","get"],{"entity":"civicase","action":"create","params":{}}]`,
			// A new case's Open Case timeline (casetimeline.go) meets it as Case.
			[]string{"[0] 4 Case.get", "[1] 4 Case.create", "  [1] 4 Activity.create ?", "  [1] 4 ActivityContact.create ?",
				"  [1] 4 CaseActivity.create ?", "  [1] 4 Relationship.create ?"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls := jsonArray(t, tc.calls)
			got := collect(func(v func(Subcall) bool) bool { return WalkV4Batch(calls, v) })
			if !sameLines(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestVersionError(t *testing.T) {
	c := &Call{Form: FormAjax, Format: FormatJSON}
	r := RenderResult(c, VersionError(4))
	if string(r.Body) != `{"error_code":0,"entity":null,"action":null,"is_error":1,"error_message":"Unknown api parameter: check_permissions"}` {
		t.Errorf("version 4: %s", r.Body)
	}
	r = RenderResult(c, VersionError(0))
	if string(r.Body) != `{"error_code":"not-found","entity":null,"action":null,"is_error":1,"error_message":"Unknown api version"}` {
		t.Errorf("unknown version: %s", r.Body)
	}
}

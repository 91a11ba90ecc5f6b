package translate

import (
	"strings"
	"testing"
)

// checksOffWalk lists the subcalls of a walk that turn permission checks
// off, as "<describe> off:<param>".
func checksOffWalk(walk func(func(Subcall) bool) bool) []string {
	var out []string
	walk(func(sc Subcall) bool {
		if sc.ChecksOff != "" {
			out = append(out, strings.TrimSpace(describe(sc))+" off:"+sc.ChecksOff)
		}
		return true
	})
	return out
}

// The walker marks every call in which CiviCRM would take a client's
// falsy check_permissions / checkPermissions over the TRUE REST forces, and
// no call where CiviCRM enforces its own value.
func TestWalkChecksOff(t *testing.T) {
	v3 := func(entity, action, params string) func(func(Subcall) bool) bool {
		c := ajaxCall(t, entity, action, params)
		return func(v func(Subcall) bool) bool { return WalkV3(c, v) }
	}
	v3Batch := func(calls string) func(func(Subcall) bool) bool {
		c := ajaxCall(t, "api3", "call", calls)
		c.Batch = true
		return func(v func(Subcall) bool) bool { return WalkV3(c, v) }
	}
	v4 := func(entity, action, params string) func(func(Subcall) bool) bool {
		p := jsonArray(t, params)
		return func(v func(Subcall) bool) bool { return WalkV4(entity, action, p, nil, v) }
	}
	v4Batch := func(calls string) func(func(Subcall) bool) bool {
		p := jsonArray(t, calls)
		return func(v func(Subcall) bool) bool { return WalkV4Batch(p, v) }
	}
	cases := []struct {
		name string
		walk func(func(Subcall) bool) bool
		want []string
	}{
		// APIv3 replace: array_merge($baseParams, $value), the value last.
		{"replace value 0", v3("Email", "replace", `{"contact_id":4,"values":[{"email":"a@x.org","check_permissions":0}]}`),
			[]string{"3 Email.create off:check_permissions"}},
		{"replace value with an id", v3("Email", "replace", `{"contact_id":4,"values":[{"id":7,"check_permissions":"0"}]}`),
			[]string{"3 Email.update off:check_permissions", "3 Email.get off:check_permissions", "3 Email.create off:check_permissions"}},
		{"replace value null replaces TRUE", v3("Email", "replace", `{"values":[{"check_permissions":null}]}`),
			[]string{"3 Email.create off:check_permissions"}},
		{"replace value false, \"\", [] and 0.0", v3("Email", "replace", `{"values":[{"check_permissions":false},{"check_permissions":""},{"check_permissions":[]},{"check_permissions":0.0}]}`),
			[]string{"3 Email.create off:check_permissions", "3 Email.create off:check_permissions", "3 Email.create off:check_permissions", "3 Email.create off:check_permissions"}},
		{"replace value in a batch member", v3Batch(`{"a":["Email","replace",{"values":[{"check_permissions":0}]}]}`),
			[]string{"[a] 3 Email.create off:check_permissions"}},
		{"replace value's chain", v3("Email", "replace", `{"values":[{"email":"a@x.org","api.Phone.create":{"check_permissions":0}}]}`),
			// Below an Email, ChainSubscriber may give it the row's phone_id as its id.
			[]string{"3 Phone.create off:check_permissions", "3 Phone.update off:check_permissions"}},
		// APIv3 chains: 4.x merged the chain's params last.
		{"chain", v3("Contact", "get", `{"api.Email.create":{"email":"a@x.org","check_permissions":0}}`),
			[]string{"3 Email.create off:check_permissions"}},
		{"chain list element", v3("Contact", "get", `{"api.Email.get":[{},{"check_permissions":"0"}]}`),
			[]string{"3 Email.get off:check_permissions"}},
		{"chain in getlist's params", v3("Email", "getlist", `{"params":{"api.Contact.get":{"check_permissions":false}}}`),
			[]string{"3 Contact.get off:check_permissions"}},
		// APIv4: a key in another case after the exact one.
		{"APIv4 top level", v4("Contact", "get", `{"checkPermissions":true,"checkpermissions":false}`),
			[]string{"4 Contact.get off:checkpermissions"}},
		{"APIv4 top level, \"0\" and 0", v4("Contact", "get", `{"checkPermissions":1,"CheckPermissions":"0","CHECKPERMISSIONS":0}`),
			[]string{"4 Contact.get off:CHECKPERMISSIONS"}},
		{"APIv4 chain", v4("Contact", "get", `{"chain":{"e":["Email","get",{"checkPermissions":false,"checkPermissionS":""}]}}`),
			[]string{"4 Email.get off:checkPermissionS"}},
		{"APIv4 batch member", v4Batch(`{"a":["Contact","get",{"checkPermissions":true,"checkpermissions":0}]}`),
			[]string{"[a] 4 Contact.get off:checkpermissions"}},
		{"APIv4 EntitySet set", v4("EntitySet", "get", `{"sets":[["UNION ALL","Contact","get",{"checkPermissions":true,"checkpermissions":false}]]}`),
			[]string{"4 Contact.get via sets off:checkpermissions"}},
		{"APIv4 inline saved search", v4("SearchDisplay", "run", `{"savedSearch":{"api_entity":"Contact","api_params":{"checkPermissions":true,"checkpermissions":false}}}`),
			[]string{"4 Contact.get via savedSearch off:checkpermissions"}},

		// SearchKit runs an inline display with acl_bypass unchecked.
		{"SearchKit display acl_bypass", v4("SearchDisplay", "run", `{"savedSearch":{"api_entity":"Contact","api_params":{"select":["id"]}},"display":{"acl_bypass":true}}`),
			[]string{"4 Contact.get via savedSearch off:acl_bypass"}},
		{"SearchKit download, acl_bypass \"1\"", v4("SearchDisplay", "download", `{"savedSearch":{"api_entity":"Contact"},"display":{"acl_bypass":"1","settings":{"columns":[{"key":"email_primary.email"}]}}}`),
			[]string{"4 Contact.get via savedSearch off:acl_bypass"}},
		{"SearchKit inlineEdit, the settings' acl_bypass", v4("SearchDisplay", "inlineEdit", `{"savedSearch":{"api_entity":"Email"},"rowKey":1,"values":{"contact_id.first_name":"x"},"display":{"settings":{"acl_bypass":1}}}`),
			[]string{"4 Email.get via savedSearch off:acl_bypass", "4 Email.update ? off:acl_bypass", "4 Contact.update ? off:acl_bypass", "4 Contact.create ? off:acl_bypass"}},
		{"SearchKit display acl_bypass beside a saved search by name", v4("SearchDisplay", "run", `{"savedSearch":"x","display":{"acl_bypass":true}}`),
			[]string{"4 ~.get via savedSearch off:acl_bypass"}},
		{"control: autocomplete overwrites acl_bypass", v4("Contact", "autocomplete", `{"display":{"acl_bypass":true,"settings":{"acl_bypass":true}}}`), nil},
		{"control: acl_bypass false, 0, \"\"", v4("SearchDisplay", "run", `{"savedSearch":{"api_entity":"Contact"},"display":{"acl_bypass":false,"settings":{"acl_bypass":""}}}`), nil},

		// CiviCRM enforces its own value here.
		{"control: top-level check_permissions", v3("Contact", "get", `{"check_permissions":0}`), nil},
		{"control: batch member check_permissions", v3Batch(`{"a":["Contact","get",{"check_permissions":0}]}`), nil},
		{"control: getlist's params (getlist sets it)", v3("Email", "getlist", `{"params":{"check_permissions":0}}`), nil},
		{"control: replace's own check_permissions", v3("Email", "replace", `{"check_permissions":0,"values":[{}]}`), nil},
		{"control: truthy values", v3("Email", "replace", `{"values":[{"check_permissions":1},{"check_permissions":"0.0"},{"check_permissions":"false"},{"check_permissions":[0]}]}`), nil},
		{"control: key case (PHP keys are exact)", v3("Contact", "get", `{"api.Email.get":{"Check_Permissions":0}}`), nil},
		{"control: APIv4 exact key", v4("Contact", "get", `{"checkPermissions":false,"chain":{"e":["Email","get",{"checkPermissions":false}]}}`), nil},
		{"control: APIv4 other case before the exact key", v4("Contact", "get", `{"checkpermissions":false,"checkPermissions":true}`), nil},
		{"control: APIv4 other case without the exact key", v4("Contact", "get", `{"checkpermissions":false}`), nil},
		{"control: APIv4 null is a TypeError", v4("Contact", "get", `{"checkPermissions":true,"checkpermissions":null}`), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := checksOffWalk(tc.walk); !sameLines(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// phpChecksOffModel reads a JSON params object per line and prints what
// CiviCRM's code makes of it: "v3" the check_permissions of
// array_merge(['check_permissions' => TRUE], $params) under
// PermissionCheck's test, "v4" the value setCheckPermissions(bool) is left
// with after $params['checkPermissions'] = TRUE and Request::create's
// setters in key order (case-insensitive method names), "error" for a
// TypeError.
const phpChecksOffModel = `<?php
class A { public $cp; function setCheckPermissions(bool $b) { $this->cp = $b; } }
while (($line = fgets(STDIN)) !== false) {
  $p = json_decode(hex2bin(trim($line)), TRUE);
  $m = array_merge(['check_permissions' => TRUE], $p);
  $v3 = (empty($m['check_permissions']) or $m['check_permissions'] == FALSE) ? 'off' : 'on';
  $p['checkPermissions'] = TRUE;
  $a = new A();
  try {
    foreach ($p as $k => $v) {
      if (strtolower($k) === 'checkpermissions') { $s = 'set' . ucfirst($k); $a->$s($v); }
    }
    $v4 = $a->cp ? 'on' : 'off';
  } catch (TypeError $e) { $v4 = 'error'; }
  echo "$v3 $v4\n";
}
`

// v3ChecksOff and v4ChecksOff against PHP itself.
func TestChecksOffMatchesPHP(t *testing.T) {
	inputs := []string{
		`{}`, `{"check_permissions":0}`, `{"check_permissions":"0"}`, `{"check_permissions":""}`,
		`{"check_permissions":null}`, `{"check_permissions":false}`, `{"check_permissions":[]}`,
		`{"check_permissions":0.0}`, `{"check_permissions":-0}`, `{"check_permissions":0e5}`,
		`{"check_permissions":"0.0"}`, `{"check_permissions":" 0"}`, `{"check_permissions":"false"}`,
		`{"check_permissions":[0]}`, `{"check_permissions":1}`, `{"check_permissions":true}`,
		`{"Check_Permissions":0}`, `{"check_permissions":0,"check_permissions":1}`, `{"check_permissions":1,"check_permissions":0}`,
		`{"checkPermissions":false}`, `{"checkpermissions":false}`, `{"checkPermissions":true,"checkpermissions":false}`,
		`{"checkpermissions":false,"checkPermissions":true}`, `{"checkPermissions":1,"CHECKPERMISSIONS":"0"}`,
		`{"checkPermissions":1,"CheckPermissions":""}`, `{"checkPermissions":1,"CheckPermissions":0.0}`,
		`{"checkPermissions":1,"CheckPermissions":"0.0"}`, `{"checkPermissions":1,"CheckPermissions":"false"}`,
		`{"checkPermissions":1,"CheckPermissions":null}`, `{"checkPermissions":1,"CheckPermissions":[]}`,
		`{"checkPermissions":1,"CheckPermissions":false,"checkpermissions":true}`,
		`{"checkPermissions":1,"CheckPermissions":true,"checkpermissions":false}`,
		`{"checkPermissions":false,"checkPermissions":true,"checkpermissions":0}`, `{"checkPermissions":null,"checkpermissions":0}`,
		`{"checkpermissions":null,"checkPermissions":1,"CheckPermissions":0}`, `{"checkPermissions":1,"CheckPermissions":0,"checkpermissions":[1]}`,
	}
	lines := runPHPLines(t, phpChecksOffModel, inputs)
	for i, in := range inputs {
		p := jsonArray(t, in)
		php := strings.Fields(lines[i])
		if got := v3ChecksOff(p) != ""; got != (php[0] == "off") {
			t.Errorf("%s: v3ChecksOff %v, PHP %s", in, got, php[0])
		}
		if got := v4ChecksOff(p) != ""; got != (php[1] == "off") {
			t.Errorf("%s: v4ChecksOff %v, PHP %s", in, got, php[1])
		}
	}
}

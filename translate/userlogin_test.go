package translate

import (
	"fmt"
	"net/url"
	"testing"
)

// Every User.login a request may run is found, with the identifier and
// password Login::passwordCheck reads, wherever it arrives: the route's
// call in any name case, a batch member, a chain at any depth, an APIv3
// chain run with version 4; one whose password CiviCRM fills in at run
// time is unknown.
func TestUserLogins(t *testing.T) {
	form := func(k, v string) string { return url.Values{k: {v}}.Encode() }
	for _, tc := range []struct {
		name    string
		call    func(t *testing.T) *Call
		want    string // the logins, as fmt prints them
		unknown bool
	}{
		{name: "the route's call", call: func(t *testing.T) *Call {
			return api4Request(t, "POST", "/civicrm/ajax/api4/User/login", formCT, form("params", `{"identifier":" admin\n","password":" pw ","originalUrl":"/civicrm/login"}`))
		}, want: "[{admin  pw }]"},
		{name: "names in another case", call: func(t *testing.T) *Call {
			return api4Request(t, "POST", "/civicrm/ajax/api4/user/LOGIN", formCT, form("params", `{"identifier":"admin","password":"pw"}`))
		}, want: "[{admin pw}]"},
		{name: "parameters spelled for their setters", call: func(t *testing.T) *Call {
			return api4Request(t, "POST", "/civicrm/ajax/api4/User/login", formCT, form("params", `{"Identifier":"admin","Password":"pw"}`))
		}, want: "[{admin pw}]"},
		{name: "scalars as PHP strings", call: func(t *testing.T) *Call {
			return api4Request(t, "POST", "/civicrm/ajax/api4/User/login", formCT, form("params", `{"identifier":12,"password":true}`))
		}, want: "[{12 1}]"},
		{name: "nothing to check", call: func(t *testing.T) *Call {
			return api4Request(t, "POST", "/civicrm/ajax/api4/User/login", formCT, form("params", `{"identifier":"admin","password":"0"}`))
		}, want: "[]"},
		{name: "an array is a TypeError", call: func(t *testing.T) *Call {
			return api4Request(t, "POST", "/civicrm/ajax/api4/User/login", formCT, form("params", `{"identifier":["admin"],"password":"pw"}`))
		}, want: "[]"},
		{name: "batch members", call: func(t *testing.T) *Call {
			return api4Request(t, "POST", "/civicrm/ajax/api4", formCT,
				form("calls", `{"a":["Contact","get",{}],"b":["User","login",{"identifier":"a","password":"1"}],"c":{"entity":"user","action":"Login","params":{"identifier":"b","password":"2"}}}`))
		}, want: "[{a 1} {b 2}]"},
		{name: "a chain", call: func(t *testing.T) *Call {
			return api4Request(t, "POST", "/civicrm/ajax/api4/Contact/get", formCT,
				form("params", `{"chain":{"x":["User","login",{"identifier":"admin","password":"pw","chain":{"y":["User","login",{"identifier":"b","password":"q"}]}}]}}`))
		}, want: "[{admin pw} {b q}]"},
		{name: "a chain naming its action at run time", call: func(t *testing.T) *Call {
			return api4Request(t, "POST", "/civicrm/ajax/api4/Contact/get", formCT,
				form("params", `{"chain":{"x":["User","$action",{"identifier":"admin","password":"pw"}]}}`))
		}, want: "[{admin pw}]"},
		{name: "a chain's password from the parent row", call: func(t *testing.T) *Call {
			return api4Request(t, "POST", "/civicrm/ajax/api4/Contact/get", formCT,
				form("params", `{"chain":{"x":["User","login",{"identifier":"admin","password":"$display_name"}]}}`))
		}, want: "[]", unknown: true},
		{name: "the route's own $ is literal", call: func(t *testing.T) *Call {
			return api4Request(t, "POST", "/civicrm/ajax/api4/User/login", formCT, form("params", `{"identifier":"admin","password":"$pw"}`))
		}, want: "[{admin $pw}]"},
		{name: "APIv3 REST with version 4, which CiviCRM refuses", call: func(t *testing.T) *Call {
			return ajaxCall(t, "User", "login", `{"version":4,"identifier":"admin","password":"pw"}`)
		}, want: "[]"},
		{name: "an APIv3 chain with version 4", call: func(t *testing.T) *Call {
			return ajaxCall(t, "Contact", "get", `{"api.User.login":{"version":4,"identifier":"admin","password":"pw"}}`)
		}, want: "[{admin pw}]"},
		{name: "other calls", call: func(t *testing.T) *Call {
			return api4Request(t, "POST", "/civicrm/ajax/api4/User/get", formCT, form("params", `{"identifier":"admin","password":"pw"}`))
		}, want: "[]"},
	} {
		logins, unknown := UserLogins(tc.call(t))
		if got := fmt.Sprint(logins); got != tc.want || unknown != tc.unknown {
			t.Errorf("%s: %s unknown %v, want %s unknown %v", tc.name, got, unknown, tc.want, tc.unknown)
		}
	}
}

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
		{name: "an MFA step logs in without a password", call: func(t *testing.T) *Call {
			return api4Request(t, "POST", "/civicrm/ajax/api4/User/login", formCT, form("params", `{"mfaClass":"Civi\\Standalone\\MFA\\TOTP","mfaData":"123456"}`))
		}, want: "[{ }]"},
		{name: "an MFA step checks no password it carries", call: func(t *testing.T) *Call {
			return api4Request(t, "POST", "/civicrm/ajax/api4/User/login", formCT, form("params", `{"identifier":"victim","password":"guess","mfaClass":"x"}`))
		}, want: "[{ }]"},
		{name: "an MFA class filled in at run time", call: func(t *testing.T) *Call {
			return api4Request(t, "POST", "/civicrm/ajax/api4/Contact/get", formCT,
				form("params", `{"chain":{"x":["User","login",{"mfaClass":"$display_name"}]}}`))
		}, want: "[]", unknown: true},
		{name: "an actorPassword on User.update", call: func(t *testing.T) *Call {
			return api4Request(t, "POST", "/civicrm/ajax/api4/User/update", formCT,
				form("params", `{"where":[["id","=",1]],"values":{"password":"new"},"actorPassword":"guess"}`))
		}, want: "[{actor guess}]"},
		{name: "an actorPassword on User.save and create, any case, setter spelling", call: func(t *testing.T) *Call {
			return api4Request(t, "POST", "/civicrm/ajax/api4", formCT,
				form("calls", `{"a":["user","SAVE",{"records":[{"id":1}],"ActorPassword":"g1"}],"b":["User","create",{"values":{},"actorPassword":7}]}`))
		}, want: "[{actor g1} {actor 7}]"},
		{name: "an actorPassword below a chain", call: func(t *testing.T) *Call {
			return api4Request(t, "POST", "/civicrm/ajax/api4/Contact/get", formCT,
				form("params", `{"chain":{"x":["User","update",{"where":[["id","=",1]],"values":{},"actorPassword":"g"}]}}`))
		}, want: "[{actor g}]"},
		{name: "an APIv3 chain's User.update with version 4", call: func(t *testing.T) *Call {
			return ajaxCall(t, "Contact", "get", `{"api.User.update":{"version":4,"actorPassword":"g","values":{}}}`)
		}, want: "[{actor g}]"},
		{name: "an actorPassword from the parent row", call: func(t *testing.T) *Call {
			return api4Request(t, "POST", "/civicrm/ajax/api4/Contact/get", formCT,
				form("params", `{"chain":{"x":["User","update",{"values":{},"actorPassword":"$display_name"}]}}`))
		}, want: "[]", unknown: true},
		{name: "an empty() actorPassword checks nothing", call: func(t *testing.T) *Call {
			return api4Request(t, "POST", "/civicrm/ajax/api4/User/update", formCT, form("params", `{"values":{"is_active":1},"actorPassword":"0"}`))
		}, want: "[]"},
		{name: "other calls", call: func(t *testing.T) *Call {
			return api4Request(t, "POST", "/civicrm/ajax/api4/User/get", formCT, form("params", `{"identifier":"admin","password":"pw","actorPassword":"x"}`))
		}, want: "[]"},
	} {
		logins, unknown := UserLogins(tc.call(t))
		shown := []string{}
		for _, l := range logins {
			if l.Actor {
				shown = append(shown, "{actor "+l.Password+"}")
			} else {
				shown = append(shown, "{"+l.Identifier+" "+l.Password+"}")
			}
		}
		if got := fmt.Sprint(shown); got != tc.want || unknown != tc.unknown {
			t.Errorf("%s: %s unknown %v, want %s unknown %v", tc.name, got, unknown, tc.want, tc.unknown)
		}
	}
}

// The edge reads CiviCRM's answer to a User.login only when it is the
// request's only call: not beside a batch's other members, nor with a
// chain below it or above it.
func TestOnlyCall(t *testing.T) {
	form := func(k, v string) string { return url.Values{k: {v}}.Encode() }
	for _, tc := range []struct {
		name string
		call *Call
		want bool
	}{
		{"the route's call", api4Request(t, "POST", "/civicrm/ajax/api4/User/login", formCT, form("params", `{"identifier":"a","password":"b"}`)), true},
		{"with a chain", api4Request(t, "POST", "/civicrm/ajax/api4/User/login", formCT, form("params", `{"identifier":"a","password":"b","chain":{"x":["Contact","get",{}]}}`)), false},
		{"below a chain", api4Request(t, "POST", "/civicrm/ajax/api4/Contact/get", formCT, form("params", `{"chain":{"x":["User","login",{"identifier":"a","password":"b"}]}}`)), false},
		{"a batch of one", api4Request(t, "POST", "/civicrm/ajax/api4", formCT, form("calls", `[["User","login",{"identifier":"a","password":"b"}]]`)), false},
		{"User.update, which runs get on its where", api4Request(t, "POST", "/civicrm/ajax/api4/User/update", formCT,
			form("params", `{"where":[["id","=",1]],"values":{"password":"n"},"actorPassword":"p"}`)), true},
		{"User.save, which runs update", api4Request(t, "POST", "/civicrm/ajax/api4/User/save", formCT,
			form("params", `{"records":[{"id":1,"password":"n"}],"actorPassword":"p"}`)), true},
		{"User.update with a chain", api4Request(t, "POST", "/civicrm/ajax/api4/User/update", formCT,
			form("params", `{"where":[["id","=",1]],"values":{},"actorPassword":"p","chain":{"x":["User","get",{}]}}`)), false},
		{"APIv3", ajaxCall(t, "Contact", "get", `{"api.User.login":{"version":4,"identifier":"a","password":"b"}}`), false},
	} {
		if got := OnlyCall(tc.call); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// CiviCRM's answers to User.login (Login::passwordCheck and _run set
// publicError or url on the Result, which civicrm/ajax/api4 sends as
// values) read as what they say.
func TestUserLoginAnswer(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		want   LoginOutcome
	}{
		{200, `{"values":{"publicError":"Invalid credentials"},"entity":"User","action":"login","version":4,"count":1}`, LoginInvalid},
		{200, `{"values":{"url":"/civicrm/home"},"entity":"User","action":"login","version":4,"count":1}`, LoginURL},
		{200, `{"values":{"url":"/civicrm/mfa/totp"},"count":1}`, LoginURL},
		{200, `{"values":{"publicError":"Missing password/username"},"count":1}`, LoginUnread},
		{200, `{"values":{"publicError":"MFA failed verification"},"count":1}`, LoginUnread},
		{200, `{"values":{"url":""},"count":1}`, LoginUnread},
		{200, `{"values":[],"count":0}`, LoginUnread},
		{403, `{"error_code":0,"error_message":"Authorization failed"}`, LoginUnread},
		{500, `{"values":{"url":"/civicrm/home"}}`, LoginUnanswered},
		{502, ``, LoginUnanswered},
		{200, `<html>`, LoginUnread},
	} {
		if got := UserLoginAnswer(tc.status, []byte(tc.body)); got != tc.want {
			t.Errorf("%d %s: %v, want %v", tc.status, tc.body, got, tc.want)
		}
	}
}

// An actorPassword check's answer says only whether the call was let
// through: 403 "Incorrect password" (and every other refusal, which the
// edge cannot tell from it without debug output) is a failed check.
func TestActorPasswordAnswer(t *testing.T) {
	for status, want := range map[int]LoginOutcome{200: LoginURL, 204: LoginURL, 403: LoginUnread, 400: LoginUnread, 401: LoginUnread,
		404: LoginUnread, 500: LoginUnanswered, 502: LoginUnanswered, 0: LoginUnanswered} {
		if got := ActorPasswordAnswer(status); got != want {
			t.Errorf("%d: %v, want %v", status, got, want)
		}
	}
}

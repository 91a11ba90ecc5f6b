package caddymodule

import (
	"net/url"
	"testing"
)

// The session a User.login ran in is the client's Cookie as it went
// upstream with CiviCRM's Set-Cookie over it.
func TestSessionAfter(t *testing.T) {
	for _, tc := range []struct {
		client, set []string
		want        string
	}{
		{nil, nil, ""},
		{[]string{"SESSCIVISO=old; other=1"}, nil, "SESSCIVISO=old; other=1"},
		{[]string{"SESSCIVISO=old"}, []string{"SESSCIVISO=new; path=/; HttpOnly"}, "SESSCIVISO=new"},
		{nil, []string{"SESSCIVISO=new; path=/"}, "SESSCIVISO=new"},
		{[]string{"SESSCIVISO=old; keep=1"}, []string{"SESSCIVISO=deleted; Max-Age=0"}, "keep=1"},
	} {
		if got := sessionAfter(tc.client, tc.set); got != tc.want {
			t.Errorf("%q + %q: %q, want %q", tc.client, tc.set, got, tc.want)
		}
	}
}

// civicrm/authx/logout is asked beside civicrm/authx/id, in its URL form.
func TestAuthxLogout(t *testing.T) {
	for in, want := range map[string]string{
		"/civicrm/authx/id":                 "/civicrm/authx/logout",
		"/site%202/civicrm/authx/id":        "/site%202/civicrm/authx/logout",
		"/index.php?q=civicrm/authx/id":     "/index.php?q=civicrm/authx/logout",
		"/?page=CiviCRM&q=civicrm/authx/id": "/?page=CiviCRM&q=civicrm/authx/logout",
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		authxLogout(u)
		if got := u.String(); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

// A Cookie names a cookie twice when PHP would register two of its
// pairs under one variable (it keeps the first): the same name, across
// Cookie lines too, after leading white space and PHP's name mangling.
func TestDuplicateCookie(t *testing.T) {
	for _, tc := range []struct {
		values []string
		want   bool
	}{
		{nil, false},
		{[]string{"SESSCIVISO=a; other=1"}, false},
		{[]string{"SESSCIVISO=a; SESSCIVISO=b"}, true},
		{[]string{"SESSCIVISO=a", "SESSCIVISO=b"}, true},
		{[]string{"SESSCIVISO=a;\tSESSCIVISO=b"}, true},
		{[]string{"SESSCIVISO=a; SESSCIVISO[x]=b"}, true},
		{[]string{"SESS.CIVISO=a; SESS_CIVISO=b"}, true},
		{[]string{"SESS CIVISO=a; SESS_CIVISO=b"}, true},
		{[]string{"SESSCIVISO=a; sesscivisO=b"}, false}, // PHP's names are case-sensitive
		{[]string{"SESSCIVISO=a;; =x; =y"}, false},
	} {
		if got := duplicateCookie(tc.values); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.values, got, tc.want)
		}
	}
}

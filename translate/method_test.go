package translate

import "testing"

// Which methods reach CiviCRM on the APIv3 forms (attack round 4, F5), and
// as what.
func TestAPI3MethodReply(t *testing.T) {
	for _, tc := range []struct {
		form   Form
		method string
		status int // 0: it goes on
	}{
		{FormAjax, "GET", 0}, {FormAjax, "HEAD", 0}, {FormAjax, "POST", 0},
		{FormExtern, "OPTIONS", 204}, {FormAjax, "PUT", 405}, {FormExtern, "DELETE", 405},
		{FormAjax, "PATCH", 405}, {FormAjax, "TRACE", 405}, {FormExtern, "get", 405}, {FormAjax, "post", 405},
		{FormWPRest, "get", 0}, {FormWPRest, "PUT", 0}, {FormWPRest, "delete", 0}, {FormWPRest, "HEAD", 0},
		{FormWPRest, "OPTIONS", 0}, {FormWPRest, "TRACE", 404}, {FormWPRest, "PROPFIND", 404},
	} {
		call := testCall(t, tc.form, tc.method, `{}`)
		got := 0
		if r := API3MethodReply(call); r != nil {
			got = r.Status
		}
		if got != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.form, tc.method, got, tc.status)
		}
	}
	for in, want := range map[string]string{"GET": "GET", "HEAD": "GET", "": "GET", "POST": "POST"} {
		if got := UpstreamMethod(in); got != want {
			t.Errorf("UpstreamMethod(%q) = %q, want %q", in, got, want)
		}
	}
}

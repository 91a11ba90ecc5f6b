package authx

import (
	"context"
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/civigate/civigate/translate"
)

// civicrm/ajax/rest's CSRF rule for a credential a browser attaches by
// itself (csrf.go): a password in Authorization: Basic needs exactly one
// X-Requested-With, exactly "XMLHttpRequest", under any spelling PHP reads;
// a bearer credential and the caller-set flows need none.
func TestAjaxCSRFForAmbientCredentials(t *testing.T) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:pw"))
	const xrw = "XMLHttpRequest"
	for _, tc := range []struct {
		name   string
		form   translate.Form
		method string
		hdr    http.Header
		cred   translate.Credentials // with no hdr
		xrw    string                // Call.RequestedWith, with no hdr
		csrf   bool                  // refused by the rule
	}{
		{name: "Basic, no X-Requested-With", hdr: http.Header{"Authorization": {basic}}, csrf: true},
		{name: "Basic, POST, no X-Requested-With", method: "POST", hdr: http.Header{"Authorization": {basic}}, csrf: true},
		{name: "Basic on the verbose CMS URL", form: translate.FormAjaxVerbose, hdr: http.Header{"Authorization": {basic}}, csrf: true},
		{name: "Basic with X-Requested-With", hdr: http.Header{"Authorization": {basic}, "X-Requested-With": {xrw}}},
		{name: "Basic under a lower-case header name", hdr: http.Header{"authorization": {basic}}, csrf: true},
		{name: "Basic with x-requested-with in lower case (name)", hdr: http.Header{"Authorization": {basic}, "x-requested-with": {xrw}}},
		{name: "Basic with X_Requested_With (PHP reads it)", hdr: http.Header{"Authorization": {basic}, "X_Requested_With": {xrw}}},
		{name: "value in another case is no proof", hdr: http.Header{"Authorization": {basic}, "X-Requested-With": {"xmlhttprequest"}}, csrf: true},
		{name: "value with a space is no proof", hdr: http.Header{"Authorization": {basic}, "X-Requested-With": {xrw + " "}}, csrf: true},
		{name: "two values are no proof (PHP sees them joined)", hdr: http.Header{"Authorization": {basic}, "X-Requested-With": {xrw, xrw}}, csrf: true},
		{name: "two spellings are no proof", hdr: http.Header{"Authorization": {basic}, "X-Requested-With": {xrw}, "X_Requested_With": {xrw}}, csrf: true},
		{name: "an empty value beside the proof is no proof", hdr: http.Header{"Authorization": {basic}, "X-Requested-With": {xrw, ""}}, csrf: true},
		{name: "a joined value is no proof", hdr: http.Header{"Authorization": {basic}, "X-Requested-With": {xrw + ", " + xrw}}, csrf: true},
		{name: "OPTIONS passes (CiviCRM 5.72+)", method: "OPTIONS", hdr: http.Header{"Authorization": {basic}}},
		{name: "without the header, the Call's proof", cred: translate.Credentials{Authorization: basic}, xrw: xrw},
		{name: "without the header, no proof", cred: translate.Credentials{Authorization: basic}, csrf: true},
		{name: "Bearer needs none (README)", hdr: http.Header{"Authorization": {"Bearer " + akUser}}},
		{name: "Basic in X-Civi-Auth is set by the caller", hdr: http.Header{"X-Civi-Auth": {basic}}},
		{name: "Basic in _authx is set by the caller", cred: translate.Credentials{Authx: basic}},
		{name: "extern/rest.php reads no Authorization", form: translate.FormExtern, cred: translate.Credentials{Authorization: basic, SiteKey: testSiteKey, APIKey: akUser}},
		{name: "APIv4: Basic is no credential there (api4Gate refuses the anonymous call)", form: translate.FormAPI4, hdr: http.Header{"Authorization": {basic}}, csrf: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.AllowAnonymous = true })
			call := contactGet()
			if tc.form != "" {
				call.Form = tc.form
			}
			if tc.form == translate.FormAPI4 {
				call.API4 = &translate.API4Call{Entity: "Contact", Action: "get"}
			}
			if tc.method != "" {
				call.Method = tc.method
			}
			call.Credentials = tc.cred
			call.RequestedWith = tc.xrw
			if tc.form != translate.FormExtern {
				call.Credentials.XCiviKey = testSiteKey
			}
			if tc.hdr != nil {
				tc.hdr.Set("X-Civi-Key", testSiteKey)
			}
			p, rej := e.a.Authenticate(context.Background(), Request{Call: call, Header: tc.hdr})
			switch {
			case tc.csrf && (rej == nil || rej.Reason != ReasonCSRF):
				t.Fatalf("want the CSRF refusal, got %v %v", p, rej)
			case !tc.csrf && rej != nil:
				t.Fatalf("refused: %s (%s)", rej.Message, rej.Detail)
			case !tc.csrf:
				return
			}
			if tc.form == translate.FormAPI4 {
				return
			}
			reply, h := rej.Reply(call, "")
			want := `{"IP":null,"level":"security","referer":null,"reason":"CSRF suspected","is_error":1,"error_message":"SECURITY ALERT: Ajax requests can only be issued by javascript clients, eg. CRM.api3()."}`
			if reply.Status != 200 || reply.ContentType != "application/json" || string(reply.Body) != want || len(h) != 0 {
				t.Errorf("reply %d %s %s %v", reply.Status, reply.ContentType, reply.Body, h)
			}
			if n := e.res.calls.Load(); n == 0 {
				t.Errorf("refused before the credential was verified: CiviCRM refuses after AuthX")
			}
		})
	}
}

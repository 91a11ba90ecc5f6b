package authx

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/netip"
	"testing"

	"github.com/civigate/civigate/internal/calltest"
	"github.com/civigate/civigate/translate"
)

func api4Call(t *testing.T, method, target, form string, h http.Header) (*translate.Call, http.Header) {
	return calltest.API4(t, method, target, form, h)
}

// AuthX as CiviCRM runs it on civicrm/ajax/api4 (spec §6, §7), and the
// shape of every refusal an APIv4 client gets.
func TestAuthenticateAPI4(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AllowAnonymous = true })
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:pw"))
	xrw := "XMLHttpRequest"
	cases := []struct {
		name       string
		method     string
		target     string
		form       string
		hdr        []string
		contact    int64 // accepted as this contact (0: anonymous)
		status     int   // refused with this status
		ct, body   string
		reasonWant Reason
	}{
		{name: "X-Civi-Auth needs no X-Requested-With", method: "POST", target: "/civicrm/ajax/api4/Contact/get", form: "params={}",
			hdr: []string{"X-Civi-Auth", "Bearer " + akUser}, contact: 3},
		{name: "Authorization Bearer without X-Requested-With: CiviCRM's CSRF 400", method: "POST", target: "/civicrm/ajax/api4/Contact/get", form: "params={}",
			hdr: []string{"Authorization", "Bearer " + akUser}, status: 400, ct: "application/json", body: `{"error_code":400,"error_message":"SECURITY ALERT: Ajax requests can only be issued by javascript clients, eg. CRM.api4()."}`, reasonWant: ReasonCSRF},
		{name: "X-Requested-With in another case is no proof", method: "POST", target: "/civicrm/ajax/api4/Contact/get", form: "params={}",
			hdr: []string{"Authorization", "Bearer " + akUser, "X-Requested-With", "xmlhttprequest"}, status: 400, reasonWant: ReasonCSRF},
		{name: "X-Requested-With twice is no proof (PHP reads it joined)", method: "POST", target: "/civicrm/ajax/api4/Contact/get", form: "params={}",
			hdr: []string{"Authorization", "Bearer " + akUser, "X-Requested-With", xrw, "X-Requested-With", xrw}, status: 400, reasonWant: ReasonCSRF},
		{name: "Authorization Bearer with X-Requested-With", method: "POST", target: "/civicrm/ajax/api4/Contact/get", form: "params={}",
			hdr: []string{"Authorization", "Bearer " + akUser, "X-Requested-With", xrw}, contact: 3},
		{name: "a bad credential is refused before the CSRF rule, in AuthX's shape", method: "POST", target: "/civicrm/ajax/api4/Contact/get", form: "params={}",
			hdr: []string{"Authorization", "Bearer nope"}, status: 401, ct: "text/plain;charset=UTF-8", body: "HTTP 401 Invalid credential", reasonWant: ReasonInvalid},
		{name: "Basic is ignored: anonymous", method: "POST", target: "/civicrm/ajax/api4/Contact/get", form: "params={}",
			hdr: []string{"Authorization", basic, "X-Requested-With", xrw}, contact: 0},
		{name: "Basic is ignored: _authx is the credential", method: "POST", target: "/civicrm/ajax/api4/Contact/get", form: "params={}&_authx=Bearer+" + akUser,
			hdr: []string{"Authorization", basic}, contact: 3},
		{name: "a password on X-Civi-Auth is not allowed", method: "POST", target: "/civicrm/ajax/api4/Contact/get", form: "params={}",
			hdr: []string{"X-Civi-Auth", basic, "X-Civi-Key", testSiteKey}, status: 401, ct: "text/plain;charset=UTF-8",
			body: `HTTP 401 Authentication type "pass" with flow "xheader" is not allowed for this principal.`, reasonWant: ReasonInvalid},
		{name: "no credential without X-Requested-With", method: "POST", target: "/civicrm/ajax/api4/Contact/get", form: "params={}",
			status: 400, reasonWant: ReasonCSRF},
		{name: "_authx in the query of a POST is ignored", method: "POST", target: "/civicrm/ajax/api4/Contact/get?_authx=Bearer+" + akUser, form: "params={}",
			status: 400, reasonWant: ReasonCSRF},
		{name: "_authx in the query of a GET", method: "GET", target: "/civicrm/ajax/api4/Contact/get?_authx=Bearer+" + akUser, contact: 3},
		{name: "a lone key: legacyrest's FATAL", method: "POST", target: "/civicrm/ajax/api4/Contact/get", form: "params={}&key=" + testSiteKey,
			status: 200, ct: "text/javascript;charset=UTF-8", body: `{"error_message":"FATAL: Invalid credential","is_error":1}`, reasonWant: ReasonInvalid},
		{name: "api_key beside another user's X-Civi-Auth: mismatched session", method: "POST", target: "/civicrm/ajax/api4/Contact/get", form: "params={}&api_key=" + akNoPerm,
			hdr: []string{"X-Civi-Auth", "Bearer " + akUser}, status: 200, ct: "text/javascript;charset=UTF-8",
			body: `{"error_message":"FATAL: Cannot login. A mismatched session is already active.","is_error":1}`, reasonWant: ReasonAmbiguous},
		{name: "a key without the guard and no site key: AuthX's guard 401", method: "POST", target: "/civicrm/ajax/api4/Contact/get", form: "params={}",
			hdr: []string{"X-Civi-Auth", "Bearer " + akNoPerm}, status: 401, ct: "text/plain;charset=UTF-8",
			body: "HTTP 401 Login not permitted. Must satisfy guard (site_key, perm).", reasonWant: ReasonSiteKey},
	}
	for _, tc := range cases {
		h := http.Header{}
		for i := 0; i < len(tc.hdr); i += 2 {
			h.Add(tc.hdr[i], tc.hdr[i+1])
		}
		call, hdr := api4Call(t, tc.method, tc.target, tc.form, h)
		p, rej := e.a.Authenticate(context.Background(), Request{Call: call, Header: hdr, ClientIP: netip.MustParseAddr("192.0.2.1")})
		if tc.status == 0 {
			if rej != nil || p.ContactID != tc.contact {
				t.Errorf("%s: %+v %+v", tc.name, p, rej)
			}
			continue
		}
		if rej == nil {
			t.Errorf("%s: accepted as %v", tc.name, p)
			continue
		}
		if call.API4.Params != nil {
			t.Errorf("%s: params decoded for a caller refused before the policy", tc.name)
		}
		reply, _ := rej.Reply(call, "")
		if reply.Status != tc.status || rej.Reason != tc.reasonWant || tc.ct != "" && reply.ContentType != tc.ct || tc.body != "" && string(reply.Body) != tc.body {
			t.Errorf("%s: %s → %d %q %s", tc.name, rej.Reason, reply.Status, reply.ContentType, reply.Body)
		}
	}
}

// A rule without `version` covers both APIs as clients call them natively,
// and still not a version 4 smuggled into an APIv3 form (spec §9).
func TestPolicyAPI4(t *testing.T) {
	pr := &Principal{ContactID: 3, CredType: CredAPIKey}
	ip := netip.MustParseAddr("192.0.2.1")
	v4 := func(target, form string) *translate.Call {
		method := "POST"
		if form == "" {
			method = "GET"
		}
		c, _ := api4Call(t, method, target, form, nil)
		c.DecodeParams(context.Background())
		return c
	}
	readOnly := &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"Contact", "Email"}, Actions: []string{"get"}}}}
	onlyV3 := &Policy{Rules: []Rule{{Effect: "deny", Versions: []int{4}}}}
	noContact := &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{"Contact"}, Actions: []string{"delete"}}}}
	paramRule := &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"Contact"}, Actions: []string{"get"},
		Params: map[string]string{"select": "array", "where": "array"}}}}
	cases := []struct {
		name    string
		p       *Policy
		call    *translate.Call
		allowed bool
	}{
		{"native APIv4 under a rule without version", readOnly, v4("/civicrm/ajax/api4/Contact/get", "params={}"), true},
		{"native APIv4 with no policy at all", nil, v4("/civicrm/ajax/api4/Note/create", "params={}"), true},
		{"version 4 smuggled into APIv3 stays refused", readOnly, jsonCall(t, "Contact", "get", `{"version":4}`), false},
		{"a write in a chain", readOnly, v4("/civicrm/ajax/api4/Contact/get", `params={"chain":{"n":["Note","create",{}]}}`), false},
		{"a chain from the query", readOnly, v4("/civicrm/ajax/api4/Contact/get?chain[n][0]=Email&chain[n][1]=delete", "params={}"), false},
		{"a read chain", readOnly, v4("/civicrm/ajax/api4/Contact/get", `params={"chain":{"e":["Email","get",{}]}}`), true},
		{"a batch member", readOnly, v4("/civicrm/ajax/api4", `calls=[["Contact","get"],["Email","create"]]`), false},
		{"a batch of reads", readOnly, v4("/civicrm/ajax/api4", `calls=[["Contact","get"],["Email","get"]]`), true},
		{"a batch whose calls do not decode runs nothing", readOnly, v4("/civicrm/ajax/api4", `calls=nope`), true},
		{"names ignore case", readOnly, v4("/civicrm/ajax/api4/contact/GET", "params={}"), true},
		{"a rule for version 4", onlyV3, v4("/civicrm/ajax/api4/Contact/get", "params={}"), false},
		{"a deny on Contact covers Individual", noContact, v4("/civicrm/ajax/api4/Individual/delete", "params={}"), false},
		{"param rules: allowed keys", paramRule, v4("/civicrm/ajax/api4/Contact/get", `params={"select":["id"],"where":[],"checkpermissions":false,"version":4}`), true},
		{"param rules: another key", paramRule, v4("/civicrm/ajax/api4/Contact/get", `params={"select":["id"],"limit":1}`), false},
		{"param rules: a wrong type", paramRule, v4("/civicrm/ajax/api4/Contact/get", `params={"select":"id"}`), false},
	}
	for _, tc := range cases {
		rej := tc.p.Check(pr, tc.call, ip)
		if (rej == nil) != tc.allowed {
			t.Errorf("%s: %+v", tc.name, rej)
		}
		if rej != nil && tc.call.API4 != nil {
			if reply, _ := rej.Reply(tc.call, ""); reply.Status != 403 || reply.ContentType != "application/json" ||
				string(reply.Body) != `{"error_code":403,"error_message":"Forbidden by gateway policy","status":403}` {
				t.Errorf("%s: refusal %d %s", tc.name, reply.Status, reply.Body)
			}
		}
	}
}

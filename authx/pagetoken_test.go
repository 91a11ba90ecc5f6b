package authx

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"testing"
	"time"
)

// An Afform page token on an APIv4 call: the calls of its form that
// PageTokenCredential::checkAllowedApi4Call admits run as its contact;
// every other call, another form's, a chain, a batch, an APIv3 route, a
// token beside another credential, an expired or foreign token is refused
// (or, on APIv3, no credential at all).
func TestPageTokenOnAPI4(t *testing.T) {
	e := newEnv(t, nil)
	exp := testNow.Add(time.Hour).Unix()
	tok := func(claims map[string]any) string { return "Bearer " + e.jwt(t, claims) }
	formA := tok(map[string]any{"sub": "cid:7", "scope": "afform", "afform": "formA", "exp": exp})
	expired := tok(map[string]any{"sub": "cid:7", "scope": "afform", "afform": "formA", "exp": testNow.Add(-time.Hour).Unix()})
	authxScope := tok(map[string]any{"sub": "cid:7", "scope": "authx", "afform": "formA", "exp": exp})
	xrw := "XMLHttpRequest"
	params := func(json string) string { return "params=" + url.QueryEscape(json) }
	const prefill = "/civicrm/ajax/api4/Afform/prefill"
	cases := []struct {
		name           string
		method, target string
		form           string
		hdr            []string
		param          string // _aff as $_REQUEST holds it
		status         int    // 0: accepted as contact 7
		body           string
	}{
		{name: "prefill of the token's form", method: "POST", target: prefill, form: params(`{"name":"formA","args":{},"fillMode":"form"}`),
			hdr: []string{"X-Civi-Auth-Afform", formA, "X-Requested-With", xrw}},
		{name: "the header in another spelling", method: "POST", target: prefill, form: params(`{"name":"formA"}`),
			hdr: []string{"X_Civi_Auth_Afform", formA, "X-Requested-With", xrw}},
		{name: "the token in _aff", method: "POST", target: prefill, form: params(`{"name":"formA"}`),
			hdr: []string{"X-Requested-With", xrw}, param: formA},
		{name: "submit", method: "POST", target: "/civicrm/ajax/api4/Afform/submit", form: params(`{"name":"formA","args":{},"values":{"Individual1":[{"fields":{"first_name":"A"}}]}}`),
			hdr: []string{"X-Civi-Auth-Afform", formA, "X-Requested-With", xrw}},
		{name: "submitFile", method: "POST", target: "/civicrm/ajax/api4/Afform/submitFile", form: params(`{"name":"formA","token":"t","modelName":"Individual1","fieldName":"image_URL"}`),
			hdr: []string{"X-Civi-Auth-Afform", formA, "X-Requested-With", xrw}},
		{name: "an autocomplete of the form's field, any entity", method: "GET", target: "/civicrm/ajax/api4/Contact/autocomplete?" + params(`{"formName":"afform:formA","fieldName":"Individual1:employer_id","input":"x"}`),
			hdr: []string{"X-Civi-Auth-Afform", formA, "X-Requested-With", xrw}},
		{name: "the form's search display", method: "POST", target: "/civicrm/ajax/api4/SearchDisplay/run", form: params(`{"savedSearch":"s","display":"d","afform":"formA"}`),
			hdr: []string{"X-Civi-Auth-Afform", formA, "X-Requested-With", xrw}},

		{name: "another form", method: "POST", target: prefill, form: params(`{"name":"formB"}`),
			hdr: []string{"X-Civi-Auth-Afform", formA, "X-Requested-With", xrw}, status: 401, body: "HTTP 401 JWT specifies a different form or route"},
		{name: "the form's name as a number", method: "POST", target: prefill, form: params(`{"name":7}`),
			hdr: []string{"X-Civi-Auth-Afform", formA, "X-Requested-With", xrw}, status: 401},
		{name: "no form named", method: "POST", target: prefill, form: params(`{"args":{}}`),
			hdr: []string{"X-Civi-Auth-Afform", formA, "X-Requested-With", xrw}, status: 401},
		{name: "an autocomplete of another form", method: "GET", target: "/civicrm/ajax/api4/Contact/autocomplete?" + params(`{"formName":"afform:formB"}`),
			hdr: []string{"X-Civi-Auth-Afform", formA, "X-Requested-With", xrw}, status: 401},
		{name: "an autocomplete naming the form without afform:", method: "GET", target: "/civicrm/ajax/api4/Contact/autocomplete?" + params(`{"formName":"formA"}`),
			hdr: []string{"X-Civi-Auth-Afform", formA, "X-Requested-With", xrw}, status: 401},
		{name: "a chain", method: "POST", target: prefill, form: params(`{"name":"formA","chain":{"c":["Contact","delete",{"where":[["id","=",2]]}]}}`),
			hdr: []string{"X-Civi-Auth-Afform", formA, "X-Requested-With", xrw}, status: 401},
		{name: "a chain merged from the query", method: "POST", target: prefill + "?chain%5Bc%5D%5B%5D=Contact", form: params(`{"name":"formA"}`),
			hdr: []string{"X-Civi-Auth-Afform", formA, "X-Requested-With", xrw}, status: 401},
		{name: "checkPermissions", method: "POST", target: prefill, form: params(`{"name":"formA","checkPermissions":false}`),
			hdr: []string{"X-Civi-Auth-Afform", formA, "X-Requested-With", xrw}, status: 401},
		{name: "values spelt Values", method: "POST", target: "/civicrm/ajax/api4/Afform/submit", form: params(`{"name":"formA","Values":{}}`),
			hdr: []string{"X-Civi-Auth-Afform", formA, "X-Requested-With", xrw}, status: 401},
		{name: "another entity", method: "POST", target: "/civicrm/ajax/api4/Contact/get", form: params(`{"name":"formA"}`),
			hdr: []string{"X-Civi-Auth-Afform", formA, "X-Requested-With", xrw}, status: 401},
		{name: "another action of Afform", method: "POST", target: "/civicrm/ajax/api4/Afform/submitDraft", form: params(`{"name":"formA","values":{}}`),
			hdr: []string{"X-Civi-Auth-Afform", formA, "X-Requested-With", xrw}, status: 401},
		{name: "the entity in another case", method: "POST", target: "/civicrm/ajax/api4/afform/prefill", form: params(`{"name":"formA"}`),
			hdr: []string{"X-Civi-Auth-Afform", formA, "X-Requested-With", xrw}, status: 401},
		{name: "a batch of the form's calls", method: "POST", target: "/civicrm/ajax/api4", form: "calls=" + url.QueryEscape(`[["Afform","prefill",{"name":"formA"}]]`),
			hdr: []string{"X-Civi-Auth-Afform", formA, "X-Requested-With", xrw}, status: 401},
		{name: "params missing", method: "POST", target: prefill, form: "x=1",
			hdr: []string{"X-Civi-Auth-Afform", formA, "X-Requested-With", xrw}, status: 401},
		{name: "no X-Requested-With: CiviCRM's CSRF rule", method: "POST", target: prefill, form: params(`{"name":"formA"}`),
			hdr: []string{"X-Civi-Auth-Afform", formA}, status: 400},
		{name: "expired", method: "POST", target: prefill, form: params(`{"name":"formA"}`),
			hdr: []string{"X-Civi-Auth-Afform", expired, "X-Requested-With", xrw}, status: 401, body: "HTTP 401 Expired token"},
		{name: "an AuthX token is no page token", method: "POST", target: prefill, form: params(`{"name":"formA"}`),
			hdr: []string{"X-Civi-Auth-Afform", authxScope, "X-Requested-With", xrw}, status: 401, body: "HTTP 401 Invalid credential"},
		{name: "beside an AuthX credential", method: "POST", target: prefill, form: params(`{"name":"formA"}`),
			hdr: []string{"X-Civi-Auth-Afform", formA, "X-Civi-Auth", "Bearer " + akUser, "X-Requested-With", xrw}, status: 400},
		{name: "two different tokens", method: "POST", target: prefill, form: params(`{"name":"formA"}`),
			hdr: []string{"X-Civi-Auth-Afform", formA, "X-Requested-With", xrw}, param: expired, status: 400},
	}
	for _, tc := range cases {
		h := http.Header{}
		for i := 0; i < len(tc.hdr); i += 2 {
			h.Add(tc.hdr[i], tc.hdr[i+1])
		}
		call, hdr := api4Call(t, tc.method, tc.target, tc.form, h)
		call.Credentials.AfformToken = tc.param
		p, rej := e.a.Authenticate(context.Background(), Request{Call: call, Header: hdr, ClientIP: netip.MustParseAddr("192.0.2.1")})
		if tc.status == 0 {
			if rej != nil || p.ContactID != 7 || p.Flow != FlowAfformPage {
				t.Errorf("%s: %v %+v", tc.name, p, rej)
				continue
			}
			if name, auth, key := UpstreamIdentity(p, testSiteKey); name != "X-Civi-Auth-Afform" || key != "" ||
				auth != formA {
				t.Errorf("%s: goes upstream as %q (site key %q)", tc.name, name, key)
			}
			continue
		}
		if rej == nil {
			t.Errorf("%s: accepted as %v", tc.name, p)
			continue
		}
		reply, _ := rej.Reply(call, "")
		if reply.Status != tc.status || tc.body != "" && string(reply.Body) != tc.body {
			t.Errorf("%s: %s → %d %s", tc.name, rej.Reason, reply.Status, reply.Body)
		}
	}

	// On the APIv3 routes CiviCRM admits the token nowhere: it is no
	// credential there (and goes no further than the edge).
	v3 := contactGet()
	v3.Credentials.AfformToken = formA
	if p, rej := e.a.Authenticate(context.Background(), Request{Call: v3, Header: http.Header{"X-Civi-Auth-Afform": {formA}}, ClientIP: netip.MustParseAddr("192.0.2.1")}); rej == nil || rej.Reason != ReasonMissing {
		t.Errorf("APIv3: %v %+v, want no credential", p, rej)
	}
}

// The policy's rules judge a page token's caller and call as any other's.
func TestPageTokenPolicy(t *testing.T) {
	exp := testNow.Add(time.Hour).Unix()
	for _, tc := range []struct {
		name  string
		rules []Rule
		ok    bool
	}{
		{"no rule", nil, true},
		{"the contact denied", []Rule{{Effect: "deny", Contacts: []int64{7}}}, false},
		{"Afform.submit denied", []Rule{{Effect: "deny", Entities: []string{"Afform"}, Actions: []string{"submit"}}}, false},
		{"the form's writes denied", []Rule{{Effect: "deny", Entities: []string{"Contact"}, Actions: []string{"create", "update"}}}, false},
	} {
		e := newEnv(t, func(c *Config) { c.Policy = &Policy{Rules: tc.rules} })
		tok := "Bearer " + e.jwt(t, map[string]any{"sub": "cid:7", "scope": "afform", "afform": "formA", "exp": exp})
		call, hdr := api4Call(t, "POST", "/civicrm/ajax/api4/Afform/submit",
			"params="+url.QueryEscape(`{"name":"formA","values":{"Individual1":[{"fields":{"first_name":"A"}}]}}`),
			http.Header{"X-Civi-Auth-Afform": {tok}, "X-Requested-With": {"XMLHttpRequest"}})
		p, rej := e.a.Authenticate(context.Background(), Request{Call: call, Header: hdr, ClientIP: netip.MustParseAddr("192.0.2.1")})
		if (rej == nil) != tc.ok || rej != nil && rej.Reason != ReasonPolicy {
			t.Errorf("%s: %v %+v", tc.name, p, rej)
		}
	}
}

// pageTokenCalls holds the entries of CiviCRM's list, each with its form
// parameter among its fields (else no call could pass).
func TestPageTokenCalls(t *testing.T) {
	for _, c := range pageTokenCalls {
		found := false
		for _, f := range c.fields {
			found = found || f == c.formParam
		}
		if !found || c.action == "" {
			t.Errorf("%s.%s: form parameter %q not among %v", c.entity, c.action, c.formParam, c.fields)
		}
	}
}

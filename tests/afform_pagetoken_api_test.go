package tests

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/tests/civicrmsim"
)

// A form opened from an Afform e-mail link (civicrm/my-form?_aff=Bearer+<JWT>)
// makes its own APIv4 calls with the token in X-Civi-Auth-Afform
// (PageTokenCredential::onInvoke's CRM.$.ajaxSetup), which CiviCRM's
// afformPageToken accepts for the calls of the token's form
// (checkAllowedApi4Call). Through Civigate they run as the token's
// contact, with the token upstream in that header alone, never cached;
// every other use of the token is refused at the edge (or, on APIv3, is no
// credential at all), and the token never shows in the access log.
func TestAfformPageTokenOnAPI(t *testing.T) {
	const secret = "fixaff-sign-secret"
	signKeys := "jwt-hs256:hkdf-sha256:" + secret
	keys, err := authx.ParseSignKeys(signKeys)
	if err != nil {
		t.Fatal(err)
	}
	token := func(claims map[string]any) string {
		c := map[string]any{"sub": "cid:3", "scope": "afform", "afform": civicrmsim.AfformForm,
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
		for k, v := range claims {
			c[k] = v
		}
		tok, err := authx.SignCiviJWT(keys, c)
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok
	}
	sim, u, inst, logf := a20Setup(t, civicrmsim.Options{SignKeys: signKeys}, "sign_keys "+signKeys)
	valid := token(nil)
	api4 := inst.URL + "/civicrm/ajax/api4/"
	xrw := "XMLHttpRequest"
	page := map[string]string{"X-Civi-Auth-Afform": valid, "X-Requested-With": xrw}
	params := func(json string) string { return url.Values{"params": {json}}.Encode() }
	prefill := params(`{"name":"` + civicrmsim.AfformForm + `","args":{},"fillMode":"form"}`)
	lastUpstream := func(part string) *http.Request {
		rs := u.reached(part)
		if len(rs) == 0 {
			return nil
		}
		return rs[len(rs)-1]
	}

	// The form's prefill runs as contact 3, the token upstream in
	// X-Civi-Auth-Afform only (no AuthX header, no site key, no cookie).
	r := a10bDo(t, "POST", api4+"Afform/prefill", page, prefill)
	if r.status != 200 || !strings.Contains(r.body, "Lovelace") {
		t.Fatalf("prefill with the page token: %d %s", r.status, r.body)
	}
	up := lastUpstream("/Afform/prefill")
	if up.Header.Get("X-Civi-Auth-Afform") != valid || up.Header.Get("X-Civi-Auth") != "" || up.Header.Get("X-Civi-Key") != "" {
		t.Errorf("prefill went upstream with X-Civi-Auth-Afform %t, X-Civi-Auth %q, X-Civi-Key %q",
			up.Header.Get("X-Civi-Auth-Afform") == valid, up.Header.Get("X-Civi-Auth"), up.Header.Get("X-Civi-Key"))
	}
	// As _aff in the query or a cookie: the same, and the token goes
	// upstream in the header alone, never in the URL or a cookie.
	for name, tc := range map[string]struct {
		target string
		hdr    map[string]string
	}{
		"query":  {api4 + "Afform/prefill?_aff=" + url.QueryEscape(valid), map[string]string{"X-Requested-With": xrw}},
		"cookie": {api4 + "Afform/prefill", map[string]string{"X-Requested-With": xrw, "Cookie": "_aff=" + url.PathEscape(valid) + "; SESS=1"}},
	} {
		r := a10bDo(t, "POST", tc.target, tc.hdr, prefill)
		up := lastUpstream("/Afform/prefill")
		if r.status != 200 || !strings.Contains(r.body, "Lovelace") {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
		if strings.Contains(up.URL.RawQuery, "aff") || up.Header.Get("Cookie") != "" || up.Header.Get("X-Civi-Auth-Afform") != valid {
			t.Errorf("%s: upstream query %q, cookie %q", name, up.URL.RawQuery, up.Header.Get("Cookie"))
		}
	}

	// The form's submit saves as contact 3.
	r = a10bDo(t, "POST", api4+"Afform/submit", page,
		params(`{"name":"`+civicrmsim.AfformForm+`","args":{},"values":{"Individual1":[{"fields":{"first_name":"Augusta"}}]}}`))
	if r.status != 200 || sim.Calls("Afform.submit") != 1 {
		t.Fatalf("submit with the page token: %d %s", r.status, r.body)
	}
	if r := a10bDo(t, "POST", api4+"Afform/prefill", page, prefill); !strings.Contains(r.body, "Augusta") {
		t.Errorf("the submit did not save as contact 3: %s", r.body)
	}

	// An autocomplete of the form's field is never answered from the
	// cache: it reads the form's search (uncacheable for anyone), and a
	// page token's call would not be cached anyway (form-scoped).
	auto := api4 + "Contact/autocomplete?" + params(`{"formName":"afform:`+civicrmsim.AfformForm+`","fieldName":"Individual1:employer_id","input":"a"}`)
	n := len(u.reached("/Contact/autocomplete"))
	for i := 0; i < 2; i++ {
		r := a10bDo(t, "GET", auto, page, "")
		if !strings.Contains(r.cacheStatus, "fwd=bypass") {
			t.Errorf("autocomplete %d: Cache-Status %q", i, r.cacheStatus)
		}
	}
	if got := len(u.reached("/Contact/autocomplete")) - n; got != 2 {
		t.Errorf("autocomplete reached CiviCRM %d times of 2", got)
	}

	// Refusals: nothing reaches CiviCRM's API.
	other := token(map[string]any{"afform": "afformOther"})
	for _, tc := range []struct {
		name, target, body string
		hdr                map[string]string
		status             int
	}{
		{"expired", api4 + "Afform/prefill", prefill,
			map[string]string{"X-Civi-Auth-Afform": token(map[string]any{"exp": time.Now().Add(-time.Hour).Unix()}), "X-Requested-With": xrw}, 401},
		{"an AuthX scope", api4 + "Afform/prefill", prefill,
			map[string]string{"X-Civi-Auth-Afform": token(map[string]any{"scope": "authx"}), "X-Requested-With": xrw}, 401},
		{"another form's token", api4 + "Afform/prefill", prefill,
			map[string]string{"X-Civi-Auth-Afform": other, "X-Requested-With": xrw}, 401},
		{"another entity", api4 + "Contact/get", params(`{"select":["api_key"]}`), page, 401},
		{"another action", api4 + "Afform/submitDraft", params(`{"name":"` + civicrmsim.AfformForm + `","values":{}}`), page, 401},
		{"a chain", api4 + "Afform/prefill",
			params(`{"name":"` + civicrmsim.AfformForm + `","chain":{"x":["Contact","delete",{"where":[["id","=",4]]}]}}`), page, 401},
		{"a batch", api4, url.Values{"calls": {`{"a":["Afform","prefill",{"name":"` + civicrmsim.AfformForm + `"}],"b":["Contact","get",{}]}`}}.Encode(), page, 401},
		{"beside another credential", api4 + "Afform/prefill", prefill,
			map[string]string{"X-Civi-Auth-Afform": valid, "X-Civi-Auth": "Bearer " + sim.Admin().APIKey, "X-Requested-With": xrw}, 400},
		{"no X-Requested-With", api4 + "Afform/prefill", prefill, map[string]string{"X-Civi-Auth-Afform": valid}, 400},
	} {
		n := len(u.reached("/civicrm/ajax/api4"))
		r := a10bDo(t, "POST", tc.target, tc.hdr, tc.body)
		if r.status != tc.status || len(u.reached("/civicrm/ajax/api4")) != n {
			t.Errorf("%s: %d %q (reached CiviCRM: %v), want %d at the edge", tc.name, r.status, r.body, len(u.reached("/civicrm/ajax/api4")) != n, tc.status)
		}
	}

	// On the APIv3 route CiviCRM admits no page token: it is no credential
	// there, never sent on, and the call is not run as contact 3.
	v3 := url.Values{"entity": {"Contact"}, "action": {"get"}, "json": {`{"id":3}`}}.Encode()
	r = a10bDo(t, "POST", inst.URL+"/civicrm/ajax/rest", page, v3)
	if strings.Contains(r.body, "Lovelace") {
		t.Errorf("APIv3 with a page token ran as its contact: %d %s", r.status, r.body)
	}
	if up := lastUpstream("/civicrm/ajax/rest"); up != nil && (up.Header.Get("X-Civi-Auth-Afform") != "" || up.Header.Get("X-Civi-Auth") != "") {
		t.Errorf("APIv3 sent an identity upstream: %v", up.Header)
	}

	if log := a20ReadLog(t, logf); strings.Contains(log, "eyJ") {
		t.Error("the access log holds a page token")
	}
}

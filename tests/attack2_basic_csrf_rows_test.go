package tests

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// csrfBody is CiviCRM's civicrm/ajax/rest CSRF refusal for a client at
// 127.0.0.1 without a Referer (spec §4).
const csrfBody = `{"IP":"127.0.0.1","level":"security","referer":null,"reason":"CSRF suspected","is_error":1,"error_message":"SECURITY ALERT: Ajax requests can only be issued by javascript clients, eg. CRM.api3()."}`

// The spellings around civicrm/ajax/rest's CSRF rule for a Basic
// credential (authx/csrf.go), end to end through Caddy on a site that
// allows passwords: the refusal is CiviCRM's, byte for byte, comes after
// the password is verified, and nothing reaches CiviCRM's API; the proof
// is exactly one X-Requested-With: XMLHttpRequest under any spelling PHP
// reads; a bearer credential still needs none; the other forms are not
// affected (extern/rest.php reads no Authorization, APIv4 takes no Basic
// credential and applies CiviCRM's rule to the anonymous call).
func TestBasicCredentialCSRFSpellings(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{AllowPassword: true})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	// anonymous: so that an APIv4 call whose Basic credential is ignored
	// meets CiviCRM's CSRF rule rather than Civigate's "Authentication
	// required" (nothing runs either way).
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
		"site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys(), "cache off", "auth {\n\t\t\tanonymous\n\t\t}"))
	admin := sim.Admin()
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(admin.Name+":"+admin.Password))
	const xrw = "XMLHttpRequest"
	create := "entity=Contact&action=create&json=" + url.QueryEscape(`{"contact_type":"Individual","first_name":"Csrf"}`)
	read := "/civicrm/ajax/rest?entity=Contact&action=get&json=" + url.QueryEscape(`{"id":2}`)

	type row struct {
		name, method, target, body string
		hdr                        [][2]string // in order, names as sent
		want                       string      // "csrf", "ok", "401", or a body prefix
	}
	rows := []row{
		{name: "POST form, no X-Requested-With", method: "POST", target: "/civicrm/ajax/rest", body: create,
			hdr: [][2]string{{"Authorization", basic}}, want: "csrf"},
		{name: "POST form, with X-Requested-With", method: "POST", target: "/civicrm/ajax/rest", body: create,
			hdr: [][2]string{{"Authorization", basic}, {"X-Requested-With", xrw}}, want: "ok"},
		{name: "GET read, no X-Requested-With", method: "GET", target: read,
			hdr: [][2]string{{"Authorization", basic}}, want: "csrf"},
		{name: "GET read, verbose CMS URL, no X-Requested-With", method: "GET",
			target: "/index.php?q=civicrm/ajax/rest&entity=Contact&action=get&json=1&id=2",
			hdr:    [][2]string{{"Authorization", basic}}, want: "csrf"},
		{name: "HEAD read, no X-Requested-With", method: "HEAD", target: read,
			hdr: [][2]string{{"Authorization", basic}}, want: "head"},
		{name: "authorization in lower case", method: "POST", target: "/civicrm/ajax/rest", body: create,
			hdr: [][2]string{{"authorization", basic}}, want: "csrf"},
		{name: "scheme basic in lower case is no credential to AuthX", method: "POST", target: "/civicrm/ajax/rest", body: create,
			hdr: [][2]string{{"Authorization", "basic" + strings.TrimPrefix(basic, "Basic")}}, want: "401"},
		{name: "x-requested-with, name in lower case", method: "POST", target: "/civicrm/ajax/rest", body: create,
			hdr: [][2]string{{"Authorization", basic}, {"x-requested-with", xrw}}, want: "ok"},
		// Caddy drops header names with '_' (GHSA-f59h-q822-g45g), so PHP
		// behind it never sees X_Requested_With; authx reads both
		// spellings for a server configured to keep it.
		{name: "X_Requested_With alone: dropped by Caddy, no proof", method: "POST", target: "/civicrm/ajax/rest", body: create,
			hdr: [][2]string{{"Authorization", basic}, {"X_Requested_With", xrw}}, want: "csrf"},
		{name: "value in lower case", method: "POST", target: "/civicrm/ajax/rest", body: create,
			hdr: [][2]string{{"Authorization", basic}, {"X-Requested-With", "xmlhttprequest"}}, want: "csrf"},
		{name: "value with a trailing word", method: "POST", target: "/civicrm/ajax/rest", body: create,
			hdr: [][2]string{{"Authorization", basic}, {"X-Requested-With", xrw + " x"}}, want: "csrf"},
		{name: "value twice (PHP reads it joined)", method: "POST", target: "/civicrm/ajax/rest", body: create,
			hdr: [][2]string{{"Authorization", basic}, {"X-Requested-With", xrw}, {"X-Requested-With", xrw}}, want: "csrf"},
		{name: "two spellings at once: Caddy keeps the hyphenated one", method: "POST", target: "/civicrm/ajax/rest", body: create,
			hdr: [][2]string{{"Authorization", basic}, {"X-Requested-With", xrw}, {"X_Requested_With", "other"}}, want: "ok"},
		{name: "X_Requested_With cannot stand in for a wrong value", method: "POST", target: "/civicrm/ajax/rest", body: create,
			hdr: [][2]string{{"Authorization", basic}, {"X-Requested-With", "other"}, {"X_Requested_With", xrw}}, want: "csrf"},
		{name: "a wrong password: 401, never a Basic challenge", method: "POST", target: "/civicrm/ajax/rest", body: create,
			hdr: [][2]string{{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(admin.Name+":wrong"))}}, want: "401"},
		{name: "Bearer needs no X-Requested-With (README)", method: "POST", target: "/civicrm/ajax/rest", body: create,
			hdr: [][2]string{{"Authorization", "Bearer " + admin.APIKey}}, want: "ok"},
		{name: "extern/rest.php reads no Authorization", method: "POST", target: "/sites/all/modules/civicrm/extern/rest.php",
			body: create + "&key=" + sim.SiteKey(), hdr: [][2]string{{"Authorization", basic}},
			want: `{"error_message":"FATAL: mandatory param 'api_key' (user key) missing","is_error":1}`},
		{name: "WordPress REST reads no Authorization", method: "POST", target: "/wp-json/civicrm/v3/rest",
			body: create + "&key=" + sim.SiteKey(), hdr: [][2]string{{"Authorization", basic}}, want: "refused"},
		{name: "APIv4 create: Basic is no credential, CiviCRM's CSRF 400", method: "POST", target: "/civicrm/ajax/api4/Contact/create",
			body: "params=" + url.QueryEscape(`{"values":{"contact_type":"Individual","first_name":"Csrf"}}`), hdr: [][2]string{{"Authorization", basic}},
			want: `{"error_code":400,"error_message":"SECURITY ALERT: Ajax requests can only be issued by javascript clients, eg. CRM.api4()."}`},
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			before := sim.TotalCalls()
			r, err := http.NewRequest(tc.method, inst.URL+tc.target, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.body != "" {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			for _, h := range tc.hdr {
				r.Header[h[0]] = append(r.Header[h[0]], h[1]) // as spelled, not canonicalised
			}
			a := doReq(t, r)
			ran := sim.TotalCalls() - before
			switch tc.want {
			case "csrf":
				if a.status != 200 || a.header.Get("Content-Type") != "application/json" || a.body != csrfBody {
					t.Errorf("%d %s %.300s, want CiviCRM's CSRF refusal", a.status, a.header.Get("Content-Type"), a.body)
				}
			case "head":
				if a.status != 200 || a.header.Get("Content-Type") != "application/json" {
					t.Errorf("%d %s, want the CSRF refusal's head", a.status, a.header.Get("Content-Type"))
				}
			case "ok":
				if a.status != 200 || !strings.Contains(a.body, `"is_error":0`) || ran != 1 {
					t.Errorf("%d %.300s (%d calls), want it to run", a.status, a.body, ran)
				}
				return
			case "401":
				if a.status != 401 {
					t.Errorf("%d %.300s, want 401", a.status, a.body)
				}
				if ch := a.header.Values("WWW-Authenticate"); len(ch) != 1 || strings.HasPrefix(ch[0], "Basic") {
					t.Errorf("WWW-Authenticate %q: a Basic challenge makes browsers keep the password", ch)
				}
			case "refused":
				if a.status == 200 && strings.Contains(a.body, `"is_error":0`) {
					t.Errorf("%d %.300s, want a refusal", a.status, a.body)
				}
			default:
				if a.body != tc.want {
					t.Errorf("%d %.300s, want %s", a.status, a.body, tc.want)
				}
			}
			if ran != 0 {
				t.Errorf("%d API calls ran in CiviCRM", ran)
			}
		})
	}
}

// A cached read does not skip the rule: an answer a Basic caller's read
// (with X-Requested-With) stored is not served to the same read without
// it, while a bearer caller's repeat is served from the cache as before.
func TestBasicCredentialCSRFBeforeTheCache(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{AllowPassword: true})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
		"site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys()))
	admin := sim.Admin()
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(admin.Name+":"+admin.Password))
	target := inst.URL + "/civicrm/ajax/rest?entity=Contact&action=get&json=" + url.QueryEscape(`{"id":2}`)
	get := func(hdr http.Header) answer {
		t.Helper()
		r, err := http.NewRequest("GET", target, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header = hdr
		return doReq(t, r)
	}
	withXRW := http.Header{"Authorization": {basic}, "X-Requested-With": {"XMLHttpRequest"}}
	first := get(withXRW)
	second := get(withXRW)
	if !strings.Contains(first.body, `"is_error":0`) || second.header.Get("Cache-Status") != "Civigate; hit" {
		t.Fatalf("the read is not cached: %q then %q: %.200s", first.header.Get("Cache-Status"), second.header.Get("Cache-Status"), first.body)
	}
	reads := sim.Calls("Contact.get")
	// A cross-site <img src> riding on the browser's Basic credentials.
	for i := 0; i < 2; i++ { // the second a repeat, as a remembered (prepared) request would be
		a := get(http.Header{"Authorization": {basic}})
		if a.body != csrfBody || a.header.Get("Cache-Status") == "Civigate; hit" {
			t.Errorf("cached read without X-Requested-With: %d %q %.300s", a.status, a.header.Get("Cache-Status"), a.body)
		}
	}
	if n := sim.Calls("Contact.get"); n != reads {
		t.Errorf("%d reads ran in CiviCRM", n-reads)
	}
	if a := get(withXRW); a.header.Get("Cache-Status") != "Civigate; hit" {
		t.Errorf("with X-Requested-With after the refusals: %q", a.header.Get("Cache-Status"))
	}
	bearer := http.Header{"Authorization": {"Bearer " + admin.APIKey}}
	get(bearer)
	if a := get(bearer); a.header.Get("Cache-Status") != "Civigate; hit" || !strings.Contains(a.body, `"is_error":0`) {
		t.Errorf("a bearer read without X-Requested-With: %q %.200s", a.header.Get("Cache-Status"), a.body)
	}
}

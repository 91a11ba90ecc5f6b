package tests

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// AuthX credentials the edge did not see (issue 12). AuthX reads _authx
// from $_POST on every method but GET, and PHP fills $_POST from bodies the
// edge skipped: Content-Types Go's MIME parser rejects and PHP does not
// (it cuts the type at ';', ',' or ' ' and ignores parameters it does not
// know), no Content-Type at all (php_fastcgi sends urlencoded), and the
// methods php_fastcgi turns into POST ("post", "get"). And AuthX takes a
// credential on every CiviCRM page, not on its own routes only, so any
// page was an unthrottled credential oracle. Now the edge reads a body the
// way PHP would (translate: one decision for the routing scan and for
// credentials), refuses what it cannot read as CiviCRM would, and
// authenticates every credential a page request carries (guessing
// protection: 429 from a blocked address, CiviCRM not asked) before it goes
// on as sent. Real Caddy in front of the simulator, which models PHP
// behind php_fastcgi and AuthX on its pages. Each row names its class.
func TestAttackPageCredentials(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	inst := startCaddy(t, "{\n\tadmin 127.0.0.1:{ADMIN}\n\tlog {\n\t\tlevel ERROR\n\t}\n"+
		"\tservers {\n\t\ttrusted_proxies static 127.0.0.1/32\n\t}\n}\n"+
		"http://:{PORT} {\n\tcivicrm {\n\t\tsite_key "+sim.SiteKey()+"\n\t\tsign_keys "+sim.SignKeys()+"\n\t\tcache off\n\t\tauth {\n\t\t\tmax_failures 3 5m\n\t\t}\n\t}\n"+
		"\treverse_proxy "+strings.TrimPrefix(srv.URL, "http://")+"\n}\n")
	admin := sim.Admin()
	const blocked = "203.0.113.11"
	addr := 0
	fresh := func() string { addr++; return fmt.Sprintf("198.51.100.%d", addr) }
	guess := func() string { return "Bearer guess-" + randomHex(t, 8) }
	// send: a Content-Type of "" sends none.
	send := func(method, target, ct, body, from string, kv ...string) answer {
		t.Helper()
		r, err := http.NewRequest(method, target, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		r.Header.Set("X-Forwarded-For", from)
		for i := 0; i < len(kv); i += 2 {
			r.Header.Add(kv[i], kv[i+1])
		}
		return doReq(t, r)
	}
	for i := range 3 {
		if a := send("GET", inst.URL+"/civicrm/ajax/rest?entity=Contact&action=get&json=1", "", "", blocked, "X-Civi-Auth", guess()); a.status == 429 {
			t.Fatalf("failure %d: 429 already", i)
		}
	}
	// The admin key proves itself on the API from a clean address.
	if a := send("GET", inst.URL+"/civicrm/ajax/rest?entity=Contact&action=getcount&json=1", "", "", fresh(), "X-Civi-Auth", "Bearer "+admin.APIKey); a.status != 200 || !strings.Contains(a.body, `"is_error":0`) {
		t.Fatalf("the admin key was refused on the API: %d %s", a.status, a.body)
	}
	const form = "application/x-www-form-urlencoded"
	id, login := inst.URL+"/civicrm/authx/id", inst.URL+"/civicrm/authx/login"
	page := inst.URL + "/civicrm/contact/view?reset=1&cid=1"
	authxBody := func() string { return "_authx=" + url.QueryEscape(guess()) }
	multipart := "--B\r\nContent-Disposition: form-data; name=\"_authx\"\r\n\r\n" + "Bearer guess-mp" + "\r\n--B--\r\n"

	type row struct {
		class, method, target, ct, body, from string
		kv                                    []string
		status                                int
		part                                  string // a part of the answer
		unseen                                bool   // CiviCRM must not be asked
	}
	limited := func(class, method, target, ct, body string, kv ...string) row {
		return row{class: class, method: method, target: target, ct: ct, body: body, from: blocked, kv: kv, status: 429, part: "HTTP 429 ", unseen: true}
	}
	for _, tc := range []row{
		// Item 1: AuthX's routes, bodies PHP parses and Go's MIME parser does not.
		limited("authx-route/content-type-comma", "POST", id, form+",x", authxBody()),
		limited("authx-route/content-type-space", "POST", id, form+" x", authxBody()),
		limited("authx-route/content-type-upper-case", "POST", login, "APPLICATION/X-WWW-FORM-URLENCODED;x", authxBody()),
		limited("authx-route/multipart-broken-parameter", "POST", login, "multipart/form-data; boundary=B; x", multipart),
		limited("authx-route/no-content-type (php_fastcgi: urlencoded)", "POST", id, "", authxBody()),
		limited("authx-route/lower-case-post (php_fastcgi: POST)", "post", login, form, authxBody()),
		limited("authx-route/lower-case-get-with-body (php_fastcgi: POST)", "get", id, "", authxBody()),
		limited("authx-route/mangled-name", "POST", id, form, ".authx="+url.QueryEscape(guess())),
		{class: "authx-route/first-of-two-values-is-what-PHP-keeps-past-max_input_vars", method: "POST", target: id, ct: form,
			body: authxBody() + strings.Repeat("&a=", 1000) + "&_authx=" + url.QueryEscape("Bearer "+admin.APIKey), from: fresh(),
			status: 401, part: "HTTP 401 Civigate: _authx", unseen: true},
		// Item 3: every CiviCRM page takes AuthX credentials.
		limited("page/x-civi-auth", "GET", page, "", "", "X-Civi-Auth", guess()),
		{class: "page/x-civi-auth-twice-with-different-values", method: "GET", target: page, from: fresh(),
			kv: []string{"X-Civi-Auth", guess(), "X-Civi-Auth", "Bearer " + admin.APIKey}, status: 400, part: "HTTP 400 Conflicting credentials", unseen: true},
		limited("page/authorization-bearer", "GET", page, "", "", "Authorization", guess()),
		limited("page/authorization-bearer-wordpress-verbose", "GET", inst.URL+"/?civiwp=CiviCRM&q=civicrm/dashboard", "", "", "Authorization", guess()),
		limited("page/_authx-in-query", "GET", page+"&_authx="+url.QueryEscape(guess()), "", ""),
		limited("page/_authx-percent-encoded-name", "GET", page+"&%5Fau%74hx="+url.QueryEscape(guess()), "", ""),
		limited("page/_authx-in-form-body", "POST", page, form, authxBody()),
		limited("page/_authx-in-body-without-content-type", "POST", page, "", authxBody()),
		limited("page/_authx-in-multipart", "POST", page, "multipart/form-data; boundary=B; x", multipart),
		limited("page/x-civi-auth-on-any-url (shortcodes, aliases)", "GET", inst.URL+"/events/spring-gala", "", "", "X-Civi-Auth", guess()),
		{class: "page/valid-key-from-a-blocked-address: CiviCRM's page as the user", method: "GET", target: page, from: blocked,
			kv: []string{"X-Civi-Auth", "Bearer " + admin.APIKey}, status: 200, part: fmt.Sprintf("page for contact %d", admin.ContactID)},
		{class: "page/no-credential-from-a-blocked-address: untouched", method: "GET", target: page, from: blocked, status: 403},
		{class: "page/forged-jwt-from-a-clean-address: AuthX's refusal, at the edge", method: "GET", target: page, from: fresh(),
			kv: []string{"X-Civi-Auth", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaWQ6MiJ9." + randomHex(t, 16)}, status: 401, part: "HTTP 401 ", unseen: true},
		{class: "page/_authx-twice-with-different-values", method: "GET", target: page + "&_authx=" + url.QueryEscape(guess()) + "&_authx=" + url.QueryEscape("Bearer "+admin.APIKey),
			from: fresh(), status: 401, part: "HTTP 401 Civigate: _authx", unseen: true},
		{class: "page/_authx-in-query-of-a-POST-is-not-read-by-AuthX", method: "POST", target: page + "&_authx=" + url.QueryEscape(guess()), ct: form, body: "a=1",
			from: fresh(), status: 403},
		{class: "control/authorization-bearer-on-another-application", method: "GET", target: inst.URL + "/wp-json/wp/v2/posts", from: blocked,
			kv: []string{"Authorization", guess()}, status: 404, part: "Path not found"},
		{class: "control/basic-auth-is-ignored-by-AuthX", method: "GET", target: page, from: blocked,
			kv: []string{"Authorization", "Basic dXNlcjpwYXNz"}, status: 403},
	} {
		t.Run(tc.class, func(t *testing.T) {
			asked := sim.Requests()
			a := send(tc.method, tc.target, tc.ct, tc.body, tc.from, tc.kv...)
			if a.status != tc.status || !strings.Contains(a.body, tc.part) {
				t.Errorf("%d %.300s, want %d with %q", a.status, a.body, tc.status, tc.part)
			}
			if tc.unseen && sim.Requests() != asked {
				t.Error("CiviCRM was asked")
			}
		})
	}
}

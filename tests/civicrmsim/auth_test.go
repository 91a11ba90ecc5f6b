package civicrmsim

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

// How CiviCRM reads credential values, from its code: extern/rest.php
// (authenticateKey's trim() and !$key, empty($api_key), the SQL lookup),
// Authenticator::on_civi_invoke_auth (!empty() of each flow, X-Civi-Key ??
// _authxSiteKey) and LegacyRestAuthenticator (run beside AuthX's flows,
// key as sent).
func TestCredentialValuesAsCiviCRMReadsThem(t *testing.T) {
	c := newClient(t, Options{})
	ak, sk, grace := c.sim.Admin().APIKey, c.sim.SiteKey(), c.sim.User("grace").APIKey
	one := `{"is_error":0,"result":6}`
	ext := extern + "?entity=Contact&action=getcount&json=1"
	get := "/civicrm/ajax/rest?entity=Contact&action=getcount&json=1"
	guard := "HTTP 401 Login not permitted. Must satisfy guard (site_key, perm)."
	for _, tc := range []struct {
		name, method, path, form string
		headers                  []string
		body                     string
	}{
		{"extern: key trimmed of NUL, \\v, CRLF", "GET", ext + "&key=%0B" + sk + "%00%0D%0A&api_key=" + ak, "", nil, one},
		{"extern: key not trimmed of \\f", "GET", ext + "&key=" + sk + "%0C&api_key=" + ak, "", nil, `{"error_message":"Failed to authenticate key","is_error":1}`},
		{"extern: api_key 0 is missing", "GET", ext + "&key=" + sk + "&api_key=0", "", nil, `{"error_message":"FATAL: mandatory param 'api_key' (user key) missing","is_error":1}`},
		{"extern: api_key with a trailing tab matches no one", "GET", ext + "&key=" + sk + "&api_key=" + ak + "%09", "", nil, `{"error_message":"ERROR: No CMS user associated with given api-key","is_error":1}`},
		{"extern: api_key with a trailing space matches (MySQL pads)", "GET", ext + "&key=" + sk + "&api_key=" + ak + "%20%20", "", nil, one},
		{"X-Civi-Auth 0 is empty: _authx counts", "GET", get + "&_authx=" + url.QueryEscape("Bearer "+ak), "", []string{"X-Civi-Auth: 0"}, one},
		{"an empty X-Civi-Key hides _authxSiteKey", "GET", get + "&_authxSiteKey=" + sk, "", []string{"X-Civi-Auth: Bearer " + grace, "X-Civi-Key: "}, guard},
		{"_authxSiteKey as sent (no trim)", "GET", get + "&_authxSiteKey=" + sk + "%20", "", []string{"X-Civi-Auth: Bearer " + grace}, guard},
		{"legacyrest beside xheader, another user", "POST", "/civicrm/ajax/rest", "entity=Contact&action=getcount&json=1&api_key=" + grace + "&key=" + sk, []string{"X-Civi-Auth: Bearer " + ak},
			`{"error_message":"FATAL: Cannot login. A mismatched session is already active.","is_error":1}`},
		{"legacyrest beside xheader, key alone is the empty credential", "POST", "/civicrm/ajax/rest", "entity=Contact&action=getcount&json=1&key=" + sk, []string{"X-Civi-Auth: Bearer " + ak},
			`{"error_message":"FATAL: Invalid credential","is_error":1}`},
		{"legacyrest beside xheader, the same key", "POST", "/civicrm/ajax/rest", "entity=Contact&action=getcount&json=1&api_key=" + ak, []string{"X-Civi-Auth: Bearer " + ak}, one},
	} {
		if _, _, body := c.do(tc.method, tc.path, tc.form, tc.headers...); body != tc.body {
			t.Errorf("%s: %s\nwant %s", tc.name, body, tc.body)
		}
	}
	if got := string(phpBase64Decode("YWRt\r\naW46=cHc")); got != "admin:pw" {
		t.Errorf("base64_decode: %q", got)
	}
}

// AuthX's per-flow settings (authx_<flow>_cred, authx_<flow>_user;
// Authenticator::checkPolicy), at civicrm/authx/id as on every route: a
// flow that takes no API key refuses one in its own words, wherever it
// reads it (_authx from $_GET on a GET, $_POST on a POST); an empty
// authx_header_cred makes AuthX read no Authorization at all (anonymous);
// 'require' refuses a contact without a CMS user, 'ignore' drops the user.
func TestPerFlowSettings(t *testing.T) {
	c := newClient(t, Options{
		AuthxCred: map[string][]string{"param": {"jwt"}, "header": {}},
		AuthxUser: map[string]string{"xheader": "require"},
	})
	ak, sk, nk := c.sim.Admin().APIKey, c.sim.SiteKey(), c.sim.NoUser().APIKey
	id := "/civicrm/authx/id"
	param := `HTTP 401 Authentication type "api_key" with flow "param" is not allowed for this principal.`
	anon := `{"contact_id":null,"user_id":null,"flow":null,"cred":null}`
	for _, tc := range []struct {
		name, method, path, form string
		headers                  []string
		body                     string
	}{
		{"param on a GET", "GET", id + "?_authx=" + url.QueryEscape("Bearer "+ak), "", nil, param},
		{"param on a POST", "POST", id, "_authx=" + url.QueryEscape("Bearer "+ak), nil, param},
		{"_authx in a POST's query is not read", "POST", id + "?_authx=" + url.QueryEscape("Bearer "+ak), "x=1", nil, anon},
		{"header flow off: Authorization ignored", "GET", id, "", []string{"Authorization: Bearer " + ak}, anon},
		{"xheader takes the key", "GET", id, "", []string{"X-Civi-Auth: Bearer " + ak}, `{"contact_id":2,"user_id":1,"flow":"xheader","cred":"api_key"}`},
		{"xheader requires a user", "GET", id, "", []string{"X-Civi-Auth: Bearer " + nk, "X-Civi-Key: " + sk}, "HTTP 401 Cannot login. No matching user is available."},
	} {
		if _, _, body := c.do(tc.method, tc.path, tc.form, tc.headers...); body != tc.body {
			t.Errorf("%s: %s\nwant %s", tc.name, body, tc.body)
		}
	}
	d := newClient(t, Options{AuthxUser: map[string]string{"header": "ignore"}})
	if _, _, body := d.do("GET", id, "", "Authorization: Bearer "+d.sim.Admin().APIKey); body != `{"contact_id":2,"user_id":null,"flow":"header","cred":"api_key"}` {
		t.Errorf("user ignored on the header flow: %s", body)
	}
}

// On WordPress a Basic credential may name its user by e-mail
// (wp_authenticate_email_password), and a save of the contact's primary
// e-mail renames the CMS user (CRM_Core_BAO_UFMatch::updateUFName ->
// updateCMSName: wp_update_user's user_email): the old e-mail with the
// password is then refused, the new one admitted, by every API write of a
// primary e-mail. Standalone names its users by user name alone.
func TestBasicByEmailFollowsPrimaryEmail(t *testing.T) {
	const pw = "correct horse"
	c := newClient(t, Options{AllowPassword: true, UserFramework: "WordPress", Passwords: map[string]string{"admin": pw}})
	admin := c.sim.Admin()
	ak, sk := admin.APIKey, c.sim.SiteKey()
	id := func(name string) string {
		t.Helper()
		_, _, body := c.do("GET", "/civicrm/authx/id", "", "X-Civi-Auth: Basic "+base64.StdEncoding.EncodeToString([]byte(name+":"+pw)), "X-Civi-Key: "+sk)
		return body
	}
	ok := `{"contact_id":2,"user_id":1,"flow":"xheader","cred":"pass"}`
	if got := id("admin"); got != ok {
		t.Fatalf("by user name: %s", got)
	}
	old := c.sim.UserEmail(admin)
	if old != "admin@example.org" || id(old) != ok || id("ADMIN@example.org") != ok {
		t.Fatalf("by e-mail %q: %s", old, id(old))
	}
	api := []string{"X-Civi-Auth: Bearer " + ak, "X-Civi-Key: " + sk, "X-Requested-With: XMLHttpRequest"}
	for i, w := range []struct{ path, form string }{
		{"/civicrm/ajax/rest", "entity=Email&action=create&json=" + url.QueryEscape(`{"id":2,"email":"v3-email@example.org"}`)},
		{"/civicrm/ajax/rest", "entity=Contact&action=create&json=" + url.QueryEscape(`{"id":2,"email":"v3-contact@example.org"}`)},
		{"/civicrm/ajax/api4/Email/update", "params=" + url.QueryEscape(`{"where":[["id","=",2]],"values":{"email":"v4-update@example.org"}}`)},
		{"/civicrm/ajax/api4/Email/save", "params=" + url.QueryEscape(`{"records":[{"id":2,"email":"v4-save@example.org"}]}`)},
		{"/civicrm/ajax/api4/Email/create", "params=" + url.QueryEscape(`{"values":{"contact_id":2,"email":"v4-create@example.org","is_primary":true}}`)},
	} {
		if st, _, body := c.do("POST", w.path, w.form, api...); st != 200 || strings.Contains(body, `"is_error":1`) {
			t.Fatalf("write %d: %d %s", i, st, body)
		}
		renamed := c.sim.UserEmail(admin)
		if renamed == old {
			t.Fatalf("write %d (%s) left the CMS user's e-mail %q", i, w.form, old)
		}
		if got := id(old); got != "HTTP 401 Invalid credential" {
			t.Errorf("write %d: the old e-mail %q still logs in: %s", i, old, got)
		}
		if got := id(renamed); got != ok {
			t.Errorf("write %d: the new e-mail %q: %s", i, renamed, got)
		}
		old = renamed
	}
	if got := id("admin"); got != ok {
		t.Errorf("by user name after the renames: %s", got)
	}
	s := newClient(t, Options{AllowPassword: true, Passwords: map[string]string{"admin": pw}})
	_, _, body := s.do("GET", "/civicrm/authx/id", "", "X-Civi-Auth: Basic "+base64.StdEncoding.EncodeToString([]byte("admin@example.org:"+pw)), "X-Civi-Key: "+s.sim.SiteKey())
	if body != "HTTP 401 Invalid credential" {
		t.Errorf("Standalone by e-mail: %s", body)
	}
}

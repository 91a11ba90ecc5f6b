package tests

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// On WordPress a Basic credential may name its user by e-mail: AuthX's
// pass credential goes to CRM_Utils_System_WordPress::authenticate, which
// calls wp_authenticate, whose default 'authenticate' filters include
// wp_authenticate_email_password. A save of the contact's primary e-mail
// renames the CMS user (CRM_Core_BAO_Email::self_hook_civicrm_post ->
// CRM_Core_BAO_UFMatch::updateUFName -> CRM_Utils_System_WordPress::
// updateCMSName: wp_update_user's user_email), so after any API write of
// it, APIv3 or APIv4, `old-email:password` is a credential CiviCRM
// refuses (401 Invalid credential). Civigate, which judges a Basic
// credential for CiviCRM (with sign keys it forwards a JWT it mints for
// the contact, and a cached answer needs no CiviCRM at all), must refuse
// it too, through the instance that wrote and every other, and not admit
// it from the verdict it remembers until verdict_ttl; the new e-mail logs
// in. A write of an e-mail changes no API key: the verdicts on keys stay
// remembered (none is asked about again). In memory (one site block) and
// on Redis (two site blocks sharing it: the write through A, the
// credentials through B).
func TestVerdictsOnPasswordsForgottenAfterEmailWrite(t *testing.T) {
	const pw = "correct horse"
	for _, mode := range []string{"memory", "redis"} {
		t.Run(mode, func(t *testing.T) {
			sim := civicrmsim.New(civicrmsim.Options{AllowPassword: true, UserFramework: "WordPress",
				Passwords: map[string]string{"admin": pw}})
			counter := &a7Counter{sim: sim}
			up := httptest.NewServer(counter)
			t.Cleanup(up.Close)
			redisURL, prefix := "", ""
			if mode == "redis" {
				redisURL, _, prefix = testRedis(t)
			}
			a, b := emailWriteSites(t, strings.TrimPrefix(up.URL, "http://"), sim.SiteKey(), sim.SignKeys(), redisURL, prefix)
			admin := sim.Admin()
			sk, ak := sim.SiteKey(), admin.APIKey
			hdr := func(cred string) http.Header {
				return http.Header{"Host": {"civicrm.test"}, "X-Civi-Auth": {cred}, "X-Civi-Key": {sk}, "X-Requested-With": {"XMLHttpRequest"}}
			}
			basic := func(name string) http.Header {
				return hdr("Basic " + base64.StdEncoding.EncodeToString([]byte(name+":"+pw)))
			}
			read := func(site string, h http.Header) answer {
				t.Helper()
				return do(t, "POST", site+"/civicrm/ajax/rest", "entity=Contact&action=get&json="+url.QueryEscape(`{"id":2,"return":"id"}`), h)
			}
			// The admin's key, remembered by both sites.
			for _, s := range []string{a, b} {
				if got := read(s, hdr("Bearer "+ak)); got.status != 200 {
					t.Fatalf("the admin key: %d %s", got.status, got.body)
				}
			}
			keyAsks := counter.count("Bearer " + ak)
			old := sim.UserEmail(admin)
			for i, w := range []struct{ name, path, form string }{
				{"APIv3 Email.create id", "/civicrm/ajax/rest", "entity=Email&action=create&json=" + url.QueryEscape(`{"id":2,"email":"v3-email@example.org"}`)},
				{"APIv3 Contact.create email", "/civicrm/ajax/rest", "entity=Contact&action=create&json=" + url.QueryEscape(`{"id":2,"email":"v3-contact@example.org"}`)},
				{"APIv4 Email.update", "/civicrm/ajax/api4/Email/update", "params=" + url.QueryEscape(`{"where":[["id","=",2]],"values":{"email":"v4-update@example.org"}}`)},
				{"APIv4 Email.save", "/civicrm/ajax/api4/Email/save", "params=" + url.QueryEscape(`{"records":[{"id":2,"email":"v4-save@example.org"}]}`)},
				{"APIv4 Email.create is_primary", "/civicrm/ajax/api4/Email/create", "params=" + url.QueryEscape(`{"values":{"contact_id":2,"email":"v4-create@example.org","is_primary":true}}`)},
			} {
				if got := read(b, basic(old)); got.status != 200 {
					t.Fatalf("before %s: Basic %s: %d %s", w.name, old, got.status, got.body)
				}
				if got := do(t, "POST", a+w.path, w.form, hdr("Bearer "+ak)); got.status != 200 || strings.Contains(got.body, `"is_error":1`) {
					t.Fatalf("%s: %d %s", w.name, got.status, got.body)
				}
				renamed := sim.UserEmail(admin)
				if renamed == old {
					t.Fatalf("%s left the CMS user's e-mail %s", w.name, old)
				}
				deadline := time.Now().Add(3 * time.Second)
				for {
					got := read(b, basic(old))
					if got.status == 401 {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("write %d (%s) renamed the CMS user from %s to %s, so CiviCRM refuses Basic %s:password (401), "+
							"yet Civigate still admits it from the verdict it remembers: %d %.80s", i, w.name, old, renamed, old, got.status, got.body)
					}
					time.Sleep(20 * time.Millisecond)
				}
				if got := read(b, basic(renamed)); got.status != 200 {
					t.Fatalf("after %s: Basic %s: %d %s", w.name, renamed, got.status, got.body)
				}
				old = renamed
			}
			for _, s := range []string{a, b} {
				if got := read(s, hdr("Bearer "+ak)); got.status != 200 {
					t.Fatalf("the admin key after the writes: %d %s", got.status, got.body)
				}
			}
			if n := counter.count("Bearer "+ak) - keyAsks; n != 0 {
				t.Errorf("writes of an e-mail made Civigate ask %d more times about an API key, which no e-mail changes", n)
			}
		})
	}
}

// emailWriteSites are Civigate in front of upstream: one site block
// (memory: a and b the same) or two sharing Redis, with the site's sign
// keys, as the README's example configures them: a Basic credential then
// goes on to CiviCRM as a JWT Civigate mints for its contact (CiviCRM does
// not judge the password again; Civigate's verdict is the only judge).
func emailWriteSites(t *testing.T, upstream, siteKey, signKeys, redisURL, prefix string) (a, b string) {
	t.Helper()
	var cf strings.Builder
	cf.WriteString(testGlobalOptions)
	n, ports := 1, []int{0}
	if redisURL != "" {
		n, ports = 2, []int{0, freePort(t)}
	}
	for i := range n {
		addr := "{PORT}"
		if i > 0 {
			addr = fmt.Sprint(ports[i])
		}
		fmt.Fprintf(&cf, "http://:%s {\n\tcivicrm {\n\t\tsite_key %s\n\t\tsign_keys %s\n", addr, siteKey, signKeys)
		if redisURL != "" {
			fmt.Fprintf(&cf, "\t\tredis %s\n\t\tredis_prefix %s\n\t\tcache {\n\t\t\tredis_timeout 250ms\n\t\t}\n", redisURL, prefix)
		}
		fmt.Fprintf(&cf, "\t}\n\treverse_proxy %s\n}\n", upstream)
	}
	inst := startCaddy(t, cf.String())
	if n == 1 {
		return inst.URL, inst.URL
	}
	return inst.URL, fmt.Sprintf("http://127.0.0.1:%d", ports[1])
}

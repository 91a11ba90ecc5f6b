package tests

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// TestA20AfformPageTokenCookieReachesCiviCRM: Afform's page tokens are
// AuthX credentials: PageTokenCredential::onInvoke (ext/afform/core/Civi/
// Afform/PageTokenCredential.php, a civi.invoke.auth listener at priority
// 105, before AuthX's own) takes $_SERVER['HTTP_X_CIVI_AUTH_AFFORM'] ??
// $_REQUEST['_aff'] and runs Authenticator::auth in the "afformpage" flow:
// a CiviCRM JWT with scope afform, sub cid:N and an afform name logs contact
// N in (a fake session, no guard, no site key) for that form's
// Afform.prefill, submit, submitFile, autocomplete and SearchDisplay.run.
// $_REQUEST holds the cookies where php.ini sets no request_order (the
// worst case the README already assumes for routing cookies: PHP without a
// php.ini, as the official Docker images run it).
//
// Civigate strips X-Civi-Auth-Afform as a client identity header, and
// keeps key and api_key cookies (legacyrest's $_REQUEST credentials) off a
// cookie-session call, but a _aff cookie goes on: with anonymous, an
// APIv4 Afform.prefill or submit carrying Cookie: _aff=Bearer <token> is
// judged as an anonymous caller's and runs in CiviCRM as the token's
// contact, whom the edge never authenticated and whose rules (here deny {
// contact 2 }, which refuses the contact every call) never applied.
func TestA20AfformPageTokenCookieReachesCiviCRM(t *testing.T) {
	const secret = "atk20-sign-secret"
	signKeys := "jwt-hs256:hkdf-sha256:" + secret
	opts := civicrmsim.Options{SignKeys: signKeys}
	_, u, inst, _ := a20Setup(t, opts, "sign_keys "+signKeys,
		"auth {", "anonymous", "deny {", "contact 2", "}", "}")
	token := "Bearer " + a20JWT(t, secret, map[string]any{
		"sub": "cid:2", "scope": "afform", "afform": "afformUpdateDetails",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	})
	body := url.Values{"params": {`{"name":"afformUpdateDetails","args":{}}`}}.Encode()
	hdr := func(k, v string) map[string]string {
		return map[string]string{"X-Requested-With": "XMLHttpRequest", "Content-Type": "application/x-www-form-urlencoded", k: v}
	}

	// Control: the header spelling of the same token is removed.
	a10bDo(t, "POST", inst.URL+"/civicrm/ajax/api4/Afform/prefill", hdr("X-Civi-Auth-Afform", token), body)
	for _, r := range u.reached("/civicrm/ajax/api4/") {
		if r.Header.Get("X-Civi-Auth-Afform") != "" {
			t.Fatalf("precondition: X-Civi-Auth-Afform reached CiviCRM")
		}
	}

	n := len(u.reached("/civicrm/ajax/api4/"))
	for _, action := range []string{"prefill", "submit"} {
		resp := a10bDo(t, "POST", inst.URL+"/civicrm/ajax/api4/Afform/"+action, hdr("Cookie", "_aff="+url.PathEscape(token)), body)
		for _, r := range u.reached("/civicrm/ajax/api4/")[n:] {
			for _, c := range r.Cookies() {
				if c.Name == "_aff" && strings.Contains(c.Value, "eyJ") {
					t.Errorf("Afform.%s (answered %d) reached CiviCRM with the cookie _aff=<afform page token of contact 2>: "+
						"PageTokenCredential::onInvoke reads $_REQUEST['_aff'] and logs contact 2 in for the call, which Civigate judged as an "+
						"anonymous caller's (deny { contact 2 } never applied, the token never checked); X-Civi-Auth-Afform, the same "+
						"credential, is stripped", action, resp.status)
				}
			}
		}
		n = len(u.reached("/civicrm/ajax/api4/"))
	}
}

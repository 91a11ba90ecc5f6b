package tests

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/tests/civicrmsim"
)

// Afform's page token on a page (the attacker's related gap of attack
// 20). PageTokenCredential::onInvoke, a civi.invoke.auth listener, runs
// for every page CiviCRM's router runs, takes $_SERVER['HTTP_X_CIVI_AUTH_AFFORM']
// ?? $_REQUEST['_aff'] and logs the token's contact in for the page (the
// link Afform mails: civicrm/my-form?_aff=Bearer+<JWT>). So it is a page
// credential like AuthX's: checked at the edge (the JWT with sign_keys,
// guessing protection, the policy's rules on the principal alone) before
// the page goes on as sent, in the query, a form body, a cookie or the
// header alike.
func TestAfformPageTokenOnPages(t *testing.T) {
	const secret = "fix20-sign-secret"
	signKeys := "jwt-hs256:hkdf-sha256:" + secret
	// Signed as CiviCRM's crypto.jwt signs (a kid naming the key, which
	// firebase/php-jwt needs to pick it).
	token := func(cid string, secret string) string {
		keys, err := authx.ParseSignKeys("jwt-hs256:hkdf-sha256:" + secret)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := authx.SignCiviJWT(keys, map[string]any{
			"sub": "cid:" + cid, "scope": "afform", "afform": "afformUpdateDetails",
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
		})
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok
	}
	_, u, inst, _ := a20Setup(t, civicrmsim.Options{SignKeys: signKeys}, "sign_keys "+signKeys,
		"auth {", "deny {", "contact 2", "}", "}")
	page := inst.URL + "/civicrm/my-form"
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	denied, allowed, forged := token("2", secret), token("3", secret), token("3", "another-secret")

	for _, tc := range []struct {
		name, method, target string
		hdr                  map[string]string
		body                 string
		status               int // 0: goes on to the site
	}{
		// The passing ones first: guessing protection counts the others.
		{"a valid token of an allowed contact", "GET", page + "?_aff=" + url.QueryEscape(allowed), nil, "", 0},
		{"the same in the header and the cookie", "GET", page, map[string]string{"X-Civi-Auth-Afform": allowed, "Cookie": "_aff=" + url.PathEscape(allowed)}, "", 0},
		{"no token", "GET", page + "?staff=1", map[string]string{"Cookie": "affx=1"}, "", 0},
		{"query, a contact the policy refuses every call", "GET", page + "?_aff=" + url.QueryEscape(denied), nil, "", 403},
		{"query as PHP mangles it (.aff)", "GET", page + "?.aff=" + url.QueryEscape(denied), nil, "", 403},
		{"cookie", "GET", page, map[string]string{"Cookie": "_aff=" + url.PathEscape(denied)}, "", 403},
		{"header", "GET", page, map[string]string{"X-Civi-Auth-Afform": denied}, "", 403},
		{"form body", "POST", page, form, "_aff=" + url.QueryEscape(denied), 403},
		{"query of a POST", "POST", page + "?_aff=" + url.QueryEscape(denied), form, "x=1", 403},
		{"forged token", "GET", page + "?_aff=" + url.QueryEscape(forged), nil, "", 401},
		{"two tokens", "GET", page + "?_aff=" + url.QueryEscape(allowed), map[string]string{"Cookie": "_aff=" + url.PathEscape(forged)}, "", 401},
		{"token beside an AuthX credential", "GET", page + "?_aff=" + url.QueryEscape(allowed), map[string]string{"X-Civi-Auth": "Bearer k"}, "", 400},
		{"not a JWT", "GET", page + "?_aff=Bearer+some-api-key", nil, "", 401},
	} {
		n := len(u.reached("/civicrm/my-form"))
		r := a10bDo(t, tc.method, tc.target, tc.hdr, tc.body)
		reached := len(u.reached("/civicrm/my-form")) > n
		switch {
		case tc.status == 0 && !reached:
			t.Errorf("%s: answered %d %q at the edge, want it passed on", tc.name, r.status, r.body)
		case tc.status != 0 && (reached || r.status != tc.status):
			t.Errorf("%s: answered %d %q (reached the site: %v), want %d at the edge", tc.name, r.status, r.body, reached, tc.status)
		}
		if strings.Contains(r.body, "eyJ") {
			t.Errorf("%s: the answer echoes the token", tc.name)
		}
	}

	// Without sign_keys no page token can be checked: not let through.
	_, u2, inst2, _ := a20Setup(t, civicrmsim.Options{SignKeys: signKeys})
	r := a10bDo(t, "GET", inst2.URL+"/civicrm/my-form?_aff="+url.QueryEscape(allowed), nil, "")
	if len(u2.reached("/civicrm/my-form")) != 0 || r.status != 503 {
		t.Errorf("without sign_keys: answered %d %q, reached %d times; want 503 at the edge", r.status, r.body, len(u2.reached("/civicrm/my-form")))
	}
}

package tests

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/tests/civicrmsim"
)

// Issue 12 item 10: a CiviCRM JWT is read at the edge exactly as CiviCRM's
// CryptoJwt (firebase/php-jwt 6: json_decode, base64_decode not strict) and
// AuthX read it. What CiviCRM accepts passes, whatever stray bytes it
// skips, and reaches it intact; what it refuses gets AuthX's refusal (401
// Invalid credential with a Bearer challenge), never a 502; and the stray
// bytes change neither the caller's fingerprint nor the rules keyed on it.
func TestAttackJWTParsing(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	keys, err := authx.ParseSignKeys(sim.SignKeys())
	if err != nil {
		t.Fatal(err)
	}
	good, denied := sim.MintJWT(2, time.Hour), sim.MintJWT(2, 2*time.Hour)
	// A rule refuses the second token by its fingerprint.
	site := startSimSite(t, sim, "deny {\n\tkey "+authx.Fingerprint(denied)+"\n}")

	enc := base64.RawURLEncoding
	kid := keys[0].KID
	// signed is a token whose header and payload are the given JSON text,
	// signed with the site's key: what only the key holder can make.
	signed := func(header, payload string) string {
		in := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
		m := hmac.New(sha256.New, keys[0].Key)
		m.Write([]byte(in))
		return in + "." + enc.EncodeToString(m.Sum(nil))
	}
	hdr := `{"typ":"JWT","alg":"HS256","kid":"` + kid + `"}`
	claims := `{"exp":4102444800,"sub":"cid:2","scope":"authx"}`
	// With the site key, so that only the token decides.
	sk := http.Header{"X-Civi-Key": {sim.SiteKey()}}
	xauth := func(tok string) credCase {
		return credCase{method: "GET", path: ajaxPath, header: http.Header{"X-Civi-Auth": {"Bearer " + tok}, "X-Civi-Key": sk["X-Civi-Key"]}}
	}
	authxParam := func(method, tok string) credCase {
		return credCase{method: method, path: ajaxPath, query: "&_authx=" + url.QueryEscape("Bearer "+tok), header: sk}
	}
	const ok, refused, policy = "ok", "Invalid credential", "Forbidden by gateway policy"

	// Every row but the controls (which today's code already gets right,
	// kept so the fix cannot break them) failed before the fix.
	for _, tc := range []struct {
		class, name string
		c           credCase
		want        string
	}{
		{"control", "a CiviCRM token", xauth(good), ok},
		{"jwt-header-key-case", `{"Alg":"HS256"} is no alg`, xauth(signed(`{"typ":"JWT","Alg":"HS256","kid":"`+kid+`"}`, claims)), refused},
		{"jwt-header-key-case", `{"KID":…} is no kid`, xauth(signed(`{"typ":"JWT","alg":"HS256","KID":"`+kid+`"}`, claims)), refused},
		{"jwt-header-key-case", `{"ALG":"none"} beside alg is another key`, xauth(signed(`{"alg":"HS256","ALG":"none","kid":"`+kid+`"}`, claims)), ok},
		{"control", "a repeated header key: the last alg is the one", xauth(signed(`{"alg":"HS256","kid":"`+kid+`","alg":"HS512"}`, claims)), refused},
		{"jwt-stray-bytes", "trailing CRLF in _authx (GET)", authxParam("GET", good+"\r\n"), ok},
		{"jwt-stray-bytes", "trailing CRLF in _authx (POST form)", authxParam("POST", good+"\r\n"), ok},
		{"jwt-stray-bytes", "NUL and tab in the signature", authxParam("GET", good[:len(good)-4]+"\x00\t"+good[len(good)-4:]), ok},
		{"jwt-stray-bytes", "padding after the signature", xauth(good + "=="), ok},
		{"control", "a CRLF in the signed segments is signed content", authxParam("GET", strings.Replace(good, ".", "\r\n.", 1)), refused},
		{"jwt-stray-bytes", "a CRLF does not dodge a rule on the token's fingerprint", authxParam("GET", denied+"\r\n"), policy},
		{"jwt-stray-bytes", "padding does not dodge a rule on the token's fingerprint", xauth(denied + "="), policy},
		{"jwt-claims-type-juggling", "exp as a numeric string (is_numeric)", xauth(signed(hdr, `{"exp":"4102444800","sub":"cid:2","scope":"authx"}`)), ok},
		{"jwt-claims-type-juggling", "exp overflowing to INF", xauth(signed(hdr, `{"exp":1e400,"sub":"cid:2","scope":"authx"}`)), ok},
		{"jwt-claims-json", "invalid UTF-8 in a claim", xauth(signed(hdr, "{\"exp\":4102444800,\"sub\":\"cid:2\",\"scope\":\"authx\",\"n\":\"\xff\"}")), refused},
		{"jwt-claims-json", "a NUL-prefixed claim name", xauth(signed(hdr, `{"exp":4102444800,"sub":"cid:2","scope":"authx","\u0000n":1}`)), refused},
		{"control", "a header that is a list, not an object", xauth(signed(`["HS256","`+kid+`"]`, claims)), refused},
	} {
		t.Run(tc.class+": "+tc.name, func(t *testing.T) {
			got := tc.c.send(t, site.edge)
			if o := authOutcome(got); !strings.HasPrefix(o, tc.want) {
				t.Fatalf("%d %q, want %q", got.status, o, tc.want)
			}
			switch tc.want {
			case refused:
				// AuthX's rejection shape, as Civigate renders it.
				if got.status != 401 || !strings.HasPrefix(got.header.Get("WWW-Authenticate"), `Bearer realm="CiviCRM", error="invalid_token"`) {
					t.Errorf("refusal %d %q", got.status, got.header.Get("WWW-Authenticate"))
				}
			case policy:
				if got.status != 403 {
					t.Errorf("policy refusal %d", got.status)
				}
			}
		})
	}
}

package authx

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/translate"
)

// Parsers of client input must never panic and never accept what they
// cannot verify.
func FuzzVerifyCiviJWT(f *testing.F) {
	keys, _ := ParseSignKeys("jwt-hs256:hkdf-sha256:test-secret-123 jwt-hs512:hkdf-sha256:other")
	f.Add(vector34Token)
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Add("...")
	f.Add(vector34Token + "\r\n")
	f.Fuzz(func(t *testing.T, tok string) {
		cid, err := VerifyCiviJWT(tok, keys, time.Unix(1800000000, 0), 0)
		if canon, _ := canonicalCiviJWT(tok); err == nil && canon != vector34Token {
			// Only a correctly signed token can verify (with stray bytes in
			// its signature, as CiviCRM reads it); the fuzzer cannot forge
			// an HMAC, so anything else accepted is a bug.
			t.Fatalf("accepted %q as %d", tok, cid)
		}
	})
}

func FuzzParseSignKeys(f *testing.F) {
	f.Add("jwt-hs256:hkdf-sha256:x jwt-hs512:b64:AAAA")
	f.Add("::: : :")
	f.Fuzz(func(t *testing.T, s string) {
		keys, err := ParseSignKeys(s)
		if err == nil {
			for _, k := range keys {
				if len(k.Key) == 0 || k.Alg == "" || k.KID == "" {
					t.Fatalf("bad key %+v", k)
				}
			}
		}
	})
}

func FuzzParseKeyFile(f *testing.F) {
	f.Add(HashAPIKey("k") + " 5 user=2 forward=jwt\n# c\n")
	f.Add("sha256: 1")
	f.Fuzz(func(t *testing.T, s string) {
		ParseKeyFile(strings.NewReader(s), func(string) (string, error) { return "real", nil })
	})
}

func FuzzAuthenticate(f *testing.F) {
	e := newEnv(f, nil)
	f.Add("Bearer "+akUser, "", "", "", testSiteKey)
	f.Add("bearer x", "Basic eA==", "Bearer a.b.c", "k", "")
	f.Fuzz(func(t *testing.T, xauth, auth, authx, apiKey, siteKey string) {
		c := contactGet()
		c.Credentials = translate.Credentials{XCiviAuth: xauth, Authorization: auth, Authx: authx, APIKey: apiKey, XCiviKey: siteKey}
		h := http.Header{"X_civi_auth": {xauth}}
		p, rej := e.a.Authenticate(context.Background(), Request{Call: c, Header: h})
		if (p == nil) == (rej == nil) {
			t.Fatal("exactly one of principal and rejection must be set")
		}
		if rej != nil {
			for _, cred := range []string{xauth, auth, authx, apiKey, siteKey} {
				if len(cred) > 12 && strings.Contains(rej.Message+rej.LegacyMessage()+rej.Detail, cred) {
					t.Fatalf("rejection echoes input %q", cred)
				}
			}
		}
	})
}

package tests

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/tests/civicrmsim"
)

// An identity provider's RS256 token, checked against its JWKS, becomes a
// short-lived CiviCRM JWT minted for the mapped contact: CiviCRM (the
// simulator) accepts it and never sees the provider's token. A token of the
// wrong audience, or signed by another key, is refused at the edge.
func TestExternalJWTThroughCaddy(t *testing.T) {
	idpKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b64 := base64.RawURLEncoding.EncodeToString
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": "idp-1", "alg": "RS256", "use": "sig",
			"n": b64(idpKey.N.Bytes()), "e": b64(big.NewInt(int64(idpKey.E)).Bytes()),
		}}})
	}))
	defer jwks.Close()

	sim := civicrmsim.New(civicrmsim.Options{})
	var mu sync.Mutex
	var forwarded []string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/civicrm/ajax/rest" {
			mu.Lock()
			forwarded = append(forwarded, r.Header.Get("X-Civi-Auth"))
			mu.Unlock()
		}
		sim.ServeHTTP(w, r)
	}))
	defer upstream.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(upstream.URL, "http://"),
		"site_key "+sim.SiteKey(), `sign_keys "`+sim.SignKeys()+`"`, "cache off",
		`auth {
			jwt_without_site_key
			external_jwt {
				jwks_url `+jwks.URL+`
				algorithms RS256
				issuer https://idp.example/
				audience civicrm
				contact_claim civicrm_contact_id
			}
		}`))
	sign := func(key *rsa.PrivateKey, aud string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
			"iss": "https://idp.example/", "aud": aud, "sub": "alice@example.org",
			"civicrm_contact_id": 2, "exp": time.Now().Add(time.Minute).Unix(),
		})
		tok.Header["kid"] = "idp-1"
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := sign(idpKey, "civicrm")
	ajax := inst.URL + "/civicrm/ajax/rest?entity=Contact&action=get&json=1&id=2&return=display_name"
	got := do(t, "GET", ajax, "", http.Header{"Authorization": {"Bearer " + good}})
	if got.status != 200 || !strings.Contains(got.body, `"display_name":"Standalone Admin"`) {
		t.Fatalf("provider token: %d %s", got.status, got.body)
	}
	mu.Lock()
	sent := forwarded
	mu.Unlock()
	if len(sent) != 1 || strings.Contains(sent[0], good) || !strings.HasPrefix(sent[0], "Bearer ") {
		t.Fatalf("forwarded credentials %q: want one minted CiviCRM JWT, never the provider's token", sent)
	}
	keys, _ := authx.ParseSignKeys(sim.SignKeys())
	if cid, err := authx.VerifyCiviJWT(strings.TrimPrefix(sent[0], "Bearer "), keys, time.Now(), 0); err != nil || cid != 2 {
		t.Fatalf("forwarded token: contact %d, %v", cid, err)
	}

	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, tok := range map[string]string{"wrong audience": sign(idpKey, "other-app"), "foreign key": sign(other, "civicrm")} {
		got := do(t, "GET", ajax, "", http.Header{"Authorization": {"Bearer " + tok}})
		if got.status != http.StatusUnauthorized || !strings.Contains(got.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("%s: %d %s %q", name, got.status, got.body, got.header.Get("WWW-Authenticate"))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(forwarded) != 1 {
		t.Fatalf("a refused token reached CiviCRM (%d calls)", len(forwarded))
	}
}

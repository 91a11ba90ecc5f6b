package authx

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civigate/civigate/translate"
	"github.com/golang-jwt/jwt/v5"
)

// idp is a fake identity provider serving a JWKS.
type idp struct {
	mu    sync.Mutex
	keys  map[string]crypto.Signer
	fail  bool
	hits  atomic.Int64
	srv   *httptest.Server
	extra []map[string]string
}

func newIDP(t *testing.T) *idp {
	p := &idp{keys: map[string]crypto.Signer{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *idp) add(kid string, k crypto.Signer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys[kid] = k
}

func (p *idp) remove(kid string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.keys, kid)
}

func (p *idp) serve(w http.ResponseWriter, _ *http.Request) {
	p.hits.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail {
		http.Error(w, "down", 500)
		return
	}
	var keys []map[string]string
	enc := base64.RawURLEncoding
	for kid, k := range p.keys {
		switch pub := k.Public().(type) {
		case *rsa.PublicKey:
			keys = append(keys, map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "n": enc.EncodeToString(pub.N.Bytes()), "e": enc.EncodeToString(big.NewInt(int64(pub.E)).Bytes())})
		case *ecdsa.PublicKey:
			b, _ := pub.Bytes()
			keys = append(keys, map[string]string{"kty": "EC", "kid": kid, "crv": "P-256", "x": enc.EncodeToString(b[1:33]), "y": enc.EncodeToString(b[33:])})
		case ed25519.PublicKey:
			keys = append(keys, map[string]string{"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": enc.EncodeToString(pub)})
		}
	}
	keys = append(keys, p.extra...)
	json.NewEncoder(w).Encode(map[string]any{"keys": keys})
}

func signExt(t testing.TB, method jwt.SigningMethod, kid string, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func extClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{"iss": "https://idp.example", "aud": "civigate", "exp": now.Add(time.Minute).Unix(), "iat": now.Unix(), "civicrm_contact_id": "42"}
}

func TestExternalJWT(t *testing.T) {
	p := newIDP(t)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	p.add("rsa1", rsaKey)
	p.add("ec1", ecKey)
	p.add("ed1", edKey)
	now := testNow
	clock := now
	jwks := &JWKS{URL: p.srv.URL, Client: p.srv.Client(), Now: func() time.Time { return clock }}
	ext := &ExternalJWT{Keys: jwks, Algorithms: []string{"RS256", "ES256", "EdDSA"}, Issuer: "https://idp.example", Audience: []string{"civigate"}, ContactClaim: "civicrm_contact_id"}
	if err := ext.Validate(); err != nil {
		t.Fatal(err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})

	cases := []struct {
		name   string
		tok    string
		reason Reason
	}{
		{"RS256", signExt(t, jwt.SigningMethodRS256, "rsa1", rsaKey, extClaims(now)), ""},
		{"ES256", signExt(t, jwt.SigningMethodES256, "ec1", ecKey, extClaims(now)), ""},
		{"EdDSA", signExt(t, jwt.SigningMethodEdDSA, "ed1", edKey, extClaims(now)), ""},
		{"HS256 with the RSA public key as secret", signExt(t, jwt.SigningMethodHS256, "rsa1", pubPEM, extClaims(now)), ReasonInvalid},
		{"HS256 with the RSA modulus as secret", signExt(t, jwt.SigningMethodHS256, "rsa1", rsaKey.N.Bytes(), extClaims(now)), ReasonInvalid},
		{"RS512 not configured", signExt(t, jwt.SigningMethodRS512, "rsa1", rsaKey, extClaims(now)), ReasonInvalid},
		{"ES256 header on RSA kid", signExt(t, jwt.SigningMethodES256, "rsa1", ecKey, extClaims(now)), ReasonInvalid},
		{"alg none", signExt(t, jwt.SigningMethodNone, "rsa1", jwt.UnsafeAllowNoneSignatureType, extClaims(now)), ReasonInvalid},
		{"wrong issuer", signExt(t, jwt.SigningMethodRS256, "rsa1", rsaKey, func() jwt.MapClaims { c := extClaims(now); c["iss"] = "https://evil"; return c }()), ReasonInvalid},
		{"wrong audience", signExt(t, jwt.SigningMethodRS256, "rsa1", rsaKey, func() jwt.MapClaims { c := extClaims(now); c["aud"] = "other"; return c }()), ReasonInvalid},
		{"no exp", signExt(t, jwt.SigningMethodRS256, "rsa1", rsaKey, func() jwt.MapClaims { c := extClaims(now); delete(c, "exp"); return c }()), ReasonInvalid},
		{"expired", signExt(t, jwt.SigningMethodRS256, "rsa1", rsaKey, func() jwt.MapClaims { c := extClaims(now); c["exp"] = now.Unix() - 1; return c }()), ReasonExpired},
		{"nbf future", signExt(t, jwt.SigningMethodRS256, "rsa1", rsaKey, func() jwt.MapClaims { c := extClaims(now); c["nbf"] = now.Unix() + 60; return c }()), ReasonInvalid},
		{"no contact claim", signExt(t, jwt.SigningMethodRS256, "rsa1", rsaKey, func() jwt.MapClaims { c := extClaims(now); delete(c, "civicrm_contact_id"); return c }()), ReasonInvalid},
		{"contact claim not a number", signExt(t, jwt.SigningMethodRS256, "rsa1", rsaKey, func() jwt.MapClaims { c := extClaims(now); c["civicrm_contact_id"] = "1 OR 1"; return c }()), ReasonInvalid},
		{"signed by an unknown key with a known kid", func() string {
			k, _ := rsa.GenerateKey(rand.Reader, 2048)
			return signExt(t, jwt.SigningMethodRS256, "rsa1", k, extClaims(now))
		}(), ReasonInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cid, err := ext.Verify(context.Background(), c.tok, now)
			if c.reason == "" {
				if err != nil || cid != 42 {
					t.Fatalf("cid %d err %v", cid, err)
				}
				return
			}
			rej := asRejection(err)
			if err == nil || rej.Reason != c.reason {
				t.Fatalf("err %v, want reason %s", err, c.reason)
			}
		})
	}
}

func TestJWKSRotationRefreshLimitAndOutage(t *testing.T) {
	p := newIDP(t)
	k1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p.add("k1", k1)
	clock := testNow
	jwks := &JWKS{URL: p.srv.URL, Client: p.srv.Client(), MinRefreshInterval: time.Minute, MaxAge: time.Hour, Now: func() time.Time { return clock }}
	ctx := context.Background()
	// settle waits for background refreshes to reach n fetches and finish.
	settle := func(n int64) {
		t.Helper()
		for i := 0; i < 500; i++ {
			jwks.mu.Lock()
			idle := jwks.inflight == nil
			jwks.mu.Unlock()
			if idle && p.hits.Load() >= n {
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
		t.Fatalf("hits %d, want %d", p.hits.Load(), n)
	}
	if _, err := jwks.Key(ctx, "k1", "ES256"); err != nil {
		t.Fatal(err)
	}
	if p.hits.Load() != 1 {
		t.Fatalf("hits %d", p.hits.Load())
	}
	// Unknown kids: one refresh, then no more until MinRefreshInterval.
	for range 20 {
		if _, err := jwks.Key(ctx, "made-up", "ES256"); err == nil {
			t.Fatal("made-up kid found")
		}
	}
	if h := p.hits.Load(); h != 1 {
		// The first lookup just fetched, so even the first unknown kid
		// waits for the interval.
		t.Fatalf("unknown kids caused %d fetches", h-1)
	}
	// Rotation: the IdP adds k2; after the interval an unknown kid refreshes.
	p.add("k2", k2)
	clock = clock.Add(61 * time.Second)
	if _, err := jwks.Key(ctx, "k2", "ES256"); err != nil {
		t.Fatalf("rotated key: %v", err)
	}
	if _, err := jwks.Key(ctx, "k2", "ES256"); err != nil || p.hits.Load() != 2 {
		t.Fatalf("known key refetched: hits %d", p.hits.Load())
	}
	// Outage: refresh fails, the last good set is kept.
	p.mu.Lock()
	p.fail = true
	p.mu.Unlock()
	clock = clock.Add(2 * time.Hour) // stale: a refresh is attempted
	if _, err := jwks.Key(ctx, "k1", "ES256"); err != nil {
		t.Fatalf("stale set not served during refresh: %v", err)
	}
	settle(3)
	if _, err := jwks.Key(ctx, "k1", "ES256"); err != nil {
		t.Fatalf("last good set dropped on failed refresh: %v", err)
	}
	// A broken (empty) answer does not replace the good set either.
	p.mu.Lock()
	p.fail = false
	p.keys = map[string]crypto.Signer{}
	p.mu.Unlock()
	clock = clock.Add(2 * time.Minute)
	jwks.Key(ctx, "k1", "ES256")
	settle(4)
	if _, err := jwks.Key(ctx, "k1", "ES256"); err != nil {
		t.Fatalf("empty JWKS replaced the good set: %v", err)
	}
	// The key's own alg pins it.
	p.mu.Lock()
	p.keys = map[string]crypto.Signer{"k1": k1}
	p.extra = []map[string]string{{"kty": "OKP", "kid": "ed-pinned", "crv": "Ed25519", "alg": "EdDSA", "x": base64.RawURLEncoding.EncodeToString(make([]byte, 32))}}
	p.mu.Unlock()
	clock = clock.Add(2 * time.Hour)
	if _, err := jwks.Key(ctx, "ed-pinned", "EdDSA"); err != nil {
		t.Fatalf("new kid after rotation: %v", err)
	}
	if _, err := jwks.Key(ctx, "ed-pinned", "ES256"); err == nil {
		t.Fatal("JWK alg not enforced")
	}
}

// A key the IdP withdraws (revoked, leaked) stops verifying once the set
// is refreshed: a stale set may answer while the refresh runs, never after
// it, and the key left in the set keeps working.
func TestJWKSRevokedKeyDroppedAtRefresh(t *testing.T) {
	p := newIDP(t)
	k1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p.add("k1", k1)
	p.add("k2", k2)
	clock := testNow
	jwks := &JWKS{URL: p.srv.URL, Client: p.srv.Client(), MinRefreshInterval: time.Minute, MaxAge: time.Hour, Now: func() time.Time { return clock }}
	ctx := context.Background()
	for _, kid := range []string{"k1", "k2"} {
		if _, err := jwks.Key(ctx, kid, "ES256"); err != nil {
			t.Fatalf("%s before revocation: %v", kid, err)
		}
	}
	p.remove("k1")
	// Within MaxAge the set is not fetched again: k1 still verifies.
	clock = clock.Add(30 * time.Minute)
	if _, err := jwks.Key(ctx, "k1", "ES256"); err != nil {
		t.Fatalf("k1 within MaxAge: %v", err)
	}
	// Past MaxAge a lookup starts the refresh; once it is done, k1 is gone.
	clock = clock.Add(31 * time.Minute)
	jwks.Key(ctx, "k2", "ES256")
	for i := 0; ; i++ {
		jwks.mu.Lock()
		idle := jwks.inflight == nil
		jwks.mu.Unlock()
		if idle && p.hits.Load() >= 2 {
			break
		}
		if i == 500 {
			t.Fatalf("no refresh: %d fetches", p.hits.Load())
		}
		time.Sleep(2 * time.Millisecond)
	}
	if _, err := jwks.Key(ctx, "k1", "ES256"); err == nil {
		t.Fatal("a key the IdP withdrew still verifies after the refresh")
	}
	if _, err := jwks.Key(ctx, "k2", "ES256"); err != nil {
		t.Fatalf("k2 after the refresh: %v", err)
	}
}

func TestStaticPEMKeysAndMinting(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	sk, err := NewStaticKeys(map[string][]byte{"": pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})})
	if err != nil {
		t.Fatal(err)
	}
	ext := &ExternalJWT{Keys: sk, Algorithms: []string{"RS256"}, Issuer: "https://idp.example", Audience: []string{"x", "civigate"}, ContactClaim: "email", ContactMap: map[string]int64{"a@example.org": 77}}
	e := newEnv(t, func(c *Config) { c.External = ext })
	claims := extClaims(testNow)
	claims["email"] = "a@example.org"
	tok := signExt(t, jwt.SigningMethodRS256, "", rsaKey, claims)
	call := &translate.Call{Form: translate.FormAjax, Entity: "Contact", Action: "get", Credentials: translate.Credentials{Authorization: "Bearer " + tok, XCiviKey: testSiteKey}}
	p, rej := e.a.Authenticate(context.Background(), Request{Call: call})
	if rej != nil {
		t.Fatalf("%v (%s)", rej, rej.Detail)
	}
	if p.ContactID != 77 || p.CredType != CredExtJWT {
		t.Fatalf("%v", p)
	}
	// The IdP token never goes upstream; a CiviCRM JWT for contact 77 does.
	fwd := strings.TrimPrefix(p.Forward(), "Bearer ")
	if fwd == tok || strings.Contains(fwd, tok) {
		t.Fatal("IdP token forwarded")
	}
	if cid, err := VerifyCiviJWT(fwd, e.keys, testNow, 0); err != nil || cid != 77 {
		t.Fatalf("minted token: %d %v", cid, err)
	}
	if _, err := VerifyCiviJWT(fwd, e.keys, testNow.Add(6*time.Minute), 0); err == nil {
		t.Fatal("minted token outlives MintTTL")
	}
	// Unknown email.
	claims["email"] = "b@example.org"
	call.Credentials.Authorization = "Bearer " + signExt(t, jwt.SigningMethodRS256, "", rsaKey, claims)
	if _, rej := e.a.Authenticate(context.Background(), Request{Call: call}); rej == nil {
		t.Fatal("unmapped subject accepted")
	}
}

func mustEC(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

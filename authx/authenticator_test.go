package authx

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civigate/civigate/translate"
)

const testSiteKey = "site-key-0123456789"

var testNow = time.Unix(1800000000, 0)

// fakeResolver plays CiviCRM's authx/id.
type fakeResolver struct {
	ids   map[string]Identity // "Bearer KEY" → identity
	calls atomic.Int64
	down  bool
}

func (f *fakeResolver) Resolve(_ context.Context, scheme, value string) (Identity, error) {
	f.calls.Add(1)
	if f.down {
		return Identity{}, ErrUnavailable
	}
	id, ok := f.ids[scheme+" "+value]
	if !ok {
		return Identity{}, invalidCredential("unknown")
	}
	return id, nil
}

func i64(v int64) *int64 { return &v }

type env struct {
	a    *Authenticator
	res  *fakeResolver
	keys []SignKey
	cnt  *MemoryCounter
}

const (
	akUser   = "user-api-key-AAAAAAAAAAAAAAAAAAAA"  // contact 3, user 1, may authenticate with api key
	akNoUser = "nouser-api-key-BBBBBBBBBBBBBBBBBBB" // contact 14, no user
	akNoPerm = "noperm-api-key-EEEEEEEEEEEEEEEEEEE" // contact 4, user 2, lacks "authenticate with api key"
	akFile   = "external-key-CCCCCCCCCCCCCCCCCCCCC" // key file → contact 7, forwarded as real key
	realKey  = "real-civicrm-key-DDDDDDDDDDDDDDDDD"
)

func newEnv(t testing.TB, mod func(*Config)) *env {
	t.Helper()
	keys, err := ParseSignKeys("jwt-hs256:hkdf-sha256:test-secret-new jwt-hs256:hkdf-sha256:test-secret-old")
	if err != nil {
		t.Fatal(err)
	}
	res := &fakeResolver{ids: map[string]Identity{
		"Bearer " + akUser:   {ContactID: 3, UserID: i64(1), Cred: "api_key", Guard: true},
		"Bearer " + akNoUser: {ContactID: 14, Cred: "api_key"},
		"Bearer " + akNoPerm: {ContactID: 4, UserID: i64(2), Cred: "api_key"},
		"Basic " + base64.StdEncoding.EncodeToString([]byte("admin:pw")): {ContactID: 3, UserID: i64(1), Cred: "pass"},
	}}
	kf, err := ParseKeyFile(strings.NewReader("# test\n"+HashAPIKey(akFile)+" 7 user=9 forward=env:REAL\n"), func(ref string) (string, error) {
		if ref != "env:REAL" {
			t.Fatalf("ref %q", ref)
		}
		return realKey, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cnt := NewMemoryCounter()
	cnt.Now = func() time.Time { return testNow }
	store := NewMemoryVerdicts()
	store.Now = func() time.Time { return testNow }
	cfg := Config{
		SignKeys: keys,
		SiteKey:  testSiteKey,
		KeyFile:  kf,
		APIKeys:  NewAPIKeyVerifier(res, store, []byte("verdict-secret")),
		Failures: cnt, MaxFailures: 5, FailureWindow: time.Minute,
		Now: func() time.Time { return testNow },
	}
	if mod != nil {
		mod(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{a: a, res: res, keys: keys, cnt: cnt}
}

func (e *env) jwt(t testing.TB, claims map[string]any) string {
	t.Helper()
	tok, err := SignCiviJWT(e.keys, claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func contactGet() *translate.Call {
	p := translate.NewArray()
	p.Set("id", "3")
	return &translate.Call{Form: translate.FormAjax, Method: "GET", Entity: "Contact", Action: "get", Params: p}
}

// forge builds a token with arbitrary header and payload and an HMAC or a
// garbage signature: the attacker's toolkit.
func forge(header, payload string, sign func(string) []byte) string {
	enc := base64.RawURLEncoding
	in := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	var sig []byte
	if sign != nil {
		sig = sign(in)
	}
	return in + "." + enc.EncodeToString(sig)
}

func TestAttackCorpus(t *testing.T) {
	e := newEnv(t, nil)
	kid := e.keys[0].KID
	good := e.jwt(t, map[string]any{"exp": testNow.Add(time.Hour).Unix(), "sub": "cid:203", "scope": "authx"})
	oldKeyTok, _ := SignCiviJWT(e.keys[1:], map[string]any{"exp": testNow.Add(time.Hour).Unix(), "sub": "cid:204", "scope": "authx"})
	parts := strings.Split(good, ".")
	hs := func(key []byte) func(string) []byte {
		return func(in string) []byte { return hmacSHA256(key, in) }
	}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	pubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	big := "Bearer " + strings.Repeat("A", MaxTokenBytes)
	basicOK := "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:pw"))

	type tc struct {
		name    string
		form    translate.Form
		hdr     http.Header
		cred    translate.Credentials
		wantCID int64
		reason  Reason
		msg     string // modern AuthX message
		legacy  string // extern/rest.php message
		status  int
		fwd     string // expected forwarded credential prefix
		xrw     string // X-Requested-With (Call.RequestedWith)
	}
	sk := translate.Credentials{XCiviKey: testSiteKey}
	withSK := func(c translate.Credentials) translate.Credentials { c.XCiviKey = testSiteKey; return c }
	h := func(kv ...string) http.Header {
		hh := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			hh[kv[i]] = append(hh[kv[i]], kv[i+1])
		}
		return hh
	}
	cases := []tc{
		{name: "good civi jwt xheader", hdr: h("X-Civi-Auth", "Bearer "+good, "X-Civi-Key", testSiteKey), wantCID: 203, fwd: "Bearer " + good},
		{name: "rotated old key still verifies", hdr: h("X-Civi-Auth", "Bearer "+oldKeyTok, "X-Civi-Key", testSiteKey), wantCID: 204},
		{name: "api key via resolver", cred: withSK(translate.Credentials{Authorization: "Bearer " + akUser}), wantCID: 3, fwd: "Bearer " + akUser},
		{name: "basic via resolver, forwarded as minted jwt", cred: withSK(translate.Credentials{Authorization: basicOK}), xrw: "XMLHttpRequest", wantCID: 3, fwd: "Bearer ey"},
		{name: "basic without X-Requested-With: ajax/rest's CSRF rule", cred: withSK(translate.Credentials{Authorization: basicOK}),
			reason: ReasonCSRF, msg: translate.MsgAjaxCSRF, status: 200},
		{name: "key file external key forwards real key", cred: withSK(translate.Credentials{Authx: "Bearer " + akFile}), wantCID: 7, fwd: "Bearer " + realKey},
		{name: "legacy extern key+api_key", form: translate.FormExtern, cred: translate.Credentials{SiteKey: " " + testSiteKey + " ", APIKey: akUser}, wantCID: 3},
		{name: "same credential twice is fine", cred: withSK(translate.Credentials{XCiviAuth: "Bearer " + akUser, APIKey: akUser}), wantCID: 3},

		{name: "alg none", hdr: h("X-Civi-Auth", "Bearer "+forge(`{"typ":"JWT","alg":"none","kid":"`+kid+`"}`, `{"sub":"cid:1","scope":"authx"}`, nil), "X-Civi-Key", testSiteKey),
			reason: ReasonInvalid, msg: "Invalid credential", legacy: translate.MsgNoCMSUser, status: 401},
		{name: "HS/RS confusion: public key as HMAC secret", hdr: h("X-Civi-Auth", "Bearer "+forge(`{"typ":"JWT","alg":"RS256","kid":"`+kid+`"}`, `{"sub":"cid:1","scope":"authx"}`, hs(pubPEM)), "X-Civi-Key", testSiteKey),
			reason: ReasonInvalid, msg: "Invalid credential", status: 401},
		{name: "HS256 signed with the RSA public key PEM", hdr: h("X-Civi-Auth", "Bearer "+forge(`{"typ":"JWT","alg":"HS256","kid":"`+kid+`"}`, `{"sub":"cid:1","scope":"authx"}`, hs(pubPEM)), "X-Civi-Key", testSiteKey),
			reason: ReasonInvalid, msg: "Invalid credential", status: 401},
		{name: "HS512 header on an HS256 key", hdr: h("X-Civi-Auth", "Bearer "+forge(`{"typ":"JWT","alg":"HS512","kid":"`+kid+`"}`, `{"sub":"cid:1","scope":"authx"}`, func(in string) []byte {
			m := hmac.New(sha512.New, e.keys[0].Key)
			m.Write([]byte(in))
			return m.Sum(nil)
		}), "X-Civi-Key", testSiteKey),
			reason: ReasonInvalid, msg: "Invalid credential", status: 401},
		{name: "control: correctly forged HS256 with the real key is accepted", hdr: h("X-Civi-Auth", "Bearer "+forge(`{"typ":"JWT","alg":"HS256","kid":"`+kid+`"}`, `{"sub":"cid:1","scope":"authx"}`, hs(e.keys[0].Key)), "X-Civi-Key", testSiteKey), wantCID: 1},
		{name: "expired", hdr: h("X-Civi-Auth", "Bearer "+e.jwt(t, map[string]any{"exp": testNow.Unix(), "sub": "cid:1", "scope": "authx"}), "X-Civi-Key", testSiteKey),
			reason: ReasonExpired, msg: "Expired token", legacy: translate.MsgNoCMSUser, status: 401},
		{name: "nbf in the future", hdr: h("X-Civi-Auth", "Bearer "+e.jwt(t, map[string]any{"nbf": testNow.Unix() + 10, "sub": "cid:1", "scope": "authx"}), "X-Civi-Key", testSiteKey),
			reason: ReasonInvalid, msg: "Invalid credential", status: 401},
		{name: "iat in the future", hdr: h("X-Civi-Auth", "Bearer "+e.jwt(t, map[string]any{"iat": testNow.Unix() + 10, "sub": "cid:1", "scope": "authx"}), "X-Civi-Key", testSiteKey),
			reason: ReasonInvalid, msg: "Invalid credential", status: 401},
		{name: "unknown kid", hdr: h("X-Civi-Auth", "Bearer "+forge(`{"typ":"JWT","alg":"HS256","kid":"nope"}`, `{"sub":"cid:1","scope":"authx"}`, hs(e.keys[0].Key)), "X-Civi-Key", testSiteKey),
			reason: ReasonInvalid, msg: "Invalid credential", status: 401},
		{name: "missing kid", hdr: h("X-Civi-Auth", "Bearer "+forge(`{"typ":"JWT","alg":"HS256"}`, `{"sub":"cid:1","scope":"authx"}`, hs(e.keys[0].Key)), "X-Civi-Key", testSiteKey),
			reason: ReasonInvalid, msg: "Invalid credential", status: 401},
		{name: "tampered payload", hdr: h("X-Civi-Auth", "Bearer "+parts[0]+"."+base64.RawURLEncoding.EncodeToString([]byte(`{"exp":4102444800,"sub":"cid:1","scope":"authx"}`))+"."+parts[2], "X-Civi-Key", testSiteKey),
			reason: ReasonInvalid, msg: "Invalid credential", status: 401},
		{name: "sub without cid:", hdr: h("X-Civi-Auth", "Bearer "+e.jwt(t, map[string]any{"sub": "203", "scope": "authx"}), "X-Civi-Key", testSiteKey),
			reason: ReasonInvalid, msg: "Malformed JWT. Must specify the contact ID.", status: 401},
		{name: "scope without authx", hdr: h("X-Civi-Auth", "Bearer "+e.jwt(t, map[string]any{"sub": "cid:1", "scope": "afform other"}), "X-Civi-Key", testSiteKey),
			reason: ReasonInvalid, msg: "Invalid credential", status: 401},
		{name: "lowercase bearer", hdr: h("X-Civi-Auth", "bearer "+akUser, "X-Civi-Key", testSiteKey),
			reason: ReasonInvalid, msg: "Invalid credential", status: 401},
		{name: "no prefix", hdr: h("X-Civi-Auth", akUser, "X-Civi-Key", testSiteKey),
			reason: ReasonInvalid, msg: "Invalid credential", status: 401},
		{name: "unknown api key", cred: withSK(translate.Credentials{XCiviAuth: "Bearer garbage"}),
			reason: ReasonInvalid, msg: "Invalid credential", status: 401},
		{name: "header and query credentials at once", cred: withSK(translate.Credentials{XCiviAuth: "Bearer " + akUser, Authx: "Bearer " + akNoUser}),
			reason: ReasonAmbiguous, status: 400},
		{name: "authorization and api_key differ", cred: withSK(translate.Credentials{Authorization: "Bearer " + good, APIKey: akUser}),
			reason: ReasonAmbiguous, status: 400},
		{name: "X_Civi_Auth spoof beside X-Civi-Auth", hdr: h("X-Civi-Auth", "Bearer "+akUser, "X_civi_auth", "Bearer "+good, "X-Civi-Key", testSiteKey),
			reason: ReasonAmbiguous, status: 400},
		{name: "X_Civi_Auth alone is verified, not trusted", hdr: h("X_civi_auth", "Bearer forged", "X-Civi-Key", testSiteKey),
			reason: ReasonInvalid, msg: "Invalid credential", status: 401},
		{name: "two different site keys", hdr: h("X-Civi-Auth", "Bearer "+akUser, "X-Civi-Key", testSiteKey, "X_civi_key", "other-site-key"),
			reason: ReasonAmbiguous, status: 400},
		{name: "oversized header", cred: withSK(translate.Credentials{XCiviAuth: big}), reason: ReasonInvalid, status: 401},
		{name: "oversized JWT-shaped token", cred: withSK(translate.Credentials{XCiviAuth: "Bearer " + strings.Repeat("A", MaxTokenBytes) + ".b.c"}), reason: ReasonInvalid, status: 401},
		{name: "modern without site key, key lacking the perm guard", cred: translate.Credentials{XCiviAuth: "Bearer " + akNoPerm},
			reason: ReasonSiteKey, msg: MsgGuard, legacy: translate.MsgBadSiteKey, status: 401},
		{name: "modern without site key, key passing the perm guard", cred: translate.Credentials{XCiviAuth: "Bearer " + akUser}, wantCID: 3},
		{name: "modern wrong site key", cred: translate.Credentials{XCiviAuth: "Bearer " + akUser, XCiviKey: "wrong-site-key"},
			reason: ReasonSiteKey, msg: MsgGuard, status: 401},
		{name: "no credential, modern", cred: sk, reason: ReasonMissing, msg: MsgMissing, status: 401},
		{name: "extern no key (vector 12)", form: translate.FormExtern, reason: ReasonSiteKey, legacy: "Failed to authenticate key"},
		{name: "extern wrong key (vector 12)", form: translate.FormExtern, cred: translate.Credentials{SiteKey: "wrong-key-123", APIKey: akUser}, reason: ReasonSiteKey, legacy: "Failed to authenticate key"},
		{name: "extern no api_key (vector 13)", form: translate.FormExtern, cred: translate.Credentials{SiteKey: testSiteKey}, reason: ReasonMissing, legacy: "FATAL: mandatory param 'api_key' (user key) missing"},
		{name: "extern garbage api_key (vector 14)", form: translate.FormExtern, cred: translate.Credentials{SiteKey: testSiteKey, APIKey: "garbage"}, reason: ReasonInvalid, legacy: "ERROR: No CMS user associated with given api-key"},
		{name: "extern key without user (vector 14)", form: translate.FormExtern, cred: translate.Credentials{SiteKey: testSiteKey, APIKey: akNoUser}, reason: ReasonNoUser, legacy: "ERROR: No CMS user associated with given api-key"},
		{name: "legacyrest key without user (vector 30)", cred: translate.Credentials{SiteKey: testSiteKey, APIKey: akNoUser}, reason: ReasonNoUser, msg: "Cannot login. No matching user is available.", status: 403},
		{name: "legacyrest wrong key is enforced (vector 29)", cred: translate.Credentials{SiteKey: "wrong-key-123", APIKey: akUser}, reason: ReasonSiteKey, msg: MsgGuard},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.cnt.m = map[string]memCount{} // keep the guessing limit out of the corpus
			call := contactGet()
			if c.form != "" {
				call.Form = c.form
			}
			call.Credentials = c.cred
			call.RequestedWith = c.xrw
			p, rej := e.a.Authenticate(context.Background(), Request{Call: call, Header: c.hdr, ClientIP: netip.MustParseAddr("192.0.2.1")})
			if c.reason == "" {
				if rej != nil {
					t.Fatalf("rejected: %s (%s)", rej.Message, rej.Detail)
				}
				if p.ContactID != c.wantCID {
					t.Fatalf("contact %d, want %d", p.ContactID, c.wantCID)
				}
				if c.fwd != "" && !strings.HasPrefix(p.Forward(), c.fwd) {
					t.Fatalf("forward %q does not start with %q", p.Forward(), c.fwd)
				}
				if strings.Contains(p.String(), p.Forward()[7:]) {
					t.Fatal("String() leaks the forwarded credential")
				}
				return
			}
			if rej == nil {
				t.Fatalf("accepted as %v", p)
			}
			if rej.Reason != c.reason {
				t.Errorf("reason %s, want %s (%s)", rej.Reason, c.reason, rej.Detail)
			}
			if c.msg != "" && rej.Message != c.msg {
				t.Errorf("message %q, want %q", rej.Message, c.msg)
			}
			if c.legacy != "" && rej.LegacyMessage() != c.legacy {
				t.Errorf("legacy %q, want %q", rej.LegacyMessage(), c.legacy)
			}
			if c.status != 0 && rej.HTTPStatus() != c.status {
				t.Errorf("status %d, want %d", rej.HTTPStatus(), c.status)
			}
			for _, secret := range []string{akUser, akNoUser, good, testSiteKey, "garbage", "forged"} {
				for _, s := range []string{rej.Message, rej.LegacyMessage(), rej.Detail, rej.WWWAuthenticate(""), rej.WP().Message, modernBody(rej)} {
					if strings.Contains(s, secret) {
						t.Errorf("rejection text %q echoes a credential", s)
					}
				}
			}
		})
	}
}

// q=civicrm/ping is public; fnName=civicrm/ping (and a ping reached
// through q=civicrm/ping/x) goes through extern/rest.php's key checks first.
func TestPingIsPublic(t *testing.T) {
	e := newEnv(t, nil)
	call := &translate.Call{Form: translate.FormExtern, Ping: true, AuthFree: true}
	if p, rej := e.a.Authenticate(context.Background(), Request{Call: call}); rej != nil || p.CredType != CredNone {
		t.Fatalf("ping: %v %v", p, rej)
	}
	call = &translate.Call{Form: translate.FormExtern, Ping: true}
	if p, rej := e.a.Authenticate(context.Background(), Request{Call: call}); rej == nil || rej.LegacyMessage() != translate.MsgBadSiteKey {
		t.Fatalf("fnName ping without credentials: %v %v", p, rej)
	}
}

func TestAnonymousConfigurable(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AllowAnonymous = true; c.SiteKeyModern = SiteKeyIfPresent })
	call := contactGet()
	p, rej := e.a.Authenticate(context.Background(), Request{Call: call})
	if rej != nil || p.CredType != CredNone || p.Forward() != "" {
		t.Fatalf("anonymous: %v %v", p, rej)
	}
	// Legacy forms never were anonymous.
	call.Form = translate.FormExtern
	call.Credentials.SiteKey = testSiteKey
	if _, rej := e.a.Authenticate(context.Background(), Request{Call: call}); rej == nil || rej.Reason != ReasonMissing {
		t.Fatalf("extern anonymous: %v", rej)
	}
}

func TestGuessingProtection(t *testing.T) {
	e := newEnv(t, nil)
	ip := netip.MustParseAddr("2001:db8::1")
	try := func(cred string, addr netip.Addr) *Rejection {
		call := contactGet()
		call.Credentials = translate.Credentials{XCiviAuth: cred, XCiviKey: testSiteKey}
		_, rej := e.a.Authenticate(context.Background(), Request{Call: call, ClientIP: addr})
		return rej
	}
	for i := range 5 {
		if rej := try("Bearer guess-"+string(rune('a'+i)), ip); rej == nil || rej.Reason != ReasonInvalid {
			t.Fatalf("attempt %d: %v", i, rej)
		}
	}
	before := e.res.calls.Load()
	// Same /64, different host: still blocked, and CiviCRM is not asked.
	rej := try("Bearer "+akUser, netip.MustParseAddr("2001:db8::2"))
	if rej == nil || rej.Reason != ReasonRateLimited || rej.HTTPStatus() != 429 || rej.RetryAfterSeconds() != 60 {
		t.Fatalf("after 5 failures: %+v", rej)
	}
	if e.res.calls.Load() != before {
		t.Fatal("rate-limited request reached the resolver")
	}
	// Another network is unaffected.
	if rej := try("Bearer "+akUser, netip.MustParseAddr("198.51.100.7")); rej != nil {
		t.Fatalf("other client blocked: %v", rej)
	}
	// The window passes.
	e.cnt.Now = func() time.Time { return testNow.Add(61 * time.Second) }
	if rej := try("Bearer "+akUser, ip); rej != nil {
		t.Fatalf("after window: %v", rej)
	}
}

// A guesser that changes address is still stopped by the per-credential
// count, whose key is only worked out once a failure has been counted.
func TestGuessingProtectionFollowsTheCredential(t *testing.T) {
	e := newEnv(t, nil)
	try := func(cred string, i int) *Rejection {
		call := contactGet()
		call.Credentials = translate.Credentials{XCiviAuth: cred, XCiviKey: testSiteKey}
		addr := netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})
		_, rej := e.a.Authenticate(context.Background(), Request{Call: call, ClientIP: addr})
		return rej
	}
	if !e.cnt.Quiet() {
		t.Fatal("a fresh counter is not quiet")
	}
	for i := range 5 {
		if rej := try("Bearer guessed-key", i); rej == nil || rej.Reason != ReasonInvalid {
			t.Fatalf("attempt %d: %v", i, rej)
		}
	}
	if e.cnt.Quiet() {
		t.Fatal("counter quiet with failures in the window")
	}
	if rej := try("Bearer guessed-key", 99); rej == nil || rej.Reason != ReasonRateLimited {
		t.Fatalf("sixth attempt from a new address: %+v", rej)
	}
	if rej := try("Bearer "+akUser, 98); rej != nil {
		t.Fatalf("another credential from a clean address blocked: %v", rej)
	}
	e.cnt.Now = func() time.Time { return testNow.Add(61 * time.Second) }
	if !e.cnt.Quiet() {
		t.Fatal("counter not quiet after the window")
	}
	if rej := try("Bearer guessed-key", 99); rej == nil || rej.Reason != ReasonInvalid {
		t.Fatalf("after the window: %+v", rej)
	}
}

func TestRememberedVerdicts(t *testing.T) {
	e := newEnv(t, nil)
	for range 3 {
		call := contactGet()
		call.Credentials = translate.Credentials{XCiviAuth: "Bearer " + akUser, XCiviKey: testSiteKey}
		if _, rej := e.a.Authenticate(context.Background(), Request{Call: call}); rej != nil {
			t.Fatal(rej)
		}
		call.Credentials.XCiviAuth = "Bearer bad-key"
		if _, rej := e.a.Authenticate(context.Background(), Request{Call: call}); rej == nil {
			t.Fatal("bad key accepted")
		}
	}
	if n := e.res.calls.Load(); n != 2 {
		t.Fatalf("resolver asked %d times, want 2 (one per credential)", n)
	}
}

func TestResolverDownIsUnavailableNotCounted(t *testing.T) {
	e := newEnv(t, nil)
	e.res.down = true
	for range 10 {
		call := contactGet()
		call.Credentials = translate.Credentials{XCiviAuth: "Bearer " + akUser, XCiviKey: testSiteKey}
		_, rej := e.a.Authenticate(context.Background(), Request{Call: call, ClientIP: netip.MustParseAddr("192.0.2.9")})
		if rej == nil || rej.Reason != ReasonUnavailable || rej.HTTPStatus() != 503 {
			t.Fatalf("%+v", rej)
		}
	}
}

func TestRejectionRendering(t *testing.T) {
	cases := []struct {
		r    *Rejection
		want string
	}{
		{&Rejection{Reason: ReasonMissing, Message: MsgMissing}, `Bearer realm="CiviCRM"`},
		{invalidCredential(""), `Bearer realm="CiviCRM", error="invalid_token", error_description="Invalid credential"`},
		{&Rejection{Reason: ReasonInvalid, Message: MsgInvalidCredential, Scheme: "Basic"}, `Bearer realm="CiviCRM"`}, // never a Basic challenge: no browser prompt
		{ambiguous(""), `Bearer realm="CiviCRM", error="invalid_request", error_description="Conflicting credentials"`},
		{&Rejection{Reason: ReasonPolicy, Message: MsgPolicy, Status: 403}, `Bearer realm="CiviCRM", error="insufficient_scope", error_description="Forbidden by gateway policy"`},
		{&Rejection{Reason: ReasonRateLimited, Message: MsgRateLimited, Status: 429}, ``},
	}
	for _, c := range cases {
		if got := c.r.WWWAuthenticate(""); got != c.want {
			t.Errorf("%s: got %q want %q", c.r.Reason, got, c.want)
		}
	}
	if rep, _ := invalidCredential("").Reply(&translate.Call{Form: translate.FormAjax}, ""); rep.Status != 401 ||
		rep.ContentType != "application/json" || string(rep.Body) != `{"is_error":1,"error_message":"Invalid credential"}` {
		t.Errorf("modern reply %d %s %s", rep.Status, rep.ContentType, rep.Body)
	}
	if w := (&Rejection{Reason: ReasonSiteKey, Detail: detailSiteKeyMissing}).WP(); w.Status != 403 || w.Message != "Param key is not valid." {
		t.Errorf("wp missing key: %+v", w)
	}
	if w := invalidCredential("").WP(); w.Status != 500 || w.Message != `Missing or invalid param "api_key".` {
		t.Errorf("wp invalid: %+v", w)
	}
}

func credsWith(xauth string) translate.Credentials {
	return translate.Credentials{XCiviAuth: xauth, XCiviKey: testSiteKey}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestSiteKeyExemptJWT(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.SiteKeyExemptJWT = true; c.SiteKeyModern = SiteKeyRequire })
	tok := e.jwt(t, map[string]any{"sub": "cid:5", "scope": "authx"})
	auth := func(form translate.Form, cr translate.Credentials) *Rejection {
		c := contactGet()
		c.Form = form
		c.Credentials = cr
		_, rej := e.a.Authenticate(context.Background(), Request{Call: c})
		return rej
	}
	if rej := auth(translate.FormAjax, translate.Credentials{XCiviAuth: "Bearer " + tok}); rej != nil {
		t.Fatalf("JWT without site key: %v", rej)
	}
	if rej := auth(translate.FormAjax, translate.Credentials{XCiviAuth: "Bearer " + tok, XCiviKey: "wrong-site-key"}); rej == nil || rej.Reason != ReasonSiteKey {
		t.Fatalf("JWT with wrong site key: %v", rej)
	}
	if rej := auth(translate.FormAjax, translate.Credentials{XCiviAuth: "Bearer " + akUser}); rej == nil || rej.Reason != ReasonSiteKey {
		t.Fatalf("API key without site key: %v", rej)
	}
	// A JWT-shaped API key does not get the exemption.
	if rej := auth(translate.FormAjax, translate.Credentials{XCiviAuth: "Bearer a.b.c"}); rej == nil || rej.Reason != ReasonInvalid {
		t.Fatalf("garbage: %v", rej)
	}
	if rej := auth(translate.FormExtern, translate.Credentials{APIKey: tok}); rej == nil || rej.Reason != ReasonSiteKey {
		t.Fatalf("legacy form is never exempt: %v", rej)
	}
}

func TestJWTShapedGarbageNeverReachesCiviCRM(t *testing.T) {
	e := newEnv(t, nil)
	c := contactGet()
	c.Credentials = credsWith("Bearer x.y.z")
	if _, rej := e.a.Authenticate(context.Background(), Request{Call: c}); rej == nil || rej.Reason != ReasonInvalid {
		t.Fatalf("%v", rej)
	}
	if e.res.calls.Load() != 0 {
		t.Fatal("resolver asked about a JWT-shaped value although sign keys are configured")
	}
}

func TestBasicFingerprintIsUserName(t *testing.T) {
	e := newEnv(t, nil)
	c := contactGet()
	c.Credentials = credsWith("Basic " + base64.StdEncoding.EncodeToString([]byte("admin:pw")))
	p, rej := e.a.Authenticate(context.Background(), Request{Call: c})
	if rej != nil {
		t.Fatal(rej)
	}
	if p.KeyFingerprint != Fingerprint("user:admin") || p.CredType != CredPass {
		t.Fatalf("%v", p)
	}
	c.Credentials = credsWith("Basic " + base64.StdEncoding.EncodeToString([]byte("no-colon")))
	if _, rej := e.a.Authenticate(context.Background(), Request{Call: c}); rej == nil || rej.Scheme != "Basic" {
		t.Fatalf("%+v", rej)
	}
}

func modernBody(r *Rejection) string {
	rep, _ := r.Reply(&translate.Call{Form: translate.FormAjax}, "")
	return string(rep.Body)
}

// Without the site key, a modern caller is judged as CiviCRM's AuthX guards
// would judge it (site_key OR perm, per flow and its own site key input);
// site_key_modern require refuses it; a wrong site key is always refused;
// the legacy forms always need the key.
func TestSiteKeyModernFollowsAuthXGuards(t *testing.T) {
	ifPresent := newEnv(t, nil)
	require := newEnv(t, func(c *Config) { c.SiteKeyModern = SiteKeyRequire })
	tok := ifPresent.jwt(t, map[string]any{"sub": "cid:5", "scope": "authx"})
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h[kv[i]] = append(h[kv[i]], kv[i+1])
		}
		return h
	}
	for _, tc := range []struct {
		name      string
		form      translate.Form
		cred      translate.Credentials
		hdr       http.Header
		ifPresent int64 // contact accepted by default, 0: refused with the guard message
		require   int64 // the same under site_key_modern require
		legacyRst bool  // refused in the legacyrest shape
	}{
		{name: "perm key, no site key", cred: translate.Credentials{XCiviAuth: "Bearer " + akUser}, ifPresent: 3},
		{name: "perm key, right X-Civi-Key", cred: translate.Credentials{XCiviAuth: "Bearer " + akUser, XCiviKey: testSiteKey}, ifPresent: 3, require: 3},
		{name: "no-perm key, no site key", cred: translate.Credentials{XCiviAuth: "Bearer " + akNoPerm}},
		{name: "no-perm key, right X-Civi-Key", cred: translate.Credentials{XCiviAuth: "Bearer " + akNoPerm, XCiviKey: testSiteKey}, ifPresent: 4, require: 4},
		{name: "no-perm key, right _authxSiteKey", cred: translate.Credentials{Authx: "Bearer " + akNoPerm, AuthxSiteKey: testSiteKey}, ifPresent: 4, require: 4},
		{name: "no-perm key, an empty X-Civi-Key hides _authxSiteKey",
			cred: translate.Credentials{AuthxSiteKey: testSiteKey}, hdr: hdr("X-Civi-Auth", "Bearer "+akNoPerm, "X-Civi-Key", ""), require: 4},
		{name: "JWT, no site key", cred: translate.Credentials{XCiviAuth: "Bearer " + tok}, ifPresent: 5},
		{name: "legacyrest perm key, no key", cred: translate.Credentials{APIKey: akUser}, ifPresent: 3, legacyRst: true},
		{name: "legacyrest no-perm key, no key", cred: translate.Credentials{APIKey: akNoPerm}, legacyRst: true},
		{name: "legacyrest no-perm key, right key", cred: translate.Credentials{APIKey: akNoPerm, SiteKey: testSiteKey}, ifPresent: 4, require: 4},
		{name: "legacyrest reads key, not X-Civi-Key", cred: translate.Credentials{APIKey: akNoPerm, XCiviKey: testSiteKey}, require: 4, legacyRst: true},
		{name: "xheader and legacyrest, each its own site key", cred: translate.Credentials{XCiviAuth: "Bearer " + akNoPerm, APIKey: akNoPerm, SiteKey: testSiteKey}, require: 4},
		{name: "xheader has its site key, legacyrest not: legacyrest refuses", cred: translate.Credentials{XCiviAuth: "Bearer " + akNoPerm, XCiviKey: testSiteKey, APIKey: akNoPerm},
			require: 4, legacyRst: true},
		{name: "key-file key, no site key", cred: translate.Credentials{XCiviAuth: "Bearer " + akFile}},
	} {
		for _, mode := range []struct {
			e    *env
			want int64
		}{{ifPresent, tc.ifPresent}, {require, tc.require}} {
			mode.e.cnt.m = map[string]memCount{} // keep the guessing limit out of it
			call := contactGet()
			if tc.form != "" {
				call.Form = tc.form
			}
			call.Credentials = tc.cred
			p, rej := mode.e.a.Authenticate(context.Background(), Request{Call: call, Header: tc.hdr})
			switch {
			case mode.want != 0 && (rej != nil || p.ContactID != mode.want):
				t.Errorf("%s, %s: refused (%v), want contact %d", tc.name, mode.e.a.cfg.SiteKeyModern, rej, mode.want)
			case mode.want == 0 && rej == nil:
				t.Errorf("%s, %s: accepted as %v", tc.name, mode.e.a.cfg.SiteKeyModern, p)
			case mode.want == 0 && (rej.Reason != ReasonSiteKey || rej.Message != MsgGuard || (rej.Flow == FlowLegacyRest) != tc.legacyRst):
				t.Errorf("%s, %s: %+v, want AuthX's guard refusal", tc.name, mode.e.a.cfg.SiteKeyModern, rej)
			}
		}
	}
	// A wrong site key the client sends is refused in both modes, before
	// CiviCRM is asked, even for keys CiviCRM's perm guard would let in.
	for _, e := range []*env{ifPresent, require} {
		for _, cr := range []translate.Credentials{
			{XCiviAuth: "Bearer " + akUser, XCiviKey: "wrong-site-key"},
			{Authx: "Bearer " + akUser, AuthxSiteKey: testSiteKey + " "},
			{APIKey: akUser, SiteKey: " " + testSiteKey},
			{XCiviAuth: "Bearer " + tok, XCiviKey: "wrong-site-key"},
		} {
			e.cnt.m = map[string]memCount{} // all without an address: one counter
			call := contactGet()
			call.Credentials = cr
			asked := e.res.calls.Load()
			if _, rej := e.a.Authenticate(context.Background(), Request{Call: call}); rej == nil || rej.Reason != ReasonSiteKey || rej.Detail != detailSiteKeyWrong {
				t.Errorf("%s: wrong site key: %+v", e.a.cfg.SiteKeyModern, rej)
			}
			if e.res.calls.Load() != asked {
				t.Errorf("%s: CiviCRM asked about a request with a wrong site key", e.a.cfg.SiteKeyModern)
			}
		}
		// Legacy forms: `key`, after PHP's trim(), and nothing else.
		e.cnt.m = map[string]memCount{}
		call := contactGet()
		call.Form = translate.FormExtern
		call.Credentials = translate.Credentials{APIKey: akUser, XCiviKey: testSiteKey}
		if _, rej := e.a.Authenticate(context.Background(), Request{Call: call}); rej == nil || rej.LegacyMessage() != translate.MsgBadSiteKey {
			t.Errorf("%s: extern with X-Civi-Key only: %+v", e.a.cfg.SiteKeyModern, rej)
		}
	}
}

// Credential values are read as PHP reads them, per endpoint form.
func TestCredentialsNormalisedAsPHP(t *testing.T) {
	for _, tc := range []struct {
		name   string
		form   translate.Form
		cred   translate.Credentials
		hdr    http.Header
		cid    int64
		legacy string // extern/rest.php message when refused
		asked  bool   // CiviCRM's authx/id is asked
	}{
		{name: "site key trimmed of NUL and \\v", form: translate.FormExtern, cred: translate.Credentials{SiteKey: "\x0b" + testSiteKey + "\x00\n", APIKey: akUser}, cid: 3, asked: true},
		{name: "site key not trimmed of \\f", form: translate.FormExtern, cred: translate.Credentials{SiteKey: testSiteKey + "\x0c", APIKey: akUser}, legacy: translate.MsgBadSiteKey},
		{name: "site key not trimmed of NBSP", form: translate.FormExtern, cred: translate.Credentials{SiteKey: testSiteKey + "\u00a0", APIKey: akUser}, legacy: translate.MsgBadSiteKey},
		{name: "api_key=0 is missing", form: translate.FormExtern, cred: translate.Credentials{SiteKey: testSiteKey, APIKey: "0"}, legacy: translate.MsgMissingAPIKey},
		{name: "api_key with a trailing tab", form: translate.FormExtern, cred: translate.Credentials{SiteKey: testSiteKey, APIKey: akUser + "\t"}, legacy: translate.MsgNoCMSUser},
		{name: "api_key with a trailing newline", form: translate.FormExtern, cred: translate.Credentials{SiteKey: testSiteKey, APIKey: akUser + "\n"}, legacy: translate.MsgNoCMSUser},
		{name: "api_key with a trailing NUL", form: translate.FormExtern, cred: translate.Credentials{SiteKey: testSiteKey, APIKey: akUser + "\x00"}, legacy: translate.MsgNoCMSUser},
		{name: "api_key with trailing spaces (MySQL pads)", form: translate.FormExtern, cred: translate.Credentials{SiteKey: testSiteKey, APIKey: akUser + "  "}, cid: 3, asked: true},
		{name: "X-Civi-Auth is no credential on extern", form: translate.FormExtern, cred: translate.Credentials{SiteKey: testSiteKey, XCiviAuth: "Bearer " + akUser}, legacy: translate.MsgMissingAPIKey},
		{name: "X-Civi-Auth 0 is empty: _authx is used", hdr: http.Header{"X-Civi-Auth": {"0"}}, cred: translate.Credentials{Authx: "Bearer " + akUser, XCiviKey: testSiteKey}, cid: 3, asked: true},
		{name: "_authx 0 is no credential", cred: translate.Credentials{Authx: "0", XCiviKey: testSiteKey}},
		{name: "key alone is the legacyrest credential \"Bearer \"", cred: translate.Credentials{SiteKey: testSiteKey}},
		{name: "key=0 alone is nothing", cred: translate.Credentials{SiteKey: "0", XCiviAuth: "Bearer " + akUser}, cid: 3, asked: true},
		{name: "a web server's Basic beside X-Civi-Auth is no credential", hdr: http.Header{"X-Civi-Auth": {"Bearer " + akUser}, "Authorization": {"Basic d2ViOnNlcnZlcg=="}}, cid: 3, asked: true},
		{name: "a web server's Basic beside _authx is no credential", hdr: http.Header{"Authorization": {"Basic d2ViOnNlcnZlcg=="}}, cred: translate.Credentials{Authx: "Bearer " + akUser}, cid: 3, asked: true},
		{name: "a Bearer Authorization beside X-Civi-Auth must agree", hdr: http.Header{"X-Civi-Auth": {"Bearer " + akUser}, "Authorization": {"Bearer other"}}},
	} {
		call := contactGet()
		if tc.form != "" {
			call.Form = tc.form
		}
		call.Credentials = tc.cred
		e := newEnv(t, nil)
		p, rej := e.a.Authenticate(context.Background(), Request{Call: call, Header: tc.hdr})
		switch {
		case tc.cid != 0 && (rej != nil || p.ContactID != tc.cid):
			t.Errorf("%s: %+v %v", tc.name, rej, p)
		case tc.cid == 0 && rej == nil:
			t.Errorf("%s: accepted as %v", tc.name, p)
		case tc.cid == 0 && tc.legacy != "" && rej.LegacyMessage() != tc.legacy:
			t.Errorf("%s: %q, extern/rest.php says %q", tc.name, rej.LegacyMessage(), tc.legacy)
		}
		if asked := e.res.calls.Load() > 0; asked != tc.asked {
			t.Errorf("%s: CiviCRM asked: %v", tc.name, asked)
		}
		if p != nil && p.KeyFingerprint != APIKeyFingerprint(akUser) {
			t.Errorf("%s: fingerprint of another credential", tc.name)
		}
	}
}

// An API key is one key to CiviCRM whatever its letter case
// (civicrm_contact.api_key compares case-insensitively): it has one
// fingerprint, so a `key` deny rule cannot be dodged by changing the case.
// Keys outside ASCII are refused, and on the legacy forms a JWT in api_key
// is what extern/rest.php makes of it: no user's key.
func TestAPIKeyIdentityAsCiviCRMComparesKeys(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Policy = &Policy{Rules: []Rule{{Effect: "deny", Fingerprints: []string{APIKeyFingerprint(akUser)}}}}
	})
	// CiviCRM finds the key whatever its case, as MySQL compares it.
	for _, key := range []string{strings.ToUpper(akUser), strings.ToLower(akUser)} {
		e.res.ids["Bearer "+key] = e.res.ids["Bearer "+akUser]
	}
	for _, key := range []string{akUser, strings.ToUpper(akUser), strings.ToLower(akUser)} {
		call := contactGet()
		call.Credentials = translate.Credentials{XCiviAuth: "Bearer " + key, XCiviKey: testSiteKey}
		p, rej := e.a.Authenticate(context.Background(), Request{Call: call})
		if rej == nil || rej.Reason != ReasonPolicy {
			t.Errorf("key %q: %+v %v, want the key rule's refusal", key, rej, p)
		}
	}
	call := contactGet()
	call.Credentials = translate.Credentials{XCiviAuth: "Bearer " + akUser + "é", XCiviKey: testSiteKey}
	if _, rej := e.a.Authenticate(context.Background(), Request{Call: call}); rej == nil || rej.Reason != ReasonInvalid {
		t.Errorf("non-ASCII key: %+v", rej)
	}

	tok := e.jwt(t, map[string]any{"sub": "cid:5", "scope": "authx"})
	legacy := contactGet()
	legacy.Form = translate.FormExtern
	legacy.Credentials = translate.Credentials{SiteKey: testSiteKey, APIKey: tok}
	asked := e.res.calls.Load()
	if _, rej := e.a.Authenticate(context.Background(), Request{Call: legacy}); rej == nil || rej.LegacyMessage() != translate.MsgNoCMSUser {
		t.Errorf("JWT as api_key on extern/rest.php: %+v, want %q", rej, translate.MsgNoCMSUser)
	}
	if e.res.calls.Load() != asked {
		t.Error("CiviCRM was asked about a JWT in a legacy api_key")
	}
	modern := contactGet()
	modern.Credentials = translate.Credentials{SiteKey: testSiteKey, APIKey: tok}
	if p, rej := e.a.Authenticate(context.Background(), Request{Call: modern}); rej != nil || p.ContactID != 5 {
		t.Errorf("JWT as api_key on ajax/rest (AuthX's legacyrest flow takes JWTs): %+v %v", rej, p)
	}
}

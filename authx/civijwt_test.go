package authx

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

const vector34Token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiIsImtpZCI6Ik1HbGY1MzlEeVBBT211Y0NDUFpoejhEWEhmWSJ9.eyJleHAiOjQxMDI0NDQ4MDAsInN1YiI6ImNpZDoyMDMiLCJzY29wZSI6ImF1dGh4In0.A3slPYeH0Xd7aBLf66SvidKdAMjUThsAZJALD4mpJz0"

// Spec vector 34, byte for byte.
func TestCiviJWTVector34(t *testing.T) {
	keys, err := ParseSignKeys("jwt-hs256:hkdf-sha256:test-secret-123")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 {
		t.Fatalf("got %d keys", len(keys))
	}
	if got := hex.EncodeToString(keys[0].Key); got != "9eea85a2e0f17421349152df10742527a25a5cdfc19f04e1d85d9c9ed51d4474" {
		t.Errorf("key = %s", got)
	}
	if keys[0].KID != "MGlf539DyPAOmucCCPZhz8DXHfY" || keys[0].Alg != "HS256" {
		t.Errorf("kid/alg = %s/%s", keys[0].KID, keys[0].Alg)
	}
	tok, err := SignCiviJWT(keys, map[string]any{"exp": 4102444800, "sub": "cid:203", "scope": "authx"})
	if err != nil {
		t.Fatal(err)
	}
	if tok != vector34Token {
		t.Errorf("token\n got %s\nwant %s", tok, vector34Token)
	}
	now := time.Unix(1700000000, 0)
	cid, err := VerifyCiviJWT(vector34Token, keys, now, 0)
	if err != nil || cid != 203 {
		t.Fatalf("verify = %d, %v", cid, err)
	}
	// The empty KDF is hkdf-sha256 too.
	k2, _ := ParseSignKeys("jwt-hs256::test-secret-123")
	if k2[0].KID != keys[0].KID {
		t.Error("empty kdf differs from hkdf-sha256")
	}
	// Expired, as the spec says.
	if _, err := VerifyCiviJWT(vector34Token, keys, time.Unix(4102444800, 0), 0); err == nil || err.Error() != "Expired token" {
		t.Errorf("at exp: %v", err)
	}
	if _, err := VerifyCiviJWT(vector34Token, keys, time.Unix(4102444801, 0), 5*time.Second); err != nil {
		t.Errorf("leeway not applied: %v", err)
	}
}

func TestParseSignKeys(t *testing.T) {
	raw := make([]byte, 48)
	for i := range raw {
		raw[i] = byte(i)
	}
	b64 := base64.StdEncoding.EncodeToString(raw)
	keys, err := ParseSignKeys("  jwt-hs512:b64:" + b64 + "   jwt-hs384:hkdf-sha256:abc jwt-hs256:hkdf-sha256:x:ignored ")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 3 || keys[0].Alg != "HS512" || keys[1].Alg != "HS384" || string(keys[0].Key) != string(raw) {
		t.Fatalf("keys = %+v", keys)
	}
	// PHP's explode+list keeps only the text before a further colon.
	k, _ := ParseSignKeys("jwt-hs256:hkdf-sha256:x")
	if keys[2].KID != k[0].KID {
		t.Error("value after third colon should be ignored like PHP")
	}
	for _, bad := range []string{"aes-cbc:hkdf-sha256:abc", "jwt-hs256:rot13:abc", "jwt-hs256:b64:!!!", "jwt-hs256", "jwt-eddsa-keypair:b64:AAAA", "jwt-hs256:b64:"} {
		if _, err := ParseSignKeys(bad); err == nil {
			t.Errorf("%q: want error", bad)
		} else if strings.Contains(err.Error(), "abc") {
			t.Errorf("%q: error echoes the secret: %v", bad, err)
		}
	}
}

func TestCiviJWTRotationAndAlgs(t *testing.T) {
	for _, suite := range []string{"jwt-hs256", "jwt-hs384", "jwt-hs512"} {
		old, _ := ParseSignKeys(suite + ":hkdf-sha256:old-secret")
		both, _ := ParseSignKeys(suite + ":hkdf-sha256:new-secret " + suite + ":hkdf-sha256:old-secret")
		now := time.Unix(1700000000, 0)
		tok, err := MintCiviJWT(old, 42, now, 5*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if cid, err := VerifyCiviJWT(tok, both, now, 0); err != nil || cid != 42 {
			t.Errorf("%s rotation: %d %v", suite, cid, err)
		}
		tok2, _ := MintCiviJWT(both, 43, now, time.Minute)
		if _, err := VerifyCiviJWT(tok2, old, now, 0); err == nil {
			t.Errorf("%s: token from new key accepted by old set", suite)
		}
	}
}

func TestClaimsJSONLikePHP(t *testing.T) {
	claims, err := claimsArray(map[string]any{"zz": "a/b<é😀>", "sub": "cid:1", "exp": 1.0e9, "aud": []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"exp":1000000000,"sub":"cid:1","aud":["x"],"zz":"a/b<\u00e9\ud83d\ude00>"}`
	if got := phpJWTJSON(claims); string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestVerifyCiviJWTRejectionType(t *testing.T) {
	_, err := VerifyCiviJWT("x.y.z", nil, time.Now(), 0)
	var rej *Rejection
	if !errors.As(err, &rej) || rej.Reason != ReasonInvalid || rej.Error() != "Invalid credential" {
		t.Fatalf("err = %#v", err)
	}
}

func hmacSHA256(key []byte, in string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(in))
	return m.Sum(nil)
}

// VerifyCiviJWT accepts exactly what CiviCRM's CryptoJwt (firebase/php-jwt
// 6, json_decode, base64_decode not strict) and AuthX's bearerJwt accept.
func TestVerifyCiviJWTLikeFirebase(t *testing.T) {
	keys, err := ParseSignKeys("jwt-hs256:hkdf-sha256:firebase-semantics")
	if err != nil {
		t.Fatal(err)
	}
	kid := keys[0].KID
	now := time.Unix(1800000000, 0)
	enc := base64.RawURLEncoding
	// token signs the header and payload segments exactly as given.
	token := func(h64, p64 string) string {
		in := h64 + "." + p64
		return in + "." + enc.EncodeToString(hmacSHA256(keys[0].Key, in))
	}
	js := func(header, payload string) string {
		return token(enc.EncodeToString([]byte(header)), enc.EncodeToString([]byte(payload)))
	}
	hdr := `{"typ":"JWT","alg":"HS256","kid":"` + kid + `"}`
	claims := `{"sub":"cid:7","scope":"authx"}`
	good := js(hdr, claims)
	for _, tc := range []struct {
		name, tok string
		ok        bool
	}{
		{"control", good, true},
		{"header key case: Alg is no alg", js(`{"typ":"JWT","Alg":"HS256","kid":"`+kid+`"}`, claims), false},
		{"header key case: KID is no kid", js(`{"typ":"JWT","alg":"HS256","KID":"`+kid+`"}`, claims), false},
		{"header key case: ALG beside alg is another key", js(`{"alg":"HS256","ALG":"none","kid":"`+kid+`"}`, claims), true},
		{"header duplicate: the last alg wins", js(`{"alg":"none","alg":"HS256","kid":"`+kid+`"}`, claims), true},
		{"header duplicate: the last alg wins, refusing", js(`{"alg":"HS256","alg":"none","kid":"`+kid+`"}`, claims), false},
		{"header alg not a string", js(`{"alg":["HS256"],"kid":"`+kid+`"}`, claims), false},
		{"header kid not a string", js(`{"alg":"HS256","kid":["`+kid+`"]}`, claims), false},
		{"header is a list", js(`["HS256","`+kid+`"]`, claims), false},
		{"header with a NUL-prefixed key", js(`{"alg":"HS256","kid":"`+kid+`","\u0000x":1}`, claims), false},
		{"header not UTF-8", js("{\"alg\":\"HS256\",\"kid\":\""+kid+"\",\"x\":\"\xff\"}", claims), false},
		{"signature with a trailing CRLF", good + "\r\n", true},
		{"signature with padding", good + "==", true},
		{"signature with spaces and a tab", good[:len(good)-3] + " \t" + good[len(good)-3:], true},
		{"signature in standard base64", good[:strings.LastIndex(good, ".")+1] + strings.NewReplacer("-", "+", "_", "/").Replace(good[strings.LastIndex(good, ".")+1:]), true},
		{"junk in the signed header segment, signed", token(enc.EncodeToString([]byte(hdr))+"\r\n", enc.EncodeToString([]byte(claims))), true},
		{"junk in the header segment, not signed", strings.Replace(good, ".", "\r\n.", 1), false},
		{"four segments", good + ".x", false},
		{"claims with a NUL-prefixed key", js(hdr, `{"sub":"cid:7","scope":"authx","a":{"\u0000":1}}`), false},
		{"claims not UTF-8", js(hdr, "{\"sub\":\"cid:7\",\"scope\":\"authx\",\"x\":\"\xc3\"}"), false},
		{"claims key case: SCOPE is no scope", js(hdr, `{"sub":"cid:7","SCOPE":"authx"}`), false},
		{"claims duplicate: the last scope wins", js(hdr, `{"sub":"cid:7","scope":"authx","scope":"afform"}`), false},
		{"claims duplicate: the last sub wins", js(hdr, `{"sub":"x","scope":"authx","sub":"cid:7"}`), true},
		{"claims a list", js(hdr, `["cid:7","authx"]`), false},
		{"exp a numeric string (is_numeric)", js(hdr, `{"sub":"cid:7","scope":"authx","exp":"4102444800"}`), true},
		{"exp a numeric string with spaces", js(hdr, `{"sub":"cid:7","scope":"authx","exp":" 4102444800 "}`), true},
		{"exp a past numeric string", js(hdr, `{"sub":"cid:7","scope":"authx","exp":"1700000000"}`), false},
		{"exp not numeric", js(hdr, `{"sub":"cid:7","scope":"authx","exp":"soon"}`), false},
		{"exp a boolean", js(hdr, `{"sub":"cid:7","scope":"authx","exp":true}`), false},
		{"exp null is no exp", js(hdr, `{"sub":"cid:7","scope":"authx","exp":null}`), true},
		{"exp overflowing to INF", js(hdr, `{"sub":"cid:7","scope":"authx","exp":1e400}`), true},
		{"exp a big integer", js(hdr, `{"sub":"cid:7","scope":"authx","exp":99999999999999999999}`), true},
		{"nbf a future numeric string", js(hdr, `{"sub":"cid:7","scope":"authx","nbf":"1900000000"}`), false},
		{"iat a hex string", js(hdr, `{"sub":"cid:7","scope":"authx","iat":"0x10"}`), false},
		{"scope not a string", js(hdr, `{"sub":"cid:7","scope":["authx"]}`), false},
		{"sub not a string", js(hdr, `{"sub":7,"scope":"authx"}`), false},
	} {
		cid, err := VerifyCiviJWT(tc.tok, keys, now, 0)
		if tc.ok && (err != nil || cid != 7) {
			t.Errorf("%s: refused (%v), CiviCRM accepts it", tc.name, err)
		}
		if !tc.ok && err == nil {
			t.Errorf("%s: accepted, CiviCRM refuses it", tc.name)
		}
		var rej *Rejection
		if err != nil && !errors.As(err, &rej) {
			t.Errorf("%s: %T is no *Rejection", tc.name, err)
		}
	}
	// What CiviCRM reads of a token with stray bytes is the clean token.
	for _, junk := range []string{"\r\n", "==", " "} {
		if canon, _ := canonicalCiviJWT(good + junk); canon != good {
			t.Errorf("canonical of token+%q = %q", junk, canon)
		}
	}
}

// An Afform page token is accepted as PageTokenCredential accepts one in
// the afformpage flow (scope afform, an exp, sub cid:N, a form named), not
// an AuthX token, and the other way round.
func TestVerifyAfformPageToken(t *testing.T) {
	keys, err := ParseSignKeys("jwt-hs256:hkdf-sha256:afform-test")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	exp := now.Add(time.Hour).Unix()
	for _, tt := range []struct {
		name   string
		claims map[string]any
		cid    int64
		msg    string
	}{
		{"valid", map[string]any{"sub": "cid:7", "scope": "afform", "afform": "myForm", "exp": exp}, 7, ""},
		{"scopes", map[string]any{"sub": "cid:7", "scope": "x afform", "afform": "myForm", "exp": exp}, 7, ""},
		{"an AuthX token", map[string]any{"sub": "cid:7", "scope": "authx", "afform": "myForm", "exp": exp}, 0, msgInvalidCredential},
		{"no exp", map[string]any{"sub": "cid:7", "scope": "afform", "afform": "myForm"}, 0, msgNoExpiry},
		{"expired", map[string]any{"sub": "cid:7", "scope": "afform", "afform": "myForm", "exp": now.Add(-time.Hour).Unix()}, 0, msgExpiredToken},
		{"no cid", map[string]any{"sub": "7", "scope": "afform", "afform": "myForm", "exp": exp}, 0, msgMalformedJWT},
		{"no form", map[string]any{"sub": "cid:7", "scope": "afform", "exp": exp}, 0, msgInvalidCredential},
	} {
		tok, err := SignCiviJWT(keys, tt.claims)
		if err != nil {
			t.Fatal(err)
		}
		cid, form, err := VerifyAfformPageToken(tok, keys, now, 0)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if cid != tt.cid || msg != tt.msg {
			t.Errorf("%s: contact %d, %q; want %d, %q", tt.name, cid, msg, tt.cid, tt.msg)
		}
		if want := map[bool]string{true: "myForm"}[tt.cid != 0]; form != want {
			t.Errorf("%s: form %q, want %q", tt.name, form, want)
		}
		if tt.cid != 0 {
			if _, err := VerifyCiviJWT(tok, keys, now, 0); err == nil {
				t.Errorf("%s: an Afform page token is an AuthX credential too", tt.name)
			}
		}
	}
}

package authx

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/civigate/civigate/translate"
)

// MaxTokenBytes caps the size of any token we are willing to parse. CiviCRM
// JWTs are ~200 bytes and IdP tokens rarely exceed 4 KiB; the cap keeps a
// hostile client from making us base64-decode and JSON-parse megabytes.
const MaxTokenBytes = 8 << 10

// SignKey is one CIVICRM_SIGN_KEYS entry usable for JWTs.
type SignKey struct {
	Suite string // jwt-hs256, jwt-hs384, jwt-hs512
	Alg   string // HS256, HS384, HS512
	Key   []byte // derived key bytes
	KID   string // base64url(sha1(suite \0 key))
}

// suiteAlgs is CryptoJwt::suiteToAlg for the symmetric suites. The suite of
// the configured key, never the token header, decides the algorithm.
var suiteAlgs = map[string]string{
	"jwt-hs256": "HS256",
	"jwt-hs384": "HS384",
	"jwt-hs512": "HS512",
}

func algHash(alg string) func() hash.Hash {
	switch alg {
	case "HS256":
		return sha256.New
	case "HS384":
		return sha512.New384
	case "HS512":
		return sha512.New
	}
	return nil
}

// ParseSignKeys parses CIVICRM_SIGN_KEYS (space-separated suite:kdf:value),
// replicating CryptoRegistry::parseKey: an empty or "hkdf-sha256" KDF is
// hash_hkdf('sha256', value) (32 bytes, no salt, no info), "b64" is
// base64_decode(value). Like PHP's explode+list, only the text up to a third
// colon is the value. Order is kept: the first key signs, all keys verify.
// Suites that cannot sign JWTs here (aes-cbc, EdDSA) are an error rather
// than silently dropped, so a misconfiguration shows at provisioning.
func ParseSignKeys(s string) ([]SignKey, error) {
	var keys []SignKey
	for i, expr := range strings.Fields(s) {
		parts := strings.Split(expr, ":")
		if len(parts) < 3 {
			return nil, fmt.Errorf("sign key #%d: want suite:kdf:value", i+1)
		}
		suite, kdf, val := parts[0], parts[1], parts[2]
		alg, ok := suiteAlgs[suite]
		if !ok {
			return nil, fmt.Errorf("sign key #%d: unsupported suite %q (want jwt-hs256, jwt-hs384 or jwt-hs512)", i+1, suite)
		}
		var key []byte
		switch kdf {
		case "", "hkdf-sha256":
			k, err := hkdf.Key(sha256.New, []byte(val), nil, "", 32)
			if err != nil {
				return nil, fmt.Errorf("sign key #%d: %v", i+1, err)
			}
			key = k
		case "b64":
			// PHP's base64_decode is lenient about padding; accept both.
			k, err := base64.StdEncoding.DecodeString(val)
			if err != nil {
				k, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(val, "="))
			}
			if err != nil {
				return nil, fmt.Errorf("sign key #%d: bad base64 value", i+1)
			}
			key = k
		default:
			return nil, fmt.Errorf("sign key #%d: unsupported key function %q", i+1, kdf)
		}
		if len(key) == 0 {
			return nil, fmt.Errorf("sign key #%d: empty key", i+1)
		}
		sum := sha1.Sum(append(append([]byte(suite), 0), key...))
		keys = append(keys, SignKey{Suite: suite, Alg: alg, Key: key, KID: base64.RawURLEncoding.EncodeToString(sum[:])})
	}
	return keys, nil
}

// SignCiviJWT mints a CiviCRM AuthX JWT with the first key, as CiviCRM does:
// header {"typ":"JWT","alg":…,"kid":…} and claims encoded like PHP's
// json_encode(…, JSON_UNESCAPED_SLASHES). A Go map has no order, so the
// claims CiviCRM itself issues come first in its order (exp, sub, scope),
// then nbf, iat, and any other claims sorted by name.
func SignCiviJWT(keys []SignKey, claims map[string]any) (string, error) {
	if len(keys) == 0 {
		return "", errors.New("authx: no sign keys configured")
	}
	k := keys[0]
	h := algHash(k.Alg)
	if h == nil {
		return "", fmt.Errorf("authx: sign key suite %q cannot sign", k.Suite)
	}
	header := translate.NewArray()
	header.Set("typ", "JWT")
	header.Set("alg", k.Alg)
	header.Set("kid", k.KID)
	hdr := phpJWTJSON(header)
	claimSet, err := claimsArray(claims)
	if err != nil {
		return "", err
	}
	body := phpJWTJSON(claimSet)
	enc := base64.RawURLEncoding
	out := make([]byte, 0, 64+enc.EncodedLen(len(hdr))+enc.EncodedLen(len(body)))
	out = enc.AppendEncode(out, hdr)
	out = append(out, '.')
	out = enc.AppendEncode(out, body)
	mac := hmac.New(h, k.Key)
	mac.Write(out)
	out = append(out, '.')
	out = enc.AppendEncode(out, mac.Sum(nil))
	return string(out), nil
}

// MintCiviJWT is what Civigate forwards upstream for a contact it verified
// by other means (external JWT, key file): a CiviCRM-shaped token with
// exp = now + ttl, sub = cid:N, scope = authx.
func MintCiviJWT(keys []SignKey, contactID int64, now time.Time, ttl time.Duration) (string, error) {
	return SignCiviJWT(keys, map[string]any{
		"exp":   now.Add(ttl).Unix(),
		"sub":   "cid:" + strconv.FormatInt(contactID, 10),
		"scope": "authx",
	})
}

// The AuthX messages a CiviCRM JWT can be rejected with. Any failure other
// than expiry or a bad sub falls through every AuthX listener and ends as
// "Invalid credential"; Detail says why, for logs only.
const (
	msgInvalidCredential = "Invalid credential"
	msgExpiredToken      = "Expired token"
	msgMalformedJWT      = "Malformed JWT. Must specify the contact ID."
)

func jwtInvalid(detail string) *Rejection {
	return &Rejection{Reason: ReasonInvalid, Message: msgInvalidCredential, BearerError: "invalid_token", Detail: detail}
}

// VerifyCiviJWT verifies a CiviCRM AuthX JWT and returns the contact id.
// The error is a *Rejection whose message is AuthX's rejection message
// ("Invalid credential", "Expired token", "Malformed JWT. Must specify the
// contact ID."). It accepts exactly the tokens CiviCRM's CryptoJwt (with
// firebase/php-jwt 6) and AuthX's bearerJwt accept: see verifyHS for the
// token itself; then scope (split at spaces) must contain authx and sub
// must be cid:N.
func VerifyCiviJWT(token string, keys []SignKey, now time.Time, leeway time.Duration) (contactID int64, err error) {
	claims, rej := verifyHS(token, keys, now, leeway)
	if rej != nil {
		return 0, rej
	}
	// bearerJwt: a scope that is no string cannot hold "authx" (explode
	// of a number), or crashes CiviCRM (explode of an array).
	scope, _ := claimValue(claims, "scope").(string)
	if !hasScope(scope, "authx") {
		// AuthX ignores such a token, so no listener accepts the credential.
		return 0, jwtInvalid("scope lacks authx")
	}
	id, rej := subjectContact(claims)
	if rej != nil {
		return 0, rej // not a typed nil: error stays nil on success
	}
	return id, nil
}

// VerifyAfformPageToken verifies an Afform page token, the CiviCRM JWT
// Afform mails in links to a form (civicrm/my-form?_aff=Bearer+<JWT>) and
// its page sends back as X-Civi-Auth-Afform, and returns its contact id. It
// accepts what PageTokenCredential::afformPageToken and afformPagePolicy
// accept in the afformpage flow, but for the route: the token itself as
// VerifyCiviJWT (verifyHS), then scope holding afform, an exp ("Malformed
// JWT. Must specify an expiration time."), sub cid:N, and an afform claim
// naming a form (without one the flow's policy admits no credential),
// which it returns too: the token is good for that form's page and its
// API calls only. Whether the form's route is the page's, CiviCRM checks
// itself (checkAllowedRoute: the form's server_route, which the edge does
// not know); which API calls it covers, pageTokenReach.
func VerifyAfformPageToken(token string, keys []SignKey, now time.Time, leeway time.Duration) (contactID int64, form string, err error) {
	claims, rej := verifyHS(token, keys, now, leeway)
	if rej != nil {
		return 0, "", rej
	}
	scope, _ := claimValue(claims, "scope").(string)
	if !hasScope(scope, "afform") {
		return 0, "", jwtInvalid("scope lacks afform")
	}
	if exp, present, _ := numClaim(claims, "exp"); !present || exp == 0 {
		return 0, "", &Rejection{Reason: ReasonInvalid, Message: msgNoExpiry, BearerError: "invalid_token", Detail: "afform token without exp"}
	}
	id, rej := subjectContact(claims)
	if rej != nil {
		return 0, "", rej
	}
	form, _ = claimValue(claims, "afform").(string)
	if phpEmpty(form) {
		return 0, "", jwtInvalid("afform token naming no form")
	}
	return id, form, nil
}

// subjectContact is the contact a CiviCRM JWT's sub names, as AuthX and
// Afform's page token read it: empty($claims['sub']) ||
// substr($claims['sub'], 0, 4) !== 'cid:' is malformed, and so is a cid
// that is no positive integer.
func subjectContact(claims *translate.Array) (int64, *Rejection) {
	sub, _ := claimValue(claims, "sub").(string)
	cid, ok := strings.CutPrefix(sub, "cid:")
	if !ok {
		return 0, &Rejection{Reason: ReasonInvalid, Message: msgMalformedJWT, BearerError: "invalid_token", Detail: "sub without cid:"}
	}
	id, err := parseContactID(cid)
	if err != nil {
		return 0, &Rejection{Reason: ReasonInvalid, Message: msgMalformedJWT, BearerError: "invalid_token", Detail: "sub cid not a positive integer"}
	}
	return id, nil
}

// msgNoExpiry is PageTokenCredential's refusal of a token without exp.
const msgNoExpiry = "Malformed JWT. Must specify an expiration time."

func hasScope(scope, want string) bool {
	for s := range strings.SplitSeq(scope, " ") {
		if s == want {
			return true
		}
	}
	return false
}

func parseContactID(s string) (int64, error) {
	if s == "" || s[0] < '1' || s[0] > '9' {
		return 0, errors.New("bad contact id")
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, errors.New("bad contact id")
	}
	return id, nil
}

// jwtParts splits a token as explode('.', $jwt) does, wanting exactly
// three segments.
func jwtParts(token string) (h64, p64, s64 string, ok bool) {
	h64, rest, ok1 := strings.Cut(token, ".")
	p64, s64, ok2 := strings.Cut(rest, ".")
	return h64, p64, s64, ok1 && ok2 && !strings.Contains(s64, ".")
}

// jwtHeaderOf decodes a token's header as firebase/php-jwt does; nil if
// it is not a JSON object.
func jwtHeaderOf(h64 string) *translate.Array {
	hdr, ok := phpJSONObject(jwtSegmentDecode(h64))
	if !ok {
		return nil
	}
	return hdr
}

// verifyHS checks a CiviCRM JWT as CryptoJwt::decode and firebase/php-jwt
// 6 do, returning the decoded claims:
//   - three segments, each decoded like base64_decode (not strict) after
//     '-_' → '+/': padding, whitespace, CR/LF or other stray bytes in a
//     segment are skipped, so a token with a trailing CRLF still verifies;
//     the signature covers the header and payload segments as sent;
//   - header and payload are JSON objects decoded by json_decode: keys are
//     exact ({"Alg":…} is no alg), the last of a repeated key wins;
//   - alg is exactly the algorithm of the key whose kid the header names
//     (a kid of another algorithm, or none, fails);
//   - nbf, iat and exp, when set, are numbers or numeric strings
//     (is_numeric), then compared as firebase does.
func verifyHS(token string, keys []SignKey, now time.Time, leeway time.Duration) (*translate.Array, *Rejection) {
	if len(token) > MaxTokenBytes {
		return nil, jwtInvalid("token too large")
	}
	h64, p64, s64, ok := jwtParts(token)
	if !ok {
		return nil, jwtInvalid("not three segments")
	}
	hdr := jwtHeaderOf(h64)
	if hdr == nil {
		return nil, jwtInvalid("header is not a JSON object")
	}
	claims, ok := phpJSONObject(jwtSegmentDecode(p64))
	if !ok {
		return nil, jwtInvalid("payload is not a JSON object")
	}
	// A kid or alg that is not a string either matches no configured key
	// or crashes PHP (an array as an array index): refused alike.
	kid, _ := claimValue(hdr, "kid").(string)
	alg, _ := claimValue(hdr, "alg").(string)
	if kid == "" {
		return nil, jwtInvalid("missing kid")
	}
	var key *SignKey
	for i := range keys {
		if keys[i].KID == kid {
			key = &keys[i]
			break
		}
	}
	if key == nil {
		return nil, jwtInvalid("unknown kid")
	}
	// Algorithm pinning: "none", RS256 (HS/RS confusion) or a weaker HS
	// variant all fail here because the key's suite fixes the alg.
	if alg != key.Alg {
		return nil, jwtInvalid("alg does not match key suite")
	}
	mac := hmac.New(algHash(key.Alg), key.Key)
	io.WriteString(mac, token[:len(h64)+1+len(p64)])
	if !hmac.Equal(mac.Sum(nil), jwtSegmentDecode(s64)) {
		return nil, jwtInvalid("signature verification failed")
	}
	if rej := checkTimes(claims, now, leeway); rej != nil {
		return nil, rej
	}
	return claims, nil
}

// canonicalCiviJWT is the token as CiviCRM reads it: header and payload
// segments as sent (the signature covers them), the signature re-encoded
// from what firebase/php-jwt decodes of its segment. ok is false when the
// token is not three segments.
func canonicalCiviJWT(token string) (string, bool) {
	h64, p64, s64, ok := jwtParts(token)
	if !ok {
		return "", false
	}
	return h64 + "." + p64 + "." + base64.RawURLEncoding.EncodeToString(jwtSegmentDecode(s64)), true
}

// numClaim returns a time claim. present is false when it is absent or
// null (isset); one that is not numeric (is_numeric) is refused, as
// firebase/php-jwt 6 refuses it ("Payload exp must be a number").
func numClaim(claims *translate.Array, name string) (v float64, present bool, rej *Rejection) {
	raw := claimValue(claims, name)
	if raw == nil {
		return 0, false, nil
	}
	f, ok := phpNumeric(raw)
	if !ok || math.IsNaN(f) {
		return 0, true, jwtInvalid(name + " not a number")
	}
	return f, true, nil
}

// checkTimes applies firebase/php-jwt's rules with a configurable leeway
// (CiviCRM's is 0): floor(nbf) and, without nbf, floor(iat) must not be
// after now; now >= exp is expired. An exp of ±INF (json_decode of 1e400)
// never or always expires, as in PHP.
func checkTimes(claims *translate.Array, now time.Time, leeway time.Duration) *Rejection {
	ts := float64(now.Unix())
	lw := math.Floor(leeway.Seconds())
	nbf, hasNbf, rej := numClaim(claims, "nbf")
	if rej != nil {
		return rej
	}
	if hasNbf && math.Floor(nbf) > ts+lw {
		return jwtInvalid("nbf in the future")
	}
	iat, hasIat, rej := numClaim(claims, "iat")
	if rej != nil {
		return rej
	}
	if !hasNbf && hasIat && math.Floor(iat) > ts+lw {
		return jwtInvalid("iat in the future")
	}
	exp, hasExp, rej := numClaim(claims, "exp")
	if rej != nil {
		return rej
	}
	if hasExp && ts-lw >= exp {
		return &Rejection{Reason: ReasonExpired, Message: msgExpiredToken, BearerError: "invalid_token", Detail: "expired"}
	}
	return nil
}

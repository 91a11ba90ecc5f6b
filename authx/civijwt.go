package authx

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/civigate/civigate/translate"
	"hash"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
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
// contact ID."). The checks follow firebase/php-jwt and AuthX: kid must name
// a configured key whose suite's alg equals the header alg; signature; nbf
// and (without nbf) iat not in the future; now-leeway >= exp is expired; exp
// is optional; scope (space separated) must contain authx; sub = cid:N.
func VerifyCiviJWT(token string, keys []SignKey, now time.Time, leeway time.Duration) (contactID int64, err error) {
	claims, rej := verifyHS(token, keys, now, leeway)
	if rej != nil {
		return 0, rej
	}
	scope, _ := claims["scope"].(string)
	if !hasScope(scope, "authx") {
		// AuthX ignores such a token, so no listener accepts the credential.
		return 0, jwtInvalid("scope lacks authx")
	}
	sub, _ := claims["sub"].(string)
	cid, ok := strings.CutPrefix(sub, "cid:")
	if !ok {
		return 0, &Rejection{Reason: ReasonInvalid, Message: msgMalformedJWT, BearerError: "invalid_token", Detail: "sub without cid:"}
	}
	id, perr := parseContactID(cid)
	if perr != nil {
		return 0, &Rejection{Reason: ReasonInvalid, Message: msgMalformedJWT, BearerError: "invalid_token", Detail: "sub cid not a positive integer"}
	}
	return id, nil
}

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

type jwtHeader struct {
	Alg string `json:"alg"`
	KID string `json:"kid"`
}

// verifyHS checks structure, key, signature and time claims, returning the
// decoded claims.
func verifyHS(token string, keys []SignKey, now time.Time, leeway time.Duration) (map[string]any, *Rejection) {
	if len(token) > MaxTokenBytes {
		return nil, jwtInvalid("token too large")
	}
	h64, rest, ok1 := strings.Cut(token, ".")
	p64, s64, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(s64, ".") {
		return nil, jwtInvalid("not a JWS compact token")
	}
	enc := base64.RawURLEncoding
	hb, err := enc.DecodeString(h64)
	if err != nil {
		return nil, jwtInvalid("bad header encoding")
	}
	var hdr jwtHeader
	if err := json.Unmarshal(hb, &hdr); err != nil {
		return nil, jwtInvalid("bad header json")
	}
	if hdr.KID == "" {
		return nil, jwtInvalid("missing kid")
	}
	var key *SignKey
	for i := range keys {
		if keys[i].KID == hdr.KID {
			key = &keys[i]
			break
		}
	}
	if key == nil {
		return nil, jwtInvalid("unknown kid")
	}
	// Algorithm pinning: "none", RS256 (HS/RS confusion) or a weaker HS
	// variant all fail here because the key's suite fixes the alg.
	if hdr.Alg != key.Alg {
		return nil, jwtInvalid("alg does not match key suite")
	}
	sig, err := enc.DecodeString(s64)
	if err != nil {
		return nil, jwtInvalid("bad signature encoding")
	}
	mac := hmac.New(algHash(key.Alg), key.Key)
	io.WriteString(mac, token[:len(h64)+1+len(p64)])
	if !hmac.Equal(mac.Sum(nil), sig) {
		return nil, jwtInvalid("signature verification failed")
	}
	pb, err := enc.DecodeString(p64)
	if err != nil {
		return nil, jwtInvalid("bad payload encoding")
	}
	claims, rej := decodeClaims(pb)
	if rej != nil {
		return nil, rej
	}
	if rej := checkTimes(claims, now, leeway); rej != nil {
		return nil, rej
	}
	return claims, nil
}

func decodeClaims(pb []byte) (map[string]any, *Rejection) {
	dec := json.NewDecoder(bytes.NewReader(pb))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil || claims == nil {
		return nil, jwtInvalid("payload is not a JSON object")
	}
	return claims, nil
}

// numClaim returns a numeric claim. ok is false when absent; a present but
// non-numeric time claim is invalid (firebase/php-jwt >= 6.10 does the same).
func numClaim(claims map[string]any, name string) (v float64, present bool, rej *Rejection) {
	raw, ok := claims[name]
	if !ok || raw == nil {
		return 0, false, nil
	}
	n, ok := raw.(json.Number)
	if !ok {
		return 0, true, jwtInvalid(name + " not a number")
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, true, jwtInvalid(name + " not a number")
	}
	return f, true, nil
}

// checkTimes applies firebase/php-jwt's rules with a configurable leeway
// (CiviCRM's is 0).
func checkTimes(claims map[string]any, now time.Time, leeway time.Duration) *Rejection {
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
